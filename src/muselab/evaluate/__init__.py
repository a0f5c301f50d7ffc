"""Evaluation of generated music against real music.

:mod:`muselab.evaluate.musical_metrics` holds the objective musical metrics of Yang &
Lerch (2018) and MusPy (pitch-class histogram, transition matrix, pitch range, ...) and
the overlapping-area / KL-divergence comparison of a generated set with a reference set.

>>> from muselab.evaluate import compare_sets
>>> report = compare_sets(generated_scores, real_scores)  # doctest: +SKIP
>>> report.mean_oa  # doctest: +SKIP
0.87
"""

from __future__ import annotations

from muselab.evaluate.musical_metrics import (
    FEATURES,
    FeatureComparison,
    SetComparison,
    compare_sets,
    compute_features,
    feature_matrix,
    inter_set_distances,
    intra_set_distances,
    kl_divergence,
    overlap_area,
)

__all__ = [
    "FEATURES",
    "FeatureComparison",
    "SetComparison",
    "compare_sets",
    "compute_features",
    "feature_matrix",
    "inter_set_distances",
    "intra_set_distances",
    "kl_divergence",
    "overlap_area",
]
