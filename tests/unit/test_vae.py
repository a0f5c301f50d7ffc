"""The bar-grid melody encoding and the MusicVAE-style model: shapes, overfitting, seeds, I/O."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from muselab.core import KeySignature, Note, Score, TimeSignature, Track
from muselab.errors import CorruptFileError, InvalidInputError
from muselab.generate.base import ComposeOptions
from muselab.generate.vae import VAEComposer, slerp
from muselab.nn.vae import MusicVAE, VAEConfig, VAELoss, fit_attributes, pad_mask
from muselab.tokens import bars as tb

Q = 480
TINY = VAEConfig(
    embed=8,
    meter_embed=4,
    pos_embed=4,
    enc_hidden=16,
    latent=8,
    conductor_hidden=16,
    conductor_out=8,
    dec_hidden=24,
    dropout=0.0,
)


def _melody(key: str = "D major", meter: str = "4/4", seed: int = 0, bars: int = 4) -> Score:
    rng = np.random.default_rng(seed)
    ts = TimeSignature.parse(meter)
    end = round(bars * ts.bar_beats * Q)
    t, notes = 0, []
    while t < end:
        d = int(rng.choice([Q // 4, Q // 2, Q]))
        d = min(d, end - t)
        notes.append(Note(int(rng.integers(62, 80)), t, d))
        t += d
    return Score(
        tracks=[Track("Melody", notes=notes)],
        time_signatures=[TimeSignature(0, ts.numerator, ts.denominator)],
        key_signatures=[KeySignature.parse(key)],
    )


@pytest.fixture(autouse=True)
def _one_thread():
    """One intra-op thread: on a shared 2-core machine more threads only contend."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


