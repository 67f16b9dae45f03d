"""The training loop: full-batch or mini-batch descent with a recorded history.

:func:`train` is the one entry point; engines (``initlab.engines``) provide faster loops with the
same maths. The reference loop here mirrors the tutorial's ``model``: forward, cost, backward,
update, and the cost recorded every ``record_every`` steps *before* that step's update.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import network, optim
from .errors import InitlabError, check_data, check_positive_int
from .network import Params, Spec

Array = NDArray[np.float64]
Callback = Callable[[int, float, Params], bool | None]


@dataclass
class History:
    """What a training run produced.

    Attributes
    ----------
    iterations : list of int
        Steps at which the cost was recorded (0, 1000, ...).
    costs : list of float
        The cost at those steps, before that step's update.
    params : dict
        Final parameters.
    engine : str
        Which engine ran the loop.
    seconds : float
        Wall time of the loop.
    """

    iterations: list[int]
    costs: list[float]
    params: Params
    engine: str = "numpy"
    seconds: float = 0.0
    metrics: dict[str, list[float]] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainConfig:
    """Validated training settings shared by every engine."""

    optimizer: str = "gd"
    learning_rate: float = 0.01
    num_iterations: int = 15000
    record_every: int = 1000
    optimizer_options: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        optim.get(self.optimizer, self.learning_rate, **dict(self.optimizer_options))
        check_positive_int(self.num_iterations, "number of iterations")
        check_positive_int(self.record_every, "record interval")


def _diverged(step: int, cost: float) -> InitlabError:
    return InitlabError(
        f"training diverged: the cost became {cost} at step {step}; "
        "lower the learning rate or use a smaller initial scale"
    )


def train_numpy(
    spec: Spec,
    params: Params,
    X: Array,
    Y: Array,
    config: TrainConfig,
    callbacks: Sequence[Callback] = (),
    print_cost: bool = False,
) -> History:
    """The reference loop (readable, and the oracle the faster engines are tested against)."""
    params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    opt = optim.get(config.optimizer, config.learning_rate, **dict(config.optimizer_options))
    its: list[int] = []
    costs: list[float] = []
    t0 = time.perf_counter()
    for i in range(config.num_iterations):
        cost, grads = network.loss_and_grads(spec, params, X, Y)
        if not np.isfinite(cost):
            raise _diverged(i, cost)
        opt.step(params, grads)
        if i % config.record_every == 0:
            its.append(i)
            costs.append(cost)
            if print_cost:
                print(f"Cost after iteration {i}: {cost}")
            if any(cb(i, cost, params) is False for cb in callbacks):
                break
    return History(its, costs, params, "numpy", time.perf_counter() - t0)


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
    callbacks: Sequence[Callback] = (),
    print_cost: bool = False,
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
    record_every : int
        Record (and with ``print_cost`` print) the cost every this many steps.
    engine : str
        ``"auto"`` picks the fastest engine that supports the request; ``"numpy"`` is the
        reference loop.
    """
    Xa, Ya = check_data(X, Y)
    if Xa.shape[0] != spec.dims[0] or Ya.shape[0] != spec.dims[-1]:
        raise InitlabError(
            f"data has {Xa.shape[0]} features and {Ya.shape[0]} label rows, but the network "
            f"{spec.describe()} needs {spec.dims[0]} and {spec.dims[-1]}"
        )
    network.check_params(spec, params)
    config = TrainConfig(
        optimizer, learning_rate, num_iterations, record_every, tuple(optimizer_options.items())
    )
    from . import engines

    fit = engines.get(engine, spec, config, callbacks)
    return fit(spec, params, Xa, Ya, config, callbacks=callbacks, print_cost=print_cost)
