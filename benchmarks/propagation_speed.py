"""How close :func:`initlab.theory.meanfield.propagation.measure` runs to the machine's float64 matrix-multiply rate.

Times a full measurement (forward, backward, every per-layer statistic, no histograms) against the
bare matrix products it cannot avoid (one forward and one backward product per layer), both in this
run on the same shapes, and prints the ratio. ``--quick`` is the CI smoke size.

    PYTHONPATH=src python benchmarks/propagation_speed.py [--quick] [--depth 20 --width 512 --samples 2048]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from initlab.theory.propagation import measure


def bare_products(depth: int, width: int, samples: int, rng: np.random.Generator) -> float:
    """Seconds for the forward and backward products alone."""
    X = rng.standard_normal((width, samples))
    Ws = [rng.standard_normal((width, width)) / np.sqrt(width) for _ in range(depth)]
    t = time.perf_counter()
    A = X
    for W in Ws:
        A = W @ A
    G = A
    for W in reversed(Ws):
        G = W.T @ G
    return time.perf_counter() - t


def timed_measure(depth: int, width: int, samples: int, seed: int) -> float:
    """Seconds for a full measurement (he_normal / relu, no histograms)."""
    t = time.perf_counter()
    measure("he_normal", "relu", depth, width, samples, rng=seed, bins=0)
    return time.perf_counter() - t


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--depth", type=int, default=20)
    p.add_argument("--width", type=int, default=512)
    p.add_argument("--samples", type=int, default=2048)
    p.add_argument("--repeats", type=int, default=3, help="best of this many runs of each")
    p.add_argument("--quick", action="store_true")
    a = p.parse_args()
    if a.quick:
        a.depth, a.width, a.samples, a.repeats = 3, 64, 128, 1
    rng = np.random.default_rng(0)
    measure("he_normal", "relu", 2, 32, 64, rng=0, bins=0)  # warm caches and imports
    flops = 2 * 2 * a.depth * a.width * a.width * a.samples
    bare = min(bare_products(a.depth, a.width, a.samples, rng) for _ in range(a.repeats))
    full = min(timed_measure(a.depth, a.width, a.samples, seed) for seed in range(a.repeats))
    print(f"depth {a.depth}, width {a.width}, samples {a.samples}: {flops / 1e9:.2f} GFLOP")
    print(f"bare products {bare:.3f} s ({flops / bare / 1e9:.1f} GFLOP/s); measure {full:.3f} s "
          f"({flops / full / 1e9:.1f} GFLOP/s)")
    print(f"share of the matrix-multiply rate: {bare / full:.0%} (best of {a.repeats} each)")


if __name__ == "__main__":
    main()
