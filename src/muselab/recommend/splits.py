"""Train/test splits the way recommender papers make them.

All splits keep the id space of the input (same users, same items, same order), so a model
fitted on the train part ranks over the full catalogue and test items that never occur in
train are still counted as misses.

* :func:`holdout_split` - per user, a seeded random fraction of their items goes to test.
* :func:`leave_last_out_split` - per user, the latest ``n`` interactions go to test
  (needs timestamps).
* :func:`kfold_splits` - per user, the items are dealt into ``n_folds`` folds; each fold is
  the test part once.

Users with too few interactions stay wholly in train (they still shape the model, but are
not evaluated).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import scipy.sparse as sp

from muselab.errors import InvalidInputError
from muselab.recommend.data import Interactions

__all__ = ["holdout_split", "kfold_splits", "leave_last_out_split", "split_by_mask"]


def split_by_mask(inter: Interactions, test_mask: np.ndarray) -> tuple[Interactions, Interactions]:
    """Split the stored interactions of ``inter`` by a boolean mask over ``matrix.data``."""
    m = inter.matrix
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))

    def part(mask: np.ndarray) -> tuple[sp.csr_matrix, sp.csr_matrix | None]:
        mat = sp.csr_matrix((m.data[mask], (rows[mask], m.indices[mask])), shape=m.shape)
        ts = None
        if inter.timestamps is not None:
            ts = sp.csr_matrix(
                (inter.timestamps.data[mask], (rows[mask], m.indices[mask])), shape=m.shape
            )
        return mat, ts

    train_m, train_t = part(~test_mask)
    test_m, test_t = part(test_mask)
    return inter.with_matrix(train_m, train_t), inter.with_matrix(test_m, test_t)


def _row_ranks(m: sp.csr_matrix, key: np.ndarray) -> np.ndarray:
    """Rank of each stored entry within its row when the row is sorted by ``key``."""
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    order = np.lexsort((key, rows))
    ranks = np.empty(len(key), dtype=np.int64)
    ranks[order] = np.arange(len(key)) - m.indptr[rows[order]]
    return ranks


def holdout_split(
    inter: Interactions, *, test_fraction: float = 0.2, seed: int = 0, min_train: int = 1
) -> tuple[Interactions, Interactions]:
    """Per-user random hold-out.

    Parameters
    ----------
    inter : Interactions
    test_fraction : float
        Share of each user's items that go to test, rounded to the nearest integer
        (a user with 50 items gives 10 at 0.2).  0 < test_fraction < 1.
    seed : int
        Same seed and data -> the same split.
    min_train : int
        Every user keeps at least this many items in train; users with fewer than
        ``min_train + 1`` items are not tested.

    Returns
    -------
    train, test : Interactions
        Same ids as ``inter``; disjoint interactions whose union is ``inter``.
    """
    if not 0.0 < test_fraction < 1.0:
        raise InvalidInputError(f"test_fraction must be between 0 and 1, got {test_fraction!r}")
    m = inter.matrix
    counts = np.diff(m.indptr)
    n_test = np.floor(counts * test_fraction + 0.5).astype(np.int64)
    n_test = np.minimum(n_test, np.maximum(counts - min_train, 0))
    rng = np.random.default_rng(seed)
    ranks = _row_ranks(m, rng.random(m.nnz))
    rows = np.repeat(np.arange(m.shape[0]), counts)
    return split_by_mask(inter, ranks < n_test[rows])


def leave_last_out_split(
    inter: Interactions, *, n: int = 1, min_train: int = 1
) -> tuple[Interactions, Interactions]:
    """Per user, the ``n`` most recent interactions are the test part.

    Raises
    ------
    InvalidInputError
        ``inter`` has no timestamps.
    """
    if inter.timestamps is None:
        raise InvalidInputError(
            "leave-last-out needs timestamps; read the log with a timestamp column or use "
            "the holdout protocol"
        )
    if n < 1:
        raise InvalidInputError(f"n must be >= 1, got {n!r}")
    m = inter.matrix
    counts = np.diff(m.indptr)
    n_test = np.minimum(n, np.maximum(counts - min_train, 0))
    # latest first: sort by negative time, ties by column index (deterministic)
    ranks = _row_ranks(m, -inter.timestamps.data + 1e-9 * m.indices)
    rows = np.repeat(np.arange(m.shape[0]), counts)
    return split_by_mask(inter, ranks < n_test[rows])


def kfold_splits(
    inter: Interactions, *, n_folds: int = 5, seed: int = 0
) -> Iterator[tuple[Interactions, Interactions]]:
    """Per-user k-fold: each user's items are dealt at random into ``n_folds`` folds.

    Yields ``(train, test)`` for each fold in turn.  A user with fewer items than folds
    is tested only in the folds that receive one of their items.
    """
    if n_folds < 2:
        raise InvalidInputError(f"n_folds must be >= 2, got {n_folds!r}")
    m = inter.matrix
    rng = np.random.default_rng(seed)
    ranks = _row_ranks(m, rng.random(m.nnz))
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    offset = rng.integers(0, n_folds, size=m.shape[0])
    fold = (ranks + offset[rows]) % n_folds
    for f in range(n_folds):
        yield split_by_mask(inter, fold == f)
