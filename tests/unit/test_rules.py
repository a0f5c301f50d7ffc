"""Unit tests of the rule-based composer: musical properties, form, determinism."""

from __future__ import annotations

import itertools

import pytest

from muselab.core import Score, Track
from muselab.errors import InvalidInputError
from muselab.generate import get_generator
from muselab.generate.accompaniment import meter_grid
from muselab.generate.base import ComposeOptions, Generator
from muselab.generate.rules import RuleComposer, plan_form
from muselab.theory.chords import parse_label
from muselab.theory.keys import key_pitch_classes
from muselab.theory.roman import roman_numeral

CASES = [
    dict(bars=16, key="D major", seed=1),
    dict(bars=8, key="A minor", meter="3/4", seed=2),
    dict(bars=16, key="G major", style="jig", seed=3),
    dict(bars=32, seed=4),
    dict(bars=10, key="Bb major", seed=5),
    dict(bars=12, key="E minor", meter="2/4", seed=6),
    dict(bars=24, key="F# minor", meter="12/8", seed=7),
    dict(bars=9, key="Eb major", meter="9/8", seed=8),
    dict(bars=3, seed=9),
    dict(bars=1, seed=10),
]


def compose(**kw: object) -> Score:
    return RuleComposer().generate(ComposeOptions(**kw))  # type: ignore[arg-type]


def melody(score: Score) -> Track:
    assert score.tracks[0].name == "Melody"
    return score.tracks[0]


def chord_at(score: Score, tick: int) -> set[int]:
    c = next(c for c in score.chords if c.onset <= tick < c.end)
    return set(parse_label(c.label).pitch_classes)


@pytest.fixture(scope="module", params=range(len(CASES)), ids=lambda i: str(CASES[i]))
def piece(request: pytest.FixtureRequest) -> tuple[dict[str, object], Score]:
    kw = CASES[request.param]
    return kw, compose(**kw)


def test_output_convention(piece: tuple[dict[str, object], Score]) -> None:
    kw, s = piece
    key = s.key_at(0)
    assert key is not None and key.name == str(kw.get("key", "C major"))
    assert [t.name for t in s.tracks] == ["Melody", "Chords", "Bass"]
    assert s.tempos[0].tick == 0 and s.time_signatures[0].tick == 0
    assert s.title == f"Rule-based study in {key.name}"
    if "meter" in kw:
        assert str(s.time_signatures[0]) == kw["meter"]


def test_exact_bars_without_gaps_or_overlaps(piece: tuple[dict[str, object], Score]) -> None:
    kw, s = piece
    bar = s.bar_ticks(0)
    notes = melody(s).notes
    assert notes[0].onset == 0
    for a, b in itertools.pairwise(notes):
        assert b.onset == a.end, f"gap or overlap at tick {a.end}"
    assert notes[-1].end == kw["bars"] * bar
    assert [c.onset for c in s.chords] == [i * bar for i in range(kw["bars"])]  # type: ignore[call-overload]
    assert s.end_tick == kw["bars"] * bar


def test_melody_is_diatonic_and_singable(piece: tuple[dict[str, object], Score]) -> None:
    _, s = piece
    key = s.key_at(0)
    assert key is not None
    scale = set(key_pitch_classes(key))
    leading = (key.tonic_pc + 11) % 12
    for n in melody(s).notes:
        if key.mode == "minor" and n.pitch % 12 == leading:
            assert leading in chord_at(s, n.onset), "raised 7th outside a dominant chord"
        else:
            assert n.pitch % 12 in scale, f"chromatic note {n.pitch} at {n.onset}"
    pitches = [n.pitch for n in melody(s).notes]
    assert min(pitches) >= 60 and max(pitches) <= 79


def test_strong_beats_are_chord_tones(piece: tuple[dict[str, object], Score]) -> None:
    _, s = piece
    g = meter_grid(s.time_signatures[0], s.ticks_per_beat)
    on_beat = [n for n in melody(s).notes if n.onset % g.beat == 0]
    hits = sum(n.pitch % 12 in chord_at(s, n.onset) for n in on_beat)
    assert hits / len(on_beat) >= 0.8
    downbeats = [n for n in on_beat if n.onset % g.bar == 0]
    assert all(n.pitch % 12 in chord_at(s, n.onset) for n in downbeats)


def test_non_chord_tones_move_by_step(piece: tuple[dict[str, object], Score]) -> None:
    _, s = piece
    notes = melody(s).notes
    bad = 0
    nct = 0
    for i in range(1, len(notes) - 1):
        n = notes[i]
        if n.pitch % 12 not in chord_at(s, n.onset):
            nct += 1
            if abs(n.pitch - notes[i - 1].pitch) > 2 or abs(notes[i + 1].pitch - n.pitch) > 2:
                bad += 1
    assert bad <= 0.1 * max(nct, 1)


