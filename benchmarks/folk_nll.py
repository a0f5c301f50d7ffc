"""Held-out NLL and generation speed of the folk Transformer and LSTM (and the Markov baseline).

For every test tune of Nottingham, Essen and O'Neill (the README's sha1 split; never seen
in training or model selection) the script reports

* **nats per token** of the folk encoding (all tokens after ``BOS``: header, bars,
  chords, pitches, durations, ``EOS``), the models' own figure;
* **nats per melody event**, like for like with the Markov model's per-event NLL
  (``benchmarks/markov_nll.md``): the summed NLL of the melody tokens only (``Bar``,
  ``Rest``, ``Tie``, ``Pitch``, ``Dur``, ``EOS`` -- not the header and not the chord
  symbols, which the neural models get as context) divided by the number of Markov
  events of the same tune (notes and rests split at barlines);
* the speed of composing one 16-bar tune on one thread (median of ``--runs`` seeds),
  tokens only and with chords + accompaniment.

Usage::

    python benchmarks/folk_nll.py [--limit N] [--runs 20] [--out benchmarks/folk_nll.md]
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import torch

from muselab.corpora import load_corpus
from muselab.generate import ComposeOptions
from muselab.generate.markov import MarkovGenerator
from muselab.generate.neural import NeuralFolkGenerator, default_generator
from muselab.tokens.folk import FolkTokenizer, style_of

CORPORA = ("nottingham", "essen", "oneill")


def _melody_mask(tok: FolkTokenizer, ids: list[int]) -> torch.Tensor:
    """True for target tokens that carry the melody (scored like the Markov events)."""
    names = tok.decode_names(ids[1:])
    keep = ("Bar", "Rest", "Tie", "EOS")
    return torch.tensor([n in keep or n.startswith(("Pitch_", "Dur_")) for n in names])


def evaluate(
    gens: dict[str, NeuralFolkGenerator], markov: MarkovGenerator, limit: int | None
) -> dict[str, dict[str, dict[str, float]]]:
    tok = FolkTokenizer()
    out: dict[str, dict[str, dict[str, float]]] = {}
    for corpus in CORPORA:
        items = load_corpus(corpus, split="test", progress=False, limit=limit)
        acc = {name: {"tok_nll": 0.0, "tokens": 0, "mel_nll": 0.0} for name in gens}
        events = 0
        m_total = 0.0
        n_tunes = 0
        for it in items:
            tune = tok.encode(
                it.score,
                source=corpus,
                style=style_of(corpus, it.id, it.score.title),
                estimate=corpus == "essen",
            )
            if tune.n_notes < 4:
                continue
            m_ll, m_n = markov.log_likelihood(it.score)
            if m_n == 0:
                continue
            n_tunes += 1
            events += m_n
            m_total -= m_ll
            mask = _melody_mask(tok, tune.ids)
            for name, g in gens.items():
                lp = g.token_log_probs(tune.ids)
                acc[name]["tok_nll"] -= float(lp.sum())
                acc[name]["tokens"] += len(lp)
                acc[name]["mel_nll"] -= float(lp[mask].sum())
        res: dict[str, dict[str, float]] = {}
        for name, a in acc.items():
            res[name] = {
                "per_token": a["tok_nll"] / a["tokens"],
                "per_event": a["mel_nll"] / events,
                "tokens": a["tokens"],
            }
        res["markov"] = {"per_token": math.nan, "per_event": m_total / events, "tokens": 0}
        res["_meta"] = {"tunes": n_tunes, "events": events}
        out[corpus] = res
        print(f"{corpus}: {n_tunes} tunes, {events} events", file=sys.stderr)
    return out


def speed(gens: dict[str, object], runs: int) -> dict[str, dict[str, float]]:
    """Median wall and CPU seconds per 16-bar tune (melody only, and the full score)."""
    out = {}
    for name, g in gens.items():
        mel, mel_cpu, full, full_cpu = [], [], [], []
        for seed in range(runs):
            opts = ComposeOptions(bars=16, seed=seed)
            t, c = time.perf_counter(), time.process_time()
            if isinstance(g, NeuralFolkGenerator):
                g.generate_tokens(opts)
            elif isinstance(g, MarkovGenerator):
                g.generate_melody(opts)
            mel.append(time.perf_counter() - t)
            mel_cpu.append(time.process_time() - c)
            t, c = time.perf_counter(), time.process_time()
            g.generate(opts)  # type: ignore[attr-defined]
            full.append(time.perf_counter() - t)
            full_cpu.append(time.process_time() - c)
        out[name] = {
            "melody": statistics.median(mel),
            "melody_cpu": statistics.median(mel_cpu),
            "full": statistics.median(full),
            "full_cpu": statistics.median(full_cpu),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=None, help="test tunes per corpus (all)")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--out", default="benchmarks/folk_nll.md")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    gens = {k: default_generator(k) for k in ("transformer", "lstm")}
    markov = MarkovGenerator.default()
    with torch.no_grad():
        nll = evaluate(gens, markov, args.limit)
    sp = speed({**gens, "markov": markov}, args.runs)
    limit = f" --limit {args.limit}" if args.limit else ""
    lines = [
        "# Folk language models: held-out NLL and generation speed",
        "",
        f"Machine: 2-core CPU (shared with other jobs), 1 torch thread; Python "
        f"{platform.python_version()}, torch {torch.__version__}; {date.today().isoformat()}",
        f"Command: `python benchmarks/folk_nll.py{limit} --runs {args.runs}`",
        "",
        "Test splits (sha1 rule of the data README), never used for training or selection.",
        "Lower is better. *per token*: nats per folk token (the models' own loss).",
        "*per event*: nats per Markov melody event, summing only the melody tokens (Bar, "
        "Rest, Tie, Pitch, Dur, EOS) of the neural models -- like for like with "
        "`benchmarks/markov_nll.md`.",
        "",
        "| corpus | tunes | events | Transformer / token | LSTM / token "
        "| Transformer / event | LSTM / event | Markov / event |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c, r in nll.items():
        lines.append(
            f"| {c} | {int(r['_meta']['tunes'])} | {int(r['_meta']['events'])} "
            f"| {r['transformer']['per_token']:.3f} | {r['lstm']['per_token']:.3f} "
            f"| {r['transformer']['per_event']:.3f} | {r['lstm']['per_event']:.3f} "
            f"| {r['markov']['per_event']:.3f} |"
        )
    lines += [
        "",
        f"## Speed: one 16-bar tune on one thread (median of {args.runs} seeds, seconds)",
        "",
        "*Melody only*: the neural models' token sampling / the Markov melody; *full score*: "
        "`generate()` with chord symbols (Markov: harmonised) and the Bass/Chords accompaniment.",
        "",
        "Wall time is inflated by other jobs sharing the two cores; CPU time (the process's "
        "`time.process_time`) is what one idle core would take.",
        "",
        "| generator | melody only, wall | melody only, CPU | full score, wall | full score, CPU |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, s in sp.items():
        lines.append(
            f"| {name} | {s['melody']:.3f} | {s['melody_cpu']:.3f} | {s['full']:.3f} "
            f"| {s['full_cpu']:.3f} |"
        )
    text = "\n".join(lines) + "\n"
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
