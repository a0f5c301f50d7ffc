"""Cold (parse with music21) and warm (read the cache) load time of each muselab corpus.

Run from the repository root::

    .venv/bin/python benchmarks/corpus_cache.py [--corpora nottingham,essen] [--cache-root DIR]
        [--out benchmarks/corpus_cache.md]

``--cache-root`` becomes ``$MUSELAB_CACHE`` (the cache goes in ``<root>/corpora``); by
default a fresh temporary folder, so the first load is truly cold.  Prints a Markdown
table and, with ``--out``, writes it with the machine, date and command.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return platform.processor() or "unknown CPU"
    for line in out.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def _measure(name: str) -> tuple[int, int, float, float, int]:
    from muselab.corpora import load_corpus
    from muselab.corpora.locate import cache_dir

    t0 = time.perf_counter()
    items = load_corpus(name, progress=False)
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = load_corpus(name, progress=False)
    warm = time.perf_counter() - t0
    assert [i.id for i in again] == [i.id for i in items], "cache returned other items"
    size = sum(p.stat().st_size for p in cache_dir().glob(f"{name}-*.json.gz"))
    notes = sum(i.score.n_notes for i in items)
    return len(items), notes, cold, warm, size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpora", default="nottingham,jsb,bach,oneill,essen")
    ap.add_argument("--cache-root", default=None, help="MUSELAB_CACHE to use (default: temp)")
    ap.add_argument("--out", default=None, help="also write the table to this Markdown file")
    args = ap.parse_args()
    root = args.cache_root or tempfile.mkdtemp(prefix="muselab-bench-cache-")
    os.environ["MUSELAB_CACHE"] = root
    import music21

    rows = []
    for name in args.corpora.split(","):
        n, notes, cold, warm, size = _measure(name)
        rows.append(
            f"| {name} | {n} | {notes} | {cold:.1f} | {warm:.2f} | {cold / warm:.0f}x "
            f"| {size / 1e6:.2f} |"
        )
        print(rows[-1], flush=True)
    table = "\n".join(
        [
            "| corpus | pieces | notes | cold load (s) | cached load (s) | speed-up | cache (MB) |",
            "|---|---:|---:|---:|---:|---:|---:|",
            *rows,
        ]
    )
    workers = os.environ.get("MUSELAB_WORKERS", "2")
    header = (
        "# Corpus loading: cold parse vs. cache\n\n"
        f"- Machine: {_cpu_model()}, {os.cpu_count()} cores (shared with other jobs while "
        "measured)\n"
        f"- Date: {datetime.date.today().isoformat()}; Python {platform.python_version()}, "
        f"music21 {music21.__version__}; {workers} parse workers\n"
        f"- Command: `.venv/bin/python benchmarks/corpus_cache.py {' '.join(sys.argv[1:])}`\n"
        "- Cold = parse every piece with music21 and write the gzipped-JSON cache; "
        "cached = the second `load_corpus(name)` call in the same process.\n\n"
    )
    print()
    print(table)
    if args.out:
        from muselab.io.atomic import atomic_write_text

        atomic_write_text(Path(args.out), header + table + "\n")


if __name__ == "__main__":
    main()
