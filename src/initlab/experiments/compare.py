"""Compare initializations across many seeds: means with bootstrap CIs and pairwise tests.

The tutorial trains each initialization once. :func:`compare` trains every (init, seed) pair
of one architecture at once with the batched engine and summarises each initialization's
distribution of outcomes: final cost, train and test accuracy, and the steps needed to bring the
cost below a threshold. Runs that never reach the threshold count at the step budget
(``num_iterations``), so that metric's mean is a lower bound when some runs never get there; the
share that did is reported as ``reached``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from initlab import datasets
from initlab.core.errors import InitlabError, check_positive_float, check_positive_int
from initlab.core.report import Image, Plot, Report, Section, Table
from initlab.core.stats import Summary, pairwise_tests, summarize
from initlab.sweep.plan import check_memory, run_cost
from initlab.sweep.run import RunConfig, build_spec, check_init, chunks, train_chunk
from initlab.sweep.spec import MAX_INT

METRICS = ("final_cost", "train_accuracy", "test_accuracy", "steps_to_threshold")


@dataclass
class CompareResult(Report):
    """Per-run outcomes of a comparison and their summaries (data only)."""

    configs: list[RunConfig]
    results: list[dict[str, Any]]
    level: float = 0.95
    summaries: dict[str, dict[str, Summary]] = field(default_factory=dict)
    reached: dict[str, int] = field(default_factory=dict)
    pairwise: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    title = "initlab compare"

    @property
    def inits(self) -> list[str]:
        """Initializations in the order asked for."""
        return list(dict.fromkeys(c.init for c in self.configs))

    def values(self, init: str, metric: str) -> list[float]:
        """One value per seed (diverged runs have no cost or accuracy and are left out)."""
        budget = self.configs[0].num_iterations
        out = []
        for c, r in zip(self.configs, self.results, strict=True):
            if c.init != init or r["status"] == "diverged":
                continue
            v = r[metric]
            out.append(float(budget if v is None and metric == "steps_to_threshold" else v))
        return out

    def representative(self, init: str) -> tuple[RunConfig, dict[str, Any]]:
        """The seed whose final cost is closest to the init's median (diverged runs excluded)."""
        pairs = [(c, r) for c, r in zip(self.configs, self.results, strict=True)
                 if c.init == init and r["status"] != "diverged"]
        if not pairs:
            pairs = [(c, r) for c, r in zip(self.configs, self.results, strict=True) if c.init == init]
            return pairs[0]
        med = float(np.median([r["final_cost"] for _, r in pairs]))
        return min(pairs, key=lambda cr: (abs(cr[1]["final_cost"] - med), cr[0].seed))

    def curves(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """``{init: (iterations, costs of shape (n_seeds, T))}`` of the runs that did not diverge."""
        out = {}
        for init in self.inits:
            rows = [r["arrays"] for c, r in zip(self.configs, self.results, strict=True)
                    if c.init == init and "costs" in r["arrays"]]
            if rows:
                out[init] = (rows[0]["iterations"], np.vstack([a["costs"] for a in rows]))
        return out

    def to_json(self) -> dict[str, Any]:
        """JSON-ready: ``{"inits": [{"init", "n", metric: {mean, ci_low, ci_high, n}}], ...}``."""
        c0 = self.configs[0]
        inits = []
        for init in self.inits:
            entry: dict[str, Any] = {"init": init, "n": sum(c.init == init for c in self.configs)}
            for m in METRICS:
                entry[m] = self.summaries[init][m].as_dict()
            entry["steps_to_threshold"]["reached"] = self.reached[init]
            entry["diverged"] = sum(c.init == init and r["status"] == "diverged"
                                    for c, r in zip(self.configs, self.results, strict=True))
            inits.append(entry)
        settings = {k: v for k, v in c0.canonical().items() if k not in ("init", "seed", "schema")}
        return {"inits": inits, "level": self.level, "settings": settings,
                "seeds": sorted({c.seed for c in self.configs}), "pairwise": self.pairwise,
                "engines": sorted({r["engine"] for r in self.results})}  # which trained the runs

    # -- presentation ------------------------------------------------------------------------
    def figures(self) -> dict[str, Plot]:
        """Cost bands, metric intervals and (two-feature data) decision boundaries."""
        figs = {"cost_curves": Plot("cost_bands", {"curves": self.curves()}),
                "intervals": Plot("intervals", {"summaries": {i: self.summaries[i] for i in self.inits},
                                                "metrics": METRICS})}
        data = datasets.load(self.configs[0].dataset)
        if data.n_features == 2:
            spec = build_spec(self.configs[0])
            panels = []
            for init in self.inits:
                c, r = self.representative(init)
                if "params" in r:
                    panels.append((f"{init} (seed {c.seed})", spec, r["params"]))
            if panels:
                figs["boundaries"] = Plot("boundaries", {"panels": panels, "X": data.train_X,
                                                         "Y": data.train_Y})
        return figs

    def sections(self) -> list[Section]:
        """The comparison as report sections."""
        pct = round(100 * self.level)
        captions = {
            "cost_curves": "Cost per iteration: median over seeds with the 25-75% band",
            "intervals": f"Mean per initialization with its {pct}% bootstrap CI",
            "boundaries": ("Decision boundaries of the median-cost seed of each initialization, "
                           "on the training set"),
        }
        images = [Image(k, captions[k], id=f"fig-{k}") for k in self.figures()]
        head = ["init", "n"] + [f"{m.replace('_', ' ')} ({pct}% CI)" for m in METRICS]
        rows = [[i, self.summaries[i]["final_cost"].n]
                + [_ci_text(self.summaries[i][m]) for m in METRICS] for i in self.inits]
        tests = [Table(["a", "b", "mean a - b", "p", "p (Holm)", "significant"],
                       [[t["a"], t["b"], t["difference"], t["p_value"], t["p_adjusted"],
                         "yes" if t["significant"] else "no"] for t in rows_],
                       caption=m.replace("_", " "))
                 for m, rows_ in self.pairwise.items()]
        c0 = self.configs[0]
        about = (f"{len(self.configs)} runs: {len(self.inits)} initializations x "
                 f"{len(self.configs) // max(1, len(self.inits))} seeds on {c0.dataset}, hidden "
                 f"layers {list(c0.hidden)}, {c0.activation}, {c0.optimizer} "
                 f"lr={c0.learning_rate}, {c0.num_iterations} steps. Steps to cost <= "
                 f"{c0.threshold}: runs that never get there count at the step budget.")
        how = ("Two-sided permutation tests of the difference in means, Holm-corrected over "
               "the pairs of each metric.")
        return [
            Section("Summary", [about], [Table(head, rows, "Per initialization")], images,
                    id="summary"),
            Section("Pairwise tests", [how], tests, id="pairwise"),
        ]


def _ci_text(s: Summary) -> str:
    if s.n == 0:
        return "-"
    return f"{s.mean:.4g} [{s.ci_low:.4g}, {s.ci_high:.4g}]"


def compare(
    inits: Sequence[str],
    dataset: str = "moons",
    seeds: int = 30,
    hidden: Sequence[int] = (10, 5),
    activation: str = "relu",
    optimizer: str = "gd",
    learning_rate: float = 0.01,
    num_iterations: int = 15000,
    record_every: int = 100,
    threshold: float = 0.2,
    base_seed: int = 0,
    level: float = 0.95,
    engine: str = "auto",
    chunk_size: int = 512,
    progress: bool | None = None,
) -> CompareResult:
    """Train every (init, seed) pair and summarise each initialization across seeds.

    Seed ``i`` of every initialization draws from ``SeedSequence([base_seed, i])``.
    """
    configs = compare_runs(inits, dataset, seeds, hidden, activation, optimizer, learning_rate,
                           num_iterations, record_every, threshold, base_seed)
    check_compare(configs, engine, chunk_size)
    by_id = _train(configs, engine, chunk_size, progress)
    result = CompareResult(configs, [by_id[c.run_id] for c in configs], level)
    _summarize(result)
    return result


def compare_runs(inits: Sequence[str], dataset: str = "moons", seeds: int = 30,
                 hidden: Sequence[int] = (10, 5), activation: str = "relu", optimizer: str = "gd",
                 learning_rate: float = 0.01, num_iterations: int = 15000,
                 record_every: int = 100, threshold: float = 0.2,
                 base_seed: int = 0) -> list[RunConfig]:
    """The runs :func:`compare` trains (every init with every seed), validated."""
    inits = list(dict.fromkeys(i.strip() for i in inits if i.strip()))
    if not inits:
        raise InitlabError("give at least one initializer to compare")
    for i in inits:
        check_init(i)
    seeds = check_positive_int(seeds, "number of seeds")
    threshold = check_positive_float(threshold, "threshold", allow_zero=True)  # as in a spec
    base_seed = check_positive_int(base_seed, "base seed", 0)
    if base_seed > MAX_INT:
        raise InitlabError(f"base seed must be at most {MAX_INT}, got {base_seed}")
    configs = [RunConfig(dataset, i, activation, tuple(hidden), optimizer, learning_rate,
                         num_iterations, record_every, threshold, s, base_seed)
               for i in inits for s in range(seeds)]
    build_spec(configs[0])  # validates dataset, sizes and activation before any training
    return configs


def check_compare(configs: list[RunConfig], engine: str, chunk_size: int = 512) -> float:
    """Refuse a bad engine or a comparison too big for memory before any training; returns
    the rough estimate of its CPU time in seconds (:func:`initlab.sweep.plan.run_cost`)."""
    per_run, run_bytes = run_cost(configs[0], engine)
    batch = min(len(configs), check_positive_int(chunk_size, "chunk size"))
    check_memory(batch * run_bytes, f"training {batch} networks of {list(configs[0].hidden)} "
                 "hidden units at once", "use a smaller network")
    return per_run * len(configs)


def _train(configs: list[RunConfig], engine: str, chunk_size: int,
           progress: bool | None) -> dict[str, dict[str, Any]]:
    from tqdm import tqdm

    by_id: dict[str, dict[str, Any]] = {}
    with tqdm(total=len(configs), unit="run", desc="compare",
              disable=None if progress is None else not progress) as bar:
        for chunk in chunks(configs, chunk_size):
            for r in train_chunk(chunk, keep_params=True, engine=engine):
                by_id[r.run_id] = r.as_dict()
            bar.update(len(chunk))
    return by_id


def _summarize(result: CompareResult) -> None:
    for init in result.inits:
        result.summaries[init] = {m: summarize(result.values(init, m), result.level)
                                  for m in METRICS}
        result.reached[init] = sum(
            c.init == init and r["steps_to_threshold"] is not None
            for c, r in zip(result.configs, result.results, strict=True))
    for m in METRICS:
        groups = {i: result.values(i, m) for i in result.inits}
        groups = {i: v for i, v in groups.items() if v}
        result.pairwise[m] = pairwise_tests(groups, alpha=1 - result.level) if len(groups) > 1 else []
