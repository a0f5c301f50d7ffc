"""The FastAPI application factory: routes, shared state and error bodies.

Errors are JSON ``{"error": "<one line>"}``:

* 400 - a muselab error caused by the request (bad value);
* 404 - an unknown route, or an unknown id where no fallback applies (see
  :mod:`muselab.web.routes.recommend`);
* 422 - a query parameter out of range or of the wrong type (e.g. ``k=0``, ``k=abc``);
* 500 - a bug (the body names the exception type; the details go to the server log).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from muselab.errors import InvalidInputError, MuselabError
from muselab.recommend.serving import RecommendService, UnknownIdError
from muselab.recommend.store import Store

__all__ = ["create_app"]

log = logging.getLogger("muselab.web")


def create_app(
    model_dir: str | os.PathLike[str] | None = None,
    store: Store | str | None = None,
    *,
    service: RecommendService | None = None,
) -> FastAPI:
    """Build the muselab web API around a fitted recommender.

    Parameters
    ----------
    model_dir : path-like, optional
        A model folder written by ``muselab recommend fit`` (or ``save``).
    store : Store or str, optional
        A catalogue store (or its URL) whose names and links are shown with the results.
    service : RecommendService, optional
        An already loaded service (instead of ``model_dir``), e.g. in tests.

    Returns
    -------
    fastapi.FastAPI
        Routes: ``GET /health``, ``GET /recommend/{user}?k=``, ``POST /recommend`` (a
        listener's own library), ``GET /similar/{item}?k=``;
        the OpenAPI description at ``/openapi.json`` and ``/docs``.

    Raises
    ------
    InvalidInputError
        Neither ``model_dir`` nor ``service`` was given, or the folder does not exist.

    Examples
    --------
    >>> from fastapi.testclient import TestClient  # doctest: +SKIP
    >>> client = TestClient(create_app(model_dir="models/ease"))  # doctest: +SKIP
    >>> client.get("/recommend/2", params={"k": 5}).json()["items"][0]  # doctest: +SKIP
    {'item': '89', 'rank': 1, 'score': 0.61, 'source': 'model', 'name': 'Lady Gaga', ...}
    """
    from muselab import __version__
    from muselab.web.routes import recommend

    if service is None:
        if model_dir is None:
            raise InvalidInputError("create_app needs a model folder (model_dir=...) or a service")
        service = RecommendService.from_dir(model_dir, store=store)
    app = FastAPI(
        title="muselab",
        version=__version__,
        summary="Create, analyse and recommend music with AI.",
    )
    app.state.recommend = service
    app.include_router(recommend.router)

    @app.get("/health", tags=["meta"])
    def health() -> dict[str, Any]:
        """Liveness and what is being served (model, users, items, fit date)."""
        return service.health()

    _install_error_handlers(app)
    return app


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": " ".join(str(message).split())}, status_code=status)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(UnknownIdError)
    async def unknown_id(request: Request, exc: UnknownIdError) -> JSONResponse:
        return _error(404, str(exc))

    @app.exception_handler(MuselabError)
    async def muselab_error(request: Request, exc: MuselabError) -> JSONResponse:
        return _error(400, str(exc))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors():
            loc = err.get("loc", ())
            where = ".".join(str(p) for p in loc if p not in ("query", "path", "body"))
            if err.get("type") == "json_invalid":
                detail = (err.get("ctx") or {}).get("error", "")
                parts.append(f"the request body is not valid JSON ({detail})")
                continue
            got = err.get("input")
            parts.append(f"{where or 'body'}: {err.get('msg', 'invalid')} (got {got!r})")
        return _error(422, "; ".join(parts) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no route {request.url.path!r}; see /docs"
        return _error(exc.status_code, detail)

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s", request.url.path)
        return _error(500, f"internal error: {type(exc).__name__} (a bug in muselab)")
