"""Mean-field theory of signal propagation at initialization (Poole et al. 2016, Schoenholz et al. 2017).

A fully connected layer with weights ``N(0, sigma_w2 / fan_in)`` and biases ``N(0, sigma_b2)`` maps the
pre-activation variance ``q`` of an input through the **length map**
``q' = sigma_w2 * E[phi(sqrt(q) z)^2] + sigma_b2`` and the correlation of two inputs through the
**correlation map**. This module gives both maps, the fixed point ``q*``, ``chi_1``, the phase, the
depth scales ``xi_q`` and ``xi_c`` (:func:`analyze`), the critical ``sigma_w2``
(:func:`critical_sigma_w2`), and per-layer predictions for a finite input batch
(:func:`predict_layers`, from :mod:`initlab.theory.batch`). Gaussian moments come from
:mod:`initlab.theory.gaussian`.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from initlab import activations as act_mod
from initlab.activations import Activation
from initlab.core.errors import check_positive_float
from initlab.theory.batch import BatchSummary, predict_layers
from initlab.theory.gaussian import (
    Kernel,
    PiecewiseLinearKernel,
    kernel,
    relu_like_second_moment,
    relu_like_sigma_w2,
)

__all__ = [
    "Analysis", "BatchSummary", "Critical", "FixedPoint", "Kernel", "analyze", "correlation_map",
    "critical_sigma_w2", "fixed_point", "kernel", "length_map", "phase_grid", "predict_layers",
]

Array = NDArray[np.float64]
PHASE_TOL = 1e-9


# --------------------------------------------------------------------------- maps and fixed points


def length_map(k: Kernel, q: Any, sigma_w2: float, sigma_b2: float) -> Array:
    """``q' = sigma_w2 E[phi(sqrt(q) z)^2] + sigma_b2``."""
    return sigma_w2 * k.second(q) + sigma_b2


def correlation_map(k: Kernel, c: float, q: float, sigma_w2: float, sigma_b2: float) -> float:
    """``c' = (sigma_w2 E[phi(u1) phi(u2)] + sigma_b2) / q'`` for two inputs of equal length ``q``."""
    qn = float(length_map(k, q, sigma_w2, sigma_b2))
    return 1.0 - sigma_w2 * k.dist(q, q, 1.0 - c) / (2.0 * qn) if qn > 0 else 1.0


@dataclass(frozen=True)
class FixedPoint:
    """The attracting fixed point of the length map.

    ``status`` is ``"converged"``, ``"no_fixed_point"`` (q grows without bound) or
    ``"not_converged"``, or ``"marginal"`` (every q is fixed: ReLU at He, linear at 1);
    ``q_star`` is None unless converged.
    """

    q_star: float | None
    status: str
    note: str = ""


def fixed_point(k: Kernel, sigma_w2: float, sigma_b2: float, q0: float = 1.0) -> FixedPoint:
    """Solve ``q = length_map(q)`` for the fixed point that iterating from ``q0`` approaches.

    A short iteration finds the basin; a bracketed root solve (where ``q' - q`` turns from + to -,
    the stable crossing) then gives ``q*`` to machine precision even near criticality, where plain
    iteration creeps.
    """
    if isinstance(k, PiecewiseLinearKernel):
        return _fixed_point_linear(k, sigma_w2, sigma_b2)
    q = max(float(q0), 1e-12)
    for _ in range(30):
        qn = float(length_map(k, q, sigma_w2, sigma_b2))
        if not math.isfinite(qn) or qn > 1e15:
            return FixedPoint(None, "no_fixed_point", "q grows without bound under the length map")
        q = max(qn, 1e-300)
    return _bracket_fixed_point(k, sigma_w2, sigma_b2, q)


def _bracket_fixed_point(k: Kernel, sigma_w2: float, sigma_b2: float, q: float) -> FixedPoint:
    from scipy.optimize import brentq

    def g(x: float) -> float:
        return float(length_map(k, x, sigma_w2, sigma_b2)) - x

    lo, hi = q, q
    while g(lo) <= 0:
        lo /= 4.0 if lo > 1e-6 * q else 1e6
        if lo < 1e-200:
            at0 = float(k.phi(np.zeros(1))[0]) == 0.0
            if sigma_b2 == 0.0 and at0:
                return FixedPoint(0.0, "converged", "q* = 0: the signal dies out")
            return FixedPoint(None, "not_converged", "no stable crossing of the length map found")
    while g(hi) >= 0:
        hi *= 4.0
        if hi > 1e15:
            return FixedPoint(None, "no_fixed_point", "q grows without bound under the length map")
    return FixedPoint(float(brentq(g, lo, hi, xtol=1e-300, rtol=1e-15, maxiter=500)), "converged")


