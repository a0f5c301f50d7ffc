"""Shared fixtures: where the reference data lives, and a deterministic environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path | None:
    """``$MUSELAB_DATA`` or ``../shared/data`` beside the repository, if present."""
    env = os.environ.get("MUSELAB_DATA")
    for cand in ([Path(env)] if env else []) + [REPO.parent / "shared" / "data"]:
        if cand.is_dir():
            return cand
    return None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    d = shared_data_dir()
    if d is None:
        pytest.skip(
            "reference data not found: put ../shared/data beside the repo or set MUSELAB_DATA"
        )
    return d


@pytest.fixture(autouse=True, scope="session")
def _headless() -> None:
    os.environ.setdefault("MPLBACKEND", "Agg")
