"""Pages of the signal-propagation commands: per-layer histograms, the depth study, the phase
diagram. Each is a :class:`~initlab.core.report.Report` over results computed by
:mod:`initlab.experiments.histograms` and :mod:`initlab.theory.meanfield`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from initlab import activations
from initlab.core.report import Image, Plot, Report, Section, Table
from initlab.experiments import histograms as exp
from initlab.theory import meanfield as th
from initlab.theory.propagation import init_variance


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


@dataclass
class HistogramsReport(Report):
    """``initlab histograms --out``: the per-layer table, the verdicts, histogram grids."""

    result: exp.HistogramsResult
    title = "initlab histograms"

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` contract of :func:`initlab.experiments.histograms.to_json`."""
        return exp.to_json(self.result)

    def meta(self) -> dict[str, Any]:
        """The settings that produced the result."""
        return dict(self.result.config)

    def _groups(self) -> dict[str, list[exp.Case]]:
        """Cases per activation name, in the order asked for."""
        out: dict[str, list[exp.Case]] = {}
        for act in self.result.config["activations"]:
            name = activations.get(act).name
            out[name] = [c for c in self.result.cases if c.activation in (act, name)]
        return out

    def figures(self) -> dict[str, Plot]:
        """An activation and a gradient histogram grid per activation."""
        return {f"{kind}_histograms_{name}": Plot("histogram_grid", {"cases": cases, "kind": kind})
                for name, cases in self._groups().items() for kind in ("activation", "gradient")}

    def sections(self) -> list[Section]:
        """Per-layer statistics, verdicts and the histogram grids."""
        verdicts = [[c.init, c.activation, c.verdict.verdict, _fmt(c.verdict.theory.get("chi_1")),
                     c.verdict.theory.get("phase", "-"), _fmt(c.verdict.theory.get("xi_c")),
                     c.verdict.summary, c.verdict.recommendation.spec or "-",
                     c.verdict.recommendation.reason] for c in self.result.cases]
        images = [Image(f"{kind}_histograms_{name}", f"{kind} histograms, {name}", id=f"{kind}-{name}")
                  for name in self._groups() for kind in ("activation", "gradient")]
        return [
            Section("Per-layer statistics", paragraphs=[
                ("Measured on the first seed's network (averaged over seeds with --repeats) beside "
                 "the mean-field prediction for the same input batch. Spreads: across-sample = "
                 "sqrt(mean over units of each unit's variance over inputs); across-unit = std of "
                 "the unit means.")],
                tables=[Table(list(exp.TABLE_HEADERS), exp.table_rows(self.result), fmt="{:.4g}")],
                id="statistics"),
            Section("Verdicts", paragraphs=[
                ("chi_1, phase and xi_c are the mean-field values at the hidden layers' (sigma_w2, "
                 "sigma_b2); '-' where infinite or undefined (see docs/theory.md).")],
                tables=[Table(["init", "activation", "verdict", "chi_1", "phase", "xi_c", "why",
                               "recommended", "because"], verdicts)], id="verdicts"),
            Section("Histograms", images=images, id="histograms"),
        ]


def _at(values: Sequence[float], i: int) -> float | None:
    return values[i] if i < len(values) else None


