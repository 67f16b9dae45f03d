"""Train a network: the one entry point, :func:`train`.

The settings, history and loop every engine shares live in :mod:`initlab.engines.base`; the
reference arithmetic in :mod:`initlab.engines.numpy`; they are re-exported here, where users
have always found them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from initlab import engines
from initlab.engines.base import (
    METRICS,
    BatchSchedule,
    Callback,
    History,
    TrainConfig,
    check_inputs,
    diverged,
    drive,
)
from initlab.engines.numpy import l2_loss_and_grads, train_numpy
from initlab.network import Params, Spec

__all__ = [
    "METRICS",
    "BatchSchedule",
    "Callback",
    "History",
    "TrainConfig",
    "check_inputs",
    "diverged",
    "drive",
    "l2_loss_and_grads",
    "train",
    "train_numpy",
]


def train(
    spec: Spec,
    params: Params,
    X: Any,
    Y: Any,
    *,
    optimizer: str = "gd",
    learning_rate: float = 0.01,
    num_iterations: int = 15000,
    record_every: int = 1000,
    batch_size: int | None = None,
    seed: int = 0,
    l2: float = 0.0,
    metrics: Sequence[str] = (),
    callbacks: Sequence[Callback] = (),
    print_cost: bool = False,
    progress: bool | None = None,
    engine: str = "auto",
    **optimizer_options: float,
) -> History:
    """Train ``spec`` from ``params`` on ``(X, Y)`` and return its :class:`History`.

    Parameters
    ----------
    spec : Spec
    params : dict of ndarray
        Initial parameters; not modified.
    X : array-like of shape (n_x, m)
    Y : array-like of shape (n_y, m)
    optimizer : {"gd", "momentum", "adam"}
    learning_rate : float
    num_iterations : int
        Number of parameter updates (steps).
    record_every : int
        Record (and with ``print_cost`` print) the cost every this many steps.
    batch_size : int, optional
        Mini-batch size; ``None`` is full batch (the tutorial's).
    seed : int
        Seed of the mini-batch shuffling.
    l2 : float
        L2 penalty strength (0 for none).
    metrics : sequence of {"accuracy", "train_cost"}
        Measured on the whole training set at each recorded step.
    callbacks : sequence of callable ``(step, cost, params) -> bool | None``
        Called at each recorded step after its update; returning False stops training.
    progress : bool, optional
        Show a progress bar; ``None`` shows one only on a terminal.
    engine : str
        ``"auto"`` picks the fastest engine that supports the request; ``"numpy"`` is the
        reference loop (see :func:`initlab.engines.names`).
    **optimizer_options : float
        E.g. ``beta`` (momentum), ``beta1``, ``beta2``, ``epsilon`` (adam).
    """
    Xa, Ya = check_inputs(spec, params, X, Y)
    config = TrainConfig(
        optimizer, learning_rate, num_iterations, record_every, tuple(optimizer_options.items()),
        batch_size, seed, l2, tuple(metrics), progress,
    )
    BatchSchedule(Xa.shape[1], batch_size, seed)  # validates the batch size against the data
    fit = engines.get(engine, spec, config, callbacks)
    history: History = fit(spec, params, Xa, Ya, config, callbacks=callbacks, print_cost=print_cost)
    return history
