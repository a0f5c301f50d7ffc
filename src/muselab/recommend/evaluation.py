"""Evaluate recommenders the way papers do: split, fit on train, rank all items, score.

Protocol
--------
* ``"holdout"``: per-user random 80/20 hold-out (:func:`~muselab.recommend.splits.holdout_split`,
  seeded).
* ``"leave-last"``: per user, the latest interaction is the test item (needs timestamps).
* ``"kfold"``: per-user ``n_folds``-fold cross-validation; metrics are averaged over folds.

Every model ranks the full catalogue for every test user, with the user's training items
excluded; metrics are those of :mod:`muselab.recommend.metrics`.  Hyper-parameters are
tuned with :func:`tune` on a validation split carved out of the *training* part, never on
test.

>>> table = evaluate_models(inter, ["popularity", "itemknn", "ease"])  # doctest: +SKIP
>>> print(table.to_text())  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from muselab.errors import InvalidInputError
from muselab.recommend.base import BaseRecommender
from muselab.recommend.data import Interactions
from muselab.recommend.metrics import ranking_metrics
from muselab.recommend.registry import create_recommender
from muselab.recommend.splits import holdout_split, kfold_splits, leave_last_out_split

__all__ = [
    "PROTOCOLS",
    "MetricTable",
    "evaluate",
    "evaluate_models",
    "make_splits",
    "tune",
    "validation_split",
]

PROTOCOLS = ("holdout", "leave-last", "kfold")


@dataclass
class MetricTable:
    """Metric rows (one per model) with stable column order and text renderings.

    Attributes
    ----------
    rows : list of dict
        ``{"model": name, "ndcg@10": ..., ..., "fit_s": ...}`` per model.
    protocol : str
        How the data was split (for the caption).
    """

    rows: list[dict[str, Any]] = field(default_factory=list)
    protocol: str = ""

    @property
    def columns(self) -> list[str]:
        """Column names in first-seen order."""
        cols: list[str] = []
        for r in self.rows:
            cols.extend(c for c in r if c not in cols)
        return cols

    def _cells(self) -> list[list[str]]:
        out = []
        for r in self.rows:
            line = []
            for c in self.columns:
                v = r.get(c, "")
                if isinstance(v, float):
                    line.append(f"{v:.4f}" if abs(v) < 100 else f"{v:.1f}")
                else:
                    line.append(str(v))
            out.append(line)
        return out

    def to_text(self) -> str:
        """A fixed-width table for a terminal."""
        cols = self.columns
        cells = self._cells()
        widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(cols)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))]
        lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """A GitHub-flavoured Markdown table."""
        cols = self.columns
        lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in self._cells()]
        return "\n".join(lines)

    def to_tsv(self) -> str:
        """Tab-separated values with a header row."""
        cols = self.columns
        return "\n".join(["\t".join(cols)] + ["\t".join(r) for r in self._cells()]) + "\n"

    def best(self, metric: str = "ndcg@10") -> dict[str, Any]:
        """The row with the highest ``metric``."""
        if not self.rows:
            raise InvalidInputError("the table is empty")
        return max(self.rows, key=lambda r: r.get(metric, float("-inf")))


def evaluate(
    model: BaseRecommender,
    train: Interactions,
    test: Interactions,
    *,
    ks: Sequence[int] = (10, 20),
    fit: bool = True,
) -> dict[str, float]:
    """Fit ``model`` on ``train`` (unless ``fit=False``) and score it on ``test``.

    Returns the metrics of :func:`~muselab.recommend.metrics.ranking_metrics` plus
    ``fit_s`` (seconds) and ``rank_ms`` (mean milliseconds per user for batch ranking).
    """
    ks = _check_ks(ks)
    if train.item_ids != test.item_ids or train.user_ids != test.user_ids:
        raise InvalidInputError("train and test must share user and item ids (use a split)")
    t0 = time.perf_counter()
    if fit:
        model.fit(train)
    fit_s = time.perf_counter() - t0
    users = np.flatnonzero(np.diff(test.matrix.indptr) > 0)
    t1 = time.perf_counter()
    recs, _ = model.recommend_indices(users, k=max(ks), exclude_seen=True)
    rank_ms = (time.perf_counter() - t1) * 1000 / max(len(users), 1)
    pop = train.item_counts() / max(train.n_users, 1)
    out = ranking_metrics(recs, test.matrix, ks, popularity=pop, users=users)
    out["fit_s"] = fit_s
    out["rank_ms"] = rank_ms
    return out


def _check_ks(ks: Sequence[int]) -> list[int]:
    out = sorted({int(k) for k in ks})
    if not out or out[0] < 1:
        raise InvalidInputError(f"cutoffs K must be positive integers, got {list(ks)!r}")
    return out


def validation_split(
    train: Interactions, *, fraction: float = 0.2, seed: int = 0
) -> tuple[Interactions, Interactions]:
    """A validation split carved out of ``train`` (per-user random, seed offset by 1000)."""
    return holdout_split(train, test_fraction=fraction, seed=seed + 1000)


def make_splits(
    interactions: Interactions,
    protocol: str = "holdout",
    *,
    test_fraction: float = 0.2,
    n_folds: int = 5,
    seed: int = 0,
) -> Iterator[tuple[Interactions, Interactions]]:
    """The (train, test) pairs of a protocol (one pair, or one per fold)."""
    if protocol == "holdout":
        yield holdout_split(interactions, test_fraction=test_fraction, seed=seed)
    elif protocol == "leave-last":
        yield leave_last_out_split(interactions)
    elif protocol == "kfold":
        yield from kfold_splits(interactions, n_folds=n_folds, seed=seed)
    else:
        raise InvalidInputError(
            f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}"
        )


def tune(
    model: str,
    train: Interactions,
    grid: Mapping[str, Sequence[Any]],
    *,
    base_params: Mapping[str, Any] | None = None,
    metric: str = "ndcg@10",
    fraction: float = 0.2,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Grid search on a validation split carved from ``train`` (never the test part).

    Parameters
    ----------
    model : str
        Registry name.
    train : Interactions
        The training part of the outer split.
    grid : mapping parameter -> candidate values
        Every combination is tried.
    base_params : mapping or None
        Fixed parameters.
    metric : str
        What to maximise, e.g. ``"ndcg@10"``.

    Returns
    -------
    best : dict
        ``base_params`` updated with the best combination.
    trials : list of dict
        Every combination with its validation metrics.
    """
    fit_part, val_part = validation_split(train, fraction=fraction, seed=seed)
    k = int(metric.split("@")[1]) if "@" in metric else 10
    keys = list(grid)
    trials: list[dict[str, Any]] = []
    best: dict[str, Any] = dict(base_params or {})
    best_score = float("-inf")
    for combo in itertools.product(*(grid[key] for key in keys)):
        params = {**(base_params or {}), **dict(zip(keys, combo, strict=True))}
        res = evaluate(create_recommender(model, params), fit_part, val_part, ks=(k,))
        trials.append({**params, **res})
        if progress is not None:
            progress(f"{model} {params}: {metric}={res[metric]:.4f}")
        if res[metric] > best_score:
            best_score, best = res[metric], params
    return best, trials


