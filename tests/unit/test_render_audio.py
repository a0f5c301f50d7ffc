"""Audio rendering: the additive synthesiser, the FluidSynth backend, the fallback, audio files."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from muselab.core import Audio, Note, Score, TempoChange, Track
from muselab.errors import (
    CorruptFileError,
    InvalidInputError,
    RenderError,
    UnsupportedFormatError,
)
from muselab.render.audio import (
    FALLBACK_WARNING,
    TAIL_SECONDS,
    read_audio,
    render_audio,
    synthesize,
    write_audio,
)
from muselab.render.soundfont import SOUNDFONT_ENV, find_soundfont
from muselab.render.synth import TIMBRES, additive_synthesize, timbre_for_program

SR = 22050
HAVE_FLUID = shutil.which("fluidsynth") is not None and find_soundfont() is not None
needs_fluid = pytest.mark.skipif(not HAVE_FLUID, reason="fluidsynth or a GM SoundFont missing")


def one_note(
    pitch: int = 69, *, program: int = 0, beats: float = 1.0, velocity: int = 100
) -> Score:
    return Score(
        tracks=[Track("Solo", program, notes=[Note(pitch, 0, int(beats * 480), velocity)])]
    )


def peak_hz(x: np.ndarray, sr: int) -> float:
    """Frequency of the strongest spectral peak of a (mono) signal."""
    x = x if x.ndim == 1 else x.mean(axis=1)
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1.0 / sr)[np.argmax(spec)])


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def small_soundfont() -> Path | None:
    """pretty_midi's 6 MB TimGM6mb.sf2 loads faster than FluidR3 (150 MB)."""
    pm = pytest.importorskip("pretty_midi")
    p = Path(pm.__file__).resolve().parent / "TimGM6mb.sf2"
    return p if p.is_file() else None


# ---------------------------------------------------------------------------- additive synth
@pytest.mark.parametrize("program", [0, 11, 19, 24, 33, 40, 56, 66, 73, 81, 89])
def test_additive_single_note_peaks_at_its_fundamental(program: int) -> None:
    audio = additive_synthesize(one_note(69, program=program), sample_rate=SR)
    assert abs(peak_hz(audio.samples, SR) - 440.0) < 440.0 * 0.02


@pytest.mark.parametrize("pitch", [33, 48, 60, 84, 96])
def test_additive_pitch_follows_the_note(pitch: int) -> None:
    f0 = 440.0 * 2 ** ((pitch - 69) / 12)
    audio = additive_synthesize(one_note(pitch, beats=2.0), sample_rate=SR)
    assert abs(peak_hz(audio.samples, SR) - f0) < f0 * 0.03 + 3.0


def test_additive_output_shape_level_and_duration() -> None:
    score = Score(
        tracks=[
            Track("Melody", 0, notes=[Note(60 + i, i * 480, 480, 90) for i in range(8)]),
            Track("Bass", 33, notes=[Note(36, i * 960, 960, 80) for i in range(4)]),
        ]
    )
    audio = additive_synthesize(score, sample_rate=SR)
    assert audio.samples.dtype == np.float32 and audio.samples.shape[1] == 2
    peak = float(np.max(np.abs(audio.samples)))
    assert 0.85 < peak <= 0.9  # about -1 dBFS, never clipped
    assert audio.rms_db() > -30.0
    tail = audio.duration - score.duration_seconds
    assert 0.0 < tail <= max(t.release for t in TIMBRES.values()) + 0.01


def test_additive_honours_the_tempo_map() -> None:
    # Beat 0 and beat 3; 60 qpm for two beats then 120 qpm: second note at 2.5 s, not 3.0 s.
    score = Score(
        tracks=[Track("P", 73, notes=[Note(72, 0, 480), Note(72, 3 * 480, 480)])],
        tempos=[TempoChange(0, 60.0), TempoChange(960, 120.0)],
    )
    x = additive_synthesize(score, sample_rate=SR).samples.mean(axis=1)

    def level(t0: float, t1: float) -> float:
        return rms(x[int(t0 * SR) : int(t1 * SR)])

    assert level(1.3, 2.45) < 1e-4  # flute released at 1.0 s + 0.12 s tail
    assert level(2.52, 2.9) > 0.05
    assert abs(len(x) / SR - (3.0 + TIMBRES["flute"].release)) < 0.01


