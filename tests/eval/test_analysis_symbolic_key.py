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


def test_final_note_model_improves_on_its_profile(shared_data: Path) -> None:
    # the learned model is Temperley's profile plus the final bass note; on the test split
    # (103 tunes) it scores 0.952 against 0.935 for the profile alone (Albrecht-Shanahan's
    # profile happens to score 0.957 here, but 0.907 on the valid split used for selection)
    assert _mirex("auto")[0] > _mirex("temperley")[0]
