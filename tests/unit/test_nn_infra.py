"""Shared neural infrastructure: checkpoints, trainer, sampling, the two language models."""

from __future__ import annotations

import itertools
import json

import pytest
import torch

from muselab.errors import CorruptFileError, InvalidInputError
from muselab.nn import (
    SamplingOptions,
    TrainConfig,
    Trainer,
    build_model,
    filter_logits,
    learning_rate,
    load_model,
    make_generator,
    next_token_loss,
    sample,
    save_checkpoint,
)
from muselab.nn.lstm import LSTMConfig, LSTMLanguageModel
from muselab.nn.transformer import MusicTransformer, TransformerConfig

TINY_T = {"type": "transformer", "vocab_size": 12, "d_model": 32, "n_layers": 2,
          "n_heads": 2, "d_ff": 64, "dropout": 0.0, "max_len": 64}  # fmt: skip
TINY_L = {"type": "lstm", "vocab_size": 12, "d_embed": 16, "d_hidden": 32, "n_layers": 2,
          "dropout": 0.0}  # fmt: skip


def _lm_batches(n: int, seed: int = 0, length: int = 16) -> list[tuple[torch.Tensor, ...]]:
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        start = torch.randint(0, 12, (4, 1), generator=g)
        seq = (start + torch.arange(length + 1)) % 12  # a counting pattern: learnable
        out.append((seq[:, :-1].contiguous(), seq[:, 1:].contiguous()))
    return out


@pytest.mark.parametrize("cfg", [TINY_T, TINY_L], ids=["transformer", "lstm"])
def test_shapes_and_incremental_decoding_match_full_forward(cfg: dict) -> None:
    torch.manual_seed(0)
    model = build_model(cfg).eval()
    x = torch.randint(0, 12, (3, 9))
    full = model(x)
    assert full.shape == (3, 9, 12)
    logits, state = model.step(x[:, :4], None)
    parts = [logits]
    for i in range(4, 9):
        logits, state = model.step(x[:, i : i + 1], state)
        parts.append(logits)
    torch.testing.assert_close(torch.cat(parts, dim=1), full, atol=1e-5, rtol=1e-4)


def test_transformer_is_causal() -> None:
    torch.manual_seed(0)
    model = build_model(TINY_T).eval()
    x = torch.randint(0, 12, (1, 10))
    y = x.clone()
    y[0, 7] = (y[0, 7] + 1) % 12
    torch.testing.assert_close(model(x)[:, :7], model(y)[:, :7])
    assert not torch.allclose(model(x)[:, 7:], model(y)[:, 7:])


def test_bad_hyperparameters_are_clear_errors() -> None:
    with pytest.raises(InvalidInputError, match="even head size"):
        TransformerConfig(vocab_size=10, d_model=30, n_heads=4)
    with pytest.raises(InvalidInputError, match="d_hidden"):
        LSTMConfig(vocab_size=10, d_hidden=0)
    with pytest.raises(InvalidInputError, match="unknown model type 'gru'"):
        build_model({"type": "gru"})
    with pytest.raises(InvalidInputError, match="bad hyper-parameters"):
        build_model({"type": "lstm", "vocab_size": 5, "width": 3})


@pytest.mark.parametrize("cfg", [TINY_T, TINY_L], ids=["transformer", "lstm"])
def test_checkpoint_round_trip(tmp_path, cfg: dict) -> None:
    torch.manual_seed(1)
    model = build_model(cfg)
    save_checkpoint(tmp_path / "ck", model, cfg, extra={"note": "hi"})
    loaded, doc = load_model(tmp_path / "ck")
    assert doc["extra"] == {"note": "hi"} and doc["model"] == cfg
    x = torch.randint(0, 12, (2, 5))
    model.eval()
    torch.testing.assert_close(loaded(x), model(x))
    files = sorted(p.name for p in (tmp_path / "ck").iterdir())
    assert files == ["config.json", "model.safetensors"]


