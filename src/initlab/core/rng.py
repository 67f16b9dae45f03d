"""Randomness is always passed in: one normaliser for seeds, Generators and legacy RandomStates."""

from __future__ import annotations

from typing import TypeAlias

import numpy as np

from initlab.core.errors import InitlabError

RNG: TypeAlias = np.random.Generator | np.random.RandomState
RNGLike: TypeAlias = RNG | int | np.random.SeedSequence | None


def as_rng(rng: RNGLike) -> RNG:
    """Return a random source from a seed, a ``Generator`` or a legacy ``RandomState``.

    A ``RandomState`` is passed through untouched: it is how the tutorial's ``np.random.seed(3)``
    draws are reproduced without touching numpy's global state. ``None`` gives fresh entropy.
    """
    if isinstance(rng, np.random.Generator | np.random.RandomState):
        return rng
    if rng is None or isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool) and rng >= 0:
        return np.random.default_rng(int(rng))
    raise InitlabError(
        f"rng must be a non-negative int seed, a numpy Generator or a RandomState, got {rng!r}"
    )


def legacy_rng(seed: int) -> np.random.RandomState:
    """A ``RandomState`` equal to what ``np.random.seed(seed)`` gives, without global state."""
    return np.random.RandomState(seed)
