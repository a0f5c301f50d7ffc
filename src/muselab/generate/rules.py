"""A rule-based composer that writes like a harmony teacher: :class:`RuleComposer`.

The piece is planned top-down:

1. **Form.**  Phrases of 8 bars (4 for pieces under 16 bars) labelled by a form string
   (``AABA`` by default for four phrases, ``AABB`` / ``ABAB`` via ``style``); a bar count
   that is not a multiple of the phrase length lengthens the last phrase.  Phrases pair
   into periods: the first of a pair ends on a half cadence (V), the second and the last
   phrase on an authentic cadence (V7-I).
2. **Harmony.**  Each section letter draws a common-practice progression (I-IV-V-I,
   I-vi-ii-V, I-V-vi-IV, minor i-iv-V-i, i-VII-VI-V ...) for the bars before the
   cadence; the cadence is added per phrase.
3. **Rhythm.**  Bar rhythms are built from beat cells of the meter (quarter, two
   eighths, dotted figures; 6/8 dotted quarter, quarter-eighth, three eighths); a main
   motif and a contrasting one alternate through the phrase, and cadence bars end on a
   long note.
4. **Melody.**  Notes are chosen one by one under hard rules (chord tones on every
   beat; non-chord tones only between beats, approached and left by step; a leap is
   followed by a step back; range C4..G5; last note the tonic on a downbeat) and soft
   costs (stepwise motion, an arch-shaped contour per phrase, seeded noise).  Bars
   repeating the motif's rhythm first try a sequence of the motif (the same scale-step
   shape moved onto the new chord).  Repeats of a section reuse its melody with one bar
   varied.

Then :func:`~muselab.generate.accompaniment.add_accompaniment` adds bass and chords.

>>> from muselab.generate import ComposeOptions
>>> score = RuleComposer().generate(ComposeOptions(bars=16, key="D major", seed=1))
>>> [t.name for t in score.tracks]
['Melody', 'Chords', 'Bass']
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from muselab.core.score import (
    ChordSymbol,
    KeySignature,
    Note,
    Score,
    TempoChange,
    TimeSignature,
    Track,
)
from muselab.errors import InvalidInputError
from muselab.generate.accompaniment import (
    ACCOMPANIMENT_STYLES,
    MeterGrid,
    add_accompaniment,
    meter_grid,
)
from muselab.generate.base import ComposeOptions
from muselab.theory.chords import parse_label
from muselab.theory.keys import key_pitch_classes
from muselab.theory.roman import roman_to_label

__all__ = ["STYLES", "RuleComposer", "plan_form"]

MELODY_PROGRAM = 73
"""General MIDI Flute."""
LOW, HIGH = 60, 79  # C4..G5, about an octave and a half


@dataclass(frozen=True, slots=True)
class _Style:
    meter: str | None = None
    form: str | None = None
    accompaniment: str | None = None
    tempo: float | None = None


STYLES: dict[str, _Style] = {
    "song": _Style(),
    "aaba": _Style(form="AABA"),
    "aabb": _Style(form="AABB"),
    "abab": _Style(form="ABAB"),
    "reel": _Style("4/4", "AABB", "oompah", 112.0),
    "hornpipe": _Style("4/4", "AABB", "oompah", 90.0),
    "march": _Style("2/4", "AABB", "oompah", 112.0),
    "polka": _Style("2/4", "AABB", "oompah", 120.0),
    "jig": _Style("6/8", "AABB", "block", 150.0),
    "waltz": _Style("3/4", "AABA", "waltz", 120.0),
    "ballad": _Style("4/4", "AABA", "arpeggio", 76.0),
}
STYLES.update({s: _Style(accompaniment=s) for s in ACCOMPANIMENT_STYLES if s not in STYLES})
"""Style name -> default meter, form, accompaniment pattern and tempo (None = by length/meter)."""

# ---------------------------------------------------------------------- harmony templates
_BODIES = {
    ("major", "A", 2): [["I", "IV"], ["I", "vi"], ["I", "V"], ["I", "I"]],
    ("major", "B", 2): [["IV", "I"], ["vi", "IV"], ["ii", "vi"], ["IV", "V"]],
    ("minor", "A", 2): [["i", "iv"], ["i", "VI"], ["i", "VII"], ["i", "i"]],
    ("minor", "B", 2): [["iv", "i"], ["VI", "VII"], ["III", "VII"], ["iv", "V"]],
    ("major", "A", 6): [
        ["I", "IV", "V", "I", "vi", "ii"],
        ["I", "vi", "ii", "V", "I", "IV"],
        ["I", "V", "vi", "IV", "I", "ii"],
        ["I", "IV", "I", "V", "vi", "IV"],
    ],
    ("major", "B", 6): [
        ["IV", "I", "ii", "V", "vi", "IV"],
        ["vi", "iii", "IV", "I", "ii", "IV"],
        ["IV", "V", "I", "vi", "ii", "IV"],
    ],
    ("minor", "A", 6): [
        ["i", "iv", "V", "i", "VI", "iv"],
        ["i", "VI", "III", "VII", "i", "iv"],
        ["i", "VII", "VI", "V", "i", "iv"],
        ["i", "iv", "i", "V", "VI", "iv"],
    ],
    ("minor", "B", 6): [
        ["iv", "i", "VII", "III", "VI", "iv"],
        ["VI", "VII", "i", "iv", "VI", "iv"],
        ["III", "VII", "i", "V", "VI", "iv"],
    ],
}
_FILL = {"major": ["vi", "ii", "IV", "I"], "minor": ["VI", "iv", "VII", "i"]}
_TEMPO_BY_BEATS = {2: 104.0, 3: 108.0, 4: 100.0}


@dataclass(frozen=True, slots=True)
class Phrase:
    """One phrase of the form: section ``letter``, first bar, length and cadence."""

    letter: str
    start: int
    length: int
    cadence: str  # "half" | "authentic"
    occurrence: int


def plan_form(bars: int, form: str | None = None) -> list[Phrase]:
    """Split ``bars`` into phrases with section letters and cadences.

    Parameters
    ----------
    bars : int
        Length of the piece in bars, >= 1.
    form : str, optional
        Letters of the phrases, cycled if the piece has more phrases (``"AABA"``,
        ``"AABB"``, ``"ABAB"``...).  Default by count: ``A``, ``AA``, ``ABA``, ``AABA``.

    Returns
    -------
    list of Phrase
        Covering bars ``0..bars-1`` exactly.  Phrases of 8 bars from 16 bars on, else 4;
        leftover bars extend the last phrase.

    Examples
    --------
    >>> [(p.letter, p.length, p.cadence) for p in plan_form(8)]
    [('A', 4, 'half'), ('A', 4, 'authentic')]
    """
    if isinstance(bars, bool) or not isinstance(bars, int) or bars < 1:
        raise InvalidInputError(f"bars must be a positive integer, got {bars!r}")
    if bars < 4:
        return [Phrase("A", 0, bars, "authentic", 0)]
    plen = 8 if bars >= 16 else 4
    n = bars // plen
    letters = (form or {1: "A", 2: "AA", 3: "ABA"}.get(n, "AABA")).upper()
    if not letters.isalpha():
        raise InvalidInputError(f"form must be letters such as 'AABA', got {form!r}")
    out, seen = [], dict[str, int]()
    for i in range(n):
        letter = letters[i % len(letters)]
        length = plen + (bars % plen if i == n - 1 else 0)
        cadence = "authentic" if i == n - 1 or i % 2 == 1 else "half"
        out.append(Phrase(letter, i * plen, length, cadence, seen.get(letter, 0)))
        seen[letter] = seen.get(letter, 0) + 1
    return out


@dataclass
class _Ctx:
    """Everything the melody writer needs about the piece."""

    key: KeySignature
    grid: MeterGrid
    rng: np.random.Generator
    chords: list[str] = field(default_factory=list)  # Harte label per bar
    pitches: list[int] = field(default_factory=list)  # allowed diatonic pitches in range

    def chord_pcs(self, bar: int) -> set[int]:
        return set(parse_label(self.chords[min(bar, len(self.chords) - 1)]).pitch_classes)

    def allowed(self, bar: int) -> list[int]:
        """Scale pitches in range; in minor the leading tone is raised over V."""
        if self.key.mode == "major":
            return self.pitches
        pcs = self.chord_pcs(bar)
        lead = (self.key.tonic_pc + 11) % 12
        if lead in pcs:
            sub = (self.key.tonic_pc + 10) % 12
            return sorted([p for p in self.pitches if p % 12 != sub] + _in_range(lead))
        return self.pitches


def _in_range(pc: int) -> list[int]:
    return [p for p in range(LOW, HIGH + 1) if p % 12 == pc]


# ---------------------------------------------------------------------- rhythm
def _beat_cells(grid: MeterGrid) -> tuple[list[list[int]], list[float]]:
    if grid.compound:
        return [[3], [2, 1], [1, 1, 1]], [0.35, 0.45, 0.2]
    return [[2], [1, 1]], [0.5, 0.5]


def _bar_rhythm(grid: MeterGrid, rng: np.random.Generator) -> list[int]:
    """Durations (ticks) of one bar, every beat starting a note unless held by a long value."""
    cells, probs = _beat_cells(grid)
    unit = grid.sub if grid.compound else grid.beat // 2
    out: list[int] = []
    b = 0
    while b < grid.n_beats:
        if not grid.compound and b + 1 < grid.n_beats and b % 2 == 0 and rng.random() < 0.2:
            out += [3 * unit, unit] if rng.random() < 0.6 else [4 * unit]
            b += 2
            continue
        out += [u * unit for u in cells[int(rng.choice(len(cells), p=probs))]]
        b += 1
    rest = grid.bar - sum(out)
    if rest > 0:
        out.append(rest)
    return out


def _cadence_rhythm(grid: MeterGrid, motif: list[int], final: bool) -> list[int]:
    """A bar ending on a long note: the whole bar for the final cadence."""
    if final or grid.n_beats == 1:
        return [grid.bar]
    long_beats = grid.n_beats // 2
    head = grid.bar - long_beats * grid.beat
    out, t = [], 0
    for d in motif:
        if t + d > head:
            break
        out.append(d)
        t += d
    if t < head:
        out.append(head - t)
    return [*out, long_beats * grid.beat]


# ---------------------------------------------------------------------- melody
def _interval_cost(i: int) -> float:
    a = abs(i)
    return (1.5, 0.0, 0.0, 0.5, 0.6, 1.4, 2.5, 1.6, 3.0, 3.0)[a] if a < 10 else 5.0


def _target(ctx: _Ctx, phrase: Phrase, bar: int, offset: int, high: bool) -> float:
    """Arch contour: rise to a peak about 65% through the phrase, then fall to the cadence."""
    base, amp = (68.0, 8.0) if high else (65.0, 7.0)
    x = (bar - phrase.start + offset / ctx.grid.bar) / phrase.length
    rise = np.sin(np.pi * x / 1.3) if x < 0.65 else np.cos(np.pi * (x - 0.65) / 0.7)
    return float(base + amp * rise - (3.0 if x > 0.9 else 0.0))


def _choose(
    ctx: _Ctx,
    cands: list[int],
    prev: int | None,
    prev_int: int,
    prev_nct: bool,
    on_beat: bool,
    chord: set[int],
    next_chord: set[int] | None,
    target: float,
    next_pitch: int | None = None,
    later: tuple[set[int], set[int]] | None = None,
) -> int:
    """Pick one pitch under the hard rules (relaxed in order if nothing fits) and soft costs."""
    steps = {1, 2}

    def ok(p: int, level: int) -> bool:
        if on_beat and p % 12 not in chord:
            return False
        if next_pitch is not None and level < 2:
            gap = abs(next_pitch - p)
            if gap > (4 if level == 0 else 7) or (p % 12 not in chord and gap not in steps):
                return False
        if prev is None:
            return True
        i = p - prev
        if abs(i) > (9 if level < 3 else 12):
            return False
        if level < 1 and abs(prev_int) >= 5 and not (abs(i) in steps and i * prev_int < 0):
            return False
        if (
            level < 1
            and abs(i) >= 5
            and not any(
                abs(q - p) in steps
                and (q - p) * i < 0
                and (next_chord is None or q % 12 in next_chord)
                and (next_pitch is None or q == next_pitch)
                and _resolvable(q, cands, later)
                for q in cands
            )
        ):
            return False  # a leap must be recoverable by a step back
        if level < 2 and prev_nct and abs(i) not in steps:
            return False
        if level < 2 and not on_beat and p % 12 not in chord:
            if abs(i) not in steps:
                return False
            if next_chord is not None and not any(
                abs(q - p) in steps for q in cands if q % 12 in next_chord
            ):
                return False
        return True

    for level in range(4):
        pool = [p for p in cands if ok(p, level)]
        if pool:
            break
    else:
        pool = [p for p in cands if p % 12 in chord] or cands
    noise = ctx.rng.gumbel(size=len(pool)) * 0.45
    costs = []
    for p, z in zip(pool, noise, strict=True):
        c = 0.25 * abs(p - target) - z
        if prev is not None:
            c += _interval_cost(p - prev)
            lead, sub6 = (ctx.key.tonic_pc + 11) % 12, (ctx.key.tonic_pc + 8) % 12
            if ctx.key.mode == "minor" and {p % 12, prev % 12} == {lead, sub6}:
                c += 4.0  # no augmented second
        if p % 12 not in chord:
            c += 0.35
        if next_pitch is not None and abs(next_pitch - p) > 2:
            c += 1.0
        costs.append(c)
    return pool[int(np.argmin(costs))]


def _final_tonic(ctx: _Ctx, prev: int | None) -> int:
    """The closing tonic: the one in range nearest a little below the melody's last pitch."""
    aim = 65 if prev is None else prev - 3
    return min(_in_range(ctx.key.tonic_pc), key=lambda q: (abs(q - aim), q))


