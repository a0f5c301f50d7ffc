"""Roman-numeral analysis: Harte labels <-> figures such as ``"V7"``, ``"ii"``, ``"IV6"``.

Conventions follow music21's ``roman`` module: upper case = major third, lower case =
minor third, ``o`` diminished, ``ø`` half-diminished, ``+`` augmented; figured-bass
inversions ``6``/``64`` for triads and ``65``/``43``/``42`` for sevenths; ``7`` is the
diatonic seventh (``I7`` in C is C:maj7, ``V7`` is G:7), ``M7`` forces a major
seventh.  In minor keys ``V`` and ``vii`` use the raised leading tone and ``VII``
the natural one; secondary functions are written ``V7/V``.  This is a small
table-driven implementation: music21's ``roman`` is about 200-1000x slower per call
(see ``benchmarks/theory_speed.md``) and generators call it in inner loops.

>>> key = KeySignature.parse("C major")
>>> roman_numeral("G:7", key), roman_numeral("F:maj/3", key), roman_numeral("D:min", key)
('V7', 'IV6', 'ii')
>>> roman_to_label("V7/V", key)
'D:7'
"""

from __future__ import annotations

import re

from muselab.core.score import KeySignature
from muselab.errors import InvalidInputError
from muselab.theory.chords import QUALITIES, degree_name, parse_label
from muselab.theory.keys import key_pitch_classes, transpose_key
from muselab.theory.pitch import degree_spelling, pc_name

__all__ = ["roman_numeral", "roman_to_label"]

_NUMERALS = ("I", "II", "III", "IV", "V", "VI", "VII")
_MAJOR = (0, 2, 4, 5, 7, 9, 11)
_MINOR = (0, 2, 3, 5, 7, 8, 10)
_UPPER = {"maj", "aug", "7", "maj7", "maj6", "9", "maj9", "sus2", "sus4", "5", "1"}
_TRIAD_INV = {4: "6", 3: "6", 7: "64", 6: "64", 8: "64"}
_SEVENTH_INV = {3: "65", 4: "65", 6: "43", 7: "43", 8: "43", 9: "42", 10: "42", 11: "42"}
_SEVENTHS = {"7", "maj7", "min7", "hdim7", "dim7", "minmaj7"}
_FIGURE_RE = re.compile(
    r"^(?P<acc>[b#]*)(?P<num>VII|VI|IV|V|III|II|I|vii|vi|iv|v|iii|ii|i)"
    r"(?P<marker>o|ø|\+)?(?P<fig>M7|M65|M43|M42|7|65|43|42|2|64|6)?$"
)
_OTHER_RE = re.compile(
    r"^(?P<acc>[b#]*)(?P<num>VII|VI|IV|V|III|II|I|vii|vi|iv|v|iii|ii|i)(?P<q>[a-z0-9]+)$"
)


def _degree(rel: int, mode: str) -> tuple[int, str]:
    """Scale degree (0-based) and accidental prefix of a root ``rel`` semitones above the tonic."""
    scale = _MAJOR if mode == "major" else _MINOR
    if rel in scale:
        return scale.index(rel), ""
    if mode == "minor" and rel == 11:
        return 6, ""  # the raised leading tone: vii in minor
    if mode == "minor" and rel == 9:
        return 5, "#"
    if rel == 6 or (rel + 1) % 12 not in scale:
        return scale.index((rel - 1) % 12), "#"
    return scale.index((rel + 1) % 12), "b"


def roman_numeral(label: str, key: KeySignature) -> str:
    """Roman-numeral figure of a chord label in ``key``.

    Parameters
    ----------
    label : str
        Harte label (``"G:7"``, ``"F:maj/3"``...).
    key : KeySignature

    Returns
    -------
    str
        e.g. ``"V7"``, ``"ii"``, ``"IV6"``, ``"viio7"``, ``"bVII"``, ``"V65"``.

    Raises
    ------
    InvalidInputError
        Bad label, or ``"N"`` (no chord has no numeral).

    Examples
    --------
    >>> roman_numeral("G#:dim7", KeySignature.parse("A minor"))
    'viio7'
    >>> roman_numeral("C:maj/5", KeySignature.parse("C major"))
    'I64'
    """
    c = parse_label(label)
    if c.root_pc is None:
        raise InvalidInputError(f"chord {label!r} is 'no chord' and has no roman numeral")
    rel = (c.root_pc - key.tonic_pc) % 12
    degree, acc = _degree(rel, key.mode)
    numeral = _NUMERALS[degree]
    q = c.quality
    if q not in _UPPER:
        numeral = numeral.lower()
    marker = {"dim": "o", "dim7": "o7", "hdim7": "ø7", "aug": "+"}.get(q, "")
    bass = ((c.bass_pc if c.bass_pc is not None else c.root_pc) - c.root_pc) % 12
    scale = key_pitch_classes(key)
    chromatic = set(c.pitch_classes) - set(scale) - set(key_pitch_classes(key, harmonic=True))
    if q == "7" and chromatic and (c.root_pc + 5) % 12 in scale:
        target = (c.root_pc + 5) % 12  # a secondary dominant seventh: V7/x
        if target != key.tonic_pc:
            tq = "maj" if (target + 4) % 12 in scale else "min"
            tnum = roman_numeral(f"{pc_name(target)}:{tq}", key)
            inv = _SEVENTH_INV.get(bass, "7")
            return f"V{inv}/{tnum}"
    if q in _SEVENTHS:
        if not marker:
            diatonic = (c.root_pc + 11) % 12 in scale
            major7 = q in ("maj7", "minmaj7")
            marker = "M7" if major7 and not (diatonic and q == "maj7") else "7"
        if bass in _SEVENTH_INV:
            marker = marker[:-1] + _SEVENTH_INV[bass]
        return acc + numeral + marker
    if q in ("maj", "min", "dim", "aug"):
        return acc + numeral + marker + (_TRIAD_INV.get(bass, "") if bass else "")
    return acc + numeral + q


