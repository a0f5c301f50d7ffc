"""Composition: generators behind one :class:`Generator` protocol.

>>> from muselab.generate import compose, ComposeOptions
>>> score = compose("rules", ComposeOptions(bars=8, key="D major", seed=1))  # doctest: +SKIP
"""

from __future__ import annotations

from muselab.core import Score
from muselab.generate.base import ComposeOptions, Generator, TrainableGenerator
from muselab.generate.registry import DEFAULT_GENERATOR, available_generators, get_generator

__all__ = [
    "DEFAULT_GENERATOR",
    "ComposeOptions",
    "Generator",
    "TrainableGenerator",
    "available_generators",
    "compose",
    "get_generator",
]


def compose(generator: str = DEFAULT_GENERATOR, options: ComposeOptions | None = None) -> Score:
    """Compose one piece with the named generator.

    Parameters
    ----------
    generator : str
        One of :func:`available_generators` (default: the shipped Markov folk model).
    options : ComposeOptions, optional
        Length, key, meter, tempo, style, seed, temperature.

    Returns
    -------
    Score
    """
    return get_generator(generator).generate(options or ComposeOptions())
