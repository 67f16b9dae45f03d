"""LSUV: targets reached on deep tanh and ReLU nets, checked with an independent forward pass."""

from __future__ import annotations

import numpy as np
import pytest

from initlab import network
from initlab.core.errors import InitlabError
from initlab.lsuv import lsuv

X = np.random.default_rng(0).standard_normal((32, 400))


def deep(activation, depth=8, width=64):
    return network.Spec.build([32] + [width] * depth + [3], activation, "softmax")


def outputs(spec, params, X, where="pre"):
    """Per-layer pre-activations (or post-activations for hidden layers) via network.forward."""
    _, caches = network.forward(spec, params, X)
    last = spec.n_layers - 1
    return [Z if where == "pre" or i == last else A for i, (_, Z, A) in enumerate(caches)]


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_unit_variance_on_deep_nets(activation):
    spec = deep(activation)
    start = network.init_params(spec, "normal:std=0.3", rng=1)
    before = {k: v.copy() for k, v in start.items()}
    params, records = lsuv(spec, start, X, tol=0.01, rng=2)
    assert all(np.array_equal(start[k], before[k]) for k in start)  # input untouched
    for Z in outputs(spec, params, X):
        assert abs(Z.var() - 1.0) < 0.01
    assert [r.layer for r in records] == list(range(1, spec.n_layers + 1))
    # Zero bias, fixed batch, pre-activation: the output is linear in W, one step is exact.
    assert all(r.converged and r.iterations == 1 for r in records)
    assert all(abs(r.var - 1) < 1e-12 for r in records)
    assert all(not np.any(params[f"b{r.layer}"]) for r in records)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_post_activation_std_target(activation):
    spec = deep(activation, depth=6)
    params, records = lsuv(spec, None, X, statistic="std", target=0.5, where="post", tol=0.005)
    for A in outputs(spec, params, X, where="post"):
        assert abs(A.std() - 0.5) < 0.005
    assert all(r.converged for r in records)
    steps = [r.iterations for r in records[:-1]]
    if activation == "tanh":
        assert max(steps) > 1  # tanh output is not linear in the scale
    else:
        assert steps == [1] * len(steps)  # relu(c z) = c relu(z)


def test_fresh_batches_reach_target_on_average():
    spec = deep("tanh", depth=5)
    big = np.random.default_rng(3).standard_normal((32, 4000))
    params, records = lsuv(spec, None, big, batch="fresh", batch_size=500, tol=0.05, rng=4)
    assert all(r.converged for r in records)
    for Z in outputs(spec, params, big):
        assert abs(Z.var() - 1.0) < 0.15  # each step saw another batch of 500


def test_orthonormal_preinit_and_scale_record():
    spec = deep("relu", depth=3, width=16)
    params, records = lsuv(spec, None, X, rng=0)
    for r in records:
        W = params[f"W{r.layer}"] / r.scale
        small = W @ W.T if W.shape[0] <= W.shape[1] else W.T @ W
        assert np.allclose(small, np.eye(min(W.shape)), atol=1e-12)


def test_cap_hit_and_unreachable_target():
    spec = deep("tanh", depth=3)
    _, records = lsuv(spec, None, X, where="post", target=1.0, t_max=4, rng=0)
    hidden = records[:-1]  # tanh output variance stays below 1: 4 steps, not converged
    assert all(r.iterations == 4 and not r.converged for r in hidden)
    assert records[-1].converged  # the output layer is measured on its logits


def test_keeps_biases_when_asked_and_dead_layer():
    spec = network.Spec.build([2, 4, 1], "relu")
    p = network.init_params(spec, "he_normal", bias_init="constant:value=0.1", rng=0)
    out, _ = lsuv(spec, p, X[:2], zero_bias=False, orthonormal_preinit=False)
    assert np.all(out["b1"] == 0.1)
    _, recs = lsuv(spec, p, np.zeros((2, 10)), orthonormal_preinit=False)
    assert recs[0].iterations == 0 and not recs[0].converged and recs[0].var == 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"statistic": "mean"}, "statistic"),
        ({"where": "middle"}, "where"),
        ({"tol": 0}, "tol"),
        ({"t_max": 0}, "t_max"),
        ({"target": -1}, "target"),
        ({"batch": "stream"}, "batch"),
        ({"batch_size": 10_000}, "batch_size"),
        ({"orthonormal_preinit": False}, "params"),
    ],
)
def test_bad_options(kwargs, match):
    spec = deep("relu", depth=2, width=8)
    with pytest.raises(InitlabError, match=match):
        lsuv(spec, None, X, **kwargs)


def test_overflowing_start_is_an_error():
    spec = network.Spec.build([2, 4, 1], "relu")
    with pytest.raises(InitlabError, match="squares overflow"):  # refused at the draw already
        network.init_params(spec, "constant:value=1e200")
    p = network.init_params(spec, "he_normal", rng=0)
    p["W1"] = np.full((4, 2), 1e200)  # weights from elsewhere: lsuv still checks its outputs
    with pytest.raises(InitlabError, match="layer 1 output is not finite"):
        lsuv(spec, p, X[:2], orthonormal_preinit=False)


def test_bad_data_and_params():
    spec = deep("relu", depth=2, width=8)
    with pytest.raises(InitlabError, match="X"):
        lsuv(spec, None, np.ones(5))
    with pytest.raises(InitlabError, match="W1"):
        lsuv(spec, {"W1": np.ones((3, 3))}, X)
