"""Tempo, beats and onsets from an onset-strength envelope.

The beat tracker is librosa's dynamic-programming tracker (Ellis 2007).  Two things are
added around it:

- **tempo**: the autocorrelation tempogram is computed in chunks (bounded memory for
  hour-long files), averaged, and weighted with a log-normal prior centred on
  ``start_bpm``; the octave decision uses the prior plus the strength of the half and
  double tempo (so a 6/8 jig is counted in dotted quarters, not in eighths);
- **tempo drift**: a local tempo curve (the tempogram peak near the global tempo,
  median-smoothed over several seconds) is passed to the tracker as a per-frame tempo,
  so that beats follow a performance that speeds up or slows down.

Examples
--------
>>> import numpy as np
>>> env = np.zeros(1000, dtype=np.float32); env[::22] = 1.0   # 22 frames = 0.51 s
>>> round(estimate_tempo(env, sr=22050, hop_length=512).bpm)
117
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from muselab.errors import InvalidInputError

__all__ = ["TempoEstimate", "detect_onsets", "estimate_tempo", "local_tempo", "track_beats"]

_WIN = 384  # tempogram window in frames (about 8.9 s at 22050 / 512)
_CHUNK_FRAMES = 16384
_MIN_BPM, _MAX_BPM = 40.0, 240.0

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class TempoEstimate:
    """Global tempo (BPM) with the tempogram it came from.

    ``strength`` is the normalised autocorrelation at the chosen lag (0..1): how
    periodic the onsets are, a "beat strength" feature.
    """

    bpm: float
    strength: float
    bpms: F64  # tempo of every tempogram row
    mean_tempogram: F64  # mean autocorrelation per row
    columns: F64  # (rows, k): the tempogram about once per second, for local tempo
    column_frames: NDArray[np.int64]  # (k,): the frame of each column


def _tempogram(env: F32, frame_rate: float) -> tuple[F64, F64, F64, NDArray[np.int64]]:
    """Autocorrelation tempogram computed chunk-wise (bounded memory).

    Returns the row tempi, the mean over time, and every ``round(frame_rate)``-th column
    (about one per second) with its frame index.
    """
    import librosa

    step = max(1, round(frame_rate))
    acc = np.zeros(_WIN)
    n = 0
    cols: list[F64] = []
    where: list[NDArray[np.int64]] = []
    for start in range(0, max(env.size, 1), _CHUNK_FRAMES):
        lo = max(0, start - _WIN // 2)
        seg = env[lo : start + _CHUNK_FRAMES + _WIN // 2]
        if seg.size < 2:
            continue
        tg = librosa.feature.tempogram(
            onset_envelope=seg, sr=frame_rate, hop_length=1, win_length=_WIN
        )
        own = tg[:, start - lo : start - lo + min(_CHUNK_FRAMES, env.size - start)]
        acc += own.sum(axis=1)
        n += own.shape[1]
        first = (-start) % step
        cols.append(own[:, first::step])
        where.append(start + np.arange(first, own.shape[1], step))
    bpms = librosa.tempo_frequencies(_WIN, sr=frame_rate, hop_length=1)
    columns = np.concatenate(cols, axis=1) if cols else np.zeros((_WIN, 0))
    frames = np.concatenate(where) if where else np.zeros(0, dtype=np.int64)
    return bpms, acc / max(n, 1), columns, frames


def estimate_tempo(
    onset_env: F32,
    *,
    sr: int,
    hop_length: int,
    start_bpm: float = 110.0,
    std_octaves: float = 1.0,
) -> TempoEstimate:
    """Global tempo of an onset envelope.

    Parameters
    ----------
    onset_env : np.ndarray [shape=(n,)]
        Onset strength per frame (e.g. :func:`librosa.onset.onset_strength`).
    sr, hop_length : int
        Audio rate and hop: the frame rate is ``sr / hop_length``.
    start_bpm : float
        Centre of the log-normal tempo prior.
    std_octaves : float
        Width of the prior in octaves.

    Returns
    -------
    TempoEstimate
        ``bpm == 0`` when the envelope has no periodicity at all (e.g. silence).
    """
    env = np.asarray(onset_env, dtype=np.float32)
    if env.ndim != 1:
        raise InvalidInputError(f"onset_env must be 1-D, got shape {env.shape}")
    frame_rate = sr / hop_length
    bpms, mean_tg, cols, col_frames = _tempogram(env, frame_rate)
    valid = (bpms >= _MIN_BPM) & (bpms <= _MAX_BPM)
    if not np.any(mean_tg[valid] > 1e-6):
        return TempoEstimate(0.0, 0.0, bpms, mean_tg, cols, col_frames)
    with np.errstate(divide="ignore"):
        logprior = -0.5 * ((np.log2(bpms) - np.log2(start_bpm)) / std_octaves) ** 2
    score = np.where(valid, np.log(np.maximum(mean_tg, 1e-10)) + logprior, -np.inf)
    best = int(np.argmax(score))
    # refine the lag by parabolic interpolation on the autocorrelation
    bpm = float(bpms[best])
    if 0 < best < len(mean_tg) - 1:
        a, b, c = mean_tg[best - 1 : best + 2]
        denom = a - 2 * b + c
        if denom < 0:
            delta = 0.5 * (a - c) / denom
            lag = best + float(np.clip(delta, -0.5, 0.5))
            bpm = 60.0 * frame_rate / lag
    strength = float(mean_tg[best] / max(mean_tg[0], 1e-10))
    return TempoEstimate(bpm, float(np.clip(strength, 0, 1)), bpms, mean_tg, cols, col_frames)


def local_tempo(
    onset_env: F32,
    bpm: float,
    *,
    sr: int,
    hop_length: int,
    max_ratio: float = 1.3,
    smooth_seconds: float = 8.0,
    tempo: TempoEstimate | None = None,
) -> F64:
    """Per-frame tempo near ``bpm`` (within a factor ``max_ratio``), for drifting tempo.

    Parameters
    ----------
    onset_env : np.ndarray [shape=(n,)]
    bpm : float
        Global tempo (from :func:`estimate_tempo`).
    max_ratio : float
        Local tempo stays within ``bpm / max_ratio .. bpm * max_ratio``.
    smooth_seconds : float
        Median filter length over the per-second peaks.
    tempo : TempoEstimate, optional
        The global estimate of the same envelope: its tempogram columns are reused.

    Returns
    -------
    np.ndarray [shape=(n,)]
        BPM per frame; constant ``bpm`` where the onsets are not periodic.
    """
    import scipy.ndimage

    env = np.asarray(onset_env, dtype=np.float32)
    if tempo is None:
        bpms, _, cols, frames = _tempogram(env, sr / hop_length)
    else:
        bpms, cols, frames = tempo.bpms, tempo.columns, tempo.column_frames
    rows = np.nonzero((bpms >= bpm / max_ratio) & (bpms <= bpm * max_ratio))[0]
    if rows.size < 3 or env.size < _WIN or frames.size == 0:
        return np.full(env.size, bpm)
    sub = cols[rows]
    k = np.argmax(sub, axis=0)
    strong = sub[k, np.arange(sub.shape[1])] > 0.1 * np.maximum(cols[0], 1e-10)
    inner = (k > 0) & (k < rows.size - 1)
    peaks = np.where(strong & inner, bpms[rows[k]], bpm)
    size = max(1, round(smooth_seconds))
    peaks = scipy.ndimage.median_filter(peaks, size=size, mode="nearest")
    return np.asarray(np.interp(np.arange(env.size), frames, peaks), dtype=np.float64)


def track_beats(
    onset_env: F32,
    *,
    sr: int,
    hop_length: int,
    bpm: float | F64,
    tightness: float = 100.0,
) -> F64:
    """Beat times (s) from an onset envelope and a (global or per-frame) tempo.

    Parameters
    ----------
    onset_env : np.ndarray [shape=(n,)]
    bpm : float or np.ndarray [shape=(n,)]
        Global tempo, or one tempo per frame (see :func:`local_tempo`).
    tightness : float
        How strictly beats keep the tempo (librosa's parameter).

    Returns
    -------
    np.ndarray [shape=(k,)]
        Beat times in seconds; empty when ``bpm`` is 0 or the envelope is flat.
    """
    import librosa

    env = np.asarray(onset_env, dtype=np.float32)
    b = np.asarray(bpm, dtype=np.float64)
    if env.size < 4 or np.any(b <= 0) or not np.any(env > 0):
        return np.zeros(0)
    _, frames = librosa.beat.beat_track(
        onset_envelope=env,
        sr=sr,
        hop_length=hop_length,
        bpm=b if b.ndim == 0 else b.astype(np.float64),
        tightness=tightness,
        units="frames",
    )
    return np.asarray(frames, dtype=np.float64) * hop_length / sr


def detect_onsets(onset_env: F32, *, sr: int, hop_length: int, delta: float = 0.07) -> F64:
    """Onset times (s): peaks of the normalised envelope (librosa's peak picker).

    Parameters
    ----------
    onset_env : np.ndarray [shape=(n,)]
    delta : float
        Threshold above the local mean, relative to the envelope's maximum.

    Returns
    -------
    np.ndarray [shape=(k,)]
    """
    import librosa

    env = np.asarray(onset_env, dtype=np.float32)
    if env.size < 3 or not np.any(env > 0):
        return np.zeros(0)
    norm = env / np.percentile(env, 99.5) if np.percentile(env, 99.5) > 0 else env
    frames = librosa.onset.onset_detect(
        onset_envelope=np.minimum(norm, 1.0),
        sr=sr,
        hop_length=hop_length,
        delta=delta,
        normalize=False,
        backtrack=False,
    )
    return np.asarray(frames, dtype=np.float64) * hop_length / sr
