"""Bootstrap intervals and permutation tests against known distributions and exact answers."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats as sps

from initlab.core import stats
from initlab.core.errors import InitlabError


def _binomial_band(p: float, trials: int, z: float = 4.0) -> tuple[float, float]:
    sd = math.sqrt(p * (1 - p) / trials)
    return p - z * sd, p + z * sd


@pytest.mark.parametrize(
    ("draw", "true_mean"),
    [
        (lambda r, n: r.normal(1.0, 2.0, n), 1.0),
        (lambda r, n: r.exponential(1.5, n), 1.5),  # skewed: what BCa is for
    ],
)
def test_bca_interval_covers_the_true_mean_at_its_level(draw, true_mean):
    r = np.random.default_rng(12)
    trials, n = 400, 40
    hits = 0
    for i in range(trials):
        low, high = stats.bootstrap_ci(draw(r, n), 0.95, n_boot=2000, rng=i)
        hits += low <= true_mean <= high
    # Bootstrap intervals under-cover slightly at n=40 (the known O(1/n) error): allow 2 points
    # below nominal plus 4 binomial standard deviations.
    low_band, high_band = _binomial_band(0.95, trials)
    assert low_band - 0.02 <= hits / trials <= high_band


def test_bca_matches_scipy_independent_implementation():
    x = np.random.default_rng(3).exponential(size=30)
    ours = stats.bootstrap_ci(x, 0.95, n_boot=100_000, rng=1)
    ref = sps.bootstrap((x,), np.mean, method="BCa", n_resamples=100_000, random_state=2)
    se = x.std(ddof=1) / math.sqrt(x.size)
    # Two Monte Carlo estimates of the same quantiles agree to a small share of the standard error.
    assert ours[0] == pytest.approx(ref.confidence_interval.low, abs=0.05 * se)
    assert ours[1] == pytest.approx(ref.confidence_interval.high, abs=0.05 * se)


def test_percentile_interval_approaches_normal_theory_for_large_samples():
    x = np.random.default_rng(5).normal(size=2000)
    low, high = stats.bootstrap_ci(x, 0.95, n_boot=20_000, method="percentile", rng=0)
    half = 1.959964 * x.std() / math.sqrt(x.size)
    assert low == pytest.approx(x.mean() - half, abs=0.05 * half)
    assert high == pytest.approx(x.mean() + half, abs=0.05 * half)


def test_degenerate_samples():
    assert stats.bootstrap_ci([0.5] * 10) == (0.5, 0.5)
    assert all(math.isnan(v) for v in stats.bootstrap_ci([1.0]))
    s = stats.summarize([])
    assert s.n == 0 and s.as_dict()["mean"] is None


def test_bad_input_names_the_value():
    with pytest.raises(InitlabError, match="NaN"):
        stats.bootstrap_ci([1.0, float("nan")])
    with pytest.raises(InitlabError, match="level"):
        stats.bootstrap_ci([1.0, 2.0], level=1.5)
    with pytest.raises(InitlabError, match=r"bootstrap method.*bca, percentile"):
        stats.bootstrap_ci([1.0, 2.0], method="t")


def _exact_permutation_p(a, b):
    pooled = np.concatenate([a, b])
    obs = abs(a.mean() - b.mean())
    count = total = 0
    for idx in itertools.combinations(range(pooled.size), a.size):
        mask = np.zeros(pooled.size, bool)
        mask[list(idx)] = True
        total += 1
        count += abs(pooled[mask].mean() - pooled[~mask].mean()) >= obs - 1e-12
    return count / total


def test_permutation_p_matches_exact_enumeration():
    r = np.random.default_rng(8)
    a, b = r.normal(0, 1, 6), r.normal(1, 1, 6)
    exact = _exact_permutation_p(a, b)
    approx = stats.permutation_test(a, b, n_perm=40_000, rng=1)
    assert approx == pytest.approx(exact, abs=4 * math.sqrt(exact * (1 - exact) / 40_000) + 1e-4)


def test_permutation_test_holds_its_size_under_the_null():
    r = np.random.default_rng(9)
    trials = 300
    rejections = sum(
        stats.permutation_test(r.normal(size=15), r.normal(size=15), n_perm=500, rng=i) < 0.05
        for i in range(trials)
    )
    assert rejections / trials <= _binomial_band(0.05, trials)[1]


def test_holm_against_hand_computation():
    # sorted p: .005, .01, .03, .04 times 4, 3, 2, 1 -> .02, .03, .06, .04 -> running max
    assert stats.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_pairwise_flags_only_the_real_difference():
    r = np.random.default_rng(4)
    groups = {"a": r.normal(0, 1, 30), "b": r.normal(0, 1, 30), "c": r.normal(3, 1, 30)}
    rows = {(row["a"], row["b"]): row for row in stats.pairwise_tests(groups, n_perm=2000)}
    assert not rows[("a", "b")]["significant"]
    assert rows[("a", "c")]["significant"] and rows[("b", "c")]["significant"]
    assert rows[("a", "c")]["difference"] == pytest.approx(groups["a"].mean() - groups["c"].mean())
    assert all(row["p_adjusted"] >= row["p_value"] for row in rows.values())


def test_summary_of_equal_values_is_exactly_that_value():
    v = 0.6931471805599455  # its mean over 30 copies rounds to a different float
    s = stats.summarize([v] * 30)
    assert s.mean == s.ci_low == s.ci_high == v
