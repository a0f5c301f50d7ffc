"""Multi-track encoding vs MidiTok's default multi-track REMI, TSD and MIDI-Like, same pieces.

Material (real, multi-track):

* ``bach``: the first ``--limit`` Bach chorales of ``muselab.corpora`` (music21's
  corpus, all splits: nothing is trained here), the four voices as four tracks with
  their own programs (flute, oboe, clarinet, bassoon: one stream of REMI tells tracks
  apart by program);
* ``nottingham``: the first ``--limit`` test tunes (``../shared/data``), melody on
  violin (program 40) plus the ``Chords`` (piano or guitar) and ``Bass`` tracks that
  :func:`muselab.generate.accompaniment.add_accompaniment` writes from the chord
  symbols (default style by meter, seed 0).

music21's corpus ships no multi-track MIDI files, so there is no third set.

For each encoding and piece: tokens per note (ours without its ``BOS``/``EOS``), note
recall after ``decode(encode(score))`` -- a note counts when a note with the same program,
drum flag, pitch, onset and duration (exact ticks at 480 per quarter) comes back, and,
looser, with the same program, pitch and onset -- whether the meter map survives, and the
time to encode and decode (Score -> symusic -> ids -> symusic -> Score, all in memory,
median per piece).  The MidiTok peers are ``miditok.<Scheme>(TokenizerConfig(
use_programs=True))``, everything else at MidiTok's defaults (8 steps per beat, no tempo
tokens, its default meter set).  A last table times the Score -> symusic conversion in
memory against writing and re-reading a MIDI file.

Usage::

    python benchmarks/multitrack_tokens.py [--limit 100] [--out benchmarks/multitrack_tokens.md]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import date
from importlib.metadata import version
from pathlib import Path
from typing import Any

from rich.progress import track

from muselab.core import Score, Track
from muselab.corpora import load_corpus
from muselab.generate.accompaniment import add_accompaniment
from muselab.io import save
from muselab.io.symusicio import from_symusic, to_symusic
from muselab.tokens.multitrack import MultiTrackConfig, MultiTrackTokenizer

SATB = {"Soprano": 73, "Alto": 68, "Tenor": 71, "Bass": 70}
TPB = 480
TOL = TPB // 12  # duration tolerance of the 'within the grid' recall: 1/12 quarter


def chorales(limit: int) -> list[Score]:
    out = []
    for it in load_corpus("bach", progress=False):
        s = it.score
        parts = [Track(t.name, SATB[t.name], False, t.notes) for t in s.tracks if t.name in SATB]
        if len(parts) != 4:
            continue
        out.append(
            Score(
                tracks=parts,
                ticks_per_beat=s.ticks_per_beat,
                tempos=s.tempos,
                time_signatures=s.time_signatures,
                key_signatures=s.key_signatures,
            ).resample(TPB)
        )
        if len(out) >= limit:
            break
    return out


def folk_with_accompaniment(limit: int) -> list[Score]:
    out = []
    for it in load_corpus("nottingham", split="test", progress=False, limit=limit):
        s = it.score.copy()
        s.tracks = [Track("Melody", 40, False, s.tracks[0].notes)]
        full = add_accompaniment(s, seed=0)
        full.chords, full.title = [], ""
        out.append(full.resample(TPB))
    return out


def note_keys(s: Score, onset_only: bool = False) -> Counter[tuple[int, ...]]:
    return Counter(
        (t.program, int(t.is_drum), n.pitch, n.onset) if onset_only
        else (t.program, int(t.is_drum), n.pitch, n.onset, n.duration)
        for t in s.tracks
        for n in t.notes
    )  # fmt: skip


def tolerant_matches(a: Score, b: Score, tol: int) -> int:
    """Notes of ``a`` matched in ``b`` with equal program, pitch, onset and |duration| <= tol."""
    groups: dict[tuple[int, ...], list[list[int]]] = {}
    for s, side in ((a, 0), (b, 1)):
        for t in s.tracks:
            for n in t.notes:
                key = (t.program, int(t.is_drum), n.pitch, n.onset)
                groups.setdefault(key, [[], []])[side].append(n.duration)
    hits = 0
    for da, db in groups.values():
        da.sort()
        db.sort()
        i = j = 0
        while i < len(da) and j < len(db):
            if abs(da[i] - db[j]) <= tol:
                hits, i, j = hits + 1, i + 1, j + 1
            elif da[i] < db[j]:
                i += 1
            else:
                j += 1
    return hits


class Codec:
    """One encoding: ``encode(score) -> ids`` and ``decode(ids) -> score``."""

    def __init__(self, name: str, enc: Callable[[Score], list[int]], dec: Callable[..., Score],
                 vocab: int, extra: int = 0) -> None:  # fmt: skip
        self.name, self.enc, self.dec, self.vocab, self.extra = name, enc, dec, vocab, extra


def miditok_codec(scheme: str) -> Codec:
    import miditok

    tok: Any = getattr(miditok, scheme)(miditok.TokenizerConfig(use_programs=True))

    def enc(s: Score) -> list[int]:
        seq = tok.encode(to_symusic(s))
        return list(seq.ids)

    def dec(ids: list[int]) -> Score:
        return from_symusic(tok.decode(ids), ticks_per_beat=TPB)

    return Codec(f"MidiTok {scheme} (defaults + programs)", enc, dec, len(tok))


def run(codec: Codec, pieces: list[Score], label: str) -> dict[str, float]:
    n_notes = n_tok = 0
    exact = onset = close = 0
    meters = 0
    times: list[float] = []
    for s in track(pieces, description=f"{label}: {codec.name}"):
        t0 = time.perf_counter()
        ids = codec.enc(s)
        back = codec.dec(ids)
        times.append(time.perf_counter() - t0)
        n_notes += s.n_notes
        n_tok += len(ids) - codec.extra
        exact += sum((note_keys(s) & note_keys(back)).values())
        close += tolerant_matches(s, back, TOL)
        onset += sum((note_keys(s, True) & note_keys(back, True)).values())
        want = [(m.tick, m.numerator, m.denominator) for m in s.time_signatures]
        got = [(m.tick, m.numerator, m.denominator) for m in back.time_signatures]
        meters += want == got
    return {
        "pieces": len(pieces),
        "notes": n_notes,
        "tok_per_note": n_tok / n_notes,
        "recall_exact": exact / n_notes,
        "recall_onset": onset / n_notes,
        "recall_close": close / n_notes,
        "meter_kept": meters / len(pieces),
        "ms": 1000 * statistics.median(times),
        "vocab": codec.vocab,
    }


def conversion_times(pieces: list[Score]) -> tuple[float, float]:
    import symusic

    mem, disk = [], []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.mid"
        for s in pieces:
            t0 = time.perf_counter()
            to_symusic(s)
            mem.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            save(s, path)
            symusic.Score(path)
            disk.append(time.perf_counter() - t0)
    return 1000 * statistics.median(mem), 1000 * statistics.median(disk)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=100)
    ap.add_argument("--out", default="benchmarks/multitrack_tokens.md")
    args = ap.parse_args(argv)
    ours = MultiTrackTokenizer()
    alt_ppb = 12 if ours.config.positions_per_beat != 12 else 24
    alt = MultiTrackTokenizer(MultiTrackConfig(positions_per_beat=alt_ppb))
    pc = MultiTrackTokenizer(MultiTrackConfig(program_changes=True))
    codecs = [
        Codec(f"**muselab multitrack** (REMI+programs, {ours.config.positions_per_beat}/beat, "
              "tempo, meter, key)", ours.encode,
              lambda ids: ours.decode(ids, ticks_per_beat=TPB), ours.vocab_size, extra=2),
        Codec(f"muselab multitrack with positions_per_beat={alt_ppb}", alt.encode,
              lambda ids: alt.decode(ids, ticks_per_beat=TPB), alt.vocab_size, extra=2),
        Codec("muselab multitrack with program_changes=True", pc.encode,
              lambda ids: pc.decode(ids, ticks_per_beat=TPB), pc.vocab_size, extra=2),
        miditok_codec("REMI"),
        miditok_codec("TSD"),
        miditok_codec("MIDILike"),
    ]  # fmt: skip
    sets = {
        "Bach chorales, 4 tracks": chorales(args.limit),
        "Nottingham test + accompaniment, 3 tracks": folk_with_accompaniment(args.limit),
    }
    lines = [
        "# Multi-track tokens: muselab's MidiTok REMI configuration vs MidiTok defaults",
        "",
        f"Machine: 2-core CPU (shared with other jobs); miditok {version('miditok')}, "
        f"symusic {version('symusic')}; {date.today().isoformat()}",
        f"Command: `python benchmarks/multitrack_tokens.py --limit {args.limit}`",
        "",
        "Recall: share of notes that come back from `decode(encode(score))` with the same "
        "program, pitch and onset (exact ticks, 480 per quarter) and the same duration: "
        "*exact*, within 1/12 quarter note (*dur. ±1/12 q*, the 'within the grid' figure), or "
        "ignoring it (*onset recall*). *meter kept*: pieces whose time-signature map comes "
        "back unchanged. Time: median per piece of encode + decode, Score <-> symusic in "
        "memory included. Ours counts tokens without its BOS/EOS.",
        "",
    ]
    conv = []
    for label, pieces in sets.items():
        lines += [
            f"## {label} ({len(pieces)} pieces, {sum(s.n_notes for s in pieces)} notes)",
            "",
            "| encoding | vocab | tokens / note | exact recall | recall (dur. ±1/12 q) "
            "| onset recall | meter kept | encode+decode ms |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for c in codecs:
            r = run(c, pieces, label)
            lines.append(
                f"| {c.name} | {r['vocab']} | {r['tok_per_note']:.2f} | {r['recall_exact']:.4f} "
                f"| {r['recall_close']:.4f} | {r['recall_onset']:.4f} | {r['meter_kept']:.2f} "
                f"| {r['ms']:.1f} |"
            )
        lines.append("")
        conv.append((label, *conversion_times(pieces)))
    lines += [
        "## Score -> symusic.Score: in memory vs through a MIDI file",
        "",
        "| material | in memory ms | save MIDI + symusic load ms | ratio |",
        "|---|---:|---:|---:|",
    ]
    for label, mem, disk in conv:
        lines.append(f"| {label} | {mem:.2f} | {disk:.2f} | {disk / mem:.0f}x |")
    lines += [
        "",
        "Reading the numbers:",
        "",
        "- The exact recall on Nottingham is about 0.80 for every encoding because "
        "`add_accompaniment` articulates its chords at 90 % of their slot (648 ticks for a "
        "dotted quarter in 6/8), which no 1/24-beat grid holds exactly; within 1/12 quarter "
        "note they come back.",
        "- What the 24-step grid buys: over 12 steps the 16ths of 2/2 tunes and the 32nds "
        "of chorales, over MidiTok's default 8 steps the triplets of the tunes. A piece in "
        "2/2, 3/2 or 9/8 also keeps its meter here, while MidiTok's default meter set lacks "
        "those and drops them (REMI then draws 4/4 bar lines). The one meter map ours "
        "changes is a tune whose meter change falls inside a bar (moved to the next bar "
        "line, see `docs/encodings.md`).",
        "- Tokens per note are the same as MidiTok's default REMI (plus tempo and key tokens); "
        "TSD is 3-4 % shorter, MIDI-Like about 20 % longer. `program_changes=True` (a "
        "Program token only where the instrument changes) saves about 11 % on the tunes "
        "with block chords and under 1 % on the chorales, whose voices alternate at every "
        "onset. No drum tracks in this material (drums are covered by the unit tests).",
        "- Times vary by +-30 % between runs on this shared machine; the encodings are equally "
        "fast.",
    ]
    text = "\n".join(lines) + "\n"
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
