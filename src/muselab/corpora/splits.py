"""The train / valid / test split rule shared by every muselab result.

For a tune id, ``h = int(sha1(id.encode()).hexdigest(), 16) % 10``: ``h == 0`` is test,
``h == 1`` is valid, the rest is train (the rule of ``shared/data/README.md``).  The JSB
chorales keep their own published split instead.
"""

from __future__ import annotations

import hashlib

__all__ = ["SPLITS", "split_of"]

SPLITS = ("train", "valid", "test")


def split_of(tune_id: str) -> str:
    """Split of a tune id by the sha1 rule: about 80 % train, 10 % valid, 10 % test.

    Parameters
    ----------
    tune_id : str
        E.g. ``"jigs:12"`` (Nottingham) or ``"essenFolksong/altdeu10:3"``.

    Returns
    -------
    str
        ``"train"``, ``"valid"`` or ``"test"``.

    Examples
    --------
    >>> split_of("jigs:1")
    'train'
    """
    h = int(hashlib.sha1(tune_id.encode()).hexdigest(), 16) % 10
    return "test" if h == 0 else "valid" if h == 1 else "train"
