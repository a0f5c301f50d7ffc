"""Neural folk generators on a tiny random model: grammar, options, seeds, primers, errors."""

from __future__ import annotations

import itertools

import pytest
import torch

from muselab.core import KeySignature, Note, Score, TimeSignature, Track
from muselab.errors import CorruptFileError, InvalidInputError
from muselab.generate import ComposeOptions
from muselab.generate.neural import NeuralFolkGenerator
from muselab.nn import build_model, save_checkpoint
from muselab.tokens.folk import FolkTokenizer

TOK = FolkTokenizer()


@pytest.fixture(scope="module", params=["transformer", "lstm"])
def gen(request, tmp_path_factory) -> NeuralFolkGenerator:
    torch.manual_seed(0)
    if request.param == "transformer":
        cfg = {"type": "transformer", "vocab_size": TOK.vocab_size, "d_model": 32,
               "n_layers": 1, "n_heads": 2, "d_ff": 32, "dropout": 0.0}  # fmt: skip
    else:
        cfg = {"type": "lstm", "vocab_size": TOK.vocab_size, "d_embed": 16, "d_hidden": 32,
               "n_layers": 1, "dropout": 0.0}  # fmt: skip
    folder = tmp_path_factory.mktemp(request.param)
    extra = {"tokenizer": TOK.to_dict(), "default_keys": {"major": "D major", "minor": "E minor"}}
    save_checkpoint(folder, build_model(cfg), cfg, extra=extra)
    return NeuralFolkGenerator.load(folder)


def _bars(score: Score) -> float:
    return score.tracks[0].notes[-1].end / score.bar_ticks(0)


@pytest.mark.parametrize(
    ("opts", "meter", "key"),
    [
        ({"bars": 8, "style": "jig", "key": "A minor"}, "6/8", "A minor"),
        ({"bars": 5, "meter": "3/4", "key": "Bb major", "tempo": 90}, "3/4", "Bb major"),
        ({"bars": 4, "style": "reel", "temperature": 0.5, "top_k": 5, "top_p": 0.9}, "4/4", None),
    ],
)
def test_generate_honours_options(gen, opts, meter, key) -> None:
    score = gen.generate(ComposeOptions(seed=3, **opts))
    assert next(t.name for t in score.tracks) == "Melody"
    assert {"Chords", "Bass"} <= {t.name for t in score.tracks}
    assert str(score.time_signatures[0]) == meter
    if key:
        assert score.key_signatures[0].name == key
    else:
        assert score.key_signatures[0].name in ("D major", "E minor")
    assert opts["bars"] - 1 < _bars(score) <= opts["bars"]
    assert score.chords  # the model's or harmonised
    if "tempo" in opts:
        assert score.tempo_at(0) == 90


def test_seeded_determinism(gen) -> None:
    a = gen.generate(ComposeOptions(bars=6, seed=11))
    b = gen.generate(ComposeOptions(bars=6, seed=11))
    c = gen.generate(ComposeOptions(bars=6, seed=12))
    assert a.tracks[0].notes == b.tracks[0].notes and a.chords == b.chords
    assert a.tracks[0].notes != c.tracks[0].notes


def test_grammar_fills_every_bar_exactly(gen) -> None:
    ids, _, _ = gen.generate_tokens(ComposeOptions(bars=12, meter="6/8", seed=5))
    ev = TOK.decode_events(ids)
    assert len(ev.bars) == 12
    names = TOK.decode_names(ids)
    assert names[-1] == "EOS" and names.count("Bar") == 12
    # every bar but the last is full: its events add up to 36 units
    starts = [b for b, _ in ev.bars]
    assert all(b - a == 36 for a, b in itertools.pairwise(starts))


def _primer(bars: int = 6) -> Score:
    notes = [Note(62 + 2 * (i % 4), i * 480, 480) for i in range(bars * 2)]
    return Score(
        tracks=[Track("Melody", notes=notes)],
        time_signatures=[TimeSignature(0, 2, 4)],
        key_signatures=[KeySignature(0, "D")],
    )


def test_continuation_keeps_the_primer_and_adds_bars(gen) -> None:
    primer = _primer(6)
    out = gen.continue_score(primer, ComposeOptions(bars=4, seed=1))
    mel = out.tracks[0].notes
    assert [(n.pitch, n.onset) for n in mel[:12]] == [
        (n.pitch, n.onset) for n in primer.tracks[0].notes
    ]
    assert 9 < _bars(out) <= 10
    assert str(out.time_signatures[0]) == "2/4" and out.key_signatures[0].name == "D major"


