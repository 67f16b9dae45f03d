"""Verdicts: each label fires on the figure that defines it, and the tutorial's cases read right."""

from __future__ import annotations

import math

import numpy as np
import pytest

from initlab.theory import diagnose as dg
from initlab.theory import meanfield as theory
from initlab.theory.propagation import measure


def stats(**kw: float) -> dict:
    base = {"mean": 0.0, "std": 1.0, "sample_spread": 1.0, "unit_spread": 0.0,
            "saturated_share": None, "zero_share": 0.0, "dead_units": 0, "distinct_units": 10}
    return {**base, **kw}


@pytest.mark.parametrize("act,grad,label", [
    (stats(distinct_units=1, std=0.0, sample_spread=0.0), stats(), "symmetric"),
    (stats(std=0.5, sample_spread=0.01, unit_spread=0.5), stats(), "collapsed"),
    (stats(std=1e-5, sample_spread=1e-5), stats(), "vanishing"),
    (stats(), stats(std=1e-4, sample_spread=1e-4), "vanishing"),
    (stats(), stats(std=5e3, sample_spread=5e3), "exploding"),
    (stats(saturated_share=0.6), stats(), "saturated"),
    (stats(saturated_share=0.1), stats(), "healthy"),
])
def test_each_label_fires_on_its_figure(act: dict, grad: dict, label: str) -> None:
    v = dg.layer_findings(1, act, grad, input_rms=1.0, top_grad_rms=1.0, units=10)
    assert v.verdict == label


def test_dead_is_said_only_when_asked_from_its_share_and_never_of_a_symmetric_layer() -> None:
    def labels(act: dict, dead: bool = True) -> list[str]:
        v = dg.layer_findings(1, act, stats(), input_rms=1.0, top_grad_rms=1.0, units=10, dead=dead)
        return [f.label for f in v.findings]

    assert labels(stats(dead_units=1)) == ["dead"]  # 1 of 10 = DEAD_SHARE: dead, no longer healthy
    assert labels(stats(dead_units=0)) == ["healthy"]
    assert labels(stats(dead_units=3), dead=False) == ["healthy"]  # initlab histograms' verdicts
    # ordered by SEVERITY: after symmetric and collapsed, before the scale findings
    assert labels(stats(dead_units=5, std=1e-5, sample_spread=1e-5)) == ["dead", "vanishing"]
    assert labels(stats(dead_units=9, distinct_units=1, std=0.0, sample_spread=0.0))[0] == "symmetric"
    assert "dead" not in labels(stats(dead_units=9, distinct_units=1, std=0.0, sample_spread=0.0))
    assert dg.dead_finding(stats(dead_units=1), units=1) is None  # one unit: no share to speak of
    assert dg.SEVERITY.index("collapsed") < dg.SEVERITY.index("dead") < dg.SEVERITY.index("vanishing")


@pytest.mark.parametrize("act_factor,grad_factor,label", [
    (3.0, 1.0, "exploding"),   # activations x3 per layer, still far inside the band
    (0.3, 1.0, "vanishing"),
    (1.0, 1 / 3.0, "exploding"),  # the gradient grows x3 per layer going down
    (1.0, 3.0, "vanishing"),
    (1.9, 0.55, "healthy"),    # inside [1/2, 2]: e.g. Xavier on ReLU (x0.71) at depth 5
])
def test_growth_per_layer_fires_inside_the_band(act_factor: float, grad_factor: float,
                                                 label: str) -> None:
    v = dg.layer_findings(2, stats(), stats(), input_rms=1.0, top_grad_rms=1.0, units=10,
                          prev_act_rms=1.0 / act_factor, next_grad_rms=grad_factor)
    assert v.verdict == label
    if label != "healthy":
        assert "per layer" in v.findings[0].message


