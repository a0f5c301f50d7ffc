"""Held-out negative log-likelihood of the Markov melody model, by order and smoothing.

Trains on the train splits of the named corpora (the sha1 split rule of the data README),
reports per-event NLL in nats on the valid and test split of each corpus, with a unigram
and a position-only baseline, and times generation with the shipped checkpoint.  Prints
a Markdown report (machine, date, command, tables).

    .venv/bin/python benchmarks/markov_nll.py [--corpora nottingham,oneill] [--orders 1-6]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from _machine import cpu_model
from muselab.core import Score
from muselab.generate.base import ComposeOptions
from muselab.generate.markov import MarkovGenerator, evaluate_nll


def load(corpus: str, split: str) -> list[Score]:
    from muselab.corpora import load_corpus

    return [it.score for it in load_corpus(corpus, split=split, progress=False)]


def orders(text: str) -> list[int]:
    lo, _, hi = text.partition("-")
    return list(range(int(lo), int(hi or lo) + 1))


def report(data: dict[tuple[str, str], list[Score]], names: list[str], args: argparse.Namespace,
           load_s: float, source: str) -> None:  # fmt: skip
    """Print the Markdown report for ``data[(corpus, split)]``."""
    train = [x for c in names for x in data[(c, "train")]]
    print("# Markov melody model: held-out NLL (nats per event)\n")
    print(f"Machine: {cpu_model()}, 2 cores; Python {platform.python_version()}; {date.today()}")
    print(f"Command: `{' '.join(['python benchmarks/markov_nll.py', *sys.argv[1:]])}`")
    counts = ", ".join(
        f"{c} {len(data[(c, 'train')])}/{len(data[(c, 'valid')])}/{len(data[(c, 'test')])}"
        for c in names
    )
    print(f"\nData: {source}. Tunes (train/valid/test): {counts}; loading took {load_s:.0f} s.")
    print("Training set: the union of the train splits. Lower is better.\n")

    cols = [(c, s) for c in names for s in ("valid", "test")]
    head = " | ".join(f"{c} {s}" for c, s in cols)
    print(f"| model | smoothing | contexts | fit s | {head} |")
    print("|---|---|---:|---:|" + "---:|" * len(cols))
    configs: list[tuple[str, dict[str, Any]]] = [
        ("unigram", {"order": 0, "unigram": True}),
        ("position only (order 0)", {"order": 0}),
    ]
    for sm in args.smoothings.split(","):
        configs += [(f"order {n}", {"order": n, "smoothing": sm}) for n in orders(args.orders)]
    configs += [(f"order {n} + mode pooling", {"order": n, "pool_modes": True})
                for n in (3, 5)]  # fmt: skip
    best: tuple[float, str] = (float("inf"), "")
    for label, kw in configs:
        t1 = time.perf_counter()
        gen = MarkovGenerator(**kw).fit(train, corpora=names)
        fit_s = time.perf_counter() - t1
        nll = {cs: evaluate_nll(gen, data[cs])[0] for cs in cols}
        n_ctx = sum(len(t.keys) for t in gen.tables or [])
        cells = " | ".join(f"{nll[cs]:.3f}" for cs in cols)
        print(f"| {label} | {gen.smoothing} | {n_ctx} | {fit_s:.1f} | {cells} |", flush=True)
        valid = sum(nll[(c, "valid")] for c in names) / len(names)
        if valid < best[0]:
            best = (valid, f"{label}, {gen.smoothing}")
    print(f"\nBest on valid (mean over corpora): {best[1]} ({best[0]:.3f} nats/event).")

    folder = Path(__file__).resolve().parents[1] / "src/muselab/checkpoints/markov-folk"
    t2 = time.perf_counter()
    gen = MarkovGenerator.load(folder)
    load_ckpt = time.perf_counter() - t2
    t3 = time.perf_counter()
    for seed in range(args.speed_runs):
        gen.generate_melody(ComposeOptions(bars=16, seed=seed))
    per = (time.perf_counter() - t3) / args.speed_runs
    size = sum(f.stat().st_size for f in folder.iterdir()) / 1e6
    print(f"\nShipped checkpoint (order {gen.order}, {size:.1f} MB on disk): load "
          f"{load_ckpt * 1000:.0f} ms; 16-bar melody {per * 1000:.1f} ms per tune "
          f"(mean of {args.speed_runs}).")  # fmt: skip


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpora", default="nottingham,oneill")
    ap.add_argument("--orders", default="1-6")
    ap.add_argument("--smoothings", default="kneser-ney,witten-bell,absolute")
    ap.add_argument("--speed-runs", type=int, default=20)
    return ap


def main() -> None:
    args = parser().parse_args()
    names = [c for c in args.corpora.split(",") if c]
    t0 = time.perf_counter()
    data = {(c, s): load(c, s) for c in names for s in ("train", "valid", "test")}
    report(data, names, args, time.perf_counter() - t0, "muselab.corpora.load_corpus")


if __name__ == "__main__":
    main()
