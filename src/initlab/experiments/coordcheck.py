"""Coordinate check: train a few steps at several widths, fit how each layer scales with width.

For every (parametrization, optimizer, depth, width, seed) an MLP ``IN, W, ..., W, OUT`` is trained
``steps`` full-batch steps on one fixed batch. At each step ``t`` (``t = 0`` is the initialization)
the size of every layer's pre-activations and of their change since ``t = 0`` is recorded (``l1``:
mean absolute value, as ``mup``'s coord check; ``rms``). Per (parametrization, optimizer, layer,
step) the slope of log statistic against log width is fitted per seed; their mean, a BCa bootstrap
CI over seeds (:func:`initlab.core.stats.bootstrap_ci`), the exponent the table predicts
(:func:`initlab.theory.parametrization.predict`) and a verdict make a row. Rows use the size at
``t = 0`` and the change at ``t >= 1`` (the two quantities with a clean prediction). The t=0 scale
is set against the mean-field prediction (:func:`initlab.theory.meanfield.predict_layers`).

Training (seed stacks in NumPy float64, the store) is :mod:`initlab.experiments.coordcheck_train`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from initlab import activations
from initlab.core.errors import InitlabError, check_choice, check_positive_int
from initlab.core.report import Image, Plot, Report, Section, Table
from initlab.core.stats import bootstrap_ci
from initlab.experiments.coordcheck_train import (
    Cell,
    Setup,
    meanfield_scale,
    save_values,
    stored_values,
    timed_grid,
    train_cell,
    train_grid,
)
from initlab.theory import parametrization as ptz

__all__ = ["Cell", "CoordCheckResult", "Setup", "fit_row", "run", "train_cell", "train_grid"]

Array = NDArray[np.float64]
STATISTICS = ("l1", "rms")
VERDICT_OK = ("as predicted", "expected exception")
#: Runs at these widths and up are set against mean-field theory (finite-width bias below).
MEANFIELD_MIN_WIDTH = 256

# --------------------------------------------------------------------------------- fitting


def fit_slopes(widths: Sequence[int], values: Array) -> Array:
    """Least-squares slope of ``log values`` on ``log widths`` per seed; ``values`` ``(W, S)``."""
    x = np.log(np.asarray(widths, dtype=np.float64))
    x = x - x.mean()
    y = np.log(values)
    slopes: Array = (x @ (y - y.mean(axis=0))) / (x @ x)
    return slopes


def verdict(slope: float | None, predicted: float, tol: float) -> str:
    """``as predicted`` (flat and flat predicted), ``expected exception`` (a predicted non-zero
    exponent met), else ``grows`` / ``shrinks`` relative to the prediction; ``diverged`` when a
    run did not stay finite (``slope`` None)."""
    if slope is None:
        return "diverged"
    if abs(slope - predicted) <= tol:
        return "as predicted" if predicted == 0 else "expected exception"
    return "grows" if slope > predicted else "shrinks"


def fit_row(widths: Sequence[int], values: Array, predicted: float, tol: float,
            level: float = 0.95) -> dict[str, Any]:
    """Slope, bootstrap CI over seeds, prediction and verdict for one (layer, step)."""
    positive = np.all(np.isfinite(values)) and np.all(values > 0)
    if not positive:
        return {"slope": None, "ci_low": None, "ci_high": None, "predicted": predicted,
                "verdict": verdict(None, predicted, tol)}
    per_seed = fit_slopes(widths, values)
    lo, hi = bootstrap_ci(per_seed, level=level, n_boot=2000, rng=0)
    slope = float(per_seed.mean())
    return {"slope": slope, "ci_low": None if math.isnan(lo) else lo,
            "ci_high": None if math.isnan(hi) else hi, "predicted": predicted,
            "verdict": verdict(slope, predicted, tol)}


def layer_names(n_hidden: int) -> list[str]:
    """Report names of the recorded layers: ``h1`` .. ``hN`` (hidden pre-activations), ``output``."""
    return [f"h{i}" for i in range(1, n_hidden + 1)] + ["output"]


def check_widths(widths: Sequence[Any]) -> tuple[int, ...]:
    """At least 3 strictly increasing positive integers (a slope needs three points)."""
    ws = tuple(widths)
    for w in ws:
        if isinstance(w, bool) or not isinstance(w, int | np.integer) or w < 1:
            raise InitlabError(f"widths must be positive integers, got {w!r} in {list(ws)}")
    if len(ws) < 3:
        raise InitlabError(f"a slope needs at least 3 widths, got {len(ws)}: {list(ws)}")
    if any(b <= a for a, b in itertools.pairwise(ws)):
        raise InitlabError(f"widths must be strictly increasing, got {list(ws)}")
    return tuple(int(w) for w in ws)


def parse_layers(spec: str | Sequence[int | str]) -> tuple[int | str, ...]:
    """``"64,W,W,W,10"`` -> ``(64, "W", "W", "W", 10)``; ``W`` marks the swept width."""
    parts = [p.strip() for p in spec.split(",")] if isinstance(spec, str) else list(spec)
    out: list[int | str] = []
    for p in parts:
        if isinstance(p, str) and p.upper() == "W":
            out.append("W")
            continue
        try:
            out.append(check_positive_int(int(p), "layer size"))
        except (TypeError, ValueError):
            raise InitlabError(f"layer sizes must be positive integers or W, got {p!r} in "
                               f"{spec!r}") from None
    if len(out) < 3 or "W" not in out[1:-1] or "W" in (out[0], out[-1]):
        raise InitlabError(f"layers must look like IN,W,...,W,OUT with the swept width W in the "
                           f"hidden layers, got {spec!r}")
    if any(x != "W" for x in out[1:-1]):
        raise InitlabError(f"every hidden layer must be W (the swept width), got {spec!r}")
    return tuple(out)


def dims_for(layers: Sequence[int | str], width: int, depth: int | None = None) -> tuple[int, ...]:
    """Concrete dims at one width (and optional number of hidden layers)."""
    n_in, n_out = int(layers[0]), int(layers[-1])
    hidden = depth if depth is not None else len(layers) - 2
    return (n_in, *([width] * hidden), n_out)


def check_statistic(statistic: str) -> str:
    """``l1`` or ``rms``."""
    return check_choice(statistic, STATISTICS, "statistic")


def _optimizers(spec: Sequence[tuple[str, float]] | str) -> tuple[tuple[str, float], ...]:
    """``"sgd:lr=0.1,adam:lr=1e-3"`` or ``[("sgd", 0.1)]`` -> checked ``(name, lr)`` pairs."""
    if isinstance(spec, str):
        pairs = []
        for part in [p.strip() for p in spec.split(",") if p.strip()]:
            name, _, rest = part.partition(":")
            key, _, val = rest.partition("=")
            if rest and key.strip() != "lr":
                raise InitlabError(f"optimizer options are lr=VALUE, got {part!r}")
            try:
                lr = float(val) if rest else 0.1 if ptz.OPTIMIZER_RULES.get(name) == "sgd" else 1e-3
            except ValueError:
                raise InitlabError(f"learning rate must be a number, got {val!r} in {part!r}") from None
            pairs.append((name.strip().lower(), lr))
        spec = pairs
    out = []
    for name, lr in spec:
        if name not in ptz.OPTIMIZER_RULES:
            raise InitlabError(f"unknown optimizer {name!r}; valid: "
                               f"{', '.join(sorted(ptz.OPTIMIZER_RULES))}")
        if not (math.isfinite(lr) and lr > 0):
            raise InitlabError(f"learning rate of {name} must be finite and > 0, got {lr!r}")
        out.append((name, float(lr)))
    if not out:
        raise InitlabError("give at least one optimizer, e.g. sgd:lr=0.1")
    return tuple(out)


def run(layers: str | Sequence[int | str] = "64,W,W,W,10",
        widths: Sequence[int] = (64, 128, 256, 512, 1024),
        params: Sequence[str] = ("sp", "ntk", "mup"),
        optimizers: Sequence[tuple[str, float]] | str = "sgd:lr=0.1,adam:lr=0.001",
        steps: int = 3, seeds: int = 5, dataset: str = "digits", statistic: str = "l1",
        activation: str = "relu", batch: int = 64, depths: Sequence[int] | None = None,
        tol: float = 0.1, base_width: int | None = None, seed: int = 0, store: Any = None,
        data: tuple[Array, Array] | None = None, executor: Any = None,
        progress: Callable[[str], None] | None = None) -> CoordCheckResult:
    """Run the coordinate check on initlab's MLP; see the module docstring.

    Parameters
    ----------
    layers : ``"IN,W,...,W,OUT"`` or a sequence with ``"W"`` for the swept width
    widths : increasing ints, at least 3
    params : names from :func:`initlab.theory.parametrization.names`
    optimizers : ``(name, lr)`` pairs or ``"sgd:lr=0.1,adam:lr=1e-3"``; ``lr`` is the learning
        rate at ``base_width`` (the smallest width unless given)
    depths : numbers of hidden layers to sweep as a second axis (default: as in ``layers``)
    store : an open :class:`initlab.sweep.store.Store` (locked for writing) to resume from
    data : ``(X, Y)`` of shapes ``(IN, m)``, ``(OUT, m)`` instead of ``dataset`` (first ``batch``
        columns are used)
    executor : anything with ``submit(fn, *args) -> future`` (``concurrent.futures`` pools, a Dask
        ``Client``): cells train there, results are gathered and stored here in grid order
    """
    spec = parse_layers(layers)
    ws = check_widths(widths)
    check_statistic(statistic)
    params = [ptz.get(p).name for p in params]
    opts = _optimizers(optimizers)
    steps = check_positive_int(steps, "number of steps")
    seeds = check_positive_int(seeds, "number of seeds")
    batch = check_positive_int(batch, "batch size")
    dep = [check_positive_int(d, "depth") for d in depths] if depths else [len(spec) - 2]
    X, Y, head = _batch(spec, dataset, data, batch)
    act = activations.get(activation)
    from initlab.initializers import calculate_gain

    gain = calculate_gain(act.name, act.params.get("negative_slope"))
    setup = Setup(X, Y, act.name, head, gain, base_width or ws[0], statistic, steps, seed)
    key = (("activation", act.name), ("base_width", setup.base_width), ("batch", batch),
           ("dataset", dataset if data is None else "custom"), ("gain", gain),
           ("statistic", statistic), ("steps", steps), ("base_seed", seed))
    cells = [Cell(p, name, lr, dims_for(spec, w, d), w)
             for p in params for name, lr in opts for d in dep for w in ws]
    got, trained = _train_cells(cells, setup, seeds, key, store, executor, progress)
    values: dict[tuple[str, str, int], tuple[Array, Array]] = {}
    for p in params:
        for name, _ in opts:
            for d in dep:
                mine = [got[c] for c in cells if (c.param, c.optimizer, len(c.dims) - 2)
                        == (p, name, d)]
                values[(p, name, d)] = (np.stack([v[0] for v in mine]),
                                        np.stack([v[1] for v in mine]))
    mf = {(p, d, w): meanfield_scale(Cell(p, "sgd", 1.0, dims_for(spec, w, d), w), setup)
          for p in params for d in dep for w in ws}
    return CoordCheckResult(dict(key) | {"layers": [str(x) for x in spec], "widths": list(ws),
                                         "params": params, "optimizers": [list(o) for o in opts],
                                         "depths": dep, "seeds": seeds, "tol": tol},
                            values, mf, trained)


def _train_cells(cells: list[Cell], setup: Setup, seeds: int, key: tuple[tuple[str, Any], ...],
                 store: Any, executor: Any, progress: Callable[[str], None] | None,
                 ) -> tuple[dict[Cell, tuple[Array, Array]], int]:
    """Every cell's values: from the store, else trained (here or on ``executor``) and stored."""
    got: dict[Cell, tuple[Array, Array]] = {}
    todo = []
    for c in cells:
        found = stored_values(c, seeds, key, store)
        if found is None:
            todo.append(c)
        else:
            got[c] = found
    futures = [executor.submit(timed_grid, c, setup, seeds) for c in todo] if executor else None
    for i, c in enumerate(todo):
        if progress:
            progress(f"{c.param} {c.optimizer} depth {len(c.dims) - 2} width {c.width}")
        size, change, sec = futures[i].result() if futures else timed_grid(c, setup, seeds)
        if store is not None:
            save_values(c, seeds, key, store, size, change, sec)
        got[c] = (size, change)
    return got, len(todo) * seeds


