"""initlab.torch.verdicts: the NumPy verdicts on plain chains, mean-field bands only where they apply."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch", reason='PyTorch is not installed (pip install "initlab[torch]")')

from initlab.experiments.histograms import run_case
from initlab.torch import measure
from initlab.torch.verdicts import diagnose, plain_chain
from torch_helpers import models, numpy_chain

nn = torch.nn


@pytest.mark.parametrize(("init", "act"), [
    ("normal:std=0.01", "tanh"), ("he_normal", "relu"), ("normal:std=1", "sigmoid"),
    ("normal:std=1", "relu"), ("zeros", "tanh"), ("lecun_normal", "tanh"),
])
def test_plain_chain_verdicts_equal_the_numpy_ones(init, act):
    model, X, r = numpy_chain([100] * 6, init, act, 0, 1000)
    v = diagnose(model, measure(model, X, rng=r))
    ref = run_case(init, act, seed=0)
    assert [c.verdict for c in v.calls][1::2] == [lv.verdict for lv in ref.verdict.layers]
    assert v.verdict == ref.verdict.verdict
    assert v.theory.startswith("mean-field band")
    for c, layer in zip(v.calls[1::2], ref.layers, strict=True):
        # predictions from the realized weights (fan_in * mean W^2) vs the law's exact sigma_w2
        assert c.predicted["std"] == pytest.approx(layer["predicted"]["std"], rel=0.05, abs=1e-12)
        assert c.predicted["gradient_std"] == pytest.approx(layer["gradient"]["predicted_std"], rel=0.05)


def test_no_theory_band_for_residual_normalized_or_mixed_models():
    m = models().resnet18(seed=0)
    v = diagnose(m, measure(m, torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(0))))
    assert v.theory.startswith("no theory band") and all(c.predicted is None for c in v.calls)
    assert plain_chain(nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3)))[1].startswith("it has normal")
    assert "mixes" in plain_chain(nn.Sequential(nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 3), nn.ReLU()))[1]
    t = models().transformer(seed=0)
    v = diagnose(t, measure(t, torch.randn(2, 8, 128, generator=torch.Generator().manual_seed(0))))
    assert v.theory.startswith("no theory band") and v.recommendation is None


def test_dead_units_are_a_finding():
    m = nn.Sequential(nn.Linear(20, 50), nn.ReLU(), nn.Linear(50, 10), nn.ReLU())
    with torch.no_grad():
        m[0].bias[:25] = -100.0  # half the first layer never fires
    v = diagnose(m, measure(m, torch.randn(64, 20, generator=torch.Generator().manual_seed(0))))
    relu = v.calls[1]
    assert "dead" in [f.label for f in relu.findings]
    assert next(f.figure for f in relu.findings if f.label == "dead") == 0.5
    healthy = nn.Sequential(nn.Linear(20, 50), nn.ReLU())
    v = diagnose(healthy, measure(healthy, torch.randn(64, 20, generator=torch.Generator().manual_seed(0))))
    assert "dead" not in v.labels
