"""Piano-roll pictures (PNG) drawn with matplotlib.

One colour per track (with a legend), velocity as opacity, bar lines from the
time-signature map, chord symbols along the top and note names on the pitch axis.
Figures are built with :class:`matplotlib.figure.Figure` directly, never through
``pyplot``, so rendering leaves no global state behind and is safe in a web server.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from muselab.core import Score
from muselab.errors import InvalidInputError, UnsupportedFormatError
from muselab.io.atomic import atomic_path

__all__ = ["TRACK_COLOURS", "chord_display_name", "render_pianoroll"]

TimeUnit = Literal["beats", "seconds"]

TRACK_COLOURS: tuple[str, ...] = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip
"""Track colours in order (matplotlib's ``tab10``), repeating after ten tracks."""

_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_QUALITY = {
    "maj": "", "min": "m", "7": "7", "maj7": "maj7", "min7": "m7", "dim": "dim",
    "aug": "+", "dim7": "dim7", "hdim7": "m7b5", "sus2": "sus2", "sus4": "sus4",
    "maj6": "6", "min6": "m6", "9": "9", "maj9": "maj9", "min9": "m9", "minmaj7": "m(maj7)",
    "5": "5", "1": "",
}  # fmt: skip


def chord_display_name(label: str) -> str:
    """Short lead-sheet spelling of a Harte chord label.

    Examples
    --------
    >>> [chord_display_name(x) for x in ("C:maj", "A:min", "G:7", "F#:hdim7", "D:maj/3", "N")]
    ['C', 'Am', 'G7', 'F#m7b5', 'D/3', 'N.C.']
    """
    if label.strip() in ("N", "X"):
        return "N.C."
    root, _, rest = label.partition(":")
    quality, slash, bass = rest.partition("/")
    shown = _QUALITY.get(quality, quality)
    return f"{root}{shown}{slash}{bass}"


def _bar_lines(score: Score, end_tick: int) -> list[int]:
    """Ticks of every bar line from 0 to ``end_tick``, following time-signature changes."""
    changes = sorted({0, *(ts.tick for ts in score.time_signatures if ts.tick < end_tick)})
    lines: list[int] = []
    for i, start in enumerate(changes):
        stop = changes[i + 1] if i + 1 < len(changes) else end_tick + 1
        step = max(1, score.bar_ticks(start))
        lines.extend(range(start, stop, step))
    return lines


def _to_unit(score: Score, ticks: np.ndarray, unit: TimeUnit) -> np.ndarray:
    if unit == "beats":
        return np.asarray(ticks, dtype=np.float64) / score.ticks_per_beat
    return np.asarray(score.ticks_to_seconds(ticks), dtype=np.float64)


def _check_positive_int(name: str, value: object, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InvalidInputError(f"{name} must be an integer {lo}..{hi}, got {value!r}")
    return value


def render_pianoroll(
    score: Score,
    path: str | os.PathLike[str],
    *,
    time_unit: TimeUnit = "beats",
    width: int = 1600,
    height: int = 600,
    dpi: int = 100,
    title: str | None = None,
) -> Path:
    """Draw ``score`` as a piano roll and save it as a PNG, atomically.

    Parameters
    ----------
    score : Score
        Must contain at least one note.
    path : str or PathLike
        Target file, ending in ``.png``.
    time_unit : {"beats", "seconds"}
        Horizontal axis: quarter-note beats or seconds (through the tempo map).
    width, height : int
        Image size in pixels (the PNG is exactly this size).
    dpi : int
        Dots per inch; larger values draw larger text at the same pixel size.
    title : str, optional
        Defaults to the score's title, or "Piano roll".

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    InvalidInputError
        Empty score or a bad option.
    UnsupportedFormatError
        ``path`` does not end in ``.png``.

    Examples
    --------
    >>> render_pianoroll(score, "roll.png", time_unit="seconds")  # doctest: +SKIP
    PosixPath('roll.png')
    """
    if not isinstance(score, Score):
        raise InvalidInputError(f"expected a muselab Score, got {type(score).__name__}")
    p = Path(path)
    if p.suffix.lower() != ".png":
        raise UnsupportedFormatError(
            f"piano rolls are written as .png, got {p.suffix or 'no extension'!r} ({p.name}); "
            "use a file name ending in .png"
        )
    if time_unit not in ("beats", "seconds"):
        raise InvalidInputError(f"time_unit must be 'beats' or 'seconds', got {time_unit!r}")
    _check_positive_int("width", width, 200, 20000)
    _check_positive_int("height", height, 150, 20000)
    _check_positive_int("dpi", dpi, 20, 1200)
    if score.n_notes == 0:
        raise InvalidInputError("score has no notes to draw")

    fig = _draw(score, time_unit, width, height, dpi, title)
    with atomic_path(p) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, facecolor="white")
    return p


def _draw(
    score: Score, unit: TimeUnit, width: int, height: int, dpi: int, title: str | None
) -> Figure:
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    end_tick = score.end_tick
    x_end = float(_to_unit(score, np.array([end_tick]), unit)[0])
    pitches = np.array([n.pitch for _, n in score.notes])
    lo, hi = int(pitches.min()) - 2, int(pitches.max()) + 2

    # Background: shaded black-key rows and a line at every C.
    for pitch in range(lo, hi + 1):
        if pitch % 12 in (1, 3, 6, 8, 10):
            ax.axhspan(pitch - 0.5, pitch + 0.5, color="#f2f2f2", lw=0, zorder=0)
    cs = [q for q in range(lo, hi + 1) if q % 12 == 0]
    for q in cs:
        ax.axhline(q - 0.5, color="#cccccc", lw=0.6, zorder=1)
    ax.set_yticks(cs, [f"C{q // 12 - 1}" for q in cs])

    # Bar lines (stronger every 4 bars when there are many).
    bars = _bar_lines(score, end_tick)
    bar_x = _to_unit(score, np.array(bars, dtype=np.int64), unit)
    many = len(bars) > 32
    for i, x in enumerate(bar_x):
        strong = not many or i % 4 == 0
        ax.axvline(x, color="#888888" if strong else "#cfcfcf", lw=0.8 if strong else 0.5, zorder=1)

    # Notes: one PolyCollection per track, alpha from velocity.
    handles = []
    for ti, track in enumerate(score.tracks):
        if not track.notes:
            continue
        colour = TRACK_COLOURS[ti % len(TRACK_COLOURS)]
        on = np.array([n.onset for n in track.notes], dtype=np.int64)
        off = np.array([n.end for n in track.notes], dtype=np.int64)
        x0, x1 = _to_unit(score, on, unit), _to_unit(score, off, unit)
        y = np.array([n.pitch for n in track.notes], dtype=np.float64)
        vel = np.array([n.velocity for n in track.notes], dtype=np.float64)
        boxes = np.stack(
            [
                np.column_stack([x0, y - 0.42]),
                np.column_stack([x1, y - 0.42]),
                np.column_stack([x1, y + 0.42]),
                np.column_stack([x0, y + 0.42]),
            ],
            axis=1,
        )
        rgba = to_rgba(colour)
        edge = (rgba[0] * 0.6, rgba[1] * 0.6, rgba[2] * 0.6, 1.0)
        face = np.tile(rgba, (len(vel), 1))
        face[:, 3] = 0.3 + 0.7 * vel / 127.0
        ax.add_collection(
            PolyCollection(
                list(boxes), facecolors=face, edgecolors=[edge], linewidths=0.5, zorder=3
            )
        )
        label = track.name or f"Track {ti + 1}"
        handles.append(Patch(facecolor=colour, edgecolor=colour, label=label))

    # Chord symbols along the top, shown where the label changes.
    if score.chords:
        prev = None
        onsets = _to_unit(score, np.array([c.onset for c in score.chords], dtype=np.int64), unit)
        for c, x in zip(score.chords, onsets, strict=True):
            name = chord_display_name(c.label)
            if name == prev:
                continue
            prev = name
            ax.text(
                x, 1.005, name, transform=ax.get_xaxis_transform(), fontsize=8,
                ha="left", va="bottom", clip_on=False,
            )  # fmt: skip

    ax.set_xlim(0.0, max(x_end, 1e-6))
    ax.set_ylim(lo - 0.5, hi + 0.5)
    ax.set_xlabel("time (beats)" if unit == "beats" else "time (seconds)")
    ax.set_ylabel("pitch")
    fig.legend(handles=handles, loc="outside right upper", fontsize=8, frameon=False)
    ax.set_title(
        title if title is not None else (score.title or "Piano roll"), pad=16 if score.chords else 6
    )
    return fig
