"""Corpus loaders: split rule, Nottingham/JSB loading, the parse cache, bad tunes."""

from __future__ import annotations

import gzip
import json
import logging
import os
import re
from pathlib import Path

import pytest

from muselab.corpora import (
    CorpusItem,
    available_corpora,
    load_corpus,
    load_jsb_frames,
    split_of,
)
from muselab.corpora import loader as loader_mod
from muselab.corpora.jsb import frames_to_score
from muselab.errors import InvalidInputError

HARTE = re.compile(r"^(N|[A-G][#b]?:[a-z0-9()#b]+(/[#b]?\d+)?)$")


def _data_dir() -> Path | None:
    env = os.environ.get("MUSELAB_DATA")
    cand = Path(env) if env else Path(__file__).resolve().parents[2].parent / "shared" / "data"
    return cand if cand.is_dir() else None


needs_data = pytest.mark.skipif(
    _data_dir() is None, reason="reference data not found: set MUSELAB_DATA or add ../shared/data"
)


@pytest.fixture
def tmp_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MUSELAB_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "corpora"


# ----------------------------------------------------------------------------- split rule
def test_split_rule_on_known_ids() -> None:
    # sha1("ashover:1") = 7e436ce4...e36f -> int % 10 == 5 -> train
    assert split_of("ashover:1") == "train"
    # sha1("ashover:6") = dfff923f...caef -> int % 10 == 1 -> valid
    assert split_of("ashover:6") == "valid"
    # sha1("ashover:7") = 2ab5e9f2...cb4e -> int % 10 == 0 -> test
    assert split_of("ashover:7") == "test"


def test_split_proportions() -> None:
    ids = [f"tune:{i}" for i in range(5000)]
    counts = {s: sum(split_of(i) == s for i in ids) for s in ("train", "valid", "test")}
    assert 0.08 < counts["test"] / 5000 < 0.12
    assert 0.08 < counts["valid"] / 5000 < 0.12


def test_available_and_bad_arguments(tmp_cache: Path) -> None:
    assert available_corpora() == ["nottingham", "jsb", "bach", "essen", "oneill"]
    with pytest.raises(InvalidInputError, match="unknown corpus 'midi'"):
        load_corpus("midi")
    with pytest.raises(InvalidInputError, match="split must be"):
        load_corpus("jsb", split="dev")
    with pytest.raises(InvalidInputError, match="limit must be"):
        load_corpus("jsb", limit=-1)


def test_missing_data_dir_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUSELAB_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(InvalidInputError, match="MUSELAB_DATA"):
        load_corpus("nottingham", limit=1)


# ----------------------------------------------------------------------------- real data
@needs_data
def test_nottingham_first_tunes_have_chords_key_meter(tmp_cache: Path) -> None:
    items = load_corpus("nottingham", limit=3, progress=False)
    assert [it.id for it in items] == ["ashover:1", "ashover:2", "ashover:3"]
    assert all(isinstance(it, CorpusItem) and it.split == split_of(it.id) for it in items)
    first = items[0].score
    assert first.title == "A and A's Waltz"
    assert first.key_at(0) is not None and first.key_at(0).name == "G major"
    assert str(first.time_signature_at(0)) == "3/4"
    labels = [c.label for it in items for c in it.score.chords]
    assert len(labels) > 30
    assert all(HARTE.match(lab) for lab in labels), labels
    assert labels[:3] == ["G:maj", "D:maj", "G:maj"]
    # limit without a cache parses only those tunes and writes no cache
    assert not tmp_cache.exists() or not list(tmp_cache.iterdir())


@needs_data
def test_nottingham_split_filter(tmp_cache: Path) -> None:
    items = load_corpus("nottingham", split="test", limit=2, progress=False)
    assert len(items) == 2
    assert all(it.split == "test" for it in items)