def _fixed_point_linear(k: PiecewiseLinearKernel, sigma_w2: float, sigma_b2: float) -> FixedPoint:
    # q' = a q + sigma_b2 with a = sigma_w2 (1 + alpha^2) / 2: the fixed point is explicit.
    a = sigma_w2 * relu_like_second_moment(k.alpha)
    if a < 1.0:
        return FixedPoint(sigma_b2 / (1.0 - a), "converged")
    if a == 1.0 and sigma_b2 == 0.0:
        return FixedPoint(None, "marginal", "every q is a fixed point: q keeps its input value")
    why = "grows by sigma_b2 per layer" if a == 1.0 else f"grows by x{a:.6g} per layer"
    return FixedPoint(None, "no_fixed_point", f"no finite fixed point: q {why}")


def correlation_fixed_point(
    k: Kernel, q_star: float, sigma_w2: float, sigma_b2: float, eps: float = 1e-6
) -> tuple[float | None, str]:
    """The attracting correlation ``c*`` in the chaotic phase (where ``c = 1`` is unstable).

    Solves ``F(1 - c) = 1 - c'(c) - (1 - c) = 0`` on ``1 - c`` in ``[eps, 1]``: ``F(1) <= 0`` always
    (``c* >= 0``), and ``F(eps) > 0`` when ``c = 1`` repels. Returns ``(c_star, status)``; status
    ``"not_converged"`` (c_star None) when no bracket exists, as happens at the edge of chaos.
    """
    from scipy.optimize import brentq

    def F(omc: float) -> float:
        return sigma_w2 * k.dist(q_star, q_star, omc) / (2.0 * q_star) - omc

    hi = F(1.0)
    if abs(hi) <= 1e-13:
        return 0.0, "converged"
    if F(eps) <= 0.0 or hi > 0.0:
        return None, "not_converged"
    return 1.0 - float(brentq(F, eps, 1.0, xtol=1e-12, rtol=1e-10)), "converged"


