"""Unit tests of muselab.generate.accompaniment: harmonize() and add_accompaniment()."""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest

from muselab.core import ChordSymbol, KeySignature, Note, Score, TimeSignature, Track
from muselab.errors import InvalidInputError
from muselab.generate.accompaniment import add_accompaniment, harmonize, meter_grid
from muselab.theory.chords import chord_pitches, parse_label

Q = 480  # a quarter note


def melody(bars: list[list[int]], *, meter: str = "4/4", key: str | None = "C major") -> Score:
    """One bar per list, its pitches filling the bar equally."""
    ts = TimeSignature.parse(meter)
    bar = round(ts.bar_beats * Q)
    notes = []
    for b, pitches in enumerate(bars):
        d = bar // len(pitches)
        notes += [Note(p, b * bar + i * d, d, 90) for i, p in enumerate(pitches)]
    return Score(
        tracks=[Track("Melody", 73, False, notes)],
        time_signatures=[ts],
        key_signatures=[KeySignature.parse(key)] if key else [],
    )


def labels(chords: list[ChordSymbol]) -> list[str]:
    return [c.label for c in chords]


# ---------------------------------------------------------------------- harmonize
def test_harmonize_finds_I_IV_V_I() -> None:
    s = melody([[72, 76, 79, 76], [77, 81, 84, 81], [79, 83, 86, 83], [84]])
    chords = harmonize(s)
    assert labels(chords) == ["C:maj", "F:maj", "G:maj", "C:maj"]
    assert [(c.onset, c.duration) for c in chords] == [(i * 4 * Q, 4 * Q) for i in range(4)]


def test_harmonize_uses_V7_when_the_melody_has_the_seventh() -> None:
    s = melody([[72, 76, 79, 76], [79, 77, 74, 71], [72]])
    assert labels(harmonize(s)) == ["C:maj", "G:7", "C:maj"]


def test_harmonize_minor_uses_harmonic_V_and_spelling() -> None:
    s = melody([[69, 72, 76, 72], [74, 77, 81, 77], [76, 80, 83, 80], [81]], key="A minor")
    assert labels(harmonize(s)) == ["A:min", "D:min", "E:maj", "A:min"]


def test_harmonize_estimates_the_key_when_missing() -> None:
    s = melody([[67, 71, 74, 71], [72, 76, 79, 76], [74, 78, 81, 78], [79]], key=None)
    assert labels(harmonize(s)) == ["G:maj", "C:maj", "D:maj", "G:maj"]


def test_harmonize_two_chords_per_bar() -> None:
    s = melody([[72, 76, 77, 81], [79, 83, 84]])
    # The second bar's three notes are 640 ticks each: G B over the first half, C after.
    chords = harmonize(s, chords_per_bar=2)
    assert labels(chords)[:3] == ["C:maj", "F:maj", "G:maj"]
    assert [c.onset for c in chords][:3] == [0, 2 * Q, 4 * Q]


def test_harmonize_in_three_four_and_six_eight() -> None:
    waltz = melody([[72, 76, 79], [77, 81, 77], [79, 83, 74], [72]], meter="3/4")
    assert labels(harmonize(waltz)) == ["C:maj", "F:maj", "G:maj", "C:maj"]
    jig = melody([[72, 76, 79, 76, 72, 76], [74, 77, 79, 83, 79, 77], [72]], meter="6/8")
    chords = harmonize(jig)
    assert labels(chords) == ["C:maj", "G:7", "C:maj"]
    assert chords[1].onset == 3 * Q


def test_harmonize_edge_cases() -> None:
    assert harmonize(Score(tracks=[Track("Melody")])) == []
    s = melody([[60]])
    with pytest.raises(InvalidInputError, match="chords_per_bar must be 1 or 2, got 3"):
        harmonize(s, chords_per_bar=3)
    with pytest.raises(InvalidInputError, match="got 5"):
        harmonize(s, track=5)
    with pytest.raises(InvalidInputError, match="no melody"):
        harmonize(Score())


# ---------------------------------------------------------------------- add_accompaniment
PROGRESSION = ["C:maj", "F:maj", "G:maj", "C:maj", "A:min", "D:min", "G:7", "C:maj"]


def with_chords(meter: str = "4/4", progression: list[str] = PROGRESSION) -> Score:
    ts = TimeSignature.parse(meter)
    bar = round(ts.bar_beats * Q)
    g = meter_grid(ts, Q)
    notes, chords = [], []
    for b, lab in enumerate(progression):
        top = max(chord_pitches(lab, octave=5, bass=False), default=72)
        pcs = parse_label(lab).pitch_classes or (0,)
        for i, t in enumerate(range(0, bar, g.beat)):
            p = next(q for q in range(top, 60, -1) if q % 12 == pcs[i % len(pcs)])
            notes.append(Note(p, b * bar + t, g.beat, 96))
        chords.append(ChordSymbol(b * bar, bar, lab))
    return Score(
        tracks=[Track("Melody", 73, False, notes)],
        time_signatures=[ts],
        key_signatures=[KeySignature(0, "C", "major")],
        chords=chords,
    )


def track(score: Score, name: str) -> Track:
    return next(t for t in score.tracks if t.name == name)


def test_tracks_programs_and_copy() -> None:
    s = with_chords()
    out = add_accompaniment(s, seed=1)
    assert [t.name for t in out.tracks] == ["Melody", "Chords", "Bass"]
    assert len(s.tracks) == 1  # the input is not modified
    assert track(out, "Bass").program in (32, 33)
    assert track(out, "Chords").program == 0
    assert track(add_accompaniment(s, style="arpeggio"), "Chords").program == 24
    again = add_accompaniment(out)  # replaces, never duplicates
    assert [t.name for t in again.tracks] == ["Melody", "Chords", "Bass"]