def _network(init: str, act: str, depth: int = 5) -> dg.NetworkVerdict:
    m = measure(init, act, depth=depth, width=100, samples=500, rng=0, bins=0)
    layers = [{"activation": r.act, "gradient": r.grad} for r in m.layers]
    return dg.diagnose(act, layers, float(np.sqrt(np.mean(m.X**2))), m.widths[1:], m.sigma_w2[-1])


def test_std_001_sigmoid_is_collapsed_although_pooled_std_looks_flat() -> None:
    m = measure("normal:std=0.01", "sigmoid", depth=5, width=100, samples=500, rng=0, bins=0)
    pooled = [r.act["std"] for r in m.layers[1:]]
    assert max(pooled) / min(pooled) < 1.5  # the tutorial's histograms look alike layer to layer
    v = _network("normal:std=0.01", "sigmoid")
    assert v.verdict == "collapsed"
    f = next(f for lv in v.layers for f in lv.findings if f.label == "collapsed")
    assert f.figure < dg.COLLAPSE_RATIO and "barely depends on the input" in f.message


def test_zeros_is_symmetric() -> None:
    v = _network("zeros", "tanh")
    assert v.verdict == "symmetric" and all(lv.verdict == "symmetric" for lv in v.layers)


def test_tutorial_readings() -> None:
    assert _network("normal:std=1", "sigmoid").verdict == "saturated"
    assert _network("normal:std=0.01", "relu").verdict == "vanishing"
    assert _network("he_normal", "relu").verdict == "healthy"
    assert _network("lecun_normal", "tanh").verdict == "healthy"


def test_std1_relu_explodes_at_every_layer_not_only_past_the_band() -> None:
    # x7 per layer: layers 2-3 are still inside [1e-3, 1e3] but on their way out
    v = _network("normal:std=1", "relu")
    assert [lv.verdict for lv in v.layers] == ["exploding"] * 5
    v = _network("normal:std=0.01", "tanh")
    assert [lv.verdict for lv in v.layers] == ["vanishing"] * 5


def test_gradient_growth_verdicts_agree_with_mean_field_chi() -> None:
    # per-layer gradient factor is sqrt(chi_1): tanh std 1 is chaotic, Xavier sigmoid ordered
    chaotic = theory.analyze("tanh", 100.0, 0.0).chi_1
    ordered = theory.analyze("sigmoid", 1.0, 0.0).chi_1
    assert chaotic > dg.GROWTH**2 and ordered < dg.GROWTH**-2
    tanh = _network("normal:std=1", "tanh")
    assert tanh.verdict == "exploding"
    assert any(f.label == "exploding" and f.message.startswith("gradient")
               for f in tanh.layers[0].findings)
    sig = _network("lecun_normal", "sigmoid")
    assert any(f.label == "vanishing" and f.message.startswith("gradient")
               for f in sig.layers[0].findings)


def test_he_story_at_depth_30() -> None:
    assert _network("glorot_normal", "relu", depth=30).verdict == "vanishing"
    assert _network("he_normal", "relu", depth=30).verdict == "healthy"


def test_recommendations_follow_the_critical_line() -> None:
    assert dg.recommend("relu").spec == "he_normal"
    assert dg.recommend("leaky_relu:negative_slope=0.5").sigma_w2 == pytest.approx(2 / 1.25)
    assert dg.recommend("tanh", 0.0).spec == "lecun_normal"
    r = dg.recommend("tanh", 0.05)
    assert r.sigma_w2 == pytest.approx(theory.critical_sigma_w2("tanh", 0.05).sigma_w2_critical)
    gain = float(r.spec.split("gain=")[1])
    assert gain**2 == pytest.approx(r.sigma_w2, rel=1e-5)
    assert "saturate" in dg.recommend("sigmoid").reason


def test_gradient_horizon() -> None:
    assert dg.gradient_horizon(0.5) == pytest.approx(2 * math.log(1e3) / math.log(2))
    assert dg.gradient_horizon(1.0) is None
