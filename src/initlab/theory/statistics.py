"""The per-layer statistics, one entry each: how to measure it, how to predict it, its column.

:data:`STATISTICS` is the one list. :func:`initlab.theory.propagation.layer_stats` measures every
entry on a layer's values, :func:`initlab.theory.meanfield.predict_layers` predicts every entry,
and the histograms table (:mod:`initlab.experiments.histograms`) takes its columns from the
headers. A new statistic is one :class:`Statistic` here (plus a test of its value).

Measuring works on :class:`Observed`, the moments and counts of one layer's values, in whatever
layout and float dtype they come (units on any axis; NumPy arrays, or NumPy views of torch
tensors), computed in one blocked float64 pass (:func:`scan`); predicting works on
:class:`Expected`, the mean-field moments of one layer computed once.
"""

from __future__ import annotations

import functools
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
    """What every measured statistic reads from one layer's values ``A``.

    ``A`` keeps its own layout and dtype (float32 or float64, never copied into another layout):
    its units (features or channels) lie on ``axis`` and every other axis counts as samples, so a
    conv output ``(batch, channels, height, width)`` is read with ``axis=1`` and the tutorial's
    ``(units, samples)`` matrices with ``axis=0``. ``unit_mean`` and ``unit_var`` (shape (units,), float64) are each
    unit's mean and variance over its samples; ``within`` is the mean of ``unit_var``, ``between``
    the variance of ``unit_mean``. ``nonzero`` counts the values other than 0 and ``saturated``
    those within ``SAT_MARGIN`` of an asymptote of ``limits`` (None without limits); all of these
    come from one pass over ``A`` (:func:`scan`).
    """

    A: Array
    limits: tuple[float, float] | None
    unit_mean: Array
    unit_var: Array
    mean: float
    within: float
    between: float
    nonzero: int
    saturated: int | None
    axis: int = 0

    @classmethod
    def of(cls, A: Array, limits: tuple[float, float] | None = None, axis: int = 0) -> Observed:
        """The moments and counts of ``A`` (units on ``axis``)."""
        sc = scan(A, axis, limits)
        units = sc.mean.size  # sums over units / units: np.mean's arithmetic, without its overhead
        mean = float(sc.mean.sum()) / units
        between = float(((sc.mean - mean) ** 2).sum()) / units
        return cls(A, limits, sc.mean, sc.var, mean, float(sc.var.sum()) / units, between,
                   sc.nonzero, sc.saturated, axis)


def _blocks(A: Array, axis: int) -> Array:
    """``A`` as (before, units, after): the axes before ``axis``, ``axis``, the axes after it
    (a view of any C-contiguous array; units on ``axis``, samples in C order over the rest)."""
    A = np.asarray(A)
    if A.ndim == 0:
        return A.reshape(1, 1, 1)
    axis = axis % A.ndim
    return A.reshape(math.prod(A.shape[:axis]), A.shape[axis], -1)


def _rows(B: Array, units: NDArray[np.intp] | slice = slice(None)) -> Array:
    """The (units, samples) rows of the ``units`` selected from a (before, units, after) array."""
    S = B[:, units]
    return np.moveaxis(S, 1, 0).reshape(S.shape[1], -1)


#: Units whose values lie in runs of at least this many contiguous samples are reduced run by run;
#: shorter runs (a (samples, units) matrix, a late conv stage) column by column, over whole rows.
_LONG_RUN = 32
#: A unit whose variance is below this share of its mean square (|mean| > 10 std) gets its
#: variance again from centred values: E[x^2] - E[x]^2 would lose more than two digits there.
_CANCEL = 0.01
#: Values cast to float64 at a time (1 MiB): a float32 layer is read in blocks of this size, never
#: copied whole (a fresh 67 MB float64 copy costs ~50 ms of page faults). On the models of
#: examples/models.py 2**15 to 2**17 measured the same; much smaller blocks cost per-block overhead.
_BLOCK = 1 << 17


@dataclass(frozen=True)
class Scan:
    """One pass over a layer's values: each unit's ``mean`` and population ``var`` (float64,
    shape (units,)), the count of values other than 0 (``nonzero``; -0.0 is 0, NaN is not), and
    with limits the count of values within ``SAT_MARGIN`` of either asymptote (``saturated``)."""

    mean: Array
    var: Array
    nonzero: int
    saturated: int | None


