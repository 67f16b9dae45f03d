"""Per-layer measurement: exact statistics, symmetry, and agreement with mean-field theory."""

from __future__ import annotations

import math

import numpy as np
import pytest

from initlab.core.errors import InitlabError
from initlab.theory import meanfield as theory
from initlab.theory.propagation import (
    STAT_NAMES,
    distinct_rows,
    init_variance,
    layer_activations,
    layer_stats,
    measure,
)


def test_layer_stats_against_direct_numpy() -> None:
    rng = np.random.default_rng(1)
    A = 1 / (1 + np.exp(-rng.standard_normal((30, 200)) * 4 - rng.standard_normal((30, 1))))
    A[5] = 0.0
    A[6] = A[7]
    s = layer_stats(A, (0.0, 1.0))
    assert set(s) == set(STAT_NAMES)
    assert s["std"] == pytest.approx(A.std(), rel=1e-12)
    assert s["sample_spread"] == pytest.approx(math.sqrt(np.var(A, axis=1).mean()), rel=1e-12)
    assert s["unit_spread"] == pytest.approx(np.std(A.mean(axis=1)), rel=1e-12)
    assert s["saturated_share"] == pytest.approx(np.mean((A < 0.01) | (A > 0.99)))
    assert s["zero_share"] == pytest.approx(np.mean(A == 0))
    assert s["dead_units"] == 1
    assert s["distinct_units"] == 29
    assert layer_stats(A)["saturated_share"] is None


def test_distinct_rows_matches_a_set_of_tuples() -> None:
    rng = np.random.default_rng(2)
    for _ in range(20):
        A = rng.integers(0, 2, size=(rng.integers(1, 40), rng.integers(1, 90))).astype(float)
        A[rng.random(A.shape) < 0.1] = -0.0
        assert distinct_rows(A, probe=8) == len({tuple(r) for r in (A + 0.0).tolist()})


def test_measure_forward_is_the_tutorial_experiment() -> None:
    # With zero biases, measure draws X then W1..WL exactly as layer_activations does.
    acts = layer_activations("lecun_normal", "tanh", depth=3, width=20, samples=50, rng=7)
    m = measure("lecun_normal", "tanh", depth=3, width=20, samples=50, rng=7)
    for A, rec in zip(acts, m.layers, strict=True):
        assert rec.act == layer_stats(A, (-1.0, 1.0))


def test_zeros_init_is_symmetric_with_one_distinct_unit() -> None:
    m = measure("zeros", "sigmoid", depth=4, width=30, samples=40, rng=0)
    for rec in m.layers:
        assert rec.act["distinct_units"] == 1 and rec.pre["distinct_units"] == 1
    assert m.layers[-1].grad["std"] > 0.5  # the readout gradient R arrives at the top...
    assert all(rec.grad["std"] == 0.0 for rec in m.layers[:-1])  # ...and W = 0 stops it


def test_init_variance_of_named_schemes() -> None:
    assert init_variance("he_normal", (64, 32)) == pytest.approx(2.0, rel=0.01)
    assert init_variance("glorot_uniform", (64, 32)) == pytest.approx(32 * 2 / 96, rel=0.01)
    assert init_variance("normal:std=0.01", (100, 100)) == pytest.approx(0.01, rel=0.01)
    assert init_variance("zeros", (10, 10)) == 0.0


def test_init_variance_is_exact_when_the_scheme_describes_its_law() -> None:
    class Law:
        mean, std = 0.0, math.sqrt(2.0 / 64)

    class Described:
        def __call__(self, shape: tuple[int, int], rng: object = None) -> np.ndarray:
            return np.random.default_rng(0).standard_normal(shape) * Law.std

        def describe(self, shape: tuple[int, int]) -> Law:
            return Law()

    assert init_variance(Described(), (32, 64)) == pytest.approx(2.0, rel=1e-15)


@pytest.mark.parametrize("kw", [{"depth": 0}, {"width": 0}, {"samples": 0}, {"depth": 2.5}])
def test_bad_sizes_raise(kw: dict) -> None:
    with pytest.raises(InitlabError):
        measure("he_normal", "relu", **{"depth": 2, "width": 5, "samples": 5, **kw})


def test_absurd_sizes_are_refused_with_an_estimate() -> None:
    with pytest.raises(InitlabError, match="GiB"):
        measure("he_normal", "relu", depth=100, width=100_000, samples=100_000)


def test_nan_inputs_are_refused() -> None:
    X = np.ones((5, 4))
    X[2, 1] = np.nan
    with pytest.raises(InitlabError, match="NaN"):
        measure("he_normal", "relu", depth=2, X=X)


# ------------------------------------------------------------------ measured vs predicted

TUTORIAL_INITS = ("normal:std=1", "normal:std=0.01", "lecun_normal", "he_normal")
TUTORIAL_ACTS = ("sigmoid", "relu", "tanh")
SEEDS = 20


