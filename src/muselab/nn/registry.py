"""Architectures by name, so a checkpoint's ``config["model"]`` rebuilds its module.

A model config is a JSON object ``{"type": NAME, ...hyper-parameters}``.  Each
architecture registers a factory taking the hyper-parameters as keyword arguments::

    register_model("transformer", lambda **kw: MusicTransformer(TransformerConfig(**kw)))

The built-in ones (``"transformer"``, ``"lstm"``) register themselves when this module is
imported; other modules (e.g. the chorale models) call :func:`register_model` at import and
name that module in ``config["model"]["module"]`` so :func:`build_model` can import it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

import torch

from muselab.errors import InvalidInputError

__all__ = ["available_models", "build_model", "register_model"]

_FACTORIES: dict[str, Callable[..., torch.nn.Module]] = {}
_BUILTIN = {"transformer": "muselab.nn.transformer", "lstm": "muselab.nn.lstm"}


def register_model(name: str, factory: Callable[..., torch.nn.Module]) -> None:
    """Make architecture ``name`` buildable from a config (re-registering replaces it)."""
    if not name or not isinstance(name, str):
        raise InvalidInputError(f"model name must be a non-empty string, got {name!r}")
    _FACTORIES[name] = factory


def available_models() -> list[str]:
    """Registered architecture names (built-ins included)."""
    return sorted(set(_FACTORIES) | set(_BUILTIN))


def build_model(config: Mapping[str, Any]) -> torch.nn.Module:
    """A freshly initialised module for ``config`` (``{"type": ..., "module": optional, ...}``).

    Raises
    ------
    InvalidInputError
        Unknown type or bad hyper-parameters.
    """
    cfg = dict(config)
    name = cfg.pop("type", None)
    module = cfg.pop("module", None) or _BUILTIN.get(str(name))
    if name not in _FACTORIES and module:
        if not str(module).startswith("muselab."):
            raise InvalidInputError(f"model module must be inside muselab, got {module!r}")
        try:
            importlib.import_module(str(module))
        except ImportError as exc:
            raise InvalidInputError(f"cannot import model module {module!r}: {exc}") from exc
    if name not in _FACTORIES:
        raise InvalidInputError(
            f"unknown model type {name!r}; choose one of {', '.join(available_models())}"
        )
    try:
        return _FACTORIES[str(name)](**cfg)
    except TypeError as exc:
        raise InvalidInputError(f"bad hyper-parameters for model {name!r}: {exc}") from exc
