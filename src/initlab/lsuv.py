"""Layer-sequential unit-variance initialization (Mishkin & Matas, ICLR 2016, arXiv:1511.06422).

LSUV needs a forward function and data, so it works on a whole network: orthonormal weights
first, then, layer by layer from the input, forward a batch and rescale ``W_l`` until the layer's
output statistic is within a tolerance of its target. With zero biases, a fixed batch and the
pre-activation output, the output is linear in ``W_l`` and one rescale hits the target exactly;
post-activation measurements of saturating units, non-zero biases and fresh batches are where the
loop needs more than one step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from initlab.core.errors import (
    InitlabError,
    check_choice,
    check_data,
    check_positive_float,
    check_positive_int,
)
from initlab.core.rng import RNGLike, as_rng
from initlab.initializers import orthogonal
from initlab.network import Params, Spec, check_params

Array = np.ndarray


@dataclass(frozen=True)
class LayerRecord:
    """What LSUV did to one layer.

    Attributes
    ----------
    layer : int
        Layer index l (``W{l}``).
    iterations : int
        Rescale steps applied (0 if the layer already met the tolerance).
    value : float
        Final measured statistic (variance or std, as asked).
    var, std : float
        Final variance and std of the measured layer output.
    converged : bool
        False when ``t_max`` was hit or the output had zero variance (nothing to rescale).
    scale : float
        Product of the rescale factors applied to ``W{l}``.
    """

    layer: int
    iterations: int
    value: float
    var: float
    std: float
    converged: bool
    scale: float


def lsuv(
    spec: Spec,
    params: Params | None,
    X: Any,
    *,
    target: float = 1.0,
    statistic: str = "var",
    where: str = "pre",
    tol: float = 0.1,
    t_max: int = 10,
    orthonormal_preinit: bool = True,
    zero_bias: bool = True,
    batch: str = "fixed",
    batch_size: int | None = None,
    rng: RNGLike = None,
) -> tuple[Params, list[LayerRecord]]:
    """Rescale each layer so its output has unit variance (or a given std) on data.

    Parameters
    ----------
    spec : Spec
        The architecture.
    params : dict or None
        Starting parameters (not modified). With ``orthonormal_preinit`` their weights are
        replaced, so only their biases (with ``zero_bias=False``) matter; ``None`` needs
        ``orthonormal_preinit``.
    X : ndarray of shape (n_x, m)
        Data, examples in columns.
    target : float
        ``target_var`` (statistic "var", the paper's 1) or ``needed_std`` (statistic "std").
    statistic : {"var", "std"}
        Stop when ``|Var(out) - target| < tol`` (paper, ``Tol_var``) or ``|std(out) - target| <
        tol`` (PyPI ``lsuv``, ``std_tol``). The step is ``W *= sqrt(target/var)`` or
        ``W *= target/std``.
    where : {"pre", "post"}
        Measure the layer output before (paper) or after its activation (LSUV-keras with a fused
        activation). The output layer is always measured on its logits.
    tol : float
        Tolerance (``tol_var`` or ``std_tol``).
    t_max : int
        Most rescale steps per layer.
    orthonormal_preinit : bool
        Start from ``orthogonal()`` weights (Saxe et al.), drawn from ``rng``.
    zero_bias : bool
        Set every bias to 0 first, as the reference implementations do; biases are never scaled.
    batch : {"fixed", "fresh"}
        Measure on the same batch every time, or on a fresh random batch for each measurement.
    batch_size : int, optional
        Columns per batch, drawn from ``X`` with ``rng`` (default: all of ``X``).
    rng : Generator, int, RandomState or None

    Returns
    -------
    params : dict
        New parameters.
    records : list of LayerRecord
        One per layer, in order.
    """
    X, _ = check_data(X)
    target = check_positive_float(target, "target")
    tol = check_positive_float(tol, "tol")
    t_max = check_positive_int(t_max, "t_max")
    check_choice(statistic, ("var", "std"), "statistic")
    check_choice(where, ("pre", "post"), "where")
    check_choice(batch, ("fixed", "fresh"), "batch")
    m = X.shape[1] if batch_size is None else check_positive_int(batch_size, "batch_size")
    if m > X.shape[1]:
        raise InitlabError(f"batch_size {m} exceeds the {X.shape[1]} examples in X")
    r = as_rng(rng)
    p = _start(spec, params, orthonormal_preinit, zero_bias, r)
    fixed = X if m == X.shape[1] else X[:, r.choice(X.shape[1], m, replace=False)]

    def layer_input(l: int) -> Array:
        # Earlier layers are final by now; the fixed batch's input is pushed through once.
        if batch == "fixed":
            if l not in cache:
                cache[l] = _forward(spec, p, l - 1, cache[l - 1], l - 2)
            return cache[l]
        return _forward(spec, p, l - 1, X[:, r.choice(X.shape[1], m, replace=False)], 0)

    cache: dict[int, Array] = {1: fixed}
    records = []
    for l in range(1, spec.n_layers + 1):
        records.append(_fit_layer(spec, p, l, layer_input, target, statistic, where, tol, t_max))
    return p, records


def _start(spec: Spec, params: Params | None, ortho: bool, zero_bias: bool, r: Any) -> Params:
    if params is None and not ortho:
        raise InitlabError("lsuv needs params or orthonormal_preinit=True")
    if params is not None:
        check_params(spec, params)
    p = {} if params is None else {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    for l in range(1, spec.n_layers + 1):
        shape = (spec.dims[l], spec.dims[l - 1])
        if ortho:
            p[f"W{l}"] = orthogonal()(shape, r)
        if zero_bias or f"b{l}" not in p:
            p[f"b{l}"] = np.zeros((spec.dims[l], 1))
    return p


def _forward(spec: Spec, p: Params, upto: int, A: Array, done: int) -> Array:
    """Push ``A`` (the input of layer ``done + 1``) through layers ``done + 1 .. upto``."""
    for k in range(done + 1, upto + 1):
        A = spec.activations[k - 1].fn(np.dot(p[f"W{k}"], A) + p[f"b{k}"])
    return A


def _fit_layer(
    spec: Spec, p: Params, l: int, layer_input: Any, target: float, statistic: str, where: str,
    tol: float, t_max: int,
) -> LayerRecord:  # fmt: skip
    total, steps = 1.0, 0
    post = where == "post" and l < spec.n_layers
    while True:
        out = np.dot(p[f"W{l}"], layer_input(l)) + p[f"b{l}"]
        measured = spec.activations[l - 1].fn(out) if post else out
        if not np.abs(measured).max() < 1e150:  # also catches inf/NaN; squares must not overflow
            raise InitlabError(f"layer {l} output is not finite; start from smaller weights")
        var = float(np.var(measured))
        value = var if statistic == "var" else math.sqrt(var)
        done = abs(value - target) < tol
        if done or steps == t_max or var == 0.0:
            return LayerRecord(l, steps, value, var, math.sqrt(var), done, total)
        factor = math.sqrt(target / var) if statistic == "var" else target / value
        p[f"W{l}"] = p[f"W{l}"] * factor
        total *= factor
        steps += 1


def _demo() -> None:  # pragma: no cover - prints the per-layer iteration counts for the docs
    X = np.random.default_rng(0).standard_normal((64, 512))
    runs: dict[str, dict[str, Any]] = {
        "pre, var 1, tol 0.1, fixed": {},
        "post, std 0.5, tol 0.01, fixed": {"where": "post", "statistic": "std", "target": 0.5,
                                           "tol": 0.01},
        "pre, var 1, tol 0.02, fresh 64": {"batch": "fresh", "batch_size": 64, "tol": 0.02},
    }  # fmt: skip
    for act in ("tanh", "relu"):
        spec = Spec.build([64] + [128] * 10 + [10], act, "softmax")
        for label, kw in runs.items():
            _, rec = lsuv(spec, None, X, rng=0, **kw)
            its = " ".join(str(r.iterations) for r in rec)
            done = sum(r.converged for r in rec)
            print(f"{act} 10x128  {label:<32} iterations {its}  ({done}/{len(rec)} met)")


if __name__ == "__main__":  # pragma: no cover
    _demo()