@pytest.mark.slow
@pytest.mark.parametrize("act", TUTORIAL_ACTS)
@pytest.mark.parametrize("init", TUTORIAL_INITS)
def test_measured_matches_theory_over_20_seeds(init: str, act: str) -> None:
    """Every one of the tutorial's 12 (init, activation) pairs; none is excluded.

    Per layer, the mean over 20 seeds of the measured pooled std, across-sample spread and gradient
    std must lie within 3 standard errors of the prediction, or within 2% where that is wider.
    """
    runs = [measure(init, act, depth=5, width=100, samples=1000, rng=s, bins=0) for s in range(SEEDS)]
    batch = theory.BatchSummary.mean_of([theory.BatchSummary.from_inputs(m.X) for m in runs])
    pred = theory.predict_layers(act, runs[0].sigma_w2, runs[0].sigma_b2, runs[0].widths, batch)
    for i, p in enumerate(pred):
        for key, want in (("std", p["activation"]["std"]),
                          ("sample_spread", p["activation"]["sample_spread"]),
                          ("grad_std", p["gradient"]["std"])):
            vals = np.array([m.layers[i].grad["std"] if key == "grad_std" else m.layers[i].act[key]
                             for m in runs])
            sem = vals.std(ddof=1) / math.sqrt(SEEDS)
            assert abs(vals.mean() - want) <= max(3 * sem, 0.02 * abs(want)), (i + 1, key, vals.mean(), want)


def test_biases_and_unequal_widths_follow_theory() -> None:
    """Bias variance enters q and the gradient factor carries n_l / n_{l-1} (10 seeds, wide layers)."""
    seeds = 10
    runs = [measure("lecun_normal", "tanh", widths=[80, 200, 120, 160], samples=400, rng=s,
                    bias_init="normal:std=0.3", bins=0) for s in range(seeds)]
    assert runs[0].sigma_b2[0] == pytest.approx(0.09, rel=0.01)
    batch = theory.BatchSummary.mean_of([theory.BatchSummary.from_inputs(m.X) for m in runs])
    pred = theory.predict_layers("tanh", runs[0].sigma_w2, runs[0].sigma_b2, runs[0].widths, batch)
    for i, p in enumerate(pred):
        for key, want in (("std", p["activation"]["std"]), ("grad", p["gradient"]["std"])):
            vals = np.array([m.layers[i].grad["std"] if key == "grad" else m.layers[i].act[key]
                             for m in runs])
            sem = vals.std(ddof=1) / math.sqrt(seeds)
            assert abs(vals.mean() - want) <= max(3 * sem, 0.02 * want), (i + 1, key)


def test_overflow_is_an_error_or_a_truncation() -> None:
    with pytest.raises(InitlabError, match="overflow"):
        measure("normal:std=100", "relu", depth=80, width=50, samples=20, rng=0, bins=0)
    m = measure("normal:std=100", "relu", depth=80, width=50, samples=20, rng=0, bins=0, truncate=True)
    assert 40 < len(m.layers) < 80 and len(m.sigma_w2) == len(m.layers)
    assert all(math.isfinite(rec.grad["std"]) for rec in m.layers)


def test_a_new_statistic_is_one_entry_measured_predicted_and_tabled(monkeypatch) -> None:
    from initlab.experiments import histograms
    from initlab.theory import statistics

    max_abs = statistics.Statistic("max_abs", "max |a|", lambda o: float(np.abs(o.A).max()),
                                   lambda e: None, theory_column=True)
    monkeypatch.setattr(statistics, "STATISTICS", (*statistics.STATISTICS, max_abs))
    A = np.array([[1.0, -3.0], [0.5, 2.0]])
    assert layer_stats(A)["max_abs"] == 3.0
    case = histograms.run_case("he_normal", "tanh", depth=2, width=8, samples=20, repeats=2)
    assert all(rec["measured"]["max_abs"] > 0 and rec["predicted"]["max_abs"] is None
               for rec in case.layers)
    assert ("max |a|", "measured", "max_abs") in statistics.table_columns()
    row = histograms.table_rows(histograms.HistogramsResult([case]))[0]
    headers = ["init", "activation", "layer", *(h for h, _, _ in statistics.table_columns()),
               "grad std", "grad std (theory)", "verdict"]
    assert row[headers.index("max |a|")] == case.layers[0]["measured"]["max_abs"]
    assert row[headers.index("max |a| (theory)")] == "-"


def test_table_headers_follow_the_statistics() -> None:
    from initlab.experiments.histograms import TABLE_HEADERS

    assert TABLE_HEADERS == ("init", "activation", "layer", "std", "std (theory)", "sample spread",
                             "sample spread (theory)", "unit spread", "saturated", "zero", "dead",
                             "distinct", "grad std", "grad std (theory)", "verdict")
