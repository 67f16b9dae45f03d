"""The tutorial's part 6 generalised: per-layer statistics, measured and predicted, with verdicts.

:func:`run` measures every (initializer, activation) case over ``repeats`` seeds, sets each layer
against the mean-field prediction (:func:`initlab.theory.meanfield.predict_layers`) and diagnoses it
(:func:`initlab.theory.meanfield.diagnose.diagnose`). :func:`to_json` gives the documented contract
``{"cases": [{"init", "activation", "layers": [{"layer", "measured", "predicted", "gradient"}]}]}``.
:func:`depth_study` finds, per initializer, the depth at which the activation or gradient scale leaves
``[1e-3, 1e3]`` of its input value (He et al. 2015: Xavier on a deep ReLU net vanishes, He does not).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from initlab.core.errors import InitlabError, check_positive_int
from initlab.theory import diagnose as diag_mod
from initlab.theory import meanfield as theory
from initlab.theory.propagation import Histogram, Measurement, measure
from initlab.theory.statistics import table_columns

INITS = ("normal:std=1", "normal:std=0.01", "lecun_normal", "he_normal")
ACTIVATIONS = ("sigmoid", "relu", "tanh")


@dataclass
class Case:
    """One (init, activation) case: per-layer records, histograms of the first seed, verdict."""

    init: str
    activation: str
    layers: list[dict[str, Any]]
    act_hists: list[Histogram]
    grad_hists: list[Histogram]
    predicted_act_hists: list[np.ndarray]
    predicted_grad_hists: list[np.ndarray]
    verdict: diag_mod.NetworkVerdict
    repeats: int


@dataclass
class HistogramsResult:
    """All cases and the settings that produced them."""

    cases: list[Case]
    config: dict[str, Any] = field(default_factory=dict)


def _aggregate(dicts: list[dict[str, Any]], sem: bool) -> dict[str, Any]:
    """Mean over seeds of each statistic (None stays None), with ``*_sem`` when ``sem``."""
    out: dict[str, Any] = {}
    for key in dicts[0]:
        vals = [d[key] for d in dicts]
        if any(v is None for v in vals):
            out[key] = None
            if sem:
                out[f"{key}_sem"] = None
            continue
        if len(vals) == 1:
            out[key] = vals[0]
            continue
        arr = np.asarray(vals, dtype=np.float64)
        out[key] = float(arr.mean())
        if sem:
            out[f"{key}_sem"] = float(arr.std(ddof=1) / math.sqrt(arr.size))
    return out


def _predicted_shares(activation: str, q_reps: list[tuple[float, float]], edges: np.ndarray) -> np.ndarray:
    """Share of ``phi(h)`` in each bin, h ~ the mixture of N(0, q) over the batch's representatives."""
    from scipy.special import ndtri

    from initlab import activations as act_mod

    fn = act_mod.get(activation).fn
    u = ndtri((np.arange(4000) + 0.5) / 4000)
    shares = np.zeros(len(edges) - 1)
    for w, q in q_reps:
        counts, _ = np.histogram(fn(math.sqrt(q) * u), bins=edges)
        shares += w * counts / u.size
    return shares


def _gaussian_shares(std: float, edges: np.ndarray) -> np.ndarray:
    from scipy.special import ndtr

    if std <= 0:
        return np.asarray(np.histogram(np.zeros(1), bins=edges)[0], dtype=np.float64)
    return np.asarray(np.diff(ndtr(edges / std)), dtype=np.float64)


