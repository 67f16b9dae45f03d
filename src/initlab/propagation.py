"""Signal propagation at initialization: push a batch through a network and keep every layer.

The tutorial's part 6 (Saito, *Deep Learning from Scratch*, ch. 6) is the smallest case:
Gaussian inputs through ``depth`` bias-free layers of ``width`` units.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import activations as act_mod
from . import initializers as init_mod
from .errors import check_positive_int
from .rng import RNGLike, as_rng

Array = NDArray[np.float64]


def layer_activations(
    init: Any,
    activation: Any,
    depth: int = 5,
    width: int = 100,
    samples: int = 1000,
    rng: RNGLike = None,
    X: Array | None = None,
) -> list[Array]:
    """Activations of each of ``depth`` bias-free layers of ``width`` units.

    Parameters
    ----------
    init : initializer name or callable
        Draws each ``(width, fan_in)`` weight matrix from ``rng``.
    activation : activation name or Activation
    X : ndarray of shape (n_x, samples), optional
        Inputs; by default ``samples`` standard-normal columns of size ``width`` from ``rng``.

    Returns
    -------
    list of ndarray of shape (width, samples)
        ``A[l] = act(W[l] @ A[l-1])``, from the first hidden layer to the last.
    """
    depth = check_positive_int(depth, "depth")
    width = check_positive_int(width, "width")
    samples = check_positive_int(samples, "samples")
    r = as_rng(rng)
    w_init = init_mod.get(init)
    act = act_mod.get(activation)
    A = r.standard_normal((width, samples)) if X is None else np.asarray(X, dtype=np.float64)
    out = []
    for _ in range(depth):
        W = w_init((width, A.shape[0]), r)
        A = act.fn(W @ A)
        out.append(A)
    return out
