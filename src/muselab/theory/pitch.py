"""Pitch names and spelling: MIDI numbers <-> ``"F#4"`` in scientific pitch notation.

Middle C is ``"C4"`` = 60 (the MIDI / scientific convention, as in pretty_midi and
music21).  Spelling depends on the key: pitch class 6 is ``"F#"`` in D major and
``"Gb"`` in Db major, and a minor key's raised leading tone is spelled with a sharp
on the seventh letter (``"G#"`` in A minor, ``"C#"`` in D minor).

>>> parse_pitch("Bb3")
58
>>> pitch_name(66, key=KeySignature.parse("Db major"))
'Gb4'
"""

from __future__ import annotations

import functools
import re

from muselab.core.score import KeySignature
from muselab.errors import InvalidInputError

__all__ = [
    "LETTERS",
    "degree_spelling",
    "parse_pitch",
    "pc_name",
    "pitch_name",
    "spell_pc",
    "spelled_pc",
]

LETTERS = "CDEFGAB"
_LETTER_PC = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_MAJOR_STEPS = (0, 2, 4, 5, 7, 9, 11)
_MINOR_STEPS = (0, 2, 3, 5, 7, 8, 10)
_PITCH_RE = re.compile(r"^\s*([A-Ga-g])(#{1,2}|b{1,2}|x)?(-?\d+)\s*$")
_NAME_RE = re.compile(r"^\s*([A-Ga-g])(#{1,2}|b{1,2}|-{1,2}|x)?\s*$")

# Spelling of the 12 pitch classes without a key: the lead-sheet convention.
_DEFAULT_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_FLAT_NAMES = ("C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B")


def _alter_text(alter: int) -> str:
    return "#" * alter if alter >= 0 else "b" * -alter


def _parse_alter(acc: str | None) -> int:
    if not acc:
        return 0
    if acc == "x":
        return 2
    if acc[0] == "#":
        return len(acc)
    return -len(acc)


def spelled_pc(name: str) -> int:
    """Pitch class (0 = C) of a note name without octave: ``"F#"`` -> 6, ``"Cb"`` -> 11.

    Accepts ``#``/``b`` (and music21's ``-`` for flat, ``x`` for double sharp).
    """
    m = _NAME_RE.match(name) if isinstance(name, str) else None
    if not m:
        raise InvalidInputError(
            f"note name must be a letter A-G with optional accidentals (#, b), got {name!r}"
        )
    return (_LETTER_PC[m.group(1).upper()] + _parse_alter(m.group(2))) % 12


@functools.lru_cache(maxsize=256)
def _key_letters(key: KeySignature) -> dict[int, tuple[str, int]]:
    """Pitch class -> (letter, alteration) for the seven scale degrees of ``key``."""
    letter0 = LETTERS.index(key.tonic[0])
    steps = _MAJOR_STEPS if key.mode == "major" else _MINOR_STEPS
    out: dict[int, tuple[str, int]] = {}
    for i, step in enumerate(steps):
        letter = LETTERS[(letter0 + i) % 7]
        pc = (key.tonic_pc + step) % 12
        alter = (pc - _LETTER_PC[letter] + 6) % 12 - 6
        out[pc] = (letter, alter)
    return out


def degree_spelling(key: KeySignature, degree: int, alter: int = 0) -> str:
    """Name of scale degree ``degree`` (0 = tonic) of ``key`` moved by ``alter`` semitones.

    >>> degree_spelling(KeySignature.parse("C major"), 1, -1)
    'Db'
    """
    steps = _MAJOR_STEPS if key.mode == "major" else _MINOR_STEPS
    pc = (key.tonic_pc + steps[degree % 7]) % 12
    letter, base = _key_letters(key)[pc]
    return letter + _alter_text(base + alter)


