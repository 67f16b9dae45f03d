"""initlab.torch speed: ``measure`` against a plain forward + backward, and ``lsuv_`` against PyPI ``lsuv``.

Usage::

    PYTHONPATH=src python benchmarks/bench_torch.py               # the issue's sizes, 3 turns
    PYTHONPATH=src python benchmarks/bench_torch.py --quick       # smoke run (small sizes, 1 turn)
    PYTHONPATH=src python benchmarks/bench_torch.py --json out.json
    PYTHONPATH=src python benchmarks/bench_torch.py --threads 1   # steadier on a busy machine

Needs ``torch`` (CPU build) and, for the LSUV part, PyPI ``lsuv`` 0.3.0
(``pip install lsuv==0.3.0 --no-deps``: its only dependency is torch, already installed).
Models from ``examples/models.py``, float32, CPU, torch's default threads.

* **measure**: per model, ``initlab.torch.measure(model, x)`` (every leaf module call, statistics
  forward and backward, random readout loss, no histograms) against the same model's plain
  ``(model(x) * R).sum().backward()``. Training mode. Sides take turns, at least
  ``--turns`` times and until each side has run about 1 s; best time of each side (the ratio of
  the medians is printed beside it).
  Target: ratio <= 1.5.
* **lsuv**: ResNet-18-shaped model, batch 32x3x64x64, orthonormal pre-init on both sides, target
  std 1, tolerance 0.1, at most 10 steps, eval mode (PyPI's mode): ``initlab.torch.lsuv_`` (default
  ``draws="torch"``; the NumPy draws' time is reported beside it) against
  ``lsuv.lsuv_with_singlebatch`` (torch's global RNG for its orthogonal init, forked and seeded
  here so the caller's stream is untouched). Both start from copies of one model; sides take turns.
  Afterwards each Linear/Conv output std on the batch is read by a hook here (not by either side)
  and reported per layer. Target: initlab >= 5x faster, every layer within tolerance.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parents[1]


def example_models() -> Any:
    spec = importlib.util.spec_from_file_location("bench_models", ROOT / "examples" / "models.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def batch(shape: tuple[int, ...], seed: int = 0) -> torch.Tensor:
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def plain_step(model: Any, x: torch.Tensor, R: torch.Tensor) -> None:
    (model(x) * R).sum().backward()
    model.zero_grad(set_to_none=True)


def bench_measure(models: Any, quick: bool, turns: int) -> list[dict[str, Any]]:
    from initlab.torch import measure

    cases = [("mlp", models.mlp, (256, 784)), ("resnet18", models.resnet18, (32, 3, 64, 64)),
             ("vgg", models.vgg, (32, 3, 64, 64)), ("transformer", models.transformer, (32, 64, 128))]
    if quick:
        cases = [("mlp", models.mlp, (32, 784)), ("resnet18", models.resnet18, (2, 3, 32, 32))]
    out = []
    for name, build, shape in cases:
        model, x = build(seed=0).train(), batch(shape)
        R = batch(tuple(model(x).shape), 1)
        measure(model, x)  # warm-up, both sides
        t0 = time.perf_counter()
        plain_step(model, x, R)
        # a fast model gets more turns (each side at least ~1 s in all), so that its best time
        # is not one lucky or unlucky sample of a few milliseconds
        n = turns if quick else max(turns, math.ceil(1.0 / (time.perf_counter() - t0)))
        times: dict[str, list[float]] = {"plain": [], "measure": []}
        calls = 0
        for _ in range(n):
            t0 = time.perf_counter()
            plain_step(model, x, R)
            times["plain"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            calls = len(measure(model, x).layers)
            times["measure"].append(time.perf_counter() - t0)
        best = {k: min(v) for k, v in times.items()}
        row = {"model": name, "batch": list(shape), "calls": calls, "turns": n,
               "plain_s": best["plain"], "measure_s": best["measure"],
               "ratio": best["measure"] / best["plain"],
               "ratio_median": statistics.median(times["measure"]) / statistics.median(times["plain"])}
        print(f"measure {name:12s} batch {shape}: plain fwd+bwd {row['plain_s']:.4f} s, measure "
              f"{row['measure_s']:.4f} s ({calls} calls, best of {n} turns): {row['ratio']:.2f}x "
              f"(medians: {row['ratio_median']:.2f}x)", flush=True)
        out.append(row)
    return out


def layer_stds(model: Any, x: torch.Tensor) -> dict[str, float]:
    """Std of each Linear/Conv output on ``x`` (first call), eval mode, read by hooks here."""
    names = {m: n for n, m in model.named_modules()}
    got: dict[str, float] = {}
    kinds = (torch.nn.Linear, torch.nn.Conv2d)

    def hook(m: Any, a: Any, y: torch.Tensor) -> None:
        got.setdefault(names[m], float(y.detach().double().std(unbiased=False)))

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, kinds)]
    was = model.training
    model.eval()
    with torch.no_grad():
        model(x)
    model.train(was)
    for h in handles:
        h.remove()
    return got


def run_pypi(model: Any, x: torch.Tensor, seed: int) -> None:
    import lsuv

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        lsuv.lsuv_with_singlebatch(model, x, needed_std=1.0, std_tol=0.1, max_attempts=10,
                                   do_orthonorm=True, verbose=False)


def bench_lsuv(models: Any, quick: bool, turns: int) -> dict[str, Any]:
    from initlab.torch import lsuv_

    if importlib.util.find_spec("lsuv") is None:
        print("lsuv: skipped (pip install lsuv==0.3.0 --no-deps)")
        return {"skipped": "PyPI lsuv is not installed"}
    shape = (4, 3, 32, 32) if quick else (32, 3, 64, 64)
    base, x = models.resnet18(seed=0), batch(shape)
    best = {"initlab": float("inf"), "pypi": float("inf"), "numpy_draws": float("inf")}
    done: dict[str, Any] = {}
    for _ in range(turns):
        m = copy.deepcopy(base)
        t0 = time.perf_counter()
        records = lsuv_(m, x, seed=0, tol=0.1, t_max=10)
        best["initlab"] = min(best["initlab"], time.perf_counter() - t0)
        done["initlab"], done["records"] = m, records
        m = copy.deepcopy(base)
        t0 = time.perf_counter()
        lsuv_(m, x, seed=0, tol=0.1, t_max=10, draws="numpy")
        best["numpy_draws"] = min(best["numpy_draws"], time.perf_counter() - t0)
        m = copy.deepcopy(base)
        t0 = time.perf_counter()
        run_pypi(m, x, 0)
        best["pypi"] = min(best["pypi"], time.perf_counter() - t0)
        done["pypi"] = m
    ours, theirs = layer_stds(done["initlab"], x), layer_stds(done["pypi"], x)
    start = layer_stds(base, x)
    layers = [{"layer": k, "before": start[k], "initlab": ours[k], "pypi": theirs[k],
               "initlab_iterations": next(r.iterations for r in done["records"] if r.name == k)}
              for k in ours]
    res = {"batch": list(shape), "initlab_s": best["initlab"], "pypi_s": best["pypi"],
           "initlab_numpy_draws_s": best["numpy_draws"],
           "speedup": best["pypi"] / best["initlab"], "tolerance": 0.1,
           "initlab_within": sum(abs(r["initlab"] - 1) < 0.1 for r in layers),
           "pypi_within": sum(abs(r["pypi"] - 1) < 0.1 for r in layers), "layers": layers}
    print(f"lsuv resnet18 batch {shape}: initlab lsuv_ {res['initlab_s']:.2f} s, PyPI lsuv 0.3.0 "
          f"{res['pypi_s']:.2f} s: {res['speedup']:.1f}x; within 0.1 of std 1: initlab "
          f"{res['initlab_within']}/{len(layers)}, PyPI {res['pypi_within']}/{len(layers)}; initlab "
          f"with draws='numpy' {res['initlab_numpy_draws_s']:.2f} s")
    print(f"  {'layer':26s} {'before':>8s} {'initlab':>8s} {'its':>4s} {'PyPI':>8s}")
    for r in layers:
        print(f"  {r['layer']:26s} {r['before']:8.4f} {r['initlab']:8.4f} {r['initlab_iterations']:4d} "
              f"{r['pypi']:8.4f}")
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, one turn (smoke run)")
    ap.add_argument("--turns", type=int, default=None, help="turns per side (default 3, quick 1)")
    ap.add_argument("--json", default=None, help="write the results to this file")
    ap.add_argument("--part", choices=("all", "measure", "lsuv"), default="all")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch intra-op threads for both sides (default: torch's own choice)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    turns = args.turns or (1 if args.quick else 3)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} cores, "
          f"{platform.processor() or platform.machine()}; load {os.getloadavg()[0]:.1f}", flush=True)
    models = example_models()
    res = {"quick": args.quick, "turns": turns, "torch": torch.__version__,
           "threads": torch.get_num_threads(), "cores": os.cpu_count(),
           "measure": bench_measure(models, args.quick, turns) if args.part != "lsuv" else None,
           "lsuv": bench_lsuv(models, args.quick, turns) if args.part != "measure" else None}
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1) + "\n")


if __name__ == "__main__":
    sys.exit(main())
