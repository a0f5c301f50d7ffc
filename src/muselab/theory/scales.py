"""Scales and modes as pitch-class sets.

>>> scale_pitch_classes(2, "major")
(2, 4, 6, 7, 9, 11, 1)
>>> scale_pitch_classes(9, "harmonic minor")
(9, 11, 0, 2, 4, 5, 8)
"""

from __future__ import annotations

from muselab.errors import InvalidInputError

__all__ = ["MODES", "is_in_scale", "normalize_mode", "scale_degree", "scale_pitch_classes"]

MODES: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "harmonic_minor": (0, 2, 3, 5, 7, 8, 11),
    "melodic_minor": (0, 2, 3, 5, 7, 9, 11),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "lydian": (0, 2, 4, 6, 7, 9, 11),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "locrian": (0, 1, 3, 5, 6, 8, 10),
    "major_pentatonic": (0, 2, 4, 7, 9),
    "minor_pentatonic": (0, 3, 5, 7, 10),
    "blues": (0, 3, 5, 6, 7, 10),
}
"""Mode name -> semitones above the tonic (ascending form for melodic minor)."""

_ALIASES = {
    "ionian": "major",
    "natural_minor": "minor",
    "aeolian": "minor",
    "pentatonic": "major_pentatonic",
    "major_pent": "major_pentatonic",
    "minor_pent": "minor_pentatonic",
}


def normalize_mode(mode: str) -> str:
    """Canonical mode name: ``"aeolian"`` -> ``"minor"``.

    Raises InvalidInputError for an unknown mode.
    """
    if not isinstance(mode, str):
        raise InvalidInputError(f"mode must be a string such as 'major' or 'dorian', got {mode!r}")
    key = "_".join(mode.strip().lower().replace("-", " ").split())
    key = _ALIASES.get(key, key)
    if key not in MODES:
        raise InvalidInputError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    return key


def scale_pitch_classes(tonic_pc: int, mode: str = "major") -> tuple[int, ...]:
    """Pitch classes of a scale, starting on the tonic.

    Parameters
    ----------
    tonic_pc : int
        Pitch class of the tonic, 0 = C (taken modulo 12).
    mode : str
        One of :data:`MODES` (spaces, hyphens and case are ignored; ``"aeolian"``,
        ``"ionian"``, ``"natural minor"`` are accepted).

    Returns
    -------
    tuple of int [shape=(n_degrees,)]

    Examples
    --------
    >>> scale_pitch_classes(0, "blues")
    (0, 3, 5, 6, 7, 10)
    """
    if isinstance(tonic_pc, bool) or not isinstance(tonic_pc, int):
        raise InvalidInputError(f"tonic_pc must be an integer pitch class, got {tonic_pc!r}")
    steps = MODES[normalize_mode(mode)]
    return tuple((tonic_pc + s) % 12 for s in steps)


def is_in_scale(pc: int, tonic_pc: int, mode: str = "major") -> bool:
    """Whether pitch class ``pc`` (or a MIDI number) belongs to the scale."""
    return pc % 12 in scale_pitch_classes(tonic_pc, mode)


def scale_degree(pc: int, tonic_pc: int, mode: str = "major") -> int | None:
    """0-based scale degree of ``pc`` (or a MIDI number) in the scale, or None if outside."""
    pcs = scale_pitch_classes(tonic_pc, mode)
    return pcs.index(pc % 12) if pc % 12 in pcs else None
