"""The chord-conditioned bar GAN: roll encoding, shapes, a tiny adversarial overfit, seeds, I/O."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from muselab.core import KeySignature
from muselab.errors import CorruptFileError, InvalidInputError
from muselab.generate.base import ComposeOptions
from muselab.generate.gan import GANComposer
from muselab.nn.gan import (
    BarCritic,
    BarGenerator,
    ChordModel,
    GANConfig,
    cond_vector,
    gradient_penalty,
    roll_stats,
    step_mask,
    to_roll,
)
from muselab.tokens import bars as tb

TINY = GANConfig(noise=8, hidden=16, prev_features=4, critic_hidden=16)


@pytest.fixture(autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def _chords() -> ChordModel:
    seqs = [(False, ["C:maj", "F:maj", "G:7", "C:maj"] * 3), (True, ["C:min", "G:7", "C:min"])]
    return ChordModel.fit(seqs)


def test_roll_round_trip() -> None:
    c4, d4 = tb.pitch_token(60), tb.pitch_token(62)
    bar = np.array([c4, 0, 0, 0, tb.NOTE_OFF, 0, d4, 0, d4, 0, 0, 0] + [tb.PAD] * 4)
    cls_, on = tb.bar_roll(bar, tb.METERS.index("3/4"))
    assert cls_[:4].tolist() == [60 - tb.ROLL_LOW] * 4
    assert cls_[4:6].tolist() == [tb.ROLL_PITCHES] * 2 and cls_[12:].tolist() == [36] * 4
    assert on.tolist()[:9] == [1, 0, 0, 0, 0, 0, 1, 0, 1]
    assert tb.roll_to_tokens(cls_, on, tb.METERS.index("3/4")).tolist() == bar.tolist()
    # A note held over the barline continues rather than being re-struck.
    held = tb.roll_to_tokens(cls_, np.zeros(16), 2, previous=int(cls_[0]))
    assert held[0] == tb.NO_EVENT


def test_shapes_masks_and_penalty() -> None:
    torch.manual_seed(0)
    g, d = BarGenerator(TINY), BarCritic(TINY)
    b = 5
    meter = torch.tensor([0, 1, 2, 3, 0])
    chord = torch.from_numpy(np.stack([tb.chord_vector("G:7")] * b))
    cond = cond_vector(chord, meter, torch.arange(b))
    assert cond.shape == (b, TINY.cond_dim)
    prev = to_roll(torch.full((b, 16), 36), torch.zeros(b, 16), TINY.pitches)
    logits = g(torch.randn(b, TINY.noise), cond, prev)
    assert logits.shape == (b, TINY.channels, 16)
    hard = g.hard_roll(logits, meter)
    assert torch.allclose(hard[:, : TINY.pitches + 1].sum(1), torch.ones(b, 16))
    beyond = step_mask(meter)[:, 0] == 0
    assert bool((hard[:, TINY.pitches][beyond] == 1).all())  # rest beyond the bar
    assert d(hard, prev, cond).shape == (b,)
    gp = gradient_penalty(d, prev, hard.detach(), prev, cond)
    assert torch.isfinite(gp) and float(gp.detach()) >= 0
    stats = roll_stats(hard.detach(), chord, meter)
    assert 0 <= stats["chord_tone_share"] <= 1


def test_adversarial_overfit_on_one_bar() -> None:
    """With one real bar the generator must learn to produce (nearly) exactly it."""
    torch.manual_seed(0)
    cfg = TINY
    g, d = BarGenerator(cfg), BarCritic(cfg)
    c4, e4, g4 = tb.pitch_token(60), tb.pitch_token(64), tb.pitch_token(67)
    bar = np.array([c4, 0, 0, 0, e4, 0, 0, 0, g4, 0, 0, 0, c4, 0, 0, 0])
    cls_, on = tb.bar_roll(bar, 0)
    n = 16
    real = to_roll(
        torch.from_numpy(cls_)[None].repeat(n, 1), torch.from_numpy(on)[None].repeat(n, 1), 36
    )
    prev = to_roll(torch.full((n, 16), 36), torch.zeros(n, 16), 36)
    meter = torch.zeros(n, dtype=torch.long)
    cond = cond_vector(
        torch.from_numpy(np.stack([tb.chord_vector("C:maj")] * n)),
        meter,
        torch.zeros(n, dtype=torch.long),
    )
    og = torch.optim.Adam(g.parameters(), lr=2e-3, betas=(0.5, 0.9))
    od = torch.optim.Adam(d.parameters(), lr=2e-3, betas=(0.5, 0.9))
    for _ in range(100):
        for _ in range(2):
            fake = g.hard_roll(g(torch.randn(n, cfg.noise), cond, prev), meter).detach()
            loss_d = d(fake, prev, cond).mean() - d(real, prev, cond).mean()
            loss_d = loss_d + 10 * gradient_penalty(d, real, fake, prev, cond)
            od.zero_grad()
            loss_d.backward()
            od.step()
        fake = g.hard_roll(g(torch.randn(n, cfg.noise), cond, prev), meter)
        loss_g = -d(fake, prev, cond).mean()
        og.zero_grad()
        loss_g.backward()
        og.step()
    with torch.no_grad():
        out = g.hard_roll(g(torch.randn(n, cfg.noise), cond, prev), meter)
    match = (out[:, :37].argmax(1) == real[:, :37].argmax(1)).float().mean()
    assert float(match) > 0.9


def test_chord_model() -> None:
    cm = _chords()
    rng = np.random.default_rng(0)
    prog = cm.progression(8, minor=False, rng=rng)
    assert prog[0] == "C:maj" and prog[-1] == "C:maj" and prog[-2] in ("G:7", "G:maj")
    again = ChordModel.from_dict(cm.to_dict())
    assert again.progression(8, minor=True, rng=np.random.default_rng(1)) == cm.progression(
        8, minor=True, rng=np.random.default_rng(1)
    )
    with pytest.raises(InvalidInputError, match="chord counts"):
        ChordModel(["C:maj"], {"major": [[1]], "minor": [[1]]})


def test_composer_seeds_and_round_trip(tmp_path) -> None:
    torch.manual_seed(0)
    gan = GANComposer(BarGenerator(TINY), _chords())
    opts = ComposeOptions(bars=8, seed=4, key="D major", style="waltz")
    a, b = gan.generate(opts), gan.generate(opts)
    assert a.tracks[0].notes == b.tracks[0].notes
    assert [t.name for t in a.tracks] == ["Melody", "Chords", "Bass"]
    assert len(a.chords) == 8 and a.chords[0].label == "D:maj"
    assert a.end_tick <= 8 * 3 * 480 and a.key_at(0) == KeySignature(0, "D", "major")
    gan.save(tmp_path / "g")
    again = GANComposer.load(tmp_path / "g")
    assert again.generate(opts).tracks[0].notes == a.tracks[0].notes
    over = again.compose_over(["G:maj", "C:maj", "D:7", "G:maj"], key="G major", seed=1)
    assert [c.label for c in over.chords] == ["G:maj", "C:maj", "D:7", "G:maj"]
    last = over.tracks[0].notes[-1]
    assert last.pitch % 12 == 7  # ends on the tonic G
    with pytest.raises(InvalidInputError):
        again.compose_over(["H:maj"])
    with pytest.raises(InvalidInputError, match="meter"):
        again.generate(ComposeOptions(bars=4, meter="7/8"))
    with pytest.raises(CorruptFileError):
        GANComposer.load(tmp_path / "nothing")
