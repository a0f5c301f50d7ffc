"""Sheet music as SVG: the score goes to MusicXML (music21) and is engraved by verovio.

:func:`svg_pages` returns one SVG string per page (for the web layer);
:func:`render_svg` writes them to files: the first page at ``path``, further pages
beside it as ``<stem>-2.svg``, ``<stem>-3.svg``, ...
"""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path

from muselab.core import Score
from muselab.errors import InvalidInputError, RenderError, UnsupportedFormatError
from muselab.io.atomic import atomic_write_text

__all__ = ["page_paths", "render_svg", "svg_pages", "svg_pages_from_musicxml"]

DEFAULT_PAGE_WIDTH = 2100
DEFAULT_SCALE = 45


def _check_layout(page_width: int, scale: int) -> None:
    if (
        isinstance(page_width, bool)
        or not isinstance(page_width, int)
        or not (500 <= page_width <= 10000)
    ):
        raise InvalidInputError(
            f"page_width must be an integer 500..10000 (verovio units), got {page_width!r}"
        )
    if isinstance(scale, bool) or not isinstance(scale, int) or not 10 <= scale <= 200:
        raise InvalidInputError(f"scale must be an integer percentage 10..200, got {scale!r}")


def svg_pages_from_musicxml(
    musicxml: str, *, page_width: int = DEFAULT_PAGE_WIDTH, scale: int = DEFAULT_SCALE
) -> list[str]:
    """Engrave a MusicXML document with verovio, one SVG string per page.

    Parameters
    ----------
    musicxml : str
        A MusicXML (partwise) document.
    page_width : int
        Page width in verovio units (tenths of a millimetre at scale 100).
    scale : int
        Zoom in percent; 45 gives staves about 8 mm high on a 2100-wide page.

    Returns
    -------
    list of str
        SVG documents; page height is fitted to the content, systems break automatically.

    Raises
    ------
    RenderError
        verovio cannot read the document or renders no page.
    """
    import verovio

    _check_layout(page_width, scale)
    if not isinstance(musicxml, str) or not musicxml.strip():
        raise InvalidInputError("musicxml must be a non-empty MusicXML string")
    verovio.enableLog(verovio.LOG_OFF)  # verovio otherwise prints warnings to stderr
    tk = verovio.toolkit()
    # verovio keeps its default resource path (fonts) per thread and sets it on import only,
    # so a toolkit made in another thread (e.g. a web server's worker) finds no fonts
    tk.setResourcePath(str(importlib.resources.files("verovio") / "data"))
    tk.setOptions(
        {
            "pageWidth": page_width,
            "scale": scale,
            "adjustPageHeight": True,
            "breaks": "auto",
            "footer": "none",
            "header": "auto",
            "pageMarginTop": 60,
            "pageMarginBottom": 60,
            "pageMarginLeft": 60,
            "pageMarginRight": 60,
        }
    )
    if not tk.loadData(musicxml):
        raise RenderError("verovio could not read the MusicXML it was given")
    n_pages = int(tk.getPageCount())
    if n_pages < 1:
        raise RenderError("verovio laid out no pages for this score")
    return [str(tk.renderToSVG(i)) for i in range(1, n_pages + 1)]


def svg_pages(
    score: Score, *, page_width: int = DEFAULT_PAGE_WIDTH, scale: int = DEFAULT_SCALE
) -> list[str]:
    """Sheet music for ``score`` as SVG strings, one per page.

    Parameters
    ----------
    score : Score
        Must contain at least one note.  Key, meter, tempo, title and chord symbols are
        engraved as music21 exports them to MusicXML.
    page_width, scale : int
        See :func:`svg_pages_from_musicxml`.

    Returns
    -------
    list of str
        SVG documents with staff notation (elements of class ``staff``, ``note``, ...).

    Examples
    --------
    >>> from muselab import Score, Track, Note
    >>> s = Score(tracks=[Track("Melody", notes=[Note(60, 0, 480), Note(64, 480, 480)])])
    >>> pages = svg_pages(s)  # doctest: +SKIP
    >>> pages[0].startswith("<svg")  # doctest: +SKIP
    True
    """
    if not isinstance(score, Score):
        raise InvalidInputError(f"expected a muselab Score, got {type(score).__name__}")
    if score.n_notes == 0:
        raise InvalidInputError("score has no notes to engrave")
    _check_layout(page_width, scale)
    from muselab.io.music21io import musicxml_string

    return svg_pages_from_musicxml(musicxml_string(score), page_width=page_width, scale=scale)


def page_paths(path: str | os.PathLike[str], n_pages: int) -> list[Path]:
    """File names for ``n_pages`` pages: ``path``, then ``<stem>-2.svg``, ``<stem>-3.svg``, ...

    Examples
    --------
    >>> [p.name for p in page_paths("tune.svg", 3)]
    ['tune.svg', 'tune-2.svg', 'tune-3.svg']
    """
    p = Path(path)
    return [p] + [p.with_name(f"{p.stem}-{i}{p.suffix}") for i in range(2, n_pages + 1)]


def render_svg(
    score: Score,
    path: str | os.PathLike[str],
    *,
    page_width: int = DEFAULT_PAGE_WIDTH,
    scale: int = DEFAULT_SCALE,
) -> list[Path]:
    """Write sheet music for ``score`` as SVG files, one per page, atomically.

    Parameters
    ----------
    score : Score
    path : str or PathLike
        File for the first page; must end in ``.svg``.  Pages 2, 3, ... go to
        ``<stem>-2.svg``, ``<stem>-3.svg``, ... in the same folder.
    page_width, scale : int
        See :func:`svg_pages_from_musicxml`.

    Returns
    -------
    list of Path
        The files written, page order.

    Raises
    ------
    UnsupportedFormatError
        ``path`` does not end in ``.svg``.

    Examples
    --------
    >>> render_svg(score, "tune.svg")  # doctest: +SKIP
    [PosixPath('tune.svg')]
    """
    p = Path(path)
    if p.suffix.lower() != ".svg":
        raise UnsupportedFormatError(
            f"sheet music is written as .svg, got {p.suffix or 'no extension'!r} ({p.name}); "
            "use a file name ending in .svg"
        )
    pages = svg_pages(score, page_width=page_width, scale=scale)
    out = page_paths(p, len(pages))
    for target, svg in zip(out, pages, strict=True):
        atomic_write_text(target, svg)
    return out
