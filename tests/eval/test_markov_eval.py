"""Quality of the Markov melody model on real folk tunes (slow: trains on Nottingham)."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import numpy as np
import pytest

from muselab.core import Score
from muselab.generate.base import ComposeOptions
from muselab.generate.markov import MarkovGenerator, evaluate_nll

pytestmark = pytest.mark.slow

DATA = Path(
    os.environ.get("MUSELAB_DATA") or Path(__file__).resolve().parents[2].parent / "shared" / "data"
)


def _split(name: str) -> list[Score]:
    if not (DATA / "nottingham").is_dir():
        pytest.skip(f"Nottingham data not found under {DATA}; set MUSELAB_DATA")
    corpora = pytest.importorskip("muselab.corpora")
    if not hasattr(corpora, "load_corpus"):
        pytest.skip("muselab.corpora.load_corpus is not available")
    return [it.score for it in corpora.load_corpus("nottingham", split=name, progress=False)]


@pytest.fixture(scope="module")
def nottingham() -> dict[str, list[Score]]:
    return {s: _split(s) for s in ("train", "test")}


def test_context_beats_baselines_on_heldout_tunes(nottingham: dict[str, list[Score]]) -> None:
    train, test = nottingham["train"], nottingham["test"]
    nll = {}
    for label, gen in {
        "unigram": MarkovGenerator(0, unigram=True),
        "position": MarkovGenerator(0),
        "order3": MarkovGenerator(3),
    }.items():
        nll[label] = evaluate_nll(gen.fit(train), test)[0]
    assert np.isfinite(list(nll.values())).all()
    assert nll["order3"] < nll["position"] - 0.5 < nll["unigram"] - 0.5


def test_generated_tunes_stay_in_the_scale_and_move_stepwise(
    nottingham: dict[str, list[Score]],
) -> None:
    gen = MarkovGenerator(3).fit(nottingham["train"])
    major = {0, 2, 4, 5, 7, 9, 11}
    in_scale, leaps, total = 0, 0, 0
    for seed in range(10):
        s = gen.generate_melody(ComposeOptions(bars=16, key="D major", seed=seed))
        pitches = [n.pitch for n in s.tracks[0].notes]
        in_scale += sum((p - 2) % 12 in major for p in pitches)
        leaps += sum(abs(b - a) > 7 for a, b in itertools.pairwise(pitches))
        total += len(pitches)
    assert in_scale / total > 0.93
    assert leaps / total < 0.1
