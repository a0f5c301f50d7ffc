"""Content-based recommendation from item features (:mod:`muselab.recommend.features`).

A user's profile is the weighted mean of the (L2-normalised) feature vectors of their
items; an item's score is the cosine between its vector and the profile.  Items with
features but no interactions are still reachable through :meth:`similar_items` (cold-start
items, ``source="content"``).  Explanations name the user's items whose features are
closest to the recommended one.

The features come either as an :class:`~muselab.recommend.features.ItemFeatures` object
(``ContentRecommender(features=...)``) or from a file (``features_path`` parameter, read
with :func:`~muselab.recommend.features.read_item_features`), so audio feature vectors from
:mod:`muselab.analysis` plug in without code changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from muselab.errors import InvalidInputError
from muselab.recommend import persist
from muselab.recommend.base import BaseRecommender, Params
from muselab.recommend.data import WEIGHTINGS, Interactions, Weighting
from muselab.recommend.features import ItemFeatures, read_item_features

__all__ = ["ContentRecommender"]


def _l2_rows(m: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    return sp.csr_matrix(sp.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ m, dtype=np.float32)


@dataclass(frozen=True)
class ContentParams(Params):
    """Parameters of :class:`ContentRecommender`.

    Attributes
    ----------
    features_path : str
        Feature file (CSV / TSV / Parquet table or JSON Lines); empty when the features are
        passed as an object.
    item_col : str
        Item column in the feature table (empty: guess).
    text_cols : str
        Comma-separated text columns to use (empty: every non-numeric column).
    weighting : str
        How a user's items are weighted in their profile.
    """

    features_path: str = ""
    item_col: str = ""
    text_cols: str = ""
    weighting: str = "log"

    def __post_init__(self) -> None:
        if self.weighting not in WEIGHTINGS:
            raise InvalidInputError(
                f"unknown weighting {self.weighting!r}; choose one of {', '.join(WEIGHTINGS)}"
            )


class ContentRecommender(BaseRecommender):
    """Cosine similarity between item feature vectors and user profiles.

    Parameters
    ----------
    features : ItemFeatures or None
        Item features; if ``None``, ``features_path`` must name a feature file.
    **params
        See :class:`ContentParams`.
    """

    name: ClassVar[str] = "content"
    Params = ContentParams

    def __init__(self, features: ItemFeatures | None = None, **params: Any) -> None:
        super().__init__(**params)
        self._features = features
        self._weighting = Weighting(self.params.weighting)
        self._f = sp.csr_matrix((0, 0), dtype=np.float32)  # catalogue items x features

    def _load_features(self) -> ItemFeatures:
        if self._features is not None:
            return self._features
        p = self.params
        if not p.features_path:
            raise InvalidInputError(
                "the content model needs item features: pass features=ItemFeatures(...) or "
                "the parameter features_path=FILE (a table or JSON Lines of feature vectors)"
            )
        text = [c.strip() for c in p.text_cols.split(",") if c.strip()] or None
        self._features = read_item_features(
            p.features_path, item_col=p.item_col or None, text_cols=text
        )
        return self._features

    def _fit(self, train: Interactions) -> None:
        feats = self._load_features()
        self._f = _l2_rows(feats.align(train.item_ids))
        if self._f.nnz == 0:
            raise InvalidInputError(
                "none of the items in the interactions has features; check that the feature "
                "file uses the same item ids"
            )
        self._weighting = self._weighting.fit(train.matrix)

    @property
    def feature_coverage(self) -> float:
        """Share of catalogue items that have a feature vector."""
        return float((np.diff(self._f.indptr) > 0).mean()) if self._f.shape[0] else 0.0

    def _score(self, users: np.ndarray, rows: sp.csr_matrix) -> np.ndarray:
        q = self._weighting.transform(rows)
        profile = _l2_rows(sp.csr_matrix(q @ self._f))
        return np.asarray((profile @ self._f.T).todense(), np.float32)

    def _similar(self, item: int) -> np.ndarray:
        return np.asarray((self._f @ self._f[item].T).todense(), np.float32).ravel()

    def _similar_unknown(self, item: str) -> np.ndarray | None:
        feats = self._features
        if feats is None:
            return None
        pos = feats.index().get(item)
        if pos is None:
            return None
        vec = _l2_rows(feats.matrix[pos])
        if vec.nnz == 0:
            return None
        return np.asarray((self._f @ vec.T).todense(), np.float32).ravel()

    def _contributions(self, row: sp.csr_matrix, item: int) -> np.ndarray:
        q = self._weighting.transform(row)
        sims = np.asarray((self._f[q.indices] @ self._f[item].T).todense(), np.float32).ravel()
        return q.data * sims

    def _arrays(self) -> dict[str, np.ndarray]:
        out = {**persist.sparse_to("F", self._f), **self._weighting.arrays()}
        if self._features is not None:
            out.update(persist.sparse_to("all_features", self._features.matrix))
        return out

    def _extra(self) -> dict[str, Any]:
        if self._features is None:
            return {}
        return {
            "feature_items": list(self._features.item_ids),
            "feature_names": list(self._features.names),
        }

    def _restore(self, arrays: Any, extra: Any) -> None:
        self._f = persist.sparse_from("F", arrays)
        self._weighting = self._weighting.restored(arrays)
        if "feature_items" in extra:
            self._features = ItemFeatures(
                tuple(extra["feature_items"]),
                persist.sparse_from("all_features", arrays),
                tuple(extra["feature_names"]),
            )
