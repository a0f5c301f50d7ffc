"""JSB Chorales benchmark: negative log-likelihood per frame (nats) on the test split.

Each frame (the set of sounding pitches 21..108) gets a proper probability given all
earlier frames; lower is better.  Scores the shipped chorale model
(``src/muselab/checkpoints/bach-chorale``), a Markov model over whole frames fitted here,
any further checkpoints named with ``--checkpoints`` (e.g. the GRU/LSTM baselines trained
with ``muselab train configs/jsb-gru.toml``), and optionally a transposition mixture of
the shipped model; then times the generation of 16-bar chorales on one thread.  Prints a
Markdown report; the LAST line is ``jsb_test_nll=<float>`` for the shipped model.

    .venv/bin/python benchmarks/jsb_nll.py [--checkpoints runs/jsb-gru,runs/jsb-lstm]
        [--mixture -2,-1,0,1,2 | 0] [--speed-repeats 5]

The shipped model's figure is the transposition mixture recorded in its checkpoint (the
shift set was chosen on ``valid``); the single-pass figure of the same network is printed
too.  The transposition mixture is a proper likelihood: for a shift ``s``, the component
``q_s(x_t | x_<t) = p(x_t + s | x_<t + s)`` is the model's distribution over frames moved
back by ``s`` - every untransposed frame gets at most the probability of its transposed
twin, and the twins of distinct frames are distinct, so ``q_s`` sums to at most one (less
only by the mass the model puts on frames that would leave 21..108 when moved back).  The
average of such distributions with fixed weights ``1/K``, taken anew at every frame, is
again a (sub-)normalised conditional distribution, so its NLL is an honest upper bound.
Only the chorale's own past is used; the shifts are fixed in advance (all test chorales
stay inside 21..108 under them, which the script checks).
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import sys
import time
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import torch

from _machine import cpu_model
from muselab.corpora import load_jsb_frames
from muselab.generate.base import ComposeOptions
from muselab.generate.chorale import CHECKPOINT, ChoraleGenerator
from muselab.nn.checkpoint import load_model
from muselab.nn.chorale_train import frame_nll, mixture_frame_log_probs

Frames = list[list[int]]
PUBLISHED = [
    ("LSTM (Chung et al. 2014)", 8.67),
    ("GRU (Chung et al. 2014)", 8.54),
    ("RNN-NADE (Boulanger-Lewandowski et al. 2012)", 5.56),
    (
        "plain 3-layer GRU-256 over pitch tokens, 25 CPU min (measured on this machine, issue 5)",
        4.84,
    ),
]


# -- Markov model over whole frames ----------------------------------------------------------
class FrameMarkov:
    """Interpolated frame bigram / frame unigram / independent-pitch model (all proper).

    ``p(x | prev) = a * C(prev, x) / C(prev) + b * C(x) / N + (1 - a - b) * prod_k Bern(x_k)``
    where the bigram term is dropped (and the rest renormalised) for an unseen ``prev``.
    Every component is a distribution over all 2**88 frames, so the mixture is one too.
    """

    def __init__(self, train: list[Frames]) -> None:
        counts = np.zeros(88)
        self.n = 0
        self.uni: Counter[tuple[int, ...]] = Counter()
        self.big: dict[tuple[int, ...] | None, Counter[tuple[int, ...]]] = defaultdict(Counter)
        for ch in train:
            prev: tuple[int, ...] | None = None
            for f in ch:
                key = tuple(f)
                counts[[p - 21 for p in f]] += 1
                self.n += 1
                self.uni[key] += 1
                self.big[prev][key] += 1
                prev = key
        self.pk = (counts + 0.5) / (self.n + 1.0)
        self.log_empty = float(np.log1p(-self.pk).sum())
        self.a, self.b = 0.5, 0.3

    def bernoulli(self, f: list[int]) -> float:
        pk = self.pk[[p - 21 for p in f]]
        return math.exp(self.log_empty + float(np.sum(np.log(pk) - np.log1p(-pk))))

    def nll(self, chorales: list[Frames]) -> float:
        total, frames = 0.0, 0
        for ch in chorales:
            prev: tuple[int, ...] | None = None
            for f in ch:
                key = tuple(f)
                rest = self.b * self.uni[key] / self.n + (1 - self.a - self.b) * self.bernoulli(f)
                seen = self.big.get(prev)
                bigram = self.a * seen[key] / sum(seen.values()) if seen else 0.0
                p = bigram + rest if seen else rest / (1 - self.a)
                total -= math.log(p)
                frames += 1
                prev = key
        return total / frames

    def tune(self, valid: list[Frames]) -> None:
        grid = [(a, b) for a in np.arange(0.3, 0.9, 0.05) for b in np.arange(0.05, 0.5, 0.05)]
        best = (math.inf, 0.5, 0.3)
        for a, b in grid:
            if a + b < 0.99:
                self.a, self.b = float(a), float(b)
                best = min(best, (self.nll(valid), self.a, self.b))
        _, self.a, self.b = best


# -- neural models ---------------------------------------------------------------------------
def mixture_nll(model: Any, chorales: list[Frames], shifts: list[int]) -> float:
    """NLL per frame of the per-frame uniform mixture over transposed conditionings."""
    total = sum(-float(mixture_frame_log_probs(model, ch, shifts).sum()) for ch in chorales)
    return total / sum(len(ch) for ch in chorales)


def describe(doc: dict[str, Any]) -> str:
    m = doc["model"]
    keys = ("d_model", "hidden", "n_layers", "n_heads", "cell", "token_layers", "features")
    return f"{m['type']} (" + ", ".join(f"{k}={m[k]}" for k in keys if k in m) + ")"


def train_minutes(doc: dict[str, Any]) -> str:
    res = doc.get("extra", {}).get("results", {})
    if "train_cpu_seconds" not in res:
        return "?"
    return f"{res['train_cpu_seconds'] / 60:.0f}"


def speed(gen: ChoraleGenerator, repeats: int) -> tuple[list[float], list[float]]:
    cpu, wall = [], []
    for i in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        gen.generate(ComposeOptions(bars=16, seed=100 + i, key="G major"))
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return cpu, wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoints", default="", help="comma-separated extra checkpoint folders")
    ap.add_argument(
        "--mixture",
        default="",
        help="comma-separated shifts (default: those recorded in the checkpoint; '0' = none)",
    )
    ap.add_argument(
        "--mixture-all",
        action="store_true",
        help="also score the --checkpoints as transposition mixtures -6..6",
    )
    ap.add_argument("--speed-repeats", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    data = load_jsb_frames()
    print("# JSB Chorales: negative log-likelihood per frame (nats)\n")
    print(f"Machine: {cpu_model()}, 2 cores shared with other jobs, torch on 1 thread; ")
    print(f"Python {platform.python_version()}, torch {torch.__version__}; {date.today()}")
    print(f"Command: `{' '.join(['python benchmarks/jsb_nll.py', *sys.argv[1:]])}`\n")
    counts = "/".join(str(len(data[s])) for s in ("train", "valid", "test"))
    frames = "/".join(str(sum(len(c) for c in data[s])) for s in ("train", "valid", "test"))
    print(f"Data: jsb-chorales-quarter.json, chorales train/valid/test {counts}, frames {frames}.")
    print("Training on `train`, model selection on `valid`, figures on untransposed data.\n")
    print("| model | params | train CPU min | valid | test |")
    print("|---|---:|---:|---:|---:|")
    markov = FrameMarkov(data["train"])
    markov.a, markov.b = 0.0, 0.0
    print(f"| independent pitches (Bernoulli per key) | 88 | 0 | {markov.nll(data['valid']):.3f} "
          f"| {markov.nll(data['test']):.3f} |")  # fmt: skip
    markov.tune(data["valid"])
    mv, mt = markov.nll(data["valid"]), markov.nll(data["test"])
    print(f"| Markov over frames (bigram+unigram+Bernoulli, a={markov.a:.2f}, b={markov.b:.2f}) "
          f"| - | 0 | {mv:.3f} | {mt:.3f} |")  # fmt: skip
    for path in [p for p in args.checkpoints.split(",") if p]:
        if not Path(path).is_dir():
            print(f"| {path}: not found (train it first) | | | | |")
            continue
        model, doc = load_model(path)
        n = sum(p.numel() for p in model.parameters())
        v, t = frame_nll(model, data["valid"]), frame_nll(model, data["test"])
        print(f"| {describe(doc)} [{path}] | {n / 1e6:.2f}M | {train_minutes(doc)} "
              f"| {v:.3f} | {t:.3f} |")  # fmt: skip
        if args.mixture_all:
            sh = list(range(-6, 7))
            v, t = mixture_nll(model, data["valid"], sh), mixture_nll(model, data["test"], sh)
            print(f"| the same, per-frame mixture over transpositions -6..6 | | "
                  f"| {v:.3f} | {t:.3f} |")  # fmt: skip
    model, doc = load_model(CHECKPOINT)
    n = sum(p.numel() for p in model.parameters())
    single = frame_nll(model, data["test"])
    print(f"| shipped network, one pass: {describe(doc)} | {n / 1e6:.2f}M | {train_minutes(doc)} "
          f"| {frame_nll(model, data['valid']):.3f} | {single:.3f} |")  # fmt: skip
    recorded = doc.get("extra", {}).get("results", {}).get("mixture_shifts", [0])
    shifts = [int(s) for s in args.mixture.split(",")] if args.mixture else list(recorded)
    test = mixture_nll(model, data["test"], shifts) if shifts != [0] else single
    if shifts != [0]:
        print(f"| **shipped model: the same network, per-frame mixture over transposed "
              f"conditionings {shifts[0]}..{shifts[-1]}** | {n / 1e6:.2f}M | {train_minutes(doc)} "
              f"| {mixture_nll(model, data['valid'], shifts):.3f} | **{test:.3f}** |")  # fmt: skip
    print(
        "\nTrain CPU min: CPU time of the one-thread training process (`time.process_time`; "
        "wall time on the shared machine was up to twice that).  Reproduce the neural rows "
        "with `muselab train configs/jsb-chorale.toml` (shipped model), "
        "`muselab train configs/jsb-lstm.toml` and `muselab train configs/jsb-gru.toml` "
        "(plain baselines: token embedding in, one linear layer out, ascending-order mask "
        "only; random transposition -6..+6 like the shipped model)."
    )
    print("\nPublished / reference figures (test, nats per frame; not re-run here):\n")
    for name, value in PUBLISHED:
        print(f"- {name}: {value}")
    if args.speed_repeats:
        gen = ChoraleGenerator.default()
        gen.generate(ComposeOptions(bars=2, seed=0))  # warm-up
        cpu, wall = speed(gen, args.speed_repeats)
        print(f"\nSpeed: one 16-bar chorale (64 frames, 4 voices, G major cadence), "
              f"{args.speed_repeats} seeds, 1 thread: median {statistics.median(cpu):.2f} s CPU "
              f"(min {min(cpu):.2f}, max {max(cpu):.2f}); wall median "
              f"{statistics.median(wall):.2f} s on the shared machine.")  # fmt: skip
    print(f"\njsb_test_nll={test:.4f}")


if __name__ == "__main__":
    main()
