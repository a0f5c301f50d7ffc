"""A compact on-disk cache of parsed corpora: gzipped JSON, never pickle.

A cache file holds every item of one corpus as ``[id, split, score_dict]`` rows, where
``score_dict`` is :func:`muselab.io.jsonio.score_to_dict` output.  Its name carries a key
made of the corpus name, a fingerprint of the source files (path, size, mtime), the
music21 version and :data:`CACHE_FORMAT`, so editing a source file, upgrading music21 or
changing the conversion code (bump :data:`CACHE_FORMAT`) starts a fresh parse.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from muselab.io.atomic import atomic_write_bytes

__all__ = ["CACHE_FORMAT", "cache_key", "read_cache", "write_cache"]

CACHE_FORMAT = 2
"""Bump when the parsed result of a source file would change."""

_log = logging.getLogger("muselab.corpora")


def cache_key(name: str, sources: Iterable[Path], *, extra: str = "") -> str:
    """Hex key from the corpus name, source files (path, size, mtime) and versions.

    Parameters
    ----------
    name : str
        Corpus name.
    sources : iterable of Path
        Every file the corpus is parsed from.
    extra : str, keyword-only
        More text to mix in (e.g. the music21 version).

    Returns
    -------
    str
        40 hex digits.
    """
    h = hashlib.sha1()
    h.update(f"{name}\0{CACHE_FORMAT}\0{extra}\0".encode())
    for p in sorted(Path(s) for s in sources):
        st = p.stat()
        h.update(f"{p}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    return h.hexdigest()


def _path(folder: Path, name: str, key: str) -> Path:
    return folder / f"{name}-{key[:16]}.json.gz"


def read_cache(folder: Path, name: str, key: str) -> list[list[Any]] | None:
    """Rows ``[id, split, score_dict]`` stored for this key, or None (missing or unreadable)."""
    path = _path(folder, name, key)
    if not path.is_file():
        return None
    try:
        doc = json.loads(gzip.decompress(path.read_bytes()))
    except (OSError, EOFError, ValueError) as exc:
        _log.warning("ignoring unreadable corpus cache %s (%s)", path, exc)
        return None
    if not isinstance(doc, dict) or doc.get("key") != key or not isinstance(doc.get("items"), list):
        return None
    items: list[list[Any]] = doc["items"]
    return items


def write_cache(folder: Path, name: str, key: str, rows: list[list[Any]]) -> Path:
    """Store rows atomically and remove older cache files of the same corpus."""
    folder.mkdir(parents=True, exist_ok=True)
    path = _path(folder, name, key)
    doc = {"format": CACHE_FORMAT, "corpus": name, "key": key, "items": rows}
    data = gzip.compress(json.dumps(doc, separators=(",", ":")).encode(), compresslevel=5)
    atomic_write_bytes(path, data)
    for old in folder.glob(f"{name}-*.json.gz"):
        if old != path:
            with contextlib.suppress(OSError):
                old.unlink()
    return path
