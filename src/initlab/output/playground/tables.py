"""What the playground page embeds from Python: registries, laws, theory tables and presets.

Nothing here is retyped in JavaScript. The page's initializer menu, each scheme's parameters,
formula, bias rule and the variance-scaling recipe (scale, mode, distribution) are read from
:mod:`initlab.initializers` (recipes by probing :meth:`Scheme.describe` on small shapes); the
gains from :func:`initlab.initializers.gain_table`; the mean-field moments ``E[phi(h)]``,
``E[phi(h)^2]``, ``E[phi'(h)^2]`` from :mod:`initlab.theory.gaussian` on a log grid of ``q``; the
diagnosis thresholds and recommendations from :mod:`initlab.theory.diagnose`; and the tutorial
preset's data and initial weights from :mod:`initlab.experiments.tutorial`'s own seeding.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np

from initlab import activations as act_mod
from initlab import datasets, losses, network, optim
from initlab import initializers as init_mod
from initlab.core.errors import InitlabError
from initlab.core.rng import legacy_rng
from initlab.experiments import tutorial as tut
from initlab.theory import diagnose as diag
from initlab.theory.gaussian import kernel

#: Activations the JS engine implements (engine.js ACTIVATIONS); the page offers those of the
#: Python registry that are in this list, and a test checks both agree on values.
JS_ACTIVATIONS = ("identity", "relu", "leaky_relu", "sigmoid", "tanh", "elu", "selu", "silu",
                  "softplus")
#: Mean-field tables: log10(q) from -8 to 8 in steps of 0.05.
Q_LOG10 = (-8.0, 8.0, 321)


def _recipe(name: str) -> dict[str, Any] | None:
    """Variance-scaling recipe of a scheme, probed from its laws (None when not of that family).

    At shape (out, in) = (1, 1) every fan is 1, so ``std^2`` is the scale; at (1, 4) the fan
    that divides is ``scale / std^2``: 4 for fan_in, 1 for fan_out, 2.5 for fan_avg.
    """
    scheme = init_mod.get(name)
    try:
        one, wide = (scheme.describe(s) for s in ((1, 1), (1, 4)))
    except InitlabError:  # shape-restricted kinds (dirac) are not this family
        return None
    if one.kind not in ("normal", "uniform", "truncated_normal") or one.std == wide.std:
        return None
    scale = float(f"{one.std**2:.15g}")  # drop the last-bit noise of std**2
    fan = scale / wide.std**2
    mode = min((("fan_in", 4.0), ("fan_out", 1.0), ("fan_avg", 2.5)), key=lambda m: abs(m[1] - fan))
    return {"scale": scale, "mode": mode[0], "distribution": one.kind}


def initializer_table() -> dict[str, Any]:
    """Every registered scheme: parameters with defaults, formula, bias rule, recipe; aliases."""
    schemes = {}
    for name in init_mod.names(aliases=False):
        sig = inspect.signature(init_mod.INITIALIZERS.factory(name)).parameters
        scheme = init_mod.get(name)
        schemes[name] = {
            "params": {k: (None if p.default is None else p.default) for k, p in sig.items()},
            "formula": scheme.formula,
            "bias": scheme.bias,
            "recipe": _recipe(name),
        }
    gains = {row["nonlinearity"]: row["scale"] for row in init_mod.gain_table()}
    return {"schemes": schemes, "aliases": dict(init_mod.ALIASES), "gain2": gains,
            "trunc_std_2sigma": init_mod.TRUNC_STD_2SIGMA, "variants": list(init_mod.VARIANTS)}


def activation_table() -> dict[str, Any]:
    """Offered activations with their limits, mean-field moment tables and recommended fix."""
    q = np.logspace(*Q_LOG10)
    out = {}
    for name in act_mod.names():
        if name not in JS_ACTIVATIONS:
            continue
        act = act_mod.get(name)
        k = kernel(act)
        rec = diag.recommend(act)
        out[name] = {
            "limits": list(act.limits) if act.limits else None,
            "mean": np.asarray(k.mean(q), dtype=float).tolist(),
            "second": np.asarray(k.second(q), dtype=float).tolist(),
            "chi": np.asarray(k.chi(q), dtype=float).tolist(),
            "recommend": {"spec": rec.spec, "sigma_w2": rec.sigma_w2, "reason": rec.reason},
        }
    return {"log10_q": list(Q_LOG10), "activations": out}


def _defaults(opt: Any) -> dict[str, Any]:
    """An optimizer's public hyper-parameters with their default values."""
    return {k: v for k, v in vars(opt).items() if not k.startswith("_") and k != "learning_rate"}


