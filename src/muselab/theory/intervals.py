"""Interval names <-> semitones: ``"m3"`` = 3, ``"P5"`` = 7, ``"M9"`` = 14.

Names are quality + diatonic number: ``P`` perfect, ``M`` major, ``m`` minor, ``A``
augmented, ``d`` diminished (``"A4"``, ``"d5"``, ``"AA1"``...).  :func:`interval_name`
spells the interval between two notes: from MIDI numbers the common name of each size
is used (6 semitones -> ``"A4"``); from spelled names the letters decide (C4-Gb4 is
``"d5"``, C4-F#4 is ``"A4"``).

>>> interval_semitones("m3"), interval_semitones("P12")
(3, 19)
>>> interval_name("C4", "Gb4"), interval_name(60, 66)
('d5', 'A4')
"""

from __future__ import annotations

import re

from muselab.errors import InvalidInputError
from muselab.theory.pitch import LETTERS, parse_pitch

__all__ = ["INTERVAL_NAMES", "interval_name", "interval_semitones"]

# Semitones of the perfect / major interval for diatonic numbers 1..7.
_BASE = (0, 2, 4, 5, 7, 9, 11)
_PERFECT = {0, 3, 4}  # unison, fourth, fifth (0-based steps)
INTERVAL_NAMES = ("P1", "m2", "M2", "m3", "M3", "P4", "A4", "P5", "m6", "M6", "m7", "M7")
"""The usual name of each interval size 0..11 semitones (the tritone as ``"A4"``)."""

_NAME_RE = re.compile(r"^\s*(P|M|m|A+|d+)(\d+)\s*$")


def interval_semitones(name: str) -> int:
    """Size in semitones of a named interval.

    Parameters
    ----------
    name : str
        Quality and number, e.g. ``"P5"``, ``"m3"``, ``"A4"``, ``"d7"``, ``"M10"``.
        A leading ``-`` means descending (``"-P4"`` = -5).

    Returns
    -------
    int

    Examples
    --------
    >>> interval_semitones("d7"), interval_semitones("-P4")
    (9, -5)
    """
    if not isinstance(name, str):
        raise InvalidInputError(f"interval name must be a string like 'm3' or 'P5', got {name!r}")
    sign = -1 if name.strip().startswith("-") else 1
    m = _NAME_RE.match(name.strip().lstrip("-"))
    if not m or int(m.group(2)) < 1:
        raise InvalidInputError(
            f"interval must look like 'P5', 'm3', 'M6', 'A4' or 'd5', got {name!r}"
        )
    quality, number = m.group(1), int(m.group(2))
    octaves, step = divmod(number - 1, 7)
    base = _BASE[step] + 12 * octaves
    if step in _PERFECT:
        if quality in ("M", "m"):
            raise InvalidInputError(
                f"{number} is a perfect interval (P, A or d), not major/minor: got {name!r}"
            )
        offset = {"P": 0}.get(quality, len(quality) if quality[0] == "A" else -len(quality))
    else:
        if quality == "P":
            raise InvalidInputError(
                f"{number} is major/minor (M, m, A or d), not perfect: got {name!r}"
            )
        table = {"M": 0, "m": -1}
        offset = table.get(quality, len(quality) if quality[0] == "A" else -1 - len(quality))
    return sign * (base + offset)


def _quality(step: int, diff: int) -> str:
    if step in _PERFECT:
        if diff == 0:
            return "P"
        return "A" * diff if diff > 0 else "d" * -diff
    if diff == 0:
        return "M"
    if diff == -1:
        return "m"
    return "A" * diff if diff > 0 else "d" * (-diff - 1)


def interval_name(a: int | str, b: int | str) -> str:
    """Name of the interval from note ``a`` up (or down) to note ``b``.

    Parameters
    ----------
    a, b : int or str
        MIDI numbers, or spelled pitch names such as ``"C4"`` and ``"F#4"``.  With
        names the letters decide the number (C-F# is an A4, C-Gb a d5); with numbers
        the usual name of the size is used (:data:`INTERVAL_NAMES`).

    Returns
    -------
    str
        e.g. ``"M3"``, ``"P8"``, ``"m10"``; prefixed with ``-`` when ``b`` is below ``a``.

    Examples
    --------
    >>> interval_name(60, 76), interval_name("E4", "C4")
    ('M10', '-M3')
    """
    if isinstance(a, str) and isinstance(b, str):
        pa, pb = parse_pitch(a), parse_pitch(b)
        la = LETTERS.index(a.strip()[0].upper()) + 7 * _octave(a)
        lb = LETTERS.index(b.strip()[0].upper()) + 7 * _octave(b)
        if (pb, lb) < (pa, la):
            return "-" + interval_name(b, a)
        steps = lb - la
        octaves, step = divmod(steps, 7)
        diff = (pb - pa) - (_BASE[step] + 12 * octaves)
        return f"{_quality(step, diff)}{steps + 1}"
    for v in (a, b):
        if isinstance(v, bool) or not isinstance(v, int):
            raise InvalidInputError(
                f"interval_name needs two MIDI numbers or two pitch names, got {a!r} and {b!r}"
            )
    size = int(b) - int(a)
    if size < 0:
        return "-" + interval_name(int(b), int(a))
    octaves, rest = divmod(size, 12)
    name = INTERVAL_NAMES[rest]
    number = int(name[1:]) + 7 * octaves
    return f"{name[0]}{number}"


def _octave(name: str) -> int:
    m = re.search(r"(-?\d+)\s*$", name)
    if not m:
        raise InvalidInputError(f"pitch must end with an octave number, got {name!r}")
    return int(m.group(1))
