"""Verdicts on a network at initialization: what is wrong, the figure that shows it, and the fix.

Each layer gets every finding that applies, most severe first:

- ``symmetric``: all units compute the same function (1 distinct unit), e.g. zeros init;
- ``collapsed``: the output no longer depends on the input: the across-sample spread is below
  ``COLLAPSE_RATIO`` of the pooled std (the pooled histogram can look perfectly healthy);
- ``dead`` (where asked for, ``layer_findings(..., dead=True)``: the verdicts of
  :mod:`initlab.torch`; ``initlab histograms`` does not ask): at least ``DEAD_SHARE`` of the
  units output 0 for every input, so they pass no gradient to their weights (not said of a
  symmetric layer, whose one finding already covers it);
- ``vanishing`` / ``exploding``: the activation scale (RMS) relative to the input's, or the gradient
  scale relative to the top layer's, left ``BAND = [1e-3, 1e3]``; or, between hidden layers, the
  scale changes by more than ``GROWTH`` per layer (at that rate it leaves the band within about
  ten layers, so a shallow net that is still inside is flagged on every layer, not only the last);
  or the absolute scale: outside ``HEALTHY = [0.1, 10]`` of its reference, or moving more than
  ``MEAN_GROWTH`` per layer on average since the reference (finite-width noise in one layer's step
  cannot make a layer between two exploding ones read healthy);
- ``saturated``: more than ``SATURATION_SHARE`` of outputs sit within 0.01 of an asymptote;
- ``healthy``: none of the above.

The network verdict is the most severe finding over its layers, with the mean-field ``chi_1`` and a
recommended initializer: the critical ``sigma_w2`` of the activation at the network's ``sigma_b2``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

from initlab import activations as act_mod
from initlab.theory import meanfield as theory
from initlab.theory.gaussian import SAT_MARGIN, relu_like_sigma_w2

BAND = (1e-3, 1e3)
GROWTH = 2.0
#: Scale (to its reference) a healthy layer keeps; beyond it, inside BAND, it is still drifting.
HEALTHY = (0.1, 10.0)
#: Average growth per layer since the reference beyond which a scale drifts: tighter than GROWTH
#: because an average over several layers is less noisy than one step (1.6**15 leaves BAND).
MEAN_GROWTH = 1.6
COLLAPSE_RATIO = 0.1
SATURATION_SHARE = 0.2
#: Share of units that output 0 for every input from which a layer is ``dead``.
DEAD_SHARE = 0.1
SEVERITY = ("symmetric", "collapsed", "dead", "vanishing", "exploding", "saturated", "healthy")


@dataclass
class Finding:
    """One diagnosis: a label from :data:`SEVERITY`, the triggering figure, and a sentence."""

    label: str
    figure: float
    message: str


@dataclass
class LayerVerdict:
    """All findings of one layer; ``verdict`` is the most severe label."""

    layer: int
    findings: list[Finding]

    @property
    def verdict(self) -> str:
        return self.findings[0].label


@dataclass
class Recommendation:
    """A suggested initializer spec for the activation, with the ``sigma_w2`` it sets and why."""

    spec: str | None
    sigma_w2: float | None
    reason: str


@dataclass
class NetworkVerdict:
    """The most severe finding over the layers, every label seen, and the recommendation."""

    verdict: str
    labels: list[str]
    summary: str
    layers: list[LayerVerdict]
    recommendation: Recommendation
    theory: dict[str, Any] = field(default_factory=dict)


def rms(stats: dict[str, Any]) -> float:
    """Root mean square from a stats dict's ``mean`` and ``std``."""
    return math.sqrt(float(stats["mean"]) ** 2 + float(stats["std"]) ** 2)


def _scale_finding(what: str, ratio: float) -> Finding | None:
    if ratio < BAND[0]:
        return Finding("vanishing", ratio, f"{what} scale is {ratio:.3g} x its reference (< {BAND[0]:g})")
    if ratio > BAND[1]:
        return Finding("exploding", ratio, f"{what} scale is {ratio:.3g} x its reference (> {BAND[1]:g})")
    return None