def scan(A: Array, axis: int = 0, limits: tuple[float, float] | None = None) -> Scan:
    """:class:`Scan` of ``A`` (units on ``axis``, in its own layout), in float64.

    ``A`` is read once, in blocks of :data:`_BLOCK` values (float32 cast block by block; float64
    read in place in the same blocks, so a float32 ``A`` gives exactly the results of its float64
    widening); each block gives its units' sums and sums of squares, every reduction along
    contiguous memory, and the counts while it is in cache. Where the mean dominates (variance
    below :data:`_CANCEL` of the mean square, or not finite), ``E[x^2] - E[x]^2`` would cancel, so
    those units' variances are computed again from their centred values (a collapsed unit's
    spread can be 1e-8 of its mean); elsewhere the formula loses less than two digits to rounding.
    """
    B = _blocks(A, axis)
    pre, units, run = B.shape
    # float64 bounds: float32 values are compared as float64 values, not against rounded bounds
    bounds = None if limits is None else (limits[0] + SAT_MARGIN, limits[1] - SAT_MARGIN)
    ranges = _block_ranges(B.shape)
    if len(ranges) == 1:  # most layers of a small model: no accumulation needed
        s1, s2, nonzero, saturated = _block_sums(np.asarray(B, dtype=np.float64), run, bounds)
    else:
        s1, s2, nonzero, saturated = np.zeros(units), np.zeros(units), 0, 0
        for u0, u1, i0, i1 in ranges:
            r1, r2, nz, sat = _block_sums(np.asarray(B[i0:i1, u0:u1], dtype=np.float64), run, bounds)
            s1[u0:u1] += r1
            s2[u0:u1] += r2
            nonzero, saturated = nonzero + nz, saturated + sat
    n = pre * run
    mean, square = s1 / n, s2 / n
    var = square - mean * mean
    redo = np.flatnonzero(~(var >= _CANCEL * square))
    if redo.size:
        D = B[:, redo, :] - mean[redo][None, :, None]
        var[redo] = np.einsum("icj,icj->c", D, D) / n
    return Scan(mean, var, nonzero, None if limits is None else saturated)


def _block_sums(C: Array, run: int, bounds: tuple[float, float] | None) -> tuple[Array, Array, int, int]:
    """Per unit sums and sums of squares of a float64 block (slices, units, run), its values
    other than 0 and (with ``bounds``) those below the first or above the second bound."""
    if run >= _LONG_RUN:  # runs of `run` samples: reduce along each run, then over slices
        runs = C.reshape(-1, run)
        r1, r2 = np.einsum("kj->k", runs), np.einsum("kj,kj->k", runs, runs)
        if C.shape[0] > 1:
            r1, r2 = r1.reshape(C.shape[0], -1).sum(axis=0), r2.reshape(C.shape[0], -1).sum(axis=0)
    else:  # rows of units x run values: reduce down the columns, then over each unit's run
        rows = C.reshape(C.shape[0], -1)
        r1, r2 = np.einsum("ik->k", rows), np.einsum("ik,ik->k", rows, rows)
        if run > 1:
            r1, r2 = r1.reshape(-1, run).sum(axis=1), r2.reshape(-1, run).sum(axis=1)
    nonzero = int(np.count_nonzero(np.not_equal(C, 0.0)))  # counting booleans: fast
    sat = 0 if bounds is None else int(np.count_nonzero(np.less(C, bounds[0]))
                                       + np.count_nonzero(np.greater(C, bounds[1])))
    return r1, r2, nonzero, sat


def unit_moments(A: Array, axis: int = 0) -> tuple[Array, Array]:
    """Each unit's mean and (population) variance over its samples, in float64: shape (units,)
    (:func:`scan`)."""
    sc = scan(A, axis)
    return sc.mean, sc.var


def mean_square(A: Array) -> float:
    """Mean of the squares of all values of ``A`` (any shape, float32 or float64), in float64,
    read in blocks of :data:`_BLOCK` values."""
    flat = np.asarray(A).reshape(-1)
    total = 0.0
    for i in range(0, flat.size, _BLOCK):
        b = np.asarray(flat[i : i + _BLOCK], dtype=np.float64)
        total += float(np.einsum("i,i->", b, b))
    return total / max(1, flat.size)


