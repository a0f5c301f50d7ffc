"""Speed (and agreement) of muselab.theory against music21 for the calls generators make.

Each row times one operation over the same inputs in both libraries, in the same run, and
checks that the answers agree, so the table says both "how much faster" and "same result".

    .venv/bin/python benchmarks/theory_speed.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import music21 as m21

from _machine import cpu_model
from muselab.core import KeySignature
from muselab.theory.chords import chord_pitches, label_pitch_classes
from muselab.theory.keys import transpose_key
from muselab.theory.pitch import parse_pitch, pitch_name
from muselab.theory.roman import roman_numeral, roman_to_label
from muselab.theory.scales import scale_pitch_classes

C, AM = KeySignature.parse("C major"), KeySignature.parse("A minor")
_LETTERS = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
NAMES = [f"{n}{o}" for o in (3, 4, 5) for n in _LETTERS]
LABELS = ["C:maj", "D:min", "E:min", "F:maj", "G:maj", "A:min", "G:7", "F:maj/3", "C:maj/5"]
FIGURES = ["I", "ii", "iii", "IV", "V", "vi", "V7", "IV6", "I64", "ii65", "V43"]
M21_SYMBOL = {"maj": "", "min": "m", "7": "7"}


def per_call(fn: Callable[[Any], Any], inputs: Sequence[Any], repeats: int) -> float:
    """Median over repeats of the mean time per call, in microseconds."""
    n = max(1, 2000 // len(inputs))
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            for x in inputs:
                fn(x)
        times.append((time.perf_counter() - t0) / (n * len(inputs)))
    return statistics.median(times) * 1e6


def _m21_roman(label: str) -> str:
    ch = m21.chord.Chord(chord_pitches(label, octave=3))
    return str(m21.roman.romanNumeralFromChord(ch, m21.key.Key("C")).figure)


def _m21_roman_to_pcs(fig: str) -> tuple[int, ...]:
    return tuple(sorted({p.pitchClass for p in m21.roman.RomanNumeral(fig, "C").pitches}))


def _m21_symbol_pcs(label: str) -> tuple[int, ...]:
    root, q = label.split(":")
    sym = m21.harmony.ChordSymbol(root.replace("b", "-") + M21_SYMBOL[q])
    return tuple(sorted({p.pitchClass for p in sym.pitches}))


def rows(repeats: int) -> list[tuple[str, float, float, float]]:
    sym_labels = ["C:maj", "A:min", "G:7", "Bb:maj", "F#:min", "E:7"]
    cases: list[tuple[str, Callable[[Any], Any], Callable[[Any], Any], Sequence[Any]]] = [
        ("parse pitch name -> MIDI", parse_pitch, lambda n: m21.pitch.Pitch(n).midi, NAMES),
        (
            "MIDI -> pitch name",
            lambda m: pitch_name(m, key=C),
            lambda m: m21.pitch.Pitch(midi=m).nameWithOctave.replace("-", "b"),
            list(range(48, 84)),
        ),
        (
            "chord symbol -> pitch classes",
            lambda lab: tuple(sorted(label_pitch_classes(lab))),
            _m21_symbol_pcs,
            sym_labels,
        ),
        (
            "scale pitch classes (D major)",
            lambda _: tuple(sorted(scale_pitch_classes(2, "major"))),
            lambda _: tuple(sorted({p.pitchClass for p in m21.scale.MajorScale("D").getPitches()})),
            [0] * 10,
        ),
        (
            "transpose key by a semitone",
            lambda k: transpose_key(k, 1).tonic,
            lambda k: (
                m21.key.Key(k.tonic.replace("b", "-")).transpose(1).tonic.name.replace("-", "b")
            ),
            [KeySignature.parse(k) for k in ("C", "F", "D", "Bb", "E", "Ab")],
        ),
        ("chord -> roman numeral", lambda lab: roman_numeral(lab, C), _m21_roman, LABELS),
        (
            "roman numeral -> chord",
            lambda f: tuple(sorted(label_pitch_classes(roman_to_label(f, C)))),
            _m21_roman_to_pcs,
            FIGURES,
        ),
    ]
    out = []
    for name, ours, theirs, inputs in cases:
        agree = sum(ours(x) == theirs(x) for x in inputs) / len(inputs)
        t_ours = per_call(ours, inputs, repeats)
        t_m21 = per_call(theirs, inputs, max(1, repeats // 2))
        out.append((name, t_ours, t_m21, agree))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    print(f"Machine: {cpu_model()}, 2 cores; Python {platform.python_version()}; "
          f"music21 {m21.__version__}; {date.today()}")  # fmt: skip
    print("Command: .venv/bin/python benchmarks/theory_speed.py " + f"--repeats {args.repeats}")
    print()
    print("| operation | muselab µs/call | music21 µs/call | speed-up | same answer |")
    print("|---|---:|---:|---:|---:|")
    for name, ours, theirs, agree in rows(args.repeats):
        print(f"| {name} | {ours:.2f} | {theirs:.1f} | {theirs / ours:.0f}x | {agree:.0%} |")
    ours_s = import_seconds("muselab.theory.roman, muselab.theory.chords", args.repeats)
    m21_s = import_seconds("music21", args.repeats)
    print(f"| import (fresh interpreter), ms | {ours_s * 1e3:.0f} | {m21_s * 1e3:.0f} | "
          f"{m21_s / ours_s:.0f}x | - |")  # fmt: skip


def import_seconds(modules: str, repeats: int) -> float:
    """Median wall time of ``import <modules>`` in a fresh interpreter, minus a bare start."""

    def run(code: str) -> float:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - t0

    bare = statistics.median(run("pass") for _ in range(repeats))
    return statistics.median(run(f"import {modules}") for _ in range(repeats)) - bare


if __name__ == "__main__":
    main()
