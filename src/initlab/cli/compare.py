"""``initlab compare``: every initialization over many seeds, with CIs and pairwise tests."""

from __future__ import annotations

import json

import click

from initlab.cli._parse import split_ints, split_specs
from initlab.core.errors import InitlabError


@click.command()
@click.option("--inits", default="zeros,random,he_normal", show_default=True,
              help="Comma-separated initializers, each NAME[:key=value,...] "
                   "(e.g. he_normal:nonlinearity=leaky_relu,negative_slope=0.2,zeros).")
@click.option("--dataset", default="moons", show_default=True)
@click.option("--seeds", default=30, show_default=True, type=int, help="Seeds per initializer.")
@click.option("--layers", default="2,10,5,1", show_default=True,
              help="Layer sizes, input and output included (they must match the dataset).")
@click.option("--activation", default="relu", show_default=True)
@click.option("--optimizer", default="gd", show_default=True)
@click.option("--learning-rate", default=0.01, show_default=True, type=float)
@click.option("--iterations", default=15000, show_default=True, type=int)
@click.option("--record-every", default=100, show_default=True, type=int)
@click.option("--threshold", default=0.2, show_default=True, type=float,
              help="Cost threshold for steps_to_threshold.")
@click.option("--seed", default=0, show_default=True, type=int, help="Base seed.")
@click.option("--level", default=0.95, show_default=True, type=float, help="CI level.")
@click.option("--engine", default="auto", show_default=True)
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False),
              help="Folder for figures, results.json and index.html.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
@click.option("--dry-run", is_flag=True,
              help="Only check the options and say how many runs it would train and about how "
                   "long they take.")
def compare(inits: str, dataset: str, seeds: int, layers: str, activation: str, optimizer: str,
            learning_rate: float, iterations: int, record_every: int, threshold: float,
            seed: int, level: float, engine: str, out_dir: str | None, as_json: bool,
            dry_run: bool) -> None:
    """Train every (init, seed) and report each init's mean and 95% CI per metric."""
    from initlab import datasets
    from initlab.core.files import check_folder_name
    from initlab.experiments.compare import METRICS, check_compare, compare_runs
    from initlab.experiments.compare import compare as run_compare
    from initlab.output.bundle import write_bundle
    from initlab.sweep.plan import duration

    dims = split_ints(layers, "--layers", "2,10,5,1")
    data = datasets.load(dataset)
    want = (data.n_features, int(data.train_Y.shape[0]))
    if len(dims) < 2 or (dims[0], dims[-1]) != want:
        raise InitlabError(f"--layers {layers} does not fit dataset {dataset!r}: it needs "
                           f"{want[0]} inputs and {want[1]} output(s), e.g. {want[0]},10,5,{want[1]}")
    if out_dir is not None:
        check_folder_name(out_dir)
    args = (split_specs(inits, "--inits"), dataset, seeds, dims[1:-1], activation, optimizer, learning_rate,
            iterations, record_every, threshold, seed)
    configs = compare_runs(*args)
    n_inits = len({c.init for c in configs})
    cost = (f"compare: {len(configs):,} runs ({n_inits} initializations x {seeds} seeds); "
            f"rough estimate {duration(check_compare(configs, engine))} in one process")
    if dry_run:
        click.echo(cost)
        return
    click.echo(cost, err=True)
    res = run_compare(*args, level, engine)
    page = write_bundle(res, out_dir)["index.html"] if out_dir else None
    if as_json:
        click.echo(json.dumps(res.to_json()))
        return
    pct = round(100 * level)
    for entry in res.to_json()["inits"]:
        parts = [f"{m}={_fmt(entry[m])}" for m in METRICS]
        click.echo(f"{entry['init']:>16} n={entry['n']}  " + "  ".join(parts))
    click.echo(f"(mean [{pct}% CI])" + (f"; report: {page}" if page else ""))


def _fmt(s: dict[str, float | None]) -> str:
    if s["mean"] is None:
        return "-"
    lo, hi = s["ci_low"], s["ci_high"]
    ci = f" [{lo:.3g}, {hi:.3g}]" if lo is not None and hi is not None else ""
    return f"{s['mean']:.4g}{ci}"