def evaluate_models(
    interactions: Interactions,
    models: Sequence[str | BaseRecommender],
    *,
    protocol: str = "holdout",
    ks: Sequence[int] = (10, 20),
    test_fraction: float = 0.2,
    n_folds: int = 5,
    seed: int = 0,
    params: Mapping[str, Mapping[str, Any] | Sequence[str]] | None = None,
    progress: bool = False,
) -> MetricTable:
    """The metric table of several models on one protocol.

    Parameters
    ----------
    interactions : Interactions
        All data; it is split here.
    models : sequence of str or BaseRecommender
        Registry names (created with ``params[name]``) or unfitted model objects
        (re-used for every fold).
    protocol : {"holdout", "leave-last", "kfold"}
    ks : sequence of int
        Cutoffs, e.g. ``(10, 20)``.
    test_fraction : float
        Hold-out share per user.
    n_folds : int
        Folds for ``"kfold"``.
    seed : int
    params : mapping model name -> parameters (dict or ``["k=v", ...]``)
    progress : bool
        Show a progress bar (rich).

    Returns
    -------
    MetricTable
        One row per model; for k-fold the mean over folds.
    """
    if not models:
        raise InvalidInputError("name at least one model to evaluate")
    ks = _check_ks(ks)
    params = params or {}
    for m in models:  # fail fast on unknown names / bad parameters
        if isinstance(m, str):
            create_recommender(m, params.get(m))
    splits = list(
        make_splits(interactions, protocol, test_fraction=test_fraction, n_folds=n_folds, seed=seed)
    )
    names = [m if isinstance(m, str) else m.name for m in models]
    sums: dict[str, dict[str, float]] = {n: {} for n in names}
    total = len(splits) * len(models)
    bar = _progress(total) if progress else None
    for train, test in splits:
        for name, m in zip(names, models, strict=True):
            model = create_recommender(m, params.get(m)) if isinstance(m, str) else m
            res = evaluate(model, train, test, ks=ks)
            for key, val in res.items():
                sums[name][key] = sums[name].get(key, 0.0) + val
            if bar is not None:
                bar.advance(name)
    if bar is not None:
        bar.close()
    rows = []
    for name in names:
        row: dict[str, Any] = {"model": name}
        row.update({key: val / len(splits) for key, val in sums[name].items()})
        row["users"] = round(row["users"])
        rows.append(row)
    caption = f"{protocol}" + (f" ({n_folds} folds)" if protocol == "kfold" else "")
    return MetricTable(rows, caption)


class _progress:
    """A small rich progress bar (one step per model and fold)."""

    def __init__(self, total: int) -> None:
        from rich.progress import Progress

        self._p = Progress(transient=True)
        self._p.start()
        self._task = self._p.add_task("evaluating", total=total)

    def advance(self, label: str) -> None:
        self._p.update(self._task, advance=1, description=f"evaluated {label}")

    def close(self) -> None:
        self._p.stop()