def _growth_finding(what: str, factor: float) -> Finding | None:
    if factor <= 0 or 1 / GROWTH <= factor <= GROWTH:
        return None
    label = "exploding" if factor > GROWTH else "vanishing"
    layers = math.log(BAND[1]) / abs(math.log(factor))
    return Finding(label, factor, f"{what} scale changes {factor:.3g}x per layer (outside "
                   f"[{1 / GROWTH:g}, {GROWTH:g}]): it leaves [{BAND[0]:g}, {BAND[1]:g}] "
                   f"within about {layers:.0f} layers")


def gradient_horizon(chi_1: float | None) -> float | None:
    """Depth after which a gradient scaled by ``sqrt(chi_1)`` per layer leaves :data:`BAND`."""
    if chi_1 is None or chi_1 <= 0 or abs(math.log(chi_1)) < 1e-9:
        return None
    return 2.0 * math.log(BAND[1]) / abs(math.log(chi_1))


def _drift_finding(what: str, ratio: float, drift: float | None, distance: int | None
                   ) -> Finding | None:
    """The absolute scale: ``ratio`` (to the reference) outside :data:`HEALTHY`, or a ``drift``
    over ``distance`` layers of more than :data:`MEAN_GROWTH` per layer on average."""
    mean = drift ** (1.0 / distance) if drift and distance else 1.0
    if HEALTHY[0] <= ratio <= HEALTHY[1] and 1 / MEAN_GROWTH <= mean <= MEAN_GROWTH:
        return None
    label = "exploding" if (mean > 1 if mean != 1.0 else ratio > 1) else "vanishing"
    return Finding(label, ratio, f"{what} scale is {ratio:.3g}x its reference, moving "
                   f"{mean:.3g}x per layer on average over {distance or 0} layer(s) (healthy: "
                   f"within [{HEALTHY[0]:g}, {HEALTHY[1]:g}] and [{1 / MEAN_GROWTH:.3g}, "
                   f"{MEAN_GROWTH:g}] per layer)")


def dead_finding(act: dict[str, Any], units: int) -> Finding | None:
    """``dead`` when at least :data:`DEAD_SHARE` of ``units`` output 0 for every input
    (``act["dead_units"]``), else None."""
    dead = int(act["dead_units"])
    if units > 1 and dead / units >= DEAD_SHARE:
        return Finding("dead", dead / units, f"{dead} of {units} units output 0 for every input: "
                       "they pass no gradient to their weights")
    return None


