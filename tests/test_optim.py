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
