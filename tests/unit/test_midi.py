"""MIDI reading and writing: round trips, messy real-world files, corrupt input."""

from __future__ import annotations

import io
import struct
import warnings
from pathlib import Path

import mido
import pytest
from hypothesis import HealthCheck, given, settings

from muselab.core.score import (
    ChordSymbol,
    KeySignature,
    Note,
    Score,
    TempoChange,
    TimeSignature,
    Track,
)
from muselab.errors import CorruptFileError, InvalidInputError, UnsupportedFormatError
from muselab.io import midi
from muselab.io.midi import midi_bytes, read_midi, write_midi
from strategies import scores

# --------------------------------------------------------------------------- helpers


def _mid(*tracks: list[mido.Message | mido.MetaMessage], type: int = 1, tpb: int = 480) -> bytes:
    """Bytes of a MIDI file whose tracks hold the given messages (times are deltas)."""
    f = mido.MidiFile(type=type, ticks_per_beat=tpb)
    for msgs in tracks:
        f.tracks.append(mido.MidiTrack(msgs))
    buf = io.BytesIO()
    f.save(file=buf)
    return buf.getvalue()


def _raw(*track_bodies: bytes, fmt: int = 1, division: int = 96) -> bytes:
    """A MIDI file assembled byte by byte (for what mido itself would never write)."""
    head = b"MThd" + struct.pack(">LHHH", 6, fmt, len(track_bodies), division)
    return head + b"".join(b"MTrk" + struct.pack(">L", len(b)) + b for b in track_bodies)


def on(note: int, t: int = 0, vel: int = 90, ch: int = 0) -> mido.Message:
    return mido.Message("note_on", note=note, velocity=vel, time=t, channel=ch)


def off(note: int, t: int = 0, ch: int = 0) -> mido.Message:
    return mido.Message("note_off", note=note, velocity=0, time=t, channel=ch)


def meta(kind: str, t: int = 0, **kw: object) -> mido.MetaMessage:
    return mido.MetaMessage(kind, time=t, **kw)


def _triples(track: Track) -> list[tuple[int, int, int]]:
    return [(n.pitch, n.onset, n.duration) for n in track.notes]


def _assert_same(a: Score, b: Score) -> None:
    assert b.ticks_per_beat == a.ticks_per_beat
    assert b.title == a.title
    assert [(t.name, t.program, t.is_drum) for t in b.tracks] == [
        (t.name, t.program, t.is_drum) for t in a.tracks
    ]
    for ta, tb in zip(a.tracks, b.tracks, strict=True):
        assert tb.notes == ta.notes
    assert [t.tick for t in b.tempos] == [t.tick for t in a.tempos]
    for ta_, tb_ in zip(a.tempos, b.tempos, strict=True):
        assert tb_.qpm == pytest.approx(ta_.qpm, rel=1e-3)
    assert b.time_signatures == a.time_signatures
    assert b.key_signatures == a.key_signatures
    assert b.chords == a.chords


# --------------------------------------------------------------------------- round trips


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scores(midi_safe=True))
def test_round_trip_type1(score: Score) -> None:
    repairs: list[str] = []
    back = read_midi(midi_bytes(score, midi_type=1), repairs=repairs)
    assert repairs == []
    _assert_same(score, back)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scores(midi_safe=True, max_drum_tracks=1))
def test_round_trip_type0(score: Score) -> None:
    data = midi_bytes(score, midi_type=0)
    assert len(mido.MidiFile(file=io.BytesIO(data)).tracks) == 1
    back = read_midi(data)
    # A type-0 file orders its tracks by channel first use; ours writes them in order.
    _assert_same(score, back)


def test_round_trip_example_with_everything(tmp_path: Path) -> None:
    score = Score(
        tracks=[
            Track("Flûte 笛", 73, notes=[Note(72, 0, 480), Note(74, 480, 240, 100)]),
            Track("Kit", 0, True, [Note(36, 0, 10, 127)]),
            Track("Bass", 33, notes=[Note(40, 0, 960, 1)]),
        ],
        ticks_per_beat=96,
        tempos=[TempoChange(0, 133.3), TempoChange(960, 90.0)],
        time_signatures=[TimeSignature(0, 6, 8)],
        key_signatures=[KeySignature(0, "F#", "minor"), KeySignature(480, "Cb", "major")],
        chords=[ChordSymbol(0, 480, "F#:min"), ChordSymbol(720, 240, "C#:7")],
        title="Hello",
    )
    out = write_midi(score, tmp_path / "song.mid")
    assert out == tmp_path / "song.mid"
    assert [p.name for p in tmp_path.iterdir()] == ["song.mid"]  # no temp file left behind
    _assert_same(score, read_midi(out))
    _assert_same(score, read_midi(str(out)))