@needs_data
def test_jsb_split_sizes_and_frames() -> None:
    frames = load_jsb_frames()
    assert [len(frames[s]) for s in ("train", "valid", "test")] == [229, 76, 77]
    items = load_corpus("jsb", progress=False)
    assert len(items) == 382
    assert items[0].id == "jsb/train/0"
    assert sum(it.split == "valid" for it in items) == 76
    test = load_corpus("jsb", split="test", limit=5)
    assert [it.id for it in test] == [f"jsb/test/{i}" for i in range(5)]
    # a held pitch is one note: the number of notes is at most the sounding frame-pitches
    ch = frames["train"][0]
    score = items[0].score
    assert score.n_notes <= sum(len(f) for f in ch)
    assert score.end_tick == len(ch) * 480


def test_jsb_held_notes_merge() -> None:
    s = frames_to_score([[60, 64], [60, 65], [], [60]])
    got = [(n.pitch, n.onset, n.duration) for n in s.tracks[0].notes]
    assert got == [(60, 0, 960), (64, 0, 480), (65, 480, 480), (60, 1440, 480)]


# ----------------------------------------------------------------------------- cache
GOOD = """X:1
T:One
M:2/4
L:1/8
K:D
"D"d2 f2|"A7"e2 c2|"D"d4|]

X:2
T:Two
M:3/4
L:1/4
K:Em
"Em"E G B|"Bd"B2 A|"Em"E3|]
"""
BAD = """
X:3
T:Broken
L:1/0
K:C
CDE|
"""


@pytest.fixture
def fake_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data" / "nottingham" / "ABC_cleaned"
    folder.mkdir(parents=True)
    (folder / "mini.abc").write_text(GOOD + BAD)
    monkeypatch.setenv("MUSELAB_DATA", str(tmp_path / "data"))
    return folder / "mini.abc"


def test_cache_written_then_hit(
    fake_data: Path,
    tmp_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="muselab.corpora"):
        first = load_corpus("nottingham", progress=False)
    # the broken tune is skipped and counted in one line, never fatal
    assert [it.id for it in first] == ["mini:1", "mini:2"]
    assert any("skipped 1" in r.getMessage() and "mini:3" in r.getMessage() for r in caplog.records)
    assert [c.label for c in first[1].score.chords] == ["E:min", "B:dim", "E:min"]
    files = list(tmp_cache.glob("nottingham-*.json.gz"))
    assert len(files) == 1
    doc = json.loads(gzip.decompress(files[0].read_bytes()))
    assert [row[0] for row in doc["items"]] == ["mini:1", "mini:2"]

    def no_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr(loader_mod, "parse_jobs", no_parse)
    again = load_corpus("nottingham", progress=False)
    assert [it.id for it in again] == [it.id for it in first]
    for a, b in zip(first, again, strict=True):
        assert a.score.tracks[0].notes == b.score.tracks[0].notes
        assert a.score.chords == b.score.chords
        assert a.split == b.split
    assert [it.id for it in load_corpus("nottingham", limit=1)] == ["mini:1"]

    # a changed source file changes the key: parse again and replace the old cache file
    fake_data.write_text(GOOD)
    with pytest.raises(AssertionError, match="cache should have been used"):
        load_corpus("nottingham", progress=False)


def test_changed_source_replaces_cache(fake_data: Path, tmp_cache: Path) -> None:
    load_corpus("nottingham", progress=False)
    old = list(tmp_cache.glob("nottingham-*.json.gz"))
    fake_data.write_text(GOOD.replace("T:Two", "T:Second"))
    items = load_corpus("nottingham", progress=False)
    new = list(tmp_cache.glob("nottingham-*.json.gz"))
    assert items[1].score.title == "Second"
    assert len(new) == 1 and new != old


def test_corrupt_cache_is_ignored(fake_data: Path, tmp_cache: Path) -> None:
    load_corpus("nottingham", progress=False)
    (path,) = tmp_cache.glob("nottingham-*.json.gz")
    path.write_bytes(b"not gzip")
    items = load_corpus("nottingham", progress=False)
    assert [it.id for it in items] == ["mini:1", "mini:2"]
    assert json.loads(gzip.decompress(path.read_bytes()))["corpus"] == "nottingham"