@dataclass
class DepthStudyReport(Report):
    """``initlab histograms --depth-study --out``: where the scales leave the band."""

    cases: list[exp.DepthCase]
    max_depth: int
    title = "initlab depth study"
    json_name = "depth_study.json"

    HEADERS = ("init", "activation", "act leaves band at", "(theory)", "grad leaves band at",
               "(theory)", "act scale @30", "grad scale @30")

    def to_json(self) -> dict[str, Any]:
        """:func:`initlab.experiments.histograms.depth_json`."""
        return exp.depth_json(self.cases, self.max_depth)

    def rows(self) -> list[list[Any]]:
        """One row per case: the depths (``>N``: never left the band) and the scales at 30."""
        top, at = f">{self.max_depth}", min(29, self.max_depth - 1)
        # a run stopped early (its values overflowed) has no scale at depth 30: shown as "-"
        return [[c.init, c.activation, c.act_depth or top, c.act_depth_theory or top,
                 c.grad_depth or top, c.grad_depth_theory or top, _at(c.act_scale, at),
                 _at(c.grad_scale, at)]
                for c in self.cases]

    def figures(self) -> dict[str, Plot]:
        """The scales against depth."""
        return {"depth_study": Plot("depth_study", {"cases": self.cases})}

    def sections(self) -> list[Section]:
        """The table and the figure."""
        return [Section("Depth study", paragraphs=[
            ("Depth at which the activation scale (RMS over the input's RMS) or the gradient scale "
             "(first layer over top layer of a network that deep) leaves [1e-3, 1e3]; '>N' means "
             "it never did.")],
            tables=[Table(list(self.HEADERS), self.rows())],
            images=[Image("depth_study", "depth study", id="depth")], id="depth-study")]


@dataclass
class PhaseDiagram(Report):
    """The mean-field phase diagram of one activation over a (sigma_w2, sigma_b2) grid."""

    name: str
    sigma_w2: np.ndarray
    sigma_b2: np.ndarray
    grid: dict[str, Any]
    marks: list[tuple[str, float, float]] = field(default_factory=list)
    critical: float = 1.0

    @property
    def title(self) -> str:  # type: ignore[override]
        """Page title."""
        return f"initlab theory: {self.name}"

    def to_json(self) -> dict[str, Any]:
        """The axes, the critical sigma_w2 at sigma_b2 = 0 and the marked initializers."""
        return {"activation": self.name, "sigma_w2": self.sigma_w2.tolist(),
                "sigma_b2": self.sigma_b2.tolist(), "sigma_w2_critical": self.critical,
                "marks": [{"init": s, "sigma_w2": w if math.isfinite(w) else None, "sigma_b2": b}
                          for s, w, b in self.marks]}

    def figures(self) -> dict[str, Plot]:
        """The diagram."""
        return {f"phase_diagram_{self.name}": Plot("phase_diagram", {
            "activation": self.name, "sigma_w2": self.sigma_w2, "sigma_b2": self.sigma_b2,
            "grid": self.grid, "marks": self.marks})}

    def sections(self) -> list[Section]:
        """A paragraph of ranges and the figure."""
        finite = self.grid["chi_1"][np.isfinite(self.grid["chi_1"])]
        para = (f"{self.name}: chi_1 ranges over [{finite.min():.3g}, {finite.max():.3g}] on this "
                f"grid; critical sigma_w2 at sigma_b2 = 0 is {self.critical:.6g}."
                if finite.size else self.name)
        marked = ", ".join(f"{s} (sigma_w2 = {w:.4g})" for s, w, _ in self.marks if math.isfinite(w))
        return [Section("Phase diagram", paragraphs=[para, f"Marked: {marked}."],
                        images=[Image(f"phase_diagram_{self.name}", f"phase diagram of {self.name}",
                                      id="phase")], id="phase-diagram")]


def phase_diagram(spec: str, sigma_b2: float, marks: Sequence[str], width: int,
                  grid: int) -> PhaseDiagram:
    """The diagram of activation ``spec`` around its critical line, marking initializers ``marks``
    at their sigma_w2 for fan-in ``width``; ``grid`` points along sigma_w2 (half along sigma_b2)."""
    marked = [(s, init_variance(s, (width, width)), sigma_b2) for s in marks]
    crit = th.critical_sigma_w2(spec, 0.0).sigma_w2_critical or 1.0
    w_max = max(2.5 * crit, 1.2 * max((w for _, w, _ in marked), default=0.0))
    b_max = max(0.25 * crit, 2 * sigma_b2, 0.1)
    ws = np.linspace(w_max / grid, w_max, grid)
    bs = np.linspace(0.0, b_max, max(3, grid // 2))
    return PhaseDiagram(activations.get(spec).name, ws, bs, th.phase_grid(spec, ws, bs), marked,
                        crit)
