"""Central-difference checks of every activation derivative, every head and whole networks."""

from __future__ import annotations

import numpy as np
import pytest

from initlab import activations, losses, network
from initlab.engines import compiled
from initlab.engines import loops as kernels
from initlab.engines.base import TrainConfig
from initlab.engines.numpy import l2_loss_and_grads

H = 1e-6
# points away from kinks (relu, leaky_relu, elu, selu have one at 0)
Z = np.concatenate([np.linspace(-4.0, -0.05, 25), np.linspace(0.05, 4.0, 25)]).reshape(5, 10)


@pytest.mark.parametrize("name", activations.names())
def test_activation_derivative(name):
    act = activations.get(name)
    numeric = (act.fn(Z + H) - act.fn(Z - H)) / (2 * H)
    np.testing.assert_allclose(act.deriv(Z, act.fn(Z)), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", activations.names())
def test_compiled_activation_equals_registry(name):
    act = activations.get(name)
    code = act.code
    p = next(iter(act.params.values()), 0.0)
    A = np.empty_like(Z)
    kernels._apply_act(code, p, Z, A)
    np.testing.assert_allclose(A, act.fn(Z), rtol=1e-13, atol=1e-15)
    D = np.ones_like(Z)
    kernels._mul_deriv(code, p, Z, A, D)
    np.testing.assert_allclose(D, act.deriv(Z, act.fn(Z)), rtol=1e-13, atol=1e-15)


def _targets(head, shape, rng):
    if head == "softmax":
        return np.eye(shape[0])[:, rng.integers(0, shape[0], shape[1])]
    if head == "sigmoid":
        return (rng.random(shape) > 0.5).astype(float)
    return rng.standard_normal(shape)


@pytest.mark.parametrize("head", sorted(losses.HEADS))
def test_head_gradient(head):
    rng = np.random.default_rng(0)
    h = losses.get(head)
    n = 1 if head != "softmax" else 4
    Zh = rng.standard_normal((n, 7)) * 3
    Y = _targets(head, Zh.shape, rng)
    numeric = np.zeros_like(Zh)
    for idx in np.ndindex(Zh.shape):
        e = np.zeros_like(Zh)
        e[idx] = H
        numeric[idx] = (h.loss(Zh + e, Y) - h.loss(Zh - e, Y)) / (2 * H)
    np.testing.assert_allclose(losses.output_gradient(h.output(Zh), Y), numeric, rtol=1e-6, atol=1e-9)


def test_losses_equal_their_textbook_forms():
    rng = np.random.default_rng(1)
    Zh = rng.standard_normal((1, 9))
    Y = (rng.random((1, 9)) > 0.5).astype(float)
    a = 1 / (1 + np.exp(-Zh))
    bce = -np.mean(Y * np.log(a) + (1 - Y) * np.log(1 - a))
    assert losses.binary_cross_entropy_from_logits(Zh, Y) == pytest.approx(bce, rel=1e-13)
    Z3 = rng.standard_normal((3, 9))
    Y3 = np.eye(3)[:, rng.integers(0, 3, 9)]
    p = np.exp(Z3) / np.exp(Z3).sum(0)
    assert losses.cross_entropy_from_logits(Z3, Y3) == pytest.approx(-np.mean(np.sum(Y3 * np.log(p), 0)), rel=1e-13)
    # finite where the textbook form is not
    assert np.isfinite(losses.binary_cross_entropy_from_logits(np.array([[800.0]]), np.array([[0.0]])))
    assert np.isfinite(losses.cross_entropy_from_logits(np.array([[900.0], [-900.0]]), np.array([[0.0], [1.0]])))


def _numeric_grads(f, params):
    out = {}
    for k, v in params.items():
        g = np.zeros_like(v)
        for idx in np.ndindex(v.shape):
            old = v[idx]
            v[idx] = old + H
            up = f()
            v[idx] = old - H
            down = f()
            v[idx] = old
            g[idx] = (up - down) / (2 * H)
        out["d" + k] = g
    return out


NETS = [(act, head) for act in activations.names() for head in ("sigmoid",)] + [
    ("tanh", "softmax"), ("relu", "linear"), ("gelu", "softmax"), ("elu", "linear"),
]


@pytest.mark.parametrize("act,head", NETS)
def test_network_gradients_reference_and_compiled(act, head):
    rng = np.random.default_rng(2)
    n_out = 3 if head == "softmax" else 1
    spec = network.Spec.build([3, 5, 4, n_out], act, head)
    params = network.init_params(spec, "glorot_normal", bias_init="normal:std=0.1", rng=3)
    X = rng.standard_normal((3, 6))
    Y = _targets(head, (n_out, 6), rng)
    l2 = 0.3
    numeric = _numeric_grads(lambda: l2_loss_and_grads(spec, params, X, Y, l2)[0], params)
    cost, grads = l2_loss_and_grads(spec, params, X, Y, l2)
    for k in numeric:
        np.testing.assert_allclose(grads[k], numeric[k], rtol=1e-5, atol=1e-8, err_msg=k)
    # the compiled kernel: same cost and gradients
    enc = compiled.Encoded.of(spec, TrainConfig(l2=l2))
    theta = compiled.pack(spec, params)
    c, g = kernels.cost_and_grad(theta, enc.dims, enc.acts, enc.aparams, enc.head, l2, X, Y)
    assert c == pytest.approx(cost, rel=1e-12)
    G = compiled.unpack(spec, g)
    for k in params:
        np.testing.assert_allclose(G[k], grads["d" + k], rtol=1e-10, atol=1e-14, err_msg=k)


def test_vector_exp():
    x = np.concatenate([[0.0, -1e-300, -708.0, -709.5, -1e5], -np.abs(np.random.default_rng(4).standard_normal(999)) * 50])
    out, work = np.empty_like(x), np.empty_like(x)
    kernels.exp_nonpositive(x, out, work)
    np.testing.assert_allclose(out, np.exp(np.maximum(x, -708.0)), rtol=1e-13, atol=0)
