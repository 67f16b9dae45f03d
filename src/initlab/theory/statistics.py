"""The per-layer statistics, one entry each: how to measure it, how to predict it, its column.

:data:`STATISTICS` is the one list. :func:`initlab.theory.propagation.layer_stats` measures every
entry on a layer's values, :func:`initlab.theory.meanfield.predict_layers` predicts every entry,
and the histograms table (:mod:`initlab.experiments.histograms`) takes its columns from the
headers. A new statistic is one :class:`Statistic` here (plus a test of its value).

Measuring works on :class:`Observed`, the moments of one layer's values computed once; predicting
works on :class:`Expected`, the mean-field moments of one layer computed once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from initlab.theory.gaussian import SAT_MARGIN

Array = NDArray[np.float64]
Value = float | int | None


@dataclass(frozen=True)
class Observed:
    """What every measured statistic reads from one layer's values ``A`` of shape (units, samples).

    ``unit_mean`` and ``unit_var`` (shape (units,)) are each unit's mean and variance over the
    samples; ``within`` is the mean of ``unit_var``, ``between`` the variance of ``unit_mean``.
    """

    A: Array
    limits: tuple[float, float] | None
    unit_mean: Array
    unit_var: Array
    mean: float
    within: float
    between: float

    @classmethod
    def of(cls, A: Array, limits: tuple[float, float] | None = None,
           work: Array | None = None) -> Observed:
        """The moments of ``A``; ``work`` is an optional scratch array of ``A``'s shape."""
        unit_mean = A.mean(axis=1)
        # Centre before squaring: a collapsed unit's spread can be 1e-8 of its mean.
        D = np.subtract(A, unit_mean[:, None], out=work)
        unit_var = np.einsum("ij,ij->i", D, D) / A.shape[1]
        mean = float(unit_mean.mean())
        between = float(np.mean((unit_mean - mean) ** 2))
        return cls(A, limits, unit_mean, unit_var, mean, float(unit_var.mean()), between)


@dataclass(frozen=True)
class Expected:
    """What every predicted statistic reads from the mean-field moments of one layer.

    ``var`` is the predicted variance over units and samples and ``sample_var`` its part across
    samples (None when spreads were not predicted); ``saturated``/``zero`` are predicted shares;
    ``degenerate`` means every input maps to 0 variance; ``n`` is the layer's width.
    """

    mean: float
    var: float
    sample_var: float | None
    saturated: float | None
    zero: float
    degenerate: bool
    n: int


@dataclass(frozen=True)
class Statistic:
    """One per-layer statistic.

    Attributes
    ----------
    name : str
        Its key in every per-layer dict and in ``initlab histograms --json``.
    header : str or None
        Its column in the histograms table (None: not shown there).
    measure : callable ``Observed -> value``
    predict : callable ``Expected -> value``
        ``None`` where the theory says nothing (e.g. saturation of an unbounded activation).
    theory_column : bool
        Whether the table shows the prediction beside the measurement.
    """

    name: str
    header: str | None
    measure: Callable[[Observed], Value]
    predict: Callable[[Expected], Value]
    theory_column: bool = False


def _saturated(o: Observed) -> float | None:
    if o.limits is None:
        return None
    low, high = o.limits[0] + SAT_MARGIN, o.limits[1] - SAT_MARGIN
    A = o.A
    return float((np.count_nonzero(np.less(A, low)) + np.count_nonzero(np.greater(A, high))) / A.size)


def _dead(o: Observed) -> int:
    # A row is all zeros exactly when its mean and its centred variance are both exactly 0.
    return int(np.count_nonzero((o.unit_mean == 0) & (o.unit_var == 0)))


def _sqrt_or_none(x: float | None) -> float | None:
    return None if x is None else math.sqrt(x)


STATISTICS: tuple[Statistic, ...] = (
    Statistic("mean", None, lambda o: o.mean, lambda e: e.mean),
    Statistic("std", "std", lambda o: math.sqrt(o.within + o.between),
              lambda e: math.sqrt(e.var), theory_column=True),
    Statistic("sample_spread", "sample spread", lambda o: math.sqrt(o.within),
              lambda e: _sqrt_or_none(e.sample_var), theory_column=True),
    Statistic("unit_spread", "unit spread", lambda o: math.sqrt(o.between),
              lambda e: None if e.sample_var is None else math.sqrt(max(e.var - e.sample_var, 0.0))),
    Statistic("saturated_share", "saturated", _saturated, lambda e: e.saturated),
    Statistic("zero_share", "zero", lambda o: float(1.0 - np.count_nonzero(o.A) / o.A.size),
              lambda e: e.zero),
    Statistic("dead_units", "dead", _dead,
              lambda e: e.n if e.zero == 1.0 else None),
    Statistic("distinct_units", "distinct", lambda o: distinct_rows(o.A),
              lambda e: 1 if e.degenerate else e.n),
)
#: The statistics' keys, in order.
STAT_NAMES: tuple[str, ...] = tuple(s.name for s in STATISTICS)


def measure_all(observed: Observed) -> dict[str, Value]:
    """Every statistic measured on one layer, keyed by name."""
    return {s.name: s.measure(observed) for s in STATISTICS}


def predict_all(expected: Expected) -> dict[str, Value]:
    """Every statistic predicted for one layer, keyed by name."""
    return {s.name: s.predict(expected) for s in STATISTICS}


def table_columns() -> list[tuple[str, str, str]]:
    """``(header, "measured" | "predicted", name)`` for each table column, in order."""
    out = []
    for s in STATISTICS:
        if s.header is not None:
            out.append((s.header, "measured", s.name))
            if s.theory_column:
                out.append((f"{s.header} (theory)", "predicted", s.name))
    return out


# --------------------------------------------------------------------------- distinct rows


def _row_hash(A: Array) -> Array:
    """Exact integer hash of each row's bit pattern (``-0.0`` read as ``0.0``; uint64 wraps)."""
    bits = np.ascontiguousarray(A + 0.0).view(np.uint64)
    mult = np.random.default_rng(0x5EED).integers(1, 2**63, size=A.shape[1], dtype=np.uint64) | 1
    return np.asarray(np.einsum("ij,j->i", bits, mult))


def _distinct_equal_hash(B: Array) -> int:
    """Distinct rows among rows sharing one full hash (almost always 1)."""
    if B.shape[0] <= 1:
        return int(B.shape[0])
    same = np.all(np.equal(B, B[0]), axis=1)
    return 1 + _distinct_equal_hash(B[~same])


def distinct_rows(A: Array, probe: int = 64) -> int:
    """Number of distinct rows of ``A`` (exact equality; ``-0.0`` equals ``0.0``), in O(units x probe).

    Rows are bucketed by an exact hash of their first ``probe`` entries; only rows sharing a bucket
    are hashed in full, and only rows sharing a full hash are compared element by element.
    """
    _, inverse, counts = np.unique(_row_hash(A[:, :probe]), return_inverse=True, return_counts=True)
    total = int(np.count_nonzero(counts == 1))
    for g in np.flatnonzero(counts > 1):  # rows equal on the probe: look at them in full
        B = A[inverse == g] + 0.0
        _, inv2, cnt2 = np.unique(_row_hash(B), return_inverse=True, return_counts=True)
        total += sum(_distinct_equal_hash(B[inv2 == h]) for h in range(cnt2.size))
    return total
