"""The stable result schema of every analysis: :class:`AnalysisResult`.

Audio files and scores are described with the same fields, so recommendation, emotion,
education and copyright checks read one format.  Times are in seconds from the start of
the piece, tempo in beats (quarter notes for scores) per minute, keys spelled the way
:mod:`mir_eval.key` reads them (``"A minor"``, ``"Eb major"``), chords as Harte labels
:mod:`mir_eval.chord` reads (``"C:maj"``, ``"A:min"``, ``"G:7"``, ``"N"``).

The JSON form (``to_dict`` / ``to_json``) is documented field by field in
``docs/analysis.md``; :data:`SCHEMA_VERSION` changes only when a field changes meaning or
disappears (additions bump the minor number).

Examples
--------
>>> r = AnalysisResult(source="x.wav", kind="audio", duration=2.0, tempo=120.0,
...                    beats=(0.5, 1.0, 1.5), key="A minor")
>>> r.to_dict()["key"]
'A minor'
>>> AnalysisResult.from_json(r.to_json()) == r
True
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from muselab.errors import InvalidInputError

__all__ = [
    "SCHEMA_VERSION",
    "AnalysisResult",
    "ChordSegment",
    "Curve",
    "KeyChange",
]

SCHEMA_VERSION = "1.0"

Kind = Literal["audio", "score"]
_DECIMALS = 4  # 0.1 ms for times; plenty for beats and chords, keeps the JSON small


def _r(x: float, nd: int = _DECIMALS) -> float | None:
    """Round for JSON; NaN/inf (not valid JSON) become ``None``."""
    x = float(x)
    return round(x, nd) if math.isfinite(x) else None


def _times(values: Iterable[float], name: str) -> tuple[float, ...]:
    out = tuple(float(v) for v in values)
    for v in out:
        if not math.isfinite(v) or v < 0:
            raise InvalidInputError(f"{name} must be finite times >= 0 in seconds, got {v!r}")
    if any(b < a for a, b in itertools.pairwise(out)):
        raise InvalidInputError(f"{name} must be sorted in time")
    return out


@dataclass(frozen=True, slots=True)
class ChordSegment:
    """One chord of the chart: ``label`` sounds from ``start`` to ``end`` (seconds)."""

    start: float
    end: float
    label: str

    def __post_init__(self) -> None:
        if not (math.isfinite(self.start) and math.isfinite(self.end)) or self.start < 0:
            raise InvalidInputError(f"chord times must be finite and >= 0, got {self!r}")
        if self.end < self.start:
            raise InvalidInputError(f"chord ends before it starts: {self!r}")
        if not isinstance(self.label, str) or not self.label:
            raise InvalidInputError(f"chord label must be a non-empty string, got {self.label!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"start": _r(self.start), "end": _r(self.end), "label": self.label}


@dataclass(frozen=True, slots=True)
class KeyChange:
    """From ``time`` (seconds) on, the music is in ``key`` (e.g. ``"E minor"``)."""

    time: float
    key: str

    def to_dict(self) -> dict[str, Any]:
        return {"time": _r(self.time), "key": self.key}


@dataclass(frozen=True, slots=True)
class Curve:
    """A sampled curve: ``values[i]`` holds from ``times[i]`` until ``times[i + 1]``.

    Used for the melody (``values`` = f0 in Hz, ``0.0`` where no melody sounds, the
    mir_eval convention) and for loudness (``values`` in dB).
    """

    times: tuple[float, ...] = ()
    values: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if len(self.times) != len(self.values):
            raise InvalidInputError(
                f"curve needs one value per time, got {len(self.times)} times "
                f"and {len(self.values)} values"
            )

    @classmethod
    def from_arrays(cls, times: Iterable[float], values: Iterable[float]) -> Curve:
        return cls(tuple(float(t) for t in times), tuple(float(v) for v in values))

    def __len__(self) -> int:
        return len(self.times)


def _curve_dict(c: Curve, value_key: str, nd: int) -> dict[str, Any]:
    return {"times": [_r(t) for t in c.times], value_key: [_r(v, nd) for v in c.values]}


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    """What a trained ear would write down about one piece (audio or score).

    Parameters
    ----------
    source : str
        File name, or a short description for in-memory input.
    kind : {"audio", "score"}
    duration : float
        Length in seconds.
    tempo : float
        Global tempo in BPM (0.0 when no beat was found).
    beats, downbeats, onsets : tuple of float
        Event times in seconds, sorted.
    meter : str
        Time signature such as ``"4/4"`` or ``"3/4"``; ``""`` when unknown.
    key : str
        Global key as mir_eval spells it (``"A minor"``); ``""`` when unknown.
    key_changes : tuple of KeyChange
        Local keys in time order; the first entry starts at 0.0.  Empty when the
        piece never leaves its global key.
    chords : tuple of ChordSegment
        Chord chart, contiguous, Harte labels.
    melody : Curve
        Main melody, f0 in Hz (0.0 = no melody), a step function over ``times``.
    loudness : Curve
        Loudness in dB (LUFS-like for audio, velocity-derived dB for scores).
    stats : mapping of str to number or str
        Further summary numbers (see ``docs/analysis.md``).
    warnings : tuple of str
        What could not be analysed and why (silence, too short, ...).
    version : str
        Schema version, :data:`SCHEMA_VERSION`.
    """

    source: str
    kind: Kind
    duration: float
    tempo: float = 0.0
    beats: tuple[float, ...] = ()
    downbeats: tuple[float, ...] = ()
    meter: str = ""
    key: str = ""
    key_changes: tuple[KeyChange, ...] = ()
    chords: tuple[ChordSegment, ...] = ()
    onsets: tuple[float, ...] = ()
    melody: Curve = field(default_factory=Curve)
    loudness: Curve = field(default_factory=Curve)
    stats: Mapping[str, float | int | str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    version: str = SCHEMA_VERSION

    def __post_init__(self) -> None:
        if self.kind not in ("audio", "score"):
            raise InvalidInputError(f"kind must be 'audio' or 'score', got {self.kind!r}")
        if not math.isfinite(self.duration) or self.duration < 0:
            raise InvalidInputError(f"duration must be >= 0 seconds, got {self.duration!r}")
        if not math.isfinite(self.tempo) or self.tempo < 0:
            raise InvalidInputError(f"tempo must be >= 0 BPM, got {self.tempo!r}")
        for name in ("beats", "downbeats", "onsets"):
            object.__setattr__(self, name, _times(getattr(self, name), name))
        object.__setattr__(self, "key_changes", tuple(self.key_changes))
        object.__setattr__(self, "chords", tuple(self.chords))
        object.__setattr__(self, "warnings", tuple(str(w) for w in self.warnings))
        object.__setattr__(self, "stats", dict(self.stats))

    # ------------------------------------------------------------------ conversion
    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form, keys in the documented order."""
        return {
            "source": self.source,
            "kind": self.kind,
            "duration": _r(self.duration),
            "tempo": _r(self.tempo, 2),
            "beats": [_r(t) for t in self.beats],
            "downbeats": [_r(t) for t in self.downbeats],
            "meter": self.meter,
            "key": self.key,
            "key_changes": [k.to_dict() for k in self.key_changes],
            "chords": [c.to_dict() for c in self.chords],
            "onsets": [_r(t) for t in self.onsets],
            "melody": _curve_dict(self.melody, "f0", 2),
            "loudness": _curve_dict(self.loudness, "db", 2),
            "stats": {
                k: (_r(v) if isinstance(v, float) else v) for k, v in sorted(self.stats.items())
            },
            "warnings": list(self.warnings),
            "version": self.version,
        }

    def to_json(self, *, indent: int | None = None) -> str:
        """JSON text of :meth:`to_dict` (``indent=None`` gives one line, for JSONL)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> AnalysisResult:
        """Inverse of :meth:`to_dict` (values rounded as stored)."""
        try:
            mel = d.get("melody") or {}
            loud = d.get("loudness") or {}
            return cls(
                source=str(d["source"]),
                kind=d["kind"],
                duration=float(d["duration"]),
                tempo=float(d.get("tempo") or 0.0),
                beats=tuple(d.get("beats", ())),
                downbeats=tuple(d.get("downbeats", ())),
                meter=str(d.get("meter", "")),
                key=str(d.get("key", "")),
                key_changes=tuple(
                    KeyChange(float(k["time"]), str(k["key"])) for k in d.get("key_changes", ())
                ),
                chords=tuple(
                    ChordSegment(float(c["start"]), float(c["end"]), str(c["label"]))
                    for c in d.get("chords", ())
                ),
                onsets=tuple(d.get("onsets", ())),
                melody=Curve.from_arrays(
                    mel.get("times", ()), (v or 0.0 for v in mel.get("f0", ()))
                ),
                loudness=Curve.from_arrays(
                    loud.get("times", ()),
                    (float("-inf") if v is None else v for v in loud.get("db", ())),
                ),
                stats=dict(d.get("stats", {})),
                warnings=tuple(d.get("warnings", ())),
                version=str(d.get("version", SCHEMA_VERSION)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, InvalidInputError):
                raise
            raise InvalidInputError(f"not an analysis result: {exc!r}") from exc

    @classmethod
    def from_json(cls, text: str) -> AnalysisResult:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"analysis JSON does not parse: {exc}") from exc
        return cls.from_dict(data)

    # ------------------------------------------------------------------ helpers
    def chord_intervals(self) -> tuple[list[tuple[float, float]], list[str]]:
        """``(intervals, labels)`` as :func:`mir_eval.chord.evaluate` takes them."""
        return [(c.start, c.end) for c in self.chords], [c.label for c in self.chords]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AnalysisResult):
            return NotImplemented
        return self.to_dict() == other.to_dict()


def merge_warnings(*groups: Sequence[str]) -> tuple[str, ...]:
    """Concatenate warning lists, dropping exact duplicates, keeping order."""
    seen: dict[str, None] = {}
    for g in groups:
        for w in g:
            seen.setdefault(str(w), None)
    return tuple(seen)
