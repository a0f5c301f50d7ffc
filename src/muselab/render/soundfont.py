"""Finding a General MIDI SoundFont and the FluidSynth program on this machine."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from muselab.errors import InvalidInputError

__all__ = ["SOUNDFONT_ENV", "find_fluidsynth", "find_soundfont", "soundfont_candidates"]

SOUNDFONT_ENV = "MUSELAB_SOUNDFONT"
"""Environment variable naming a ``.sf2``/``.sf3`` file to use instead of the defaults."""

_SYSTEM_SOUNDFONTS = (
    Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
    Path("/usr/share/soundfonts/FluidR3_GM.sf2"),
    Path("/usr/share/sounds/sf2/default-GM.sf2"),
    Path("/usr/share/soundfonts/default-GM.sf2"),
    Path("/usr/share/sounds/sf3/default-GM.sf3"),
)


def _pretty_midi_soundfont() -> Path | None:
    """The small ``TimGM6mb.sf2`` that ships inside the pretty_midi package, if installed."""
    try:
        import pretty_midi
    except ImportError:
        return None
    return Path(pretty_midi.__file__).resolve().parent / "TimGM6mb.sf2"


def soundfont_candidates() -> list[Path]:
    """Places :func:`find_soundfont` looks, in order (environment variable first)."""
    out: list[Path] = []
    env = os.environ.get(SOUNDFONT_ENV, "").strip()
    if env:
        out.append(Path(env).expanduser())
    out.extend(_SYSTEM_SOUNDFONTS)
    pm = _pretty_midi_soundfont()
    if pm is not None:
        out.append(pm)
    return out


def find_soundfont(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """Locate a General MIDI SoundFont.

    Parameters
    ----------
    explicit : str or PathLike, optional
        A SoundFont chosen by the caller.  It must exist: a wrong path is an error,
        not a silent fallback.

    Returns
    -------
    Path or None
        ``explicit`` if given; else the first existing file among ``$MUSELAB_SOUNDFONT``,
        ``/usr/share/sounds/sf2/FluidR3_GM.sf2``, ``/usr/share/soundfonts/FluidR3_GM.sf2``,
        the system ``default-GM.sf2`` and pretty_midi's bundled ``TimGM6mb.sf2``;
        None when there is none.

    Raises
    ------
    InvalidInputError
        ``explicit`` does not name an existing file.

    Examples
    --------
    >>> sf2 = find_soundfont()  # doctest: +SKIP
    >>> sf2.name  # doctest: +SKIP
    'FluidR3_GM.sf2'
    """
    if explicit is not None:
        p = Path(explicit).expanduser()
        if not p.is_file():
            raise InvalidInputError(
                f"SoundFont not found: {str(p)!r}; pass the path of an existing .sf2 file"
            )
        return p
    for p in soundfont_candidates():
        if p.is_file():
            return p
    return None


def find_fluidsynth() -> Path | None:
    """Path of the ``fluidsynth`` program on ``PATH``, or None."""
    exe = shutil.which("fluidsynth")
    return Path(exe) if exe else None