def test_tempo_is_stored_in_whole_microseconds() -> None:
    score = Score(tracks=[Track("a", notes=[Note(60, 0, 1)])], tempos=[TempoChange(0, 133.3)])
    f = mido.MidiFile(file=io.BytesIO(midi_bytes(score)))
    tempo = next(m.tempo for m in f.tracks[0] if m.type == "set_tempo")
    assert tempo == round(60e6 / 133.3)
    assert read_midi(midi_bytes(score)).tempos[0].qpm == pytest.approx(60e6 / tempo)


def test_chord_gaps_use_end_markers() -> None:
    score = Score(
        tracks=[Track("a", notes=[Note(60, 0, 4000)])],
        chords=[ChordSymbol(0, 480, "C:maj"), ChordSymbol(960, 480, "G:7")],
    )
    f = mido.MidiFile(file=io.BytesIO(midi_bytes(score)))
    markers = [m.text for m in f.tracks[0] if m.type == "marker"]
    assert markers == ["chord:C:maj", "chord:", "chord:G:7", "chord:"]
    assert read_midi(midi_bytes(score)).chords == score.chords


def test_last_chord_lasts_until_end_of_file() -> None:
    data = _mid(
        [meta("marker", text="chord:C:maj"), meta("marker", 480, text="chord:G:7"),
         meta("end_of_track", 1440)],
        [on(60), off(60, 960)],
    )  # fmt: skip
    s = read_midi(data)
    assert s.chords == [ChordSymbol(0, 480, "C:maj"), ChordSymbol(480, 1440, "G:7")]


# --------------------------------------------------------------------------- writer details


def test_type1_layout_and_event_order() -> None:
    score = Score(
        tracks=[Track("Mel", 5, notes=[Note(60, 0, 480), Note(60, 480, 480), Note(62, 480, 10)])],
        title="T",
    )
    f = mido.MidiFile(file=io.BytesIO(midi_bytes(score)))
    assert f.type == 1 and len(f.tracks) == 2
    assert [m.name for m in f.tracks[0] if m.type == "track_name"] == ["T"]
    body = [m for m in f.tracks[1] if m.type in ("note_on", "note_off", "program_change")]
    assert body[0].type == "program_change" and body[0].program == 5
    kinds = [(m.type, getattr(m, "note", None), m.time) for m in body[1:]]
    # at tick 480 the note-off of the first C comes before the new note-ons
    assert kinds == [
        ("note_on", 60, 0),
        ("note_off", 60, 480),
        ("note_on", 60, 0),
        ("note_on", 62, 0),
        ("note_off", 62, 10),
        ("note_off", 60, 470),
    ]


def test_drums_on_channel_10_and_channels_skip_it() -> None:
    tr = [Track(f"t{i}", i, notes=[Note(60, 0, 10)]) for i in range(10)]
    tr.insert(3, Track("Drums", 0, True, [Note(36, 0, 10)]))
    f = mido.MidiFile(file=io.BytesIO(midi_bytes(Score(tracks=tr))))
    chans = [next(m.channel for m in t if m.type == "note_on") for t in f.tracks[1:]]
    assert chans == [0, 1, 2, 9, 3, 4, 5, 6, 7, 8, 10]


def test_more_than_15_tracks_share_channels_with_a_warning() -> None:
    tr = [Track(f"t{i}", i, notes=[Note(60, 0, 10)]) for i in range(17)]
    with pytest.warns(UserWarning, match="17 non-drum tracks"):
        data = midi_bytes(Score(tracks=tr))
    f = mido.MidiFile(file=io.BytesIO(data))
    chans = [next(m.channel for m in t if m.type == "note_on") for t in f.tracks[1:]]
    assert chans[15:] == [0, 1] and 9 not in chans
    # type 1 keeps them apart on reading, because each has its own MIDI track
    assert [t.program for t in read_midi(data).tracks] == list(range(17))


