"""``inspect``: audit, optional rules and LSUV, measurement and verdicts of one model, as a report.

:func:`inspect` runs the pieces in the order a user would (rules, then LSUV, then the audit of the
weights the model will start from, then one measured forward and backward pass) and returns an
:class:`InspectResult`, data only: ``to_json()`` is the ``initlab inspect --json`` contract,
``sections()`` and ``figures()`` the page :func:`initlab.output.bundle.write_bundle` writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from initlab.core.report import Image, Plot, Report, Section, Table
from initlab.torch.audit import ParamAudit, audit
from initlab.torch.init import InitRecord, init_
from initlab.torch.lsuv import LsuvRecord, lsuv_
from initlab.torch.measure import TorchMeasurement, measure
from initlab.torch.verdicts import ModelVerdict, diagnose

PARAM_KEYS = ("name", "module", "shape", "fan_in", "fan_out", "mean", "std", "scheme", "p_value")


@dataclass
class InspectResult(Report):
    """Everything ``initlab inspect`` found about one model on one batch."""

    parameters: list[ParamAudit]
    measurement: TorchMeasurement
    verdict: ModelVerdict
    init: list[InitRecord] | None = None
    lsuv: list[LsuvRecord] | None = None
    config: dict[str, Any] = field(default_factory=dict)
    title = "initlab inspect"

    def to_json(self) -> dict[str, Any]:
        """``{"parameters", "layers", "verdict"}``, plus ``"init"`` and ``"lsuv"`` when they ran."""
        layers = []
        for rec, cv in zip(self.measurement.layers, self.verdict.calls, strict=True):
            entry = {"name": rec.name, "module": rec.module, "call": rec.call, "shape": list(rec.shape),
                     "units": rec.units, "measured": rec.measured, "gradient": rec.gradient,
                     "verdicts": cv.to_json()}
            if cv.predicted is not None:
                entry["predicted"] = cv.predicted
            layers.append(entry)
        doc: dict[str, Any] = {
            "config": self.config,
            "parameters": [{k: a.to_json()[k] for k in PARAM_KEYS} for a in self.parameters],
            "layers": layers,
            "verdict": {"verdict": self.verdict.verdict, "labels": self.verdict.labels,
                        "summary": self.verdict.summary, "theory": self.verdict.theory},
        }
        if self.init is not None:
            doc["init"] = [r.to_json() for r in self.init]
        if self.lsuv is not None:
            doc["lsuv"] = [{k: r.to_json()[k] for k in ("name", "iterations", "std", "converged", "reason")}
                           for r in self.lsuv]
        return doc

    def meta(self) -> dict[str, Any]:
        return {k: v for k, v in self.config.items() if v is not None}

    def layer_rows(self) -> list[list[Any]]:
        """The per-call table: statistics and verdict of each module call."""
        rows = []
        for rec, cv in zip(self.measurement.layers, self.verdict.calls, strict=True):
            m, g = rec.measured, rec.gradient or {}
            rows.append([rec.index + 1, rec.name, rec.module, rec.call, m["mean"], m["std"],
                         m["sample_spread"], _dash(m["saturated_share"]), m["zero_share"], m["dead_units"],
                         m["distinct_units"], _dash(g.get("std")), cv.verdict])
        return rows

    def sections(self) -> list[Section]:
        v = self.verdict
        out = [Section("Verdict", paragraphs=[v.summary, v.theory] + (
            [f"recommended: {v.recommendation.spec} ({v.recommendation.reason})"]
            if v.recommendation is not None and v.recommendation.spec else [])),
            Section("Scales through the model", images=[Image("scales", "std of each call's output "
                    "and of the gradient flowing back into it", "scales")]),
            Section("Per-call statistics", paragraphs=[
                "Per module call in execution order (a module called twice appears twice). Values are "
                "read as units x samples: features or channels are units; batch, positions and tokens "
                "are samples. The gradient is dL/d output under " + self.measurement.loss + "."],
                tables=[Table(["#", "name", "module", "call", "mean", "std", "sample spread",
                               "saturated", "zero", "dead", "distinct", "grad std", "verdict"],
                              self.layer_rows(), fmt="{:.4g}")])]
        if self.measurement.layers[0].act_hist is not None:
            out.append(Section("Histograms", images=[
                Image("outputs", "output histogram of each call", "outputs"),
                Image("gradients", "gradient histogram of each call", "gradients")]))
        out.append(Section("Parameters", paragraphs=[
            ("Each parameter's statistics and the registered scheme that explains it "
             "(Kolmogorov-Smirnov p-value); '-' where none does.")], tables=[Table(
                ["name", "module", "shape", "fan_in", "fan_out", "mean", "std", "max |w|", "scheme", "p"],
                [[a.name, a.module, "x".join(map(str, a.shape)), _dash(a.fan_in), _dash(a.fan_out),
                  a.mean, a.std, a.max_abs, _dash(a.scheme), _dash(a.p_value)] for a in self.parameters],
                fmt="{:.4g}")]))
        if self.lsuv is not None:
            out.append(Section("LSUV", tables=[Table(
                ["layer", "module", "iterations", "std", "converged", "followed by", "reason"],
                [[r.name, r.module, r.iterations, _dash(r.std), r.converged, _dash(r.followed_by),
                  _dash(r.reason)] for r in self.lsuv], fmt="{:.4g}")]))
        return out

    def figures(self) -> dict[str, Plot]:
        recs = self.measurement.layers
        names = [f"{r.name}#{r.call}" if r.call > 1 else r.name for r in recs]
        pred = [cv.predicted.get("std") if cv.predicted else None for cv in self.verdict.calls]
        figs = {"scales": Plot("torch_scales", {
            "names": names, "output_std": [r.measured["std"] for r in recs],
            "gradient_std": [r.gradient["std"] if r.gradient else None for r in recs],
            "predicted_std": pred})}
        if recs[0].act_hist is not None:
            for stem, attr in (("outputs", "act_hist"), ("gradients", "grad_hist")):
                hs = [(n, getattr(r, attr)) for n, r in zip(names, recs, strict=True) if getattr(r, attr)]
                figs[stem] = Plot("torch_histograms", {
                    "names": [n for n, _ in hs], "edges": [h.edges for _, h in hs],
                    "shares": [h.shares for _, h in hs], "title": f"{stem} per module call"})
        return figs


def _dash(v: Any) -> Any:
    return "-" if v is None else v


def inspect(model: Any, batch: Any, rules: list[Any] | None = None, lsuv: bool = False, seed: int = 0,
            bins: int = 0, config: dict[str, Any] | None = None) -> InspectResult:
    """Initialize ``model`` by ``rules`` and/or LSUV (in place), then audit, measure and diagnose it."""
    init = init_(model, rules, seed=seed) if rules else None
    fitted = lsuv_(model, batch, seed=seed) if lsuv else None
    params = audit(model)
    m = measure(model, batch, rng=seed, seed=seed, bins=bins)
    return InspectResult(params, m, diagnose(model, m), init, fitted, dict(config or {}))
