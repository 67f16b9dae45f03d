"""The whole tutorial document as one experiment returning data only.

Parts 1-5 train the [n_x, 10, 5, 1] ReLU network with zeros, large random (x10) and He
initialization; part 6 pushes Gaussian inputs through 5 bias-free layers of 100 units for four
weight scales and three activations. :func:`run_tutorial` returns a :class:`TutorialResult`; the
figures and the HTML page are made from it by :mod:`initlab.output.tutorial_page`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from initlab import __version__, datasets, network
from initlab.core.errors import check_positive_float, check_positive_int
from initlab.core.rng import legacy_rng
from initlab.theory.propagation import layer_activations
from initlab.train import train

Array = NDArray[np.float64]
LAYERS = (10, 5)
INITIALIZATIONS = (
    ("zeros", "zeros", "3-layer NN with zeros initialization", "Fails to break symmetry"),
    ("random", "random", "3-layer NN with large random initialization", "Unstable variance"),
    ("he", "he_normal", "3-layer NN with He initialization", "Normalized variance with 0 mean"),
)
#: Part 6: (label, initializer spec, formula) for each weight scale of the document.
WEIGHT_SCALES = (
    ("std=1", "normal:std=1", "randn * 1"),
    ("std=0.01", "normal:std=0.01", "randn * 0.01"),
    ("Xavier", "lecun_normal", "randn * sqrt(1/n)"),
    ("He", "he_normal", "randn * sqrt(2/n)"),
)
ACTIVATIONS = ("sigmoid", "relu", "tanh")
LIMITS = {"sigmoid": (0.0, 1.0), "relu": (0.0, np.inf), "tanh": (-1.0, 1.0)}


@dataclass
class TrainingRun:
    """One of the document's three trainings."""

    initialization: str
    scheme: str
    dataset: str
    learning_rate: float
    num_iterations: int
    iterations: list[int]
    costs: list[float]
    train_accuracy: float
    test_accuracy: float
    params: dict[str, Array]
    train_predictions: Array
    test_predictions: Array
    engine: str
    seconds: float
    model_name: str = ""
    problem: str = ""

    def to_json(self) -> dict[str, Any]:
        """The documented JSON record (parameters and predictions left out)."""
        return {
            "initialization": self.initialization,
            "scheme": self.scheme,
            "dataset": self.dataset,
            "learning_rate": self.learning_rate,
            "num_iterations": self.num_iterations,
            "iterations": self.iterations,
            "costs": self.costs,
            "train_accuracy": self.train_accuracy,
            "test_accuracy": self.test_accuracy,
            "engine": self.engine,
            "seconds": self.seconds,
        }


@dataclass
class LayerStats:
    """Per-layer summary of one part-6 case."""

    layer: int
    mean: float
    std: float
    limit_share: float
    counts: list[int]
    edges: list[float]


@dataclass
class HistogramCase:
    """One part-6 figure: a weight scale with an activation, 5 layers."""

    label: str
    init: str
    formula: str
    activation: str
    range: tuple[float, float]
    layers: list[LayerStats]

    def to_json(self) -> dict[str, Any]:
        """JSON record: every per-layer statistic and histogram."""
        return {
            "label": self.label,
            "init": self.init,
            "formula": self.formula,
            "activation": self.activation,
            "range": list(self.range),
            "layers": [vars(s) for s in self.layers],
        }


@dataclass
class TutorialResult:
    """Everything the document computes: the dataset, three trainings, twelve histogram cases."""

    data: datasets.Dataset
    runs: list[TrainingRun]
    cases: list[HistogramCase]
    seed: int
    samples: int = 1000
    depth: int = 5
    width: int = 100

    def _repr_html_(self) -> str:
        """Jupyter view: the conclusions table with the measured accuracies."""
        from initlab.output.html import Table, render_table

        rows = [[r.model_name, r.train_accuracy, r.test_accuracy, r.problem] for r in self.runs]
        return render_table(
            Table(["Model", "Train accuracy", "Test accuracy", "Problem"], rows,
                  caption=f"Tutorial on {self.data.name}", fmt="{:.4g}")
        )

    def to_json(self) -> dict[str, Any]:
        """The ``results.json`` document (shape documented in docs/tutorial.md)."""
        return {
            "initlab_version": __version__,
            "dataset": {
                "name": self.data.name,
                "n_train": int(self.data.train_X.shape[1]),
                "n_test": int(self.data.test_X.shape[1]),
            },
            "runs": [r.to_json() for r in self.runs],
            "conclusions": [
                {"model": r.model_name, "train_accuracy": r.train_accuracy,
                 "test_accuracy": r.test_accuracy, "problem": r.problem}
                for r in self.runs
            ],
            "activation_distributions": {
                "seed": self.seed, "samples": self.samples, "depth": self.depth,
                "width": self.width, "bins": 30, "cases": [c.to_json() for c in self.cases],
            },
        }