def layer_findings(
    layer: int, act: dict[str, Any], grad: dict[str, Any], input_rms: float, top_grad_rms: float,
    units: int, prev_act_rms: float | None = None, next_grad_rms: float | None = None,
    act_distance: int | None = None, grad_distance: int | None = None,
    first_act_rms: float | None = None, dead: bool = False,
) -> LayerVerdict:
    """Diagnose one layer from its measured activation and gradient statistics.

    ``prev_act_rms`` (the hidden layer below) and ``next_grad_rms`` (the layer above), when
    given, add the per-layer growth rule for a scale still inside :data:`BAND`. The distances
    (layers above layer 1 for the activation, whose scale is compared with ``first_act_rms``
    since layer 1 mostly shows the nonlinearity itself, and layers below the top for the
    gradient) add the absolute-scale rule: a scale inside :data:`BAND` but outside
    :data:`HEALTHY`, or moving more than :data:`MEAN_GROWTH` per layer on average, is not healthy
    even where one layer's own step looks fine. ``dead`` adds :func:`dead_finding`.
    """
    out: list[Finding] = []
    if units > 1 and act["distinct_units"] == 1:
        out.append(Finding("symmetric", 1.0, f"1 distinct unit of {units}: every unit computes the "
                           "same function, so they also get the same updates"))
    std, spread = float(act["std"]), float(act["sample_spread"])
    ratio = spread / std if std > 0 else 0.0
    if ratio < COLLAPSE_RATIO and not out:
        out.append(Finding("collapsed", ratio, f"across-sample spread {spread:.3g} is {ratio:.1%} of the "
                           f"pooled std {std:.3g}: the output barely depends on the input"))
    if dead and not any(f.label == "symmetric" for f in out):
        found = dead_finding(act, units)
        if found is not None:
            out.append(found)
    for what, value, ref, neighbour, distance, origin in (
        ("activation", rms(act), input_rms, prev_act_rms, act_distance, first_act_rms),
        ("gradient", rms(grad), top_grad_rms, next_grad_rms, grad_distance, top_grad_rms),
    ):
        f = _scale_finding(what, value / ref if ref > 0 else 0.0)
        if f is None and neighbour is not None and neighbour > 0:
            f = _growth_finding(what, value / neighbour)
        if f is None and distance is not None and ref > 0:
            drift = value / origin if origin else None
            f = _drift_finding(what, value / ref, drift, distance)
        if f is not None:
            out.append(f)
    sat = act.get("saturated_share")
    if sat is not None and sat > SATURATION_SHARE:
        out.append(Finding("saturated", sat, f"{sat:.1%} of outputs within {SAT_MARGIN:g} of an asymptote: "
                           "their derivative is near 0"))
    if not out:
        out.append(Finding("healthy", ratio, "scale kept, input-dependent, not saturated"))
    out.sort(key=lambda f: SEVERITY.index(f.label))
    return LayerVerdict(layer, out)


def recommend(activation: Any, sigma_b2: float = 0.0) -> Recommendation:
    """The initializer that puts ``activation`` at the edge of chaos (chi_1 = 1) at ``sigma_b2``.

    Where the edge of chaos itself saturates more than :data:`SATURATION_SHARE` of the outputs
    (sigmoid), the recommendation is the largest scale that does not, and says what it costs.
    """
    act = act_mod.get(activation)
    if isinstance(activation, str):
        return _recommend_cached(activation, sigma_b2)
    return _recommend(act, sigma_b2)


@functools.lru_cache(maxsize=64)
def _recommend_cached(activation: str, sigma_b2: float) -> Recommendation:
    return _recommend(act_mod.get(activation), sigma_b2)


def _recommend(act: act_mod.Activation, sigma_b2: float) -> Recommendation:
    if act.name == "relu":
        return Recommendation("he_normal", relu_like_sigma_w2(0.0),
                              "ReLU is critical at sigma_w2 = 2 (He et al. 2015)")
    if act.name == "leaky_relu":
        a = act.params["negative_slope"]
        return Recommendation(f"he_normal:nonlinearity=leaky_relu,negative_slope={a!r}",
                              relu_like_sigma_w2(a), "leaky ReLU is critical at sigma_w2 = 2 / (1 + a^2)")
    crit = theory.critical_sigma_w2(act, sigma_b2)
    w = crit.sigma_w2_critical
    if w is None:
        return Recommendation(None, None, f"{act.name} has no critical point at sigma_b2 = {sigma_b2:g}: "
                              + crit.note)
    reason = (f"chi_1 = 1 for {act.name} at sigma_w2 = {w:.6g} with sigma_b2 = {sigma_b2:g} "
              "(variance sigma_w2 / fan_in)")
    sat = _fixed_point_saturation(act, w, sigma_b2)
    if sat is not None and sat > SATURATION_SHARE:
        # The critical point itself saturates: recommending it would cure vanishing gradients by
        # causing the saturation the verdict names. Give the largest scale that does not saturate.
        safe = _largest_unsaturated(act, sigma_b2, w)
        chi = theory.analyze(act, safe, sigma_b2).chi_1
        reason = (f"chi_1 = 1 needs sigma_w2 = {w:.4g} for {act.name}, where {sat:.0%} of outputs "
                  f"saturate; sigma_w2 = {safe:.4g} is the largest scale keeping saturation at or "
                  f"below {SATURATION_SHARE:.0%}" + (f" (chi_1 = {chi:.3g} there: gradients "
                                                     "still shrink, so keep the net shallow or "
                                                     "use tanh)" if chi is not None else ""))
        w = safe
    gain = math.sqrt(w)
    spec = "lecun_normal" if abs(gain - 1.0) < 1e-9 else f"lecun_normal:gain={gain:.6g}"
    return Recommendation(spec, w, reason)


