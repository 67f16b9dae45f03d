"""initlab's speed against the tutorial's own loop, measured side by side in one run.

    python benchmarks/run.py            # B1-B4 at full size, a few minutes on 2 cores
    python benchmarks/run.py --quick    # a seconds-long smoke run (CI); asserts nothing about time
    python benchmarks/run.py --json out.json

B1  one tutorial He run (15000 steps, [2,10,5,1], 300 examples), engine ``numba`` (forced) vs
    the tutorial loop; compile time (empty cache, in a fresh process) and cache-load time
    reported apart.
B2  3 initializations x 100 seeds of the tutorial task, engine ``batched`` (forced): models per
    second vs the loop, taking turns slice by slice; each side's peak memory (max RSS of its
    process, imports included).
B3  depth-50, width-1024 forward+backward on 4096 examples, engine ``numpy`` (what ``auto``
    picks at this width): achieved FLOP rate as a share of this machine's float64
    matrix-multiply rate measured in the same run.
B4  ``initlab tutorial --out DIR --quiet`` (engine ``numpy``, always) end to end vs the
    tutorial's own code doing the same work (three trainings, predictions, part 6, figures).
B5  README command 1, ``initlab tutorial --out DIR``, as a first run on a fresh install (empty
    initlab and matplotlib caches) and warm, taking turns: the cold/warm ratio.

Timings are the best of ``--repeat`` runs (the machine may be shared). Run from the repository
root with ``PYTHONPATH=src``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

import numpy as np

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
sys.path[:0] = [str(SRC), str(HERE)]

import contextlib

import tutorial_reference as tut
from initlab import datasets, engines, network, train
from initlab.engines.base import TrainConfig

INITS = {"zeros": "zeros", "random": "random", "he": "he_normal"}


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Smallest wall time of ``repeat`` calls, and the last result."""
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def best_interleaved(fns: list[Callable[[], Any]], repeat: int) -> list[tuple[float, Any]]:
    """:func:`best` of each function, their calls taking turns.

    Taking turns exposes every side to the same drift of a shared machine's speed, which
    otherwise lands on whichever side happens to run during a slow minute.
    """
    times: list[list[float]] = [[] for _ in fns]
    outs: list[Any] = [None] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t = time.perf_counter()
            outs[i] = fn()
            times[i].append(time.perf_counter() - t)
    return [(min(ts), out) for ts, out in zip(times, outs, strict=True)]


def tutorial_loop(init: str, steps: int) -> list[float]:
    X, Y, _, _ = tut.load_dataset()
    state = np.random.get_state()  # noqa: NPY002  (the tutorial seeds the global state)
    try:
        _, costs = tut.model(X, Y, num_iterations=steps, print_cost=True, initialization=init)
    finally:
        np.random.set_state(state)  # noqa: NPY002
    return costs


def _quiet(fn: Callable[[], Any]) -> Any:
    import contextlib
    import io
    import warnings

    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tutorial's own log(0) and exp overflow warnings
        return fn()


def worker(name: str, args: dict[str, Any]) -> dict[str, Any]:
    """Work run in a fresh process (cold caches, own peak memory); see :func:`in_process`."""
    out: dict[str, Any] = {}
    if name == "first_call":  # compile or cache-load time of the compiled kernels
        spec = network.Spec.build([2, 10, 5, 1], "relu", "sigmoid")
        p = network.init_params(spec, "he_normal", rng=0)
        ds = datasets.load("moons")
        t = time.perf_counter()
        train.train(spec, p, ds.train_X, ds.train_Y, num_iterations=1, engine="numba")
        out["seconds"] = time.perf_counter() - t
        out["batched_s"] = engines.prepare(spec)  # the batched engine's entry point too
    out["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def in_process(name: str, args: dict[str, Any], env: dict[str, str] | None = None) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__)), "--worker", name, "--args", json.dumps(args)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(SRC), **(env or {})})
    result: dict[str, Any] = json.loads(res.stdout.strip().splitlines()[-1])
    return result


class Served:
    """A worker process answering one JSON request per line (see :func:`serve`)."""

    def __init__(self, name: str, args: dict[str, Any]) -> None:
        cmd = [sys.executable, str(Path(__file__)), "--serve", name, "--args", json.dumps(args)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     env={**os.environ, "PYTHONPATH": str(SRC)})
        self.peak_rss_mb = 0.0
        self.ask({})  # set up (imports, data, warm-up) before any timing

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"benchmark worker {self.proc.args[3]} died")
        out: dict[str, Any] = json.loads(line)
        self.peak_rss_mb = out["max_rss_mb"]
        return out

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait()


