"""``initlab sweep``, ``initlab report`` and ``initlab export``: run a grid into a store, read it."""

from __future__ import annotations

import json

import click


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--store", "store_path", required=True, type=click.Path(dir_okay=False),
              help="SQLite store (created if missing; rerunning resumes it).")
@click.option("--workers", default=1, show_default=True, type=int,
              help="Local processes (1 runs in this process).")
@click.option("--scheduler", default=None,
              help="Run on an existing Dask cluster, e.g. tcp://head-node:8786.")
@click.option("--connect-timeout", default=10.0, show_default=True, type=float,
              help="Seconds to wait for the Dask scheduler.")
@click.option("--chunk-size", default=16, show_default=True, type=int,
              help="Runs per task, trained at once by the batched engine.")
@click.option("--engine", default="auto", show_default=True, help="Training engine.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary on stdout.")
@click.option("--dry-run", is_flag=True,
              help="Only check the spec and say how many runs it would compute and about how "
                   "long they take; nothing is created or trained.")
def sweep(spec: str, store_path: str, workers: int, scheduler: str | None,
          connect_timeout: float, chunk_size: int, engine: str, as_json: bool,
          dry_run: bool) -> None:
    """Train every run of the grid in SPEC (TOML) that the store lacks, storing each as it ends.

    A second sweep on the same store at the same time is refused. Interrupt it any time
    (Ctrl-C, kill, machine loss): rerunning the same command computes only the missing runs.
    """
    from initlab.sweep.driver import run_sweep
    from initlab.sweep.plan import plan_sweep
    from initlab.sweep.spec import load_spec

    s = load_spec(spec)
    plan = plan_sweep(s, store_path, chunk_size, engine)
    if dry_run:
        click.echo(json.dumps(plan.to_json()) if as_json else plan.line())
        return
    click.echo(plan.line(), err=True)  # what it costs, before it starts
    try:
        out = run_sweep(s, store_path, workers=workers, scheduler=scheduler,
                        chunk_size=chunk_size, engine=engine, connect_timeout=connect_timeout)
    except KeyboardInterrupt:
        click.echo(f"initlab: sweep interrupted; finished runs are in {store_path}: rerun the "
                   "same command to compute the rest", err=True)
        raise
    if as_json:
        click.echo(json.dumps(out.to_json()))
    else:
        click.echo(f"{out.computed} runs computed, {out.already_stored} already stored, "
                   f"{out.total} in the grid ({out.runs_per_second:.3g} runs/s, {out.executor}); "
                   f"store: {store_path}")


@click.command()
@click.argument("store", type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder for index.html and the figures.")
@click.option("--level", default=0.95, show_default=True, type=float, help="CI level.")
def report(store: str, out_dir: str, level: float) -> None:
    """Write a self-contained HTML report of a sweep store."""
    from initlab.output.bundle import write_bundle
    from initlab.output.sweep_report import SweepReport

    written = write_bundle(SweepReport.from_store(store, level), out_dir)
    click.echo(f"report: {written['index.html']}")


@click.command()
@click.argument("store", type=click.Path(dir_okay=False))
@click.option("--csv", "csv_path", required=True, type=click.Path(dir_okay=False),
              help="CSV file to write (one row per run).")
def export(store: str, csv_path: str) -> None:
    """Export every run of a sweep store as CSV."""
    from initlab.output.sweep_report import SweepReport

    rep = SweepReport.from_store(store)
    rep.to_csv(csv_path)
    click.echo(f"{len(rep.runs)} runs written to {csv_path}")
