"""Figures, ``results.json`` and ``index.html`` for a :class:`TutorialResult`.

Everything is rendered in memory first and written with atomic renames at the end, so a failure
leaves no half-written file behind.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from initlab import network
from initlab.core.files import atomic_write_bytes, atomic_write_text, ensure_dir
from initlab.datasets import Dataset
from initlab.experiments.tutorial import HistogramCase, TrainingRun, TutorialResult
from initlab.output import plots
from initlab.output.figure_pool import Job, Renderer
from initlab.output.html import Image, Section, Table, render_html

TITLE = "Parameter Initialization: the tutorial, reproduced by initlab"
INTRO = (
    "Initializing all weights with zeros leads every neuron of a layer to learn the same "
    "features. A well chosen initialization speeds up the convergence of gradient descent and "
    "increases the odds of it converging to a lower training and generalization error. This "
    "page runs the whole document: a 3-layer network LINEAR->RELU->LINEAR->RELU->LINEAR->SIGMOID "
    "trained with zeros, large random and He initialization, then the distribution of "
    "activations through 5 layers for four weight scales."
)
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


def _image(job: Job, jobs: list[Job]) -> Image:
    jobs.append(job)
    return Image(caption=job[0], id="fig-" + job[0].removesuffix(".png"))


def dataset_job(data: Dataset) -> Job:
    """The training-set scatter."""
    return ("dataset.png", "plot_dataset",
            {"X": data.train_X, "Y": data.train_Y, "title": f"Training set: {data.name}"})


def cost_job(run: TrainingRun) -> Job:
    """One training's cost curve."""
    return (f"cost_{run.initialization}.png", "plot_costs", {
        "iterations": run.iterations, "costs": run.costs, "learning_rate": run.learning_rate})


def boundary_job(run: TrainingRun, data: Dataset) -> Job:
    """One training's decision boundary; the grid is predicted here, only drawing is left."""
    spec = network.Spec.build([data.n_features, 10, 5, 1], "relu", "sigmoid")
    xx, yy, Z = plots.decision_grid(lambda pts: network.predict(spec, run.params, pts.T), data.train_X)
    return (f"boundary_{run.initialization}.png", "plot_decision_regions", {
        "xx": xx, "yy": yy, "Z": Z, "X": data.train_X, "y": data.train_Y,
        "title": f"Model with {run.model_name.split(' with ')[-1]}"})


def _run_section(n: int, run: TrainingRun, result: TutorialResult, jobs: list[Job]) -> Section:
    data = result.data
    cost_img = _image(cost_job(run), jobs)
    db_img = _image(boundary_job(run, data), jobs)
    costs = Table(["iteration", "cost"], list(zip(run.iterations, run.costs, strict=True)),
                  caption="Cost every 1000 iterations", fmt="{!r}")
    acc = Table(["set", "accuracy"], [["train", run.train_accuracy], ["test", run.test_accuracy]],
                caption="Accuracy", fmt="{!r}")
    titles = {"zeros": "Zero initialization", "random": "Random initialization",
              "he": "He initialization"}
    return Section(
        f"{n} - {titles.get(run.initialization, run.initialization)}",
        [(f"Initialization {run.scheme!r}, learning rate {run.learning_rate}, "
         f"{run.num_iterations} iterations ({run.engine} engine, {run.seconds:.2f} s)."),
         OBSERVATIONS.get(run.initialization, "")],
        tables=[costs, acc], images=[cost_img, db_img], id=f"init-{run.initialization}",
    )


def case_job(case: HistogramCase) -> Job:
    """Part 6's figure for one case, drawn from the recorded counts (what results.json holds)."""
    name = f"hist_{case.activation}_{case.label.replace('=', '').replace('.', '_')}.png"
    return (name, "plot_histogram_row", {
        "counts": [s.counts for s in case.layers], "edges": [s.edges for s in case.layers],
        "title": f"{case.activation}, weights {case.formula} ({case.label})"})


