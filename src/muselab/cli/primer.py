"""``muselab compose --primer FILE [--infill A-B]``: continuation and infilling helpers.

Kept out of :mod:`muselab.cli.main` so that module stays a thin list of commands.  The
logic the web API shares (bar ranges, composing from a primer) is in
:mod:`muselab.generate.priming`; this module adds the command-line wording for files.
"""

from __future__ import annotations

from pathlib import Path

from muselab.core import Score
from muselab.errors import InvalidInputError
from muselab.generate.priming import compose_one, parse_infill

__all__ = ["compose_one", "load_primer", "parse_infill"]


def load_primer(path: Path | None, infill: tuple[int, int] | None) -> Score | None:
    """Read the primer file (any format :func:`muselab.io.load` reads); check the options."""
    if path is None:
        if infill is not None:
            raise InvalidInputError("--infill needs --primer FILE: the piece whose bars to fill")
        return None
    from muselab import io

    if Path(path).is_dir():
        raise InvalidInputError(f"--primer {str(path)!r} is a folder; give a score file")
    if not Path(path).is_file():
        raise InvalidInputError(f"--primer {str(path)!r} does not exist")
    return io.load(path)