def spell_pc(pc: int, *, key: KeySignature | None = None) -> tuple[str, int]:
    """Letter and alteration (+1 sharp, -1 flat) for pitch class ``pc`` in ``key``.

    Diatonic notes take the key's letters (E# in F# major, Cb in Gb major).  Chromatic
    notes are sharps in sharp keys and flats in flat keys, except that a lowered sharp
    degree or a raised flat degree becomes a natural (F in G major, B in F major); in
    minor keys the raised sixth and seventh degrees are sharpened letters of the scale.
    Without a key the lead-sheet spelling is used (C# Eb F# Ab Bb).

    Returns
    -------
    letter : str
        One of ``"CDEFGAB"``.
    alter : int
        Semitones of alteration (-2..2).
    """
    pc = int(pc) % 12
    if key is None:
        name = _DEFAULT_NAMES[pc]
        return name[0], _parse_alter(name[1:])
    table = _key_letters(key)
    if pc in table:
        return table[pc]
    if key.mode == "minor" and (pc - key.tonic_pc) % 12 in (9, 11):
        below = table[(pc - 1) % 12]  # raised 6th / 7th: sharpen the natural degree
        return below[0], below[1] + 1
    up, down = table.get((pc + 1) % 12), table.get((pc - 1) % 12)
    if key.sharps > 0:
        if up is not None and up[1] >= 1:  # a lowered sharp degree: F in G major, not E#
            return up[0], up[1] - 1
        if down is not None:
            return down[0], down[1] + 1
    if key.sharps < 0:
        if down is not None and down[1] <= -1:  # a raised flat degree: B in F major, not Cb
            return down[0], down[1] + 1
        if up is not None:
            return up[0], up[1] - 1
    if pc in (1, 6) and down is not None:  # C major: C# and F#, else flats
        return down[0], down[1] + 1
    letter, alter = table[(pc + 1) % 12]
    return letter, alter - 1


def pc_name(pc: int, *, key: KeySignature | None = None) -> str:
    """Spelled name of pitch class ``pc`` (``6`` -> ``"F#"``, or ``"Gb"`` in a flat key)."""
    letter, alter = spell_pc(pc, key=key)
    return letter + _alter_text(alter)


def pitch_name(midi: int, *, key: KeySignature | None = None) -> str:
    """Scientific pitch name of a MIDI note, spelled in ``key`` when given.

    Parameters
    ----------
    midi : int
        MIDI note number 0..127.
    key : KeySignature, optional
        Key context for the spelling (see :func:`spell_pc`).

    Returns
    -------
    str
        e.g. ``"F#4"``; the octave number follows the letter, so B#3 = C4 = 60.

    Examples
    --------
    >>> pitch_name(66, key=KeySignature.parse("D major"))
    'F#4'
    >>> pitch_name(59, key=KeySignature.parse("Gb major"))
    'Cb4'
    """
    if isinstance(midi, bool) or not isinstance(midi, int) or not 0 <= midi <= 127:
        raise InvalidInputError(f"MIDI pitch must be an integer 0..127, got {midi!r}")
    letter, alter = spell_pc(midi % 12, key=key)
    octave = (midi - alter - _LETTER_PC[letter]) // 12 - 1
    return f"{letter}{_alter_text(alter)}{octave}"


def parse_pitch(name: str) -> int:
    """MIDI number of a scientific pitch name: ``"C4"`` -> 60, ``"Bb3"`` -> 58, ``"F#5"`` -> 78.

    Accepts ``#``/``##``/``x`` for sharps, ``b``/``bb`` for flats, and negative octaves
    (``"C-1"`` = 0).

    Raises
    ------
    InvalidInputError
        Not a pitch name, or outside MIDI's 0..127.

    Examples
    --------
    >>> parse_pitch("C4"), parse_pitch("Cb4"), parse_pitch("B#3")
    (60, 59, 60)
    """
    m = _PITCH_RE.match(name) if isinstance(name, str) else None
    if not m:
        raise InvalidInputError(
            f"pitch must look like 'C4', 'Bb3' or 'F#5' (letter, accidentals, octave), got {name!r}"
        )
    letter, acc, octave = m.group(1).upper(), m.group(2), int(m.group(3))
    midi = 12 * (octave + 1) + _LETTER_PC[letter] + _parse_alter(acc)
    if not 0 <= midi <= 127:
        raise InvalidInputError(f"pitch {name!r} is MIDI {midi}, outside 0..127")
    return midi