def _resolvable(q: int, cands: list[int], later: tuple[set[int], set[int]] | None) -> bool:
    """Whether ``q`` is a chord tone of its chord, or a step from a chord tone of the next one.

    ``later`` holds the chord in force at the next note and at the note after it.
    """
    if later is None or q % 12 in later[0]:
        return True
    return any(1 <= abs(r - q) <= 2 and r % 12 in later[1] for r in cands)


def _write_bar(
    ctx: _Ctx,
    phrase: Phrase,
    bar: int,
    rhythm: list[int],
    prev: int | None,
    prev_int: int,
    *,
    final: bool = False,
    high: bool = False,
    fixed: dict[int, int] | None = None,
    next_pitch: int | None = None,
) -> list[int]:
    """Pitches for one bar of ``rhythm`` (durations in ticks).

    ``fixed`` maps note indices to pitches kept as they are; ``next_pitch`` is the first
    pitch of the following bar when it is already known.
    """
    g = ctx.grid
    chord = ctx.chord_pcs(bar)
    nxt = ctx.chord_pcs(bar + 1) if bar + 1 < len(ctx.chords) else None
    cands = ctx.allowed(bar)
    fixed = fixed or {}
    out: list[int] = []
    t = 0
    prev_nct = prev is not None and bar > 0 and prev % 12 not in ctx.chord_pcs(bar - 1)
    for j, d in enumerate(rhythm):
        on_beat = t % g.beat == 0
        following = t + d
        if following >= g.bar:
            next_set, known = nxt, next_pitch
        else:
            next_set = chord if following % g.beat == 0 else None
            known = fixed.get(j + 1)
        if j in fixed:
            p = fixed[j]
        elif final and j == len(rhythm) - 1:
            p = next_pitch if next_pitch is not None else _final_tonic(ctx, prev)
        else:
            after_next = following + (rhythm[j + 1] if j + 1 < len(rhythm) else 0)
            later = (
                chord if following < g.bar else (nxt or chord),
                chord if after_next < g.bar else (nxt or chord),
            )
            p = _choose(ctx, cands, prev, prev_int, prev_nct, on_beat, chord, next_set,
                        _target(ctx, phrase, bar, t, high), known, later)  # fmt: skip
        prev_int = p - prev if prev is not None else 0
        prev_nct = p % 12 not in chord
        out.append(p)
        prev = p
        t += d
    return out


