"""Top-N ranking metrics with binary relevance, computed for many users at once.

Definitions (``R_u`` = the top-``K`` list of user ``u``, ``T_u`` = their test items,
``hit_r`` = 1 if the item at rank ``r`` (1-based) is in ``T_u``):

* Precision@K = ``|R_u & T_u| / K``
* Recall@K = ``|R_u & T_u| / |T_u|``
* HitRate@K = 1 if ``|R_u & T_u| > 0``
* NDCG@K = ``sum_r hit_r / log2(r + 1)`` divided by the same sum for an ideal list of
  ``min(|T_u|, K)`` hits
* MAP@K = ``sum_r hit_r * Precision@r / min(|T_u|, K)``
* Coverage@K = share of the catalogue that appears in at least one user's top-``K``
* PopularityBias@K (average recommendation popularity, ARP) = mean over users and list
  positions of the item's training popularity, as the share of training users who have it.

User metrics are averaged over the users with at least one test item.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from muselab.errors import InvalidInputError

__all__ = [
    "METRICS",
    "coverage_at_k",
    "hit_rate_at_k",
    "hits_matrix",
    "map_at_k",
    "ndcg_at_k",
    "popularity_bias_at_k",
    "precision_at_k",
    "ranking_metrics",
    "recall_at_k",
]

METRICS = ("precision", "recall", "ndcg", "map", "hitrate", "coverage", "popbias")
"""Metric names as they appear (with ``@K``) in :func:`ranking_metrics`."""


def _as_recs(recommended: Any) -> np.ndarray:
    """Ragged lists of item indices -> an int64 matrix padded with -1."""
    if isinstance(recommended, np.ndarray) and recommended.ndim == 2:
        return recommended.astype(np.int64, copy=False)
    rows = [list(r) for r in recommended]
    width = max((len(r) for r in rows), default=0)
    out = np.full((len(rows), width), -1, np.int64)
    for n, r in enumerate(rows):
        out[n, : len(r)] = r
    return out


def _as_relevant(relevant: Any, n_users: int) -> sp.csr_matrix:
    """Sets of relevant item indices (or a CSR matrix) -> a binary CSR matrix."""
    if sp.issparse(relevant):
        m = sp.csr_matrix(relevant, dtype=np.float32, copy=True)
        m.data[:] = 1.0
        return m
    rows, cols = [], []
    for n, items in enumerate(relevant):
        for j in items:
            rows.append(n)
            cols.append(int(j))
    width = max(cols, default=-1) + 1
    return sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n_users, width))


def hits_matrix(recommended: Any, relevant: Any) -> tuple[np.ndarray, np.ndarray]:
    """Binary hits [shape=(n_users, K)] and the number of relevant items per user.

    Parameters
    ----------
    recommended : np.ndarray [shape=(n_users, K)] or sequence of sequences of int
        Item indices, best first; ``-1`` pads short lists.
    relevant : scipy.sparse matrix [shape=(n_users, n_items)] or sequence of sets of int
        The held-out items of each user.
    """
    recs = _as_recs(recommended)
    rel = _as_relevant(relevant, recs.shape[0])
    if rel.shape[0] != recs.shape[0]:
        raise InvalidInputError(
            f"{recs.shape[0]} recommendation lists but {rel.shape[0]} users with test items"
        )
    n_rel = np.diff(rel.indptr).astype(np.int64)
    hits = np.zeros(recs.shape, dtype=bool)
    for u in range(recs.shape[0]):
        items = rel.indices[rel.indptr[u] : rel.indptr[u + 1]]
        if len(items):
            hits[u] = np.isin(recs[u], items) & (recs[u] >= 0)
    return hits, n_rel


def _check_k(k: int, width: int) -> None:
    if k < 1:
        raise InvalidInputError(f"K must be >= 1, got {k!r}")
    if k > width:
        raise InvalidInputError(f"K={k} but the lists have only {width} entries")


def _mean(values: np.ndarray, n_rel: np.ndarray) -> float:
    ok = n_rel > 0
    return float(values[ok].mean()) if ok.any() else float("nan")


def _per_user(name: str, hits: np.ndarray, n_rel: np.ndarray, k: int) -> np.ndarray:
    h = hits[:, :k].astype(np.float64)
    n_hit = h.sum(axis=1)
    safe = np.maximum(n_rel, 1)
    if name == "precision":
        return n_hit / k
    if name == "recall":
        return n_hit / safe
    if name == "hitrate":
        return (n_hit > 0).astype(np.float64)
    if name == "ndcg":
        disc = 1.0 / np.log2(np.arange(2, k + 2))
        dcg = h @ disc
        ideal = np.cumsum(disc)[np.minimum(safe, k) - 1]
        return dcg / ideal
    if name == "map":
        prec = np.cumsum(h, axis=1) / np.arange(1, k + 1)
        return (prec * h).sum(axis=1) / np.minimum(safe, k)
    raise InvalidInputError(f"unknown metric {name!r}")


def precision_at_k(recommended: Any, relevant: Any, k: int) -> float:
    """Mean Precision@K over users with test items (see module docstring).

    >>> precision_at_k([[1, 2, 3]], [{2, 9}], 2)
    0.5
    """
    hits, n_rel = hits_matrix(recommended, relevant)
    _check_k(k, hits.shape[1])
    return _mean(_per_user("precision", hits, n_rel, k), n_rel)


def recall_at_k(recommended: Any, relevant: Any, k: int) -> float:
    """Mean Recall@K.

    >>> recall_at_k([[1, 2, 3]], [{2, 9}], 3)
    0.5
    """
    hits, n_rel = hits_matrix(recommended, relevant)
    _check_k(k, hits.shape[1])
    return _mean(_per_user("recall", hits, n_rel, k), n_rel)


def hit_rate_at_k(recommended: Any, relevant: Any, k: int) -> float:
    """Share of users with at least one hit in the top K."""
    hits, n_rel = hits_matrix(recommended, relevant)
    _check_k(k, hits.shape[1])
    return _mean(_per_user("hitrate", hits, n_rel, k), n_rel)


def ndcg_at_k(recommended: Any, relevant: Any, k: int) -> float:
    """Mean NDCG@K with binary gains and ideal DCG over ``min(|T_u|, K)`` hits.

    >>> round(ndcg_at_k([[5, 1]], [{1}], 2), 4)  # hit at rank 2: (1/log2 3) / 1
    0.6309
    """
    hits, n_rel = hits_matrix(recommended, relevant)
    _check_k(k, hits.shape[1])
    return _mean(_per_user("ndcg", hits, n_rel, k), n_rel)


def map_at_k(recommended: Any, relevant: Any, k: int) -> float:
    """Mean average precision at K, normalised by ``min(|T_u|, K)``."""
    hits, n_rel = hits_matrix(recommended, relevant)
    _check_k(k, hits.shape[1])
    return _mean(_per_user("map", hits, n_rel, k), n_rel)


def coverage_at_k(recommended: Any, n_items: int, k: int) -> float:
    """Share of the ``n_items`` catalogue recommended to at least one user in the top K."""
    recs = _as_recs(recommended)[:, :k]
    if n_items < 1:
        raise InvalidInputError(f"n_items must be >= 1, got {n_items!r}")
    return float(len(np.unique(recs[recs >= 0])) / n_items)


def popularity_bias_at_k(recommended: Any, popularity: np.ndarray, k: int) -> float:
    """Mean popularity (any per-item array, e.g. share of users) of the recommended items."""
    recs = _as_recs(recommended)[:, :k]
    valid = recs >= 0
    if not valid.any():
        return float("nan")
    return float(np.asarray(popularity, np.float64)[recs[valid]].mean())


def ranking_metrics(
    recommended: np.ndarray,
    relevant: sp.csr_matrix,
    ks: Sequence[int] = (10, 20),
    *,
    popularity: np.ndarray | None = None,
    users: np.ndarray | None = None,
) -> dict[str, float]:
    """All metrics at every K, as an ordered dict ``{"ndcg@10": ..., ...}``.

    Parameters
    ----------
    recommended : np.ndarray [shape=(n, K_max)]
        Item indices per evaluated user (``-1`` pads).
    relevant : scipy.sparse.csr_matrix [shape=(n_users, n_items)]
        Test items; rows are picked by ``users`` (default: the first ``n`` rows).
    ks : sequence of int
    popularity : np.ndarray [shape=(n_items,)] or None
        Per-item training popularity (share of users) for ``popbias``; omitted if None.
    users : np.ndarray [shape=(n,)] or None
        Row of ``relevant`` for each row of ``recommended``.
    """
    rel = relevant[users] if users is not None else relevant[: recommended.shape[0]]
    hits, n_rel = hits_matrix(recommended, rel)
    out: dict[str, float] = {}
    for k in ks:
        _check_k(k, hits.shape[1])
        for name in ("precision", "recall", "ndcg", "map", "hitrate"):
            out[f"{name}@{k}"] = _mean(_per_user(name, hits, n_rel, k), n_rel)
        tested = recommended[n_rel > 0]
        out[f"coverage@{k}"] = coverage_at_k(tested, relevant.shape[1], k)
        if popularity is not None:
            out[f"popbias@{k}"] = popularity_bias_at_k(tested, popularity, k)
    out["users"] = float((n_rel > 0).sum())
    return out
