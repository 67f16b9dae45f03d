"""Where one compiled training step of the tutorial network goes, and what bounds it.

    PYTHONPATH=src python benchmarks/kernel_profile.py [--repeat 5] [--json out.json]

Times, per step of the tutorial task ([2,10,5,1], ReLU, sigmoid head, 300 examples; the
``numba`` engine's kernels of :mod:`initlab.engines.loops`, IEEE arithmetic in written order):

* ``step``: the whole :func:`loops.loss_grad` (what B1 runs 15000 times, update aside);
* its parts: the forward products, the output head, the backward products and the weight
  gradients (the 91 lane sums over the examples);
* ``tutorial_step``: the tutorial's own loop per step (``tutorial_reference.model``), in the
  same run, taking turns.

Then the kernels' best streaming rates, measured on rows of 512 to 2048 examples (in cache,
long enough that entering a loop costs nothing): multiply-adds per ns of the forward product
(8 x 8 weights, about one load per multiply-add) and of the lane sum (two loads per
multiply-add). The **floor** is the step's multiply-adds at those rates plus the head's measured
time: what these loops would cost with every overhead trimmed away. ``max_ratio =
tutorial_step / floor`` bounds B1's speed-up for kernels built from these loops; beating it
needs a different arithmetic arrangement (register blocking, fewer loads per multiply-add).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numba import njit

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "src"), str(HERE)]

import tutorial_reference as tut
from initlab import datasets, network
from initlab.engines import loops as L
from initlab.engines.base import TrainConfig
from initlab.engines.compiled import Encoded, pack


@njit
def _steps(kind, theta, dims, acts, ap, X, Y, n):
    """``n`` repetitions of one part of the step (0 whole, 1 forward, 2 head, 3 backward, 4 grads)."""
    m = X.shape[1]
    Zs, As, D0, D1, lanes = L._scratch(dims, m)
    grad = np.empty_like(theta)
    L.loss_grad(theta, grad, dims, acts, ap, L.HEAD_SIGMOID, 0.0, X, Y, Zs, As, D0, D1, lanes, True)
    Ln = dims.shape[0] - 1
    total = 0.0
    for _ in range(n):
        if kind == 0:
            total += L.loss_grad(theta, grad, dims, acts, ap, L.HEAD_SIGMOID, 0.0, X, Y, Zs, As,
                                 D0, D1, lanes, False)
        elif kind == 1:
            Ap = X
            for l in range(1, Ln + 1):
                W, b = L._views(theta, dims, l)
                A = L._view2(As[l - 1], dims[l], m)
                L._matmul(W, False, Ap, b, L._view2(Zs[l - 1], dims[l], m), l < Ln, A)
                Ap = A
        elif kind == 2:
            nL = dims[Ln]
            total += L._output(L.HEAD_SIGMOID, L._view2(Zs[Ln - 1], nL, m),
                               L._view2(As[Ln - 1], nL, m), Y, L._view2(D0, nL, m), D1, False)
        elif kind == 3:
            dZ = L._view2(D0, dims[Ln], m)
            for l in range(Ln, 1, -1):
                W, _ = L._views(theta, dims, l)
                p = dims[l - 1]
                dA = L._view2(D1 if (Ln - l) % 2 == 0 else D0, p, m)
                L._matmul(W, True, dZ, L._NO_BIAS, dA, True, L._view2(Zs[l - 2], p, m))
                dZ = dA
        else:
            for l in range(Ln, 0, -1):
                dW, db = L._views(grad, dims, l)
                Ap = X if l == 1 else L._view2(As[l - 2], dims[l - 1], m)
                L._grad_w(L._view2(D0, dims[l], m), Ap, dW, db, lanes[:L.LANES], lanes[L.LANES:])
    return total


def _best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(argv: list[str] | None = None) -> None:
    ap_ = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap_.add_argument("--repeat", type=int, default=5)
    ap_.add_argument("--json", type=Path)
    args = ap_.parse_args(argv)
    spec = network.Spec.build([2, 10, 5, 1], "relu", "sigmoid")
    ds = datasets.load("moons")
    X, Y = np.ascontiguousarray(ds.train_X), np.ascontiguousarray(ds.train_Y)  # as the engines do
    params = network.init_params(spec, "he_normal", rng=np.random.RandomState(3))
    enc = Encoded.of(spec, TrainConfig())
    theta = pack(spec, params)
    n_steps = 3000
    parts = ["step", "forward", "head", "backward", "grads"]
    run = {k: (lambda k=k: _steps(parts.index(k), theta, enc.dims, enc.acts, enc.aparams,
                                  X, Y, n_steps)) for k in parts}
    for fn in run.values():  # compile or load from the cache before timing
        fn()
    times: dict[str, list[float]] = {k: [] for k in [*parts, "tutorial_step"]}
    for _ in range(args.repeat):  # the sides take turns
        for k, fn in run.items():
            times[k].append(_best(fn, 1) / n_steps)
        times["tutorial_step"].append(_best(lambda: tut.model(X, Y, num_iterations=300,
                                                              print_cost=False,
                                                              initialization="he"), 1) / 300)
    per_step = {k: min(v) * 1e6 for k, v in times.items()}  # microseconds

    rates = _best_rates(args.repeat)
    m = X.shape[1]
    dims = [2, 10, 5, 1]
    fwd_macs = sum(dims[i] * dims[i - 1] for i in range(1, 4)) * m
    bwd_macs = sum(dims[i] * dims[i - 1] for i in range(2, 4)) * m
    grad_macs = sum(dims[i] * (dims[i - 1] + 1) for i in range(1, 4)) * m
    floor = ((fwd_macs + bwd_macs) / rates["matmul_mac_per_ns"]
             + grad_macs / rates["lane_mac_per_ns"]) / 1e3 + per_step["head"]
    result = {"engine": "numba", "per_step_us": per_step, "rates": rates,
              "macs": {"forward": fwd_macs, "backward": bwd_macs, "grads": grad_macs},
              "floor_us": floor, "b1_ratio_now": per_step["tutorial_step"] / per_step["step"],
              "max_ratio": per_step["tutorial_step"] / floor}
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")


def _best_rates(repeat: int) -> dict[str, float]:
    """Multiply-adds per ns of the forward product (8 x 8 weights) and of the lane sum, the best
    over rows of 512 to 2048 examples (long enough that entering a loop costs nothing, short
    enough to stay in cache)."""
    rng = np.random.default_rng(0)
    best = {"matmul_mac_per_ns": 0.0, "lane_mac_per_ns": 0.0}
    for m in (512, 1024, 2048):
        reps = 4_000_000 // m
        W, B, out = rng.standard_normal((8, 8)), rng.standard_normal((8, m)), np.empty((8, m))
        d, a, acc = rng.standard_normal(m), rng.standard_normal(m), np.empty(L.LANES)
        _mm_only(W, B, out, 2), _lane_only(d, a, acc, 2)  # compile first
        mm = _best(lambda W=W, B=B, out=out, reps=reps: _mm_only(W, B, out, reps), repeat)
        lane = _best(lambda d=d, a=a, acc=acc, reps=reps: _lane_only(d, a, acc, reps), repeat)
        best["matmul_mac_per_ns"] = max(best["matmul_mac_per_ns"], 64 * m * reps / (mm * 1e9))
        best["lane_mac_per_ns"] = max(best["lane_mac_per_ns"], m * reps / (lane * 1e9))
    return best


@njit
def _mm_only(W, B, out, n):
    for _ in range(n):
        L._matmul(W, False, B, L._NO_BIAS, out, False, out)
    return out[0, 0]


@njit
def _lane_only(d, a, acc, n):
    total = 0.0
    for _ in range(n):
        total += L._lane_dot(d, a, acc)
    return total


if __name__ == "__main__":
    main()
