"""Verdicts per module call of a :class:`~initlab.torch.measure.TorchMeasurement`, with mean-field
bands where the theory applies.

Each call gets :func:`initlab.theory.diagnose.layer_findings` (symmetric, collapsed, vanishing,
exploding, saturated, healthy: the same rules and thresholds as ``initlab histograms``), with the
batch's RMS as the activation reference and the last call's gradient RMS as the gradient
reference, and ``dead`` where at least :data:`initlab.theory.diagnose.DEAD_SHARE` of the units
output 0 for every input (``layer_findings(..., dead=True)``).
The per-layer growth rule compares a call with the previous call of the same kind, and only in a
plain chain (an ``nn.Sequential`` of Linear layers each followed by the same elementwise
activation): elsewhere a BatchNorm or a residual sum between two calls changes the scale on purpose.

In such a chain the mean-field predictions of :func:`initlab.theory.meanfield.predict_layers` are
attached (``sigma_w2 = fan_in * mean(W^2)`` and ``sigma_b2 = mean(b^2)`` read from the weights).
For residual, normalized or attention models, or conv stacks, the verdict says plainly that there
is no theory band rather than inventing one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from initlab.theory import diagnose as diag
from initlab.theory import meanfield
from initlab.torch._base import plain_chain
from initlab.torch.measure import CallRecord, TorchMeasurement

__all__ = ["CallVerdict", "ModelVerdict", "diagnose", "plain_chain"]


@dataclass
class CallVerdict:
    """All findings of one call, most severe first; ``predicted`` holds the mean-field statistics
    where the model is a plain chain (``measured`` keys, and ``gradient_std``), else None."""

    index: int
    name: str
    findings: list[diag.Finding]
    predicted: dict[str, Any] | None = None

    @property
    def verdict(self) -> str:
        return self.findings[0].label

    def to_json(self) -> list[dict[str, Any]]:
        return [{"label": f.label, "figure": f.figure, "message": f.message} for f in self.findings]


@dataclass
class ModelVerdict:
    """The most severe finding over the calls, every label seen, a summary, and the theory note."""

    verdict: str
    labels: list[str]
    summary: str
    calls: list[CallVerdict]
    theory: str
    recommendation: diag.Recommendation | None = None
    chain: dict[str, Any] = field(default_factory=dict)


def _chain_predictions(model: Any, m: TorchMeasurement, activation: str) -> list[dict[str, Any]] | None:
    if m.inputs is None or len(m.layers) != len(model):
        return None
    lins = list(model.children())[::2]
    sw2 = [lin.in_features * float((lin.weight.detach().double() ** 2).mean()) for lin in lins]
    sb2 = [0.0 if lin.bias is None else float((lin.bias.detach().double() ** 2).mean()) for lin in lins]
    widths = [lins[0].in_features, *(lin.out_features for lin in lins)]
    return meanfield.predict_layers(activation, sw2, sb2, widths, meanfield.BatchSummary.from_inputs(m.inputs))


def diagnose(model: Any, m: TorchMeasurement) -> ModelVerdict:
    """Verdicts for every call of a measurement of ``model``."""
    activation, why = plain_chain(model)
    top = m.layers[-1].gradient
    top_rms = diag.rms(top) if top is not None else 1.0
    pred = _chain_predictions(model, m, activation) if activation else None
    calls = []
    for rec in m.layers:
        prev = _neighbour(m.layers, rec, -1) if pred is not None else None
        nxt = _neighbour(m.layers, rec, +1) if pred is not None else None
        grad = rec.gradient if rec.gradient is not None else {"mean": 0.0, "std": top_rms}
        lv = diag.layer_findings(rec.index + 1, rec.measured, grad, m.input_rms, top_rms, rec.units,
                                 diag.rms(prev.measured) if prev else None,
                                 diag.rms(nxt.gradient) if nxt and nxt.gradient else None, dead=True)
        calls.append(CallVerdict(rec.index, rec.name, lv.findings, _predicted(pred, rec)))
    labels = sorted({f.label for c in calls for f in c.findings}, key=diag.SEVERITY.index)
    if len(labels) > 1 and "healthy" in labels:
        labels.remove("healthy")
    worst = labels[0]
    first = next(c for c in calls if any(f.label == worst for f in c.findings))
    msg = next(f.message for f in first.findings if f.label == worst)
    summary = f"{worst} from {first.name} (call {first.index + 1}): {msg}"
    if activation is None:
        theory = f"no theory band: {why}; mean-field predictions cover plain Linear/activation chains"
        return ModelVerdict(worst, labels, summary, calls, theory)
    sw2 = _last_sw2(model)
    info = meanfield.analyze(activation, sw2, 0.0).to_dict() if sw2 > 0 else {}
    return ModelVerdict(worst, labels, summary, calls, f"mean-field band: {activation} chain",
                        diag.recommend(activation), info)


def _last_sw2(model: Any) -> float:
    lin = list(model.children())[-2]
    return int(lin.in_features) * float((lin.weight.detach().double() ** 2).mean())


def _neighbour(layers: list[CallRecord], rec: CallRecord, step: int) -> CallRecord | None:
    """The nearest call of the same module type before (-1) or after (+1) ``rec``."""
    i = rec.index + step
    while 0 <= i < len(layers):
        if layers[i].module == rec.module:
            return layers[i]
        i += step
    return None


def _predicted(pred: list[dict[str, Any]] | None, rec: CallRecord) -> dict[str, Any] | None:
    if pred is None:
        return None
    p = pred[rec.index // 2]
    if rec.index % 2 == 0:
        return dict(p["preactivation"])
    return {**p["activation"], "gradient_std": p["gradient"]["std"]}

