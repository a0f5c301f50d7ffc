"""Training recipes: a config file (data, encoding, model, optimiser, seed) -> a trained checkpoint.

A config is a JSON or TOML document with four sections::

    [data]      encoding = "folk"  and the recipe's data settings
    [model]     type = "transformer" | "lstm" | ...  and hyper-parameters
    [train]     the fields of :class:`~muselab.nn.training.TrainConfig` (lr, epochs, seed, ...)
    [output]    dir = folder of the best checkpoint; state_dir = resumable state
                (default <dir>/resume); report = report.json path (default <dir>/report.json);
                weights_dtype = "float16" stores the shipped weights in half the space

Relative paths are taken from the current directory.  ``data.encoding`` names a recipe:
a module with ``prepare(data, model, seed) -> TrainingJob`` registered here
(``"folk"`` -> :mod:`muselab.generate.folk_data`), or with its own
``run(doc, resume=...) -> TrainReport`` (``"vae"`` -> :mod:`muselab.nn.vae`, ``"gan"`` ->
:mod:`muselab.nn.gan`).  Other encodings register theirs with
:func:`register_recipe` (module path inside ``muselab``).

Examples
--------
>>> doc = load_config_file("configs/folk-transformer.toml")  # doctest: +SKIP
>>> report = run_config(doc, resume=True)  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from muselab.errors import CorruptFileError, InvalidInputError
from muselab.nn.training import (
    Batch,
    BatchSource,
    LossFn,
    TrainConfig,
    Trainer,
    TrainReport,
    next_token_loss,
)

__all__ = [
    "TrainingJob",
    "available_recipes",
    "load_config_file",
    "register_recipe",
    "run_config",
]

_RECIPES: dict[str, str] = {
    "folk": "muselab.generate.folk_data",
    "vae": "muselab.nn.vae",  # folk melody VAE (its own run(): attribute vectors after training)
    "gan": "muselab.nn.gan",  # bar GAN (its own run(): an adversarial loop)
    "jsb-chorale": "muselab.nn.chorale_train",  # JSB chorale models (its own run(): test NLL)
}
_SECTIONS = ("data", "model", "train", "output")


@dataclass
class TrainingJob:
    """What a recipe hands the trainer: a fresh model and its data."""

    model: torch.nn.Module
    model_config: dict[str, Any]
    train: BatchSource
    valid: list[Batch]
    extra: dict[str, Any] = field(default_factory=dict)
    loss_fn: LossFn = next_token_loss


def register_recipe(encoding: str, module: str) -> None:
    """Make ``data.encoding = encoding`` use ``module.prepare`` (a module inside muselab)."""
    if not module.startswith("muselab."):
        raise InvalidInputError(f"recipe module must be inside muselab, got {module!r}")
    _RECIPES[encoding] = module


def available_recipes() -> list[str]:
    """Encodings ``muselab train`` knows."""
    return sorted(_RECIPES)


def load_config_file(path: str | Path) -> dict[str, Any]:
    """Read a training config (``.toml`` or ``.json``) and check its sections.

    Raises
    ------
    InvalidInputError
        Missing file, unknown extension, unknown or missing sections.
    CorruptFileError
        The file does not parse.
    """
    p = Path(path)
    if not p.is_file():
        raise InvalidInputError(f"training config {str(p)!r} does not exist")
    text = p.read_text(encoding="utf-8")
    try:
        if p.suffix.lower() == ".toml":
            doc: Any = tomllib.loads(text)
        elif p.suffix.lower() == ".json":
            doc = json.loads(text)
        else:
            raise InvalidInputError(f"training config must be .toml or .json, got {str(p)!r}")
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise CorruptFileError(f"cannot parse training config {str(p)!r}: {exc}") from exc
    if not isinstance(doc, dict):
        raise InvalidInputError(f"training config {str(p)!r} must be a table/object")
    unknown = sorted(set(doc) - set(_SECTIONS))
    missing = [s for s in ("data", "model", "output") if s not in doc]
    if unknown or missing:
        raise InvalidInputError(
            f"training config {str(p)!r}: unknown sections {unknown}, missing {missing}; "
            f"expected [data], [model], [train], [output]"
        )
    return doc


def run_config(doc: Mapping[str, Any], *, resume: bool = False) -> TrainReport:
    """Prepare the recipe of ``doc["data"]["encoding"]`` and train; return the report."""
    data = dict(doc["data"])
    encoding = data.get("encoding")
    if encoding not in _RECIPES:
        raise InvalidInputError(
            f"unknown data.encoding {encoding!r}; choose one of {', '.join(available_recipes())}"
        )
    if hasattr(importlib.import_module(_RECIPES[str(encoding)]), "run"):
        # A recipe with its own training loop reads all four sections itself.
        report: TrainReport = importlib.import_module(_RECIPES[str(encoding)]).run(
            doc, resume=resume
        )
        return report
    train_cfg = TrainConfig.from_dict(doc.get("train", {}))
    out = dict(doc["output"])
    if "dir" not in out:
        raise InvalidInputError("training config needs output.dir (the checkpoint folder)")
    unknown = sorted(set(out) - {"dir", "state_dir", "report", "weights_dtype"})
    if unknown:
        raise InvalidInputError(
            f"output: unknown key(s) {unknown}; known: dir, state_dir, report, weights_dtype"
        )
    recipe = importlib.import_module(_RECIPES[str(encoding)])
    old = torch.get_num_threads()
    torch.set_num_threads(train_cfg.num_threads)
    try:
        job: TrainingJob = recipe.prepare(data, dict(doc["model"]), train_cfg.seed)
    finally:
        torch.set_num_threads(old)
    extra = {**job.extra, "train": train_cfg.to_dict()}
    trainer = Trainer(
        job.model,
        train_cfg,
        train=job.train,
        valid=job.valid,
        out_dir=out["dir"],
        model_config=job.model_config,
        loss_fn=job.loss_fn,
        extra=extra,
        state_dir=out.get("state_dir"),
        report_path=out.get("report"),
        weights_dtype=str(out.get("weights_dtype", "float32")),
    )
    return trainer.fit(resume=resume)
