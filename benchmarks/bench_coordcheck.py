"""Coordinate-check speed: initlab's NumPy check against ``mup``'s ``get_coord_data``, same grid.

Usage::

    PYTHONPATH=src python benchmarks/bench_coordcheck.py            # the issue's grid
    PYTHONPATH=src python benchmarks/bench_coordcheck.py --quick    # smoke run (CI)
    PYTHONPATH=src python benchmarks/bench_coordcheck.py --repeat 2 # sides take turns twice

Grid (issue 13): widths 64..4096 (7), parametrizations sp, ntk, mup, optimizers SGD (lr 0.1) and
Adam (lr 1e-3), 5 seeds, 5 steps, batch 64 of ``digits``, MLP ``64,W,W,W,10`` (three hidden
layers), ReLU, float64 on both sides.

* **initlab**: ``initlab.experiments.coordcheck.run`` (NumPy float64, seeds of a width stacked,
  BLAS per slice, initlab's optimizers), fits and verdicts included.
* **mup**: ``mup.coord_check.get_coord_data`` (PyPI ``mup`` 1.0.0, torch CPU) on the same
  networks in float64: SP as plain ``nn.Linear`` layers with He init and ``torch.optim``; NTK as
  linear layers with the ``1/sqrt(fan_in)`` multiplier (``torch.optim``); muP with ``MuReadout``,
  ``set_base_shapes`` (base width 64) and ``MuSGD``/``MuAdam``. It records every module's output
  l1 (its default) and fits nothing.

The sides take turns (``--repeat``); each side's best wall time and its process CPU time (all
threads; steadier than wall time when other work shares the machine, which the load average
printed with each turn shows) are reported with the ratios. The issue's target is initlab <= 180 s
wall on the project's 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import numpy as np

PARAMS = ("sp", "ntk", "mup")
OPTIMIZERS = (("sgd", 0.1), ("adam", 1e-3))


def grid(quick: bool) -> dict[str, Any]:
    if quick:
        return {"widths": [64, 128, 256, 512], "seeds": 2, "steps": 2}
    return {"widths": [64, 128, 256, 512, 1024, 2048, 4096], "seeds": 5, "steps": 5}


def run_initlab(g: dict[str, Any], threads: int = 1) -> tuple[float, float, Any]:
    """The grid in process; with ``threads > 1``, cells on that many threads with one BLAS
    thread each (NumPy's elementwise optimizer passes are single-threaded, so this overlaps
    them with the other cells' products; results are the same bits, tested)."""
    import contextlib
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    from initlab.experiments import coordcheck as cc

    t0, c0 = time.perf_counter(), time.process_time()
    with contextlib.ExitStack() as stack:
        pool = None
        if threads > 1:
            stack.enter_context(threadpool_limits(limits=1, user_api="blas"))
            pool = stack.enter_context(ThreadPoolExecutor(threads))
        res = cc.run(layers="64,W,W,W,10", widths=g["widths"], params=PARAMS,
                     optimizers=list(OPTIMIZERS), steps=g["steps"], seeds=g["seeds"],
                     dataset="digits", batch=64, executor=pool)
    return time.perf_counter() - t0, time.process_time() - c0, res


def _mup_models(param: str, widths: list[int]) -> dict[int, Any]:
    import torch
    from mup import MuReadout, set_base_shapes

    nn = torch.nn

    class Scaled(nn.Module):  # type: ignore[misc]
        """NTK layer: N(0, 2 r / fan_in) weights times r^-1/2 (docs/coordcheck.md table)."""

        def __init__(self, fan_in: int, fan_out: int, ratio: float) -> None:
            super().__init__()
            self.mult = ratio ** -0.5
            self.weight = nn.Parameter(torch.randn(fan_out, fan_in) * (2 * ratio / fan_in) ** 0.5)

        def forward(self, x: Any) -> Any:
            return nn.functional.linear(x, self.weight) * self.mult

    def mlp(w: int) -> Any:
        r = w / 64
        if param == "ntk":
            layers = [nn.Linear(64, w, bias=False), Scaled(w, w, r), Scaled(w, w, r),
                      Scaled(w, 10, r)]
        else:
            last = MuReadout(w, 10, bias=False) if param == "mup" else nn.Linear(w, 10, bias=False)
            layers = [nn.Linear(64, w, bias=False), nn.Linear(w, w, bias=False),
                      nn.Linear(w, w, bias=False), last]
        for m in layers:
            if isinstance(m, nn.Linear):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
        seq = [layers[0], nn.ReLU(), layers[1], nn.ReLU(), layers[2], nn.ReLU(), layers[3]]
        model = nn.Sequential(*seq).double()
        if param == "mup":
            set_base_shapes(model, None if w == 64 else _base(), do_assert=False)
        return model

    def _base() -> Any:
        return nn.Sequential(nn.Linear(64, 64, bias=False), nn.ReLU(), nn.Linear(64, 64, bias=False),
                             nn.ReLU(), nn.Linear(64, 64, bias=False), nn.ReLU(),
                             MuReadout(64, 10, bias=False))

    return {w: (lambda w=w: mlp(w)) for w in widths}


def run_mup(g: dict[str, Any]) -> tuple[float, float, int]:
    import torch
    from mup.coord_check import get_coord_data

    from initlab import datasets

    d = datasets.load("digits")
    x = torch.from_numpy(np.ascontiguousarray(d.train_X[:, :64].T))
    y = torch.from_numpy(d.train_Y[:, :64].argmax(axis=0))
    rows = 0
    t0, c0 = time.perf_counter(), time.process_time()
    with torch.random.fork_rng():  # get_coord_data seeds torch's global RNG itself
        for param in PARAMS:
            for opt, lr in OPTIMIZERS:
                df = get_coord_data(_mup_models(param, g["widths"]), [(x, y)], optimizer=opt,
                                    lr=lr, mup=param == "mup", nsteps=g["steps"] + 1,
                                    nseeds=g["seeds"], cuda=False, show_progress=False)
                rows += len(df)
    return time.perf_counter() - t0, time.process_time() - c0, rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small grid (smoke run)")
    ap.add_argument("--repeat", type=int, default=1, help="turns per side")
    ap.add_argument("--no-mup", action="store_true", help="time initlab only")
    ap.add_argument("--threads", type=int, default=1,
                    help="initlab: cells on this many threads, one BLAS thread each")
    args = ap.parse_args()
    g = grid(args.quick)
    import torch

    print(f"grid: widths {g['widths']}, {len(PARAMS)} params x {len(OPTIMIZERS)} optimizers x "
          f"{g['seeds']} seeds x {g['steps']} steps, batch 64, 64,W,W,W,10, float64; "
          f"cpus {os.cpu_count()}, torch threads {torch.get_num_threads()}")
    best: dict[str, tuple[float, float]] = {}
    for turn in range(args.repeat):
        load = os.getloadavg()[0]
        sec, cpu, res = run_initlab(g, args.threads)
        best["initlab"] = min(best.get("initlab", (np.inf, np.inf)), (sec, cpu))
        bad = sum(r["verdict"] not in ("as predicted", "expected exception") for r in res.rows)
        print(f"turn {turn}: initlab coordcheck (numpy float64, {args.threads} thread(s)): "
              f"{sec:.1f} s wall, {cpu:.1f} s CPU "
              f"(load {load:.1f}), {len(res.rows)} rows, {bad} departing, {res.trained} runs")
        if not args.no_mup:
            load = os.getloadavg()[0]
            sec, cpu, n = run_mup(g)
            best["mup"] = min(best.get("mup", (np.inf, np.inf)), (sec, cpu))
            print(f"turn {turn}: mup get_coord_data (torch CPU float64): {sec:.1f} s wall, "
                  f"{cpu:.1f} s CPU (load {load:.1f}), {n} records")
    w, c = best["initlab"]
    line = f"best: initlab {w:.1f} s wall / {c:.1f} s CPU (target <= 180 s wall)"
    if "mup" in best:
        mw, mc = best["mup"]
        line += (f"; mup {mw:.1f} s wall / {mc:.1f} s CPU; mup / initlab = {mw / w:.2f}x wall, "
                 f"{mc / c:.2f}x CPU")
    print(line)


if __name__ == "__main__":
    main()
