"""``initlab train``: train one network on a dataset and report its history.

Example (the tutorial's He run)::

    initlab train --layers 2,10,5,1 --activation relu --init he_normal --seed 3 --legacy-seed
"""

from __future__ import annotations

import json

import click
import numpy as np

from initlab import datasets, engines, network, optim
from initlab import train as train_mod
from initlab.cli._parse import split_ints
from initlab.core.errors import InitlabError
from initlab.core.params import split_spec
from initlab.core.rng import legacy_rng
from initlab.experiments.training import TrainReport
from initlab.output.bundle import write_bundle


def _layers(text: str | None, ds: datasets.Dataset) -> list[int]:
    if text is None:
        return [ds.n_features, 10, 5, int(ds.train_Y.shape[0])]
    return split_ints(text, "--layers", "2,10,5,1")


def _head(name: str, ds: datasets.Dataset) -> str:
    if name != "auto":
        return name
    if ds.train_Y.shape[0] > 1:
        return "softmax"
    return "sigmoid" if set(np.unique(ds.train_Y)) <= {0.0, 1.0} else "linear"


@click.command("train")
@click.option("--dataset", default="moons", show_default=True,
              help=f"Built-in name ({', '.join(datasets.names())}) or a .csv/.npz file.")
@click.option("--layers", default=None, help="Layer sizes, e.g. 2,10,5,1 (default n_x,10,5,n_y).")
@click.option("--activation", default="relu", show_default=True, help="Hidden activation, NAME[:k=v].")
@click.option("--head", default="auto", show_default=True, help="sigmoid, softmax, linear or auto.")
@click.option("--init", "init", default="he_normal", show_default=True, help="Weight initializer, NAME[:k=v].")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the initial weights and the shuffling.")
@click.option("--legacy-seed", is_flag=True, help="Draw weights like np.random.seed(SEED) (tutorial parity).")
@click.option("--optimizer", default="gd", show_default=True, help="gd, momentum or adam, NAME[:k=v].")
@click.option("--learning-rate", "--lr", default=0.01, show_default=True, type=float)
@click.option("--iterations", default=15000, show_default=True, type=int, help="Number of updates.")
@click.option("--batch-size", default=None, type=int, help="Mini-batch size (default: full batch).")
@click.option("--l2", default=0.0, show_default=True, type=float, help="L2 penalty strength.")
@click.option("--record-every", default=1000, show_default=True, type=int)
@click.option("--engine", default="auto", show_default=True, help=f"One of {', '.join(engines.names())}.")
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Write history.json and figures here.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON on stdout.")
def train(dataset: str, layers: str | None, activation: str, head: str, init: str, seed: int,
          legacy_seed: bool, optimizer: str, learning_rate: float, iterations: int,
          batch_size: int | None, l2: float, record_every: int, engine: str, out: str | None,
          as_json: bool) -> None:
    """Train a fully connected network and report its costs and accuracies."""
    ds = datasets.load(dataset)
    spec = network.Spec.build(_layers(layers, ds), activation, _head(head, ds))
    network.check_head_fits(spec, ds.train_Y)
    if seed < 0:
        raise InitlabError(f"--seed must be >= 0, got {seed}")
    network.check_training_memory(spec.dims, ds.train_X.shape[1])
    rng = legacy_rng(seed) if legacy_seed else np.random.default_rng(seed)
    params = network.init_params(spec, init, rng=rng)
    optim.get(optimizer, learning_rate)  # the spec, its options and their ranges, before any work
    opt_name, opt_kw = split_spec(optimizer)
    h = train_mod.train(
        spec, params, ds.train_X, ds.train_Y, optimizer=opt_name, learning_rate=learning_rate,
        num_iterations=iterations, record_every=record_every, batch_size=batch_size, seed=seed,
        l2=l2, metrics=["accuracy"] if spec.head.task != "regression" else [], engine=engine,
        **opt_kw,  # type: ignore[arg-type]  # optim.get checks each option's type and range
    )
    report = TrainReport(spec, h, ds)
    result = report.to_json()
    if out is not None:
        written = write_bundle(report, out)
        result["files"] = [str(p) for n, p in written.items() if n != "index.html"]
        result["page"] = str(written["index.html"])
    if as_json:
        click.echo(json.dumps(result))
    else:
        for i, c in zip(h.iterations, h.costs, strict=True):
            click.echo(f"Cost after iteration {i}: {c}")
        for key in ("train_accuracy", "test_accuracy"):
            if key in result:
                click.echo(f"{key.replace('_', ' ')}: {result[key]}")
        click.echo(f"{spec.describe()} trained by engine {h.engine} in {h.seconds:.3f} s")
        click.echo(f"status: {result['status']}")
    if result["problems"]:  # the results are out; the exit status says the run failed
        raise InitlabError(f"the run did not train: {'; '.join(result['problems'])}")
