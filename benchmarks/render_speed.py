"""How long muselab takes to render a 16-bar, 3-track piece to WAV, SVG and PNG.

Builds the piece in-process (melody, block chords, bass; 4/4 at 120 qpm = 32 s of music),
renders it with each renderer several times and prints a Markdown table of the median
wall-clock time, with the real-time factor for audio and a listen-proxy quality number:
the agreement (cosine similarity, 0..1) between the audio's pitch-class energy and the
pitch classes the score says are sounding, in 0.25 s frames.  pretty_midi's sine-wave
``PrettyMIDI.synthesize`` is timed on the same piece as a peer of the built-in synthesiser.

    .venv/bin/python benchmarks/render_speed.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np

from _machine import cpu_model
from muselab.core import ChordSymbol, KeySignature, Note, Score, TempoChange, TimeSignature, Track
from muselab.render.audio import read_audio, render_audio
from muselab.render.pianoroll import render_pianoroll
from muselab.render.soundfont import find_soundfont

BARS = 16
TPB = 480


def build_piece(seed: int = 0) -> Score:
    """16 bars of I-vi-IV-V in C: an eighth-note melody, whole-bar chords and a walking bass."""
    rng = np.random.default_rng(seed)
    prog = [(0, "C:maj"), (9, "A:min"), (5, "F:maj"), (7, "G:maj")]
    scale = [0, 2, 4, 5, 7, 9, 11]
    melody, chords, bass, symbols = [], [], [], []
    bar = 4 * TPB
    for b in range(BARS):
        root, label = prog[b % 4]
        start = b * bar
        symbols.append(ChordSymbol(start, bar, label))
        triad = [root, root + (3 if label.endswith("min") else 4), root + 7]
        voicing = [53 + (p - 5) % 12 for p in triad]  # close position between F3 and E4
        chords += [Note(p, start, bar, 64) for p in voicing]
        bass += [Note(36 + root + o, start + i * TPB, TPB, 88) for i, o in enumerate((0, 7, 12, 7))]
        for i in range(8):
            deg = int(rng.integers(0, 7))
            melody.append(
                Note(72 + scale[deg], start + i * TPB // 2, TPB // 2, int(rng.integers(70, 110)))
            )
    return Score(
        tracks=[
            Track("Melody", 73, notes=melody),
            Track("Chords", 0, notes=chords),
            Track("Bass", 33, notes=bass),
        ],
        tempos=[TempoChange(0, 120.0)],
        time_signatures=[TimeSignature(0, 4, 4)],
        key_signatures=[KeySignature(0, "C")],
        chords=symbols,
        title="Benchmark piece",
    )


def audio_chroma(x: np.ndarray, sr: int, hop_s: float) -> np.ndarray:
    """Pitch-class energy per frame [shape=(frames, 12)] from FFT magnitudes, 55 Hz..5 kHz."""
    x = x.mean(axis=1) if x.ndim == 2 else x
    n, hop = 8192, int(hop_s * sr)
    freqs = np.fft.rfftfreq(n, 1.0 / sr)
    band = (freqs > 55.0) & (freqs < 5000.0)
    pcs = np.round(12 * np.log2(freqs[band] / 440.0) + 69).astype(int) % 12
    frames = []
    for start in range(0, max(1, len(x) - n), hop):
        mag = np.abs(np.fft.rfft(x[start : start + n] * np.hanning(n)))[band]
        frames.append(np.bincount(pcs, weights=mag**2, minlength=12))
    return np.array(frames)


def score_chroma(score: Score, hop_s: float, n_frames: int, window_s: float) -> np.ndarray:
    """Which pitch classes sound in each analysis window, weighted by velocity."""
    out = np.zeros((n_frames, 12))
    arr = score.note_array()
    for f in range(n_frames):
        t0, t1 = f * hop_s, f * hop_s + window_s
        on = (arr["onset_sec"] < t1) & (arr["onset_sec"] + arr["duration_sec"] > t0)
        np.add.at(out[f], arr["pitch"][on] % 12, arr["velocity"][on] / 127.0)
    return out


def chroma_agreement(path: Path, score: Score) -> float:
    """Mean cosine similarity of audio chroma and score chroma (1 = same pitch classes)."""
    audio = read_audio(path)
    hop = 0.25
    a = audio_chroma(audio.samples, audio.sample_rate, hop)
    b = score_chroma(score, hop, len(a), 8192 / audio.sample_rate)
    num = np.sum(a * b, axis=1)
    den = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    ok = den > 0
    return float(np.mean(num[ok] / den[ok]))


def median_time(fn: Callable[[], object], repeats: int) -> tuple[float, float, float]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times), max(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    score = build_piece()
    music_s = score.duration_seconds
    py = platform.python_version()
    print(f"Machine: {cpu_model()}, 2 cores (shared); Python {py}; {date.today()}")
    print(f"Command: python benchmarks/render_speed.py {' '.join(sys.argv[1:])}".rstrip())
    print(
        f"Piece: {BARS} bars, 3 tracks, {score.n_notes} notes, {music_s:.1f} s of music; "
        f"median of {args.repeats} runs, wall-clock, including file writing."
    )
    print()
    print("| task | renderer | median s | min s | max s | x real time | chroma agreement |")
    print("|---|---|---:|---:|---:|---:|---:|")

    def row(task: str, who: str, t: tuple[float, float, float], wav: Path | None = None) -> None:
        rt = f"{music_s / t[0]:.0f}" if wav else ""
        q = f"{chroma_agreement(wav, score):.3f}" if wav else ""
        print(f"| {task} | {who} | {t[0]:.3f} | {t[1]:.3f} | {t[2]:.3f} | {rt} | {q} |", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        sf2 = find_soundfont()
        if shutil.which("fluidsynth") and sf2 is not None:

            def fluid() -> None:
                render_audio(score, out / "f.wav", backend="fluidsynth")

            t_fluid = median_time(fluid, args.repeats)
            row("WAV 44.1 kHz", f"FluidSynth CLI + {sf2.name}", t_fluid, out / "f.wav")
        else:
            print("| WAV 44.1 kHz | FluidSynth | not installed | | | | |")

        def additive() -> None:
            render_audio(score, out / "a.wav", backend="additive")

        t_add = median_time(additive, args.repeats)
        row("WAV 44.1 kHz", "muselab additive synth", t_add, out / "a.wav")

        try:
            import pretty_midi
            import soundfile

            from muselab.io.midi import write_midi

            mid = write_midi(score, out / "p.mid")

            def peer() -> None:
                pm = pretty_midi.PrettyMIDI(str(mid))
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    y = pm.synthesize(fs=44100)
                soundfile.write(out / "p.wav", y / max(1e-9, float(np.abs(y).max())), 44100)

            t_peer = median_time(peer, args.repeats)
            row("WAV 44.1 kHz (mono)", "peer: pretty_midi sine synth", t_peer, out / "p.wav")
        except ImportError as exc:
            print(f"| WAV | pretty_midi | unavailable ({exc}) | | | | |")

        try:
            from muselab.render.sheet import render_svg

            t_svg = median_time(lambda: render_svg(score, out / "s.svg"), args.repeats)
            row("SVG sheet music", "music21 MusicXML + verovio", t_svg)
        except ImportError as exc:
            print(f"| SVG sheet music | verovio | unavailable ({exc}) | | | | |")

        t_png = median_time(lambda: render_pianoroll(score, out / "r.png"), args.repeats)
        row("PNG piano roll 1600x600", "matplotlib (Agg)", t_png)


if __name__ == "__main__":
    main()