@dataclass
class Analysis:
    """Fixed point, chi_1, phase and depth scales at one ``(sigma_w2, sigma_b2)``.

    ``xi_q`` / ``xi_c`` are None where they are infinite (critical) or undefined; ``notes`` says which.
    """

    activation: str
    sigma_w2: float
    sigma_b2: float
    q_star: float | None
    chi_1: float | None
    phase: str
    xi_q: float | None
    xi_c: float | None
    c_star: float | None
    status: str
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with keys ``q_star``, ``chi_1``, ``xi_q``, ``xi_c``, ``phase``, ..."""
        return dict(self.__dict__)


def _depth(rate: float | None) -> float | None:
    """``-1 / log(rate)`` for a contraction rate in (0, 1); None (infinite) otherwise."""
    if rate is None or not 0.0 < rate < 1.0 - PHASE_TOL:
        return None
    return -1.0 / math.log(rate)


def phase_of(chi_1: float) -> str:
    """``"ordered"`` (chi_1 < 1), ``"critical"`` (= 1 within 1e-9) or ``"chaotic"``."""
    if abs(chi_1 - 1.0) <= PHASE_TOL:
        return "critical"
    return "ordered" if chi_1 < 1.0 else "chaotic"


def check_sigmas(sigma_w2: Any, sigma_b2: Any) -> tuple[float, float]:
    """Validate ``sigma_w2 > 0`` and ``sigma_b2 >= 0``."""
    return (
        check_positive_float(sigma_w2, "sigma_w2"),
        check_positive_float(sigma_b2, "sigma_b2", allow_zero=True),
    )


def analyze(activation: str | Activation, sigma_w2: float, sigma_b2: float = 0.0) -> Analysis:
    """q*, chi_1, phase, xi_q and xi_c of a deep network at ``(sigma_w2, sigma_b2)``."""
    sw2, sb2 = check_sigmas(sigma_w2, sigma_b2)
    k = kernel(activation)
    fp = fixed_point(k, sw2, sb2)
    name = k.act.name
    if fp.q_star is None:
        chi = sw2 * float(k.chi(1.0)) if isinstance(k, PiecewiseLinearKernel) else None
        phase = {"no_fixed_point": "unbounded", "marginal": "critical"}.get(fp.status, "unknown")
        notes = [fp.note, *(["xi_q and xi_c are infinite"] if phase == "critical" else [])]
        return Analysis(name, sw2, sb2, None, chi, phase, None, None, None, fp.status, notes)
    q = fp.q_star
    chi = sw2 * float(k.chi(q))
    phase = phase_of(chi)
    notes = [fp.note] if fp.note else []
    xi_q = _depth(sw2 * float(k.slope(q)))
    if xi_q is None:
        notes.append("xi_q is infinite: the length map is not contracting at q*")
    c_star: float | None = 1.0
    status = "converged"
    if phase == "chaotic":
        c_star, status = correlation_fixed_point(k, q, sw2, sb2) if q > 0 else (None, "not_converged")
    if c_star is None:
        notes.append("correlation map did not converge; xi_c not reported")
        return Analysis(name, sw2, sb2, q, chi, phase, xi_q, None, None, status, notes)
    rate = chi if phase != "chaotic" else sw2 * k.dcross(q, q, 1.0 - c_star)
    xi_c = _depth(rate)
    if xi_c is None:
        notes.append("xi_c is infinite at the edge of chaos")
    return Analysis(name, sw2, sb2, q, chi, phase, xi_q, xi_c, c_star, "converged", notes)


@dataclass(frozen=True)
class Critical:
    """The ``sigma_w2`` where chi_1 = 1 at a given ``sigma_b2`` (None where there is none)."""

    activation: str
    sigma_b2: float
    sigma_w2_critical: float | None
    note: str = ""


def critical_sigma_w2(activation: str | Activation, sigma_b2: float = 0.0) -> Critical:
    """Solve ``chi_1(sigma_w2, sigma_b2) = 1`` for ``sigma_w2`` (the edge of chaos).

    ReLU-like activations are critical only at ``sigma_w2 = 2 / (1 + a^2)`` with ``sigma_b2 = 0``;
    for ``sigma_b2 > 0`` they have no finite fixed point there, which is reported, not solved.
    """
    sb2 = check_positive_float(sigma_b2, "sigma_b2", allow_zero=True)
    act = act_mod.get(activation)
    return _critical_cached(act.name, tuple(sorted(act.params.items())), sb2)


@functools.lru_cache(maxsize=128)
def _critical_cached(name: str, params: tuple[tuple[str, float], ...], sb2: float) -> Critical:
    k = kernel(act_mod.get(name, **dict(params)))
    if isinstance(k, PiecewiseLinearKernel):
        w = relu_like_sigma_w2(k.alpha)
        if sb2 == 0.0:
            return Critical(k.act.name, sb2, w, "chi_1 = 1 for every q; q keeps its input value")
        return Critical(k.act.name, sb2, None, f"no critical point for sigma_b2 > 0: at sigma_w2 = "
                        f"{w:.6g} q grows by sigma_b2 per layer, below it chi_1 < 1")
    return _critical_generic(k, sb2)


def _chi_at(k: Kernel, sw2: float, sb2: float) -> float:
    fp = fixed_point(k, sw2, sb2)
    if fp.q_star is None:
        return math.inf
    return sw2 * float(k.chi(fp.q_star))


def _critical_generic(k: Kernel, sb2: float) -> Critical:
    from scipy.optimize import brentq

    grid = np.geomspace(1e-2, 1e4, 31)
    vals = [_chi_at(k, float(w), sb2) - 1.0 for w in grid]
    for i in range(len(grid) - 1):
        if vals[i] < 0.0 <= vals[i + 1]:
            a, b = math.log(grid[i]), math.log(grid[i + 1])
            x = brentq(lambda t: _chi_at(k, math.exp(t), sb2) - 1.0, a, b, xtol=1e-14, rtol=1e-15)
            return Critical(k.act.name, sb2, math.exp(x))
    return Critical(k.act.name, sb2, None, "chi_1 does not cross 1 for sigma_w2 in [0.01, 1e4]")


def phase_grid(
    activation: str | Activation, sigma_w2: Array, sigma_b2: Array
) -> dict[str, Array]:
    """chi_1, xi_c and the phase over a grid, arrays of shape ``(len(sigma_b2), len(sigma_w2))``.

    ``phase`` codes: 0 ordered, 1 critical, 2 chaotic, 3 unbounded (no finite q*), 4 unknown;
    ``chi_1`` and ``xi_c`` are NaN where undefined or infinite.
    """
    codes = {"ordered": 0, "critical": 1, "chaotic": 2, "unbounded": 3}
    shape = (len(sigma_b2), len(sigma_w2))
    chi, xi, phase = np.full(shape, np.nan), np.full(shape, np.nan), np.zeros(shape, dtype=int)
    for i, b in enumerate(sigma_b2):
        for j, w in enumerate(sigma_w2):
            a = analyze(activation, float(w), float(b))
            phase[i, j] = codes.get(a.phase, 4)
            chi[i, j] = np.nan if a.chi_1 is None else a.chi_1
            xi[i, j] = np.nan if a.xi_c is None else a.xi_c
    return {"chi_1": chi, "xi_c": xi, "phase": phase}