def test_corrupt_checkpoints_are_rejected(tmp_path) -> None:
    model = build_model(TINY_L)
    folder = save_checkpoint(tmp_path / "ck", model, TINY_L)
    doc = json.loads((folder / "config.json").read_text())
    doc["version"] = 99
    (folder / "config.json").write_text(json.dumps(doc))
    with pytest.raises(CorruptFileError, match="version 99"):
        load_model(folder)
    folder = save_checkpoint(tmp_path / "ck2", model, TINY_L)
    (folder / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(CorruptFileError, match="safetensors"):
        load_model(folder)
    folder = save_checkpoint(tmp_path / "ck3", model, {**TINY_L, "d_hidden": 48})
    with pytest.raises(CorruptFileError, match="shape"):
        load_model(folder)
    with pytest.raises(CorruptFileError, match="not a checkpoint folder"):
        load_model(tmp_path / "missing")


def test_train_config_validation_and_json_round_trip() -> None:
    cfg = TrainConfig(epochs=3, lr=1e-3, betas=(0.9, 0.99), max_minutes=2.5, seed=4)
    assert TrainConfig.from_json(cfg.to_json()) == cfg
    with pytest.raises(InvalidInputError, match="lr must be in"):
        TrainConfig(lr=3.0)
    with pytest.raises(InvalidInputError, match=r"unknown key\(s\) \['learning_rate'\]"):
        TrainConfig.from_dict({"learning_rate": 0.1})
    with pytest.raises(InvalidInputError, match="epochs"):
        TrainConfig(epochs=0)


def test_learning_rate_schedule_warms_up_then_decays() -> None:
    cfg = TrainConfig(lr=1e-3, warmup_steps=10, min_lr_ratio=0.1)
    lrs = [learning_rate(cfg, s, 110) for s in range(110)]
    assert lrs[0] == pytest.approx(1e-4) and lrs[9] == pytest.approx(1e-3)
    assert all(a >= b for a, b in itertools.pairwise(lrs[10:]))
    assert lrs[-1] == pytest.approx(1e-4, rel=0.01)


@pytest.mark.parametrize("cfg", [TINY_T, TINY_L], ids=["transformer", "lstm"])
def test_overfits_a_tiny_batch(tmp_path, cfg: dict) -> None:
    torch.manual_seed(0)
    model = build_model(cfg)
    batches = _lm_batches(2)
    before = Trainer(model, TrainConfig(), train=batches, valid=batches, out_dir=tmp_path,
                     model_config=cfg).evaluate()  # fmt: skip
    tc = TrainConfig(epochs=1, lr=2e-2, warmup_steps=5, patience=0, progress=False)
    rep = Trainer(model, tc, train=batches * 50, valid=batches, out_dir=tmp_path,
                  model_config=cfg).fit()  # fmt: skip
    assert before > 2.0  # about log(12) at initialisation
    assert rep.best_valid_loss < 0.05
    assert json.loads((tmp_path / "report.json").read_text())["best_epoch"] == rep.best_epoch


def _resume_trainer(out, *, seed: int = 3, lr: float = 3e-3, fail_at: int | None = None):
    torch.manual_seed(0)
    model = build_model({**TINY_L, "dropout": 0.1})
    calls = [0]

    def loss_fn(m, batch):
        calls[0] += 1
        if fail_at is not None and calls[0] == fail_at:
            raise KeyboardInterrupt  # the run is killed in the middle of epoch 3
        return next_token_loss(m, batch)

    tc = TrainConfig(epochs=4, lr=lr, warmup_steps=2, patience=0, seed=seed, progress=False)
    trainer = Trainer(model, tc, train=_lm_batches(3), valid=_lm_batches(1, seed=9),
                      out_dir=out, model_config=TINY_L, loss_fn=loss_fn)  # fmt: skip
    return trainer, model


def test_training_is_seeded_and_resume_continues_exactly(tmp_path) -> None:
    t, m_full = _resume_trainer(tmp_path / "a")
    full = t.fit()
    again = _resume_trainer(tmp_path / "b")[0].fit()
    assert [h["valid_loss"] for h in full.history] == [h["valid_loss"] for h in again.history]
    other = _resume_trainer(tmp_path / "c", seed=4)[0].fit()
    assert [h["valid_loss"] for h in other.history] != [h["valid_loss"] for h in full.history]
    # 3 train + 1 valid batch per epoch: call 9 is the 1st training batch of epoch 3
    with pytest.raises(KeyboardInterrupt):
        _resume_trainer(tmp_path / "r", fail_at=9)[0].fit()
    t2, m_res = _resume_trainer(tmp_path / "r")
    res = t2.fit(resume=True)
    assert res.epochs_run == 4 and res.steps == full.steps
    assert [h["valid_loss"] for h in res.history] == [h["valid_loss"] for h in full.history]
    for a, b in zip(m_full.parameters(), m_res.parameters(), strict=True):
        torch.testing.assert_close(a, b)
    with pytest.raises(CorruptFileError, match="other settings"):
        _resume_trainer(tmp_path / "r", lr=1e-3)[0].fit(resume=True)


def test_early_stopping_stops(tmp_path) -> None:
    torch.manual_seed(0)
    model = build_model(TINY_L)
    # validation on different data than training: overfitting makes it worse
    tc = TrainConfig(epochs=50, lr=0.05, warmup_steps=0, patience=2, progress=False)
    rng = torch.Generator().manual_seed(0)
    noise = [(torch.randint(0, 12, (4, 8), generator=rng), torch.randint(0, 12, (4, 8),
              generator=rng))]  # fmt: skip
    rep = Trainer(model, tc, train=noise, valid=_lm_batches(1), out_dir=tmp_path,
                  model_config=TINY_L).fit()  # fmt: skip
    assert rep.stopped == "early stopping" and rep.epochs_run < 50
    assert rep.epochs_run == rep.best_epoch + 2


def test_sampling_filters_and_is_seeded() -> None:
    logits = torch.tensor([0.0, 1.0, 2.0, 3.0, 4.0])
    x = filter_logits(logits, SamplingOptions(top_k=2))
    assert torch.isinf(x[:3]).all() and torch.isfinite(x[3:]).all()
    probs = torch.softmax(logits, 0)  # [0.012, 0.032, 0.086, 0.234, 0.636]
    x = filter_logits(logits, SamplingOptions(top_p=0.8))
    assert torch.isfinite(x).tolist() == [False, False, False, True, True]
    assert probs[4] < 0.8
    x = filter_logits(logits, SamplingOptions(top_p=0.5))
    assert torch.isfinite(x).tolist() == [False, False, False, False, True]
    mask = torch.tensor([True, True, False, False, False])
    draws = {int(sample(logits, generator=make_generator(i), mask=mask)) for i in range(40)}
    assert draws == {0, 1}
    a = [int(sample(logits, generator=g)) for g in [make_generator(5)] for _ in range(20)]
    b = [int(sample(logits, generator=g)) for g in [make_generator(5)] for _ in range(20)]
    assert a == b
    batch = sample(torch.zeros(3, 4), SamplingOptions(temperature=0.5), generator=make_generator(1))
    assert batch.shape == (3,)
    with pytest.raises(InvalidInputError, match="top_p"):
        SamplingOptions(top_p=0.0)
    with pytest.raises(InvalidInputError, match="temperature"):
        SamplingOptions(temperature=0)


def test_models_are_plain_modules() -> None:
    assert isinstance(MusicTransformer(TransformerConfig(vocab_size=5, d_model=8, n_heads=2,
                                                          d_ff=8)), torch.nn.Module)  # fmt: skip
    assert isinstance(LSTMLanguageModel(LSTMConfig(vocab_size=5)), torch.nn.Module)


def test_half_precision_weights_are_half_the_size_and_load_as_float32(tmp_path) -> None:
    torch.manual_seed(2)
    model = build_model(TINY_T).eval()
    full = save_checkpoint(tmp_path / "f32", model, TINY_T)
    half = save_checkpoint(tmp_path / "f16", model, TINY_T, weights_dtype="float16")
    s32 = (full / "model.safetensors").stat().st_size
    s16 = (half / "model.safetensors").stat().st_size
    assert s16 < 0.6 * s32
    loaded, _ = load_model(half)
    assert next(loaded.parameters()).dtype == torch.float32
    x = torch.randint(0, 12, (2, 6))
    torch.testing.assert_close(loaded(x), model(x), atol=2e-3, rtol=1e-2)
    with pytest.raises(InvalidInputError, match="weights_dtype"):
        save_checkpoint(tmp_path / "x", model, TINY_T, weights_dtype="int8")