def _part6(result: TutorialResult, jobs: list[Job]) -> Section:
    subs = []
    for act in dict.fromkeys(c.activation for c in result.cases):
        cases = [c for c in result.cases if c.activation == act]
        rows = [[c.label, s.layer, s.mean, s.std, s.limit_share] for c in cases for s in c.layers]
        table = Table(["weights", "layer", "mean", "std", "share within 0.01 of limits"], rows,
                      caption=f"Per-layer statistics, {act}")
        subs.append(Section(f"Activation: {act}", images=[_image(case_job(c), jobs) for c in cases],
                            tables=[table], id=f"part6-{act}"))
    return Section(
        "6 - The distribution of activation values",
        [(f"{result.samples} Gaussian inputs pass through {result.depth} bias-free layers of "
         f"{result.width} units (seed {result.seed}); each figure shows the per-layer histogram "
         "(30 bins). Sigmoid with std 1 piles up at 0 and 1 (vanishing gradients); std 0.01 "
         "concentrates around 0.5 (every unit outputs the same value: limited expressiveness); "
         "Xavier keeps a broad distribution for sigmoid and tanh, and He keeps the spread "
         "constant through ReLU layers.")],
        id="part6", subsections=subs,
    )


def build_pages(result: TutorialResult, renderer: Renderer | None = None) -> tuple[str, dict[str, bytes]]:
    """Render every figure (PNG bytes by file name) and the HTML page, in memory."""
    jobs: list[Job] = []
    d = result.data
    data_img = _image(dataset_job(d), jobs)
    sections = [
        Section("Parameter Initialization", [INTRO], id="intro"),
        Section("The dataset", [(f"{d.train_X.shape[1]} training and {d.test_X.shape[1]} test "
                                f"examples of {d.name}; separate the blue dots from the red.")],
                images=[data_img], id="dataset"),
        Section("1 - Neural Network model", [
            ("A 3-layer network [n_x, 10, 5, 1], ReLU hidden layers and a sigmoid output, trained "
            "by full-batch gradient descent; each initializer draws from the document's seed 3.")
        ], id="model"),
    ]
    sections += [_run_section(n, r, result, jobs) for n, r in enumerate(result.runs, start=2)]
    rows = [[r.model_name, f"{r.train_accuracy:.2%}", f"{r.test_accuracy:.2%}", r.problem]
            for r in result.runs]
    sections.append(Section("5 - Conclusions", ["Measured on this run (train / test)."],
                            tables=[Table(["Model", "Train accuracy", "Test accuracy", "Problem"],
                                          rows)], id="conclusions"))
    sections.append(_part6(result, jobs))
    figures = (renderer or Renderer()).render(jobs)
    for im in _images(sections):
        im.png = figures[im.caption]
    return render_html(TITLE, sections, {"initlab": result.to_json()["initlab_version"]}), figures


def _images(sections: list[Section]) -> list[Image]:
    out: list[Image] = []
    for s in sections:
        out += [*s.images, *_images(list(s.subsections))]
    return out


def write_outputs(
    result: TutorialResult, out: str | Path, renderer: Renderer | None = None
) -> dict[str, Path]:
    """Write every figure, ``results.json`` and ``index.html`` into ``out``; returns the paths."""
    folder = ensure_dir(out)
    page, figures = build_pages(result, renderer)
    doc = result.to_json()
    doc["figures"] = sorted(figures)
    written = {name: atomic_write_bytes(folder / name, png) for name, png in figures.items()}
    written["results.json"] = atomic_write_text(folder / "results.json", to_json_text(doc))
    written["index.html"] = atomic_write_text(folder / "index.html", page)
    return written


def to_json_text(doc: dict[str, Any]) -> str:
    """JSON with every float written exactly (repr round-trips float64)."""
    def default(o: Any) -> Any:
        if isinstance(o, np.generic):
            return o.item()
        raise TypeError(f"not JSON serialisable: {type(o).__name__}")

    return json.dumps(doc, indent=1, default=default, allow_nan=False) + "\n"
