"""Training the chorale models through the generic Trainer, on synthetic chorales."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from muselab.errors import InvalidInputError
from muselab.nn.checkpoint import load_model
from muselab.nn.chorale_train import frame_nll, load_spec, train_chorale


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def _cadences(n: int, shift: int) -> list[list[list[int]]]:
    base = [[48, 55, 64, 72], [53, 57, 65, 72], [55, 59, 62, 71], [48, 55, 64, 72]]
    return [[[p + shift + k % 3 for p in f] for f in base * 2] for k in range(n)]


def test_train_select_and_report(tmp_path: Path) -> None:
    data = {"train": _cadences(6, 0), "valid": _cadences(2, 2), "test": _cadences(2, -2)}
    spec = {
        "output": {"dir": str(tmp_path / "run")},
        "data": {"encoding": "jsb-chorale", "transpose": 2, "batch_size": 3, "mixture_shifts": 1},
        "model": {
            "type": "chorale-frame-transformer",
            "d_model": 32,
            "n_layers": 1,
            "n_heads": 2,
            "d_ff": 64,
            "token_ff": 64,
            "dropout": 0.0,
        },
        "train": {"epochs": 4, "lr": 3e-3, "warmup_steps": 2, "progress": False},
    }
    report = train_chorale(spec, data=data)
    assert (
        report.epochs_run == 4
        and report.history[-1]["valid_loss"] < report.history[0]["valid_loss"]
    )
    model, doc = load_model(tmp_path / "run")
    res = doc["extra"]["results"]
    assert res["test_nll"] == pytest.approx(frame_nll(model, data["test"]), abs=1e-3)
    assert res["valid_nll"] == pytest.approx(report.best_valid_loss, abs=1e-3)
    assert doc["extra"]["train_spec"]["model"]["type"] == "chorale-frame-transformer"
    assert res["mixture_shifts"] == [-1, 0, 1] and res["test_nll_mixture"] > 0
    assert res["train_cpu_seconds"] > 0 and res["epochs_run"] == 4


def test_bad_configs_are_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="unknown \\[data\\] key"):
        load_spec({"data": {"transpos": 3}})
    with pytest.raises(InvalidInputError, match="d_modle"):
        load_spec({"model": {"d_modle": 3}})
    with pytest.raises(InvalidInputError, match="encoding must be"):
        load_spec({"data": {"encoding": "folk"}})
    with pytest.raises(InvalidInputError, match="does not exist"):
        load_spec(tmp_path / "nope.toml")
    cfg = tmp_path / "x.toml"
    cfg.write_text(
        '[data]\nencoding = "jsb-chorale"\n[model]\n[output]\ndir = "x"\n[train]\nepochs = 2\n'
    )
    assert load_spec(cfg).train.epochs == 2
