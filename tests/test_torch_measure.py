"""initlab.torch.measure: parity with the NumPy measurement, no side effects, calls, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch", reason='PyTorch is not installed (pip install "initlab[torch]")')

from initlab.core.errors import InitlabError
from initlab.theory.propagation import STAT_NAMES
from initlab.theory.propagation import measure as np_measure
from initlab.torch import measure
from torch_helpers import assert_same_state, models, numpy_chain, state

CASES = [(w, i, a) for w in ([2, 10, 5, 1], [100] * 6)
         for i in ("normal:std=1", "normal:std=0.01", "lecun_normal", "he_normal")
         for a in ("sigmoid", "relu", "tanh")]


def _close(mine: dict, ref: dict, where: str) -> None:
    assert set(mine) == set(ref) == set(STAT_NAMES)
    for k, v in ref.items():
        if v is None or isinstance(v, int):
            assert mine[k] == v, (where, k)
        else:
            assert mine[k] == pytest.approx(v, rel=1e-10, abs=1e-300), (where, k, mine[k], v)


@pytest.mark.parametrize(("widths", "init", "act"), CASES)
def test_parity_with_numpy_measurement(widths, init, act):
    ref = np_measure(init, act, widths=widths, samples=1000, rng=7)
    model, X, r = numpy_chain(widths, init, act, 7, 1000)
    got = measure(model, X, rng=r)
    assert [c.module for c in got.layers] == ["Linear", type(model[1]).__name__] * (len(widths) - 1)
    for l, rec in enumerate(ref.layers):
        lin, a = got.layers[2 * l], got.layers[2 * l + 1]
        _close(lin.measured, rec.pre, f"pre {l + 1}")
        _close(a.measured, rec.act, f"act {l + 1}")
        _close(a.gradient, rec.grad, f"grad {l + 1}")


def test_no_side_effects_on_a_resnet_in_training_mode():
    m = models().resnet18(seed=0)
    m.train()
    x = torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    m(x).sum().backward()  # existing gradients must survive untouched
    m.layer1.eval()  # mixed modes are kept as they are
    before = state(m)
    rng_before = torch.random.get_rng_state()
    measure(m, x)
    assert_same_state(before, state(m))
    assert torch.equal(rng_before, torch.random.get_rng_state())


def test_batchnorm_running_stats_would_change_without_restore():
    # The no-side-effect test above can fail: a plain training-mode forward moves running_mean.
    m = models().resnet18(seed=0).train()
    x = torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    before = m.bn1.running_mean.clone()
    with torch.no_grad():
        m(x)
    assert not torch.equal(before, m.bn1.running_mean)


def test_each_call_recorded_in_execution_order():
    m = models().resnet18(seed=0)
    x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    got = measure(m, x)
    names = [(c.name, c.call) for c in got.layers]
    assert names[:4] == [("conv1", 1), ("bn1", 1), ("relu", 1), ("maxpool", 1)]
    # a block's ReLU runs twice: after bn1 and after the residual sum
    assert ("layer1.0.relu", 1) in names and ("layer1.0.relu", 2) in names
    assert names.index(("layer1.0.relu", 2)) > names.index(("layer1.0.bn2", 1))
    assert names[-1] == ("fc", 1)
    conv = got.layers[0]
    assert conv.units == 64 and conv.shape == (2, 64, 16, 16)
    assert all(c.gradient is not None for c in got.layers)


def test_same_seed_same_bits_and_dropout_seeded():
    m = models().transformer(seed=0).train()  # dropout active
    x = torch.randn(2, 8, 128, generator=torch.Generator().manual_seed(2))
    a, b = measure(m, x, rng=3, seed=5), measure(m, x, rng=3, seed=5)
    c = measure(m, x, rng=3, seed=6)
    assert a.to_json() == b.to_json()
    assert a.to_json() != c.to_json()


def test_user_loss_and_tuple_outputs():
    class Two(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(4, 3)

        def forward(self, x):
            h = self.lin(x)
            return h, {"aux": h * 2}

    m = Two()
    x = torch.randn(16, 4, generator=torch.Generator().manual_seed(0))
    got = measure(m, x, loss=lambda outs: outs[0].sum())
    lin = got.layers[0]
    # d(sum h)/dh = 1 everywhere: mean 1, no spread
    assert lin.gradient["mean"] == 1.0 and lin.gradient["std"] == 0.0
    assert measure(m, x).layers[0].gradient["std"] > 0  # readout over both outputs


def test_gradient_of_readout_has_unit_variance_at_the_top():
    m = models().mlp(seed=0).double()
    x = torch.randn(512, 784, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    top = measure(m, x).layers[-1].gradient
    assert top["std"] == pytest.approx(1.0, abs=0.05)


def test_errors_and_model_untouched():
    m = models().mlp(seed=0)
    before = state(m)
    with pytest.raises(InitlabError, match=r"torch\.nn\.Module"):
        measure("not a model", torch.zeros(2, 784))
    with pytest.raises(InitlabError, match=r"module 0 \(Linear\) failed"):
        measure(m, torch.zeros(2, 5))
    bad = torch.zeros(2, 784)
    bad[0, 3] = math.nan
    with pytest.raises(InitlabError, match="1 NaN or infinite"):
        measure(m, bad)
    with pytest.raises(InitlabError, match="loss must be"):
        measure(m, torch.zeros(2, 784), loss="mse")
    with pytest.raises(InitlabError, match="no module call was recorded"):
        measure(m, torch.zeros(2, 784), modules="Conv2d")
    assert_same_state(before, state(m))


def test_overflow_is_an_error_naming_the_module():
    m = torch.nn.Sequential(torch.nn.Linear(4, 4, bias=False), torch.nn.Linear(4, 4, bias=False))
    with torch.no_grad():
        m[1].weight.fill_(1e30)
    x = torch.full((3, 4), 1e30)
    with pytest.raises(InitlabError, match=r"module 1 \(Linear"):
        measure(m, x)


def test_unit_layout_of_conv_and_sequence_outputs():
    conv = torch.nn.Sequential(torch.nn.Conv2d(3, 5, 3), torch.nn.ReLU())
    got = measure(conv, torch.randn(2, 3, 8, 8, generator=torch.Generator().manual_seed(0)))
    assert [c.units for c in got.layers] == [5, 5]
    seq = torch.nn.Sequential(torch.nn.Linear(6, 7), torch.nn.ReLU())
    got = measure(seq, torch.randn(2, 4, 6, generator=torch.Generator().manual_seed(0)))
    assert [c.units for c in got.layers] == [7, 7]
    # per unit statistics: a dead channel is seen as one
    with torch.no_grad():
        conv[0].weight[2].zero_()
        conv[0].bias[2] = -1.0
    got = measure(conv, torch.randn(2, 3, 8, 8, generator=torch.Generator().manual_seed(0)))
    assert got.layers[1].measured["dead_units"] == 1
    # that channel is all zeros, the other four about half (ReLU of symmetric pre-activations)
    assert np.isclose(got.layers[1].measured["zero_share"], 0.2 + 0.8 * 0.5, atol=0.1)


def test_module_selection_by_types_pattern_and_callable():
    m = models().vgg(seed=0)
    x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    convs = measure(m, x, modules=(torch.nn.Conv2d,))
    assert [c.module for c in convs.layers] == ["Conv2d"] * 6
    by_name = measure(m, x, modules=r"Linear|1[0-2]")
    assert [c.name for c in by_name.layers] == ["10", "11", "12", "17", "19"]
    picked = measure(m, x, modules=lambda name, mod: name == "0")
    assert [c.name for c in picked.layers] == ["0"]
    # the same call measured alone or among all gives the same statistics
    full = {c.name: c for c in measure(m, x).layers}
    assert picked.layers[0].measured == full["0"].measured
    with pytest.raises(InitlabError, match="not a regular expression"):
        measure(m, x, modules="(")


def _unit_rows(t, dim):
    """Reference layout built here: (units, samples) float64 NumPy."""
    return t.detach().double().movedim(dim, 0).reshape(t.shape[dim], -1).numpy().copy()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_statistics_read_in_place_equal_those_of_the_unit_rows(dtype):
    from initlab.theory.propagation import layer_stats

    g = torch.Generator().manual_seed(3)
    conv = torch.nn.Conv2d(3, 6, 3).to(dtype)
    x = torch.randn(4, 3, 9, 9, generator=g, dtype=dtype)
    seq = torch.nn.Linear(5, 7).to(dtype)
    s = torch.randn(3, 4, 5, generator=g, dtype=dtype)
    for model, batch, dim in ((conv, x, 1), (seq, s, 2)):
        with torch.no_grad():
            out = model(batch)
        got = measure(model, batch, loss=lambda o: (o * o).sum() / 2).layers[0]
        ref_out, ref_grad = layer_stats(_unit_rows(out, dim)), layer_stats(_unit_rows(out, dim))
        _close(got.measured, ref_out, "output")
        _close(got.gradient, ref_grad, "gradient")  # d(|o|^2 / 2)/do = o


def test_gradient_reaches_calls_before_any_parameter_and_frozen_models():
    g = torch.Generator().manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Tanh(), torch.nn.Linear(4, 3))
    x = torch.randn(16, 4, generator=g)
    got = measure(m, x, loss=lambda out: out.sum())
    # d(sum out)/d tanh(x) = column sums of W in every row: no spread over samples
    tanh = got.layers[0].gradient
    assert tanh is not None and tanh["sample_spread"] == pytest.approx(0.0, abs=1e-7)
    assert tanh["mean"] == pytest.approx(float(m[1].weight.detach().sum()) / 4, rel=1e-6)
    frozen = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU()).requires_grad_(False)
    got = measure(frozen, x)
    assert all(c.gradient is not None for c in got.layers)
    assert not any(p.requires_grad for p in frozen.parameters())


def test_a_batch_that_does_not_fit_names_the_innermost_module_that_failed():
    nn = torch.nn
    nested = nn.Sequential(nn.Linear(4, 4), nn.Sequential(nn.ReLU(), nn.Linear(5, 2)))
    with pytest.raises(InitlabError, match=r"module 1\.1 \(Linear\) failed: .*shapes"):
        measure(nested, torch.zeros(2, 4))

    class Own(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 4)

        def forward(self, x):
            return self.lin(x).view(3, -1)  # fails in the model's own code, after its Linear ran

    with pytest.raises(InitlabError, match=r"module \(model\) \(Own\) failed"):
        measure(Own(), torch.zeros(2, 4))
