"""Regenerate the stored analysis regression clips (run from the repository root).

    .venv/bin/python tests/regression/data/analysis/make_clips.py

Three short clips rendered with FluidSynth (FluidR3_GM) from held-out material, stored as
8000 Hz mono FLAC (a few seconds each, about 100 kB) with their ground truth
(``<name>.json``): a reel with accompaniment (Nottingham test split), a waltz with
accompaniment (Nottingham test split), and a piano chord progression for transcription.
The expected scores live in ``tests/regression/test_analysis_clips.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile as sf

from muselab import Note, Score, TempoChange, TimeSignature, Track
from muselab.analysis.symbolic import beat_grid
from muselab.corpora import load_corpus
from muselab.generate.accompaniment import add_accompaniment
from muselab.render import synthesize

HERE = Path(__file__).resolve().parent
SR = 8000


def _crop(score: Score, bars: int) -> Score:
    end = bars * score.bar_ticks(0)
    out = score.copy()
    for t in out.tracks:
        t.notes = [
            Note(n.pitch, n.onset, min(n.end, end) - n.onset, n.velocity)
            for n in t.notes
            if n.onset < end
        ]
    out.chords = [c for c in out.chords if c.onset < end]
    return out


def _write(name: str, score: Score, extra: dict[str, object]) -> None:
    y = synthesize(score, sample_rate=SR, backend="fluidsynth").samples.mean(axis=1)
    y = (0.9 * y / np.abs(y).max()).astype(np.float32)
    sf.write(HERE / f"{name}.flac", y, SR, subtype="PCM_16")
    bt, dt = beat_grid(score)
    chords = [
        {
            "start": round(float(score.ticks_to_seconds(c.onset)), 4),
            "end": round(float(score.ticks_to_seconds(c.end)), 4),
            "label": c.label,
        }
        for c in score.chords
    ]
    truth = {
        "beats": np.round(score.ticks_to_seconds(bt), 4).tolist(),
        "downbeats": np.round(score.ticks_to_seconds(dt), 4).tolist(),
        "meter": str(score.time_signature_at(0)),
        "key": score.key_at(0).name if score.key_at(0) else "",
        "chords": chords,
        **extra,
    }
    (HERE / f"{name}.json").write_text(json.dumps(truth, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    tunes = {it.id: it.score for it in load_corpus("nottingham", split="test")}

    def opens_on_tonic(s: Score) -> bool:  # the excerpt's key is then unambiguous
        k = s.key_at(0)
        return bool(s.chords) and k is not None and s.chords[0].label == f"{k.tonic}:maj"

    reel = next(s for i, s in tunes.items() if i.startswith("reels") and opens_on_tonic(s))
    waltz = next(s for i, s in tunes.items() if i.startswith("waltzes") and opens_on_tonic(s))
    for name, s, qpm, bars, prog in (("reel", reel, 120.0, 4, 73), ("waltz", waltz, 138.0, 6, 40)):
        s = s.copy()
        s.tempos = [TempoChange(0, qpm)]
        s = add_accompaniment(_crop(s, bars), seed=1)
        s.tracks[0].program = prog
        _write(name, s, {"source": s.title})
    # piano: I - vi - IV - V7 in G, one bar each at 120 qpm: bass and chord on beat 1,
    # then a chord tone on each of beats 2, 3, 4
    prog = [(43, (59, 62, 67)), (40, (59, 64, 67)), (36, (60, 64, 67)), (38, (60, 62, 66))]
    notes = []
    for i, (bass, triad) in enumerate(prog):
        on = i * 1920
        notes.append(Note(bass, on, 1800, 80))
        notes += [Note(p, on, 440, 70) for p in triad]
        notes += [Note(triad[k] + 12, on + 480 * (k + 1), 440, 85) for k in range(3)]
    s = Score(
        tracks=[Track("Piano", program=0, notes=notes)],
        tempos=[TempoChange(0, 120.0)],
        time_signatures=[TimeSignature(0, 4, 4)],
    )
    from muselab import ChordSymbol, KeySignature

    s.key_signatures = [KeySignature(0, "G", "major")]
    labels = ["G:maj", "E:min", "C:maj", "D:7"]
    s.chords = [ChordSymbol(i * 1920, 1920, lab) for i, lab in enumerate(labels)]
    arr = s.note_array()
    ref_notes = [
        [round(float(a), 4), round(float(a + d), 4), int(p)]
        for a, d, p in zip(arr["onset_sec"], arr["duration_sec"], arr["pitch"], strict=True)
    ]
    _write("piano", s, {"notes": ref_notes})


if __name__ == "__main__":
    main()
