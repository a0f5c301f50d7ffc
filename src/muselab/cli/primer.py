"""``muselab compose --primer FILE [--infill A-B]``: continuation and infilling helpers.

Kept out of :mod:`muselab.cli.main` so that module stays a thin list of commands.
"""

from __future__ import annotations

import re
from pathlib import Path

from muselab.core import Score
from muselab.errors import InvalidInputError
from muselab.generate.base import ComposeOptions, Generator

__all__ = ["compose_one", "load_primer", "parse_infill"]


def parse_infill(text: str | None) -> tuple[int, int] | None:
    """``"5-8"`` -> ``(5, 8)``, ``"5"`` -> ``(5, 5)`` (1-based bars, inclusive)."""
    if text is None:
        return None
    m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+))?\s*", text)
    if not m:
        raise InvalidInputError(f"--infill must look like 5-8 (bars, 1-based), got {text!r}")
    a, b = int(m.group(1)), int(m.group(2) or m.group(1))
    if a < 1 or b < a:
        raise InvalidInputError(f"--infill range must be A-B with 1 <= A <= B, got {text!r}")
    return a, b


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


def compose_one(
    gen: Generator,
    options: ComposeOptions,
    primer: Score | None,
    infill: tuple[int, int] | None,
) -> Score:
    """Compose, continue ``primer`` or fill bars ``infill`` of it with ``gen``."""
    if primer is None:
        return gen.generate(options)
    from muselab.generate.neural import PrimedGenerator

    if not isinstance(gen, PrimedGenerator):
        raise InvalidInputError(
            f"generator {gen.name!r} cannot continue or fill a primer; use transformer or lstm"
        )
    if infill is not None:
        return gen.infill(primer, infill[0], infill[1], options)
    return gen.continue_score(primer, options)
