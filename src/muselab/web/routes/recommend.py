"""Recommendation routes: ``GET /recommend/{user}`` and ``GET /similar/{item}``.

Documented behaviour
--------------------
* ``GET /recommend/{user}?k=10&exclude_seen=true&explain=false&fallback=true`` - the
  user's top-``k`` (1..1000).  An **unknown user** gets the most popular items with
  ``"known_user": false`` and ``"source": "popularity"`` on every item; with
  ``fallback=false`` it is a 404 instead.
* ``POST /recommend`` with ``{"items": {"89": 120, "289": 4}, "k": 10}`` (or a list of
  item ids) - a top-``k`` for a listener who is not in the training data ("more like this"
  from their own library).  Unknown items are ignored; with none known, the most popular.
* ``GET /similar/{item}?k=10`` - the ``k`` most similar items.  An **unknown item** is a
  404, unless the model places it by content features (``"source": "content"``).
* ``k`` outside 1..1000 or not an integer: 422.  Every error body is ``{"error": "..."}``.
* A server started without a model (``muselab serve`` without ``--model``): 503 on every
  route here, ``{"error": "no recommender loaded; start with muselab serve --model DIR"}``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field

from muselab.recommend.serving import MAX_K, RecommendedList, RecommendService

__all__ = [
    "NO_RECOMMENDER",
    "HistoryIn",
    "HistoryOut",
    "ItemOut",
    "RecommendOut",
    "SimilarOut",
    "router",
]

NO_RECOMMENDER = "no recommender loaded; start with muselab serve --model DIR"

router = APIRouter(tags=["recommend"])


class ItemOut(BaseModel):
    """One recommended item."""

    item: str
    rank: int
    score: float
    source: str
    name: str | None = None
    url: str | None = None
    because: str | None = None


class RecommendOut(BaseModel):
    """A user's list."""

    user: str
    known_user: bool
    model: str
    items: list[ItemOut]


class HistoryIn(BaseModel):
    """A listener's library: item ids with weights (e.g. play counts), or a list of ids."""

    items: dict[str, float] | list[str] = Field(min_length=1, max_length=100_000)
    k: int = Field(10, ge=1, le=MAX_K)
    exclude_seen: bool = True


class HistoryOut(BaseModel):
    """A list for a listener outside the training data."""

    known_items: int
    model: str
    items: list[ItemOut]


class SimilarOut(BaseModel):
    """Items similar to one item."""

    item: str
    known_item: bool
    model: str
    items: list[ItemOut]


def _service(request: Request) -> RecommendService:
    service: RecommendService | None = getattr(request.app.state, "recommend", None)
    if service is None:
        raise HTTPException(503, NO_RECOMMENDER)
    return service


def _items(result: RecommendedList) -> list[ItemOut]:
    return [ItemOut(**r.to_dict()) for r in result.items]


K = Annotated[int, Query(ge=1, le=MAX_K, description=f"List length, 1..{MAX_K}.")]


@router.get("/recommend/{user}", response_model=RecommendOut, response_model_exclude_none=True)
def recommend(
    request: Request,
    user: Annotated[str, Path(description="External user id, as in the training data.")],
    k: K = 10,
    exclude_seen: Annotated[
        bool, Query(description="Leave out items the user already has.")
    ] = True,
    explain: Annotated[
        bool, Query(description="Add 'because you listened to X' (neighbour models).")
    ] = False,
    fallback: Annotated[
        bool, Query(description="Unknown user: most popular items (true) or 404 (false).")
    ] = True,
) -> RecommendOut:
    """Top-``k`` items for ``user``, best first."""
    service = _service(request)
    result = service.recommend(
        user, k, exclude_seen=exclude_seen, fallback=fallback, explain=explain
    )
    return RecommendOut(
        user=result.query, known_user=result.known, model=service.model.name, items=_items(result)
    )


@router.post("/recommend", response_model=HistoryOut, response_model_exclude_none=True)
def recommend_history(request: Request, body: HistoryIn) -> HistoryOut:
    """Top-``k`` for a listener outside the training data, from the items they name."""
    service = _service(request)
    result = service.recommend_history(body.items, body.k, exclude_seen=body.exclude_seen)
    return HistoryOut(known_items=int(result.query), model=service.model.name, items=_items(result))


@router.get("/similar/{item}", response_model=SimilarOut, response_model_exclude_none=True)
def similar(
    request: Request,
    item: Annotated[str, Path(description="External item id, as in the training data.")],
    k: K = 10,
) -> SimilarOut:
    """The ``k`` items most similar to ``item`` (itself excluded)."""
    service = _service(request)
    result = service.similar(item, k)
    return SimilarOut(
        item=result.query, known_item=result.known, model=service.model.name, items=_items(result)
    )
