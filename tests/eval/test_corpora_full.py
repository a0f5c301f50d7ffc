"""Full corpus loads: counts, splits and chord labels on the real collections (slow cold)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from muselab.corpora import load_corpus

pytestmark = pytest.mark.slow

HARTE = re.compile(r"^(N|[A-G][#b]?:[a-z0-9()#b]+(/[#b]?\d+)?)$")


def _data_dir() -> Path | None:
    env = os.environ.get("MUSELAB_DATA")
    cand = Path(env) if env else Path(__file__).resolve().parents[2].parent / "shared" / "data"
    return cand if cand.is_dir() else None


needs_data = pytest.mark.skipif(
    _data_dir() is None, reason="reference data not found: set MUSELAB_DATA or add ../shared/data"
)


def _fractions(items: list) -> dict[str, float]:
    return {s: sum(it.split == s for it in items) / len(items) for s in ("train", "valid", "test")}


@needs_data
def test_nottingham_full() -> None:
    items = load_corpus("nottingham", progress=False)
    assert 1000 <= len(items) <= 1040  # 1,034 tunes parse with music21 10.5
    assert len({it.id for it in items}) == len(items)
    fr = _fractions(items)
    assert 0.07 < fr["test"] < 0.13 and 0.07 < fr["valid"] < 0.13
    with_chords = [it for it in items if it.score.chords]
    assert len(with_chords) / len(items) > 0.95
    labels = {c.label for it in items for c in it.score.chords}
    assert all(HARTE.match(lab) for lab in labels), sorted(labels)
    assert {"G:maj", "D:7", "E:min", "D:maj/3", "C:dim"} <= labels
    assert all(it.score.key_signatures and it.score.time_signatures for it in items)
    train = load_corpus("nottingham", split="train", progress=False)
    assert len(train) == sum(it.split == "train" for it in items)


@needs_data
def test_jsb_full() -> None:
    items = load_corpus("jsb", progress=False)
    assert [sum(it.split == s for it in items) for s in ("train", "valid", "test")] == [229, 76, 77]


def test_essen_full() -> None:
    items = load_corpus("essen", progress=False)
    assert len(items) >= 8500  # 8,514 tunes; music21 10.5 cannot read 1 of them
    assert all(it.id.startswith("essenFolksong/") for it in items)
    fr = _fractions(items)
    assert 0.08 < fr["test"] < 0.12


def test_oneill_full() -> None:
    items = load_corpus("oneill", progress=False)
    assert len(items) >= 1950  # 2,009 tunes in the collection
    assert all(it.id.startswith("oneillsMusicOfIreland/") for it in items)


def test_bach_full() -> None:
    items = load_corpus("bach", progress=False)
    assert len(items) >= 340  # 371 chorales listed by music21's chorale iterator
    assert all(it.id.startswith("bach/bwv") for it in items)
    four_part = sum(len(it.score.tracks) == 4 for it in items)
    assert four_part / len(items) > 0.8