def test_same_pitch_overlap_is_truncated_with_a_warning() -> None:
    score = Score(tracks=[Track("a", notes=[Note(60, 0, 480), Note(60, 240, 480)])])
    with pytest.warns(UserWarning, match="1 notes overlapped"):
        data = midi_bytes(score)
    assert _triples(read_midi(data).tracks[0]) == [(60, 0, 240), (60, 240, 480)]


def test_no_warning_for_clean_scores() -> None:
    score = Score(tracks=[Track("a", notes=[Note(60, 0, 480), Note(60, 480, 480)])])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        midi_bytes(score)


def test_write_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="midi_type must be 0 or 1, got 2"):
        midi_bytes(Score(), midi_type=2)
    with pytest.raises(InvalidInputError, match="expected a muselab Score, got dict"):
        midi_bytes({})  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="does not exist"):
        write_midi(Score(), tmp_path / "missing" / "x.mid")


# --------------------------------------------------------------------------- messy input


def test_velocity_zero_note_on_is_a_note_off() -> None:
    data = _mid([on(60), on(60, 480, vel=0), on(62), on(62, 240, vel=0)])
    repairs: list[str] = []
    s = read_midi(data, repairs=repairs)
    assert _triples(s.tracks[0]) == [(60, 0, 480), (62, 480, 240)]
    assert repairs == []


def test_zero_length_note_gets_one_tick() -> None:
    repairs: list[str] = []
    s = read_midi(_mid([on(60, 10), off(60), on(64), off(64, 5)]), repairs=repairs)
    assert _triples(s.tracks[0]) == [(60, 10, 1), (64, 10, 5)]
    assert repairs == ["lengthened 1 zero-length notes to 1 tick"]


def test_retriggered_pitch_ends_the_earlier_note() -> None:
    repairs: list[str] = []
    msgs = [on(60), on(60, 100, vel=70), off(60, 100), off(60, 50), on(62), off(62, 1)]
    s = read_midi(_mid(msgs), repairs=repairs)
    assert [(n.pitch, n.onset, n.duration, n.velocity) for n in s.tracks[0].notes] == [
        (60, 0, 100, 90),
        (60, 100, 100, 70),
        (62, 250, 1, 90),
    ]
    assert repairs == [
        "ended 1 notes early because the same pitch started again on the same channel",
        "ignored 1 note-offs for notes that were not sounding",
    ]


def test_note_on_before_note_off_at_the_same_tick_is_not_a_repair() -> None:
    # Some writers put the new note-on before the old note-off at the same tick.
    repairs: list[str] = []
    s = read_midi(_mid([on(60), on(60, 480), off(60), off(60, 480)]), repairs=repairs)
    assert _triples(s.tracks[0]) == [(60, 0, 480), (60, 480, 480)]
    assert repairs == []


def test_duplicate_note_on_at_one_tick_is_dropped() -> None:
    repairs: list[str] = []
    s = read_midi(_mid([on(60), on(60), off(60, 480), off(60)]), repairs=repairs)
    assert _triples(s.tracks[0]) == [(60, 0, 480)]
    assert repairs[0] == "dropped 1 duplicate notes (same pitch started twice at the same tick)"


def test_unreleased_notes_close_at_the_end_of_the_track() -> None:
    repairs: list[str] = []
    msgs = [on(60), on(64), on(67, 100), off(64, 100), meta("end_of_track", 300)]
    s = read_midi(_mid(msgs), repairs=repairs)
    assert _triples(s.tracks[0]) == [(60, 0, 500), (64, 0, 200), (67, 100, 400)]
    assert repairs == ["closed 2 notes that were never released"]


def test_several_tempo_changes_and_last_wins_at_one_tick() -> None:
    conductor = [
        meta("set_tempo", tempo=500000),
        meta("set_tempo", tempo=600000),
        meta("set_tempo", 480, tempo=1000000),
        meta("set_tempo", 480, tempo=250000),  # delta times: tick 960
    ]
    s = read_midi(_mid(conductor, [on(60), off(60, 1920)]))
    assert [(t.tick, round(t.qpm, 6)) for t in s.tempos] == [(0, 100.0), (480, 60.0), (960, 240.0)]
    # 480 ticks at 100 qpm + 480 at 60 + 960 at 240 = 0.6 + 1.0 + 0.5 s
    assert s.duration_seconds == pytest.approx(2.1)


