"""Real-time factor of muselab's audio analysis and transcription, per CPU core.

Renders a few one-minute pieces (held-out Nottingham tunes with accompaniment, FluidSynth,
22.05 kHz mono FLAC), then times, on ONE thread (BLAS/OpenMP/onnxruntime pinned to one):

- ``librosa beat_track``: load + librosa.onset.onset_strength + librosa.beat.beat_track
  (the peer: the part of our pipeline everyone already runs);
- ``muselab analyze --no-melody``: everything but the melody contour;
- ``muselab analyze``: the full analysis (tempo, beats, downbeats, meter, key, key changes,
  chords, onsets, melody, loudness);
- ``muselab transcribe``: Basic Pitch activations + note decoding (no analysis).

Times are CPU seconds of this process (``time.process_time``), so the real-time factor
(audio seconds per CPU second) holds per core even when other jobs share the machine;
every stage runs once to warm up (imports, numba compilation) before it is measured.
Then a one-hour file is analysed in a child process to show bounded memory (max RSS).

Run::

    .venv/bin/python benchmarks/analysis_speed.py [--pieces 5] [--hour] [--markdown FILE]
"""

from __future__ import annotations

import argparse
import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_v] = "1"

import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402


def _render(folder: Path, n: int, seconds: float = 60.0) -> list[Path]:
    import soundfile as sf

    from muselab.corpora import load_corpus
    from muselab.generate.accompaniment import add_accompaniment
    from muselab.render import synthesize

    items = [it for it in load_corpus("nottingham", split="test") if it.score.chords]
    out = []
    for i, it in enumerate(items[:n]):
        path = folder / f"piece{i}.flac"
        if not path.exists():
            s = add_accompaniment(it.score, seed=i)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                y = synthesize(s, sample_rate=22050).samples.mean(axis=1)
            reps = int(np.ceil(seconds * 22050 / len(y)))
            y = np.tile(y, reps)[: int(seconds * 22050)]
            sf.write(path, y, 22050)
        out.append(path)
    return out


def _cpu(fn: Callable[[], object]) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def _librosa_beats(path: Path) -> None:
    import librosa

    y, sr = librosa.load(path, sr=22050, mono=True)
    env = librosa.onset.onset_strength(y=y, sr=sr)
    librosa.beat.beat_track(onset_envelope=env, sr=sr)


def _analyze(path: Path, melody: bool) -> None:
    from muselab.analysis import analyze_audio

    analyze_audio(path, melody=melody)


def _transcribe(path: Path) -> None:
    from muselab.analysis.loader import load_audio
    from muselab.analysis.transcribe import detect_notes, model_activations

    detect_notes(model_activations(load_audio(path).samples))


STAGES: dict[str, Callable[[Path], None]] = {
    "librosa beat_track (peer)": _librosa_beats,
    "muselab analyze --no-melody": lambda p: _analyze(p, False),
    "muselab analyze (full)": lambda p: _analyze(p, True),
    "muselab transcribe": _transcribe,
}

_HOUR_CHILD = """
import os, resource, sys, time
for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[v] = "1"
from muselab.analysis import analyze_audio
t = time.process_time()
r = analyze_audio(sys.argv[1], melody=sys.argv[2] == "1")
cpu = time.process_time() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{r.duration:.1f} {cpu:.2f} {rss:.0f} {len(r.beats)} {len(r.chords)}")
"""


def _hour(folder: Path, piece: Path) -> list[tuple[str, float, float, float]]:
    import soundfile as sf

    path = folder / "hour.flac"
    if not path.exists():
        y, sr = sf.read(piece, dtype="float32")
        with sf.SoundFile(path, "w", sr, 1, format="FLAC") as f:
            for _ in range(60):
                f.write(y)
    rows = []
    for melody in ("0", "1"):
        out = subprocess.run(
            [sys.executable, "-c", _HOUR_CHILD, str(path), melody],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        dur, cpu, rss = float(out[0]), float(out[1]), float(out[2])
        rows.append(("with melody" if melody == "1" else "without melody", dur, cpu, rss))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pieces", type=int, default=5)
    ap.add_argument("--hour", action="store_true", help="also analyse a one-hour file")
    ap.add_argument("--markdown", type=Path, default=None)
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "muselab-speed")
    args = ap.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    pieces = _render(args.cache, args.pieces)
    import soundfile as sf

    durations = {p: sf.info(p).duration for p in pieces}
    results: dict[str, list[float]] = {}
    for name, fn in STAGES.items():
        fn(pieces[0])  # warm-up: imports, numba compilation, model load
        results[name] = [durations[p] / _cpu(lambda p=p, fn=fn: fn(p)) for p in pieces]
        print(f"{name:32s} median {statistics.median(results[name]):7.1f}x real time", flush=True)
    base = statistics.median(results["librosa beat_track (peer)"])
    lines = [
        "# Analysis speed: real-time factor per CPU core",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other jobs "
        f"(CPU time of one thread is measured), Python {platform.python_version()}, "
        f"{date.today().isoformat()}.",
        f"Input: {len(pieces)} one-minute pieces (held-out Nottingham tunes with accompaniment, "
        "FluidSynth, 22.05 kHz mono FLAC).",
        "",
        "Command: `.venv/bin/python benchmarks/analysis_speed.py --pieces "
        f"{args.pieces}{' --hour' if args.hour else ''} --markdown benchmarks/analysis_speed.md`",
        "",
        "| stage | median x real time | min | max | vs librosa beat_track |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, rtf in results.items():
        med = statistics.median(rtf)
        lines.append(f"| {name} | {med:.1f} | {min(rtf):.1f} | {max(rtf):.1f} | {med / base:.2f} |")
    lines += [
        "",
        "Targets: full analysis without transcription >= 50x, transcription >= 5x real time.",
    ]
    if args.hour:
        lines += [
            "",
            "## One hour of audio (bounded memory)",
            "",
            "| analysis | audio (s) | CPU (s) | x real time | max RSS (MB) |",
            "|---|---:|---:|---:|---:|",
        ]
        for what, dur, cpu, rss in _hour(args.cache, pieces[0]):
            lines.append(f"| {what} | {dur:.0f} | {cpu:.1f} | {dur / cpu:.1f} | {rss:.0f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
