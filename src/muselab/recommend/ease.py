"""EASE: a closed-form linear item-item model (Steck, "Embarrassingly Shallow Autoencoders
for Sparse Data", WWW 2019).

``B = argmin ||X - X B||^2 + lam ||B||^2`` with ``diag(B) = 0`` has the closed form
``P = (X^T X + lam I)^-1``, ``B = -P / diag(P)`` (column-wise), ``diag(B) = 0``.  Scores
are ``x_u B``.  The inverse is dense in the number of items, so items seen by fewer than
``min_item_count`` training users are left out of the model (they cannot be predicted
from co-occurrence anyway); they are never ranked above scored items (see the cold-start
notes in :mod:`muselab.recommend.base`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from muselab.errors import InvalidInputError
from muselab.recommend.base import BaseRecommender, Params
from muselab.recommend.data import WEIGHTINGS, Interactions, Weighting

__all__ = ["EASE", "ease_weights"]

MAX_ITEMS = 30_000  # a 30k x 30k float32 matrix is 3.6 GB: refuse beyond that


def ease_weights(x: sp.csr_matrix, lam: float, dropout: float = 0.0) -> np.ndarray:
    """The EASE item-item matrix ``B`` [shape=(n_items, n_items)], float32.

    Parameters
    ----------
    x : scipy.sparse matrix [shape=(n_users, n_items)]
        (Weighted) interactions.
    lam : float
        L2 regularisation, > 0.
    dropout : float
        Emphasised-denoising strength ``p`` of EDLAE (Steck, "Autoencoders that don't
        overfit towards the identity", NeurIPS 2020): item ``i`` is regularised by
        ``lam + p / (1 - p) * G_ii``, so popular items are damped more.  0 = plain EASE.
    """
    g = np.asarray((x.T @ x).todense(), dtype=np.float32)
    g[np.diag_indices_from(g)] += lam + dropout / (1.0 - dropout) * np.diag(g)
    # Cholesky-based inverse of the symmetric positive definite Gram matrix, in float32
    # (twice as fast as float64; lam keeps the system well conditioned)
    c, info = scipy.linalg.lapack.spotrf(g, lower=False, overwrite_a=True)
    if info != 0:
        raise InvalidInputError(
            f"EASE: the Gram matrix is not positive definite; raise lam ({lam})"
        )
    p, info = scipy.linalg.lapack.spotri(c, lower=False, overwrite_c=True)
    if info != 0:  # pragma: no cover - dpotrf succeeded, so dpotri does too
        raise InvalidInputError("EASE: inverting the Gram matrix failed")
    p = np.triu(p) + np.triu(p, 1).T
    b = p / (-np.diag(p))[None, :]
    np.fill_diagonal(b, 0.0)
    return b.astype(np.float32)


@dataclass(frozen=True)
class EASEParams(Params):
    """Parameters of :class:`EASE`.

    Attributes
    ----------
    lam : float
        L2 regularisation (tune it: ~100 for binary input, thousands for log weights).
        The defaults (log weights, 4000) were best on a HetRec validation split.
    weighting : str
        Input weighting (:data:`~muselab.recommend.data.WEIGHTINGS`).
    min_item_count : int
        Items with fewer training users are left out of the model.
    dropout : float
        EDLAE emphasised-denoising strength in [0, 1) (0 = EASE), see :func:`ease_weights`.
    """

    lam: float = 4000.0
    weighting: str = "log"
    min_item_count: int = 2
    dropout: float = 0.0

    def __post_init__(self) -> None:
        if not self.lam > 0:
            raise InvalidInputError(f"EASE lam must be > 0, got {self.lam!r}")
        if self.weighting not in WEIGHTINGS:
            raise InvalidInputError(
                f"unknown weighting {self.weighting!r}; choose one of {', '.join(WEIGHTINGS)}"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise InvalidInputError(f"EASE dropout must be in [0, 1), got {self.dropout!r}")
        if isinstance(self.min_item_count, bool) or self.min_item_count < 1:
            raise InvalidInputError(f"min_item_count must be >= 1, got {self.min_item_count!r}")


class EASE(BaseRecommender):
    """EASE^R linear autoencoder; explanations come from the item-item weights."""

    name: ClassVar[str] = "ease"
    Params = EASEParams

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._weighting = Weighting(self.params.weighting)
        self._items = np.zeros(0, np.int64)  # catalogue columns the model covers
        self._b = np.zeros((0, 0), np.float32)

    def _fit(self, train: Interactions) -> None:
        self._weighting, x = self._weighting.fit_transform(train.matrix)
        counts = train.item_counts()
        items = np.flatnonzero(counts >= self.params.min_item_count)
        if len(items) == 0:
            raise InvalidInputError(
                f"EASE: no item has >= {self.params.min_item_count} users; lower min_item_count"
            )
        if len(items) > MAX_ITEMS:
            raise InvalidInputError(
                f"EASE would need a dense {len(items)} x {len(items)} matrix; raise "
                f"min_item_count (now {self.params.min_item_count}) to keep it under {MAX_ITEMS}"
            )
        self._items = items.astype(np.int64)
        self._b = ease_weights(x[:, items], self.params.lam, self.params.dropout)

    def _score(self, users: np.ndarray, rows: sp.csr_matrix) -> np.ndarray:
        q = self._weighting.transform(rows)[:, self._items]
        out = np.full((rows.shape[0], self.interactions.n_items), -np.inf, np.float32)
        out[:, self._items] = np.asarray(q @ self._b, np.float32)
        return out

    def _similar(self, item: int) -> np.ndarray:
        out = np.full(self.interactions.n_items, -np.inf, np.float32)
        pos = np.searchsorted(self._items, item)
        if pos < len(self._items) and self._items[pos] == item:
            out[self._items] = self._b[pos]
        else:
            out[:] = super()._similar(item)
        return out

    def _contributions(self, row: sp.csr_matrix, item: int) -> np.ndarray:
        q = self._weighting.transform(row)
        pos = np.searchsorted(self._items, item)
        if not (pos < len(self._items) and self._items[pos] == item):
            return np.zeros(q.nnz, np.float32)
        col = np.zeros(self.interactions.n_items, np.float32)
        col[self._items] = self._b[:, pos]
        return q.data * col[q.indices]

    def _arrays(self) -> dict[str, np.ndarray]:
        return {"items": self._items, "B": self._b, **self._weighting.arrays()}

    def _restore(self, arrays: Any, extra: Any) -> None:
        self._items = np.asarray(arrays["items"], np.int64)
        self._b = np.asarray(arrays["B"], np.float32)
        self._weighting = self._weighting.restored(arrays)