def _sequence(
    ctx: _Ctx, model: list[int], rhythm: list[int], bar: int, prev: int | None, prev_int: int
) -> list[int] | None:
    """The motif ``model`` moved by scale steps so its beats land on this bar's chord tones."""
    scale = list(key_pitch_classes(ctx.key))
    tonic = ctx.key.tonic_pc
    steps = [(pc - tonic) % 12 for pc in scale]  # ascending semitones above the tonic
    chord = ctx.chord_pcs(bar)
    next_chord = ctx.chord_pcs(bar + 1)
    allowed = set(ctx.allowed(bar))

    def deg(p: int) -> int | None:
        octave, rel = divmod(p - tonic, 12)
        if rel not in steps:
            rel -= 1  # raised leading tone -> its natural degree
        return octave * 7 + steps.index(rel) if rel in steps else None

    degs = [deg(p) for p in model]
    if any(d is None for d in degs):
        return None
    shifts = sorted(range(-4, 5), key=lambda s: (abs(s), ctx.rng.random()))
    for s in shifts:
        if s == 0:
            continue
        out = []
        for d in degs:
            assert d is not None
            octv, i = divmod(d + s, 7)
            p = tonic + 12 * octv + steps[i]
            if p not in allowed and (p + 1) in allowed and (p + 1) % 12 not in scale:
                p += 1
            out.append(p)
        t, good = 0, all(p in allowed for p in out)
        for j, (p, dur) in enumerate(zip(out, rhythm, strict=True)):
            if p % 12 not in chord:
                before = out[j - 1] if j else prev
                after = out[j + 1] if j + 1 < len(out) else None
                if t % ctx.grid.beat == 0 or before is None or abs(p - before) > 2:
                    good = False
                if after is None and not any(
                    1 <= abs(q - p) <= 2 for q in allowed if q % 12 in next_chord
                ):
                    good = False
                if after is not None and abs(after - p) > 2:
                    good = False
            t += dur
        if prev is not None and good:
            i = out[0] - prev
            good = abs(i) <= 7 and not (abs(prev_int) >= 5 and (abs(i) > 2 or i * prev_int > 0))
            if bar > 0 and prev % 12 not in ctx.chord_pcs(bar - 1) and abs(i) not in (1, 2):
                good = False  # the previous bar ended on a non-chord tone: resolve it by step
            if abs(i) >= 5 and (
                len(out) < 2 or not (1 <= abs(out[1] - out[0]) <= 2 and (out[1] - out[0]) * i < 0)
            ):
                good = False  # a leap into the bar must be followed by a step back
        if good:
            return out
    return None


