"""theory.statistics read in any layout: a layer's values with their units on any axis, float32 or
float64, give the statistics of the same values laid out as (units, samples)."""

from __future__ import annotations

import numpy as np
import pytest

from initlab.theory.propagation import layer_stats
from initlab.theory.statistics import distinct_rows, unit_moments


def _as_rows(A: np.ndarray, axis: int) -> np.ndarray:
    """The reference layout, built here independently: (units, samples), float64."""
    return np.moveaxis(np.asarray(A, dtype=np.float64), axis, 0).reshape(A.shape[axis], -1).copy()


def _layer(shape: tuple[int, ...], axis: int, seed: int) -> np.ndarray:
    """Values with a dead unit (one of its zeros -0.0) and two equal units, units on ``axis``."""
    rng = np.random.default_rng(seed)
    A = np.tanh(rng.standard_normal(shape) * 2 + 0.3)
    units = np.moveaxis(A, axis, 0)  # a view: writing a unit writes A
    units[0] = 0.0
    units[1] = units[2]
    units[(0,) * A.ndim] = -0.0
    return A


LAYOUTS = [((6, 11), 1), ((11, 6), 0), ((3, 7, 40), 1), ((4, 6, 2, 2), 1), ((2, 5, 9), 2),
           ((3, 8, 5, 5), 1), ((40,), 0)]


@pytest.mark.parametrize(("shape", "axis"), LAYOUTS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_any_layout_gives_the_statistics_of_its_unit_rows(shape, axis, dtype) -> None:
    A = _layer(shape, axis, seed=len(shape) + axis).astype(dtype)
    got = layer_stats(A, (-1.0, 1.0), axis=axis)
    ref = layer_stats(_as_rows(A, axis), (-1.0, 1.0))
    for k, v in ref.items():
        if isinstance(v, int) or v is None:
            assert got[k] == v, k
        else:
            assert got[k] == pytest.approx(v, rel=1e-12, abs=1e-300), k
    if len(shape) > 1 and shape[axis] > 2:
        assert got["dead_units"] == 1 and got["distinct_units"] == shape[axis] - 1


@pytest.mark.parametrize(("shape", "axis"), LAYOUTS)
def test_float32_values_give_exactly_the_statistics_of_their_float64_widening(shape, axis) -> None:
    A = _layer(shape, axis, seed=3).astype(np.float32)
    assert layer_stats(A, (-1.0, 1.0), axis=axis) == layer_stats(A.astype(np.float64), (-1.0, 1.0), axis=axis)


@pytest.mark.parametrize(("shape", "axis"), [((400, 7), 1), ((7, 400), 0), ((20, 7, 3, 3), 1)])
def test_unit_moments_match_centred_two_pass_whatever_the_mean(shape, axis) -> None:
    # units whose |mean| is 0 to 1e9 times their spread: up to 10x the raw moments are used, beyond
    # that E[x^2] - E[x]^2 would read noise (collapsed units) and the values are centred first
    rng = np.random.default_rng(4)
    A = rng.standard_normal(shape)
    offsets = np.array([0.0, 1.0, 5.0, 9.9, 10.1, 1e4, 1e9])
    np.moveaxis(A, axis, 0)[...] += offsets.reshape((-1,) + (1,) * (A.ndim - 1))
    mean, var = unit_moments(A, axis=axis)
    rows = _as_rows(A, axis)
    exact = np.mean((rows - rows.mean(axis=1, keepdims=True)) ** 2, axis=1)
    np.testing.assert_allclose(var, exact, rtol=1e-11)
    np.testing.assert_allclose(mean, rows.mean(axis=1), rtol=1e-14, atol=1e-15)


def test_distinct_units_in_a_conv_layout_match_a_set_of_tuples() -> None:
    rng = np.random.default_rng(5)
    for _ in range(20):
        shape = (int(rng.integers(1, 5)), int(rng.integers(1, 12)), int(rng.integers(1, 4)),
                 int(rng.integers(1, 30)))
        A = rng.integers(0, 2, size=shape).astype(float)
        A[rng.random(shape) < 0.1] = -0.0
        rows = _as_rows(A, 1) + 0.0
        assert distinct_rows(A, probe=8, axis=1) == len({tuple(r) for r in rows.tolist()})
        assert distinct_rows(A.astype(np.float32), probe=8, axis=1) == len({tuple(r) for r in rows.tolist()})


@pytest.mark.parametrize(("shape", "axis"), [((9, 4, 5), 1), ((3, 40, 7), 1), ((1, 6, 50), 1), ((30, 7), 1)])
def test_blocks_of_any_size_give_the_statistics_of_one_block(monkeypatch, shape, axis) -> None:
    # tiny blocks: whole slices, runs of units inside one slice, and runs longer than a block
    import initlab.theory.statistics as st

    A = _layer(shape, axis, seed=6).astype(np.float32)
    whole = layer_stats(A, (-1.0, 1.0), axis=axis)
    ranges = len(st._block_ranges(st._blocks(A, axis).shape))
    monkeypatch.setattr(st, "_BLOCK", 16)
    assert len(st._block_ranges(st._blocks(A, axis).shape)) > ranges
    got = layer_stats(A, (-1.0, 1.0), axis=axis)
    for k, v in whole.items():
        assert got[k] == (v if isinstance(v, int) or v is None else pytest.approx(v, rel=1e-12)), k
