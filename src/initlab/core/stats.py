"""Statistics across seeds: bootstrap confidence intervals and pairwise permutation tests.

One seed says little about an initialization; these helpers turn a sample of per-seed outcomes
into a mean with a confidence interval, and pairs of samples into a p-value for "these two
initializations differ", corrected for the number of pairs compared (Holm).

Everything is NumPy: resamples are drawn as one index matrix, so 10,000 resamples of 100 seeds
cost a few milliseconds.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from initlab.core.errors import InitlabError, check_choice, check_positive_int
from initlab.core.rng import RNGLike, as_rng

Array = NDArray[np.float64]
_NORMAL = NormalDist()


@dataclass(frozen=True)
class Summary:
    """Mean of a sample with its bootstrap confidence interval."""

    n: int
    mean: float
    ci_low: float
    ci_high: float

    def as_dict(self) -> dict[str, float | int | None]:
        """JSON-ready dict; NaN (undefined) values become ``None``."""
        return {k: _finite_or_none(v) for k, v in vars(self).items()}


def _finite_or_none(v: float) -> float | int | None:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def _sample(x: ArrayLike, what: str = "sample") -> Array:
    a = np.asarray(x, dtype=np.float64).ravel()
    if a.size and not np.all(np.isfinite(a)):
        raise InitlabError(f"{what} contains NaN or infinite values")
    return a


def _generator(rng: RNGLike) -> np.random.Generator:
    """A ``Generator`` (resampling needs ``integers`` and ``permuted``); seeds are accepted."""
    r = as_rng(rng)
    if isinstance(r, np.random.Generator):
        return r
    return np.random.default_rng(int(r.randint(2**31)))


def _check_level(level: float) -> float:
    if not 0 < float(level) < 1:
        raise InitlabError(f"confidence level must be between 0 and 1, got {level!r}")
    return float(level)


def bootstrap_ci(
    x: ArrayLike,
    level: float = 0.95,
    n_boot: int = 10_000,
    method: str = "bca",
    rng: RNGLike = 0,
) -> tuple[float, float]:
    """Bootstrap confidence interval for the mean of ``x``.

    Parameters
    ----------
    x : array-like of shape (n,)
        One outcome per seed.
    level : float
        Coverage, e.g. 0.95.
    n_boot : int
        Number of resamples.
    method : {"bca", "percentile"}
        ``bca`` (Efron's bias-corrected and accelerated interval, the default) corrects the
        percentile interval's bias and skew, which matters for the skewed outcomes of training
        (final costs bounded below, accuracies bounded above).
    rng : Generator or int
        Source of the resamples (seeded by default, so a report is reproducible).

    Returns
    -------
    (low, high) : tuple of float
        NaN for fewer than two values; ``(v, v)`` when every value equals ``v``.
    """
    a = _sample(x)
    level = _check_level(level)
    n_boot = check_positive_int(n_boot, "number of bootstrap resamples", minimum=100)
    check_choice(method, ("bca", "percentile"), "bootstrap method")
    if a.size < 2:
        return math.nan, math.nan
    if np.ptp(a) == 0:
        return float(a[0]), float(a[0])
    r = _generator(rng)
    boot = a[r.integers(0, a.size, size=(n_boot, a.size))].mean(axis=1)
    alpha = (1 - level) / 2
    q = np.array([alpha, 1 - alpha])
    if method == "bca":
        q = _bca_quantiles(a, boot, q)
    low, high = np.quantile(boot, q)
    return float(low), float(high)


def _bca_quantiles(a: Array, boot: Array, q: Array) -> Array:
    """Adjusted quantile levels of the BCa interval for the mean (Efron & Tibshirani 1993, 14.3)."""
    theta = a.mean()
    B = boot.size
    share = (np.count_nonzero(boot < theta) + 0.5 * np.count_nonzero(boot == theta)) / B
    z0 = _NORMAL.inv_cdf(min(max(share, 1 / (B + 1)), B / (B + 1)))
    jack = (a.sum() - a) / (a.size - 1)
    d = jack.mean() - jack
    denom = 6.0 * float(np.sum(d * d)) ** 1.5
    acc = float(np.sum(d**3)) / denom if denom > 0 else 0.0
    out = []
    for level in q:
        z = _NORMAL.inv_cdf(float(level))
        out.append(_NORMAL.cdf(z0 + (z0 + z) / (1 - acc * (z0 + z))))
    return np.array(out)


def summarize(x: ArrayLike, level: float = 0.95, n_boot: int = 10_000, rng: RNGLike = 0) -> Summary:
    """Mean and BCa bootstrap confidence interval of a sample."""
    a = _sample(x)
    if a.size == 0:
        return Summary(0, math.nan, math.nan, math.nan)
    low, high = bootstrap_ci(a, level, n_boot, "bca", rng)
    # Equal values: report that value, not a mean off by a rounding error, outside (v, v).
    mean = float(a[0]) if np.ptp(a) == 0 else float(a.mean())
    return Summary(int(a.size), mean, low, high)


def permutation_test(a: ArrayLike, b: ArrayLike, n_perm: int = 10_000, rng: RNGLike = 0) -> float:
    """Two-sided permutation p-value for a difference in means between two samples.

    Under the null hypothesis both samples come from one distribution, so every relabelling of
    the pooled values is equally likely. The p-value is ``(1 + #{|d*| >= |d|}) / (1 + n_perm)``,
    which is never 0 and is a valid (slightly conservative) test for any sample size.
    """
    x, y = _sample(a, "first sample"), _sample(b, "second sample")
    if x.size == 0 or y.size == 0:
        raise InitlabError(f"permutation test needs two non-empty samples, got {x.size} and {y.size}")
    n_perm = check_positive_int(n_perm, "number of permutations", minimum=100)
    pooled = np.concatenate([x, y])
    observed = abs(x.mean() - y.mean())
    perms = _generator(rng).permuted(np.broadcast_to(pooled, (n_perm, pooled.size)), axis=1)
    diffs = np.abs(perms[:, : x.size].mean(axis=1) - perms[:, x.size :].mean(axis=1))
    # Equal differences computed in another summation order can differ in the last bits.
    tol = 1e-12 * max(1.0, float(np.abs(pooled).max()))
    return float((1 + np.count_nonzero(diffs >= observed - tol)) / (1 + n_perm))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (step-down, monotone, capped at 1)."""
    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    order = np.argsort(p, kind="stable")
    adjusted = np.minimum(1.0, np.maximum.accumulate(p[order] * (m - np.arange(m))))
    out = np.empty(m)
    out[order] = adjusted
    return [float(v) for v in out]


def pairwise_tests(
    groups: Mapping[str, ArrayLike], alpha: float = 0.05, n_perm: int = 10_000, rng: RNGLike = 0
) -> list[dict[str, Any]]:
    """Compare every pair of groups: difference in means, raw and Holm-adjusted p-values.

    Returns
    -------
    list of dict
        One per pair ``(a, b)`` in input order: ``a``, ``b``, ``difference`` (mean a - mean b),
        ``p_value``, ``p_adjusted`` and ``significant`` (``p_adjusted < alpha``).
    """
    _check_level(alpha)
    r = _generator(rng)
    rows: list[dict[str, Any]] = []
    for name_a, name_b in itertools.combinations(groups, 2):
        xa, xb = _sample(groups[name_a]), _sample(groups[name_b])
        diff = float(xa.mean() - xb.mean())
        rows.append({"a": name_a, "b": name_b, "difference": diff,
                     "p_value": permutation_test(xa, xb, n_perm, r)})
    for row, p_adj in zip(rows, holm([row["p_value"] for row in rows]), strict=True):
        row["p_adjusted"] = p_adj
        row["significant"] = bool(p_adj < alpha)
    return rows
