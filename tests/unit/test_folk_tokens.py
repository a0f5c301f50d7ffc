"""The folk-tune token encoding: layout, round trip, chords, pickups, ties, infilling."""

from __future__ import annotations

import pytest

from muselab.core import ChordSymbol, KeySignature, Note, Score, TimeSignature, Track
from muselab.errors import CorruptFileError, InvalidInputError
from muselab.tokens.folk import FolkTokenizer, style_of

TOK = FolkTokenizer()


def _score(notes, *, meter=(4, 4), key=("G", "major"), chords=()) -> Score:
    return Score(
        tracks=[Track("Melody", notes=[Note(p, on, d) for p, on, d in notes])],
        time_signatures=[TimeSignature(0, *meter)],
        key_signatures=[KeySignature(0, *key)],
        chords=[ChordSymbol(on, d, lab) for on, d, lab in chords],
    )


def test_layout_pickup_chords_and_ties() -> None:
    # 3/4 in D major: a one-beat pickup, then a note tied over the barline
    s = _score(
        [(69, 960, 480), (74, 1440, 1440 + 480), (78, 3360, 960)],
        meter=(3, 4),
        key=("D", "major"),
        chords=[(1440, 1440, "D:maj"), (2880, 1440, "A:7")],
    )
    names = TOK.decode_names(TOK.encode(s, source="nottingham", style="waltz").ids)
    assert names == [
        "BOS", "Src_nottingham", "Meter_3/4", "Mode_major", "Style_waltz", "Bars_3",
        "Bar", "Rest", "Dur_24", "Pitch_7", "Dur_12",
        "Bar", "Chord_0:maj", "Pitch_12", "Dur_36",
        "Bar", "Chord_7:7", "Tie", "Pitch_12", "Dur_12", "Pitch_16", "Dur_24",
        "EOS",
    ]  # fmt: skip


def test_round_trip_restores_melody_and_chords_in_any_key() -> None:
    notes = [(67, 0, 240), (69, 240, 240), (71, 480, 960), (74, 1440, 480), (72, 1920, 1920)]
    chords = [(0, 1920, "G:maj"), (1920, 960, "C:maj"), (2880, 960, "D:7")]
    s = _score(notes, chords=chords)
    enc = TOK.encode(s)
    back = TOK.to_score(enc.ids, enc.key)
    assert [(n.pitch, n.onset, n.duration) for n in back.tracks[0].notes] == notes
    assert [(c.onset, c.duration, c.label) for c in back.chords] == chords
    # the same tokens realised in E minor's relative... any key: transposed exactly
    f = TOK.to_score(enc.ids, KeySignature(0, "Bb", "major"))
    assert [n.pitch for n in f.tracks[0].notes] == [p + 3 for p, _, _ in notes]
    assert [c.label for c in f.chords] == ["Bb:maj", "Eb:maj", "F:7"]


def test_long_and_odd_durations_are_split_and_tied() -> None:
    s = _score([(60, 0, 13 * 40)], key=("C", "major"))  # 13 units: 12 + 1
    names = TOK.decode_names(TOK.encode(s).ids)
    assert names[6:] == ["Bar", "Pitch_0", "Dur_12", "Tie", "Pitch_0", "Dur_1", "EOS"]
    back = TOK.to_score(TOK.encode(s).ids, KeySignature(0, "C"))
    assert [(n.onset, n.duration) for n in back.tracks[0].notes] == [(0, 520)]


def test_essen_style_key_estimate_and_styles() -> None:
    # declared G major, but the tune is in E minor (ends on E, minor third G)
    s = _score([(64, 0, 480), (67, 480, 480), (71, 960, 480), (64, 1440, 480)])
    enc = TOK.encode(s, estimate=True)
    assert enc.key.name == "E minor"
    assert "Mode_minor" in TOK.decode_names(enc.ids)
    assert style_of("nottingham", "reelsa-c:3") == "reel"
    assert style_of("oneill", "x:1", "The Rights of Man Hornpipe") == "hornpipe"
    assert style_of("oneill", "x:2", "Some Air I Heard") == "air"
    assert style_of("oneill", "x:3", "Untitled") == "unknown"


def test_infill_layout_and_range_errors() -> None:
    notes = [(60 + i, i * 1920, 1920) for i in range(6)]
    enc = TOK.encode(_score(notes, key=("C", "major")))
    prompt, target = TOK.infill_layout(enc, 2, 4)
    names = TOK.decode_names(prompt)
    assert names[6:] == [
        "Suffix", "Bar", "Pitch_4", "Dur_48", "Bar", "Pitch_5", "Dur_48",
        "Prefix", "Bar", "Pitch_0", "Dur_48", "Bar", "Pitch_1", "Dur_48", "Middle",
    ]  # fmt: skip
    assert TOK.decode_names(target) == ["Bar", "Pitch_2", "Dur_48", "Bar", "Pitch_3", "Dur_48",
                                        "EOS"]  # fmt: skip
    with pytest.raises(InvalidInputError, match="outside the tune's 1-6"):
        TOK.infill_layout(enc, 4, 7)


def test_vocabulary_is_versioned() -> None:
    d = TOK.to_dict()
    assert FolkTokenizer.from_dict(d).names == TOK.names
    with pytest.raises(CorruptFileError, match="re-train"):
        FolkTokenizer.from_dict({**d, "tokens": d["tokens"][:-1]})
    with pytest.raises(CorruptFileError, match="version"):
        FolkTokenizer.from_dict({**d, "version": 0})
    assert TOK.vocab_size == len(set(TOK.names))


def test_empty_melody_and_leading_bars() -> None:
    enc = TOK.encode(Score(tracks=[Track("Melody")]))
    assert TOK.decode_names(enc.ids)[-2:] == ["Bar", "EOS"]
    s = _score([(60, 3840, 480)], key=("C", "major"))  # starts in bar 3
    assert TOK.encode(s).n_bars == 1
    assert TOK.encode(s, trim_leading=False).n_bars == 3


def test_chord_roots_are_spelled_by_scale_degree() -> None:
    g = KeySignature(0, "G")
    assert [TOK.chord_label(r, g) for r in ("10:maj", "6:dim", "2:7", "3:maj")] == [
        "F:maj", "C#:dim", "A:7", "Bb:maj",
    ]  # fmt: skip
    assert TOK.chord_label("9:7", KeySignature(0, "E", "minor")) == "C#:7"