def _batch(spec: Sequence[int | str], dataset: str, data: tuple[Array, Array] | None,
           batch: int) -> tuple[Array, Array, str]:
    """The fixed training batch and the head that fits its targets."""
    from initlab import datasets

    if data is None:
        d = datasets.load(dataset)
        X, Y = d.train_X, d.train_Y
    else:
        X, Y = (np.asarray(a, dtype=np.float64) for a in data)
    if (X.shape[0], Y.shape[0]) != (spec[0], spec[-1]):
        raise InitlabError(f"layers {','.join(map(str, spec))} do not fit the data: it has "
                           f"{X.shape[0]} inputs and {Y.shape[0]} outputs")
    if X.shape[1] < batch:
        raise InitlabError(f"batch {batch} is larger than the data ({X.shape[1]} examples)")
    is_onehot = Y.shape[0] > 1 and np.all((Y == 0) | (Y == 1)) and np.all(Y.sum(axis=0) == 1)
    head = "softmax" if is_onehot else "sigmoid" if np.all((Y == 0) | (Y == 1)) else "linear"
    return np.ascontiguousarray(X[:, :batch]), np.ascontiguousarray(Y[:, :batch]), head


class CoordCheckResult(Report):
    """Rows (one per parametrization, optimizer, depth, layer, step), runs and mean-field scales.

    ``values[(param, optimizer, depth)]`` holds ``(size, change)``, each of shape
    ``(n_widths, steps + 1, n_layers, seeds)``; ``meanfield[(param, depth, width)]`` the t=0
    mean-field value of the statistic per layer.
    """

    title = "initlab coordcheck"

    def __init__(self, config: dict[str, Any], values: dict[tuple[str, str, int], tuple[Array, Array]],
                 meanfield: dict[tuple[str, int, int], list[float]], trained: int = 0) -> None:
        self.config, self.values, self.meanfield, self.trained = config, values, meanfield, trained
        self.rows = self._rows()

    def _rows(self) -> list[dict[str, Any]]:
        c, widths = self.config, self.config["widths"]
        out = []
        for (p, opt, d), (size, change) in self.values.items():
            pred = ptz.predict(p, opt, d)
            for t in range(size.shape[1]):
                for l, name in enumerate(layer_names(d)):
                    v, e = (size, pred.size) if t == 0 else (change, pred.change)
                    row = {"param": p, "optimizer": opt, "depth": d, "layer": name, "step": t,
                           "quantity": "size" if t == 0 else "change", "statistic": c["statistic"]}
                    row |= fit_row(widths, v[:, t, l, :], e[l], c["tol"])
                    if t == 0:
                        row |= self._meanfield_check(p, d, l, size[:, 0, l, :])
                    out.append(row)
        return out

    def _meanfield_check(self, p: str, d: int, l: int, v: Array) -> dict[str, Any]:
        """Largest relative gap between the seed-mean t=0 value and mean-field, widths >= 256."""
        gaps = [float(np.mean(v[i]) / self.meanfield[(p, d, w)][l] - 1)
                for i, w in enumerate(self.config["widths"]) if w >= MEANFIELD_MIN_WIDTH]
        if not gaps or not np.all(np.isfinite(v)):
            return {"meanfield_max_rel_gap": None}
        return {"meanfield_max_rel_gap": max(gaps, key=abs)}

    @property
    def ok(self) -> bool:
        """True when every row is as predicted or an expected exception (the CLI's exit code)."""
        return all(r["verdict"] in VERDICT_OK for r in self.rows)

    def runs(self) -> list[dict[str, Any]]:
        """One record per (param, optimizer, depth, width, seed) with its per-step values."""
        out = []
        lrs = {n: lr for n, lr in self.config["optimizers"]}
        for (p, opt, d), (size, change) in self.values.items():
            for i, w in enumerate(self.config["widths"]):
                for s in range(size.shape[3]):
                    sz, ch = size[i, :, :, s], change[i, :, :, s]
                    fin = bool(np.all(np.isfinite(sz)))
                    out.append({"param": p, "optimizer": opt, "learning_rate": lrs[opt], "depth": d,
                                "width": w, "seed": s, "status": "trained" if fin else "diverged",
                                "layers": layer_names(d),
                                "size": finite_rows(sz), "change": finite_rows(ch)})
        return out

    def to_json(self) -> dict[str, Any]:
        """``{"rows": [...], "runs": [...], "meanfield": [...], "config": {...}, "ok": bool}``."""
        mf = [{"param": p, "depth": d, "width": w, "layers": layer_names(d), "value": v}
              for (p, d, w), v in self.meanfield.items()]
        return {"rows": self.rows, "runs": self.runs(), "meanfield": mf, "config": self.config,
                "ok": self.ok}

    def meta(self) -> dict[str, Any]:
        """Settings line under the page title."""
        c = self.config
        return {"layers": ",".join(c["layers"]), "statistic": c["statistic"],
                "steps": c["steps"], "seeds": c["seeds"], "dataset": c["dataset"]}

    def figures(self) -> dict[str, Plot]:
        """One log-log figure per (param, optimizer, depth): a panel per step, a line per layer."""
        figs = {}
        for (p, opt, d), (size, change) in self.values.items():
            stack = np.concatenate([size[:, :1], change[:, 1:]], axis=1)
            figs[f"coordcheck_{p}_{opt}_d{d}"] = Plot("coordcheck", {
                "widths": self.config["widths"], "layers": layer_names(d), "values": stack,
                "title": f"{p} / {opt} (depth {d}): t=0 size, t>=1 change since init",
                "statistic": self.config["statistic"]})
        return figs

    def sections(self) -> list[Section]:
        """Summary, the verdict table per (param, optimizer, depth) with its figure."""
        c = self.config
        bad = [r for r in self.rows if r["verdict"] not in VERDICT_OK]
        about = (f"Widths {c['widths']}, {c['seeds']} seeds, {c['steps']} steps, statistic "
                 f"{c['statistic']}, tolerance +-{c['tol']} on the slope of log statistic vs log "
                 f"width. {len(self.rows)} rows, {len(bad)} departing from the prediction.")
        subs = []
        for key in self.values:
            rows = [r for r in self.rows if (r["param"], r["optimizer"], r["depth"]) == key]
            table = Table(["layer", "step", "quantity", "slope", "95% CI", "predicted", "verdict",
                           "mean-field gap"],
                          [[r["layer"], r["step"], r["quantity"], _num(r["slope"]), _ci(r),
                            r["predicted"], r["verdict"], _num(r.get("meanfield_max_rel_gap"))]
                           for r in rows])
            stem = f"coordcheck_{key[0]}_{key[1]}_d{key[2]}"
            subs.append(Section(f"{key[0]} / {key[1]} / depth {key[2]}", tables=[table],
                                images=[Image(stem, "log-log statistic vs width, 95% CI over seeds")],
                                id=stem))
        return [Section("Coordinate check", [about], subsections=subs, id="summary")]


def finite_rows(a: Array) -> list[list[float | None]]:
    """A 2-D array as JSON lists, non-finite values as None."""
    return [[float(x) if math.isfinite(x) else None for x in row] for row in a]


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:+.3f}"


def _ci(r: dict[str, Any]) -> str:
    if r["ci_low"] is None:
        return "-"
    return f"[{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]"