def run_case(
    init: str, activation: str, depth: int = 5, width: int = 100, samples: int = 1000,
    seed: int = 0, repeats: int = 1, bias_init: str = "zeros", bins: int = 30,
    widths: list[int] | None = None,
) -> Case:
    """Measure one case over ``repeats`` seeds (``seed``, ``seed + 1``, ...) and predict it.

    ``widths`` (``[n_0, ..., n_L]``) overrides ``depth`` and ``width``.
    """
    runs: list[Measurement] = [
        measure(init, activation, depth, width, samples, rng=seed + r, bias_init=bias_init,
                bins=bins if r == 0 else 0, widths=widths)
        for r in range(repeats)
    ]
    first = runs[0]
    batch = theory.BatchSummary.mean_of([theory.BatchSummary.from_inputs(m.X) for m in runs])
    pred = theory.predict_layers(activation, first.sigma_w2, first.sigma_b2, first.widths, batch)
    sem = repeats > 1
    layers = []
    for i, p in enumerate(pred):
        grad = _aggregate([m.layers[i].grad for m in runs], sem)
        grad.update(predicted_std=p["gradient"]["std"], variance_factor=p["gradient"]["variance_factor"])
        layers.append({
            "layer": i + 1,
            "measured": _aggregate([m.layers[i].act for m in runs], sem),
            "predicted": p["activation"],
            "gradient": grad,
            "preactivation": {"measured": _aggregate([m.layers[i].pre for m in runs], sem),
                              "predicted": p["preactivation"]},
        })
    act_h = [rec.act_hist for rec in first.layers if rec.act_hist is not None]
    grad_h = [rec.grad_hist for rec in first.layers if rec.grad_hist is not None]
    q_reps = [p["q_reps"] for p in pred]
    input_rms = float(np.sqrt(np.mean([np.mean(m.X**2) for m in runs])))
    verdict = diag_mod.diagnose(
        activation, [{"activation": r["measured"], "gradient": r["gradient"]} for r in layers],
        input_rms, first.widths[1:], first.sigma_w2[-1], first.sigma_b2[-1],
    )
    return Case(
        init, first.activation, layers, act_h, grad_h,
        [_predicted_shares(activation, qr, h.edges) for qr, h in zip(q_reps, act_h, strict=False)],
        [_gaussian_shares(p["gradient"]["std"], h.edges) for p, h in zip(pred, grad_h, strict=False)],
        verdict, repeats,
    )


def run(
    inits: Sequence[str] = INITS, activations: Sequence[str] = ACTIVATIONS, depth: int = 5,
    width: int = 100, samples: int = 1000, seed: int = 0, repeats: int = 1,
    bias_init: str = "zeros", bins: int = 30, progress: bool | None = None,
    widths: list[int] | None = None,
) -> HistogramsResult:
    """Every (init, activation) case, activations outermost (the tutorial's order of figures)."""
    from tqdm import tqdm

    repeats = check_positive_int(repeats, "repeats")
    check_positive_int(bins, "bins", minimum=0)
    if not inits or not activations:
        raise InitlabError("give at least one initializer and one activation")
    pairs = [(i, a) for a in activations for i in inits]
    bar = tqdm(pairs, desc="histograms", disable=None if progress is None else not progress, leave=False)
    cases = [run_case(i, a, depth, width, samples, seed, repeats, bias_init, bins, widths)
             for i, a in bar]
    config = {"inits": list(inits), "activations": list(activations), "depth": depth, "width": width,
              "widths": widths, "samples": samples, "seed": seed, "repeats": repeats,
              "bias_init": bias_init}
    return HistogramsResult(cases, config)


def verdict_dict(v: diag_mod.NetworkVerdict) -> dict[str, Any]:
    """JSON-ready network verdict."""
    return {
        "verdict": v.verdict, "labels": v.labels, "summary": v.summary,
        "recommended_init": v.recommendation.spec, "recommended_sigma_w2": v.recommendation.sigma_w2,
        "recommendation": v.recommendation.reason,
        "layers": [{"layer": lv.layer, "verdict": lv.verdict,
                    "findings": [{"label": f.label, "figure": f.figure, "message": f.message}
                                 for f in lv.findings]} for lv in v.layers],
        "theory": v.theory,
    }


def to_json(result: HistogramsResult) -> dict[str, Any]:
    """The ``--json`` contract: ``{"config", "cases": [{"init", "activation", "layers", ...}]}``."""
    return {
        "config": result.config,
        "cases": [
            {"init": c.init, "activation": c.activation, "repeats": c.repeats, "layers": c.layers,
             "verdict": verdict_dict(c.verdict)}
            for c in result.cases
        ],
    }


#: The per-layer table's columns: each statistic's header (and its theory column) from
#: :data:`initlab.theory.statistics.STATISTICS`, between the case and the gradient columns.
TABLE_HEADERS = ("init", "activation", "layer", *(h for h, _, _ in table_columns()),
                 "grad std", "grad std (theory)", "verdict")


def table_rows(result: HistogramsResult) -> list[list[Any]]:
    """The per-layer table: measured beside predicted, and the layer's verdict."""
    cols = table_columns()
    rows = []
    for c in result.cases:
        for rec, lv in zip(c.layers, c.verdict.layers, strict=True):
            g = rec["gradient"]
            stats = [_fmt(rec[where][name]) for _, where, name in cols]
            rows.append([c.init, c.activation, rec["layer"], *stats, g["std"], g["predicted_std"],
                         lv.verdict])
    return rows