class RuleComposer:
    """Compose in common-practice style from rules (no training); ``name = "rules"``.

    Examples
    --------
    >>> from muselab.generate import ComposeOptions
    >>> s = RuleComposer().generate(ComposeOptions(bars=8, key="A minor", meter="3/4", seed=2))
    >>> s.title
    'Rule-based study in A minor'
    """

    name = "rules"

    def generate(self, options: ComposeOptions) -> Score:
        """Compose one piece: melody, chord symbols, then bass and chords.

        Parameters
        ----------
        options : ComposeOptions
            ``bars`` (exact), ``key`` (default C major), ``meter`` (default from ``style``,
            else 4/4), ``tempo`` (default by style/meter), ``style`` (one of
            :data:`STYLES`: a form such as ``"aabb"``, a dance such as ``"jig"``, or an
            accompaniment pattern), ``seed``.  ``temperature`` is not used.

        Returns
        -------
        Score
            ``"Melody"`` (GM flute), ``"Chords"``, ``"Bass"``; tempo, meter and key at
            tick 0; one chord symbol per bar.
        """
        style_name = (options.style or "song").strip().lower()
        if style_name not in STYLES:
            raise InvalidInputError(
                f"unknown style {options.style!r} for the rules generator; "
                f"choose one of {', '.join(STYLES)}"
            )
        style = STYLES[style_name]
        key = options.key_signature or KeySignature(0, "C", "major")
        ts = options.time_signature or TimeSignature.parse(style.meter or "4/4")
        ts = TimeSignature(0, ts.numerator, ts.denominator)
        tpb = 480
        grid = meter_grid(ts, tpb)
        tempo = options.tempo or style.tempo or _TEMPO_BY_BEATS.get(grid.n_beats, 100.0)
        if grid.compound and options.tempo is None and style.tempo is None:
            tempo = 132.0
        rng = np.random.default_rng(options.seed)
        phrases = plan_form(options.bars, style.form)
        ctx = _Ctx(key, grid, rng)
        scale = set(key_pitch_classes(key))
        ctx.pitches = [p for p in range(LOW, HIGH + 1) if p % 12 in scale]
        ctx.chords = self._harmony(phrases, key, rng)
        notes = self._melody(ctx, phrases)
        tick_bar = grid.bar
        chords = [ChordSymbol(i * tick_bar, tick_bar, lab) for i, lab in enumerate(ctx.chords)]
        score = Score(
            tracks=[Track("Melody", MELODY_PROGRAM, False, notes)],
            ticks_per_beat=tpb,
            tempos=[TempoChange(0, float(tempo))],
            time_signatures=[ts],
            key_signatures=[KeySignature(0, key.tonic, key.mode)],
            chords=chords,
            title=f"Rule-based study in {key.name}",
        )
        return add_accompaniment(score, style=style.accompaniment, seed=options.seed)

    # ------------------------------------------------------------------ plans
    @staticmethod
    def _harmony(phrases: list[Phrase], key: KeySignature, rng: np.random.Generator) -> list[str]:
        """One Harte label per bar."""
        mode = key.mode
        bodies: dict[str, list[str]] = {}
        figs: list[str] = []
        tonic = "I" if mode == "major" else "i"
        for ph in phrases:
            if ph.length < 4:
                figs += {1: [tonic], 2: ["V7", tonic], 3: [tonic, "V7", tonic]}[ph.length]
                continue
            size = 6 if ph.length >= 8 else 2
            if ph.letter not in bodies:
                kind = "A" if ph.letter == phrases[0].letter else "B"
                options = _BODIES[(mode, kind, size)]
                bodies[ph.letter] = list(options[int(rng.integers(len(options)))])
            body = list(bodies[ph.letter])
            fill = _FILL[mode]
            while len(body) < ph.length - 2:
                body.append(fill[(len(body) - size) % len(fill)])
            body = body[: ph.length - 2]
            if ph.cadence == "authentic":
                cad = ["V7", tonic]
            else:
                pre = (
                    ("ii" if body[-1] in ("I", "vi", "IV") else "IV")
                    if mode == "major"
                    else ("VI" if body[-1] in ("iv",) else "iv")
                )
                cad = [pre, "V"]
            figs += body + cad
        return [roman_to_label(f, key) for f in figs]

    def _melody(self, ctx: _Ctx, phrases: list[Phrase]) -> list[Note]:
        g, rng = ctx.grid, ctx.rng
        first = phrases[0].letter
        motifs: dict[str, list[int]] = {}
        contrast = _bar_rhythm(g, rng)
        bodies: dict[str, list[tuple[list[int], list[int]]]] = {}
        cadences: dict[tuple[str, str, int], list[tuple[list[int], list[int]]]] = {}
        bars: list[tuple[list[int], list[int]]] = []
        state: tuple[int | None, int] = (None, 0)  # previous pitch and interval
        final_goal: int | None = None

        def after(pitches: list[int]) -> tuple[int | None, int]:
            return pitches[-1], (pitches[-1] - pitches[-2]) if len(pitches) > 1 else 0

        for pi, ph in enumerate(phrases):
            high = ph.letter != first
            upcoming = phrases[pi + 1] if pi + 1 < len(phrases) else None
            known_next = bodies.get(upcoming.letter) if upcoming is not None else None
            motif = motifs.setdefault(ph.letter, _bar_rhythm(g, rng))
            n_body = ph.length - 2 if ph.length >= 4 else ph.length - 1
            body = bodies.get(ph.letter, [])
            vary_at = (2 * ph.occurrence - 1) % (len(body) - 1) if len(body) >= 2 else -1
            written: list[tuple[list[int], list[int]]] = []
            realized: dict[tuple[int, ...], list[int]] = {}
            for k in range(n_body):
                bar = ph.start + k
                if k < len(body):
                    rhythm, pitches = body[k]
                    if ph.occurrence > 0 and k == vary_at:
                        rhythm, pitches = self._vary(ctx, ph, bar, body[k], state, body[k + 1])
                else:
                    rhythm = contrast if k % 4 == 2 else motif
                    seq = realized.get(tuple(rhythm))
                    pitches = []
                    if seq is not None and rng.random() < 0.75:
                        pitches = _sequence(ctx, seq, rhythm, bar, *state) or []
                    if not pitches:
                        pitches = _write_bar(ctx, ph, bar, rhythm, *state, high=high)
                    realized[tuple(rhythm)] = pitches
                written.append((rhythm, pitches))
                state = after(pitches)
            if len(body) < n_body:
                bodies[ph.letter] = written
            ckey = (ph.letter, ph.cadence, ph.length)
            cad = cadences.get(ckey)
            if cad is None or ph is phrases[-1]:
                cad = []
                for k in range(n_body, ph.length):
                    bar = ph.start + k
                    last = k == ph.length - 1
                    final = last and ph.cadence == "authentic"
                    rhythm = _cadence_rhythm(g, motif, final) if last else motif
                    goal = None
                    if ph.cadence == "authentic" and k == ph.length - 2:
                        goal = _final_tonic(ctx, state[0])
                        final_goal = goal
                    elif final:
                        goal = final_goal
                    elif last and known_next:
                        goal = known_next[0][1][0]  # the next phrase repeats a known start
                    pitches = _write_bar(ctx, ph, bar, rhythm, *state, final=final, high=high,
                                         next_pitch=goal)  # fmt: skip
                    cad.append((rhythm, pitches))
                    state = after(pitches)
                cadences[ckey] = cad
            else:
                state = after(cad[-1][1])
            bars += written + cad
        notes: list[Note] = []
        for b, (rhythm, pitches) in enumerate(bars):
            t = b * g.bar
            for d, p in zip(rhythm, pitches, strict=True):
                off = t - b * g.bar
                vel = 92 if off == 0 else (84 if off % g.beat == 0 else 76)
                notes.append(Note(int(p), t, int(d), vel))
                t += d
        return notes

    @staticmethod
    def _vary(
        ctx: _Ctx,
        ph: Phrase,
        bar: int,
        original: tuple[list[int], list[int]],
        state: tuple[int | None, int],
        following: tuple[list[int], list[int]],
    ) -> tuple[list[int], list[int]]:
        """A small variation of a repeated bar: new off-beat notes with the beats kept.

        A bar without off-beat notes gets one: its first beat-long note is split in two
        and the second half becomes a passing or neighbour tone.
        """
        rhythm, pitches = list(original[0]), list(original[1])
        g = ctx.grid
        t, fixed = 0, {}
        for j, d in enumerate(rhythm):
            if t % g.beat == 0:
                fixed[j] = pitches[j]
            t += d
        if len(fixed) == len(rhythm):
            split = next((j for j, d in enumerate(rhythm) if d >= 2 * g.sub), None)
            if split is None:
                return rhythm, pitches
            half = rhythm[split] // 2 if not g.compound else 2 * g.sub
            rhythm[split : split + 1] = [half, rhythm[split] - half]
            pitches.insert(split + 1, pitches[split])
            fixed = {j if j <= split else j + 1: p for j, p in fixed.items()}
        new = _write_bar(ctx, ph, bar, rhythm, *state, fixed=fixed,
                         next_pitch=following[1][0])  # fmt: skip
        return rhythm, new
