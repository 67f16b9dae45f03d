"""The reference engine: readable NumPy, one step at a time.

Its arithmetic is the tutorial's (:func:`initlab.network.loss_and_grads` then the optimizer's
update), and it is the oracle the compiled engines are tested against.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from initlab import network
from initlab.engines.base import (
    Array,
    BatchSchedule,
    Callback,
    History,
    TrainConfig,
    diverged,
    drive,
)
from initlab.network import Params, Spec


def l2_loss_and_grads(spec: Spec, params: Params, X: Array, Y: Array, l2: float) -> tuple[float, Params]:
    """:func:`network.loss_and_grads` plus the L2 penalty ``l2/(2m) sum ||W||^2``."""
    cost, grads = network.loss_and_grads(spec, params, X, Y)
    if l2 > 0:
        m = X.shape[1]
        reg = sum(float(np.sum(params[f"W{l}"] ** 2)) for l in range(1, spec.n_layers + 1))
        cost += l2 / (2 * m) * reg
        for l in range(1, spec.n_layers + 1):
            grads[f"dW{l}"] = grads[f"dW{l}"] + l2 / m * params[f"W{l}"]
    return cost, grads


def train_numpy(spec: Spec, params: Params, X: Array, Y: Array, config: TrainConfig,
                callbacks: Sequence[Callback] = (), print_cost: bool = False) -> History:
    """The reference engine: readable NumPy, and the oracle the faster engines are tested against."""
    p = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    opt = config.make_optimizer()
    sched = BatchSchedule(X.shape[1], config.batch_size, config.seed)

    def chunk(i0: int, n: int) -> Array:
        idx, starts = sched.take(n)
        costs = np.empty(n)
        for s in range(n):
            sel = idx[starts[s]:starts[s + 1]]
            Xb, Yb = (X, Y) if sched.full else (X[:, sel], Y[:, sel])
            with np.errstate(over="ignore", invalid="ignore"):  # divergence is caught below
                cost, grads = l2_loss_and_grads(spec, p, Xb, Yb, config.l2)
            if not math.isfinite(cost):
                raise diverged(i0 + s)
            opt.step(p, grads)
            costs[s] = cost
        if not all(np.all(np.isfinite(v)) for v in p.values()):
            raise diverged(i0 + n - 1, "the parameters")
        return costs

    return drive(chunk, lambda: {k: v.copy() for k, v in p.items()}, spec, X, Y, config,
                 callbacks, print_cost, "numpy")