def _fmt(v: Any) -> Any:
    return "-" if v is None else v


# --------------------------------------------------------------------------- depth study

DEPTH_INITS = ("glorot_normal", "he_normal")
BAND = diag_mod.BAND


@dataclass
class DepthCase:
    """Scales of one (init, activation) network of ``max_depth`` layers, measured and predicted.

    ``act_scale[l-1]`` is the RMS of layer ``l``'s activations over the input's RMS;
    ``grad_scale[d-1]`` is the gradient scale at the first layer of a ``d``-layer network over its
    top-layer gradient, the product of the measured per-layer factors ``E[dA_{l-1}^2] / E[dA_l^2]``
    for ``l = 2..d``. ``*_depth`` is the first depth outside ``BAND`` (None: stayed inside).
    """

    init: str
    activation: str
    act_scale: list[float]
    grad_scale: list[float]
    act_scale_theory: list[float]
    grad_scale_theory: list[float]
    act_depth: int | None = None
    grad_depth: int | None = None
    act_depth_theory: int | None = None
    grad_depth_theory: int | None = None


def first_outside(scales: Sequence[float], band: tuple[float, float] = BAND) -> int | None:
    """1-based index of the first value outside ``band`` (None if all inside)."""
    for i, s in enumerate(scales):
        if not band[0] <= s <= band[1]:
            return i + 1
    return None


def _grad_products(factors: Sequence[float]) -> list[float]:
    out, v = [1.0], 1.0
    for f in factors[1:]:
        v *= f
        out.append(math.sqrt(v))
    return out


def depth_case(
    init: str, activation: str, max_depth: int = 100, width: int = 100, samples: int = 1000,
    seed: int = 0, bias_init: str = "zeros",
) -> DepthCase:
    """Measure and predict the activation and gradient scales of one deep network."""
    m = measure(init, activation, max_depth, width, samples, rng=seed, bias_init=bias_init, bins=0,
                truncate=True)
    x_rms = float(np.sqrt(np.mean(m.X**2)))
    act = [diag_mod.rms(r.act) / x_rms for r in m.layers]
    ms = [diag_mod.rms(r.grad) ** 2 for r in m.layers]
    factors = [ms[i - 1] / ms[i] if ms[i] > 0 else 0.0 for i in range(1, len(ms))]
    batch = theory.BatchSummary.from_inputs(m.X)
    pred = theory.predict_layers(activation, m.sigma_w2, m.sigma_b2, m.widths, batch, spreads=False)
    act_t = [math.hypot(p["activation"]["mean"], p["activation"]["std"]) / math.sqrt(batch.q_mean)
             for p in pred]
    grad = _grad_products([1.0, *factors])
    grad_t = _grad_products([p["gradient"]["variance_factor"] for p in pred])
    return DepthCase(init, m.activation, act, grad, act_t, grad_t, first_outside(act),
                     first_outside(grad), first_outside(act_t), first_outside(grad_t))


def depth_study(
    inits: Sequence[str] = DEPTH_INITS, activations: Sequence[str] = ("relu",), max_depth: int = 100,
    width: int = 100, samples: int = 1000, seed: int = 0, bias_init: str = "zeros",
    progress: bool | None = None,
) -> list[DepthCase]:
    """For each initializer and activation, the depth at which the scales leave ``[1e-3, 1e3]``."""
    from tqdm import tqdm

    check_positive_int(max_depth, "max_depth")
    pairs = [(i, a) for a in activations for i in inits]
    bar = tqdm(pairs, desc="depth study", disable=None if progress is None else not progress, leave=False)
    return [depth_case(i, a, max_depth, width, samples, seed, bias_init) for i, a in bar]


def depth_json(cases: list[DepthCase], max_depth: int) -> dict[str, Any]:
    """``{"depth_study": {"max_depth", "band", "cases": [...]}}`` with per-depth scales."""
    return {"depth_study": {"max_depth": max_depth, "band": list(BAND), "cases": [
        {"init": c.init, "activation": c.activation,
         "activation_depth": c.act_depth, "gradient_depth": c.grad_depth,
         "activation_depth_theory": c.act_depth_theory, "gradient_depth_theory": c.grad_depth_theory,
         "activation_scale": c.act_scale, "gradient_scale": c.grad_scale,
         "activation_scale_theory": c.act_scale_theory, "gradient_scale_theory": c.grad_scale_theory}
        for c in cases]}}