def serve(name: str, args: dict[str, Any]) -> None:
    """Answer requests from stdin: ``b2_initlab`` trains models ``lo:hi`` of the 300 with
    ``engines.train_many``; ``b2_tutorial`` runs the tutorial loop once for ``init``. An
    empty request only reports."""
    spec = network.Spec.build([2, 10, 5, 1], "relu", "sigmoid")
    ds = datasets.load("moons")
    plist = [network.init_params(spec, init, rng=s) for init in INITS.values()
             for s in range(args.get("seeds", 0))]
    cfg = TrainConfig(num_iterations=args["steps"])
    if name == "b2_initlab":  # compiled or loaded before timing (compile times: B1)
        warm_compiled_cache()
    for line in sys.stdin:
        req, out = json.loads(line), {}
        t = time.perf_counter()
        if name == "b2_initlab" and req:
            hs = engines.train_many(spec, plist[req["lo"]:req["hi"]], ds.train_X, ds.train_Y, cfg,
                                    engine="batched")
            out = {"models": len(hs), "engine": hs[0].engine}
        elif name == "b2_tutorial" and req:
            _quiet(lambda i=req["init"]: tutorial_loop(i, args["steps"]))
        out["seconds"] = time.perf_counter() - t
        out["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(out), flush=True)


def b1(steps: int, repeat: int, quick: bool) -> dict[str, Any]:
    spec = network.Spec.build([2, 10, 5, 1], "relu", "sigmoid")
    ds = datasets.load("moons")
    p = network.init_params(spec, "he_normal", rng=np.random.RandomState(3))
    out: dict[str, Any] = {}
    if not quick:
        with tempfile.TemporaryDirectory() as cache:
            env = {"INITLAB_CACHE_DIR": cache}
            first, again = in_process("first_call", {}, env), in_process("first_call", {}, env)
            out.update(compile_s=first["seconds"], cache_load_s=again["seconds"],
                       batched_compile_s=first["batched_s"], batched_load_s=again["batched_s"])
    run = lambda: train.train(spec, p, ds.train_X, ds.train_Y, num_iterations=steps, engine="numba")
    warm_compiled_cache()  # compiled or loaded: not part of the timing (reported above)
    run()
    (t_lab, h), (t_ref, costs) = best_interleaved(
        [run, lambda: _quiet(lambda: tutorial_loop("he", steps))], repeat)
    rel = float(np.max(np.abs(np.array(h.costs) - costs) / np.abs(costs)))
    return {**out, "engine": h.engine, "initlab_s": t_lab, "tutorial_s": t_ref,
            "speedup": t_ref / t_lab, "max_rel_cost_diff": rel}


def b2(steps: int, seeds: int) -> dict[str, Any]:
    """Slices of initlab's 300 models and single tutorial-loop models, taking turns.

    Each side runs in its own long-lived process (its peak memory is its own); after every
    slice of initlab models the loop trains one model (the initializations in turn), so both
    rates are averages over the same minutes of a machine whose speed drifts.
    """
    slice_ = max(2, seeds // 5)
    n = len(INITS) * seeds
    with Served("b2_initlab", {"steps": steps, "seeds": seeds}) as lab, \
            Served("b2_tutorial", {"steps": steps}) as ref:
        slices, loops = [], []
        for q, lo in enumerate(range(0, n, slice_)):
            slices.append(lab.ask({"lo": lo, "hi": min(lo + slice_, n)}))
            loops.append(ref.ask({"init": list(INITS)[q % len(INITS)]}))
    lab_s = sum(r["seconds"] for r in slices)
    ref_rate = len(loops) / sum(r["seconds"] for r in loops)
    paired = [r["models"] / r["seconds"] * l["seconds"] for r, l in zip(slices, loops, strict=True)]
    return {"models": n, "engine": slices[0]["engine"], "initlab_s": lab_s,
            "initlab_models_per_s": n / lab_s, "tutorial_models_timed": len(loops),
            "tutorial_models_per_s": ref_rate, "tutorial_s_scaled": n / ref_rate,
            "speedup": n / lab_s / ref_rate,
            "speedup_per_turn": {"min": min(paired), "median": float(np.median(paired)),
                                 "max": max(paired)},
            "initlab_peak_rss_mb": lab.peak_rss_mb, "tutorial_peak_rss_mb": ref.peak_rss_mb}


def b3(depth: int, width: int, m: int, repeat: int) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    spec = network.Spec.build([width] * (depth + 1), "relu", "linear")
    params = network.init_params(spec, "he_normal", rng=rng)
    X = rng.standard_normal((width, m))
    Y = rng.standard_normal((width, m))
    t_net, _ = best(lambda: network.loss_and_grads(spec, params, X, Y), repeat)
    # forward W@A per layer; backward dW per layer and dA for all but the first
    flops = 2.0 * width * width * m * (2 * depth + depth - 1)
    A = rng.standard_normal((width, m))
    W = rng.standard_normal((width, width))
    n_mm = 3
    t_mm, _ = best(lambda: [W @ A for _ in range(n_mm)], repeat)
    net_rate, mm_rate = flops / t_net, n_mm * 2.0 * width * width * m / t_mm
    return {"depth": depth, "width": width, "examples": m, "engine": "numpy",
            "auto_picks": engines.choose(spec),
            "seconds": t_net,
            "initlab_gflops": net_rate / 1e9, "matmul_gflops": mm_rate / 1e9,
            "share_of_matmul": net_rate / mm_rate}


def warm_compiled_cache() -> None:
    """Compile (or load) the numba kernels of the tutorial network, so timings measure training,
    not compiling (compile and load times: B1)."""
    engines.prepare(network.Spec.build([2, 10, 5, 1], "relu", "sigmoid"))


def _tutorial_engines(out: str) -> list[str]:
    """The engines that trained the runs of an ``initlab tutorial`` output folder."""
    doc = json.loads((Path(out) / "results.json").read_text())
    return sorted({r["engine"] for r in doc["runs"]})


def b4(repeat: int, quick: bool) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(SRC), "MPLBACKEND": "Agg"}
    ref_code = (f"import sys; sys.path.insert(0, {str(HERE)!r}); import tutorial_reference as t; "
                "t.run_document(sys.argv[1])")
    seen: list[str] = []

    def run(cmd: list[str], lab: bool) -> float:
        with tempfile.TemporaryDirectory() as d:
            t = time.perf_counter()
            subprocess.run([*cmd, d], env=env, check=True, capture_output=True)
            t = time.perf_counter() - t
            if lab:
                seen.extend(_tutorial_engines(d))
            return t

    (t_lab, _), (t_ref, _) = best_interleaved(
        [lambda: run([sys.executable, "-m", "initlab.cli", "tutorial", "--quiet", "--out"], True),
         lambda: run([sys.executable, "-c", ref_code], False)], repeat)
    return {"engine": ",".join(sorted(set(seen))), "initlab_s": t_lab, "tutorial_s": t_ref,
            "speedup": t_ref / t_lab}


def b5(repeat: int, quick: bool) -> dict[str, Any]:
    """README command 1 on a fresh install (empty initlab and matplotlib caches) and warm,
    taking turns; each run in a fresh process."""
    iters = ["--iterations", "300"] if quick else []
    seen: list[str] = []

    def run(cache: Path) -> float:
        env = {**os.environ, "PYTHONPATH": str(SRC), "INITLAB_CACHE_DIR": str(cache / "initlab"),
               "MPLCONFIGDIR": str(cache / "matplotlib")}
        env.pop("MPLBACKEND", None)
        with tempfile.TemporaryDirectory() as d:
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "initlab.cli", "tutorial", "--out", d, *iters],
                           env=env, check=True, capture_output=True)
            t = time.perf_counter() - t
            seen.extend(_tutorial_engines(d))
            return t

    with tempfile.TemporaryDirectory() as root:
        warm_cache = Path(root) / "warm"
        run(warm_cache)  # fills it
        colds, warms = [], []
        for k in range(repeat):
            colds.append(run(Path(root) / f"cold{k}"))  # a fresh, empty cache every time
            warms.append(run(warm_cache))
    return {"engine": ",".join(sorted(set(seen))), "cold_s": min(colds), "warm_s": min(warms),
            "cold_over_warm": min(colds) / min(warms), "cold_all_s": colds, "warm_all_s": warms}