def run_training(
    data: datasets.Dataset, initialization: str, scheme: str, learning_rate: float,
    num_iterations: int, print_cost: Callable[[str], None] | None = None,
) -> TrainingRun:
    """Train the document's network with one initialization, seeded as the document is."""
    dims = [data.n_features, *LAYERS, 1]
    spec = network.Spec.build(dims, "relu", "sigmoid")
    params = network.init_params(spec, scheme, "zeros", rng=legacy_rng(3))
    hist = train(spec, params, data.train_X, data.train_Y, learning_rate=learning_rate,
                 num_iterations=num_iterations, engine="numpy")  # the document's arithmetic
    if print_cost is not None:
        for i, c in zip(hist.iterations, hist.costs, strict=True):
            print_cost(f"Cost after iteration {i}: {c}")
    p = hist.params
    return TrainingRun(
        initialization, scheme, data.name, learning_rate, num_iterations, hist.iterations,
        hist.costs, network.accuracy(spec, p, data.train_X, data.train_Y),
        network.accuracy(spec, p, data.test_X, data.test_Y),
        p, network.predict(spec, p, data.train_X), network.predict(spec, p, data.test_X),
        hist.engine, hist.seconds,
    )


def _hist_range(activation: str, layers: list[Array]) -> tuple[float, float]:
    if activation == "sigmoid":
        return (0.0, 1.0)  # the document's range
    if activation == "tanh":
        return (-1.0, 1.0)
    positive = np.concatenate([a[a > 0] for a in layers])
    top = float(np.quantile(positive, 0.99)) if positive.size else 1.0
    return (0.0, top if top > 0 else 1.0)


def run_histogram_case(
    label: str, init: str, formula: str, activation: str, X: Array, rng: Any
) -> HistogramCase:
    """Part 6 for one weight scale and activation, on the shared input ``X``."""
    acts = layer_activations(init, activation, depth=5, width=X.shape[0], X=X, rng=rng)
    rng_ = _hist_range(activation, acts)
    lo, hi = LIMITS[activation]
    stats = []
    for i, a in enumerate(acts, start=1):
        counts, edges = np.histogram(a, 30, range=rng_)
        near = (a - lo < 0.01) | (hi - a < 0.01)
        stats.append(LayerStats(i, float(a.mean()), float(a.std()), float(near.mean()),
                                counts.tolist(), edges.tolist()))
    return HistogramCase(label, init, formula, activation, rng_, stats)


def run_activation_cases(seed: int = 0) -> list[HistogramCase]:
    """Part 6: every weight scale with every activation, on one shared Gaussian input."""
    check_positive_int(seed, "seed", minimum=0)
    root = np.random.SeedSequence(seed)
    X = np.random.default_rng(root).standard_normal((100, 1000))
    pairs = [(a, w) for a in ACTIVATIONS for w in WEIGHT_SCALES]
    return [
        run_histogram_case(label, init, formula, act, X, np.random.default_rng(child))
        for (act, (label, init, formula)), child in zip(pairs, root.spawn(len(pairs)), strict=True)
    ]


def run_tutorial(
    dataset: str = "moons",
    num_iterations: int = 15000,
    learning_rate: float = 0.01,
    seed: int = 0,
    print_cost: Callable[[str], None] | None = None,
    cases: list[HistogramCase] | None = None,
) -> TutorialResult:
    """Run the whole document; ``print_cost`` receives the document's printed lines.

    ``cases`` are part 6's results when already computed by :func:`run_activation_cases`.
    """
    check_positive_int(num_iterations, "number of iterations")
    check_positive_float(learning_rate, "learning rate")
    check_positive_int(seed, "seed", minimum=0)
    data = datasets.load(dataset)
    runs = []
    for flag, scheme, name, problem in INITIALIZATIONS:
        run = run_training(data, flag, scheme, learning_rate, num_iterations, print_cost)
        run.model_name, run.problem = name, problem
        if print_cost is not None:
            print_cost(f"On the train set: Accuracy: {run.train_accuracy}")
            print_cost(f"On the test set: Accuracy: {run.test_accuracy}")
        runs.append(run)
    return TutorialResult(data, runs, run_activation_cases(seed) if cases is None else cases, seed)
