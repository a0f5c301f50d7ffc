"""Choice of the beat level among metrically related tempi (synthetic envelopes)."""

from __future__ import annotations

import numpy as np
import pytest

from muselab.analysis import beats as B
from muselab.errors import InvalidInputError

SR, HOP = 22050, 512
RATE = SR / HOP


def _pulses(period_s: float, seconds: float = 40.0, accent_every: int = 0) -> np.ndarray:
    """Impulses (3 frames wide) every ``period_s``; every ``accent_every``-th one louder."""
    env = np.zeros(int(seconds * RATE), dtype=np.float32)
    for k, t in enumerate(np.arange(0.2, seconds - 0.2, period_s)):
        i = round(float(t) * RATE)
        amp = 2.0 if accent_every and k % accent_every == 0 else 1.0
        env[i : i + 3] += amp * np.array([0.5, 1.0, 0.5], dtype=np.float32)
    return env


def test_candidates_are_the_metrical_levels_of_a_pulse() -> None:
    env = _pulses(60 / 132)
    t = B.estimate_tempo(env, sr=SR, hop_length=HOP)
    cands = B.tempo_candidates(t.bpms, t.mean_tempogram, RATE)
    bpm = cands[:, 0]
    for level in (132.0, 66.0, 44.0):  # beat, two beats, three beats
        assert np.min(np.abs(bpm / level - 1)) < 0.03, (level, np.round(bpm, 1))
    assert np.all((bpm >= 40) & (bpm <= 240))


def test_prior_picks_the_moderate_level_of_an_even_pulse() -> None:
    t = B.estimate_tempo(_pulses(60 / 132), sr=SR, hop_length=HOP)
    assert t.bpm == pytest.approx(132, rel=0.03)
    # 264 per minute (above the 240 BPM range) accented in pairs: counted in pairs
    fast = B.estimate_tempo(_pulses(60 / 264, accent_every=2), sr=SR, hop_length=HOP)
    assert fast.bpm == pytest.approx(132, rel=0.03)
    waltz = B.estimate_tempo(_pulses(60 / 264, accent_every=3), sr=SR, hop_length=HOP)
    assert waltz.bpm == pytest.approx(88, rel=0.03)  # ... or in threes
    slow = B.estimate_tempo(_pulses(60 / 50, seconds=60), sr=SR, hop_length=HOP)
    assert slow.bpm == pytest.approx(50, rel=0.03)  # nothing periodic at 100: stays at 50


def test_harmonic_changes_every_other_pulse_choose_the_slower_level() -> None:
    """A chorale: eighth-note onsets at 132 per minute, harmony changing at 66 per minute."""
    onsets = _pulses(60 / 132)
    harmony = _pulses(60 / 66)  # note/chord changes on every other onset
    plain = B.estimate_tempo(onsets, sr=SR, hop_length=HOP)
    chorale = B.estimate_tempo(onsets, sr=SR, hop_length=HOP, harmonic_env=harmony)
    assert plain.bpm == pytest.approx(132, rel=0.03)
    assert chorale.bpm == pytest.approx(66, rel=0.03)
    # harmony changing with every onset keeps the faster level
    same = B.estimate_tempo(onsets, sr=SR, hop_length=HOP, harmonic_env=onsets)
    assert same.bpm == pytest.approx(132, rel=0.03)


def test_choice_is_the_argmax_of_the_linear_model() -> None:
    rng = np.random.default_rng(0)
    w = np.array([2.0, 3.0, 0.4, 0.2, 0.5])
    weights = B.TempoLevelWeights.from_linear(w, ref_bpm=100.0)
    # the prior's centre and width come out of the quadratic in log2 tempo
    assert weights.centre_bpm == pytest.approx(100 * 2 ** (0.4 / 6.0))
    assert weights.width_octaves == pytest.approx(np.sqrt(2.0 / 6.0))
    acf = np.abs(rng.normal(size=800)) * 0.5
    for _ in range(20):
        k = int(rng.integers(2, 8))
        bpm = np.exp(rng.uniform(np.log(40), np.log(240), size=k))
        cands = np.stack([bpm, rng.uniform(0.3, 1.0, size=k), np.arange(k)], axis=1)
        feats = B.level_features(cands, RATE, acf, ref_bpm=100.0)
        want = int(np.argmax(feats @ w))
        got_bpm, got_row = B.choose_tempo_level(cands, RATE, acf, weights=weights)
        assert got_row == want and got_bpm == bpm[want]


def test_level_weights_are_validated() -> None:
    with pytest.raises(InvalidInputError, match="width_octaves"):
        B.TempoLevelWeights(100.0, 0.0, 0.1, 0.1)
    with pytest.raises(InvalidInputError, match="5 weights"):
        B.TempoLevelWeights.from_linear(np.array([1.0, -1.0, 0.0, 0.0, 0.0]))


def test_beats_tempo_averages_away_the_frame_grid() -> None:
    true_bpm = 101.0
    t = np.arange(60) * 60 / true_bpm
    on_grid = np.round(t * RATE) / RATE  # beats as a tracker reports them
    assert B.beats_tempo(on_grid) == pytest.approx(true_bpm, rel=0.005)
    single = 60 / float(np.median(np.diff(on_grid)))
    assert abs(single / true_bpm - 1) > 0.01  # what the single-interval median gave
    assert B.beats_tempo(np.array([1.0])) == 0.0
    assert B.beats_tempo(np.array([1.0, 1.5, 2.0])) == pytest.approx(120.0)


def test_legato_music_takes_its_beat_from_the_harmonic_changes() -> None:
    """No periodic onsets (a held organ chord: flat envelope), harmony changing at 80/min."""
    flat = np.ones(int(40 * RATE), dtype=np.float32)
    t = B.estimate_tempo(flat, sr=SR, hop_length=HOP)
    cands = B.tempo_candidates(t.bpms, t.mean_tempogram, RATE)
    assert cands.shape[0] == 1  # no tempogram peak: only the strongest row in range
    chorale = B.estimate_tempo(flat, sr=SR, hop_length=HOP, harmonic_env=_pulses(60 / 80))
    assert chorale.bpm == pytest.approx(80, rel=0.03)
