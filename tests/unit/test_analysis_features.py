"""Feature vectors: fixed length, documented names, sensible values, cached batches."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from muselab import Audio
from muselab.analysis.features import FEATURE_NAMES, extract_features, feature_table
from muselab.errors import InvalidInputError

SR = 22050


def _tone(freq: float, seconds: float = 6.0, pulse: float = 0.5) -> np.ndarray:
    """Plucked notes (instant attack, exponential decay) every ``pulse`` seconds."""
    t = np.arange(int(seconds * SR)) / SR
    env = np.exp(-np.mod(t, pulse) / 0.12)
    return (0.3 * np.sin(2 * np.pi * freq * t) * env).astype(np.float32)


def test_vector_length_names_and_values() -> None:
    assert len(FEATURE_NAMES) == len(set(FEATURE_NAMES)) == 92
    v = extract_features(Audio(_tone(440.0), SR))
    assert v.shape == (92,) and v.dtype == np.float32 and np.all(np.isfinite(v))
    f = dict(zip(FEATURE_NAMES, v.tolist(), strict=True))
    assert f["tempo"] == pytest.approx(120.0, rel=0.05)
    assert np.argmax([f[f"chroma_mean_{i:02d}"] for i in range(12)]) == 9  # A
    assert f["centroid_mean"] > 300
    assert -30 < f["loudness_lufs"] < -5


def test_brighter_sound_has_higher_centroid() -> None:
    low = dict(zip(FEATURE_NAMES, extract_features(Audio(_tone(220.0), SR)), strict=True))
    high = dict(zip(FEATURE_NAMES, extract_features(Audio(_tone(1760.0), SR)), strict=True))
    assert high["centroid_mean"] > 2 * low["centroid_mean"]


def test_silence_gives_zeros_not_nan() -> None:
    v = extract_features(Audio(np.zeros(2 * SR, dtype=np.float32), SR))
    assert np.all(np.isfinite(v))
    assert dict(zip(FEATURE_NAMES, v, strict=True))["tempo"] == 0.0


def test_feature_table_uses_and_refreshes_its_cache(tmp_path: Path) -> None:
    music = tmp_path / "m"
    music.mkdir()
    sf.write(music / "a.wav", _tone(330.0), SR)
    sf.write(music / "b.flac", _tone(660.0), SR)
    (music / "bad.wav").write_bytes(b"nope")
    cache = tmp_path / "feats.npz"
    t1 = feature_table(music, cache=cache, progress=False)
    assert t1.matrix.shape == (2, 92) and len(t1.errors) == 1
    assert [Path(p).name for p in t1.paths] == ["a.wav", "b.flac"]
    assert cache.exists()
    # unchanged files come from the cache (same numbers); a changed file is recomputed
    t2 = feature_table(music, cache=cache, progress=False)
    np.testing.assert_array_equal(t1.matrix, t2.matrix)
    sf.write(music / "a.wav", _tone(880.0), SR)
    os.utime(music / "a.wav", ns=(1, 1))
    t3 = feature_table(music, cache=cache, progress=False)
    assert not np.array_equal(t3.matrix[0], t1.matrix[0])
    np.testing.assert_array_equal(t3.matrix[1], t1.matrix[1])


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="not a folder"):
        feature_table(tmp_path / "missing")
    with pytest.raises(InvalidInputError, match=r"\.npz"):
        feature_table([], cache=tmp_path / "x.json")