def test_tempo_outside_range_is_clamped() -> None:
    repairs: list[str] = []
    s = read_midi(_mid([meta("set_tempo", tempo=10), on(60), off(60, 5)]), repairs=repairs)
    assert s.tempos == [TempoChange(0, 1000.0)]
    assert repairs == ["clamped 1 tempos outside 1..1000 quarter notes per minute"]


def test_meta_maps_keys_and_meters() -> None:
    conductor = [
        meta("track_name", name="My Song"),
        meta("time_signature", numerator=3, denominator=4),
        meta("time_signature", numerator=2, denominator=4),
        meta("key_signature", key="Bbm"),
        meta("key_signature", 480, key="F#"),
        meta("time_signature", 480, numerator=6, denominator=8),  # tick 960
    ]
    s = read_midi(_mid(conductor, [meta("track_name", name="Lead"), on(60), off(60, 10)]))
    assert s.title == "My Song"
    assert s.tracks[0].name == "Lead"
    assert s.time_signatures == [TimeSignature(0, 2, 4), TimeSignature(960, 6, 8)]
    assert s.key_signatures == [KeySignature(0, "Bb", "minor"), KeySignature(480, "F#")]


def test_key_names_are_respelled_when_needed() -> None:
    assert midi._key_from_mido("Db", 0) == KeySignature(0, "Db")
    assert midi._key_from_mido("Dbm", 5) == KeySignature(5, "C#", "minor")
    assert midi._key_from_mido("G#", 0) == KeySignature(0, "Ab")


def test_invalid_key_signature_is_dropped_and_reported() -> None:
    # FF 59 02 sf mi with 9 sharps: mido refuses it, we drop just that event
    body = b"\x00\xff\x59\x02\x09\x00" + b"\x00\x90\x3c\x40" + b"\x10\x80\x3c\x00\x00\xff\x2f\x00"
    repairs: list[str] = []
    s = read_midi(_raw(body, fmt=0), repairs=repairs)
    assert _triples(s.tracks[0]) == [(60, 0, 16)]
    assert s.key_signatures == []
    assert repairs == ["dropped 1 key signatures with an impossible number of sharps or flats"]


def test_running_status_and_missing_end_of_track() -> None:
    # note-on C4, then running status: E4 on, C4 off (vel 0), E4 off; no FF 2F 00 at the end
    body = b"\x00\x90\x3c\x50" + b"\x00\x40\x50" + b"\x60\x3c\x00" + b"\x30\x40\x00"
    s = read_midi(_raw(body, fmt=0, division=96))
    assert s.ticks_per_beat == 96
    assert [(n.pitch, n.onset, n.duration, n.velocity) for n in s.tracks[0].notes] == [
        (60, 0, 96, 80),
        (64, 0, 144, 80),
    ]


def test_data_bytes_above_127_are_clipped_and_reported() -> None:
    body = b"\x00\x90\x3c\xc8" + b"\x10\x90\x3c\x00" + b"\x00\x90\x40\xff" + b"\x10\x80\x40\x00"
    repairs: list[str] = []
    s = read_midi(_raw(body, fmt=0), repairs=repairs)
    assert [(n.pitch, n.velocity) for n in s.tracks[0].notes] == [(60, 127), (64, 127)]
    assert repairs == ["clipped 2 data bytes above 127 to 127"]


def test_program_change_mid_track_keeps_the_first() -> None:
    msgs = [
        mido.Message("program_change", program=3),
        mido.Message("program_change", program=40),  # before any note: this one plays
        on(60),
        off(60, 10),
        mido.Message("program_change", program=41),
        on(62),
        off(62, 10),
    ]
    repairs: list[str] = []
    s = read_midi(_mid(msgs), repairs=repairs)
    assert s.tracks[0].program == 40
    assert s.tracks[0].name == "Violin"  # no track name: the GM instrument name
    assert repairs == ["kept the first program of 1 tracks whose program changes during the track"]


