"""Objective musical metrics against hand-computed values, MusPy, and the OA/KL properties."""

from __future__ import annotations

import math

import numpy as np
import pytest

from muselab.core import Note, Score, TimeSignature, Track
from muselab.errors import InvalidInputError
from muselab.evaluate import musical_metrics as mm
from muselab.evaluate.musical_metrics import (
    FEATURES,
    compare_sets,
    compute_features,
    feature_matrix,
    inter_set_distances,
    intra_set_distances,
    kde,
    kl_divergence,
    overlap_area,
)

Q = 480  # ticks per quarter


def _tiny() -> Score:
    """C4 quarter, E4 8th, G4 8th, a quarter rest, C5 half (4/4): ends on beat 5."""
    notes = [
        Note(60, 0, Q),
        Note(64, Q, Q // 2),
        Note(67, 3 * Q // 2, Q // 2),
        Note(72, 3 * Q, 2 * Q),
    ]
    return Score(tracks=[Track("Melody", notes=notes)], time_signatures=[TimeSignature(0, 4, 4)])


def test_hand_computed_values() -> None:
    s = _tiny()
    f = compute_features(s)
    assert f["pitch_count"][0] == 4
    assert f["note_count"][0] == 4
    pch = np.zeros(12)
    pch[[0, 4, 7]] = [0.5, 0.25, 0.25]
    np.testing.assert_allclose(f["pitch_class_histogram"], pch)
    pctm = np.zeros((12, 12))
    pctm[0, 4] = pctm[4, 7] = pctm[7, 0] = 1 / 3
    np.testing.assert_allclose(f["pitch_class_transition_matrix"], pctm.ravel())
    assert f["pitch_range"][0] == 12
    assert f["avg_pitch_interval"][0] == pytest.approx((4 + 3 + 5) / 3)
    nlh = np.zeros(12)
    nlh[[1, 2, 3]] = [0.25, 0.25, 0.5]  # half, quarter, two 8ths
    np.testing.assert_allclose(f["note_length_histogram"], nlh)
    assert f["pitch_class_entropy"][0] == pytest.approx(1.5)
    assert f["scale_consistency"][0] == 1.0
    assert f["empty_beat_rate"][0] == pytest.approx(1 / 5)  # beat 3 of 5 is silent
    # Bar 1 onsets at steps 0, 12, 18, 36 of 48; bar 2 has none: Hamming 4.
    assert f["groove_consistency"][0] == pytest.approx(1 - 4 / 48)


def test_triplets_dotted_and_out_of_scale() -> None:
    notes = [Note(60, 0, 160), Note(61, 160, 160), Note(62, 320, 720), Note(66, 1040, 1920 * 2)]
    s = Score(tracks=[Track("Melody", notes=notes)])
    h = mm.note_length_histogram(s)
    names = [n for n, _ in mm.NOTE_LENGTH_CLASSES]
    assert h[names.index("8th triplet")] == 0.5
    assert h[names.index("dotted quarter")] == 0.25
    assert h[names.index("whole")] == 0.25  # longer than a whole note
    # 60, 61, 62, 66: the best scale holds three of the four (e.g. D major has C#, D, F#).
    assert mm.scale_consistency(s) == 0.75


def test_melody_part_ignores_accompaniment() -> None:
    s = _tiny()
    s.tracks.append(Track("Bass", 32, notes=[Note(36, 0, 4 * Q), Note(31, 4 * Q, Q)]))
    assert mm.pitch_range(s) == 12
    assert mm.pitch_range(s, part="all") == 72 - 31
    assert mm.note_count(s, part="all") == 6


def test_undefined_features_are_nan() -> None:
    empty = Score(tracks=[Track("Melody")])
    one = Score(tracks=[Track("Melody", notes=[Note(60, 0, Q)])])
    assert math.isnan(mm.pitch_range(empty))
    assert math.isnan(mm.avg_pitch_interval(one))
    assert math.isnan(mm.groove_consistency(one))
    assert not mm.pitch_class_transition_matrix(one).any()
    with pytest.raises(InvalidInputError, match="part must be"):
        mm.pitch_range(one, part="bass")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="unknown feature"):
        compute_features(one, features=["loudness"])
    with pytest.raises(InvalidInputError, match="Score"):
        mm.pitch_count("not a score")  # type: ignore[arg-type]


def _random_melody(rng: np.random.Generator, bars: int = 6) -> Score:
    """Notes on a 12-per-beat grid in 3/4, some rests; the end is never on a barline."""
    tpb, step = 480, 40
    t, notes = 0, []
    while t < bars * 3 * tpb - 2 * tpb:
        dur = int(rng.choice([3, 6, 12, 18, 24])) * step
        if rng.random() < 0.15:
            t += 12 * step
            continue
        notes.append(Note(int(rng.integers(55, 80)), t, dur))
        t += dur
    notes.append(Note(62, t, tpb // 2))
    return Score(tracks=[Track("Melody", notes=notes)], time_signatures=[TimeSignature(0, 3, 4)])


def test_agrees_with_muspy() -> None:
    muspy = pytest.importorskip("muspy")
    rng = np.random.default_rng(7)
    for _ in range(20):
        s = _random_melody(rng)
        res = 12
        m = muspy.Music(
            resolution=res,
            tracks=[
                muspy.Track(
                    notes=[
                        muspy.Note(n.onset * res // 480, n.pitch, n.duration * res // 480, 80)
                        for n in s.tracks[0].notes
                    ]
                )
            ],
        )
        assert mm.pitch_count(s) == muspy.n_pitches_used(m)
        assert mm.pitch_range(s) == muspy.pitch_range(m)
        assert mm.pitch_class_entropy(s) == pytest.approx(muspy.pitch_class_entropy(m))
        assert mm.scale_consistency(s) == pytest.approx(muspy.scale_consistency(m))
        assert mm.groove_consistency(s, resolution=res) == pytest.approx(
            muspy.groove_consistency(m, 3 * res)
        )


def test_kde_matches_scipy() -> None:
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(0)
    grid = np.linspace(-4, 12, 60)
    for s in (rng.normal(0, 1, 300), rng.integers(0, 10, 30_000).astype(float)):
        np.testing.assert_allclose(kde(s, grid), stats.gaussian_kde(s)(grid), atol=1e-5)


def test_oa_and_kl_limits() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 3000), rng.normal(0, 1, 3000)
    assert overlap_area(a, b) > 0.95
    assert kl_divergence(a, b) < 0.01
    far = rng.normal(30, 1, 3000)
    assert overlap_area(a, far) < 1e-3
    assert kl_divergence(a, far) > 5
    # Two normals one standard deviation apart overlap by 2*Phi(-1/2) = 0.617.
    assert overlap_area(rng.normal(0, 1, 20_000), rng.normal(1, 1, 20_000)) == pytest.approx(
        0.617, abs=0.02
    )
    assert overlap_area(np.full(10, 2.0), np.full(10, 2.0)) == 1.0
    assert overlap_area(np.full(10, 2.0), np.full(10, 3.0)) < 0.01


def test_distances() -> None:
    x = np.array([[0.0, 0.0], [3.0, 4.0], [np.nan, 1.0]])
    np.testing.assert_allclose(np.sort(intra_set_distances(x)), [5.0, 5.0])
    np.testing.assert_allclose(inter_set_distances(x, np.array([[0.0, 1.0]])), [1.0, np.sqrt(18)])


def test_compare_identical_and_disjoint_sets() -> None:
    rng = np.random.default_rng(3)
    real = [_random_melody(rng) for _ in range(40)]
    same = compare_sets(real, real)
    assert set(same.features) == set(FEATURES)
    assert same.mean_oa > 0.9
    assert same.mean_oa_ref > 0.9
    # Disjoint: feature matrices moved far away from the reference.
    fr = feature_matrix(real)
    moved = {f: v + 100.0 for f, v in fr.items()}
    far = compare_sets(moved, fr)
    assert far.mean_oa < 0.05
    assert far.mean_kl > 1.0
    # Musically different: a chromatic 16th-note run through four octaves.
    noise = [
        Score(
            tracks=[
                Track(
                    "Melody", notes=[Note(40 + (i * 7 + k) % 48, i * 120, 120) for i in range(90)]
                )
            ]
        )
        for k in range(40)
    ]
    diff = compare_sets(noise, real)
    assert diff.features["note_length_histogram"].oa < 0.05
    assert diff.features["pitch_range"].oa < 0.05
    assert diff.mean_oa < same.mean_oa - 0.3


def test_compare_sets_needs_two_defined_pieces() -> None:
    one = Score(tracks=[Track("Melody", notes=[Note(60, 0, Q)])])
    with pytest.raises(InvalidInputError, match="at least two"):
        compare_sets([one, one], [_tiny(), _tiny()], features=["avg_pitch_interval"])
