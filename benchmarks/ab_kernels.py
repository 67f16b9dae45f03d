"""Two versions of the compiled kernels in the same minutes: one ``numba`` tutorial run (best of
3) and 20 tutorial models with ``batched``, per process; run it with each version's ``src`` on
``PYTHONPATH``, taking turns (see README, R3):

    git clone /work/main /tmp/old && git -C /tmp/old checkout <commit>
    for r in 1 2; do for src in /tmp/old/src src; do
        PYTHONPATH=$src python benchmarks/ab_kernels.py; done; done

Prints one JSON line: ``numba_s`` and ``batched_20_s`` (seconds, kernels compiled or loaded
before timing).
"""

from __future__ import annotations

import json
import time

import numpy as np

from initlab import datasets, engines, network, train
from initlab.engines.base import TrainConfig


def main() -> None:
    spec = network.Spec.build([2, 10, 5, 1], "relu", "sigmoid")
    ds = datasets.load("moons")
    p = network.init_params(spec, "he_normal", rng=np.random.RandomState(3))
    ps = [network.init_params(spec, "he_normal", rng=np.random.RandomState(s)) for s in range(20)]

    def run() -> object:
        return train.train(spec, p, ds.train_X, ds.train_Y, num_iterations=15000, engine="numba")

    def many() -> object:
        return engines.train_many(spec, ps, ds.train_X, ds.train_Y,
                                  TrainConfig(num_iterations=15000), engine="batched")

    run(), many()  # compile or load first
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t)
    t = time.perf_counter()
    many()
    print(json.dumps({"numba_s": best, "batched_20_s": time.perf_counter() - t}))


if __name__ == "__main__":
    main()
