"""Signal propagation at initialization: push a batch through a network and measure every layer.

The tutorial's part 6 (Saito, *Deep Learning from Scratch*, ch. 6) is the smallest case:
Gaussian inputs through ``depth`` bias-free layers of ``width`` units (:func:`layer_activations`).
:func:`measure` generalises it: any depth, widths, activation, weight and bias initializer, and for
every layer the statistics of the pre-activations ``H_l = W_l A_{l-1} + b_l``, the activations
``A_l = phi(H_l)`` and the back-propagated gradients ``dL/dA_l``, plus histograms.

The scalar loss is a **random linear readout** ``L = sum(R * A_L)`` with ``R`` a standard-normal
matrix of the last layer's shape drawn from the run's rng: ``dL/dA_L = R`` has unit variance and is
independent of the forward pass, the setting of the mean-field gradient theory.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from initlab import activations as act_mod
from initlab import initializers as init_mod
from initlab.core import errors
from initlab.core.errors import MEMORY_SHARE, InitlabError, check_data, check_positive_int
from initlab.core.rng import RNGLike, as_rng
from initlab.theory.statistics import STAT_NAMES, Observed, distinct_rows, measure_all

__all__ = [
    "STAT_NAMES", "Histogram", "LayerRecord", "Measurement", "distinct_rows", "histogram",
    "init_variance", "layer_activations", "layer_stats", "measure",
]

Array = NDArray[np.float64]


def layer_activations(
    init: Any,
    activation: Any,
    depth: int = 5,
    width: int = 100,
    samples: int = 1000,
    rng: RNGLike = None,
    X: Array | None = None,
) -> list[Array]:
    """Activations of each of ``depth`` bias-free layers of ``width`` units.

    Parameters
    ----------
    init : initializer name or callable
        Draws each ``(width, fan_in)`` weight matrix from ``rng``.
    activation : activation name or Activation
    X : ndarray of shape (n_x, samples), optional
        Inputs; by default ``samples`` standard-normal columns of size ``width`` from ``rng``.

    Returns
    -------
    list of ndarray of shape (width, samples)
        ``A[l] = act(W[l] @ A[l-1])``, from the first hidden layer to the last.
    """
    depth = check_positive_int(depth, "depth")
    width = check_positive_int(width, "width")
    samples = check_positive_int(samples, "samples")
    r = as_rng(rng)
    w_init = init_mod.get(init)
    act = act_mod.get(activation)
    A = r.standard_normal((width, samples)) if X is None else np.asarray(X, dtype=np.float64)
    out = []
    for _ in range(depth):
        W = w_init((width, A.shape[0]), r)
        A = act.fn(W @ A)
        out.append(A)
    return out


# --------------------------------------------------------------------------- per-layer measurement


def layer_stats(
    A: Array, limits: tuple[float, float] | None = None, axis: int = 0
) -> dict[str, float | int | None]:
    """Every statistic of :data:`~initlab.theory.statistics.STATISTICS` on a layer's values.

    ``A`` has its units on ``axis`` and samples on every other axis: (units, samples) by default,
    or any layout as it is (a conv output (batch, channels, h, w) with ``axis=1``), float32 or
    float64, never copied into another layout. ``std`` is pooled over units and samples; ``sample_spread`` is
    sqrt of the mean over units of each unit's variance over inputs, ``unit_spread`` the std over
    units of each unit's mean (so ``std**2 == sample_spread**2 + unit_spread**2``).
    ``saturated_share`` counts values within 0.01 of an asymptote in ``limits`` (None without
    limits); ``zero_share`` counts exact zeros; ``dead_units`` counts units that are 0 for every
    input; ``distinct_units`` counts distinct units.
    """
    return measure_all(Observed.of(A, limits, axis))


@dataclass
class Histogram:
    """Bin ``edges`` (k+1,) and the ``shares`` (k,) of all values that fall in each bin."""

    edges: Array
    shares: Array


@dataclass
class LayerRecord:
    """One layer's statistics: pre-activations, activations, gradients (dicts keyed by
    :data:`~initlab.theory.statistics.STAT_NAMES`)."""

    layer: int
    pre: dict[str, Any]
    act: dict[str, Any]
    grad: dict[str, Any]
    act_hist: Histogram | None = None
    grad_hist: Histogram | None = None


@dataclass
class Measurement:
    """Everything :func:`measure` saw; ``sigma_w2``/``sigma_b2`` are per layer (fan_in * Var W, Var b)."""

    activation: str
    widths: list[int]
    layers: list[LayerRecord]
    X: Array
    sigma_w2: list[float] = field(default_factory=list)
    sigma_b2: list[float] = field(default_factory=list)


def estimate_bytes(widths: list[int], samples: int, bins: int = 0) -> int:
    """Bytes :func:`measure` holds at once: the derivative of every layer plus a few work arrays,
    and the histograms (edges and counts of every layer's activations and gradients)."""
    hist = 8 * (bins + 1) * (4 * (len(widths) - 1) + 2)
    return 8 * samples * (sum(widths[1:]) + 4 * max(widths)) + 8 * sum(
        a * b for a, b in zip(widths[1:], widths[:-1], strict=False)
    ) + hist


def check_memory(widths: list[int], samples: int, share: float = MEMORY_SHARE, bins: int = 0) -> None:
    """Refuse (with the estimate) a run that would need more than ``share`` of physical memory."""
    errors.check_memory(
        estimate_bytes(widths, samples, bins),
        f"this run (depth {len(widths) - 1}, widths up to {max(widths)}, {samples} samples"
        + (f", {bins} bins)" if bins else ")"),
        "use fewer samples, a smaller width, a smaller depth or fewer bins", share,
    )


def init_variance(init: Any, shape: tuple[int, int], draws: int = 2**20) -> float:
    """``fan_in * E[W^2]`` of an initializer at ``shape`` (out, in).

    Exact when the initializer describes its law (``init.describe(shape)`` with ``mean`` and
    ``std``, as :class:`initlab.initializers.laws.Scheme` does): He gives exactly 2, so the theory sees the
    edge of chaos. Otherwise estimated from about ``draws`` values from a fixed private seed (relative
    error about ``sqrt(2 / draws)``, 0.14%). A bias shape ``(n, 1)`` is drawn as one tall column.
    """
    if isinstance(init, str):
        return _init_variance_cached(init, shape, draws)
    return _init_variance(init, shape, draws)


def _described_variance(w_init: Any, shape: tuple[int, int]) -> float | None:
    describe = getattr(w_init, "describe", None)
    if describe is None:
        return None
    try:
        law = describe(shape)
        mean, std = float(law.mean), float(law.std)
    except (AttributeError, TypeError, ValueError):
        return None
    if not (math.isfinite(mean) and math.isfinite(std)):
        return None
    return shape[1] * (mean * mean + std * std)


@functools.lru_cache(maxsize=256)
def _init_variance_cached(init: str, shape: tuple[int, int], draws: int) -> float:
    return _init_variance(init, shape, draws)


def _init_variance(init: Any, shape: tuple[int, int], draws: int) -> float:
    w_init = init_mod.get(init)
    exact = _described_variance(w_init, shape)
    if exact is not None:
        return exact
    r = np.random.default_rng(0xC0FFEE)
    if shape[1] == 1:
        return float(np.mean(np.asarray(w_init((draws, 1), r), dtype=np.float64) ** 2))
    reps = max(1, draws // (shape[0] * shape[1]))
    total = sum(float(np.mean(np.asarray(w_init(shape, r), dtype=np.float64) ** 2)) for _ in range(reps))
    return shape[1] * total / reps


def histogram(A: Array, limits: tuple[float, float] | None, bins: int) -> Histogram:
    """Shares of a layer's values (any shape, read as float64) in ``bins`` equal bins: over
    ``limits`` when the activation has them, else over mean +- 4 std clipped to the values' range."""
    A = np.asarray(A, dtype=np.float64)
    if limits is not None:
        lo, hi = limits
    else:
        mu, sd = float(A.mean()), float(A.std())
        lo, hi = max(float(A.min()), mu - 4 * sd), min(float(A.max()), mu + 4 * sd)
    if not hi > lo:
        lo, hi = lo - 0.5, hi + 0.5
    counts, edges = np.histogram(A, bins=bins, range=(lo, hi))
    return Histogram(edges, counts / A.size)


def measure(
    init: Any,
    activation: Any,
    depth: int = 5,
    width: int = 100,
    samples: int = 1000,
    rng: RNGLike = None,
    X: Array | None = None,
    bias_init: Any = "zeros",
    widths: list[int] | None = None,
    bins: int = 30,
    truncate: bool = False,
) -> Measurement:
    """Push a batch through a fresh network and measure every layer, forward and backward.

    Parameters
    ----------
    init, bias_init : initializer spec or callable
        Weight and bias initializers (``"he_normal"``, ``"normal:std=0.01"``, ...).
    activation : activation spec
    depth, width, samples : int
        ``depth`` layers of ``width`` units on ``samples`` inputs (ignored where ``widths``/``X`` say).
    X : ndarray of shape (n_0, samples), optional
        Inputs; by default standard-normal columns of size ``width`` drawn from ``rng``.
    widths : list of int, optional
        ``[n_0, n_1, ..., n_L]`` for networks of unequal widths.
    bins : int
        Histogram bins per layer; 0 skips histograms.
    truncate : bool
        If the pre-activations overflow float64, stop at the last finite layer instead of raising.

    Returns
    -------
    Measurement
        One :class:`LayerRecord` per layer, from the input side.
    """
    r = as_rng(rng)
    act = act_mod.get(activation)
    if X is not None:
        X, _ = check_data(X)
    dims = _dims(depth, width, samples, X, widths)
    m = X.shape[1] if X is not None else check_positive_int(samples, "samples")
    check_memory(dims, m, bins=bins)
    if X is None:
        X = r.standard_normal((dims[0], m))
    records, Ws, Ds = _forward(init, bias_init, act, dims, X, r, bins, truncate)
    dims = dims[: len(records) + 1]
    _backward(records, Ws, Ds, r, m, bins)
    sw2 = [init_variance(init, (dims[l], dims[l - 1])) for l in range(1, len(dims))]
    sb2 = [init_variance(bias_init, (dims[l], 1)) for l in range(1, len(dims))]
    return Measurement(act.name, list(dims), records, X, sw2, sb2)


def _forward(init: Any, bias_init: Any, act: act_mod.Activation, dims: list[int], X: Array, r: Any,
             bins: int, truncate: bool) -> tuple[list[LayerRecord], list[Array], list[Array]]:
    w_init, b_init = init_mod.get(init), init_mod.get(bias_init)
    records: list[LayerRecord] = []
    Ws: list[Array] = []
    Ds: list[Array] = []  # phi'(H) per layer: all the backward pass needs
    A = X
    for l in range(1, len(dims)):
        W = np.asarray(w_init((dims[l], dims[l - 1]), r), dtype=np.float64)
        b = np.asarray(b_init((dims[l], 1), r), dtype=np.float64).reshape(-1, 1)
        with np.errstate(over="ignore", invalid="ignore"):  # checked just below
            H = W @ A
            if b.any():
                H += b
        if not _finite(H):
            if truncate and records:
                break
            raise InitlabError(f"pre-activations of layer {l} exceed {LIMIT:g} (their squares overflow "
                               "float64); use a smaller weight scale or fewer layers")
        A = act.fn(H)
        records.append(LayerRecord(l, layer_stats(H), layer_stats(A, act.limits), {},
                                   histogram(A, act.limits, bins) if bins else None))
        Ws.append(W)
        Ds.append(act.deriv(H, A))
    return records, Ws, Ds


def _backward(records: list[LayerRecord], Ws: list[Array], Ds: list[Array], r: Any, samples: int,
              bins: int) -> None:
    G = r.standard_normal((Ws[-1].shape[0], samples))  # dL/dA_L for L = sum(R * A_L)
    for l in range(len(records), 0, -1):
        if not _finite(G):
            raise InitlabError(f"gradients at layer {l} exceed {LIMIT:g} (their squares overflow "
                               "float64); use a smaller weight scale or fewer layers")
        rec = records[l - 1]
        rec.grad = layer_stats(G)
        rec.grad_hist = histogram(G, None, bins) if bins else None
        if l > 1:
            G = Ws[l - 1].T @ (G * Ds[l - 1])
        Ds[l - 1] = np.empty(0)  # free as we go


LIMIT = 1e150  # beyond this, squares and sums of squares over a layer overflow float64


def _finite(A: Array) -> bool:
    """True when every entry is finite and below ``LIMIT`` in size (two read passes, no temporary)."""
    hi, lo = float(A.max()), float(A.min())
    return bool(lo > -LIMIT and hi < LIMIT)


def _dims(depth: int, width: int, samples: int, X: Array | None, widths: list[int] | None) -> list[int]:
    if widths is not None:
        dims = [check_positive_int(w, "width") for w in widths]
        if len(dims) < 2:
            raise InitlabError(f"widths need an input size and at least one layer, got {widths}")
    else:
        depth = check_positive_int(depth, "depth")
        width = check_positive_int(width, "width")
        dims = [width] * (depth + 1)
    if X is not None:
        dims[0] = X.shape[0]
    check_positive_int(samples, "samples")
    return dims
