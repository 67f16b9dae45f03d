"""The whole tutorial document as one experiment returning data only.

Parts 1-5 train the [n_x, 10, 5, 1] ReLU network with zeros, large random (x10) and He
initialization; part 6 pushes Gaussian inputs through 5 bias-free layers of 100 units for four
weight scales and three activations. :func:`run_tutorial` returns a :class:`TutorialResult`; the
its ``sections()`` and ``figures()`` describe the page that :func:`initlab.output.bundle.write_bundle`
writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from initlab import __version__, datasets, network
from initlab.core.errors import check_positive_float, check_positive_int
from initlab.core.report import Image, Plot, Report, Section, Table
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

TITLE = "Parameter Initialization: the tutorial, reproduced by initlab"
INTRO = (
    "Initializing all weights with zeros leads every neuron of a layer to learn the same "
    "features. A well chosen initialization speeds up the convergence of gradient descent and "
    "increases the odds of it converging to a lower training and generalization error. This "
    "page runs the whole document: a 3-layer network LINEAR->RELU->LINEAR->RELU->LINEAR->SIGMOID "
    "trained with zeros, large random and He initialization, then the distribution of "
    "activations through 5 layers for four weight scales."
)
MODEL = ("A 3-layer network [n_x, 10, 5, 1], ReLU hidden layers and a sigmoid output, trained "
         "by full-batch gradient descent; each initializer draws from the document's seed 3.")
RUN_TITLES = {"zeros": "Zero initialization", "random": "Random initialization",
              "he": "He initialization"}
OBSERVATIONS = {
    "zeros": "The model predicts the same class for every example: it fails to break symmetry, "
    "so every neuron in a layer computes the same function and the network is no better than "
    "a linear classifier.",
    "random": "The cost starts very high: large weights saturate the output sigmoid, and a wrong "
    "saturated prediction costs a lot. The document printed inf here; initlab computes the "
    "cost from the logits, so it is finite while the training itself is unchanged.",
    "he": "He initialization (weights scaled by sqrt(2 / n_prev)) separates the two classes "
    "well in few iterations.",
}
#: Runs whose cost curve is drawn on a log axis: the x10 run starts orders of magnitude above
#: where it ends, so on a linear axis its fall after the first recorded point is invisible.
LOG_COST = ("random",)
#: The document's "What you should remember" points, as a table on the page.
REMEMBER = (
    "The weights W[l] should be initialized randomly to break symmetry.",
    ("It is however okay to initialize the biases b[l] to zeros. Symmetry is still broken so long "
    "as W[l] is initialized randomly."),
)
CONCLUSIONS = ("Measured on this run (train / test), then the document's own comparison and "
               "what it says to remember.")
#: The document's conclusions table, as it prints it (its accuracies are rounded test figures).
DOCUMENT_CONCLUSIONS = (
    ("3-layer NN with zeros initialization", "50%", "Fails to break symmetry"),
    ("3-layer NN with large random initialization", "83%", "Unstable variance"),
    ("3-layer NN with He initialization", "99%", "Normalized variance with 0 mean"),
)
PART6 = ("Sigmoid with std 1 piles up at 0 and 1 (vanishing gradients); std 0.01 concentrates "
         "around 0.5 (every unit outputs the same value: limited expressiveness); Xavier keeps a "
         "broad distribution for sigmoid and tanh, and He keeps the spread constant through ReLU "
         "layers.")


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

    @property
    def stem(self) -> str:
        """File stem of this case's figure, e.g. ``hist_sigmoid_std0_01``."""
        return f"hist_{self.activation}_{self.label.replace('=', '').replace('.', '_')}"

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
class TutorialResult(Report):
    """Everything the document computes: the dataset, three trainings, twelve histogram cases."""

    data: datasets.Dataset
    runs: list[TrainingRun]
    cases: list[HistogramCase]
    seed: int
    samples: int = 1000
    depth: int = 5
    width: int = 100
    title = TITLE

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
            "figures": sorted(f"{stem}.png" for stem in self._stems()),
        }

    def meta(self) -> dict[str, Any]:
        """The version line under the title."""
        return {"initlab": __version__}

    def _stems(self) -> list[str]:
        return ["dataset", *(f"{k}_{r.initialization}" for r in self.runs for k in ("cost", "boundary")),
                *(c.stem for c in self.cases)]

    def figures(self) -> dict[str, Plot]:
        """The dataset, each training's cost curve and decision boundary, part 6's rows."""
        d = self.data
        spec = network.Spec.build([d.n_features, *LAYERS, 1], "relu", "sigmoid")
        figs = {"dataset": Plot("dataset", {"X": d.train_X, "Y": d.train_Y,
                                            "title": f"Training set: {d.name}"})}
        for r in self.runs:
            figs[f"cost_{r.initialization}"] = Plot("costs", {
                "iterations": r.iterations, "costs": r.costs, "learning_rate": r.learning_rate,
                "log": r.initialization in LOG_COST})
            figs[f"boundary_{r.initialization}"] = Plot("network_boundary", {
                "spec": spec, "params": r.params, "X": d.train_X, "Y": d.train_Y, "h": 0.01,
                "title": f"Model with {r.model_name.split(' with ')[-1]}"})
        for c in self.cases:
            figs[c.stem] = Plot("histogram_row", {
                "counts": [s.counts for s in c.layers], "edges": [s.edges for s in c.layers],
                "title": f"{c.activation}, weights {c.formula} ({c.label})"})
        return figs

    def sections(self) -> list[Section]:
        """The page in the document's order: parts 1-5, the conclusions, part 6."""
        d = self.data
        rows = [[r.model_name, f"{r.train_accuracy:.2%}", f"{r.test_accuracy:.2%}", r.problem]
                for r in self.runs]
        return [
            Section("Parameter Initialization", [INTRO], id="intro"),
            Section("The dataset", [(f"{d.train_X.shape[1]} training and {d.test_X.shape[1]} test "
                                    f"examples of {d.name}; separate the blue dots from the red.")],
                    images=[_image("dataset")], id="dataset"),
            Section("1 - Neural Network model", [MODEL], id="model"),
            *(_run_section(n, r) for n, r in enumerate(self.runs, start=2)),
            Section("5 - Conclusions", [CONCLUSIONS],
                    tables=[Table(["Model", "Train accuracy", "Test accuracy", "Problem"], rows),
                            Table(["Model", "Accuracy", "Problem"], DOCUMENT_CONCLUSIONS,
                                  caption="The document's comparison"),
                            Table(["What you should remember"], [[r] for r in REMEMBER])],
                    id="conclusions"),
            self._part6(),
            Section("Try it yourself", [(
                "The offline playground retrains the document's three networks in your browser "
                "and lets you change the initialization, the depth and the activation while "
                "watching every layer's histograms and the mean-field prediction.")],
                links=[("Open the playground", f"{PLAYGROUND}/index.html")], id="playground"),
        ]

    def _part6(self) -> Section:
        subs = []
        for act in dict.fromkeys(c.activation for c in self.cases):
            cases = [c for c in self.cases if c.activation == act]
            rows = [[c.label, s.layer, s.mean, s.std, s.limit_share] for c in cases for s in c.layers]
            table = Table(["weights", "layer", "mean", "std", "share within 0.01 of limits"], rows,
                          caption=f"Per-layer statistics, {act}")
            subs.append(Section(f"Activation: {act}", images=[_image(c.stem) for c in cases],
                                tables=[table], id=f"part6-{act}"))
        return Section(
            "6 - The distribution of activation values",
            [(f"{self.samples} Gaussian inputs pass through {self.depth} bias-free layers of "
              f"{self.width} units (seed {self.seed}); each figure shows the per-layer histogram "
              f"(30 bins). {PART6}")],
            id="part6", subsections=subs,
        )


