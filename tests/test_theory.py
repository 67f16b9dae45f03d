"""Mean-field theory: closed forms, a second independent quadrature, fixed points and phases."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import integrate
from scipy.special import roots_hermitenorm

from initlab.core.errors import InitlabError
from initlab.theory import meanfield as th
from initlab.theory.gaussian import kernel

REL = 1e-7


def close(a: float, b: float, rel: float = REL, abs_: float = 1e-13) -> bool:
    return abs(a - b) <= max(rel * max(abs(a), abs(b)), abs_)


# ------------------------------------------------------------------ closed forms vs quadrature

CLOSED = ["relu", "leaky_relu:negative_slope=0.2", "identity", "erf"]
QS = [1e-4, 0.3, 1.0, 7.0, 100.0]
PAIRS = [(1.0, 1.0, 1.0), (0.5, 2.0, 0.3), (3.0, 3.0, 0.02), (1.0, 1.5, 1.6), (50.0, 60.0, 0.5)]


@pytest.mark.parametrize("act", CLOSED)
def test_closed_forms_match_composite_quadrature(act: str) -> None:
    exact, quad = kernel(act), kernel(act, quadrature=True)
    assert exact.closed_form and not quad.closed_form
    for q in QS:
        for name in ("mean", "second", "chi", "slope"):
            assert close(float(getattr(exact, name)(q)), float(getattr(quad, name)(q))), (name, q)
    for qa, qb, omc in PAIRS:
        for name in ("cross", "dcross", "dist"):
            a, b = getattr(exact, name)(qa, qb, omc), getattr(quad, name)(qa, qb, omc)
            assert close(a, b, abs_=1e-12), (name, qa, qb, omc, a, b)


def test_relu_closed_forms_against_the_textbook() -> None:
    k = kernel("relu")
    for q in QS:
        assert close(float(k.mean(q)), math.sqrt(q / (2 * math.pi)))
        std = math.sqrt(float(k.second(q)) - float(k.mean(q)) ** 2)
        assert close(std, math.sqrt(q / 2 - q / (2 * math.pi)))
    for c in (-0.9, -0.3, 0.0, 0.4, 0.95):
        arccos_kernel = (math.sqrt(1 - c * c) + (math.pi - math.acos(c)) * c) / math.pi
        assert close(th.correlation_map(k, c, 1.7, 2.0, 0.0), arccos_kernel)


def test_erf_and_linear_maps() -> None:
    k = kernel("erf")
    for q in QS:
        expected = 1.3 * (2 / math.pi) * math.asin(2 * q / (1 + 2 * q)) + 0.1
        assert close(float(th.length_map(k, q, 1.3, 0.1)), expected)
    a = th.analyze("erf", 1.3, 0.1)
    assert close(a.chi_1, 1.3 * (4 / math.pi) / math.sqrt(1 + 4 * a.q_star))
    assert close(th.critical_sigma_w2("erf", 0.0).sigma_w2_critical, math.pi / 4)
    lin = th.analyze("linear", 0.7, 0.3)
    assert close(lin.q_star, 0.3 / (1 - 0.7)) and close(lin.chi_1, 0.7)


# ------------------------------------------------------------------ smooth activations, second method


def quad1(f, q: float) -> float:
    g = lambda z: f(math.sqrt(q) * np.array([z]))[0] * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    return integrate.quad(g, -14, 14, points=[0.0], limit=400, epsabs=1e-15, epsrel=1e-12)[0]


def quad2(f, qa: float, qb: float, c: float) -> float:
    s = math.sqrt(1 - c * c)

    def inner(z1: float) -> float:
        u1 = math.sqrt(qa) * z1
        g = lambda z2: f(np.array([u1]), np.array([math.sqrt(qb) * (c * z1 + s * z2)]))[0] * math.exp(-z2 * z2 / 2)
        return integrate.quad(g, -12, 12, limit=200, epsabs=1e-14, epsrel=1e-11)[0] / math.sqrt(2 * math.pi)

    val = integrate.quad(lambda z1: inner(z1) * math.exp(-z1 * z1 / 2), -12, 12, limit=200,
                         epsabs=1e-14, epsrel=1e-11)[0]
    return val / math.sqrt(2 * math.pi)


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "gelu", "softplus", "silu", "selu"])
def test_composite_rule_matches_adaptive_quad_1d(act: str) -> None:
    k = kernel(act)
    for q in (0.05, 1.0, 25.0, 100.0):
        assert close(float(k.second(q)), quad1(lambda h: k.phi(h) ** 2, q), 1e-9)
        assert close(float(k.mean(q)), quad1(k.phi, q), 1e-9, 1e-12)
        assert close(float(k.chi(q)), quad1(lambda h: k.dphi(h) ** 2, q), 1e-9)


@pytest.mark.parametrize("act", ["tanh", "sigmoid"])
def test_composite_rule_matches_nested_adaptive_quad_2d(act: str) -> None:
    k = kernel(act)
    for qa, qb, c in [(1.0, 1.0, 0.3), (0.4, 2.5, -0.6), (30.0, 30.0, 0.9)]:
        got = k.cross(qa, qb, 1 - c)
        want = quad2(lambda a, b: k.phi(a) * k.phi(b), qa, qb, c)
        assert close(got, want, REL, 1e-10), (qa, qb, c, got, want)


def test_gauss_hermite_pitfall_and_our_rule() -> None:
    # The research note's pitfall: 200 Hermite nodes miss E[tanh(10 z)^2] by > 1e-3.
    x, w = roots_hermitenorm(200)
    gh = float(np.sum(w * np.tanh(10 * x) ** 2) / math.sqrt(2 * math.pi))
    ref = quad1(lambda h: np.tanh(h) ** 2, 100.0)
    assert abs(gh - ref) > 1e-3 * ref
    assert close(float(kernel("tanh").second(100.0)), ref, 1e-10)


def test_slope_is_derivative_of_second_moment() -> None:
    for act in ("tanh", "sigmoid", "gelu"):
        k = kernel(act)
        for q in (0.2, 1.0, 5.0):
            h = 1e-5 * q
            fd = (float(k.second(q + h)) - float(k.second(q - h))) / (2 * h)
            assert close(float(k.slope(q)), fd, 1e-6)


def test_linearised_distance_continues_the_quadrature() -> None:
    k = kernel("tanh")
    above, below = k.dist(1.3, 1.3, 1.2e-8), k.dist(1.3, 1.3, 0.9e-8)
    assert close(above / 1.2e-8, below / 0.9e-8, 1e-3)
    assert close(below, 2 * 1.3 * 0.9e-8 * float(k.chi(1.3)), 1e-6)


# ------------------------------------------------------------------ fixed points, phases, depth scales


def test_relu_without_finite_fixed_point_is_reported() -> None:
    a = th.analyze("relu", 3.0, 0.0)
    assert a.q_star is None and a.status == "no_fixed_point" and a.phase == "unbounded"
    assert a.chi_1 == pytest.approx(1.5) and "no finite fixed point" in a.notes[0]
    b = th.analyze("relu", 2.0, 0.1)
    assert b.q_star is None and b.status == "no_fixed_point"
    he = th.analyze("relu", 2.0, 0.0)
    assert he.phase == "critical" and he.chi_1 == 1.0 and he.xi_c is None
    ok = th.analyze("relu", 1.0, 0.1)
    assert close(ok.q_star, 0.1 / (1 - 0.5)) and close(ok.xi_c, -1 / math.log(0.5))
    assert close(ok.xi_q, -1 / math.log(0.5))


def test_tanh_fixed_point_phase_and_depth_scales() -> None:
    a = th.analyze("tanh", 1.5, 0.05)
    k = kernel("tanh")
    assert close(float(th.length_map(k, a.q_star, 1.5, 0.05)), a.q_star, 1e-12)
    assert close(a.chi_1, 1.5 * float(k.chi(a.q_star)))
    assert a.phase == "ordered" and close(a.xi_c, -1 / math.log(a.chi_1))
    h = 1e-6
    slope = (float(th.length_map(k, a.q_star + h, 1.5, 0.05)) - float(th.length_map(k, a.q_star - h, 1.5, 0.05))) / (2 * h)
    assert close(a.xi_q, -1 / math.log(slope), 1e-6)
    chaotic = th.analyze("tanh", 3.0, 0.1)
    assert chaotic.phase == "chaotic" and 0 < chaotic.c_star < 1
    assert close(th.correlation_map(k, chaotic.c_star, chaotic.q_star, 3.0, 0.1), chaotic.c_star, 1e-8)
    crit = th.analyze("tanh", 1.0, 0.0)
    assert crit.phase == "critical" and crit.q_star == 0.0 and crit.xi_c is None


def test_non_convergence_is_reported_not_guessed() -> None:
    k = kernel("tanh")
    q = th.fixed_point(k, 1.5, 0.05).q_star
    # In the ordered phase c = 1 attracts: no chaotic c* exists, and the solver says so.
    assert th.correlation_fixed_point(k, q, 1.5, 0.05) == (None, "not_converged")


def test_critical_sigma_w2() -> None:
    assert close(th.critical_sigma_w2("tanh", 0.0).sigma_w2_critical, 1.0, 1e-9)
    c = th.critical_sigma_w2("tanh", 0.05).sigma_w2_critical
    assert close(th.analyze("tanh", c, 0.05).chi_1, 1.0, 1e-8)
    assert th.critical_sigma_w2("relu", 0.0).sigma_w2_critical == 2.0
    none = th.critical_sigma_w2("relu", 0.1)
    assert none.sigma_w2_critical is None and "no critical point" in none.note


@pytest.mark.parametrize("w,b", [(0.0, 0.0), (-1.0, 0.0), (1.0, -0.1), (float("nan"), 0.0), (1.0, float("inf"))])
def test_bad_sigmas_raise(w: float, b: float) -> None:
    with pytest.raises(InitlabError, match="sigma_"):
        th.analyze("tanh", w, b)


def test_unknown_activation_lists_valid_names() -> None:
    with pytest.raises(InitlabError, match=r"valid: .*tanh"):
        th.analyze("tahn", 1.0, 0.0)


# ------------------------------------------------------------------ finite-batch predictions


def test_linear_network_prediction_matches_exact_expectation() -> None:
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 300)) * 1.3 + 0.2
    batch = th.BatchSummary.from_inputs(X)
    pred = th.predict_layers("linear", [0.8] * 3, [0.0] * 3, [40, 30, 30, 30], batch)
    q0 = float(np.mean(X**2))
    spread0 = float(np.mean(np.sum((X - X.mean(axis=1, keepdims=True)) ** 2, axis=0)) / 40)
    for layer, p in enumerate(pred, start=1):
        # For A_l = W_l...W_1 X with Var(W) = s/n_in: E[A^2] = s^l q0, and the expected per-unit
        # variance over samples is s^l times the inputs' mean squared deviation / n_0.
        assert close(p["activation"]["std"], math.sqrt(0.8**layer * q0), 1e-9)
        assert p["activation"]["sample_spread"] == pytest.approx(math.sqrt(0.8**layer * spread0), rel=0.02)
        assert close(p["gradient"]["variance_factor"], 0.8 * 30 / [40, 30, 30][layer - 1], 1e-12)


def test_gradient_std_is_product_of_factors() -> None:
    batch = th.BatchSummary(100, 1.0, 0.1, 0.0, 0.1)
    pred = th.predict_layers("tanh", [1.2] * 4, [0.0] * 4, [10] * 5, batch, spreads=False)
    assert pred[-1]["gradient"]["std"] == 1.0
    for lo, hi in itertools.pairwise(pred):
        assert close(lo["gradient"]["std"] ** 2, hi["gradient"]["std"] ** 2 * hi["gradient"]["variance_factor"])


@pytest.mark.parametrize("slope", [0.0, 0.01, 0.2, 1.0])
def test_leaky_relu_variance_has_one_home_and_matches_the_quadrature(slope: float) -> None:
    from initlab import activations
    from initlab.core.quadrature import expect1
    from initlab.initializers.laws import gain_squared
    from initlab.theory.gaussian import relu_like_sigma_w2
    from initlab.theory.meanfield import critical_sigma_w2

    he = 2 / (1 + slope * slope)  # He et al. 2015, eq. 15
    f = activations.get("leaky_relu", negative_slope=slope).fn
    assert 1 / float(expect1(lambda h: f(h) ** 2, 1.0)) == pytest.approx(he, rel=1e-13)
    assert relu_like_sigma_w2(slope) == pytest.approx(he, rel=1e-15)
    assert gain_squared("leaky_relu", slope) == relu_like_sigma_w2(slope)
    assert critical_sigma_w2(f"leaky_relu:negative_slope={slope}").sigma_w2_critical == relu_like_sigma_w2(slope)


def test_derived_gains_use_the_accurate_quadrature() -> None:
    from initlab.initializers.laws import derived_gain_squared

    # E[erf(z)^2] = (2/pi) asin(2/3) (Williams 1997); E[tanh]... has no closed form.
    assert derived_gain_squared("erf") == pytest.approx(1 / ((2 / math.pi) * math.asin(2 / 3)), rel=1e-14)
    assert derived_gain_squared("relu") == pytest.approx(2.0, rel=1e-14)
    assert derived_gain_squared("identity") == pytest.approx(1.0, rel=1e-14)
