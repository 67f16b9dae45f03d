"""How a training run went: one classification shared by ``initlab train`` and the sweeps.

A run is ``diverged`` when its cost became non-finite, ``chance`` when its train accuracy is no
better than always answering the majority class (within :data:`CHANCE_MARGIN`), else ``trained``.
:func:`assess` adds what the history shows beyond the status: a cost that ended higher than it
started (the run blew up without becoming non-finite, e.g. ``--learning-rate 1e6``) or never
moved (it stalled), with the likely cause, so no failed run reads as a result.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

#: Outcomes of a run, in the failure map's order.
STATUSES = ("trained", "chance", "diverged")
#: A run whose train accuracy is within this of the majority-class share "stalled at chance".
CHANCE_MARGIN = 0.05
#: Relative change of the cost below which a run "did not move".
STALL_TOLERANCE = 1e-6


def majority_share(Y: Array) -> float:
    """Share of the most frequent label: the accuracy of always answering it.

    ``Y`` is ``(1, m)`` 0/1 labels or ``(n_classes, m)`` one-hot columns.
    """
    labels = np.argmax(Y, axis=0) if Y.shape[0] > 1 else Y[0]
    return float(np.max(np.unique(labels, return_counts=True)[1]) / labels.size)


def status(train_acc: float, Y: Array) -> str:
    """``"chance"`` when ``train_acc`` is within :data:`CHANCE_MARGIN` of the majority share,
    else ``"trained"`` (a diverged run has no accuracy: its caller says ``"diverged"``)."""
    return "chance" if train_acc <= majority_share(Y) + CHANCE_MARGIN else "trained"


@dataclass(frozen=True)
class Outcome:
    """A run's status and the problems its history shows (empty for a healthy run).

    Attributes
    ----------
    status : str
        One of :data:`STATUSES`.
    problems : list of str
        Sentences naming what went wrong and what to change.
    """

    status: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True for a run that trained with no problem."""
        return self.status == "trained" and not self.problems


def assess(costs: Sequence[float], train_acc: float | None, Y: Array | None) -> Outcome:
    """Classify a finished run from its recorded costs and (classification) train accuracy.

    Parameters
    ----------
    costs : sequence of float
        The recorded costs, first (initial) to last.
    train_acc : float or None
        Train accuracy; ``None`` for regression.
    Y : ndarray of shape (n_y, m) or None
        The training labels (for the majority share).
    """
    if not costs or not all(math.isfinite(c) for c in costs):
        why = "the cost became non-finite; lower the learning rate or use a smaller initial scale"
        return Outcome("diverged", [why])
    first, last = float(costs[0]), float(costs[-1])
    problems = []
    if len(costs) > 1 and last > first:
        problems.append(f"the cost rose from {first:.4g} to {last:.4g} (the run blew up): lower "
                        "the learning rate")
    elif len(costs) > 1 and abs(last - first) <= STALL_TOLERANCE * max(abs(first), 1e-300):
        problems.append(f"the cost never moved from {first:.4g} (the run stalled): the weights "
                        "may be symmetric (zeros) or the learning rate too small")
    if train_acc is None or Y is None:
        return Outcome("trained", problems)
    st = status(train_acc, Y)
    if st == "chance":
        problems.append(f"train accuracy {train_acc:.4g} is no better than always answering the "
                        f"majority class ({majority_share(Y):.4g}): the run is at chance")
    return Outcome(st, problems)