# ---------------------------------------------------------------------- encoding
def test_grid_hand_example_and_round_trip() -> None:
    notes = [Note(62, 0, Q), Note(66, Q, Q // 2), Note(69, 2 * Q, Q)]  # rest at 1.5..2 beats
    s = Score(
        tracks=[Track("Melody", notes=notes)],
        time_signatures=[TimeSignature(0, 3, 4)],
        key_signatures=[KeySignature(0, "D", "major")],
    )
    g = tb.tune_grid(s)
    assert g is not None and g.meter == tb.METERS.index("3/4") and g.shift == -2
    c4, e4, g4 = tb.pitch_token(60), tb.pitch_token(64), tb.pitch_token(67)
    expected = [c4, 0, 0, 0, e4, 0, tb.NOTE_OFF, 0, g4, 0, 0, 0] + [tb.PAD] * 4
    assert g.tokens[0].tolist() == expected
    back = tb.grid_to_notes(g.tokens, g.meter, transpose=-g.shift)
    assert [(n.pitch, n.onset, n.duration) for n in back] == [
        (n.pitch, n.onset, n.duration) for n in notes
    ]


def test_windows_restrike_and_skip_silence() -> None:
    s = Score(
        tracks=[Track("Melody", notes=[Note(60, 0, 6 * Q), Note(62, 6 * Q, 2 * Q)])],
        key_signatures=[KeySignature(0, "C", "major")],
    )
    g = tb.tune_grid(s)
    assert g is not None
    w = tb.melody_windows(g, bars=1, min_notes=1)
    assert w.shape == (2, 16)
    assert w[1, 0] == tb.pitch_token(60)  # the held note is re-struck at the window start
    silent = Score(tracks=[Track("Melody", notes=[Note(60, 15 * Q // 4, Q // 4)])])
    gs = tb.tune_grid(silent)
    assert gs is not None and len(tb.melody_windows(gs, bars=1)) == 0


def test_unsupported_meter_and_bad_pitch() -> None:
    s = _melody(meter="9/8")
    assert tb.tune_grid(s) is None
    with pytest.raises(InvalidInputError, match="pitch"):
        tb.pitch_token(10)
    assert tb.meter_id("2/2") == tb.meter_id("4/4")


# ---------------------------------------------------------------------- model
def _batch(n: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    ws, ms = [], []
    for i in range(n):
        meter = ("4/4", "3/4", "6/8", "2/4")[i % 4]
        g = tb.tune_grid(_melody(meter=meter, seed=i))
        assert g is not None
        ws.append(tb.melody_windows(g, bars=2)[0])
        ms.append(g.meter)
    return torch.from_numpy(np.stack(ws)), torch.tensor(ms)


def test_shapes_and_padding() -> None:
    torch.manual_seed(0)
    m = MusicVAE(TINY)
    x, meter = _batch()
    logits, mu, sigma = m(x, meter)
    assert logits.shape == (4, 32, tb.VOCAB_SIZE)
    assert mu.shape == sigma.shape == (4, TINY.latent) and bool((sigma > 0).all())
    out = m.eval().decode(torch.randn(4, TINY.latent), meter)
    assert out.shape == (4, 32)
    pads = pad_mask(meter, 2)
    assert bool((out[pads] == tb.PAD).all()) and not bool((out[~pads] == tb.PAD).any())
    assert bool((out[:, 0] != tb.NO_EVENT).all())
    with pytest.raises(InvalidInputError, match="batch"):
        m.encode(x[:, :10], meter)


def test_overfits_a_tiny_batch() -> None:
    torch.manual_seed(0)
    m = MusicVAE(TINY)
    x, meter = _batch(3)
    loss = VAELoss(beta=0.0, free_nats=0.0, anneal_steps=0)
    opt = torch.optim.Adam(m.parameters(), lr=2e-2)
    for _ in range(200):
        total, n = loss(m, (x, meter))
        opt.zero_grad()
        (total / n).backward()
        opt.step()
    m.eval()
    mu, _ = m.encode(x, meter)
    rec = m.decode(mu, meter, greedy=True)
    keep = x != tb.PAD
    assert float((rec[keep] == x[keep]).float().mean()) > 0.9


def test_loss_annealing_and_free_bits() -> None:
    loss = VAELoss(beta=0.5, free_nats=1.0, anneal_steps=10)
    m = MusicVAE(TINY)
    x, meter = _batch()
    assert loss.current_beta(True) == 0.0
    for _ in range(5):
        loss(m.train(), (x, meter))
    assert loss.current_beta(True) == pytest.approx(0.25)
    assert loss.current_beta(False) == 0.5
    total, n = loss(m.eval(), (x, meter))
    assert n == int((x != tb.PAD).sum()) and torch.isfinite(total)


def test_seeded_sampling_is_deterministic() -> None:
    torch.manual_seed(0)
    vae = VAEComposer(MusicVAE(TINY))
    a = vae.sample(3, seed=5, meter="6/8", key="E minor")
    b = vae.sample(3, seed=5, meter="6/8", key="E minor")
    assert [s.tracks[0].notes for s in a] == [s.tracks[0].notes for s in b]
    opts = ComposeOptions(bars=8, seed=3, key="A major", style="jig")
    t1, t2 = vae.generate(opts), vae.generate(opts)
    assert t1.tracks[0].notes == t2.tracks[0].notes
    assert [t.name for t in t1.tracks] == ["Melody", "Chords", "Bass"]
    assert t1.end_tick <= 8 * 3 * Q and str(t1.time_signature_at(0)) == "6/8"
    assert t1.chords and t1.key_at(0) == KeySignature(0, "A", "major")


def test_api_save_load_round_trip(tmp_path) -> None:
    torch.manual_seed(1)
    model = MusicVAE(TINY)
    x, meter = _batch(8)
    used = fit_attributes(model, x, meter, torch.tensor([True, False] * 4))
    assert used["minor"] == 4 and bool(model.attribute_vector("minor").abs().sum() > 0)
    vae = VAEComposer(model)
    vae.save(tmp_path / "ck")
    again = VAEComposer.load(tmp_path / "ck")
    a, b = _melody(seed=1), _melody(seed=2, key="G major")
    assert vae.reconstruct(a).tracks[0].notes == again.reconstruct(a).tracks[0].notes
    path = again.interpolate(a, b, steps=4)
    assert len(path) == 4 and all(p.key_at(0) == a.key_at(0) for p in path)
    moved = again.apply_attribute(a, "higher", 2.0)
    assert moved.n_notes > 0
    with pytest.raises(InvalidInputError, match="unknown attribute"):
        again.apply_attribute(a, "louder")
    with pytest.raises(InvalidInputError, match="not supported"):
        again.encode(_melody(meter="9/8"))
    with pytest.raises(InvalidInputError, match="meter"):
        again.generate(ComposeOptions(bars=4, meter="5/4"))
    with pytest.raises(CorruptFileError):
        VAEComposer.load(tmp_path / "missing")


def test_slerp_endpoints() -> None:
    a, b = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 2.0])
    assert torch.allclose(slerp(a, b, 0.0), a) and torch.allclose(slerp(a, b, 1.0), b)
    mid = slerp(a, b, 0.5)
    assert float(mid.norm()) == pytest.approx(1.5, abs=0.1)
