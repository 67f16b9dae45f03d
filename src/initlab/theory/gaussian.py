"""Gaussian moments of activations: ``E[f(h)]`` and ``E[f(u1, u2)]`` for centred Gaussian inputs.

A :class:`Kernel` gives every moment the mean-field theory (:mod:`initlab.theory.meanfield`) needs. Closed
forms cover relu, leaky_relu, identity (linear) and erf; every other activation goes through the
one Gaussian quadrature, :func:`initlab.core.quadrature.gaussian_rule` (composite Gauss-Legendre
with panels that follow both the Gaussian and the activation's kink), here extended to pairs of
correlated inputs (:func:`expect2`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from initlab import activations as act_mod
from initlab.activations import Activation
from initlab.core.quadrature import expect1, gaussian_rule, relu_like_second_moment

__all__ = [
    "ErfKernel", "Kernel", "PiecewiseLinearKernel", "expect1", "expect2", "gaussian_rule", "kernel",
    "relu_like_second_moment", "relu_like_sigma_w2",
]

Array = NDArray[np.float64]

LINEARISE_BELOW = 1e-8  # 1 - c below this: 2-D quadrature of a difference loses all digits
SAT_MARGIN = 0.01  # an output within 0.01 of an asymptote counts as saturated


def expect2(f: Callable[[Array, Array], Array], qa: float, qb: float, omc: float) -> float:
    """``E[f(u1, u2)]`` for centred Gaussians with variances ``qa``, ``qb`` and correlation ``1 - omc``.

    ``u1 = sqrt(qa) z1`` and ``u2 = sqrt(qb) (c z1 + s z2)``: the outer rule follows ``u1``, each
    inner rule follows ``u2`` given ``z1``, so both activations' kinks sit on panel edges.
    """
    c = 1.0 - omc
    s = math.sqrt(max(omc * (2.0 - omc), 0.0))
    ra, rb = math.sqrt(max(qa, 0.0)), math.sqrt(max(qb, 0.0))
    z1, w1 = gaussian_rule(np.zeros(1), np.array([ra]))
    z1, w1 = z1[0], w1[0]
    m = rb * c * z1
    z2, w2 = gaussian_rule(m, np.full_like(m, rb * s))
    vals = f((ra * z1)[:, None], m[:, None] + rb * s * z2)
    return float(np.sum(w1 * np.sum(w2 * vals, axis=1)))


_THRESHOLDS: dict[tuple[str, tuple[tuple[str, float], ...]], tuple[float, float]] = {}


@dataclass(frozen=True)
class Kernel:
    """Gaussian moments of one activation, by adaptive composite quadrature.

    Subclasses override methods with closed forms. ``q`` arguments accept arrays.
    """

    act: Activation
    closed_form: bool = field(default=False)

    def phi(self, h: Array) -> Array:
        return self.act.fn(h)

    def dphi(self, h: Array) -> Array:
        return self.act.deriv(h, self.act.fn(h))

    def mean(self, q: Any) -> Array:
        """``E[phi(h)]``, h ~ N(0, q)."""
        return expect1(self.phi, q)

    def second(self, q: Any) -> Array:
        """``E[phi(h)^2]``."""
        return expect1(lambda h: self.phi(h) ** 2, q)

    def chi(self, q: Any) -> Array:
        """``E[phi'(h)^2]``: times ``sigma_w2`` it is the per-layer gradient-variance factor."""
        # q -> 0+ limit, not phi'(0): a kink at 0 (selu) averages its two slopes.
        qe = np.maximum(np.asarray(q, dtype=np.float64), 1e-300)
        return expect1(lambda h: self.dphi(h) ** 2, qe)

    def slope(self, q: Any) -> Array:
        """``d E[phi(h)^2] / dq = E[h phi phi'] / q`` (Stein), the length map's slope over sigma_w2."""
        qe = np.maximum(np.asarray(q, dtype=np.float64), 1e-16)
        return expect1(lambda h: h * self.phi(h) * self.dphi(h), qe) / qe

    def cross(self, qa: float, qb: float, omc: float) -> float:
        """``E[phi(u1) phi(u2)]`` at variances ``qa``, ``qb`` and correlation ``1 - omc``."""
        return expect2(lambda a, b: self.phi(a) * self.phi(b), qa, qb, omc)

    def dcross(self, qa: float, qb: float, omc: float) -> float:
        """``E[phi'(u1) phi'(u2)]``: the correlation map's slope over ``sigma_w2``."""
        return expect2(lambda a, b: self.dphi(a) * self.dphi(b), qa, qb, omc)

    def dist(self, qa: float, qb: float, omc: float) -> float:
        """``E[(phi(u1) - phi(u2))^2]``, computed without the cancellation of ``E phi^2 - cross``."""
        if omc < LINEARISE_BELOW:
            return self._dist_linear(qa, qb, omc)
        return expect2(lambda a, b: (self.phi(a) - self.phi(b)) ** 2, qa, qb, omc)

    def _dist_linear(self, qa: float, qb: float, omc: float) -> float:
        # D(c) ~= D(1) + 2 sqrt(qa qb) (1 - c) E[phi'(u1) phi'(u2)] at c = 1 (Price's theorem).
        ra, rb = math.sqrt(qa), math.sqrt(qb)
        z, w = gaussian_rule(np.zeros(1), np.array([max(ra, rb)]))
        za, wa = z[0], w[0]
        d0 = np.sum(wa * (self.phi(ra * za) - self.phi(rb * za)) ** 2)
        dd = np.sum(wa * self.dphi(ra * za) * self.dphi(rb * za))
        return float(d0 + 2.0 * ra * rb * omc * dd)

    def zero_share(self, q: Any) -> Array:
        """Probability that ``phi(h)`` is exactly 0 (ReLU's half line; 0 for smooth activations)."""
        qa = np.asarray(q, dtype=np.float64)
        at0 = float(self.phi(np.zeros(1))[0]) == 0.0
        return np.where(qa > 0, 0.0, 1.0 if at0 else 0.0)

    def saturation_thresholds(self) -> tuple[float, float] | None:
        """Pre-activations ``(h_lo, h_hi)`` beyond which the output is within 0.01 of an asymptote."""
        if self.act.limits is None:
            return None
        key = (self.act.name, tuple(sorted(self.act.params.items())))
        if key not in _THRESHOLDS:
            _THRESHOLDS[key] = self._solve_thresholds(self.act.limits)
        return _THRESHOLDS[key]

    def _solve_thresholds(self, limits: tuple[float, float]) -> tuple[float, float]:
        from scipy.optimize import brentq

        lo, hi = limits

        def level(t: float) -> float:
            return float(brentq(lambda h: float(self.phi(np.array([h]))[0]) - t, -60.0, 60.0, xtol=1e-14))

        return level(lo + SAT_MARGIN), level(hi - SAT_MARGIN)

    def saturated_share(self, q: Any) -> Array | None:
        """``P(h < h_lo) + P(h > h_hi)``, h ~ N(0, q); None for activations without asymptotes."""
        th = self.saturation_thresholds()
        if th is None:
            return None
        from scipy.special import ndtr

        sq = np.sqrt(np.maximum(np.asarray(q, dtype=np.float64), 1e-300))
        return np.asarray(ndtr(th[0] / sq) + ndtr(-th[1] / sq), dtype=np.float64)


@dataclass(frozen=True)
class PiecewiseLinearKernel(Kernel):
    """``phi(h) = (1 - a) relu(h) + a h``: relu (a = 0), leaky_relu (a = slope), identity (a = 1)."""

    alpha: float = 0.0

    def mean(self, q: Any) -> Array:
        return (1 - self.alpha) * np.sqrt(np.asarray(q, float) / (2 * math.pi))

    def second(self, q: Any) -> Array:
        return np.asarray(q, float) * relu_like_second_moment(self.alpha)

    def chi(self, q: Any) -> Array:
        return np.full(np.shape(q), relu_like_second_moment(self.alpha))

    def slope(self, q: Any) -> Array:
        return self.chi(q)

    def cross(self, qa: float, qb: float, omc: float) -> float:
        a, c, r = self.alpha, 1.0 - omc, math.sqrt(qa * qb)
        s = math.sqrt(max(omc * (2.0 - omc), 0.0))
        arc = r / (2 * math.pi) * (s + (math.pi - math.acos(max(-1.0, min(1.0, c)))) * c)
        return (1 - a) ** 2 * arc + ((1 - a) * a + a * a) * r * c

    def dcross(self, qa: float, qb: float, omc: float) -> float:
        t = math.asin(max(-1.0, min(1.0, 1.0 - omc))) / (2 * math.pi)
        return (1 + self.alpha**2) * (0.25 + t) + 2 * self.alpha * (0.25 - t)

    def dist(self, qa: float, qb: float, omc: float) -> float:
        if omc < LINEARISE_BELOW:
            return self._dist_linear(qa, qb, omc)
        return float(self.second(qa) + self.second(qb) - 2 * self.cross(qa, qb, omc))

    def _dist_linear(self, qa: float, qb: float, omc: float) -> float:
        k = relu_like_second_moment(self.alpha)
        return k * ((math.sqrt(qa) - math.sqrt(qb)) ** 2 + 2 * math.sqrt(qa * qb) * omc)

    def zero_share(self, q: Any) -> Array:
        qa = np.asarray(q, dtype=np.float64)
        return np.where(qa > 0, 0.5 if self.alpha == 0 else 0.0, 1.0)


@dataclass(frozen=True)
class ErfKernel(Kernel):
    """``phi = erf``: every moment in closed form (Williams 1997)."""

    def mean(self, q: Any) -> Array:
        return np.zeros(np.shape(q))

    def second(self, q: Any) -> Array:
        q = np.asarray(q, float)
        return np.asarray((2 / math.pi) * np.arcsin(2 * q / (1 + 2 * q)), dtype=np.float64)

    def chi(self, q: Any) -> Array:
        return np.asarray((4 / math.pi) / np.sqrt(1 + 4 * np.asarray(q, float)), dtype=np.float64)

    def slope(self, q: Any) -> Array:
        q = np.asarray(q, float)
        return np.asarray(4 / (math.pi * (1 + 2 * q) * np.sqrt(1 + 4 * q)), dtype=np.float64)

    def cross(self, qa: float, qb: float, omc: float) -> float:
        rho = math.sqrt(qa * qb) * (1.0 - omc)
        return (2 / math.pi) * math.asin(2 * rho / math.sqrt((1 + 2 * qa) * (1 + 2 * qb)))

    def dcross(self, qa: float, qb: float, omc: float) -> float:
        rho = math.sqrt(qa * qb) * (1.0 - omc)
        return (4 / math.pi) / math.sqrt((1 + 2 * qa) * (1 + 2 * qb) - 4 * rho * rho)

    def dist(self, qa: float, qb: float, omc: float) -> float:
        if omc < LINEARISE_BELOW:
            return self._dist_linear(qa, qb, omc)
        return float(self.second(qa) + self.second(qb) - 2 * self.cross(qa, qb, omc))

    def saturation_thresholds(self) -> tuple[float, float]:
        from scipy.special import erfinv

        h = float(erfinv(1.0 - SAT_MARGIN))
        return -h, h


def relu_like_sigma_w2(alpha: float) -> float:
    """``2 / (1 + alpha^2)``: the critical ``sigma_w2`` of relu-like activations, He's variance.

    ``phi(h) = (1 - alpha) relu(h) + alpha h`` keeps the signal length exactly at this
    ``sigma_w2`` (``chi_1 = 1`` for every ``q``): 2 for relu, ``2 / (1 + a^2)`` for leaky relu.
    """
    return 1.0 / relu_like_second_moment(alpha)


def kernel(activation: str | Activation, quadrature: bool = False) -> Kernel:
    """The :class:`Kernel` of an activation; ``quadrature=True`` skips the closed forms (for tests)."""
    act = act_mod.get(activation)
    if quadrature:
        return Kernel(act)
    if act.name == "relu":
        return PiecewiseLinearKernel(act, True, 0.0)
    if act.name == "leaky_relu":
        return PiecewiseLinearKernel(act, True, float(act.params["negative_slope"]))
    if act.name == "identity":
        return PiecewiseLinearKernel(act, True, 1.0)
    if act.name == "erf":
        return ErfKernel(act, True)
    return Kernel(act)
