"""``muselab serve``: the web API (FastAPI under uvicorn) around a fitted recommender."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from muselab.errors import InvalidInputError

__all__ = ["register", "serve"]

_err = Console(stderr=True, highlight=False, soft_wrap=True)


def serve(
    model: Annotated[
        Path, typer.Option("--model", "-m", help="Model folder written by `recommend fit`.")
    ],
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    store: Annotated[
        str | None,
        typer.Option(help="Catalogue store (x.db, postgresql://...) for item names and links."),
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
) -> None:
    """Serve GET /recommend/{user}?k=, GET /similar/{item}?k= and GET /health over HTTP."""
    import uvicorn

    from muselab.web import create_app

    if not 0 < port < 65536:
        raise InvalidInputError(f"--port must be 1..65535, got {port}")
    app = create_app(model_dir=model, store=store)  # a bad folder fails here, before listening
    _err.print(
        f"muselab: serving {app.state.recommend.model.name} from {model} on "
        f"http://{host}:{port} (docs at /docs; Ctrl+C stops)",
        markup=False,
    )
    uvicorn.run(app, host=host, port=port, log_level=log_level)


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the main ``muselab`` app."""
    app.command(name="serve")(serve)
