"""The generic compiled kernel against the one specialised to the tutorial network, taking turns.

    PYTHONPATH=src python benchmarks/kernel_ab.py [--rounds 7]

One thread: microseconds per training step (2 models x 3000 steps per round, best and median of
the rounds). Both threads: wall and CPU milliseconds per model of ``run_steps_many`` on 20 models
x 15000 steps. The two kernels alternate round by round, so the machine's drift hits both.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from initlab import datasets, engines, network
from initlab.engines import loops as kernels
from initlab.engines.base import TrainConfig
from initlab.engines.compiled import Encoded, pack


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    a = ap.parse_args()
    spec = network.Spec.build([2, 10, 5, 1], "relu", "sigmoid")
    ds = datasets.load("moons")
    X, Y = np.ascontiguousarray(ds.train_X), np.ascontiguousarray(ds.train_Y)
    enc = Encoded.of(spec, TrainConfig(learning_rate=0.0075))
    mods = {"generic": kernels, "specialised": engines.compiled.prepare(spec)}
    idx, starts = np.empty(0, np.int64), np.empty(0, np.int64)

    def run(mod: object, k: int, n: int) -> tuple[float, float]:
        th = np.stack([pack(spec, network.init_params(spec, "he_normal", rng=s)) for s in range(k)])
        s1, s2 = np.zeros_like(th), np.zeros_like(th)
        costs, status = np.empty((k, n)), np.empty(k, np.int64)
        t, c = time.perf_counter(), time.process_time()
        mod.run_steps_many(th, s1, s2, 0, *enc.args(), X, Y, idx, starts, costs, status)  # type: ignore[attr-defined]
        return time.perf_counter() - t, time.process_time() - c

    from numba import set_num_threads

    for mod in mods.values():
        run(mod, 2, 2)  # load before timing
    set_num_threads(1)
    one: dict[str, list[float]] = {name: [] for name in mods}
    for _ in range(a.rounds):
        for name, mod in mods.items():
            one[name].append(run(mod, 2, 3000)[0] / (2 * 3000) * 1e6)
    for name, v in one.items():
        print(f"one thread   {name:12s} best {min(v):6.2f}  median {np.median(v):6.2f} us/step")
    set_num_threads(2)
    for name, mod in mods.items():
        wall, cpu = run(mod, 20, 15000)
        print(f"two threads  {name:12s} {wall / 20 * 1e3:6.1f} ms wall/model, "
              f"{cpu / 20 * 1e3:6.1f} ms CPU/model")
    g, s = np.median(one["generic"]), np.median(one["specialised"])
    print(f"specialised / generic speed, one thread (medians): {g / s:.2f}x")


if __name__ == "__main__":
    main()
