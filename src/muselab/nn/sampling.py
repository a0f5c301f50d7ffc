"""Sampling the next token from logits: temperature, top-k, nucleus (top-p), masks, seeds.

All functions work on a vector ``[V]`` or a batch ``[B, V]`` of logits and draw with a
:class:`torch.Generator`, so a seed fixes the result independently of the global RNG.

Examples
--------
>>> import torch
>>> gen = make_generator(7)
>>> opts = SamplingOptions(temperature=0.9, top_k=20, top_p=0.95)
>>> tok = sample(torch.randn(100), opts, generator=gen)
>>> 0 <= int(tok) < 100
True

References
----------
.. [1] A. Fan, M. Lewis, Y. Dauphin, "Hierarchical neural story generation", ACL 2018 (top-k).
.. [2] A. Holtzman et al., "The curious case of neural text degeneration", ICLR 2020 (top-p).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch

from muselab.errors import InvalidInputError

__all__ = ["SamplingOptions", "filter_logits", "make_generator", "sample"]


@dataclass(frozen=True, slots=True)
class SamplingOptions:
    """How to turn logits into a token.

    Parameters
    ----------
    temperature : float
        Divides the logits (0.05..5; < 1 sharper, > 1 flatter).
    top_k : int or None
        Keep the ``k`` most likely tokens (None or 0: all).
    top_p : float or None
        Keep the smallest set of most likely tokens whose probability reaches ``p``
        (0 < p <= 1; None or 1: all).
    """

    temperature: float = 1.0
    top_k: int | None = None
    top_p: float | None = None

    def __post_init__(self) -> None:
        t = self.temperature
        if isinstance(t, bool) or not isinstance(t, int | float) or not 0.05 <= t <= 5.0:
            raise InvalidInputError(f"temperature must be 0.05..5, got {t!r}")
        k = self.top_k
        if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 0):
            raise InvalidInputError(f"top_k must be a non-negative integer or None, got {k!r}")
        p = self.top_p
        if p is not None and (
            isinstance(p, bool) or not isinstance(p, int | float) or not 0.0 < p <= 1.0
        ):
            raise InvalidInputError(f"top_p must be in (0, 1] or None, got {p!r}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def make_generator(seed: int | None) -> torch.Generator:
    """A CPU :class:`torch.Generator` seeded with ``seed`` (a random seed when None)."""
    gen = torch.Generator(device="cpu")
    if seed is None:
        gen.seed()
    else:
        gen.manual_seed(int(seed))
    return gen


def filter_logits(
    logits: torch.Tensor,
    options: SamplingOptions,
    *,
    mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """Scaled logits with the tokens that top-k, top-p or ``mask`` exclude set to ``-inf``.

    Parameters
    ----------
    logits : torch.Tensor [shape=(V,) or (B, V)]
    options : SamplingOptions
    mask : torch.Tensor [shape like logits, dtype=bool], optional
        True where a token is allowed (e.g. by the grammar of a token encoding).  When it
        excludes everything the logits are left unmasked rather than producing NaN.

    Returns
    -------
    torch.Tensor, same shape, float32
    """
    x = logits.detach().float() / float(options.temperature)
    if mask is not None:
        m = mask.to(torch.bool)
        any_ok = m.any(dim=-1, keepdim=True)
        x = torch.where(m | ~any_ok, x, torch.full_like(x, float("-inf")))
    k = options.top_k
    if k and k < x.shape[-1]:
        kth = torch.topk(x, k, dim=-1).values[..., -1:]
        x = torch.where(x < kth, torch.full_like(x, float("-inf")), x)
    p = options.top_p
    if p is not None and p < 1.0:
        sorted_x, order = torch.sort(x, dim=-1, descending=True)
        probs = torch.softmax(sorted_x, dim=-1)
        before = torch.cumsum(probs, dim=-1) - probs  # mass of the more likely tokens
        drop_sorted = before >= p
        drop_sorted[..., 0] = False  # always keep the most likely token
        drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
        x = x.masked_fill(drop, float("-inf"))
    return x


def sample(
    logits: torch.Tensor,
    options: SamplingOptions | None = None,
    *,
    generator: torch.Generator | None = None,
    mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """Draw one token per row of ``logits`` (see :func:`filter_logits` for the options).

    Returns
    -------
    torch.Tensor [shape=() for a vector input, (B,) for a batch], dtype=int64
    """
    x = filter_logits(logits, options or SamplingOptions(), mask=mask)
    probs = torch.softmax(x, dim=-1)
    if probs.dim() == 1:
        return torch.multinomial(probs, 1, generator=generator)[0]
    return torch.multinomial(probs, 1, generator=generator)[:, 0]
