"""How long `muselab compose --count 20 --formats mid` takes, per generator (issue target: < 10 s).

Runs the real CLI in a subprocess (so interpreter start-up, imports and checkpoint loading count),
several times, and prints a Markdown table of the median and the spread.

    .venv/bin/python benchmarks/compose_speed.py [--repeats 5] [--count 20]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from _machine import cpu_model


def time_compose(generator: str, count: int, formats: str) -> float:
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "muselab", "compose", "-g", generator, "--count", str(count),
               "--seed", "1", "--formats", formats, "--out", out]  # fmt: skip
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        elapsed = time.perf_counter() - t0
        n = len(list(Path(out).iterdir()))
        assert n == count * len(formats.split(",")), f"expected {count} files, got {n}"
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--generators", default="markov,rules")
    ap.add_argument("--formats", default="mid")
    args = ap.parse_args()
    print(f"Machine: {cpu_model()}, 2 cores; Python {platform.python_version()}; {date.today()}")
    print(f"Command: python benchmarks/compose_speed.py {' '.join(sys.argv[1:])}".rstrip())
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Load average at start (1/5/15 min): {load}; the times include that contention.")
    print()
    print("| generator | pieces | formats | median s | min s | max s | s per piece |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for g in args.generators.split(","):
        times = [time_compose(g, args.count, args.formats) for _ in range(args.repeats)]
        med = statistics.median(times)
        print(f"| {g} | {args.count} | {args.formats} | {med:.2f} | {min(times):.2f} | "
              f"{max(times):.2f} | {med / args.count:.3f} |")  # fmt: skip


if __name__ == "__main__":
    main()
