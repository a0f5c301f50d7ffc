"""The shipped Markov checkpoint: it loads, composes well-formed tunes, and its NLL is stable."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from muselab.corpora import load_corpus
from muselab.generate.base import ComposeOptions
from muselab.generate.markov import MarkovGenerator, evaluate_nll


@pytest.fixture(scope="module")
def gen() -> MarkovGenerator:
    return MarkovGenerator.default()


def test_checkpoint_metadata(gen: MarkovGenerator) -> None:
    assert gen is MarkovGenerator.default()  # loaded once, cached
    assert 3 <= gen.order <= 5 and gen.smoothing == "kneser-ney"
    assert "nottingham" in gen.training["corpora"]
    assert gen.training["n_tunes"] > 500
    assert gen.default_key in ("G major", "D major")


@pytest.mark.parametrize(("style", "bar_ticks"), [("reel", 1920), ("jig", 1440), ("waltz", 1440)])
def test_shipped_model_composes_a_well_formed_16_bar_tune(
    gen: MarkovGenerator, style: str, bar_ticks: int
) -> None:
    s = gen.generate_melody(ComposeOptions(bars=16, style=style, seed=2024))
    notes = s.tracks[0].notes
    assert s.bar_ticks() == bar_ticks and notes[-1].end == 16 * bar_ticks
    assert all(n.onset // bar_ticks == (n.end - 1) // bar_ticks for n in notes)
    key = s.key_at(0)
    assert key is not None and notes[-1].pitch % 12 == key.tonic_pc
    pitches = np.array([n.pitch for n in notes])
    assert np.mean((pitches >= 55) & (pitches <= 88)) > 0.9
    scale = {0, 2, 4, 5, 7, 9, 11}
    assert np.mean([(p - key.tonic_pc) % 12 in scale for p in pitches]) > 0.85
    assert len(notes) >= 16 * 2  # folk tunes move: at least two notes a bar on average


def test_same_seed_same_tune(gen: MarkovGenerator) -> None:
    opts = ComposeOptions(bars=16, seed=7)
    a = gen.generate_melody(opts)
    assert a.tracks[0].notes == gen.generate_melody(opts).tracks[0].notes


@pytest.mark.shared_data
def test_nll_on_20_nottingham_test_tunes_matches_stored_figure(
    gen: MarkovGenerator, shared_data: Path
) -> None:
    # The training command stored this figure in config.json (training.evaluation).
    expected = gen.training["evaluation"]["nottingham_test_first20"]
    items = sorted(load_corpus("nottingham", split="test", progress=False), key=lambda i: i.id)
    nll, n = evaluate_nll(gen, [it.score for it in items[:20]])
    assert n == expected["n_events"]
    assert nll == pytest.approx(expected["nll"], abs=1e-3)
