"""``initlab tutorial``: the whole tutorial document from one command."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from initlab.core.errors import check_choice

#: The document's datasets: two-class, two-feature, with its sizes, noise and seeds.
TUTORIAL_DATASETS = ("moons", "circles")


@click.command()
@click.option("--out", "out", default="tutorial-out", show_default=True,
              help="Folder for index.html, results.json and the PNG figures.")
@click.option("--dataset", default="moons", show_default=True,
              help=f"Training data: one of {', '.join(TUTORIAL_DATASETS)}.")
@click.option("--iterations", type=int, default=15000, show_default=True,
              help="Gradient-descent steps per training.")
@click.option("--learning-rate", type=float, default=0.01, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of part 6 (activation distributions).")
@click.option("--quiet", is_flag=True, help="Do not print the costs and accuracies.")
@click.option("--json", "as_json", is_flag=True, help="Print results.json on stdout.")
def tutorial(
    out: str, dataset: str, iterations: int, learning_rate: float, seed: int, quiet: bool,
    as_json: bool,
) -> None:
    """Run the tutorial end to end: three trainings, figures, tables and part 6."""
    from initlab.core.files import ensure_dir
    from initlab.experiments.tutorial import PLAYGROUND, check_tutorial_inputs, run_tutorial
    from initlab.output.bundle import to_json_text, write_bundle
    from initlab.output.playground import write_playground

    check_choice(dataset, TUTORIAL_DATASETS, "tutorial dataset")
    check_tutorial_inputs(iterations, learning_rate, seed)  # before --out is made
    ensure_dir(out)  # fail on an unwritable --out before minutes of work
    # with --json, stdout carries only JSON, so the document's printed lines go to stderr
    echo = None if quiet else (lambda s: click.echo(s, err=as_json))
    t0 = time.perf_counter()
    result = run_tutorial(dataset, iterations, learning_rate, seed, echo)
    written = write_bundle(result, out)
    # the page links to the playground; part 6's cases are reused when they are the page's own
    write_playground(Path(out) / PLAYGROUND, "tutorial", cases=result.cases if seed == 0 else None)
    if as_json:
        sys.stdout.write(to_json_text(result.to_json()))
        return
    if not quiet:
        click.echo("")
        click.echo("Model | Train accuracy | Test accuracy | Problem")
        for r in result.runs:
            click.echo(f"{r.model_name} | {r.train_accuracy:.2%} | {r.test_accuracy:.2%} | {r.problem}")
    click.echo(f"wrote {len(written)} files to {out} ({time.perf_counter() - t0:.1f} s); "
               f"open {out}/index.html")
