"""``initlab coordcheck``: a width sweep with a fitted slope, a CI and a verdict per layer and step.

Exit status: 0 when every layer scales as its parametrization predicts (or is an expected
exception), 1 when any departs (so it can gate CI), 2 on bad input.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any

import click

from initlab.core.errors import InitlabError


def _ints(text: str, what: str) -> list[int]:
    try:
        return [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise InitlabError(f"--{what} must be comma-separated integers, got {text!r}") from None


@click.command()
@click.option("--layers", default="64,W,W,W,10", show_default=True,
              help="Layer sizes IN,W,...,W,OUT; W is the swept width.")
@click.option("--widths", default="64,128,256,512,1024", show_default=True,
              help="Increasing widths (at least 3).")
@click.option("--depths", default=None, help="Numbers of hidden layers to sweep as a second axis.")
@click.option("--param", "params", default="sp,ntk,mup", show_default=True,
              help="Parametrizations (docs/coordcheck.md).")
@click.option("--optimizer", "optimizers", default="sgd:lr=0.1,adam:lr=0.001", show_default=True,
              help="Optimizers NAME:lr=VALUE; lr is the rate at the base width.")
@click.option("--steps", default=3, show_default=True, type=int, help="Training steps T.")
@click.option("--seeds", default=5, show_default=True, type=int, help="Seeds per width.")
@click.option("--dataset", default="digits", show_default=True)
@click.option("--batch", default=64, show_default=True, type=int, help="Examples in the batch.")
@click.option("--activation", default="relu", show_default=True)
@click.option("--statistic", default="l1", show_default=True, help="l1 (mean |h|) or rms.")
@click.option("--tol", default=0.1, show_default=True, type=float,
              help="Largest |slope - predicted| counted as predicted.")
@click.option("--base-width", default=None, type=int,
              help="Width at which every parametrization equals SP [default: smallest width].")
@click.option("--seed", default=0, show_default=True, type=int, help="Base seed.")
@click.option("--store", "store_path", default=None, type=click.Path(dir_okay=False),
              help="SQLite store to resume from and write to (initlab sweep's format).")
@click.option("--workers", default=1, show_default=True, type=int,
              help="Local worker processes training cells (1: in this process).")
@click.option("--scheduler", default=None,
              help="Dask scheduler address (or scheduler file) to train the cells on.")
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False),
              help="Folder for the log-log figures, results.json and index.html.")
@click.option("--json", "as_json", is_flag=True, help="Print rows and runs as JSON on stdout.")
def coordcheck(layers: str, widths: str, depths: str | None, params: str, optimizers: str,
               steps: int, seeds: int, dataset: str, batch: int, activation: str, statistic: str,
               tol: float, base_width: int | None, seed: int, store_path: str | None,
               workers: int, scheduler: str | None, out_dir: str | None, as_json: bool) -> None:
    """Train a few steps at each width; fit log statistic vs log width per layer and step."""
    from initlab.experiments import coordcheck as cc

    kw: dict[str, Any] = {
        "layers": layers, "widths": _ints(widths, "widths"),
        "params": [p.strip() for p in params.split(",") if p.strip()], "optimizers": optimizers,
        "steps": steps, "seeds": seeds, "dataset": dataset, "statistic": statistic,
        "activation": activation, "batch": batch,
        "depths": _ints(depths, "depths") if depths else None, "tol": tol,
        "base_width": base_width, "seed": seed}
    with contextlib.ExitStack() as stack:
        kw["executor"] = _executor(stack, workers, scheduler)
        if store_path:
            from initlab.sweep.store import open_store

            store = stack.enter_context(open_store(store_path, create=True))
            store.lock()
            kw["store"] = store
        res = cc.run(**kw)
    if out_dir:
        from initlab.output.bundle import write_bundle

        write_bundle(res, out_dir)
    if as_json:
        from initlab.output.bundle import to_json_text

        doc = res.to_json()
        click.echo(to_json_text({"rows": doc["rows"], "runs": doc["runs"],
                                 "meanfield": doc["meanfield"], "ok": doc["ok"]}), nl=False)
    else:
        _print(res)
    sys.exit(0 if res.ok else 1)


def _print(res: Any) -> None:
    rows = res.rows
    click.echo(f"{'param':<5} {'opt':<8} {'d':>2} {'layer':<7} {'t':>2} {'quantity':<7} "
               f"{'slope':>7} {'95% CI':>18} {'pred':>5}  {'verdict':<18} mean-field gap")
    for r in rows:
        slope = "-" if r["slope"] is None else f"{r['slope']:+.3f}"
        ci = "-" if r["ci_low"] is None else f"[{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]"
        click.echo(f"{r['param']:<5} {r['optimizer']:<8} {r['depth']:>2} {r['layer']:<7} "
                   f"{r['step']:>2} {r['quantity']:<7} {slope:>7} {ci:>18} "
                   f"{r['predicted']:>+5.1f}  {r['verdict']:<18} {_gap(r)}")
    bad = sum(r["verdict"] not in ("as predicted", "expected exception") for r in rows)
    click.echo(f"{len(rows)} rows, {bad} departing from the prediction")


def _gap(r: dict[str, Any]) -> str:
    """t=0: the largest relative gap to the mean-field scale at widths >= 256."""
    g = r.get("meanfield_max_rel_gap")
    return "" if g is None else f"{100 * g:+.1f}%"


def _executor(stack: contextlib.ExitStack, workers: int, scheduler: str | None) -> Any:
    """None (in process), a spawned process pool, or a Dask client; closed with ``stack``."""
    if scheduler:
        from initlab.sweep.driver import connect

        client = connect(scheduler)
        stack.callback(client.close)
        return client
    if isinstance(workers, bool) or workers < 1:
        raise InitlabError(f"--workers must be a positive integer, got {workers}")
    if workers == 1:
        return None
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    stack.callback(pool.shutdown, cancel_futures=True)
    return pool