def test_type0_multichannel_file_is_split_per_channel() -> None:
    msgs = [
        meta("track_name", name="Whole Song"),
        mido.Message("program_change", channel=1, program=32),
        mido.Message("program_change", channel=0, program=0),
        on(36, ch=9),
        on(60, ch=0),
        on(40, ch=1),
        off(36, 10, ch=9),
        off(60, 0, ch=0),
        off(40, 5, ch=1),
    ]
    s = read_midi(_mid(msgs, type=0))
    assert s.title == "Whole Song"
    assert [(t.name, t.program, t.is_drum, _triples(t)) for t in s.tracks] == [
        ("Acoustic Bass", 32, False, [(40, 0, 15)]),
        ("Acoustic Grand Piano", 0, False, [(60, 0, 10)]),
        ("Drums", 0, True, [(36, 0, 10)]),
    ]


def test_track_without_name_or_program_gets_a_numbered_name() -> None:
    s = read_midi(_mid([on(60), off(60, 1)], [on(61), off(61, 1)]))
    assert [t.name for t in s.tracks] == ["Track 1", "Track 2"]
    assert s.title == ""  # the first track has notes: no conductor track


def test_legacy_latin1_and_utf8_names() -> None:
    latin1 = meta("track_name", name="Caf\xe9")  # mido writes this as the byte E9
    utf8 = meta("track_name", name="Caf\xc3\xa9")  # the two UTF-8 bytes of é
    s = read_midi(_mid([latin1, on(60), off(60, 1)], [utf8, on(60), off(60, 1)]))
    assert [t.name for t in s.tracks] == ["Café", "Café"]


def test_type2_is_read_best_effort() -> None:
    repairs: list[str] = []
    s = read_midi(_mid([on(60), off(60, 5)], [on(62), off(62, 5)], type=2), repairs=repairs)
    assert [_triples(t) for t in s.tracks] == [[(60, 0, 5)], [(62, 0, 5)]]
    assert repairs == ["read a type-2 (asynchronous) file as if all its tracks started together"]


def test_repairs_list_is_appended_to_not_replaced() -> None:
    repairs = ["earlier line"]
    read_midi(_mid([on(60), meta("end_of_track", 5)]), repairs=repairs)
    assert repairs == ["earlier line", "closed 1 notes that were never released"]


# --------------------------------------------------------------------------- corrupt input


def test_text_file_renamed_mid(tmp_path: Path) -> None:
    p = tmp_path / "song.mid"
    p.write_text("X:1\nT:not midi\nK:G\nGABc|\n")
    with pytest.raises(
        CorruptFileError, match=r"^song\.mid is not a MIDI file \(no MThd header\)$"
    ):
        read_midi(p)


def test_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "empty.mid"
    p.write_bytes(b"")
    with pytest.raises(CorruptFileError, match=r"empty\.mid is empty \(0 bytes\)"):
        read_midi(p)


@pytest.mark.parametrize(
    "data",
    [b"MThd\x00\x00", b"MThd\x00\x00\x00\x06\x00\x01", _raw(b"\x00\x90\x3c\x40")[:-3]],
    ids=["header-chunk", "header-fields", "track"],
)
def test_truncated_data(data: bytes) -> None:
    with pytest.raises(CorruptFileError, match="MIDI data is truncated"):
        read_midi(data)


def test_garbage_after_header() -> None:
    with pytest.raises(CorruptFileError, match="MIDI data is not a valid MIDI file"):
        read_midi(_raw(b"\x00\x3c\x40", fmt=0))  # running status with no status before it


def test_smpte_division_is_unsupported() -> None:
    data = _raw(b"\x00\xff\x2f\x00", fmt=0, division=0xE728)  # -25 fps, 40 ticks per frame
    with pytest.raises(UnsupportedFormatError, match="SMPTE"):
        read_midi(data)


def test_wrong_source_type_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="expects a path or bytes, got int"):
        read_midi(42)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="MIDI file not found"):
        read_midi(tmp_path / "nope.mid")
    with pytest.raises(InvalidInputError, match="is a folder"):
        read_midi(tmp_path)


def test_oversized_input(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(midi, "MAX_MIDI_BYTES", 10)
    data = _mid([on(60), off(60, 1)])
    with pytest.raises(InvalidInputError, match="above the 64 MiB limit"):
        read_midi(data)
    p = tmp_path / "big.mid"
    p.write_bytes(data)
    with pytest.raises(InvalidInputError, match=r"big\.mid is .* above the 64 MiB limit"):
        read_midi(p)


def test_corrupt_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="no MThd header"):
        read_midi(b"RIFF1234WAVEfmt ")
