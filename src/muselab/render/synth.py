"""muselab's built-in additive synthesiser: a dependency-free fallback for FluidSynth.

Every note is a handful of (slightly inharmonic, per-partial decaying) sine partials
under an ADSR envelope, with a timbre chosen from the track's General MIDI family
(piano, mallets, organ, guitar, bass, strings, brass, reeds, flutes, synths).  Drum
tracks get simple percussion: pitch-swept sines for kicks and toms, filtered noise
bursts for snares, hats and cymbals.  Tracks are panned slightly apart, the tempo map
is honoured through :meth:`~muselab.core.Score.ticks_to_seconds`, and the mix is
peak-normalised to about -1 dBFS.

It does not try to sound like a sampled instrument; it sounds like clear, in-tune
music, which is what a preview without FluidSynth needs.  All the work is vectorised
per note with NumPy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from muselab.core import Audio, Score
from muselab.errors import InvalidInputError

__all__ = ["TIMBRES", "Timbre", "additive_synthesize", "timbre_for_program"]

PEAK_DBFS = -1.0
_MIN_SR, _MAX_SR = 8000, 192000


@dataclass(frozen=True, slots=True)
class Timbre:
    """How one instrument family sounds.

    Parameters
    ----------
    name : str
        Family name (``"piano"``, ``"organ"``, ...).
    ratios : tuple of float
        Partial frequencies as multiples of the fundamental.
    amps : tuple of float
        Relative amplitude of each partial (same length as ``ratios``).
    partial_decay : float
        Extra exponential decay per partial index, in 1/s (higher partials die first,
        as in struck and plucked strings).
    attack : float
        Attack time in seconds.
    decay : float
        Time constant in seconds of the fall from peak towards ``sustain``.
    sustain : float
        Level held while the key is down (0 = the sound dies away by itself).
    release : float
        Fade-out time in seconds after the note ends.
    inharmonicity : float
        Stiff-string coefficient B: partial k sounds at ``k f sqrt(1 + B k^2)``.
    vibrato : float
        Vibrato depth as a fraction of the frequency (0.003 is about 5 cents).
    pitch_decay : bool
        If True the decay time shrinks for high notes, as on a piano.
    """

    name: str
    ratios: tuple[float, ...]
    amps: tuple[float, ...]
    partial_decay: float = 0.0
    attack: float = 0.005
    decay: float = 1.0
    sustain: float = 0.0
    release: float = 0.2
    inharmonicity: float = 0.0
    vibrato: float = 0.0
    pitch_decay: bool = False


def _saw(n: int, rolloff: float = 1.0) -> tuple[tuple[float, ...], tuple[float, ...]]:
    ks = tuple(float(k) for k in range(1, n + 1))
    return ks, tuple(1.0 / k**rolloff for k in ks)


TIMBRES: dict[str, Timbre] = {
    "piano": Timbre(
        "piano", *_saw(8, 1.6), partial_decay=1.2, attack=0.004, decay=1.4, sustain=0.0,
        release=0.25, inharmonicity=0.0004, pitch_decay=True,
    ),
    "mallet": Timbre(
        "mallet", (1.0, 4.0, 9.8), (1.0, 0.25, 0.06), partial_decay=6.0, attack=0.002,
        decay=0.7, sustain=0.0, release=0.3, pitch_decay=True,
    ),
    "organ": Timbre(
        "organ", (0.5, 1.0, 2.0, 3.0, 4.0, 6.0), (0.35, 1.0, 0.6, 0.3, 0.2, 0.08),
        attack=0.012, decay=0.2, sustain=0.85, release=0.07,
    ),
    "guitar": Timbre(
        "guitar", *_saw(7, 1.3), partial_decay=2.5, attack=0.003, decay=0.9, sustain=0.0,
        release=0.12, inharmonicity=0.0001, pitch_decay=True,
    ),
    "bass": Timbre(
        "bass", (1.0, 2.0, 3.0, 4.0, 5.0), (1.0, 0.55, 0.25, 0.12, 0.05), partial_decay=1.5,
        attack=0.006, decay=0.8, sustain=0.35, release=0.09,
    ),
    "strings": Timbre(
        "strings", *_saw(8, 1.2), attack=0.09, decay=0.4, sustain=0.85, release=0.3,
        vibrato=0.0035,
    ),
    "brass": Timbre(
        "brass", (1.0, 2.0, 3.0, 4.0, 5.0, 6.0), (1.0, 0.8, 0.55, 0.4, 0.25, 0.15),
        attack=0.04, decay=0.3, sustain=0.8, release=0.12, vibrato=0.002,
    ),
    "reed": Timbre(
        "reed", (1.0, 2.0, 3.0, 4.0, 5.0, 7.0), (1.0, 0.1, 0.55, 0.08, 0.3, 0.15),
        attack=0.03, decay=0.3, sustain=0.85, release=0.1, vibrato=0.0025,
    ),
    "flute": Timbre(
        "flute", (1.0, 2.0, 3.0), (1.0, 0.18, 0.06), attack=0.05, decay=0.3, sustain=0.9,
        release=0.12, vibrato=0.004,
    ),
    "lead": Timbre(
        "lead", *_saw(10, 1.0), attack=0.01, decay=0.3, sustain=0.75, release=0.1,
        vibrato=0.003,
    ),
    "pad": Timbre(
        "pad", (1.0, 2.0, 3.0, 4.0), (1.0, 0.35, 0.15, 0.06), attack=0.25, decay=0.6,
        sustain=0.85, release=0.5, vibrato=0.002,
    ),
}  # fmt: skip
"""The built-in timbres by family name."""

# General MIDI program // 8 -> timbre family.
_GM_FAMILY = (
    "piano", "mallet", "organ", "guitar", "bass", "strings", "strings", "brass",
    "reed", "flute", "lead", "pad", "pad", "guitar", "mallet", "pad",
)  # fmt: skip


def timbre_for_program(program: int) -> Timbre:
    """The built-in timbre used for a General MIDI program (0..127).

    Examples
    --------
    >>> timbre_for_program(0).name
    'piano'
    >>> timbre_for_program(33).name
    'bass'
    """
    if isinstance(program, bool) or not isinstance(program, int) or not 0 <= program <= 127:
        raise InvalidInputError(f"program must be a General MIDI program 0..127, got {program!r}")
    return TIMBRES[_GM_FAMILY[program // 8]]


# ---------------------------------------------------------------------------- pitched notes
def _midi_hz(pitch: int) -> float:
    return 440.0 * 2.0 ** ((pitch - 69) / 12.0)


def _envelope(t: NDArray[np.float64], dur: float, tb: Timbre, decay: float) -> NDArray[np.float64]:
    """ADSR amplitude at times ``t`` (seconds from onset) for a note held ``dur`` seconds."""

    def held(x: NDArray[np.float64]) -> NDArray[np.float64]:
        rise = np.clip(x / tb.attack, 0.0, 1.0)
        fall = tb.sustain + (1.0 - tb.sustain) * np.exp(-np.maximum(x - tb.attack, 0.0) / decay)
        return np.asarray(rise * fall, dtype=np.float64)

    env = held(np.minimum(t, dur))
    after = t > dur
    if np.any(after):
        x = np.clip((t[after] - dur) / tb.release, 0.0, 1.0)
        env[after] *= (1.0 - x) ** 2
    return env


def _pitched_note(pitch: int, dur: float, amp: float, tb: Timbre, sr: int) -> NDArray[np.float64]:
    """Mono samples of one note, including its release tail."""
    n = max(1, math.ceil((dur + tb.release) * sr))
    t = np.arange(n, dtype=np.float64) / sr
    f0 = _midi_hz(pitch)
    decay = tb.decay
    if tb.pitch_decay:
        decay *= float(np.clip(2.0 ** (-(pitch - 60) / 24.0), 0.25, 3.0))
    # Phase of the fundamental, with a gentle vibrato that fades in after 0.25 s.
    phase = 2.0 * np.pi * f0 * t
    if tb.vibrato > 0.0:
        rate = 5.5
        depth = tb.vibrato * np.clip(t / 0.25 - 0.5, 0.0, 1.0)
        phase = phase + depth * f0 / rate * (1.0 - np.cos(2.0 * np.pi * rate * t))
    wave = np.zeros(n, dtype=np.float64)
    nyquist = 0.45 * sr
    total = 0.0
    for k, (ratio, a) in enumerate(zip(tb.ratios, tb.amps, strict=True)):
        stretch = ratio * math.sqrt(1.0 + tb.inharmonicity * ratio * ratio)
        if f0 * stretch >= nyquist:
            continue
        part = np.sin(stretch * phase + 0.7 * k)
        if tb.partial_decay > 0.0 and k > 0:
            part *= np.exp(-tb.partial_decay * k * t)
        wave += a * part
        total += a
    if total == 0.0:  # every partial above Nyquist: nothing audible at this sample rate
        return wave
    return wave * (amp / total) * _envelope(t, dur, tb, decay)


# ---------------------------------------------------------------------------- drums
_KICKS = {35, 36}
_SNARES = {37, 38, 39, 40}
_CLOSED_HATS = {42, 44}
_CYMBALS = {46, 49, 51, 52, 53, 55, 57, 59}
_TOMS = {41, 43, 45, 47, 48, 50}


def _highpass(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """A crude first-difference high-pass, enough to make noise sound like metal."""
    return np.asarray(np.diff(x, prepend=0.0), dtype=np.float64)


def _drum_hit(pitch: int, amp: float, sr: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """Mono samples of one General MIDI percussion sound (by key number)."""
    if pitch in _KICKS:
        length = 0.35
    elif pitch in _CYMBALS:
        length = 1.2 if pitch != 46 else 0.45
    elif pitch in _CLOSED_HATS:
        length = 0.08
    else:
        length = 0.3
    n = int(length * sr)
    t = np.arange(n, dtype=np.float64) / sr
    if pitch in _KICKS or pitch in _TOMS:
        f_hi, f_lo = (
            (150.0, 48.0)
            if pitch in _KICKS
            else (90.0 + 14.0 * (pitch - 41), 60.0 + 10.0 * (pitch - 41))
        )
        freq_phase = f_lo * t + (f_hi - f_lo) * 0.03 * (1.0 - np.exp(-t / 0.03))
        body = np.sin(2.0 * np.pi * freq_phase) * np.exp(-t / (0.12 if pitch in _KICKS else 0.15))
        click = rng.standard_normal(n) * np.exp(-t / 0.003) * 0.3
        wave = body + click
    elif pitch in _SNARES:
        noise = _highpass(rng.standard_normal(n)) * 0.6 * np.exp(-t / 0.06)
        tone = np.sin(2.0 * np.pi * 185.0 * t) * np.exp(-t / 0.05)
        wave = noise + (0.6 * tone if pitch != 39 else 0.0)
    elif pitch in _CLOSED_HATS or pitch in _CYMBALS:
        noise = _highpass(_highpass(rng.standard_normal(n)))
        wave = 0.35 * noise * np.exp(-t / (0.02 if pitch in _CLOSED_HATS else length / 4.0))
    else:  # other percussion: a short band-limited noise tick with a pitched ring
        f = _midi_hz(pitch + 12)
        wave = 0.5 * np.sin(2.0 * np.pi * f * t) * np.exp(-t / 0.05)
        wave += 0.3 * _highpass(rng.standard_normal(n)) * np.exp(-t / 0.02)
    fade = np.minimum(1.0, (n - np.arange(n)) / (0.005 * sr))  # no click at the cut
    return np.asarray(wave * fade * amp, dtype=np.float64)


# ---------------------------------------------------------------------------- mixing
def _pans(score: Score) -> list[float]:
    """Pan position -1 (left) .. 1 (right) per track: pitched tracks spread, drums centred."""
    pitched = [i for i, t in enumerate(score.tracks) if not t.is_drum]
    pans = [0.0] * len(score.tracks)
    if len(pitched) > 1:
        for j, i in enumerate(pitched):
            pans[i] = -0.35 + 0.7 * j / (len(pitched) - 1)
    return pans


def additive_synthesize(score: Score, *, sample_rate: int = 44100, seed: int = 0) -> Audio:
    """Render a score with the built-in additive synthesiser.

    Parameters
    ----------
    score : Score
        Must contain at least one note.
    sample_rate : int
        Output rate in Hz, 8000..192000.
    seed : int
        Seed of the noise used by drum sounds (the result is deterministic).

    Returns
    -------
    Audio
        Stereo float32 samples [shape=(n, 2)] peaking at about -1 dBFS; ``n`` covers the
        score plus the release tail of its last notes.

    Examples
    --------
    >>> from muselab import Score, Track, Note
    >>> s = Score(tracks=[Track("Melody", notes=[Note(69, 0, 480)])])
    >>> a = additive_synthesize(s, sample_rate=22050)
    >>> a.n_channels, round(a.duration, 2)
    (2, 0.75)
    """
    if not isinstance(score, Score):
        raise InvalidInputError(f"expected a muselab Score, got {type(score).__name__}")
    if score.n_notes == 0:
        raise InvalidInputError("score has no notes to render")
    if (
        isinstance(sample_rate, bool)
        or not isinstance(sample_rate, int)
        or not _MIN_SR <= sample_rate <= _MAX_SR
    ):
        raise InvalidInputError(
            f"sample_rate must be an integer {_MIN_SR}..{_MAX_SR} Hz, got {sample_rate!r}"
        )
    sr = sample_rate
    rng = np.random.default_rng(seed)
    pans = _pans(score)

    # Render each note first, then size the buffer to hold every tail.
    pieces: list[tuple[int, NDArray[np.float64], float, float]] = []
    for ti, track in enumerate(score.tracks):
        if not track.notes:
            continue
        onsets = np.array([n.onset for n in track.notes], dtype=np.int64)
        ends = np.array([n.end for n in track.notes], dtype=np.int64)
        on_sec = score.ticks_to_seconds(onsets)
        dur_sec = score.ticks_to_seconds(ends) - on_sec
        theta = (pans[ti] + 1.0) * np.pi / 4.0  # equal-power pan law
        gl, gr = math.cos(theta), math.sin(theta)
        tb = None if track.is_drum else timbre_for_program(track.program)
        for note, on, dur in zip(track.notes, on_sec, dur_sec, strict=True):
            amp = (note.velocity / 127.0) ** 1.6
            if tb is None:
                wave = _drum_hit(note.pitch, 0.6 * amp, sr, rng)
            else:
                wave = _pitched_note(note.pitch, float(dur), amp, tb, sr)
            pieces.append((round(float(on) * sr), wave, gl, gr))

    total = max(start + len(w) for start, w, _, _ in pieces)
    out = np.zeros((total, 2), dtype=np.float64)
    for start, wave, gl, gr in pieces:
        seg = out[start : start + len(wave)]
        seg[:, 0] += wave * gl
        seg[:, 1] += wave * gr
    peak = float(np.max(np.abs(out)))
    if peak > 0.0:
        out *= 10.0 ** (PEAK_DBFS / 20.0) / peak
    return Audio(out.astype(np.float32), sr)
