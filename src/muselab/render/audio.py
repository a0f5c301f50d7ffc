"""Scores to audio: FluidSynth with a General MIDI SoundFont, or the built-in synthesiser.

:func:`synthesize` turns a :class:`~muselab.core.Score` into :class:`~muselab.core.Audio`;
:func:`write_audio` / :func:`read_audio` move audio to and from ``.wav``/``.flac`` files;
:func:`render_audio` does both in one call.

Backends
--------
``"fluidsynth"``
    Writes the score as a Standard MIDI File and runs the ``fluidsynth`` program
    with a General MIDI SoundFont (see :func:`~muselab.render.soundfont.find_soundfont`).
    Real instrument samples; needs ``apt install fluidsynth fluid-soundfont-gm``.
``"additive"``
    :func:`muselab.render.synth.additive_synthesize`, pure NumPy, always available.
``"auto"``
    FluidSynth when both the program and a SoundFont are found, else the additive
    synthesiser with one :class:`RuntimeWarning`.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import warnings
from pathlib import Path
from typing import Literal

import numpy as np
import soundfile
from numpy.typing import NDArray

from muselab.core import Audio, Score
from muselab.errors import (
    CorruptFileError,
    InvalidInputError,
    RenderError,
    UnsupportedFormatError,
)
from muselab.io.atomic import atomic_path
from muselab.render.soundfont import find_fluidsynth, find_soundfont
from muselab.render.synth import PEAK_DBFS, additive_synthesize

__all__ = [
    "AUDIO_FORMATS",
    "BACKENDS",
    "read_audio",
    "render_audio",
    "synthesize",
    "write_audio",
]

Backend = Literal["auto", "fluidsynth", "additive"]
BACKENDS: tuple[str, ...] = ("auto", "fluidsynth", "additive")
AUDIO_FORMATS: dict[str, str] = {".wav": "WAV", ".flac": "FLAC"}
"""Extensions :func:`write_audio` writes, with their soundfile format names (16-bit PCM)."""

FALLBACK_WARNING = (
    "FluidSynth not found: using muselab's built-in synthesiser; "
    "install fluidsynth and fluid-soundfont-gm for General MIDI instruments"
)
TAIL_SECONDS = 1.5
"""FluidSynth output is cut this long after the last note ends (reverb tail)."""
FLUIDSYNTH_GAIN = 0.6
_SILENCE = 10.0 ** (-90.0 / 20.0)
_FLUID_SR = (8000, 96000)


def _check_score(score: object) -> Score:
    if not isinstance(score, Score):
        raise InvalidInputError(f"expected a muselab Score, got {type(score).__name__}")
    if score.n_notes == 0:
        raise InvalidInputError("score has no notes to render")
    return score


def _normalise(x: NDArray[np.float32]) -> NDArray[np.float32]:
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak <= 0.0:
        return x
    return np.asarray(x * (10.0 ** (PEAK_DBFS / 20.0) / peak), dtype=np.float32)


def _trim_tail(x: NDArray[np.float32], sr: int, end_sec: float) -> NDArray[np.float32]:
    """Cut ``x`` at most :data:`TAIL_SECONDS` after ``end_sec``, dropping trailing silence."""
    keep = min(len(x), int(np.ceil((end_sec + TAIL_SECONDS) * sr)))
    floor = int(np.ceil(end_sec * sr))
    loud = np.nonzero(np.max(np.abs(x[:keep]), axis=1) > _SILENCE)[0]
    last = int(loud[-1]) + 1 if len(loud) else 0
    keep = max(min(keep, max(last, floor)), 1)
    out = np.array(x[:keep], dtype=np.float32)
    fade = min(keep, int(0.05 * sr))  # never end on a click
    if fade > 1:
        out[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)[:, None]
    return out


def _last_line(*texts: str) -> str:
    for text in texts:
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        if lines:
            return lines[-1]
    return "no message"


def _fluidsynth(score: Score, sample_rate: int, sf2: Path, exe: Path) -> Audio:
    """Render through the ``fluidsynth`` command-line program."""
    from muselab.io.midi import write_midi

    if not _FLUID_SR[0] <= sample_rate <= _FLUID_SR[1]:
        raise InvalidInputError(
            f"FluidSynth renders at {_FLUID_SR[0]}..{_FLUID_SR[1]} Hz, got sample_rate="
            f"{sample_rate}; pick a rate in that range or use backend='additive'"
        )
    end_sec = score.duration_seconds
    with tempfile.TemporaryDirectory(prefix="muselab-fluid-") as tmp:
        mid = write_midi(score, Path(tmp) / "in.mid")
        wav = Path(tmp) / "out.wav"
        cmd = [
            str(exe), "-ni", "-q", "-F", str(wav), "-T", "wav", "-O", "float",
            "-r", str(sample_rate), "-g", str(FLUIDSYNTH_GAIN), str(sf2), str(mid),
        ]  # fmt: skip
        try:
            proc = subprocess.run(
                cmd,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=60.0 + 2.0 * end_sec,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise RenderError(
                f"FluidSynth took longer than {exc.timeout:.0f} s on a {end_sec:.1f} s score; "
                "try backend='additive'"
            ) from exc
        except OSError as exc:
            raise RenderError(f"could not run FluidSynth ({exe}): {exc}") from exc
        # A bad SoundFont is reported on stderr but FluidSynth then plays its built-in
        # default instead and exits 0: treat any reported error as a failure.
        failed = any(
            ln.lower().startswith("fluidsynth: error") or "not a soundfont" in ln.lower()
            for ln in proc.stderr.splitlines()
        )
        if failed or proc.returncode != 0 or not wav.is_file():
            code = f" (exit code {proc.returncode})" if proc.returncode else ""
            raise RenderError(f"FluidSynth failed{code}: {_last_line(proc.stderr, proc.stdout)}")
        samples, sr = soundfile.read(wav, dtype="float32", always_2d=True)
    if samples.shape[1] == 1:
        samples = np.repeat(samples, 2, axis=1)
    samples = samples[:, :2]
    if not np.any(np.abs(samples) > _SILENCE):
        raise RenderError(
            f"FluidSynth rendered silence with SoundFont {str(sf2)!r}: "
            f"{_last_line(proc.stderr, proc.stdout)}"
        )
    samples = _normalise(_trim_tail(samples, int(sr), end_sec))
    return Audio(samples, int(sr))


def _synthesize(
    score: Score,
    sample_rate: int,
    soundfont: str | os.PathLike[str] | None,
    backend: str,
    level: int,
) -> Audio:
    if backend not in BACKENDS:
        raise InvalidInputError(
            f"unknown audio backend {backend!r}; choose one of {', '.join(BACKENDS)}"
        )
    _check_score(score)
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int):
        raise InvalidInputError(f"sample_rate must be an integer in Hz, got {sample_rate!r}")
    if backend == "additive":
        return additive_synthesize(score, sample_rate=sample_rate)
    sf2 = find_soundfont(soundfont)
    exe = find_fluidsynth()
    if backend == "fluidsynth":
        if exe is None:
            raise RenderError(
                "the fluidsynth program is not on PATH; install it (apt install fluidsynth) "
                "or use backend='additive'"
            )
        if sf2 is None:
            raise RenderError(
                "no General MIDI SoundFont found; install fluid-soundfont-gm, set "
                "MUSELAB_SOUNDFONT or pass soundfont=..."
            )
        return _fluidsynth(score, sample_rate, sf2, exe)
    if exe is not None and sf2 is not None:
        return _fluidsynth(score, sample_rate, sf2, exe)
    warnings.warn(FALLBACK_WARNING, RuntimeWarning, stacklevel=level + 1)
    return additive_synthesize(score, sample_rate=sample_rate)


def synthesize(
    score: Score,
    *,
    sample_rate: int = 44100,
    soundfont: str | os.PathLike[str] | None = None,
    backend: Backend = "auto",
) -> Audio:
    """Render a score to stereo audio.

    Parameters
    ----------
    score : Score
        The music; it must contain at least one note.  Track programs choose General
        MIDI instruments; ``is_drum`` tracks play on the percussion channel.
    sample_rate : int
        Output rate in Hz (FluidSynth: 8000..96000; additive: 8000..192000).
    soundfont : str or PathLike, optional
        SoundFont for FluidSynth; default: :func:`~muselab.render.soundfont.find_soundfont`.
    backend : {"auto", "fluidsynth", "additive"}
        See the module docstring.  ``"auto"`` falls back to ``"additive"`` with a
        :class:`RuntimeWarning` when FluidSynth or a SoundFont is missing.

    Returns
    -------
    Audio
        float32 samples [shape=(n, 2)] peaking at about -1 dBFS.  ``n`` covers the
        score's duration plus a short release/reverb tail (at most 1.5 s).

    Raises
    ------
    InvalidInputError
        Empty score, unknown backend, bad sample rate or missing ``soundfont`` file.
    RenderError
        ``backend="fluidsynth"`` and FluidSynth is missing or fails.

    Examples
    --------
    >>> from muselab import Score, Track, Note
    >>> s = Score(tracks=[Track("Melody", notes=[Note(60, 0, 480), Note(64, 480, 480)])])
    >>> audio = synthesize(s, backend="additive")
    >>> audio.n_channels, audio.sample_rate
    (2, 44100)
    """
    return _synthesize(score, sample_rate, soundfont, backend, level=2)


def _audio_format(path: Path) -> str:
    ext = path.suffix.lower()
    if ext not in AUDIO_FORMATS:
        raise UnsupportedFormatError(
            f"cannot write audio as {ext or 'a file without an extension'!r} ({path.name}); "
            f"muselab writes {', '.join(AUDIO_FORMATS)}"
        )
    return AUDIO_FORMATS[ext]


def write_audio(audio: Audio, path: str | os.PathLike[str]) -> Path:
    """Write audio to a 16-bit ``.wav`` or ``.flac`` file, atomically.

    Parameters
    ----------
    audio : Audio
        Samples outside -1..1 are clipped.
    path : str or PathLike
        Target file; the extension picks the format.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    UnsupportedFormatError
        The extension is not ``.wav`` or ``.flac``.

    Examples
    --------
    >>> import numpy as np
    >>> from muselab import Audio
    >>> write_audio(Audio(np.zeros(100, np.float32), 8000), "quiet.wav")  # doctest: +SKIP
    PosixPath('quiet.wav')
    """
    if not isinstance(audio, Audio):
        raise InvalidInputError(f"expected a muselab Audio, got {type(audio).__name__}")
    p = Path(path)
    fmt = _audio_format(p)
    if audio.n_samples == 0:
        raise InvalidInputError("audio has no samples to write")
    data = np.clip(audio.samples, -1.0, 1.0)
    with atomic_path(p) as tmp:
        soundfile.write(tmp, data, int(audio.sample_rate), subtype="PCM_16", format=fmt)
    return p


def read_audio(path: str | os.PathLike[str]) -> Audio:
    """Read an audio file (anything libsndfile reads: WAV, FLAC, OGG, AIFF, ...).

    Parameters
    ----------
    path : str or PathLike

    Returns
    -------
    Audio
        float32 samples [shape=(n,)] for mono files, [shape=(n, channels)] otherwise.

    Raises
    ------
    InvalidInputError
        The file does not exist or is a folder.
    CorruptFileError
        The file is not readable audio.

    Examples
    --------
    >>> audio = read_audio("song.wav")  # doctest: +SKIP
    """
    p = Path(path)
    if not p.exists():
        raise InvalidInputError(f"audio file not found: {str(p)!r}")
    if p.is_dir():
        raise InvalidInputError(f"{str(p)!r} is a folder, expected an audio file")
    try:
        samples, sr = soundfile.read(p, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, ValueError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CorruptFileError(f"cannot read {p.name!r} as audio: {detail}") from exc
    if samples.shape[1] == 1:
        samples = samples[:, 0]
    return Audio(np.ascontiguousarray(samples), int(sr))


def render_audio(
    score: Score,
    path: str | os.PathLike[str],
    *,
    sample_rate: int = 44100,
    soundfont: str | os.PathLike[str] | None = None,
    backend: Backend = "auto",
) -> Path:
    """Synthesise ``score`` (see :func:`synthesize`) and write it to ``path`` (.wav or .flac).

    Examples
    --------
    >>> render_audio(score, "song.wav")  # doctest: +SKIP
    PosixPath('song.wav')
    """
    p = Path(path)
    _audio_format(p)  # fail before the expensive part
    audio = _synthesize(score, sample_rate, soundfont, backend, level=2)
    return write_audio(audio, p)