def _block_ranges(shape: tuple[int, int, int]) -> list[tuple[int, int, int, int]]:
    """``(u0, u1, i0, i1)``: the blocks ``B[i0:i1, u0:u1]`` of a (before, units, after) array, of
    at most :data:`_BLOCK` values (whole slices of ``before`` while one holds that many, else runs
    of units within one slice; a single run longer than that is one block)."""
    pre, units, run = shape
    if units * run <= _BLOCK:
        step = _BLOCK // (units * run)
        return [(0, units, i, min(i + step, pre)) for i in range(0, pre, step)]
    ustep = max(1, _BLOCK // max(1, run))
    return [(u, min(u + ustep, units), i, i + 1) for i in range(pre) for u in range(0, units, ustep)]


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
    return None if o.saturated is None else o.saturated / o.A.size


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
    Statistic("zero_share", "zero", lambda o: float(1.0 - o.nonzero / o.A.size),
              lambda e: e.zero),
    Statistic("dead_units", "dead", _dead,
              lambda e: e.n if e.zero == 1.0 else None),
    Statistic("distinct_units", "distinct", lambda o: distinct_rows(o.A, axis=o.axis),
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


@functools.lru_cache(maxsize=4)
def _multipliers(n: int) -> NDArray[np.uint64]:
    """``n`` fixed odd 64-bit multipliers for the row hashes (drawn once per length)."""
    mult = np.random.default_rng(0x5EED).integers(1, 2**63, size=n, dtype=np.uint64) | np.uint64(1)
    mult.setflags(write=False)
    return mult


def _bits(A: Array) -> NDArray[np.uint64]:
    """The float64 bit patterns of ``A``'s values (a float32 value widens exactly; ``-0.0`` is
    read as ``0.0``: adding 0.0 turns it into it)."""
    F = np.add(A, 0.0, dtype=np.float64)
    return np.ascontiguousarray(F).view(np.uint64)


def _row_hash(R: Array) -> NDArray[np.uint64]:
    """Exact integer hash of each row of ``R`` (units, samples) from its float64 bits (uint64
    wraps)."""
    return np.asarray(np.einsum("ij,j->i", _bits(R), _multipliers(R.shape[1])))


def _probe_hash(B: Array, probe: int) -> NDArray[np.uint64]:
    """:func:`_row_hash` of each unit's first ``probe`` samples, read from the (before, units,
    after) blocks in place (the sample ``i * after + k`` takes multiplier ``i * after + k``)."""
    pre, _, run = B.shape
    q = min(pre, -(-probe // max(1, run)))
    return np.asarray(np.einsum("iuk,ik->u", _bits(B[:q]), _probe_multipliers(q, run, probe)))


@functools.lru_cache(maxsize=16)
def _probe_multipliers(q: int, run: int, probe: int) -> NDArray[np.uint64]:
    """(q, run) multipliers: :func:`_multipliers` on the first ``probe`` samples, 0 after them."""
    mult = np.zeros(q * run, dtype=np.uint64)
    take = min(probe, q * run)
    mult[:take] = _multipliers(take)
    mult.setflags(write=False)
    return mult.reshape(q, run)


def _distinct_equal_hash(B: Array) -> int:
    """Distinct rows among rows sharing one full hash (almost always 1)."""
    if B.shape[0] <= 1:
        return int(B.shape[0])
    same = np.all(np.equal(B, B[0]), axis=1)
    return 1 + _distinct_equal_hash(B[~same])


def distinct_rows(A: Array, probe: int = 64, axis: int = 0) -> int:
    """Number of distinct units of ``A`` (units on ``axis``; exact equality of their values over
    the samples, ``-0.0`` equal to ``0.0``), in O(units x probe).

    Units are hashed exactly on their first ``probe`` samples; a unit whose probe hash no other
    unit shares is distinct. Only the others are read in full and hashed again, and only units
    sharing a full hash are compared element by element (equal units share every hash).
    """
    B = _blocks(A, axis)
    h = _probe_hash(B, probe)
    hs = np.sort(h)
    if not np.any(hs[1:] == hs[:-1]):  # the usual case: every probe differs
        return int(h.size)
    order = np.argsort(h, kind="stable")
    hs = h[order]
    shared = np.zeros(h.size, dtype=bool)
    shared[1:] = hs[1:] == hs[:-1]
    shared[:-1] |= shared[1:]
    R = _bits_rows(B, np.sort(order[shared]))
    _, inverse, counts = np.unique(_row_hash(R), return_inverse=True, return_counts=True)
    total = int(h.size - shared.sum()) + int(np.count_nonzero(counts == 1))
    for g in np.flatnonzero(counts > 1):
        total += _distinct_equal_hash(R[inverse == g])
    return total


def _bits_rows(B: Array, units: NDArray[np.intp]) -> Array:
    """The selected units' rows (units, samples) as float64 with ``-0.0`` read as ``0.0``."""
    R = np.array(_rows(B, units), dtype=np.float64)
    R += 0.0
    return R