def test_additive_velocity_sets_loudness() -> None:
    score = Score(tracks=[Track("P", 19, notes=[Note(60, 0, 480, 40), Note(60, 960, 480, 120)])])
    x = additive_synthesize(score, sample_rate=SR).samples.mean(axis=1)
    soft, loud = rms(x[: int(0.45 * SR)]), rms(x[int(1.0 * SR) : int(1.45 * SR)])
    assert loud > 3.0 * soft > 0.0


def test_additive_tracks_are_panned_apart() -> None:
    score = Score(
        tracks=[
            Track("Left", 19, notes=[Note(60, 0, 480)]),
            Track("Right", 19, notes=[Note(60, 1920, 480)]),
        ]
    )
    x = additive_synthesize(score, sample_rate=SR).samples
    first, second = x[: int(0.5 * SR)], x[int(2.0 * SR) : int(2.5 * SR)]
    assert rms(first[:, 0]) > 1.5 * rms(first[:, 1])
    assert rms(second[:, 1]) > 1.5 * rms(second[:, 0])


def test_additive_drums_kick_is_low_and_hihat_is_high() -> None:
    def drum(key: int) -> np.ndarray:
        s = Score(tracks=[Track("Drums", 0, True, notes=[Note(key, 0, 120, 110)])])
        return additive_synthesize(s, sample_rate=SR).samples.mean(axis=1)

    kick, hat = drum(36), drum(42)
    assert peak_hz(kick, SR) < 200.0
    spec = np.abs(np.fft.rfft(hat))
    centroid = float(np.sum(np.fft.rfftfreq(len(hat), 1 / SR) * spec) / np.sum(spec))
    assert centroid > 3000.0
    assert rms(kick) > 0.01 and rms(hat) > 0.001


def test_additive_is_deterministic_and_finite() -> None:
    score = Score(
        tracks=[
            Track(
                "Drums", 0, True, notes=[Note(k, i * 240, 120) for i, k in enumerate([36, 38] * 4)]
            ),
            Track("Lead", 80, notes=[Note(127, 0, 480), Note(0, 480, 480)]),
        ]
    )
    a = additive_synthesize(score, sample_rate=SR)
    b = additive_synthesize(score, sample_rate=SR)
    np.testing.assert_array_equal(a.samples, b.samples)
    assert np.all(np.isfinite(a.samples))


def test_timbre_for_program_families_and_errors() -> None:
    assert timbre_for_program(0).name == "piano"
    assert timbre_for_program(19).name == "organ"
    assert timbre_for_program(25).name == "guitar"
    with pytest.raises(InvalidInputError, match=r"0\.\.127"):
        timbre_for_program(128)


# ---------------------------------------------------------------------------- synthesize()
def test_synthesize_rejects_empty_score_and_unknown_backend() -> None:
    with pytest.raises(InvalidInputError, match="no notes to render"):
        synthesize(Score(tracks=[Track("Empty")]), backend="additive")
    with pytest.raises(InvalidInputError, match="unknown audio backend 'mp3synth'"):
        synthesize(one_note(), backend="mp3synth")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="sample_rate"):
        synthesize(one_note(), backend="additive", sample_rate=100)
    with pytest.raises(InvalidInputError, match="expected a muselab Score"):
        synthesize("not a score", backend="additive")  # type: ignore[arg-type]


def test_auto_falls_back_with_exactly_one_warning(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no fluidsynth program on PATH
    score = Score(tracks=[Track("M", 0, notes=[Note(60 + i, i * 240, 240) for i in range(12)])])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        audio = synthesize(score, sample_rate=SR)
    assert [str(w.message) for w in caught] == [FALLBACK_WARNING]
    assert caught[0].category is RuntimeWarning
    assert caught[0].filename == __file__  # points at the caller, not at muselab
    np.testing.assert_array_equal(audio.samples, additive_synthesize(score, sample_rate=SR).samples)


def test_fluidsynth_backend_without_program_is_a_render_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RenderError, match="fluidsynth program is not on PATH"):
        synthesize(one_note(), backend="fluidsynth")


def test_find_soundfont_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    mine = tmp_path / "mine.sf2"
    mine.write_bytes(b"RIFF")
    monkeypatch.setenv(SOUNDFONT_ENV, str(mine))
    assert find_soundfont() == mine
    other = tmp_path / "other.sf2"
    other.write_bytes(b"RIFF")
    assert find_soundfont(other) == other
    with pytest.raises(InvalidInputError, match="SoundFont not found"):
        find_soundfont(tmp_path / "missing.sf2")
    monkeypatch.setenv(SOUNDFONT_ENV, str(tmp_path / "gone.sf2"))
    assert find_soundfont() != tmp_path / "gone.sf2"


