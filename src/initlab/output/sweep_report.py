"""Reports of a sweep store: summary tables, metrics against depth and width, failure map, CSV.

:class:`SweepReport` reads a store once; it is a :class:`~initlab.core.report.Report` (tables,
figures, JSON) that :func:`initlab.output.bundle.write_bundle` writes as a page, and it writes a
CSV file of every run.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from initlab import __version__
from initlab.core.errors import InitlabError
from initlab.core.files import atomic_write_text
from initlab.core.report import Image, Plot, Report, Section, Table
from initlab.core.stats import summarize
from initlab.sweep.run import STATUSES
from initlab.sweep.store import CONFIG_ONLY, RUN_COLUMNS, SCHEMA_VERSION, open_store

METRICS = ("final_cost", "train_accuracy", "test_accuracy", "steps_to_threshold")
#: The store's run columns (config JSON aside), then the config keys kept only in that JSON.
CSV_COLUMNS = (*(c for c in RUN_COLUMNS if c != "config"), *CONFIG_ONLY)
FAILURE_RULE = ("A run diverged if its cost or parameters became non-finite; it stalled at "
                "chance if its train accuracy stayed within 5 points of the majority class share.")
#: The HTML run table stops here; the CSV export has every run.
MAX_HTML_ROWS = 500


@dataclass
class SweepReport(Report):
    """The runs of a store, ready to summarize; :func:`initlab.output.bundle.write_bundle` writes
    its page."""

    store: str
    runs: list[dict[str, Any]]
    sweeps: dict[str, dict[str, Any]] = field(default_factory=dict)
    level: float = 0.95
    title = "initlab sweep report"

    @classmethod
    def from_store(cls, path: str | Path, level: float = 0.95) -> SweepReport:
        """Read every run of the store at ``path`` (read-only; a sweep may be writing it)."""
        with open_store(path, readonly=True) as st:
            return cls(str(path), st.runs(), st.sweeps(), level)

    def _require_runs(self) -> None:
        if not self.runs:
            raise InitlabError(f"store {self.store!r} holds no runs yet: run `initlab sweep` first")

    # -- tables -----------------------------------------------------------------------------
    def _values(self, runs: list[dict[str, Any]], metric: str) -> list[float]:
        return [float(r[metric]) for r in runs if r[metric] is not None]

    def _by(self, key: Callable[[dict[str, Any]], Any]) -> dict[Any, list[dict[str, Any]]]:
        out: dict[Any, list[dict[str, Any]]] = {}
        for r in self.runs:
            out.setdefault(key(r), []).append(r)
        return dict(sorted(out.items(), key=lambda kv: repr(kv[0])))

    def summary_rows(self) -> list[list[Any]]:
        """Per initialization: runs, status counts, test accuracy and final cost with CIs."""
        rows = []
        for init, runs in self._by(lambda r: r["init"]).items():
            counts = [sum(r["status"] == s for r in runs) for s in STATUSES]
            cells = [_ci_text(summarize(self._values(runs, m), self.level))
                     for m in ("test_accuracy", "final_cost")]
            rows.append([init, len(runs), *counts, *cells])
        return rows

    def points(self, metric: str, axis: str) -> dict[str, list[tuple[float, float, float, float]]]:
        """Mean and CI of ``metric`` at each value of ``axis`` (depth or width), per init."""
        out: dict[str, list[tuple[float, float, float, float]]] = {}
        for (init, x), runs in self._by(lambda r: (r["init"], r[axis])).items():
            s = summarize(self._values(runs, metric), self.level)
            if s.n:
                low, high = (s.mean, s.mean) if math.isnan(s.ci_low) else (s.ci_low, s.ci_high)
                out.setdefault(init, []).append((float(x), s.mean, low, high))
        return {k: sorted(v) for k, v in out.items()}

    def failure_cells(self) -> dict[tuple[str, int], dict[str, int]]:
        """Status counts per (init / activation, depth) cell."""
        cells: dict[tuple[str, int], dict[str, int]] = {}
        for r in self.runs:
            c = cells.setdefault((f"{r['init']} / {r['activation']}", int(r["depth"])), {})
            c[r["status"]] = c.get(r["status"], 0) + 1
        return cells

    def run_rows(self) -> list[list[Any]]:
        """One row per run (the CSV columns)."""
        return [[_flat(r).get(c, "") for c in CSV_COLUMNS] for r in self.runs]

    # -- report -----------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """``{"store", "runs", "level", "summary": [{init, runs, <status>..., test_accuracy,
        final_cost}], "sweeps"}`` (CI cells as the page shows them; every run: ``initlab export``)."""
        self._require_runs()
        keys = ["init", "runs", *STATUSES, "test_accuracy", "final_cost"]
        return {"store": self.store, "runs": len(self.runs), "level": self.level,
                "summary": [dict(zip(keys, row, strict=True)) for row in self.summary_rows()],
                "sweeps": self.sweeps}

    def figures(self) -> dict[str, Plot]:
        """Metrics against depth and width, and the failure map."""
        panels = {(axis, metric): self.points(metric, axis)
                  for axis in ("depth", "width") for metric in ("test_accuracy", "final_cost")}
        return {"depth_width": Plot("against", {"panels": panels}),
                "failure_map": Plot("failure_map", {"cells": self.failure_cells()})}

    def sections(self) -> list[Section]:
        """The report as :class:`~initlab.core.report.Section` objects."""
        self._require_runs()
        pct = round(100 * self.level)
        depth_width = Image("depth_width", (
            f"Test accuracy and final cost against depth and width per initialization: mean "
            f"over runs with its {pct}% bootstrap CI"), id="fig-depth_width")
        failure_map = Image("failure_map", ("Failure map: majority status per (init / activation, "
                                            "depth); colour strength is its share"),
                            id="fig-failure_map")
        summary = Table(["init", "runs", *STATUSES, f"test accuracy ({pct}% CI)",
                         f"final cost ({pct}% CI)"], self.summary_rows(), "Per initialization")
        rows = self.run_rows()
        note = (f"First {MAX_HTML_ROWS} of {len(rows)} runs; `initlab export` writes all."
                if len(rows) > MAX_HTML_ROWS else f"{len(rows)} runs.")
        specs = "\n\n".join(f"{n}: {s}" for n, s in self.sweeps.items())
        return [
            Section("Summary", [f"{len(self.runs)} runs in {self.store}."], [summary], id="summary"),
            Section("Against depth and width", images=[depth_width], id="depth-width"),
            Section("Failure map", [FAILURE_RULE], images=[failure_map], id="failure-map"),
            Section("Runs", [note], [Table(CSV_COLUMNS, rows[:MAX_HTML_ROWS])], id="runs"),
            Section("Sweep specs", code=specs, id="specs"),
        ]

    def meta(self) -> dict[str, Any]:
        """Store, run count and versions under the title."""
        return {"store": self.store, "runs": len(self.runs), "store schema": SCHEMA_VERSION,
                "initlab": __version__, "numpy": np.__version__}

    def to_csv(self, path: str | Path) -> Path:
        """Write every run as one CSV row (atomically); returns the path."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(CSV_COLUMNS)
        w.writerows([["" if v is None else v for v in row] for row in self.run_rows()])
        return atomic_write_text(path, buf.getvalue())


def _flat(r: dict[str, Any]) -> dict[str, Any]:
    return {**{k: r["config"].get(k) for k in CONFIG_ONLY}, **r}


def _ci_text(s: Any) -> str:
    if s.n == 0:
        return "-"
    if math.isnan(s.ci_low):
        return f"{s.mean:.4g} (n={s.n})"
    return f"{s.mean:.4g} [{s.ci_low:.4g}, {s.ci_high:.4g}] (n={s.n})"
