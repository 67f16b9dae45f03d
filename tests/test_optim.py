"""Optimizers against their update rules written out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from initlab import optim
from initlab.core.errors import InitlabError


def _p():
    return {"W1": np.array([[1.0, -2.0]]), "b1": np.array([[0.5]])}


G = {"dW1": np.array([[0.1, -0.3]]), "db1": np.array([[2.0]])}


def test_gd_is_the_tutorials_update():
    p = _p()
    optim.get("gd", 0.1).step(p, G)
    np.testing.assert_array_equal(p["W1"], _p()["W1"] - 0.1 * G["dW1"])
    np.testing.assert_array_equal(p["b1"], _p()["b1"] - 0.1 * G["db1"])


def test_momentum_two_steps():
    p, opt = _p(), optim.get("momentum", 0.1, beta=0.8)
    opt.step(p, G)
    opt.step(p, G)
    v1 = 0.2 * G["dW1"]
    v2 = 0.8 * v1 + 0.2 * G["dW1"]
    np.testing.assert_allclose(p["W1"], _p()["W1"] - 0.1 * v1 - 0.1 * v2, rtol=1e-15)


def test_adam_bias_corrected_steps():
    p, opt = _p(), optim.get("adam", 0.01)
    opt.step(p, G)
    # step 1: m_hat = g, s_hat = g^2, so each entry moves by lr * g / (|g| + eps)
    g = G["dW1"]
    np.testing.assert_allclose(p["W1"], _p()["W1"] - 0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12)
    opt.step(p, {k: 2 * v for k, v in G.items()})
    m = 0.9 * 0.1 * g + 0.1 * 2 * g
    s = 0.999 * 0.001 * g * g + 0.001 * 4 * g * g
    step2 = 0.01 * (m / (1 - 0.9**2)) / (np.sqrt(s / (1 - 0.999**2)) + 1e-8)
    np.testing.assert_allclose(p["W1"], _p()["W1"] - 0.01 * g / (np.abs(g) + 1e-8) - step2, rtol=1e-12)


@pytest.mark.parametrize("lr", [0, -1, math.nan, math.inf, "x"])
def test_bad_learning_rate(lr):
    with pytest.raises(InitlabError, match="learning rate"):
        optim.get("gd", lr)


def test_bad_names_and_options():
    with pytest.raises(InitlabError, match="adam, gd, momentum"):
        optim.get("sgd2", 0.1)
    with pytest.raises(InitlabError, match="beta"):
        optim.get("momentum", 0.1, beta=math.nan)
    with pytest.raises(InitlabError, match=r"optimizer 'gd' does not take \['beta'\]; valid: learning_rate"):
        optim.get("gd", 0.1, beta=0.9)
    with pytest.raises(InitlabError, match="did you mean 'adam'"):
        optim.get("adma", 0.1)
    assert optim.get("Adam:beta1=0.8", 0.1).beta1 == 0.8
    assert optim.names() == ["adam", "gd", "momentum"]


def test_adam_equals_the_textbook_update_bit_for_bit():
    """The in-place moments do the textbook's operations in its order: the same bits."""
    rng = np.random.default_rng(0)
    p = {"W1": rng.standard_normal((7, 5)), "b1": rng.standard_normal((7, 1))}
    grads = [{"dW1": rng.standard_normal((7, 5)) * 10.0 ** rng.integers(-8, 3),
              "db1": rng.standard_normal((7, 1))} for _ in range(20)]
    lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-8
    ref = {k: v.copy() for k, v in p.items()}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    s = {k: np.zeros_like(v) for k, v in p.items()}
    for t, g in enumerate(grads, start=1):
        for k in ("W1", "b1"):
            m[k] = b1 * m[k] + (1 - b1) * g["d" + k]
            s[k] = b2 * s[k] + (1 - b2) * g["d" + k] * g["d" + k]
            ref[k] = ref[k] - lr * (m[k] / (1 - b1**t)) / (np.sqrt(s[k] / (1 - b2**t)) + eps)
    opt = optim.get("adam", lr)
    got = {k: v.copy() for k, v in p.items()}
    for g in grads:
        opt.step(got, g)
    for k, want in ref.items():
        np.testing.assert_array_equal(got[k], want)
