"""Music analysis: tempo, beats, meter, key, chords, melody and loudness of audio and scores.

=================================  ==========================================================
:func:`analyze`                    file / :class:`Score` / :class:`Audio` -> result
:func:`analyze_audio`              a recording -> :class:`AnalysisResult`
:func:`analyze_score`              a score -> :class:`AnalysisResult` (same schema)
:func:`load_audio`                 decode any audio file to mono 22050 Hz
:func:`transcribe`                 polyphonic audio -> :class:`Score` (basic-pitch model)
:func:`extract_features`           fixed-length feature vector of a track
:class:`AnalysisResult`            the stable result schema (``to_dict`` / ``to_json``)
=================================  ==========================================================

The schema is documented in ``docs/analysis.md``.  Submodules load on first use, so
``import muselab.analysis`` does not import librosa.

Examples
--------
>>> from muselab.analysis import analyze
>>> result = analyze("song.flac")  # doctest: +SKIP
>>> result.key, result.tempo, result.chords[:2]  # doctest: +SKIP
('A minor', 96.0, (ChordSegment(start=0.0, end=2.5, label='A:min'), ...))
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from muselab.analysis.api import analyze
    from muselab.analysis.audio import AudioOptions, analyze_audio
    from muselab.analysis.features import FEATURE_NAMES, extract_features, feature_table
    from muselab.analysis.loader import load_audio
    from muselab.analysis.schema import (
        SCHEMA_VERSION,
        AnalysisResult,
        ChordSegment,
        Curve,
        KeyChange,
    )
    from muselab.analysis.symbolic import ScoreOptions, analyze_score
    from muselab.analysis.transcribe import transcribe

__all__ = [
    "FEATURE_NAMES",
    "SCHEMA_VERSION",
    "AnalysisResult",
    "AudioOptions",
    "ChordSegment",
    "Curve",
    "KeyChange",
    "ScoreOptions",
    "analyze",
    "analyze_audio",
    "analyze_score",
    "extract_features",
    "feature_table",
    "load_audio",
    "transcribe",
]

_WHERE = {
    "analyze": "api",
    "AudioOptions": "audio",
    "analyze_audio": "audio",
    "FEATURE_NAMES": "features",
    "extract_features": "features",
    "feature_table": "features",
    "load_audio": "loader",
    "SCHEMA_VERSION": "schema",
    "AnalysisResult": "schema",
    "ChordSegment": "schema",
    "Curve": "schema",
    "KeyChange": "schema",
    "ScoreOptions": "symbolic",
    "analyze_score": "symbolic",
    "transcribe": "transcribe",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        module = importlib.import_module(f"muselab.analysis.{_WHERE[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'muselab.analysis' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
