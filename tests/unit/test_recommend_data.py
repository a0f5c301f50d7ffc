"""Interactions, readers, weighting and the HetRec loader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from muselab.errors import InvalidInputError
from muselab.recommend.data import (
    Interactions,
    apply_weighting,
    load_hetrec_artists,
    load_hetrec_lastfm,
    read_interactions,
)


def test_from_arrays_merges_duplicates_and_maps_ids() -> None:
    inter = Interactions.from_arrays(
        ["u1", "u1", "u2", "u1"], ["a", "b", "a", "a"], [1, 2, 5, 3], [10, 20, 30, 40]
    )
    assert (inter.n_users, inter.n_items, inter.nnz) == (2, 2, 3)
    assert inter.user_ids == ("u1", "u2") and inter.item_ids == ("a", "b")
    assert inter.matrix[0, 0] == 4.0  # 1 + 3 summed
    assert inter.timestamps is not None and inter.timestamps[0, 0] == 40.0  # latest time
    assert inter.user_index(7) is None and inter.item_index("b") == 1
    assert inter.history("u1") == [("a", 4.0), ("b", 2.0)]
    assert Interactions.from_arrays(["u", "u"], ["a", "a"], [1, 3], duplicates="max").matrix[
        0, 0
    ] == pytest.approx(3.0)
    with pytest.raises(InvalidInputError, match="duplicate interaction"):
        Interactions.from_arrays(["u", "u"], ["a", "a"], duplicates="error")


def test_from_arrays_rejects_bad_weights() -> None:
    with pytest.raises(InvalidInputError, match="position 1"):
        Interactions.from_arrays(["u", "v"], ["a", "b"], [1.0, -2.0])
    with pytest.raises(InvalidInputError, match="parallel"):
        Interactions.from_arrays(["u", "v"], ["a"])


def test_read_csv_with_aliases_and_duplicates(tmp_path: Path) -> None:
    p = tmp_path / "log.csv"
    p.write_text("userID,artistID,plays\r\n1,10,3\r\n1,10,2\r\n2,11,1\r\n", encoding="utf-8")
    inter = read_interactions(p)
    assert inter.nnz == 2 and inter.matrix[inter.user_index(1), inter.item_index(10)] == 5.0


def test_read_tsv_with_iso_timestamps(tmp_path: Path) -> None:
    p = tmp_path / "log.tsv"
    p.write_text("who\twhat\twhen\nA\tx\t2020-01-01T00:00:00Z\nA\ty\t1577836860\n")
    inter = read_interactions(p, user_col="who", item_col="what", timestamp_col="when")
    assert inter.timestamps is not None
    assert inter.timestamps[0, 0] == pytest.approx(1577836800.0)
    assert inter.matrix.sum() == 2.0  # no weight column: 1 per row


@pytest.mark.parametrize(
    ("text", "kwargs", "match"),
    [
        ("user,item,weight\n", {}, "no interaction rows"),
        ("", {}, "empty"),
        ("user,item,weight\n1,2,abc\n", {}, r"row 2, column 'weight': weight 'abc' is not a"),
        ("user,item,weight\n1,2,-1\n", {}, "non-negative"),
        ("user,song\n1,2\n", {"item_col": "track"}, "no item column 'track'"),
        ("person,thing\n1,2\n", {}, "no user column found"),
        ("user,item,weight\n1,2,3\n1\n", {}, "row 3 has 1 fields"),
    ],
)
def test_read_interactions_errors(tmp_path: Path, text: str, kwargs: dict, match: str) -> None:
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(InvalidInputError, match=match):
        read_interactions(p, **kwargs)


def test_missing_file_is_clear(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="does not exist"):
        read_interactions(tmp_path / "nope.csv")


def test_weighting_schemes() -> None:
    inter = Interactions.from_arrays(["u", "u", "v"], ["a", "b", "a"], [1.0, 9.0, 3.0])
    m = inter.matrix
    np.testing.assert_allclose(apply_weighting(m, "log").data, np.log1p(m.data), rtol=1e-6)
    np.testing.assert_allclose(apply_weighting(m, "confidence", alpha=2).data, 1 + 2 * m.data)
    assert set(apply_weighting(m, "binary").data) == {1.0}
    bm = apply_weighting(m, "bm25")
    assert bm.shape == m.shape and np.all(bm.data >= 0)
    # item "b" (in 1 of 2 users) is rarer than "a" (in both): higher idf
    assert bm[0, 1] > bm[0, 0]
    with pytest.raises(InvalidInputError, match="unknown weighting 'tfidf'"):
        apply_weighting(m, "tfidf")


@pytest.mark.shared_data
def test_hetrec_counts(shared_data: Path) -> None:
    inter = load_hetrec_lastfm(shared_data / "lastfm-hetrec2011")
    assert (inter.n_users, inter.n_items, inter.nnz) == (1892, 17632, 92834)
    assert inter.matrix[inter.user_index(2), inter.item_index(51)] == 13883.0
    names = load_hetrec_artists(shared_data)
    assert names["1"] == "MALICE MIZER" and len(names) == 17632


def test_read_parquet(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    p = tmp_path / "log.parquet"
    table = pa.table({"user": ["u1", "u1", "u2"], "item": [7, 8, 7], "plays": [1.5, 2.0, 4.0]})
    pq.write_table(table, p)
    inter = read_interactions(p)
    assert inter.nnz == 3 and inter.matrix[inter.user_index("u2"), inter.item_index(7)] == 4.0
    (tmp_path / "bad.parquet").write_bytes(b"not parquet at all")
    from muselab.errors import CorruptFileError

    with pytest.raises(CorruptFileError, match="not a readable Parquet file"):
        read_interactions(tmp_path / "bad.parquet")
