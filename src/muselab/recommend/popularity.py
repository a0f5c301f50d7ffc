"""Most-popular baseline: the same ranking for everyone, minus what they already have."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
import scipy.sparse as sp

from muselab.errors import InvalidInputError
from muselab.recommend.base import BaseRecommender, Params
from muselab.recommend.data import Interactions

__all__ = ["PopularityRecommender"]


@dataclass(frozen=True)
class PopularityParams(Params):
    """Parameters of :class:`PopularityRecommender`.

    Attributes
    ----------
    by : {"users", "weight"}
        Rank by the number of users who interacted with an item, or by the summed weight
        (e.g. total play count).
    """

    by: Literal["users", "weight"] = "users"

    def __post_init__(self) -> None:
        if self.by not in ("users", "weight"):
            raise InvalidInputError(f"popularity 'by' must be 'users' or 'weight', got {self.by!r}")


class PopularityRecommender(BaseRecommender):
    """Recommend the most popular items (MostPop).

    Examples
    --------
    >>> from muselab.recommend.data import Interactions
    >>> inter = Interactions.from_arrays(["u", "u", "v", "w"], ["a", "b", "a", "c"])
    >>> [r.item for r in PopularityRecommender().fit(inter).recommend("w", k=2)]
    ['a', 'b']
    """

    name: ClassVar[str] = "popularity"
    Params = PopularityParams

    def __init__(self, **params: object) -> None:
        super().__init__(**params)
        self._scores = np.zeros(0, np.float32)

    def _fit(self, train: Interactions) -> None:
        if self.params.by == "users":
            self._scores = train.item_counts().astype(np.float32)
        else:
            self._scores = np.asarray(train.matrix.sum(axis=0), np.float32).ravel()

    def _score(self, users: np.ndarray, rows: sp.csr_matrix) -> np.ndarray:
        return np.broadcast_to(self._scores, (len(users), len(self._scores)))

    def _similar(self, item: int) -> np.ndarray:
        return self._scores

    def _arrays(self) -> dict[str, np.ndarray]:
        return {"scores": self._scores}

    def _restore(self, arrays, extra) -> None:  # type: ignore[no-untyped-def]
        self._scores = np.asarray(arrays["scores"], np.float32)
