"""Output heads: each pairs an output function with a loss computed stably from the logits.

All three heads share the gradient ``dL/dZ = (output(Z) - Y) / m``, which is why they are the
canonical pairs (sigmoid + binary cross-entropy, softmax + cross-entropy, linear + half MSE).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from initlab.activations import sigmoid
from initlab.core.registry import Registry

Array = NDArray[np.float64]


def binary_cross_entropy_from_logits(Z: Array, Y: Array) -> float:
    """Mean binary cross-entropy of sigmoid(Z) against Y, finite for any finite logits.

    Uses ``max(z, 0) - z*y + log(1 + exp(-|z|))``, equal to ``-y log a - (1-y) log(1-a)`` for
    ``a = sigmoid(z)`` but free of ``log(0)``: the tutorial's ``inf`` cost comes from that term.

    Parameters
    ----------
    Z : ndarray of shape (1, m)
    Y : ndarray of shape (1, m)
    """
    m = Y.shape[1]
    per = np.maximum(Z, 0.0) - Z * Y + np.log1p(np.exp(-np.abs(Z)))
    return float(np.sum(per) / m)


def softmax(Z: Array) -> Array:
    """Column-wise softmax of logits of shape (n_classes, m)."""
    e: Array = np.exp(Z - Z.max(axis=0, keepdims=True))
    out: Array = e / e.sum(axis=0, keepdims=True)
    return out


def cross_entropy_from_logits(Z: Array, Y: Array) -> float:
    """Mean categorical cross-entropy of softmax(Z) against one-hot Y, via log-sum-exp."""
    m = Y.shape[1]
    shift = Z - Z.max(axis=0, keepdims=True)
    log_p = shift - np.log(np.exp(shift).sum(axis=0, keepdims=True))
    return float(-np.sum(Y * log_p) / m)


def half_mse(Z: Array, Y: Array) -> float:
    """``sum((Z - Y)**2) / (2 m)``: half the squared error per example."""
    m = Y.shape[1]
    return float(np.sum((Z - Y) ** 2) / (2 * m))


@dataclass(frozen=True)
class Head:
    """An output layer: ``output(Z)`` gives predictions, ``loss(Z, Y)`` the cost from logits.

    ``code`` is the key the compiled engines' kernels switch on, set only by :data:`HEADS`'s
    definitions; a head built elsewhere keeps ``None`` and trains in NumPy.
    """

    name: str
    output: Callable[[Array], Array]
    loss: Callable[[Array, Array], float]
    task: str  # "binary", "multiclass" or "regression"
    code: int | None = None


#: Registry of output heads: name -> :class:`Head`.
HEADS = Registry[Head]("output head", instance_of=Head)
for _head in (
    Head("sigmoid", sigmoid, binary_cross_entropy_from_logits, "binary", code=0),
    Head("softmax", softmax, cross_entropy_from_logits, "multiclass", code=1),
    Head("linear", lambda Z: Z, half_mse, "regression", code=2),
):
    HEADS.add_value(_head.name, _head)


def get(name: str | Head) -> Head:
    """Return a head by name; the error lists the valid ones."""
    return HEADS.get(name)


def output_gradient(A: Array, Y: Array) -> Array:
    """``dL/dZ`` for every head: ``(1/m) * (A - Y)``, in the tutorial's operation order."""
    m = Y.shape[1]
    grad: Array = 1.0 / m * (A - Y)
    return grad
