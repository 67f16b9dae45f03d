"""Kernels generated for one network give the generic kernel's numbers, and are used once built."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from initlab import engines, network, train
from initlab.engines import compiled, specialized
from initlab.engines import loops as kernels
from initlab.engines.base import TrainConfig
from initlab.engines.compiled import Encoded, pack

TUTORIAL = network.Spec.build([2, 10, 5, 1], "relu", "sigmoid")

CASES = [
    # dims, activations, head, l2: relu fused, other activations, every head, L2, no hidden layer
    ([2, 10, 5, 1], "relu", "sigmoid", 0.0),
    ([3, 7, 4], "tanh", "softmax", 0.1),
    ([2, 6, 3, 2], ["relu", "elu"], "linear", 0.0),
    ([4, 1], "relu", "sigmoid", 0.05),
]


def _batch(dims, head, m, rng):
    X = rng.standard_normal((dims[0], m))
    if head == "softmax":
        return X, np.eye(dims[-1])[:, rng.integers(0, dims[-1], m)]
    if head == "linear":
        return X, rng.standard_normal((dims[-1], m))
    return X, (rng.random((dims[-1], m)) > 0.5).astype(float)


@pytest.mark.parametrize("dims,act,head,l2", CASES, ids=[str(c[0]) for c in CASES])
def test_generated_loss_grad_equals_generic(dims, act, head, l2):
    spec = network.Spec.build(dims, act, head)
    enc = Encoded.of(spec, TrainConfig(l2=l2))
    rng = np.random.default_rng(3)
    X, Y = _batch(dims, head, 37, rng)  # 37: not a multiple of any vector width
    theta = pack(spec, network.init_params(spec, "he_normal", rng=rng))
    mod = specialized.load([int(d) for d in enc.dims], [int(a) for a in enc.acts])
    assert mod is not None
    args = (theta, enc.dims, enc.acts, enc.aparams, enc.head, l2, X, Y)
    out = [kernels.cost_and_grad(*args), mod.cost_and_grad(*args)]
    (c0, g0), (c1, g1) = out
    assert np.isfinite(g1).all()
    assert abs(c1 - c0) <= 1e-12 * abs(c0)
    np.testing.assert_allclose(g1, g0, rtol=1e-10, atol=1e-14)


def test_prepare_switches_runs_to_the_specialised_kernel(tmp_path, monkeypatch, moons):
    tutorial_spec = TUTORIAL
    monkeypatch.setenv("INITLAB_CACHE_DIR", str(tmp_path))
    enc = Encoded.of(tutorial_spec, TrainConfig())
    dims, acts = [int(d) for d in enc.dims], [int(a) for a in enc.acts]
    # a copy loaded by another test from the default folder would be reused: load this one anew
    monkeypatch.delitem(sys.modules, f"initlab_{specialized._path(dims, acts)[0].stem}", raising=False)
    assert not specialized.is_cached(dims, acts)
    assert compiled.kernel_module(enc, 300, 1, 100) is kernels  # short run, nothing compiled
    assert engines.prepare(tutorial_spec) > 0
    assert specialized.is_cached(dims, acts)
    assert list(tmp_path.glob("net_*.py"))
    chosen = compiled.kernel_module(enc, 300, 1, 100)
    assert chosen is not kernels and chosen.__file__.startswith(str(tmp_path))

    plist = [network.init_params(tutorial_spec, init, rng=s)
             for s in range(2) for init in ("he_normal", "zeros")]
    cfg = TrainConfig(num_iterations=500, record_every=100)
    many = engines.train_many(tutorial_spec, plist, moons.train_X, moons.train_Y, cfg, "batched")
    for p, h in zip(plist, many, strict=True):
        ref = train.train_numpy(tutorial_spec, p, moons.train_X, moons.train_Y, cfg)
        single = compiled.train_numba(tutorial_spec, p, moons.train_X, moons.train_Y, cfg)
        assert np.max(np.abs(np.array(h.costs) - ref.costs) / np.abs(ref.costs)) < 1e-9
        assert h.costs == single.costs  # same kernel: bit for bit
        for k in p:
            np.testing.assert_array_equal(h.params[k], single.params[k])


def test_unwritable_cache_falls_back_to_the_generic_kernel(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("INITLAB_CACHE_DIR", str(blocker / "kernels"))
    assert specialized.load([2, 3, 2], [3]) is None
    enc = Encoded.of(network.Spec.build([2, 3, 2], "relu", "softmax"), TrainConfig())
    assert compiled.kernel_module(enc, 10**6, 10**3, 10**6) is kernels  # long, but cannot cache


def test_missing_kernel_source_falls_back_to_the_generic_kernel(monkeypatch):
    def no_source(obj):
        raise OSError("could not get source code")

    monkeypatch.setattr(specialized.inspect, "getsource", no_source)
    specialized._generated.cache_clear()  # earlier tests generated this network's source
    assert specialized.load([2, 3, 2], [3]) is None and not specialized.is_cached([2, 3, 2], [3])
    enc = Encoded.of(network.Spec.build([2, 3, 2], "relu", "softmax"), TrainConfig())
    assert compiled.kernel_module(enc, 10**6, 10**3, 10**6) is kernels


def test_large_networks_stay_generic():
    assert specialized.supports([2, 10, 5, 1]) and specialized.passes([2, 10, 5, 1]) == 34
    assert not specialized.supports([64, 256, 256, 10])
    enc = Encoded.of(network.Spec.build([64, 256, 256, 10], "relu", "softmax"), TrainConfig())
    assert compiled.kernel_module(enc, 10**6, 10**3, 10**6) is kernels


def test_source_is_deterministic_and_names_the_network():
    a, b = specialized.source([2, 10, 5, 1], [3, 3]), specialized.source([2, 10, 5, 1], [3, 3])
    assert a == b and "dims [2, 10, 5, 1]" in a
    assert a != specialized.source([2, 10, 5, 1], [3, 2])
