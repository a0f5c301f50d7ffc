"""The audio data model: :class:`Audio`, samples plus a sample rate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from muselab.errors import InvalidInputError

__all__ = ["Audio"]


@dataclass(frozen=True, slots=True, eq=False)
class Audio:
    """Sampled audio.

    Parameters
    ----------
    samples : np.ndarray [shape=(n,) or (n, channels)], float32 in -1..1
    sample_rate : int
        Samples per second per channel, 1000..384000.

    Examples
    --------
    >>> import numpy as np
    >>> a = Audio(np.zeros(44100, dtype=np.float32), 44100)
    >>> a.duration
    1.0
    """

    samples: NDArray[np.float32]
    sample_rate: int

    def __post_init__(self) -> None:
        if not isinstance(self.samples, np.ndarray):
            raise InvalidInputError(
                f"samples must be a NumPy array, got {type(self.samples).__name__}"
            )
        if self.samples.ndim not in (1, 2):
            raise InvalidInputError(
                f"samples must have shape (n,) or (n, channels), got shape {self.samples.shape}"
            )
        if not np.issubdtype(self.samples.dtype, np.floating):
            raise InvalidInputError(
                f"samples must be floating point, got dtype {self.samples.dtype}"
            )
        if isinstance(self.sample_rate, bool) or not isinstance(self.sample_rate, int | np.integer):
            raise InvalidInputError(f"sample_rate must be an integer, got {self.sample_rate!r}")
        if not 1000 <= int(self.sample_rate) <= 384000:
            raise InvalidInputError(f"sample_rate must be 1000..384000 Hz, got {self.sample_rate}")
        if self.samples.size and not np.all(np.isfinite(self.samples)):
            raise InvalidInputError("samples contain NaN or infinity")

    @property
    def n_channels(self) -> int:
        return 1 if self.samples.ndim == 1 else int(self.samples.shape[1])

    @property
    def n_samples(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.n_samples / self.sample_rate

    def to_mono(self) -> Audio:
        """Average of the channels (a no-op for mono audio)."""
        if self.samples.ndim == 1:
            return self
        return Audio(self.samples.mean(axis=1).astype(np.float32), self.sample_rate)

    def rms_db(self) -> float:
        """Root-mean-square level in dBFS (-inf for silence)."""
        if self.samples.size == 0:
            return float("-inf")
        rms = float(np.sqrt(np.mean(np.square(self.samples, dtype=np.float64))))
        return 20.0 * np.log10(rms) if rms > 0 else float("-inf")
