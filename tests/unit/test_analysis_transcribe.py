"""Transcription: the vendored Basic Pitch model, note decoding and quantisation."""

from __future__ import annotations

import numpy as np
import pytest

from muselab import Audio, Note, Score, TempoChange, Track
from muselab.analysis.schema import AnalysisResult
from muselab.analysis.transcribe import NoteEvent, notes_to_score, transcribe

pytest.importorskip("onnxruntime")


def _grid(meter: str = "4/4", tempo: float = 120.0, first_down: float = 0.5) -> AnalysisResult:
    period = 60.0 / tempo
    beats = tuple(np.round(np.arange(0.5, 10.0, period), 4))
    m = 2 if meter == "6/8" else int(meter.split("/")[0])
    k = round((first_down - 0.5) / period)
    downs = tuple(b for i, b in enumerate(beats) if i >= k and (i - k) % m == 0)
    return AnalysisResult(
        "x.wav",
        "audio",
        10.0,
        tempo=tempo,
        beats=beats,
        downbeats=downs,
        meter=meter,
        key="E minor",
    )


def test_notes_snap_to_the_beat_grid_with_meter_key_and_pickup() -> None:
    # a performance slightly off the beat; the first downbeat is the 2nd beat (a pick-up)
    notes = [
        NoteEvent(0.52, 0.98, 64, 0.8),  # beat 0 (pick-up), an eighth too long-ish
        NoteEvent(0.99, 1.49, 67, 0.6),  # beat 1 = first downbeat
        NoteEvent(1.24, 1.49, 40, 0.5),  # off-beat eighth in the bass
    ]
    s = notes_to_score(notes, _grid(first_down=1.0))
    assert [t.name for t in s.tracks] == ["Right hand", "Left hand"]
    assert str(s.time_signature_at(0)) == "4/4" and s.key_at(0).name == "E minor"  # type: ignore[union-attr]
    assert s.tempo_at(0) == pytest.approx(120.0)
    rh = s.tracks[0].notes
    # 3 beats of pick-up rest, so the downbeat note lands on bar 2 (tick 4 * 480)
    assert [(n.onset, n.pitch) for n in rh] == [(3 * 480, 64), (4 * 480, 67)]
    assert rh[0].duration == 480
    assert s.tracks[1].notes[0].onset == 4 * 480 + 240
    assert rh[0].velocity == round(0.8 * 127)


def test_compound_meter_uses_dotted_quarter_beats() -> None:
    s = notes_to_score([NoteEvent(0.5, 0.8, 72, 0.5)], _grid(meter="6/8", tempo=100.0))
    assert str(s.time_signature_at(0)) == "6/8"
    assert s.tempo_at(0) == pytest.approx(150.0)  # 100 dotted quarters = 150 quarters
    n = s.tracks[0].notes[0]
    assert n.onset == 0 and n.duration == 360  # half a 0.6 s beat = half of 720 ticks


def test_model_transcribes_a_rendered_melody() -> None:
    pitches = [60, 64, 67, 72, 67, 64]
    notes = [Note(p, i * 480, 440, 100) for i, p in enumerate(pitches)]
    score = Score(tracks=[Track(notes=notes)], tempos=[TempoChange(0, 100.0)])
    from muselab.render import synthesize

    audio = synthesize(score, backend="additive", sample_rate=22050)
    out = transcribe(audio, quantize=False)
    got = [(float(out.ticks_to_seconds(n.onset)), n.pitch) for t in out.tracks for n in t.notes]
    hits = sum(
        any(p == q and abs(t - i * 0.6) <= 0.08 for t, q in got) for i, p in enumerate(pitches)
    )
    assert hits >= 5
    assert len(got) <= 10


def test_silence_transcribes_to_an_empty_score() -> None:
    s = transcribe(Audio(np.zeros(22050 * 2, dtype=np.float32), 22050), quantize=False)
    assert s.n_notes == 0
