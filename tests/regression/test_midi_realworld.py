"""Real MIDI files of varied origin survive read -> write -> read, and agree with pretty_midi.

Sources (a deterministic sample, over 100 files, about 10 s):

* the 23 ``.mid`` files shipped inside the music21 package (test files from many
  sequencers, an OMR export of Mozart's K. 525),
* every 25th file of Nottingham ``MIDI/melody`` and ``MIDI/chords`` (needs ../shared/data),
* Bach chorales from the music21 corpus written by music21's own MIDI writer,
* files written by pretty_midi.

Cross-check with pretty_midi (which reads through mido too, with different repair rules):
pretty_midi drops zero-length notes and notes never released, and keeps both notes of a
duplicated note-on, where muselab lengthens the first two to at least 1 tick and drops
duplicates (MIDI cannot tell two such notes apart).  So the expected note count is
pretty_midi's count + zero-length + unreleased - duplicates, read from our repair report.
When no repair was needed, the notes' pitches per instrument must be identical.  Files
with a mid-track program change are compared on totals only: pretty_midi splits such a
track into one instrument per program, muselab keeps one track (with the first program).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import music21
import pretty_midi
import pytest

from muselab.errors import CorruptFileError
from muselab.io.midi import midi_bytes, read_midi

pytestmark = pytest.mark.shared_data

MUSIC21_DIR = Path(music21.__file__).parent
CHORALES = ("bach/bwv66.6", "bach/bwv269", "bach/bwv1.6")
NOTTINGHAM_STRIDE = 25


def _repair_count(repairs: list[str], phrase: str) -> int:
    for line in repairs:
        if phrase in line:
            return int(re.search(r"\d+", line).group())  # type: ignore[union-attr]
    return 0


def _pretty_midi_notes(path: Path) -> list[tuple[bool, tuple[int, ...]]]:
    with warnings.catch_warnings():
        # pretty_midi warns about meta events outside track 0 (common in real files)
        warnings.simplefilter("ignore", RuntimeWarning)
        pm = pretty_midi.PrettyMIDI(str(path))
    return sorted((i.is_drum, tuple(sorted(n.pitch for n in i.notes))) for i in pm.instruments)


def check_file(path: Path) -> list[str]:
    """Problems found with one file (empty when it passes); raises CorruptFileError if rejected."""
    problems: list[str] = []
    repairs: list[str] = []
    score = read_midi(path, repairs=repairs)
    rewritten: list[str] = []
    back = read_midi(midi_bytes(score), repairs=rewritten)
    if rewritten:
        problems.append(f"re-reading our own output needed repairs: {rewritten}")
    if len(back.tracks) != len(score.tracks):
        problems.append(f"{len(score.tracks)} tracks became {len(back.tracks)}")
    for a, b in zip(score.tracks, back.tracks, strict=False):
        if (a.name, a.program, a.is_drum) != (b.name, b.program, b.is_drum):
            problems.append(f"track {a.name!r} came back as {b.name!r}/{b.program}/{b.is_drum}")
        exact = [(n.pitch, n.onset, n.velocity) for n in a.notes]
        if exact != [(n.pitch, n.onset, n.velocity) for n in b.notes]:
            problems.append(f"track {a.name!r}: notes changed in the round trip")
        elif any(abs(x.duration - y.duration) > 1 for x, y in zip(a.notes, b.notes, strict=True)):
            problems.append(f"track {a.name!r}: a duration moved by more than one tick")
    pm = _pretty_midi_notes(path)
    expected = (
        sum(len(p) for _, p in pm)
        + _repair_count(repairs, "zero-length")
        + _repair_count(repairs, "never released")
        - _repair_count(repairs, "duplicate")
    )
    if score.n_notes != expected:
        problems.append(f"{score.n_notes} notes, pretty_midi-based expectation {expected}")
    if not repairs:
        ours = sorted((t.is_drum, tuple(sorted(n.pitch for n in t.notes))) for t in score.tracks)
        if ours != [p for p in pm if p[1]]:
            problems.append("pitches per instrument differ from pretty_midi")
    return problems


def _run(paths: list[Path]) -> tuple[int, dict[str, list[str]]]:
    accepted, failures = 0, {}
    for p in paths:
        try:
            problems = check_file(p)
        except CorruptFileError:
            continue
        accepted += 1
        if problems:
            failures[p.name] = problems
    return accepted, failures


def _music21_files() -> list[Path]:
    return sorted(MUSIC21_DIR.rglob("*.mid"))


def _nottingham_files(data: Path) -> list[Path]:
    out: list[Path] = []
    for sub in ("melody", "chords"):
        out += sorted((data / "nottingham" / "MIDI" / sub).glob("*.mid"))[::NOTTINGHAM_STRIDE]
    return out


@pytest.fixture(scope="module")
def written_files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Path]]:
    """MIDI files produced by other writers: music21 (chorales) and pretty_midi."""
    folder = tmp_path_factory.mktemp("writers")
    out = []
    for name in CHORALES:
        path = folder / (name.replace("/", "_") + ".mid")
        music21.corpus.parse(name).write("midi", fp=str(path))
        out.append(path)
    # pretty_midi: a real file re-written, plus a synthetic piece with drums and bends
    src = MUSIC21_DIR / "omr" / "k525short.mid"
    pm = pretty_midi.PrettyMIDI(str(src))
    out.append(folder / "pretty_k525short.mid")
    pm.write(str(out[-1]))
    pm = pretty_midi.PrettyMIDI(initial_tempo=100.0)
    piano = pretty_midi.Instrument(program=0, name="Piano")
    drums = pretty_midi.Instrument(program=0, is_drum=True, name="Drums")
    for i in range(32):
        piano.notes.append(pretty_midi.Note(80, 60 + i % 12, i * 0.3, i * 0.3 + 0.5))
        drums.notes.append(pretty_midi.Note(100, 36 + i % 3, i * 0.15, i * 0.15 + 0.05))
    piano.pitch_bends.append(pretty_midi.PitchBend(1000, 1.0))
    pm.instruments += [piano, drums]
    out.append(folder / "pretty_synthetic.mid")
    pm.write(str(out[-1]))
    yield out


def test_music21_package_files() -> None:
    paths = _music21_files()
    assert len(paths) == 23, "music21 ships 23 .mid files; did its layout change?"
    accepted, failures = _run(paths)
    assert failures == {}
    assert accepted == 23


def test_nottingham_sample(shared_data: Path) -> None:
    paths = _nottingham_files(shared_data)
    assert len(paths) >= 80
    accepted, failures = _run(paths)
    assert failures == {}
    assert accepted == len(paths)


def test_files_from_other_writers(written_files: list[Path]) -> None:
    accepted, failures = _run(written_files)
    assert failures == {}
    assert accepted == len(written_files)
    synthetic = read_midi(written_files[-1])
    assert [(t.name, t.is_drum, len(t.notes)) for t in synthetic.tracks] == [
        ("Piano", False, 32),
        ("Drums", True, 32),
    ]
    assert synthetic.tempos[0].qpm == pytest.approx(100.0, rel=1e-6)


def test_sample_has_at_least_100_files(shared_data: Path, written_files: list[Path]) -> None:
    total = len(_music21_files()) + len(_nottingham_files(shared_data)) + len(written_files)
    assert total >= 100


def test_known_repairs_in_music21_files() -> None:
    """Two shipped files are messy; the repairs are reported, not silently made."""
    repairs: list[str] = []
    read_midi(MUSIC21_DIR / "midi" / "testPrimitive" / "test09.mid", repairs=repairs)
    assert "dropped 65 duplicate notes (same pitch started twice at the same tick)" in repairs
    repairs = []
    read_midi(MUSIC21_DIR / "omr" / "k525MIDIMvt1.mid", repairs=repairs)
    assert (
        "ended 12 notes early because the same pitch started again on the same channel" in repairs
    )
