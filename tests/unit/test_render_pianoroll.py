"""Piano-roll PNGs: size, per-track colours, velocity as opacity, options and errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from matplotlib.image import imread

from muselab.core import ChordSymbol, Note, Score, TempoChange, TimeSignature, Track
from muselab.errors import InvalidInputError, UnsupportedFormatError
from muselab.render.pianoroll import (
    TRACK_COLOURS,
    _bar_lines,
    chord_display_name,
    render_pianoroll,
)


def two_tracks(velocity: int = 127) -> Score:
    return Score(
        tracks=[
            Track("Melody", notes=[Note(72 + i % 5, i * 480, 480, velocity) for i in range(16)]),
            Track("Bass", 33, notes=[Note(40 + i % 3, i * 960, 960, velocity) for i in range(8)]),
        ],
        time_signatures=[TimeSignature(0, 4, 4)],
        chords=[ChordSymbol(i * 1920, 1920, lab) for i, lab in enumerate(["C:maj", "G:7"] * 2)],
        title="Two tracks",
    )


def pixels_near(img: np.ndarray, colour: str, tol: float = 0.03) -> int:
    rgb = np.asarray(to_rgb(colour))
    return int(np.sum(np.all(np.abs(img[..., :3] - rgb) < tol, axis=-1)))


def test_png_has_the_requested_size(tmp_path: Path) -> None:
    out = render_pianoroll(two_tracks(), tmp_path / "roll.png", width=900, height=420, dpi=100)
    assert out == tmp_path / "roll.png"
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    img = imread(out)
    assert img.shape[:2] == (420, 900)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["roll.png"]


def test_tracks_are_drawn_in_different_colours(tmp_path: Path) -> None:
    img = imread(render_pianoroll(two_tracks(), tmp_path / "roll.png"))
    melody, bass = pixels_near(img, TRACK_COLOURS[0]), pixels_near(img, TRACK_COLOURS[1])
    assert melody > 2000 and bass > 2000
    # The melody is high and the bass is low: their colours sit in different image rows.
    rows_m = np.nonzero(np.all(np.abs(img[..., :3] - to_rgb(TRACK_COLOURS[0])) < 0.03, -1))[0]
    rows_b = np.nonzero(np.all(np.abs(img[..., :3] - to_rgb(TRACK_COLOURS[1])) < 0.03, -1))[0]
    assert np.median(rows_m) < np.median(rows_b)


def test_velocity_is_drawn_as_opacity(tmp_path: Path) -> None:
    loud = imread(render_pianoroll(two_tracks(127), tmp_path / "loud.png"))
    soft = imread(render_pianoroll(two_tracks(20), tmp_path / "soft.png"))
    # Full velocity draws the pure track colour; low velocity a paler blend with white.
    assert pixels_near(loud, TRACK_COLOURS[0]) > 2000
    assert pixels_near(soft, TRACK_COLOURS[0]) < 0.1 * pixels_near(loud, TRACK_COLOURS[0])
    assert soft[..., :3].mean() > loud[..., :3].mean()


def test_seconds_axis_and_tempo_map(tmp_path: Path) -> None:
    score = two_tracks()
    score.tempos = [TempoChange(0, 60.0)]
    out = render_pianoroll(score, tmp_path / "s.png", time_unit="seconds", width=600, height=300)
    assert imread(out).shape[:2] == (300, 600)


def test_bar_lines_follow_time_signature_changes() -> None:
    score = Score(
        tracks=[Track("M", notes=[Note(60, 0, 480 * 14)])],
        time_signatures=[TimeSignature(0, 4, 4), TimeSignature(1920 * 2, 3, 4)],
    )
    beats = [t / 480 for t in _bar_lines(score, score.end_tick)]
    assert beats == [0, 4, 8, 11, 14]


def test_chord_display_names() -> None:
    assert chord_display_name("A:min7") == "Am7"
    assert chord_display_name("Bb:maj") == "Bb"
    assert chord_display_name("N") == "N.C."


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFormatError, match=r"\.jpg"):
        render_pianoroll(two_tracks(), tmp_path / "roll.jpg")
    with pytest.raises(InvalidInputError, match="no notes to draw"):
        render_pianoroll(Score(tracks=[Track("M")]), tmp_path / "roll.png")
    with pytest.raises(
        InvalidInputError, match="time_unit must be 'beats' or 'seconds', got 'bars'"
    ):
        render_pianoroll(two_tracks(), tmp_path / "roll.png", time_unit="bars")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="width"):
        render_pianoroll(two_tracks(), tmp_path / "roll.png", width=10)
    assert list(tmp_path.iterdir()) == []


def test_no_pyplot_state_is_left_behind(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    render_pianoroll(two_tracks(), tmp_path / "roll.png")
    assert plt.get_fignums() == before