def machine() -> dict[str, Any]:
    import numba
    from threadpoolctl import threadpool_info

    cpu = platform.processor()
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                   if l.startswith("model name"))
    blas = [f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')} x{i.get('num_threads')}"
            for i in threadpool_info() if i.get("user_api") == "blas"]
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "numba": numba.__version__, "blas": blas,
            "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)")}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes, for CI smoke runs")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    ap.add_argument("--only", default="b1,b2,b3,b4,b5")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    ap.add_argument("--args", default="{}", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.serve:
        serve(a.serve, json.loads(a.args))
        return {}
    if a.worker:
        print(json.dumps(worker(a.worker, json.loads(a.args))))
        return {}
    q = a.quick
    rep = 1 if q else a.repeat
    parts = {
        "b1": lambda: b1(300 if q else 15000, rep, q),
        "b2": lambda: b2(300 if q else 15000, 2 if q else 100),
        "b3": lambda: b3(3 if q else 50, 64 if q else 1024, 256 if q else 4096, 1 if q else 2),
        "b4": lambda: b4(rep, q),
        "b5": lambda: b5(rep, q),
    }
    results: dict[str, Any] = {"machine": machine(), "quick": q,
                               "load_before": os.getloadavg()}
    print(json.dumps(results["machine"]))
    for name in a.only.split(","):
        results[name] = parts[name]()
        print(name.upper(), json.dumps(results[name]), flush=True)
    results["load_after"] = os.getloadavg()
    if a.json:
        a.json.write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    main()
