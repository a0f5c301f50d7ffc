"""The analysis result schema: fields, JSON round trip, validation."""

from __future__ import annotations

import json

import pytest

from muselab.analysis.schema import (
    SCHEMA_VERSION,
    AnalysisResult,
    ChordSegment,
    Curve,
    KeyChange,
)
from muselab.errors import InvalidInputError

KEYS = [
    "source",
    "kind",
    "duration",
    "tempo",
    "beats",
    "downbeats",
    "meter",
    "key",
    "key_changes",
    "chords",
    "onsets",
    "melody",
    "loudness",
    "stats",
    "warnings",
    "version",
]


def _result() -> AnalysisResult:
    return AnalysisResult(
        source="a.wav",
        kind="audio",
        duration=4.0,
        tempo=120.0,
        beats=(0.5, 1.0, 1.5, 2.0),
        downbeats=(0.5, 2.5),
        meter="4/4",
        key="A minor",
        key_changes=(KeyChange(0.0, "A minor"), KeyChange(2.0, "C major")),
        chords=(ChordSegment(0.0, 2.0, "A:min"), ChordSegment(2.0, 4.0, "G:7")),
        onsets=(0.5, 0.75),
        melody=Curve((0.0, 0.5), (440.0, 0.0)),
        loudness=Curve((0.2, 0.3), (-20.0, float("-inf"))),
        stats={"key_strength": 0.8123456, "n": 3},
        warnings=("w",),
    )


def test_to_dict_has_the_documented_keys_in_order() -> None:
    d = _result().to_dict()
    assert list(d) == KEYS
    assert d["version"] == SCHEMA_VERSION
    assert d["chords"][1] == {"start": 2.0, "end": 4.0, "label": "G:7"}
    assert d["key_changes"][1] == {"time": 2.0, "key": "C major"}
    assert d["melody"] == {"times": [0.0, 0.5], "f0": [440.0, 0.0]}
    assert d["loudness"]["db"] == [-20.0, None]  # -inf is not JSON
    assert d["stats"]["key_strength"] == 0.8123


def test_json_round_trip_is_lossless_after_rounding() -> None:
    r = _result()
    text = r.to_json()
    assert "\n" not in text  # one line: fits JSONL
    json.loads(text)
    back = AnalysisResult.from_json(text)
    assert back == r
    assert back.to_json() == text


def test_chord_intervals_are_what_mir_eval_takes() -> None:
    intervals, labels = _result().chord_intervals()
    assert intervals == [(0.0, 2.0), (2.0, 4.0)]
    assert labels == ["A:min", "G:7"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kind": "video"}, "kind"),
        ({"duration": -1.0}, "duration"),
        ({"tempo": float("nan")}, "tempo"),
        ({"beats": (1.0, 0.5)}, "sorted"),
        ({"onsets": (-0.1,)}, "onsets"),
    ],
)
def test_bad_fields_are_rejected(kwargs: dict[str, object], match: str) -> None:
    base: dict[str, object] = {"source": "x", "kind": "audio", "duration": 1.0}
    with pytest.raises(InvalidInputError, match=match):
        AnalysisResult(**{**base, **kwargs})  # type: ignore[arg-type]


def test_chord_segment_and_curve_validate() -> None:
    with pytest.raises(InvalidInputError, match="ends before"):
        ChordSegment(2.0, 1.0, "C:maj")
    with pytest.raises(InvalidInputError, match="label"):
        ChordSegment(0.0, 1.0, "")
    with pytest.raises(InvalidInputError, match="one value per time"):
        Curve((0.0, 1.0), (1.0,))


def test_from_json_rejects_garbage() -> None:
    with pytest.raises(InvalidInputError, match="does not parse"):
        AnalysisResult.from_json("{nope")
    with pytest.raises(InvalidInputError, match="not an analysis result"):
        AnalysisResult.from_json('{"kind": "audio"}')


def test_result_is_frozen() -> None:
    r = _result()
    with pytest.raises(AttributeError):
        r.key = "C major"  # type: ignore[misc]