#: Folder, beside the tutorial's page, that ``initlab tutorial`` writes the playground into.
PLAYGROUND = "playground"


def check_tutorial_inputs(num_iterations: int, learning_rate: float, seed: int) -> None:
    """The checks of :func:`run_tutorial`, callable before any work (the command makes them
    before it creates its output folder, so a refused run leaves nothing behind)."""
    check_positive_int(num_iterations, "number of iterations")
    check_positive_float(learning_rate, "learning rate")
    check_positive_int(seed, "seed", minimum=0)


def _image(stem: str) -> Image:
    return Image(stem, caption=f"{stem}.png", id=f"fig-{stem}")


def _run_section(n: int, run: TrainingRun) -> Section:
    costs = Table(["iteration", "cost"], list(zip(run.iterations, run.costs, strict=True)),
                  caption="Cost every 1000 iterations", fmt="{!r}")
    acc = Table(["set", "accuracy"], [["train", run.train_accuracy], ["test", run.test_accuracy]],
                caption="Accuracy", fmt="{!r}")
    return Section(
        f"{n} - {RUN_TITLES.get(run.initialization, run.initialization)}",
        [(f"Initialization {run.scheme!r}, learning rate {run.learning_rate}, "
          f"{run.num_iterations} iterations ({run.engine} engine, {run.seconds:.2f} s)."),
         OBSERVATIONS.get(run.initialization, "")],
        tables=[costs, acc], images=[_image(f"cost_{run.initialization}"),
                                     _image(f"boundary_{run.initialization}")],
        id=f"init-{run.initialization}",
    )


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
) -> TutorialResult:
    """Run the whole document; ``print_cost`` receives the document's printed lines."""
    check_tutorial_inputs(num_iterations, learning_rate, seed)
    data = datasets.load(dataset)
    runs = []
    for flag, scheme, name, problem in INITIALIZATIONS:
        run = run_training(data, flag, scheme, learning_rate, num_iterations, print_cost)
        run.model_name, run.problem = name, problem
        if print_cost is not None:
            print_cost(f"On the train set: Accuracy: {run.train_accuracy}")
            print_cost(f"On the test set: Accuracy: {run.test_accuracy}")
        runs.append(run)
    return TutorialResult(data, runs, run_activation_cases(seed), seed)
