"""One training as a report: ``initlab train --out`` writes ``history.json``, the cost curve, the
decision boundary (two-feature data) and a page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from initlab import datasets, network
from initlab.core.report import Image, Plot, Report, Section, Table
from initlab.engines.outcome import Outcome, assess
from initlab.train import History


@dataclass
class TrainReport(Report):
    """A trained network, its history and the data it was trained on."""

    spec: network.Spec
    history: History
    data: datasets.Dataset
    json_name = "history.json"

    @property
    def title(self) -> str:  # type: ignore[override]
        """Page title: the network."""
        return f"initlab train: {self.spec.describe()}"

    def to_json(self) -> dict[str, Any]:
        """Network, dataset, engine, seconds, the recorded costs and metrics, the accuracies."""
        h, ds = self.history, self.data
        res: dict[str, Any] = {
            "network": self.spec.describe(), "dataset": ds.name, "engine": h.engine,
            "seconds": h.seconds, "iterations": h.iterations, "costs": h.costs,
            "metrics": h.metrics,
        }
        if self.spec.head.task != "regression":
            res["train_accuracy"] = network.accuracy(self.spec, h.params, ds.train_X, ds.train_Y)
            if ds.test_X.shape[1]:
                res["test_accuracy"] = network.accuracy(self.spec, h.params, ds.test_X, ds.test_Y)
        outcome = self.outcome(res.get("train_accuracy"))
        res["status"], res["problems"] = outcome.status, outcome.problems
        return res

    def outcome(self, train_accuracy: float | None = None) -> Outcome:
        """How the run went (:func:`initlab.engines.outcome.assess`): status and problems."""
        regression = self.spec.head.task == "regression"
        if train_accuracy is None and not regression:
            train_accuracy = network.accuracy(self.spec, self.history.params, self.data.train_X,
                                              self.data.train_Y)
        return assess(self.history.costs, None if regression else train_accuracy,
                      None if regression else self.data.train_Y)

    def figures(self) -> dict[str, Plot]:
        """The cost curve and, on two-feature data, the decision boundary."""
        h, ds = self.history, self.data
        figs = {"cost": Plot("costs", {"iterations": h.iterations, "costs": h.costs,
                                       "title": self.spec.describe()})}
        if ds.n_features == 2 and self.spec.head.task != "regression":
            figs["decision_boundary"] = Plot("network_boundary", {
                "spec": self.spec, "params": h.params, "X": ds.train_X, "Y": ds.train_Y})
        return figs

    def sections(self) -> list[Section]:
        """The costs and accuracies with the figures."""
        doc = self.to_json()
        acc = [[k.replace("_", " "), doc[k]] for k in ("train_accuracy", "test_accuracy") if k in doc]
        images = [Image(k, f"{k}.png", id=f"fig-{k}") for k in self.figures()]
        about = (f"{doc['network']} on {doc['dataset']}, trained by engine {doc['engine']} in "
                 f"{doc['seconds']:.3f} s. Outcome: {doc['status']}.")
        notes = [f"Problem: {p}." for p in doc["problems"]]
        return [Section("Training", [about, *notes], tables=[
            Table(["iteration", "cost"], list(zip(doc["iterations"], doc["costs"], strict=True)),
                  caption="Recorded costs", fmt="{!r}"),
            Table(["set", "accuracy"], acc, caption="Accuracy", fmt="{!r}")],
            images=images, id="training")]
