"""Gaussian expectations ``E[f(m + sigma Z)]``, Z ~ N(0, 1), by one composite quadrature.

The one rule for every Gaussian moment in initlab: derived gains (``1 / E[f(z)^2]``,
:mod:`initlab.initializers.laws`) and the mean-field moments (:mod:`initlab.theory.gaussian`). It
is a composite Gauss-Legendre rule whose panels follow both the Gaussian (unit width in ``z``) and
the integrand (unit width in ``h`` around 0, with a break at the kink ``h = 0``), so steep cases
such as ``tanh(10 z)`` stay exact where Gauss-Hermite fails by several percent. The
piecewise-linear family has a closed form, :func:`relu_like_second_moment`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Fn = Callable[[Array], Array]

Z_MAX = 8.5  # the Gaussian mass beyond |z| = 8.5 is below 2e-17
H_ZONE = 8.0  # activations bend within |h| < 8; outside they are flat or linear to 1e-6
GL_NODES = 8
_GX, _GW = np.polynomial.legendre.leggauss(GL_NODES)
_ZBASE = np.linspace(-Z_MAX, Z_MAX, 18)
_HBASE = np.arange(-H_ZONE, H_ZONE + 0.5, 1.0)
_SQ2PI = math.sqrt(2.0 * math.pi)


def gaussian_rule(m: Array, sigma: Array) -> tuple[Array, Array]:
    """Nodes ``z`` and weights ``w`` with ``sum(w * f(m + sigma * z)) ~= E[f(m + sigma Z)]``, Z ~ N(0,1).

    Parameters
    ----------
    m, sigma : ndarray of shape (R,)
        One rule per row; ``sigma == 0`` gives the point mass at ``m``.

    Returns
    -------
    z, w : ndarray of shape (R, K)
    """
    m, s = np.broadcast_arrays(np.atleast_1d(np.asarray(m, float)), np.atleast_1d(np.asarray(sigma, float)))
    point = s < 1e-280
    s_safe = np.where(point, 1.0, s)
    zk = np.clip((_HBASE[None, :] - m[:, None]) / s_safe[:, None], -Z_MAX, Z_MAX)
    base = np.broadcast_to(_ZBASE, (m.size, _ZBASE.size))
    br = np.sort(np.concatenate([base, zk], axis=1), axis=1)
    half = 0.5 * (br[:, 1:] - br[:, :-1])
    z = (0.5 * (br[:, 1:] + br[:, :-1]))[..., None] + half[..., None] * _GX
    w = np.exp(-0.5 * z * z)
    w *= half[..., None] * (_GW / _SQ2PI)
    z, w = z.reshape(m.size, -1), w.reshape(m.size, -1)
    if point.any():
        z[point] = 0.0
        w[point] = 0.0
        w[point, 0] = 1.0
    return z, w


def expect1(f: Fn, q: Any) -> Array:
    """``E[f(sqrt(q) z)]`` for each variance in ``q`` (any shape), z ~ N(0, 1)."""
    qa = np.asarray(q, dtype=np.float64)
    flat = qa.reshape(-1)
    sq = np.sqrt(np.maximum(flat, 0.0))
    z, w = gaussian_rule(np.zeros_like(sq), sq)
    out: Array = np.sum(w * f(sq[:, None] * z), axis=1)
    return out.reshape(qa.shape)


def relu_like_second_moment(alpha: float) -> float:
    """``E[phi(z)^2] = (1 + alpha^2) / 2`` for ``phi(h) = (1 - alpha) relu(h) + alpha h``, z ~ N(0, 1).

    relu (alpha = 0) gives 1/2, leaky relu (alpha = slope) ``(1 + a^2) / 2``, identity 1. Its
    inverse is He's variance ``2 / (1 + a^2)`` and the critical ``sigma_w2`` of the family.
    """
    return (1.0 + alpha * alpha) / 2.0
