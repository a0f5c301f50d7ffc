"""Ranking metrics against hand-computed values; splits; the evaluation driver."""

from __future__ import annotations

import math

import numpy as np
import pytest

from muselab.errors import InvalidInputError
from muselab.recommend.data import Interactions
from muselab.recommend.evaluation import evaluate_models, tune
from muselab.recommend.metrics import (
    coverage_at_k,
    hit_rate_at_k,
    map_at_k,
    ndcg_at_k,
    popularity_bias_at_k,
    precision_at_k,
    recall_at_k,
)
from muselab.recommend.splits import holdout_split, kfold_splits, leave_last_out_split

# user 0: list [3, 1, 7, 2], relevant {1, 2, 9}: hits at ranks 2 and 4
# user 1: list [5, 6, 0, 4], relevant {5}: hit at rank 1
RECS = [[3, 1, 7, 2], [5, 6, 0, 4]]
REL = [{1, 2, 9}, {5}]


def test_precision_recall_hitrate() -> None:
    assert precision_at_k(RECS, REL, 4) == pytest.approx((2 / 4 + 1 / 4) / 2)
    assert recall_at_k(RECS, REL, 4) == pytest.approx((2 / 3 + 1) / 2)
    assert recall_at_k(RECS, REL, 1) == pytest.approx((0 + 1) / 2)
    assert hit_rate_at_k(RECS, REL, 1) == pytest.approx(0.5)
    assert hit_rate_at_k(RECS, REL, 2) == pytest.approx(1.0)


def test_ndcg_by_hand() -> None:
    dcg0 = 1 / math.log2(3) + 1 / math.log2(5)
    idcg0 = 1 + 1 / math.log2(3) + 1 / math.log2(4)  # min(|T|=3, K=4) ideal hits
    assert ndcg_at_k(RECS, REL, 4) == pytest.approx((dcg0 / idcg0 + 1.0) / 2)
    assert ndcg_at_k([[9, 8]], [{8}], 2) == pytest.approx(1 / math.log2(3))


def test_map_by_hand() -> None:
    ap0 = (1 / 2 + 2 / 4) / 3  # precision at the hits, over min(|T|, K) = 3
    assert map_at_k(RECS, REL, 4) == pytest.approx((ap0 + 1.0) / 2)


def test_coverage_and_popularity_bias() -> None:
    assert coverage_at_k(RECS, 10, 2) == pytest.approx(4 / 10)  # {3, 1, 5, 6}
    pop = np.arange(10) / 10
    assert popularity_bias_at_k(RECS, pop, 2) == pytest.approx(np.mean([0.3, 0.1, 0.5, 0.6]))


def test_padding_and_users_without_test_items() -> None:
    # -1 pads short lists; a user without test items is not averaged in
    assert recall_at_k([[4, -1], [1, 2]], [{4}, set()], 2) == pytest.approx(1.0)
    with pytest.raises(InvalidInputError, match="only 4 entries"):
        ndcg_at_k(RECS[:1], REL[:1], 2 + 3)


def _grid_data(n_users: int = 60, n_items: int = 40) -> Interactions:
    rng = np.random.default_rng(1)
    users, items, times = [], [], []
    for u in range(n_users):
        chosen = rng.choice(n_items, size=rng.integers(3, 15), replace=False)
        for t, i in enumerate(chosen):
            users.append(u)
            items.append(i)
            times.append(1000.0 * u + t)
    return Interactions.from_arrays(users, items, None, times)


def test_holdout_split_is_seeded_disjoint_and_complete() -> None:
    inter = _grid_data()
    train, test = holdout_split(inter, test_fraction=0.2, seed=3)
    again, _ = holdout_split(inter, test_fraction=0.2, seed=3)
    assert (train.matrix != again.matrix).nnz == 0
    assert train.nnz + test.nnz == inter.nnz
    assert train.matrix.multiply(test.matrix).nnz == 0
    counts = inter.user_counts()
    np.testing.assert_array_equal(test.user_counts(), np.floor(counts * 0.2 + 0.5))
    assert train.item_ids == inter.item_ids and test.user_ids == inter.user_ids
    other, _ = holdout_split(inter, test_fraction=0.2, seed=4)
    assert (train.matrix != other.matrix).nnz > 0


def test_leave_last_out_and_kfold() -> None:
    inter = _grid_data()
    train, test = leave_last_out_split(inter)
    assert np.all(test.user_counts() == 1)
    ts_test = test.timestamps
    assert ts_test is not None and train.timestamps is not None
    for u in range(inter.n_users):
        lo, hi = train.timestamps.indptr[u], train.timestamps.indptr[u + 1]
        assert ts_test.data[u] > train.timestamps.data[lo:hi].max()
    folds = list(kfold_splits(inter, n_folds=4, seed=0))
    assert len(folds) == 4
    assert sum(t.nnz for _, t in folds) == inter.nnz
    no_time = Interactions.from_arrays([1, 1], [1, 2])
    with pytest.raises(InvalidInputError, match="needs timestamps"):
        leave_last_out_split(no_time)


def test_evaluate_models_table() -> None:
    inter = _grid_data()
    table = evaluate_models(
        inter, ["popularity", "itemknn"], ks=(5, 10), params={"itemknn": ["k=10"]}
    )
    assert [r["model"] for r in table.rows] == ["popularity", "itemknn"]
    for col in (
        "ndcg@10",
        "recall@5",
        "precision@10",
        "map@10",
        "hitrate@10",
        "coverage@10",
        "popbias@10",
        "fit_s",
        "rank_ms",
    ):
        assert col in table.columns
    assert 0.0 <= table.rows[0]["ndcg@10"] <= 1.0
    md = table.to_markdown()
    assert md.splitlines()[0].startswith("| model | ") and "itemknn" in md
    assert "popularity" in table.to_text() and table.to_tsv().count("\n") == 3
    kf = evaluate_models(inter, ["popularity"], protocol="kfold", n_folds=3, ks=(5,))
    assert kf.protocol == "kfold (3 folds)"
    with pytest.raises(InvalidInputError, match="unknown protocol"):
        evaluate_models(inter, ["popularity"], protocol="random")
    with pytest.raises(InvalidInputError, match="unknown model"):
        evaluate_models(inter, ["nope"])


def test_tune_uses_validation_only() -> None:
    inter = _grid_data()
    train, _test = holdout_split(inter, seed=0)
    best, trials = tune("itemknn", train, {"k": [2, 20]}, metric="ndcg@10")
    assert best["k"] in (2, 20) and len(trials) == 2
    # the validation data is part of train: no test interaction is ever used
    assert all(t["users"] <= train.n_users for t in trials)