def test_infill_rewrites_only_the_range(gen) -> None:
    primer = _primer(6)
    out = gen.infill(primer, 3, 4, ComposeOptions(seed=2))
    bar = primer.bar_ticks(0)
    keep = [(n.pitch, n.onset) for n in primer.tracks[0].notes if not 2 * bar <= n.onset < 4 * bar]
    got = [(n.pitch, n.onset) for n in out.tracks[0].notes if not 2 * bar <= n.onset < 4 * bar]
    assert got == keep
    assert _bars(out) == pytest.approx(6)


def test_bad_options_are_clear_errors(gen) -> None:
    with pytest.raises(InvalidInputError, match="outside the primer's bars 1-6"):
        gen.infill(_primer(6), 5, 8, ComposeOptions(seed=1))
    with pytest.raises(InvalidInputError, match="unknown style 'tango'"):
        gen.generate(ComposeOptions(style="tango"))
    with pytest.raises(InvalidInputError, match="meter 5/4"):
        gen.generate(ComposeOptions(meter="5/4"))
    with pytest.raises(InvalidInputError, match="no notes"):
        gen.continue_score(Score(tracks=[Track("Melody")]), ComposeOptions())
    with pytest.raises(InvalidInputError, match="top_p"):
        ComposeOptions(top_p=1.5)


def test_loading_a_non_folk_checkpoint_fails(tmp_path) -> None:
    cfg = {"type": "lstm", "vocab_size": 10, "d_embed": 4, "d_hidden": 4, "n_layers": 1}
    save_checkpoint(tmp_path, build_model(cfg), cfg)
    with pytest.raises(CorruptFileError, match="not a folk checkpoint"):
        NeuralFolkGenerator.load(tmp_path)


def test_token_log_probs_full_and_windowed(gen) -> None:
    ids, _, _ = gen.generate_tokens(ComposeOptions(bars=6, seed=1))
    full = gen.token_log_probs(ids, window=len(ids))
    assert full.shape == (len(ids) - 1,) and bool((full <= 0).all())
    win = gen.token_log_probs(ids, window=32)
    assert win.shape == full.shape and bool(torch.isfinite(win).all())
    torch.testing.assert_close(win[:31], full[:31], atol=1e-4, rtol=1e-4)


def test_tonal_filter_from_the_checkpoint_restricts_pitches_and_chords(tmp_path) -> None:
    cfg = {"type": "lstm", "vocab_size": TOK.vocab_size, "d_embed": 8, "d_hidden": 8,
           "n_layers": 1}  # fmt: skip
    only = {"pitch_classes": [0, 7], "chords": ["Chord_0:maj"]}
    extra = {"tokenizer": TOK.to_dict(), "mode_filter": {"major": only, "minor": only}}
    torch.manual_seed(0)
    save_checkpoint(tmp_path, build_model(cfg), cfg, extra=extra)
    g = NeuralFolkGenerator.load(tmp_path)
    score = g.generate(ComposeOptions(bars=8, key="F major", seed=1))
    assert {n.pitch % 12 for n in score.tracks[0].notes} <= {5, 0}  # F and C
    assert {c.label for c in score.chords} <= {"F:maj"}
    g.tonal_filter = False
    free = g.generate(ComposeOptions(bars=8, key="F major", seed=1))
    assert len({n.pitch % 12 for n in free.tracks[0].notes}) > 2


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_tunes_end_on_the_tonic_chord_and_a_tonic_triad_note(gen, seed: int) -> None:
    score = gen.generate(ComposeOptions(bars=6, key="A minor", meter="6/8", seed=seed))
    last = score.tracks[0].notes[-1]
    assert (last.pitch - 9) % 12 in (0, 3, 7)  # A, C, E
    assert last.duration >= 120
    bar = score.bar_ticks(0)
    in_last_bar = [c.label for c in score.chords if c.end > 5 * bar]
    assert in_last_bar == ["A:min"]  # the model's last chord (the random model may write none)
    # infilling has no cadence: the gap leads on into the bars after it
    filled = gen.infill(_primer(6), 2, 3, ComposeOptions(seed=seed))
    assert len(filled.tracks[0].notes) >= 6
