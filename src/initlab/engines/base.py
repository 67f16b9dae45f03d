"""What every training engine shares: settings, history, batch order and the driving loop.

Every engine advances in *chunks* of steps through :func:`drive`, which owns what is common:
the history (cost recorded every ``record_every`` steps, *before* that step's update, as in the
tutorial's ``model``), metrics, callbacks, the progress bar and the divergence check. This is
the bottom of the training layer: the engines and the :mod:`initlab.train` facade import it,
it imports neither.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from initlab import network, optim
from initlab.core.errors import (
    Diverged,
    InitlabError,
    check_data,
    check_positive_float,
    check_positive_int,
    lookup,
)
from initlab.network import Params, Spec

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]
Callback = Callable[[int, float, Params], bool | None]
#: ``chunk(i0, n)`` runs steps ``i0 .. i0+n-1`` and returns their costs, shape (n,).
Chunk = Callable[[int, int], Array]


@dataclass
class History:
    """What a training run produced.

    Attributes
    ----------
    iterations : list of int
        Steps at which the cost was recorded (0, 1000, ...).
    costs : list of float
        The cost at those steps, before that step's update (of that step's batch).
    params : dict
        Final parameters.
    engine : str
        Which engine ran the loop.
    seconds : float
        Wall time of the loop.
    metrics : dict of str to list of float
        Each requested metric at the recorded steps, measured on the whole training set after
        that step's update.
    """

    iterations: list[int]
    costs: list[float]
    params: Params
    engine: str = "numpy"
    seconds: float = 0.0
    metrics: dict[str, list[float]] = field(default_factory=dict)


def _accuracy(spec: Spec, params: Params, X: Array, Y: Array) -> float:
    return network.accuracy(spec, params, X, Y)


def _full_cost(spec: Spec, params: Params, X: Array, Y: Array) -> float:
    return float(spec.head.loss(network.forward(spec, params, X)[0], Y))


#: Metrics a history can record: name -> ``fn(spec, params, X, Y) -> float``.
METRICS: dict[str, Callable[[Spec, Params, Array, Array], float]] = {
    "accuracy": _accuracy,
    "train_cost": _full_cost,
}


@dataclass(frozen=True)
class TrainConfig:
    """Validated training settings shared by every engine.

    ``batch_size=None`` is full batch; otherwise each epoch visits the examples in an order
    shuffled by ``seed`` (the last batch of an epoch may be smaller). ``l2`` adds
    ``l2 / (2 m) * sum ||W||^2`` to the cost (``m`` the batch size). ``progress=None`` shows a
    bar only on a terminal.
    """

    optimizer: str = "gd"
    learning_rate: float = 0.01
    num_iterations: int = 15000
    record_every: int = 1000
    optimizer_options: tuple[tuple[str, float], ...] = ()
    batch_size: int | None = None
    seed: int = 0
    l2: float = 0.0
    metrics: tuple[str, ...] = ()
    progress: bool | None = None

    def __post_init__(self) -> None:
        self.make_optimizer()
        check_positive_int(self.num_iterations, "number of iterations")
        check_positive_int(self.record_every, "record interval")
        if self.batch_size is not None:
            check_positive_int(self.batch_size, "batch size")
        check_positive_int(self.seed, "shuffle seed", minimum=0)
        check_positive_float(self.l2, "L2 strength", allow_zero=True)
        for name in self.metrics:
            lookup(METRICS, name, "metric")

    def make_optimizer(self) -> optim.GD | optim.Momentum | optim.Adam:
        """A fresh optimizer with this config's settings."""
        return optim.get(self.optimizer, self.learning_rate, **dict(self.optimizer_options))


class BatchSchedule:
    """Which example columns each step uses: all of them, or shuffled mini-batches.

    Every engine draws from the same schedule, so a mini-batch run gives the same batches on
    every engine for the same ``seed``.
    """

    def __init__(self, m: int, batch_size: int | None, seed: int) -> None:
        if batch_size is not None and not 1 <= batch_size <= m:
            raise InitlabError(f"batch size must be between 1 and {m} (the examples), got {batch_size}")
        self.m = m
        self.full = batch_size is None or batch_size == m
        self.batch_size = batch_size or m
        self._rng = np.random.default_rng(seed)
        self._perm: IntArray = np.empty(0, dtype=np.int64)
        self._pos = 0

    def take(self, n: int) -> tuple[IntArray, IntArray]:
        """Index arrays of the next ``n`` steps: ``idx[starts[s]:starts[s+1]]`` is step ``s``.

        For full batch ``idx`` is empty (engines then use the data as it is).
        """
        if self.full:
            return np.empty(0, dtype=np.int64), np.zeros(n + 1, dtype=np.int64)
        parts, starts = [], [0]
        for _ in range(n):
            if self._pos >= self.m:
                self._perm, self._pos = np.empty(0, dtype=np.int64), 0
            if self._pos == 0:
                self._perm = self._rng.permutation(self.m).astype(np.int64)
            batch = self._perm[self._pos:self._pos + self.batch_size]
            self._pos += len(batch)
            parts.append(batch)
            starts.append(starts[-1] + len(batch))
        return np.concatenate(parts), np.asarray(starts, dtype=np.int64)