def test_leaps_are_followed_by_a_step_back(piece: tuple[dict[str, object], Score]) -> None:
    kw, s = piece
    notes = melody(s).notes
    p = [n.pitch for n in notes]
    bar = s.bar_ticks(0)
    starts = {ph.start * bar for ph in plan_form(kw["bars"])}  # type: ignore[arg-type]
    leaps = [  # inside phrases: not into a phrase's first note, nor into its last
        i
        for i in range(1, len(p) - 1)
        if abs(p[i] - p[i - 1]) >= 5 and not {notes[i].onset, notes[i + 1].onset} & starts
    ]
    recovered = [
        i
        for i in leaps
        if 1 <= abs(p[i + 1] - p[i]) <= 2 and (p[i + 1] - p[i]) * (p[i] - p[i - 1]) < 0
    ]
    assert len(recovered) >= 0.75 * len(leaps), [
        (notes[i].onset // bar, p[i - 1 : i + 2]) for i in leaps
    ]


def test_ends_on_a_long_tonic_after_an_authentic_cadence(
    piece: tuple[dict[str, object], Score],
) -> None:
    kw, s = piece
    key = s.key_at(0)
    assert key is not None
    last = melody(s).notes[-1]
    bar = s.bar_ticks(0)
    assert last.pitch % 12 == key.tonic_pc
    assert last.onset % bar == 0 and last.duration >= bar // 2
    assert roman_numeral(s.chords[-1].label, key) in ("I", "i")
    if kw["bars"] >= 2:  # type: ignore[operator]
        assert roman_numeral(s.chords[-2].label, key) in ("V7", "V")


def test_bass_roots_match_chord_symbols(piece: tuple[dict[str, object], Score]) -> None:
    _, s = piece
    bass = s.tracks[2].notes
    for c in s.chords:
        first = next(n for n in bass if n.onset >= c.onset)
        assert first.onset == c.onset
        assert first.pitch % 12 == parse_label(c.label).bass_pc


def test_aaba_form_repeats_A_with_a_small_variation() -> None:
    s = compose(bars=32, key="F major", seed=11)
    bar = s.bar_ticks(0)
    bars: list[list[tuple[int, int, int]]] = [[] for _ in range(32)]
    for n in melody(s).notes:
        bars[n.onset // bar].append((n.onset % bar, n.duration, n.pitch))
    key = s.key_at(0)
    assert key is not None
    figures = [roman_numeral(c.label, key) for c in s.chords]
    assert figures[7] == "V" and figures[23] == "V"  # half cadences: A1, B
    assert figures[14:16] == ["V7", "I"] and figures[30:32] == ["V7", "I"]
    for later in (8, 24):  # A2 and A3 against A1, bars before the cadence
        same = sum(bars[k] == bars[later + k] for k in range(6))
        assert 4 <= same <= 6
        assert figures[later : later + 6] == figures[0:6]
    assert any(bars[k] != bars[24 + k] for k in range(6)) or any(
        bars[k] != bars[8 + k] for k in range(6)
    )
    assert sum(bars[k] == bars[16 + k] for k in range(6)) <= 2  # B is different


def test_eight_bars_are_A_then_A_prime() -> None:
    s = compose(bars=8, key="C major", seed=12)
    bar = s.bar_ticks(0)
    notes = melody(s).notes
    first = [(n.onset, n.pitch) for n in notes if n.onset < 2 * bar]
    second = [(n.onset - 4 * bar, n.pitch) for n in notes if 4 * bar <= n.onset < 6 * bar]
    shared = len(set(first) & set(second))
    assert shared >= 0.5 * len(first)
    assert [c.label for c in s.chords[:2]] == [c.label for c in s.chords[4:6]]
    assert s.chords[3].label == "G:maj"  # half cadence ends A


def test_plan_form() -> None:
    assert [p.letter for p in plan_form(32)] == list("AABA")
    assert [p.letter for p in plan_form(32, "AABB")] == list("AABB")
    assert [(p.start, p.length) for p in plan_form(13)] == [(0, 4), (4, 4), (8, 5)]
    assert [p.cadence for p in plan_form(24)] == ["half", "authentic", "authentic"]
    assert sum(p.length for p in plan_form(77)) == 77
    with pytest.raises(InvalidInputError, match="form must be letters"):
        plan_form(16, "A-B")


def test_styles_set_meter_and_form() -> None:
    assert str(compose(bars=8, style="jig", seed=1).time_signatures[0]) == "6/8"
    assert str(compose(bars=8, style="waltz", seed=1).time_signatures[0]) == "3/4"
    assert compose(bars=8, style="arpeggio", seed=1).tracks[1].program == 24
    with pytest.raises(InvalidInputError, match="unknown style 'disco'"):
        compose(bars=8, style="disco")


def test_determinism_by_seed() -> None:
    a = compose(bars=16, key="D major", seed=42)
    b = compose(bars=16, key="D major", seed=42)
    for ta, tb in zip(a.tracks, b.tracks, strict=True):
        assert ta.notes == tb.notes
    assert a.chords == b.chords
    melodies = {tuple(n.pitch for n in melody(compose(bars=16, seed=k)).notes) for k in range(6)}
    assert len(melodies) == 6


def test_is_a_registered_generator() -> None:
    gen = get_generator("rules")
    assert isinstance(gen, RuleComposer) and isinstance(gen, Generator)
    assert gen.name == "rules"
