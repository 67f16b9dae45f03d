"""The general network: central-difference gradient check, shapes and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from initlab import network
from initlab.core.errors import InitlabError


def _numeric_grads(spec, params, X, Y, eps=1e-6):
    out = {}
    for k, v in params.items():
        g = np.zeros_like(v)
        for idx in np.ndindex(v.shape):
            orig = v[idx]
            v[idx] = orig + eps
            up = spec.head.loss(network.forward(spec, params, X)[0], Y)
            v[idx] = orig - eps
            down = spec.head.loss(network.forward(spec, params, X)[0], Y)
            v[idx] = orig
            g[idx] = (up - down) / (2 * eps)
        out["d" + k] = g
    return out


def _labels(head, rng, n_out, m):
    if head == "sigmoid":
        return (rng.random((n_out, m)) > 0.5).astype(float)
    if head == "softmax":
        return np.eye(n_out)[rng.integers(0, n_out, m)].T
    return rng.standard_normal((n_out, m))


@pytest.mark.parametrize(
    ("dims", "activation", "head"),
    [
        ([2, 10, 5, 1], "relu", "sigmoid"),  # the tutorial's network
        ([3, 4, 4, 4, 3], "tanh", "softmax"),
        ([3, 5, 2], "sigmoid", "linear"),
        ([2, 6, 3, 1], ["gelu", "leaky_relu:negative_slope=0.2"], "sigmoid"),
    ],
)
def test_backward_matches_central_differences(dims, activation, head):
    rng = np.random.default_rng(1)
    spec = network.Spec.build(dims, activation, head)
    params = network.init_params(spec, "glorot_normal", "normal:std=0.1", rng=rng)
    X = rng.standard_normal((dims[0], 7))
    Y = _labels(head, rng, dims[-1], 7)
    _, grads = network.loss_and_grads(spec, params, X, Y)
    num = _numeric_grads(spec, params, X, Y)
    for k, g in num.items():
        np.testing.assert_allclose(grads[k], g, rtol=1e-5, atol=1e-8, err_msg=k)


def test_init_params_shapes_and_stream_order():
    p = network.init_params([3, 4, 2], "he_normal", rng=np.random.RandomState(3))
    assert p["W1"].shape == (4, 3) and p["b1"].shape == (4, 1)
    assert p["W2"].shape == (2, 4) and p["b2"].shape == (2, 1)
    # one stream, drawn layer by layer as the tutorial's loop does
    r = np.random.RandomState(3)
    np.testing.assert_array_equal(p["W1"], r.randn(4, 3) * np.sqrt(2 / 3))
    np.testing.assert_array_equal(p["W2"], r.randn(2, 4) * np.sqrt(2 / 4))


def test_predict_and_accuracy_per_head():
    spec = network.Spec.build([2, 3], activation=[], head="softmax")
    params = {"W1": np.array([[1.0, 0], [0, 1.0], [-1.0, -1.0]]), "b1": np.zeros((3, 1))}
    X = np.array([[5.0, 0.0, -5.0], [0.0, 5.0, -5.0]])
    assert network.predict(spec, params, X).tolist() == [[0, 1, 2]]
    assert network.accuracy(spec, params, X, np.eye(3)) == 1.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dims": [2]}, "input and an output size"),
        ({"dims": [2, 0, 1]}, "layer size 1 must be a positive integer"),
        ({"dims": [2, -3, 1]}, "positive integer"),
        ({"dims": [2, 4, 1], "activation": "swishy"}, "unknown activation 'swishy'; valid:"),
        ({"dims": [2, 4, 1], "head": "tanh"}, "unknown output head 'tanh'; valid: linear"),
        ({"dims": [2, 4, 4, 1], "activation": ["relu"]}, "1 activations given for 2 hidden"),
    ],
)
def test_spec_rejects_bad_architectures(kwargs, message):
    with pytest.raises(InitlabError, match=message):
        network.Spec.build(**kwargs)


def test_check_params_names_the_bad_shape():
    spec = network.Spec.build([2, 4, 1])
    p = network.init_params(spec, rng=0)
    p["W2"] = np.zeros((1, 5))
    with pytest.raises(InitlabError, match=r"W2 has shape \(1, 5\), expected \(1, 4\)"):
        network.check_params(spec, p)