@pytest.mark.parametrize("meter", ["4/4", "3/4", "2/4", "6/8", "9/8", "12/8"])
@pytest.mark.parametrize("style", [None, "block", "oompah", "arpeggio"])
def test_bass_roots_ranges_and_below_melody(meter: str, style: str | None) -> None:
    s = with_chords(meter)
    out = add_accompaniment(s, style=style, seed=3)
    mel = track(out, "Melody").notes
    bass, chords = track(out, "Bass").notes, track(out, "Chords").notes
    assert bass and chords
    for c in s.chords:  # the first bass note of every chord is its root
        first = min((n for n in bass if n.onset >= c.onset), key=lambda n: n.onset)
        assert first.onset == c.onset
        assert first.pitch % 12 == parse_label(c.label).root_pc
    assert all(36 <= n.pitch <= 55 for n in bass)
    assert all(40 <= n.pitch <= 72 for n in chords)
    for n in chords:
        c = next(c for c in s.chords if c.onset <= n.onset < c.end)
        assert n.pitch % 12 in parse_label(c.label).pitch_classes
        sounding = [m.pitch for m in mel if m.onset < n.end and m.end > n.onset]
        assert n.pitch < min(sounding), "accompaniment above the melody"
    vel = max(n.velocity for n in bass + chords)
    assert vel < min(n.velocity for n in mel)
    assert max(n.end for n in bass + chords) <= s.end_tick


def test_meter_patterns() -> None:
    def onsets(score: Score, name: str, bar: int) -> list[int]:
        return sorted({n.onset % bar for n in track(score, name).notes})

    four = add_accompaniment(with_chords("4/4"))  # oom-pah
    assert onsets(four, "Bass", 4 * Q) == [0, 2 * Q]
    assert onsets(four, "Chords", 4 * Q) == [Q, 3 * Q]
    waltz = add_accompaniment(with_chords("3/4"))
    assert onsets(waltz, "Bass", 3 * Q) == [0]
    assert onsets(waltz, "Chords", 3 * Q) == [Q, 2 * Q]
    jig = add_accompaniment(with_chords("6/8"))  # dotted quarters
    assert onsets(jig, "Bass", 3 * Q) == [0, 3 * Q // 2]
    assert onsets(jig, "Chords", 3 * Q) == [0, 3 * Q // 2]
    # the second strong beat of 4/4 takes the fifth while the chord lasts
    bass = track(four, "Bass").notes
    assert (bass[1].pitch - bass[0].pitch) % 12 == 7


def test_slash_chord_puts_its_bass_note_in_the_bass() -> None:
    s = with_chords(progression=["C:maj", "C:maj/3", "F:maj", "G:7", "C:maj"])
    bass = track(add_accompaniment(s), "Bass").notes
    assert next(n for n in bass if n.onset == 4 * Q).pitch % 12 == 4


def _movement(voicings: list[list[int]]) -> int:
    return sum(
        sum(abs(a - b) for a, b in zip(sorted(x), sorted(y), strict=True))
        for x, y in itertools.pairwise(voicings)
        if len(x) == len(y)
    )


def test_voice_leading_moves_less_than_root_position_blocks() -> None:
    s = with_chords(progression=[*PROGRESSION, "F:maj", "G:maj", "E:min", "A:min"])
    out = add_accompaniment(s, style="block")
    by_chord: dict[int, set[int]] = defaultdict(set)
    for n in track(out, "Chords").notes:
        by_chord[next(i for i, c in enumerate(s.chords) if c.onset <= n.onset < c.end)].add(n.pitch)
    ours = [sorted(by_chord[i]) for i in range(len(s.chords))]
    naive = [chord_pitches(c.label, octave=3, bass=False)[:3] for c in s.chords]
    ours3 = [v[:3] if len(v) >= 3 else v for v in ours]
    assert _movement(ours3) < _movement(naive) / 2
    assert all(max(b) - min(b) <= 12 for b in ours)


def test_determinism_and_humanisation() -> None:
    s = with_chords()
    a, b = add_accompaniment(s, seed=5), add_accompaniment(s, seed=5)
    assert track(a, "Chords").notes == track(b, "Chords").notes
    plain = add_accompaniment(s)
    c = add_accompaniment(s, seed=6)
    assert [n.velocity for n in track(a, "Chords").notes] != [
        n.velocity for n in track(c, "Chords").notes
    ]
    assert [n.pitch for n in track(plain, "Chords").notes] == [
        n.pitch for n in track(c, "Chords").notes
    ]


def test_harmonizes_when_the_score_has_no_chords_and_rejects_bad_style() -> None:
    s = melody([[72, 76, 79, 76], [77, 81, 84, 81], [79, 83, 86, 83], [84]])
    out = add_accompaniment(s)
    assert labels(out.chords) == ["C:maj", "F:maj", "G:maj", "C:maj"]
    assert s.chords == []
    with pytest.raises(InvalidInputError, match="unknown accompaniment style 'disco'"):
        add_accompaniment(s, style="disco")
    assert track(add_accompaniment(s, style="Reel"), "Chords").notes


def test_no_chord_spans_stay_silent() -> None:
    s = with_chords(progression=["C:maj", "N", "G:7", "C:maj"])
    out = add_accompaniment(s)
    quiet = [n for t in out.tracks[1:] for n in t.notes if 4 * Q <= n.onset < 8 * Q]
    assert quiet == []