def diverged(step: int, what: str = "the cost") -> Diverged:
    """The error every engine raises when training produces a non-finite value."""
    return Diverged(
        f"training diverged: {what} became non-finite at step {step}; "
        "lower the learning rate or use a smaller initial scale", step)


class _Recorder:
    """History, metrics, callbacks, printing and the progress bar of one run."""

    def __init__(self, spec: Spec, X: Array, Y: Array, config: TrainConfig,
                 callbacks: Sequence[Callback], print_cost: bool) -> None:
        from tqdm.auto import tqdm

        self.spec, self.X, self.Y, self.config = spec, X, Y, config
        self.callbacks, self.print_cost = callbacks, print_cost
        self.its: list[int] = []
        self.costs: list[float] = []
        self.metrics: dict[str, list[float]] = {k: [] for k in config.metrics}
        disable = None if config.progress is None else not config.progress
        self.bar = tqdm(total=config.num_iterations, disable=disable, leave=False, unit="step")

    @property
    def needs_params(self) -> bool:
        return bool(self.callbacks or self.config.metrics)

    def record(self, i: int, cost: float, params: Callable[[], Params]) -> bool:
        """Record step ``i``; False when a callback asked to stop."""
        self.its.append(i)
        self.costs.append(float(cost))
        if self.print_cost:
            print(f"Cost after iteration {i}: {cost}")
        if not self.needs_params:
            return True
        p = params()
        for name, values in self.metrics.items():
            values.append(METRICS[name](self.spec, p, self.X, self.Y))
        return not any(cb(i, float(cost), p) is False for cb in self.callbacks)


def drive(chunk: Chunk, params: Callable[[], Params], spec: Spec, X: Array, Y: Array,
          config: TrainConfig, callbacks: Sequence[Callback] = (), print_cost: bool = False,
          engine: str = "numpy") -> History:
    """Run ``config.num_iterations`` steps through ``chunk`` and build the :class:`History`.

    ``chunk(i0, n)`` runs steps ``i0 .. i0+n-1`` and returns their costs (raising
    :func:`diverged` on a non-finite value); ``params()`` returns the current parameters. When
    metrics or callbacks need the parameters right after a recorded step, that step runs alone.
    """
    rec = _Recorder(spec, X, Y, config, callbacks, print_cost)
    N, R = config.num_iterations, config.record_every
    t0 = time.perf_counter()
    try:
        i = 0
        while i < N:
            first = 1 if rec.needs_params else min(R, N - i)
            costs = chunk(i, first)
            go_on = rec.record(i, costs[0], params)
            rest = min(R, N - i) - first
            if go_on and rest > 0:
                chunk(i + first, rest)
            rec.bar.update(first + rest)
            i += first + rest
            if not go_on:
                break
    finally:
        rec.bar.close()
    seconds = time.perf_counter() - t0
    return History(rec.its, rec.costs, params(), engine, seconds, rec.metrics)


def check_inputs(spec: Spec, params: Params, X: Any, Y: Any) -> tuple[Array, Array]:
    """Validate data against the network; returns float64 ``(X, Y)``."""
    Xa, Ya = check_data(X, Y)
    if Xa.shape[0] != spec.dims[0] or Ya.shape[0] != spec.dims[-1]:
        raise InitlabError(
            f"data has {Xa.shape[0]} features and {Ya.shape[0]} label rows, but the network "
            f"{spec.describe()} needs {spec.dims[0]} and {spec.dims[-1]}"
        )
    network.check_params(spec, params)
    for k, v in params.items():
        if not np.all(np.isfinite(v)):
            raise InitlabError(f"initial parameter {k} contains NaN or infinite values")
    return Xa, Ya