def _fixed_point_saturation(act: Any, sigma_w2: float, sigma_b2: float) -> float | None:
    info = theory.analyze(act, sigma_w2, sigma_b2)
    sat = theory.kernel(act).saturated_share(info.q_star) if info.q_star is not None else None
    return None if sat is None else float(sat)


def _largest_unsaturated(act: Any, sigma_b2: float, high: float) -> float:
    """Largest ``sigma_w2 <= high`` whose fixed point saturates at most :data:`SATURATION_SHARE`
    (saturation grows with the scale), by bisection in log scale to 1%."""
    low = high
    for _ in range(60):  # step down until unsaturated
        low /= 4.0
        sat = _fixed_point_saturation(act, low, sigma_b2)
        if sat is None or sat <= SATURATION_SHARE:
            break
    while high / low > 1.01:
        mid = math.sqrt(low * high)
        sat = _fixed_point_saturation(act, mid, sigma_b2)
        if sat is not None and sat <= SATURATION_SHARE:
            low = mid
        else:
            high = mid
    return low


def diagnose(
    activation: Any,
    layers: list[dict[str, Any]],
    input_rms: float,
    units: list[int],
    sigma_w2: float,
    sigma_b2: float = 0.0,
) -> NetworkVerdict:
    """Verdict for a whole network.

    Parameters
    ----------
    layers : list of dict
        Per layer from the input side, dicts with the measured ``activation`` and ``gradient``
        statistics (keys as :data:`initlab.theory.statistics.STAT_NAMES`).
    input_rms : float
        RMS of the network's input batch (reference for the activation scale).
    units : list of int
        Width of each layer.
    sigma_w2, sigma_b2 : float
        The hidden layers' ``fan_in * Var(W)`` and ``Var(b)``, for chi_1 and the recommendation.
    """
    top = rms(layers[-1]["gradient"])
    act_rms = [rms(rec["activation"]) for rec in layers]
    grad_rms = [rms(rec["gradient"]) for rec in layers]
    verdicts = [
        layer_findings(i + 1, rec["activation"], rec["gradient"], input_rms, top, units[i],
                       act_rms[i - 1] if i > 0 else None,
                       grad_rms[i + 1] if i + 1 < len(layers) else None,
                       act_distance=i, grad_distance=len(layers) - 1 - i,
                       first_act_rms=act_rms[0])
        for i, rec in enumerate(layers)
    ]
    labels = sorted({f.label for v in verdicts for f in v.findings}, key=SEVERITY.index)
    if len(labels) > 1 and "healthy" in labels:
        labels.remove("healthy")
    worst = labels[0]
    first = next(v for v in verdicts if any(f.label == worst for f in v.findings))
    finding = next(f for f in first.findings if f.label == worst)
    summary = f"{worst} from layer {first.layer}: {finding.message}"
    info = theory.analyze(activation, sigma_w2, sigma_b2).to_dict() if sigma_w2 > 0 else {}
    horizon = gradient_horizon(info.get("chi_1"))
    if horizon is not None:
        summary += (f"; chi_1 = {info['chi_1']:.3g}, so gradients leave [{BAND[0]:g}, {BAND[1]:g}] "
                    f"after about {horizon:.0f} layers")
    rec = recommend(activation, sigma_b2)
    return NetworkVerdict(worst, labels, summary, verdicts, rec, info)
