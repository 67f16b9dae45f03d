"""initlab.torch.lsuv_: every layer within tolerance on the batch (checked here independently), on a
second batch within 25%, execution order, normalization flags, parity with initlab.lsuv, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch", reason='PyTorch is not installed (pip install "initlab[torch]")')

import itertools

from initlab.core.errors import InitlabError
from initlab.lsuv import lsuv as np_lsuv
from initlab.network import Spec
from initlab.torch import lsuv_
from initlab.torch.lsuv import layers_of
from torch_helpers import assert_same_state, models, state

nn = torch.nn


def _batch(shape, seed):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def output_stds(model, batch):
    """Std (population, float64) of each Linear/Conv/attention output, first call, in eval mode."""
    got: dict[str, float] = {}
    names = {m: n for n, m in model.named_modules()}
    hooks = []
    for m in layers_of(model):
        def hook(mod, args, out):
            y = (out[0] if isinstance(out, tuple) else out).detach().double()
            got.setdefault(names[mod], float(y.std(unbiased=False)))
        hooks.append(m.register_forward_hook(hook))
    was = model.training
    model.eval()
    with torch.enable_grad():  # transformer fast paths off, as lsuv_ runs
        model(batch)
    model.train(was)
    for h in hooks:
        h.remove()
    return got


@pytest.mark.parametrize(("build", "shape"), [
    pytest.param("resnet18", (16, 3, 32, 32), marks=pytest.mark.slow), ("vgg", (16, 3, 32, 32)), ("transformer", (8, 16, 128)),
    ("mlp", (256, 784)),
])
def test_every_layer_within_tolerance_and_on_a_second_batch(build, shape):
    m = getattr(models(), build)(seed=0)
    x, x2 = _batch(shape, 1), _batch(shape, 2)
    recs = lsuv_(m, x, tol=0.05, seed=3)
    assert recs and all(r.converged and r.reason is None for r in recs)
    first, second = output_stds(m, x), output_stds(m, x2)
    assert [r.name for r in recs] == list(first)  # execution order
    for r in recs:
        assert abs(first[r.name] - 1.0) < 0.05, r.name
        assert r.std == pytest.approx(first[r.name], rel=1e-6)
        assert abs(second[r.name] - 1.0) < 0.25, (r.name, second[r.name])


def test_without_lsuv_the_stds_are_far_from_one():
    # the check above can fail: torch's default init leaves several layers well off unit std
    m = models().resnet18(seed=0)
    stds = output_stds(m, _batch((16, 3, 32, 32), 1))
    assert sum(abs(s - 1) > 0.1 for s in stds.values()) >= 5


def test_records_flag_normalization_and_attention():
    m = models().resnet18(seed=0)
    recs = {r.name: r for r in lsuv_(m, _batch((4, 3, 32, 32), 1), orthonormal=False)}
    assert recs["conv1"].followed_by == "bn1"
    assert recs["layer2.0.downsample.0"].followed_by == "layer2.0.downsample.1"
    assert recs["fc"].followed_by is None
    t = models().transformer(seed=0)
    names = [r.name for r in lsuv_(t, _batch((2, 8, 128), 1))]
    assert names[:3] == ["layers.0.self_attn", "layers.0.linear1", "layers.0.linear2"]
    assert not any(n.endswith("out_proj") for n in names)


def test_parity_with_numpy_lsuv_on_an_mlp():
    dims = [20, 64, 64, 32, 5]
    X = np.random.default_rng(0).standard_normal((20, 300))
    spec = Spec.build(dims, "tanh", "softmax")
    params, np_recs = np_lsuv(spec, None, X, statistic="std", target=1.0, tol=0.01, rng=9)
    layers: list[nn.Module] = []
    for a, b in itertools.pairwise(dims):
        layers += [nn.Linear(a, b, dtype=torch.float64), nn.Tanh()]
    m = nn.Sequential(*layers[:-1])
    recs = lsuv_(m, torch.from_numpy(X.T.copy()), tol=0.01, seed=9, draws="numpy")
    for l, (r, nr) in enumerate(zip(recs, np_recs, strict=True), start=1):
        lin = m[2 * (l - 1)]
        np.testing.assert_allclose(lin.weight.detach().numpy(), params[f"W{l}"], rtol=1e-10, atol=1e-14)
        assert r.iterations == nr.iterations and r.std == pytest.approx(nr.std, rel=1e-10)


@pytest.mark.parametrize("draws", ["torch", "numpy"])
def test_orthonormal_preinit_follows_initlab_orthogonal(draws):
    from initlab.initializers import orthogonal

    m = nn.Sequential(nn.Conv2d(8, 32, 3), nn.Flatten(), nn.Linear(32 * 4 * 4, 64), nn.ReLU(),
                      nn.Linear(64, 300)).double()
    lsuv_(m, _batch((4, 8, 6, 6), 0).double(), t_max=1, tol=1e9, draws=draws)  # pre-init only
    for w in (m[0].weight, m[2].weight, m[4].weight):
        flat = w.detach().reshape(w.shape[0], -1)
        small = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
        np.testing.assert_allclose(small.numpy(), np.eye(small.shape[0]), atol=1e-12)
        law = orthogonal().describe(tuple(w.shape))
        assert float(w.detach().pow(2).mean().sqrt()) == pytest.approx(law.std, rel=1e-12)
    assert not any(m[i].bias.detach().any() for i in (0, 2, 4))


def test_biases_kept_without_orthonormal_and_t_max_reported():
    m = nn.Sequential(nn.Linear(10, 50), nn.ReLU(), nn.Linear(50, 50))
    with torch.no_grad():
        m[2].bias.fill_(0.8)  # a bias std-neutral but a large part of the output: needs more steps
    x = _batch((200, 10), 0)
    recs = lsuv_(m, x, orthonormal=False, tol=0.01)
    assert float(m[2].bias.detach()[0]) == pytest.approx(0.8)
    assert all(r.converged for r in recs)
    m2 = nn.Sequential(nn.Linear(10, 50), nn.Tanh(), nn.Linear(50, 50))
    r = lsuv_(m2, x, target=5.0, t_max=1, tol=0.01)  # tanh can't reach std 5 after the first layer
    assert r[0].converged
    assert not r[1].converged or r[1].reason is None


def test_zero_variance_is_reported_not_forced():
    m = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    recs = lsuv_(m, torch.zeros(16, 4))
    assert not recs[0].converged and "zero variance" in recs[0].reason
    assert all(math.isfinite(p.detach().sum().item()) for p in m.parameters())


def test_no_global_state_and_same_seed_same_weights():
    def small():
        with torch.random.fork_rng():
            torch.manual_seed(0)
            return nn.Sequential(nn.Conv2d(3, 16, 3), nn.BatchNorm2d(16), nn.ReLU(), nn.Dropout(0.2),
                                 nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 4))

    a, b = small(), small()
    x = _batch((4, 3, 32, 32), 1)
    for m in (a, b):  # the same history: BatchNorm's running statistics move in training mode
        m.train()
        m(x).sum().backward()
    before = {k: v for k, v in state(a).items() if not k.startswith("p:")}
    rng = torch.random.get_rng_state()
    lsuv_(a, x, seed=5, train=True)  # training mode: batch statistics and seeded dropout
    lsuv_(b, x, seed=5, train=True)
    after = {k: v for k, v in state(a).items() if not k.startswith("p:")}
    assert_same_state(before, after)  # grads, buffers, modes and hooks as they were
    assert torch.equal(rng, torch.random.get_rng_state())
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


def test_errors_leave_the_model_untouched():
    m = models().mlp(seed=0)
    before = state(m)
    with pytest.raises(InitlabError, match="no Linear, Conv or attention layer"):
        lsuv_(nn.Sequential(nn.ReLU()), torch.zeros(2, 3))
    with pytest.raises(InitlabError, match=r"module 0 \(Linear\) failed"):
        lsuv_(m, torch.zeros(2, 5))
    bad = torch.ones(2, 784)
    bad[1, 1] = float("inf")
    with pytest.raises(InitlabError, match="NaN or infinite"):
        lsuv_(m, bad)
    with pytest.raises(InitlabError, match="tol"):
        lsuv_(m, torch.ones(2, 784), tol=0)
    assert_same_state(before, state(m))
    huge = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4)).double()
    with torch.no_grad():
        huge[0].weight.fill_(1e200)
    snap = state(huge)
    with pytest.raises(InitlabError, match="not finite"):
        lsuv_(huge, torch.ones(3, 4, dtype=torch.float64), orthonormal=False)
    assert_same_state(snap, state(huge))