def _key_on(pc: int, mode: str, tick: int) -> KeySignature:
    ref = KeySignature(tick, "C" if mode == "major" else "A", mode)  # type: ignore[arg-type]
    return transpose_key(ref, (pc - ref.tonic_pc) % 12)


def roman_to_label(figure: str, key: KeySignature) -> str:
    """Harte label of a roman-numeral figure in ``key`` (inverse of :func:`roman_numeral`).

    Parameters
    ----------
    figure : str
        e.g. ``"I"``, ``"ii6"``, ``"V7"``, ``"V65"``, ``"viio7"``, ``"iiø7"``, ``"bVII"``,
        ``"IV64"``, ``"V7/V"`` (secondary dominant).
    key : KeySignature

    Returns
    -------
    str
        Harte label spelled in the key, e.g. ``"G:7/3"`` for ``"V65"`` in C.

    Raises
    ------
    InvalidInputError
        Not a figure this module reads, quoting it.

    Examples
    --------
    >>> roman_to_label("V", KeySignature.parse("A minor"))
    'E:maj'
    >>> roman_to_label("ii65", KeySignature.parse("D major"))
    'E:min7/b3'
    """
    if not isinstance(figure, str):
        raise InvalidInputError(f"roman numeral must be a string like 'V7', got {figure!r}")
    text = figure.strip()
    if "/" in text:
        primary, _, secondary = text.partition("/")
        target = parse_label(roman_to_label(secondary, key))
        assert target.root_pc is not None
        mode = "minor" if target.quality in ("min", "dim") else "major"
        return roman_to_label(primary, _key_on(target.root_pc, mode, key.tick))
    m = _FIGURE_RE.match(text)
    other = _OTHER_RE.match(text) if m is None else None
    if other and other.group("q") in QUALITIES:
        alter = other.group("acc").count("#") - other.group("acc").count("b")
        degree = _NUMERALS.index(other.group("num").upper())
        return f"{degree_spelling(key, degree, alter)}:{other.group('q')}"
    if not m:
        raise InvalidInputError(
            f"invalid roman numeral {figure!r}; expected e.g. 'I', 'ii6', 'V7', 'viio7', "
            f"'bVII' or 'V7/V'"
        )
    num, marker, fig = m.group("num"), m.group("marker") or "", m.group("fig") or ""
    degree = _NUMERALS.index(num.upper())
    alter = m.group("acc").count("#") - m.group("acc").count("b")
    if key.mode == "minor" and num in ("vii", "vi") and marker != "+":
        alter += 1  # raised sixth / leading tone in minor
    scale = _MAJOR if key.mode == "major" else _MINOR
    root_pc = (key.tonic_pc + scale[degree] + alter) % 12
    root = degree_spelling(key, degree, alter)
    seventh = fig in ("7", "65", "43", "42", "2") or fig.startswith("M")
    upper = num.isupper()
    if seventh:
        if marker == "ø":
            q = "hdim7"
        elif marker == "o":
            q = "dim7"
        elif fig.startswith("M"):
            q = "maj7" if upper else "minmaj7"
        elif not upper:
            q = "min7"
        else:
            diatonic = (root_pc + 11) % 12 in key_pitch_classes(key) and not alter
            q = "maj7" if diatonic else "7"
    else:
        q = {"o": "dim", "+": "aug", "ø": "dim"}.get(marker, "maj" if upper else "min")
    inv = fig.lstrip("M")
    bass_semis = {"6": 1, "64": 2, "65": 1, "43": 2, "42": 3, "2": 3}.get(inv)
    label = f"{root}:{q}"
    if bass_semis is not None:
        label += "/" + degree_name(QUALITIES[q][bass_semis], quality=q)
    return label