def registry_tables() -> dict[str, Any]:
    """All registries the page reads, in one JSON-ready dict."""
    return {
        "initializers": initializer_table(),
        "activations": activation_table(),
        "optimizers": {name: _defaults(optim.get(name, 0.01)) for name in optim.names()},
        "heads": sorted(losses.HEADS),
        "diagnose": {"band": list(diag.BAND), "growth": diag.GROWTH,
                     "collapse_ratio": diag.COLLAPSE_RATIO,
                     "saturation_share": diag.SATURATION_SHARE, "severity": list(diag.SEVERITY)},
    }


def _flat(a: Any) -> list[float]:
    return np.asarray(a, dtype=np.float64).ravel().tolist()


def tutorial_preset(dataset: str = "moons") -> dict[str, Any]:
    """The document's data and, per initialization, the initial weights it trains from.

    Weights are drawn exactly as :func:`initlab.experiments.tutorial.run_training` draws them
    (``init_params(spec, scheme, "zeros", rng=RandomState(3))``).
    """
    data = datasets.load(dataset)
    dims = [data.n_features, *tut.LAYERS, 1]
    spec = network.Spec.build(dims, "relu", "sigmoid")
    runs = []
    for flag, scheme, model_name, problem in tut.INITIALIZATIONS:
        p = network.init_params(spec, scheme, "zeros", rng=legacy_rng(3))
        runs.append({
            "initialization": flag, "scheme": scheme, "model": model_name, "problem": problem,
            "W": [_flat(p[f"W{l}"]) for l in range(1, spec.n_layers + 1)],
            "b": [_flat(p[f"b{l}"]) for l in range(1, spec.n_layers + 1)],
        })
    return {
        "dataset": data.name, "dims": dims, "activation": "relu", "learning_rate": 0.01,
        "num_iterations": 15000, "every": 1000,
        "train_X": _flat(data.train_X), "train_Y": _flat(data.train_Y),
        "test_X": _flat(data.test_X), "test_Y": _flat(data.test_Y),
        "m_train": int(data.train_X.shape[1]), "m_test": int(data.test_X.shape[1]),
        "runs": runs,
    }


def part6_preset(seed: int = 0, cases: list[tut.HistogramCase] | None = None) -> dict[str, Any]:
    """Part 6's grid (weight scales x activations, 5 layers of 100 units, 1000 inputs, 30 bins).

    ``figures`` holds the bin counts and ranges of ``initlab tutorial``'s own part-6 figures
    (:func:`initlab.experiments.tutorial.run_activation_cases` with ``seed``, NumPy's Generator),
    shown next to the page's recomputation (which draws from RandomState, see analysis.js).
    ``cases`` are those figures' cases when already computed (``initlab tutorial`` has them).
    """
    cases = tut.run_activation_cases(seed) if cases is None else cases
    figures = [{"label": c.label, "activation": c.activation, "range": list(c.range),
                "counts": [s.counts for s in c.layers]} for c in cases]
    return {
        "seed": seed, "figures": figures,
        "depth": 5, "width": 100, "samples": 1000, "bins": 30,
        "scales": [{"label": lab, "init": init, "formula": f} for lab, init, f in tut.WEIGHT_SCALES],
        "activations": list(tut.ACTIVATIONS),
        "ranges": {"sigmoid": [0.0, 1.0], "tanh": [-1.0, 1.0], "relu": None},
        "relu_quantile": 0.99,
    }


def finite_json(x: Any) -> Any:
    """Replace non-finite floats (JSON has none) by None, recursively."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: finite_json(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [finite_json(v) for v in x]
    return x
