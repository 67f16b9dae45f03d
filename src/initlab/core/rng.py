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


#: ``np.random.seed`` takes 32-bit seeds only.
LEGACY_SEED_MAX = 2**32 - 1


def legacy_rng(seed: int) -> np.random.RandomState:
    """A ``RandomState`` equal to what ``np.random.seed(seed)`` gives, without global state.

    Raises
    ------
    InitlabError
        If ``seed`` is not an integer in ``0 .. 2**32 - 1`` (the legacy generator's range).
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not (
        0 <= seed <= LEGACY_SEED_MAX
    ):
        raise InitlabError(
            f"a legacy (np.random.seed) seed must be an integer in 0..{LEGACY_SEED_MAX}, "
            f"got {seed!r}"
        )
    return np.random.RandomState(int(seed))
