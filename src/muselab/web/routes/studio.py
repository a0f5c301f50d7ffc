"""The studio page: ``GET /`` serves one static HTML file with plain JavaScript.

The page (``muselab/web/static/studio.html``, shipped as package data) calls the JSON API of
the same server: ``GET /generators``, ``POST /compose`` and ``POST /analyze``.  No build step.
"""

from __future__ import annotations

import functools
import importlib.resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

__all__ = ["router", "studio_html"]

router = APIRouter(tags=["studio"])


@functools.lru_cache(maxsize=1)
def studio_html() -> str:
    """The studio page's HTML (read once from the package)."""
    ref = importlib.resources.files("muselab") / "web" / "static" / "studio.html"
    return ref.read_text(encoding="utf-8")


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def studio() -> HTMLResponse:
    """The web studio: compose, listen, look at the score; analyse an uploaded file."""
    return HTMLResponse(studio_html())