@needs_fluid
def test_fluidsynth_renders_the_note_in_tune() -> None:
    score = one_note(69, beats=2.0)
    audio = synthesize(score, backend="fluidsynth", sample_rate=SR, soundfont=small_soundfont())
    assert audio.sample_rate == SR and audio.samples.shape[1] == 2
    assert abs(peak_hz(audio.samples, SR) - 440.0) < 440.0 * 0.02
    peak_db = 20 * np.log10(float(np.max(np.abs(audio.samples))))
    assert -3.0 <= peak_db <= -0.9
    assert score.duration_seconds < audio.duration <= score.duration_seconds + TAIL_SECONDS + 0.01


@needs_fluid
def test_fluidsynth_multitrack_with_drums_and_tempo_change() -> None:
    score = Score(
        tracks=[
            Track("Melody", 73, notes=[Note(72 + i % 5, i * 480, 480, 90) for i in range(8)]),
            Track("Drums", 0, True, notes=[Note(36, i * 480, 120, 100) for i in range(8)]),
        ],
        tempos=[TempoChange(0, 120.0), TempoChange(1920, 60.0)],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # auto must pick FluidSynth here: no fallback warning
        audio = synthesize(score, sample_rate=SR)
    assert score.duration_seconds == pytest.approx(6.0)
    assert 6.0 < audio.duration <= 6.0 + TAIL_SECONDS + 0.01
    assert audio.rms_db() > -35.0


@needs_fluid
def test_fluidsynth_bad_soundfont_is_a_render_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sf2"
    bad.write_bytes(b"this is not a soundfont")
    with pytest.raises(RenderError, match=r"FluidSynth failed: .*not a SoundFont"):
        synthesize(one_note(), backend="fluidsynth", soundfont=bad, sample_rate=SR)
    with pytest.raises(InvalidInputError, match=r"8000\.\.96000"):
        synthesize(one_note(), backend="fluidsynth", sample_rate=192000)


# ---------------------------------------------------------------------------- audio files
@pytest.mark.parametrize("ext", [".wav", ".flac"])
def test_write_read_round_trip(tmp_path: Path, ext: str) -> None:
    rng = np.random.default_rng(0)
    samples = (rng.uniform(-0.9, 0.9, size=(2000, 2))).astype(np.float32)
    out = write_audio(Audio(samples, 16000), tmp_path / f"x{ext}")
    back = read_audio(out)
    assert back.sample_rate == 16000 and back.samples.shape == (2000, 2)
    np.testing.assert_allclose(back.samples, samples, atol=2.0 / 32768)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"x{ext}"]  # no temp files left


def test_write_audio_clips_and_reads_mono(tmp_path: Path) -> None:
    out = write_audio(Audio(np.array([2.0, -2.0, 0.5], dtype=np.float32), 8000), tmp_path / "m.wav")
    back = read_audio(out)
    assert back.samples.ndim == 1
    np.testing.assert_allclose(back.samples, [1.0, -1.0, 0.5], atol=1e-4)


def test_audio_file_errors(tmp_path: Path) -> None:
    a = Audio(np.zeros((10, 2), np.float32), 8000)
    with pytest.raises(UnsupportedFormatError, match=r"'\.mp3'.*\.wav, \.flac"):
        write_audio(a, tmp_path / "x.mp3")
    with pytest.raises(InvalidInputError, match="does not exist"):
        write_audio(a, tmp_path / "nope" / "x.wav")
    with pytest.raises(InvalidInputError, match="not found"):
        read_audio(tmp_path / "missing.wav")
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF....WAVEgarbage")
    with pytest.raises(CorruptFileError, match=r"cannot read 'bad\.wav' as audio"):
        read_audio(bad)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.wav"]


def test_render_audio_writes_a_playable_file(tmp_path: Path) -> None:
    score = Score(tracks=[Track("M", 0, notes=[Note(60 + i, i * 480, 480) for i in range(4)])])
    out = render_audio(score, tmp_path / "song.flac", backend="additive", sample_rate=SR)
    back = read_audio(out)
    assert back.sample_rate == SR and back.n_channels == 2
    assert 2.0 < back.duration < 2.5
    assert back.rms_db() > -30.0
    with pytest.raises(UnsupportedFormatError, match=r"\.ogg"):
        render_audio(score, tmp_path / "song.ogg", backend="additive")
