"""One exception hierarchy for all of muselab.

Every error a user can cause derives from :class:`MuselabError`, and most also derive
from the matching built-in (``ValueError``, ``ImportError``, ...), so ``except ValueError``
keeps working for callers that do not know muselab.  A message says what was wrong, the
value received, and what to do about it.  The CLI prints these as one line on stderr and
exits non-zero; the web API turns them into a 4xx JSON body.
"""

from __future__ import annotations

__all__ = [
    "CorruptFileError",
    "InvalidInputError",
    "MissingDependencyError",
    "MuselabError",
    "NotFittedError",
    "RenderError",
    "UnsupportedFormatError",
]


class MuselabError(Exception):
    """Root of every error muselab raises on purpose."""


class InvalidInputError(MuselabError, ValueError):
    """An argument or a piece of data has a value muselab cannot use."""


class UnsupportedFormatError(MuselabError, ValueError):
    """A file format (by extension or content) that this operation does not read or write."""


class CorruptFileError(MuselabError, ValueError):
    """A file claims a format but its content cannot be parsed as that format."""


class MissingDependencyError(MuselabError, ImportError):
    """An optional library or program is needed for this operation and is not installed."""


class NotFittedError(MuselabError, RuntimeError):
    """A model was asked to generate or predict before it was trained or loaded."""


class RenderError(MuselabError, RuntimeError):
    """An external renderer (FluidSynth, verovio, ...) failed on valid input."""
