"""The JSB chorales as piano-roll frames, with their published train / valid / test split.

Source: ``jsb-chorales/jsb-chorales-<resolution>.json`` (Boulanger-Lewandowski et al.,
ICML 2012; 229 / 76 / 77 chorales).  As a :class:`~muselab.core.score.Score`, each frame
lasts one grid step (a quarter note for ``"quarter"``) and a pitch that sounds in
consecutive frames becomes **one held note**: the frames do not say where a repeated
note is struck again, so merging is the reading that never invents attacks.
"""

from __future__ import annotations

import json
from pathlib import Path

from muselab.core.score import Note, Score, TimeSignature, Track
from muselab.corpora.locate import data_dir
from muselab.errors import CorruptFileError, InvalidInputError

__all__ = ["JSB_RESOLUTIONS", "frames_to_score", "jsb_path", "load_jsb_frames"]

JSB_RESOLUTIONS = {"quarter": 480, "8th": 240, "16th": 120}
"""Grid name -> frame length in ticks at 480 ticks per quarter note."""


def jsb_path(resolution: str = "quarter") -> Path:
    """Path of ``jsb-chorales-<resolution>.json`` in the reference data."""
    if resolution not in JSB_RESOLUTIONS:
        raise InvalidInputError(
            f"JSB resolution must be one of {sorted(JSB_RESOLUTIONS)}, got {resolution!r}"
        )
    path = data_dir() / "jsb-chorales" / f"jsb-chorales-{resolution}.json"
    if not path.is_file():
        raise InvalidInputError(f"{str(path)!r} is missing; set MUSELAB_DATA to the data folder")
    return path


def load_jsb_frames(resolution: str = "quarter") -> dict[str, list[list[list[int]]]]:
    """Raw JSB frames: ``{"train": [chorale, ...], "valid": [...], "test": [...]}``.

    Parameters
    ----------
    resolution : {"quarter", "8th", "16th"}
        Grid of the file to read; ``"quarter"`` is the benchmark file.

    Returns
    -------
    dict of str to list
        A chorale is a list of frames; a frame is the sorted list of sounding MIDI
        pitches (21..108), possibly empty.

    Examples
    --------
    >>> frames = load_jsb_frames()  # doctest: +SKIP
    >>> [len(frames[s]) for s in ("train", "valid", "test")]  # doctest: +SKIP
    [229, 76, 77]
    """
    path = jsb_path(resolution)
    try:
        doc = json.loads(path.read_text())
    except ValueError as exc:
        raise CorruptFileError(f"{path.name} is not valid JSON ({exc})") from exc
    out: dict[str, list[list[list[int]]]] = {}
    for split in ("train", "valid", "test"):
        chorales = doc.get(split) if isinstance(doc, dict) else None
        if not isinstance(chorales, list):
            raise CorruptFileError(f'{path.name} has no "{split}" list of chorales')
        out[split] = [[sorted(int(p) for p in frame) for frame in ch] for ch in chorales]
    return out


def frames_to_score(frames: list[list[int]], *, frame_ticks: int = 480, title: str = "") -> Score:
    """One-track Score ("Chorale", 4/4) from piano-roll frames; held pitches merge.

    Parameters
    ----------
    frames : list of list of int
        Sounding MIDI pitches per frame.
    frame_ticks : int, keyword-only
        Frame length in ticks at 480 per quarter note.
    title : str, keyword-only

    Returns
    -------
    Score

    Examples
    --------
    >>> s = frames_to_score([[60, 64], [60, 65], [62]])
    >>> [(n.pitch, n.onset, n.duration) for n in s.tracks[0].notes]
    [(60, 0, 960), (64, 0, 480), (65, 480, 480), (62, 960, 480)]
    """
    notes: list[Note] = []
    start: dict[int, int] = {}
    for i, frame in enumerate([*frames, []]):
        now = set(frame)
        for p in [p for p in start if p not in now]:
            notes.append(Note(p, start[p] * frame_ticks, (i - start[p]) * frame_ticks))
            del start[p]
        for p in now:
            start.setdefault(p, i)
    notes.sort(key=lambda n: (n.onset, n.pitch))
    return Score(
        tracks=[Track("Chorale", 0, False, notes)],
        time_signatures=[TimeSignature(0, 4, 4)],
        title=title,
    )
