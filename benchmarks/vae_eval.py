"""Evaluate the folk melody VAE on held-out 2-bar melodies: reconstruction, latent use,
interpolation smoothness and attribute vectors.

* **Reconstruction accuracy** (per 16th-note step, ``PAD`` steps excluded) of test-split
  windows from Nottingham, O'Neill and Essen, with the posterior mean as the code:
  teacher-forced (each step predicted from the true previous steps, MusicVAE's "teacher
  forcing" column) and free-running greedy decoding (MusicVAE's "sampling" column); plus
  the share of windows reconstructed exactly.
* **Latent use**: mean KL(q(z|x) || N(0, I)) per melody in nats, and the number of
  *active units* (latent dimensions whose posterior mean varies across melodies with
  variance > 0.01; Burda et al. 2016) -- a collapsed posterior has none.
* **Interpolation smoothness** between random pairs of test melodies (same meter), 9
  points including both ends, against MusicVAE's data-space baseline (each step's event
  taken from the second melody with probability t).  For note count and mean pitch we
  report the path's total variation divided by the change between the endpoints (1 =
  monotone, higher = wigglier), the mean change between consecutive points, and the
  share of notes inside the endpoints' scale (C major / C minor after key normalisation)
  along the path (realism of the in-between melodies).
* **Attribute vectors**: adding +1 / -1 times each vector to test melodies and measuring
  the attribute (notes per window, mean pitch, share of minor-third scale degrees).

    .venv/bin/python benchmarks/vae_eval.py [--checkpoint DIR] [--windows 2000] [--pairs 200]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import torch

from _machine import cpu_model
from muselab.generate.vae import slerp
from muselab.nn.checkpoint import load_model
from muselab.nn.vae import ATTRIBUTES, MusicVAE, corpus_windows, mean_pitch, note_density
from muselab.tokens.bars import PAD

CORPORA = ["nottingham", "oneill", "essen"]


@torch.no_grad()
def reconstruction(model: MusicVAE, tok: torch.Tensor, met: torch.Tensor) -> dict[str, float]:
    keep = tok != PAD
    tf_hits, fr_hits, exact, kls, mus = 0, 0, 0, [], []
    for i in range(0, len(tok), 256):
        x, m, k = tok[i : i + 256], met[i : i + 256], keep[i : i + 256]
        mu, sigma = model.encode(x, m)
        logits = model.decode_teacher(mu, x, m)
        tf_hits += int(((logits.argmax(-1) == x) & k).sum())
        rec = model.decode(mu, m, greedy=True)
        fr_hits += int(((rec == x) & k).sum())
        exact += int(((rec == x) | ~k).all(-1).sum())
        kls.append(0.5 * (mu**2 + sigma**2 - 1 - 2 * torch.log(sigma)).sum(-1))
        mus.append(mu)
    n = int(keep.sum())
    mu_all = torch.cat(mus)
    return {
        "teacher_forced_accuracy": tf_hits / n,
        "greedy_accuracy": fr_hits / n,
        "exact_windows": exact / len(tok),
        "kl_nats": float(torch.cat(kls).mean()),
        "active_units": int((mu_all.var(0) > 0.01).sum()),
        "latent": int(mu_all.shape[1]),
    }


def in_scale_share(tokens: torch.Tensor, minor: bool) -> float:
    scale = {0, 2, 3, 5, 7, 8, 10} if minor else {0, 2, 4, 5, 7, 9, 11}
    on = tokens[(tokens >= 2) & (tokens < PAD)]
    if len(on) == 0:
        return float("nan")
    pcs = ((on - 2 + 21) % 12).tolist()
    return float(np.mean([p in scale for p in pcs]))


def path_stats(paths: list[torch.Tensor], minors: list[bool]) -> dict[str, float]:
    """Smoothness of decoded paths [steps, T] (see the module docstring)."""
    out: dict[str, list[float]] = {"tv_density": [], "tv_pitch": [], "step_density": []}
    out |= {"step_pitch": [], "in_scale": [], "step_hamming": []}
    for p, minor in zip(paths, minors, strict=True):
        dens = note_density(p).numpy()
        pitch = mean_pitch(p).numpy()
        for name, f in (("density", dens), ("pitch", pitch)):
            span = abs(f[-1] - f[0])
            tv = float(np.abs(np.diff(f)).sum())
            if span >= 1.0:
                out[f"tv_{name}"].append(tv / span)
            out[f"step_{name}"].append(float(np.abs(np.diff(f)).mean()))
        out["in_scale"].append(np.nanmean([in_scale_share(x, minor) for x in p[1:-1]]))
        keep = p[0] != PAD
        out["step_hamming"].append(float((p[1:] != p[:-1])[:, keep].float().mean()))
    return {k: float(np.nanmean(v)) for k, v in out.items()}


@torch.no_grad()
def interpolation(
    model: MusicVAE, tok: torch.Tensor, met: torch.Tensor, minor: torch.Tensor, pairs: int
) -> tuple[dict[str, float], dict[str, float]]:
    g = torch.Generator().manual_seed(0)
    steps = 9
    vae_paths, data_paths, minors = [], [], []
    for _ in range(pairs):
        i = int(torch.randint(0, len(tok), (1,), generator=g))
        same = torch.nonzero((met == met[i]) & (minor == minor[i]))[:, 0]
        j = int(same[torch.randint(0, len(same), (1,), generator=g)])
        m = met[i : i + 1].repeat(steps)
        mu, _ = model.encode(torch.stack([tok[i], tok[j]]), met[[i, j]])
        z = torch.stack([slerp(mu[0], mu[1], t / (steps - 1)) for t in range(steps)])
        vae_paths.append(model.decode(z, m, greedy=True))
        rows = []
        for t in range(steps):
            pick = torch.rand(tok.shape[1], generator=g) < t / (steps - 1)
            row = torch.where(pick, tok[j], tok[i])
            if row[0] == 0:
                row[0] = tok[i][0] if not pick[0] else tok[j][0]
            rows.append(row)
        data_paths.append(torch.stack(rows))
        minors.append(bool(minor[i]))
    return path_stats(vae_paths, minors), path_stats(data_paths, minors)


@torch.no_grad()
def attributes(model: MusicVAE, tok: torch.Tensor, met: torch.Tensor) -> dict[str, list[float]]:
    def measure(name: str, x: torch.Tensor) -> float:
        if name == "more_notes":
            return float(note_density(x).mean())
        if name == "higher":
            return float(np.nanmean(mean_pitch(x).numpy()))
        on = x[(x >= 2) & (x < PAD)]
        deg = (on - 2 + 21) % 12
        thirds = (deg == 3) | (deg == 4)
        return float(((deg == 3) & thirds).sum() / max(1, int(thirds.sum())))

    mu, _ = model.encode(tok, met)
    out = {}
    for name in ATTRIBUTES:
        vec = model.attribute_vector(name)
        vals = [measure(name, model.decode(mu + a * vec, met, greedy=True)) for a in (-1, 0, 1, 2)]
        out[name] = vals
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", default="src/muselab/checkpoints/folk-vae")
    ap.add_argument("--windows", type=int, default=2000)
    ap.add_argument("--pairs", type=int, default=200)
    ap.add_argument("--out", default=None, help="also write the report to this .md file")
    args = ap.parse_args()
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    model, doc = load_model(args.checkpoint)
    assert isinstance(model, MusicVAE)
    tok, met, minor = corpus_windows(CORPORA, "test", hop=2, progress=False)
    g = torch.Generator().manual_seed(0)
    sel = torch.randperm(len(tok), generator=g)[: args.windows]
    n_all = len(tok)
    tok, met, minor = tok[sel], met[sel], minor[sel]
    rec = reconstruction(model, tok, met)
    vae_i, data_i = interpolation(model, tok, met, minor, args.pairs)
    attr = attributes(model, tok[:500], met[:500])
    secs = time.perf_counter() - t0
    tr = doc.get("extra", {}).get("training", {})
    lines = [
        "# Folk melody VAE: held-out evaluation\n",
        f"Machine: {cpu_model()}, 2 cores shared with other jobs, 1 thread; "
        f"Python {platform.python_version()}, torch {torch.__version__}; {date.today()}",
        f"Command: `python benchmarks/vae_eval.py {' '.join(sys.argv[1:])}`",
        f"\nCheckpoint: `{args.checkpoint}` ({sum(p.numel() for p in model.parameters()):,} "
        f"parameters, latent {rec['latent']}); trained {tr.get('steps', '?')} steps, "
        f"{tr.get('epochs_run', '?')} epochs, {tr.get('cpu_minutes', '?')} CPU minutes "
        f"({tr.get('wall_minutes', '?')} wall minutes on the shared machine).",
        f"Data: {len(tok)} of the {n_all} 2-bar test-split windows (hop 2 bars) of "
        f"{', '.join(CORPORA)}; evaluation took {secs:.0f} s.\n",
        "## Reconstruction (posterior mean as the code)\n",
        "| measure | value |",
        "|---|---:|",
        f"| per-step accuracy, teacher forcing | {rec['teacher_forced_accuracy']:.3f} |",
        f"| per-step accuracy, greedy decoding (no teacher) | {rec['greedy_accuracy']:.3f} |",
        f"| windows reconstructed exactly | {rec['exact_windows']:.3f} |",
        f"| KL(q(z\\|x) \\|\\| p(z)) per melody, nats | {rec['kl_nats']:.1f} |",
        f"| active latent units (of {rec['latent']}) | {rec['active_units']} |",
        "",
        f"## Interpolation ({args.pairs} pairs, 9 points, same meter and mode)\n",
        "| measure | VAE (slerp in latent space) | data-space baseline |",
        "|---|---:|---:|",
        f"| note count: total variation / endpoint change (1 = monotone) | "
        f"{vae_i['tv_density']:.2f} | {data_i['tv_density']:.2f} |",
        f"| mean pitch: total variation / endpoint change | {vae_i['tv_pitch']:.2f} | "
        f"{data_i['tv_pitch']:.2f} |",
        f"| mean change of note count between neighbours | {vae_i['step_density']:.2f} | "
        f"{data_i['step_density']:.2f} |",
        f"| mean change of mean pitch between neighbours (semitones) | "
        f"{vae_i['step_pitch']:.2f} | {data_i['step_pitch']:.2f} |",
        f"| share of events changed between neighbours | {vae_i['step_hamming']:.3f} | "
        f"{data_i['step_hamming']:.3f} |",
        f"| in-between melodies: notes in the scale | {vae_i['in_scale']:.3f} | "
        f"{data_i['in_scale']:.3f} |",
        "",
        "## Attribute vectors (500 test melodies, greedy decoding of z + a * v)\n",
        "| attribute | measured as | a = -1 | a = 0 | a = +1 | a = +2 |",
        "|---|---|---:|---:|---:|---:|",
    ]
    what = {
        "more_notes": "notes per 2 bars",
        "higher": "mean MIDI pitch",
        "minor": "minor thirds / all thirds above the tonic",
    }
    for name, vals in attr.items():
        lines.append(f"| {name} | {what[name]} | " + " | ".join(f"{v:.2f}" for v in vals) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
