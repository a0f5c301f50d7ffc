"""Where the reference data and the corpus cache live."""

from __future__ import annotations

import os
from pathlib import Path

from muselab.errors import InvalidInputError

__all__ = ["cache_dir", "data_dir"]

_REPO_ROOT = Path(__file__).resolve().parents[3]


def data_dir() -> Path:
    """The reference data folder: ``$MUSELAB_DATA``, else ``../shared/data``.

    ``../shared/data`` is tried relative to the current directory, then relative to the
    repository root of this checkout.

    Raises
    ------
    InvalidInputError
        None of them exists; the message says to set ``MUSELAB_DATA``.
    """
    env = os.environ.get("MUSELAB_DATA")
    if env:
        if Path(env).is_dir():
            return Path(env)
        raise InvalidInputError(
            f"MUSELAB_DATA is {env!r}, which is not a folder; point it at the shared data folder "
            "(the one holding nottingham/ and jsb-chorales/)"
        )
    tried = [Path.cwd().parent / "shared" / "data", _REPO_ROOT.parent / "shared" / "data"]
    for cand in tried:
        if cand.is_dir():
            return cand
    raise InvalidInputError(
        "reference data not found (looked in "
        + ", ".join(repr(str(p)) for p in tried)
        + "); set MUSELAB_DATA to the folder holding nottingham/ and jsb-chorales/"
    )


def cache_dir() -> Path:
    """Corpus cache folder: ``$MUSELAB_CACHE/corpora``, else ``~/.cache/muselab/corpora``."""
    env = os.environ.get("MUSELAB_CACHE")
    base = Path(env) if env else Path.home() / ".cache" / "muselab"
    return base / "corpora"
