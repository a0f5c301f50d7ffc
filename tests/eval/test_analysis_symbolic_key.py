"""Symbolic key finding on held-out Nottingham tunes, scored like MIREX (mir_eval)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.shared_data]


def _mirex(profile: str) -> tuple[float, int]:
    import mir_eval

    from muselab.analysis.symbolic import score_key
    from muselab.corpora import load_corpus

    scores = []
    for it in load_corpus("nottingham", split="test", progress=False):
        ref = it.score.key_at(0)
        if ref is None or it.score.n_notes == 0:
            continue
        scores.append(
            mir_eval.key.weighted_score(ref.name, score_key(it.score, profile=profile).name)
        )
    return float(np.mean(scores)), len(scores)


def test_symbolic_key_on_nottingham_test_reaches_0_9(shared_data: Path) -> None:
    score, n = _mirex("auto")
    assert n >= 90
    assert score >= 0.9, f"MIREX weighted key score {score:.3f} on {n} held-out tunes"


def test_learned_key_model_beats_plain_profiles(shared_data: Path) -> None:
    learned, _ = _mirex("auto")
    for profile in ("krumhansl", "temperley", "albrecht"):
        assert learned >= _mirex(profile)[0] - 1e-9, profile
