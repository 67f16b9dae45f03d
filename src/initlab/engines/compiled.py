"""The compiled engines: one model (``numba``) or K models at once (``batched``), same maths.

Parameters travel as one flat float64 vector per model (see :mod:`.loops`); this module packs
and unpacks them, encodes the network and optimizer by their registries' codes, and runs the
kernels in chunks through :func:`initlab.engines.base.drive`, so history, metrics, callbacks and
errors are the reference engine's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from initlab.core.errors import InitlabError
from initlab.engines.base import (
    METRICS,
    BatchSchedule,
    Callback,
    History,
    TrainConfig,
    diverged,
    drive,
)
from initlab.network import Params, Spec, init_params

Array = NDArray[np.float64]

def _unsupported(spec: Spec) -> str | None:
    """Why the kernels cannot run ``spec``, or None when they can."""
    from initlab.engines.loops import ACTIVATION_CODES, HEAD_CODES

    for a in spec.activations:
        if a.code not in ACTIVATION_CODES:
            return f"activation {a.name!r} (code {a.code}) is not one the compiled kernels implement"
    if spec.head.code not in HEAD_CODES:
        return f"head {spec.head.name!r} (code {spec.head.code}) is not one the compiled kernels implement"
    return None


def supports(spec: Spec) -> bool:
    """True when every activation and the head carry a code the kernels implement."""
    return _unsupported(spec) is None


@dataclass(frozen=True)
class Encoded:
    """The network and optimizer as the kernels take them: codes from the registries."""

    dims: NDArray[np.int64]
    acts: NDArray[np.int64]
    aparams: Array
    head: int
    l2: float
    opt: int
    hyper: Array

    @classmethod
    def of(cls, spec: Spec, config: TrainConfig) -> Encoded:
        """Encode ``spec`` and ``config``; raises :class:`InitlabError` for what the kernels lack."""
        from initlab.engines.loops import OPTIMIZER_CODES

        why = _unsupported(spec)
        opt = config.make_optimizer()
        if why is None and opt.code not in OPTIMIZER_CODES:
            why = f"optimizer {config.optimizer!r} (code {opt.code}) is not one the kernels implement"
        if why is not None:
            raise InitlabError(f"the compiled engines cannot train {spec.describe()}: {why}; "
                               "use engine 'numpy'")
        acts = [int(a.code) for a in spec.activations] or [0]  # type: ignore[arg-type]
        aparams = [next(iter(a.params.values()), 0.0) for a in spec.activations] or [0.0]
        hyper = [opt.learning_rate, *(float(getattr(opt, k)) for k in opt.hyper)]
        hyper += [0.0] * (4 - len(hyper))
        return cls(
            np.asarray(spec.dims, dtype=np.int64), np.asarray(acts, dtype=np.int64),
            np.asarray(aparams, dtype=np.float64), int(spec.head.code),  # type: ignore[arg-type]
            float(config.l2), opt.code, np.asarray(hyper, dtype=np.float64),
        )

    def args(self) -> tuple[Any, ...]:
        return (self.dims, self.acts, self.aparams, self.head, self.l2, self.opt, self.hyper)


def pack(spec: Spec, params: Params) -> Array:
    """``W1, b1, W2, b2, ...`` flattened into one float64 vector."""
    parts = []
    for l in range(1, spec.n_layers + 1):
        parts += [np.ravel(params[f"W{l}"]), np.ravel(params[f"b{l}"])]
    return np.ascontiguousarray(np.concatenate(parts), dtype=np.float64)


def unpack(spec: Spec, theta: Array) -> Params:
    """Inverse of :func:`pack`; returns copies."""
    out: Params = {}
    off = 0
    for l in range(1, spec.n_layers + 1):
        n, p = spec.dims[l], spec.dims[l - 1]
        out[f"W{l}"] = theta[off:off + n * p].reshape(n, p).copy()
        out[f"b{l}"] = theta[off + n * p:off + n * p + n].reshape(n, 1).copy()
        off += n * (p + 1)
    return out


def train_numba(spec: Spec, params: Params, X: Array, Y: Array, config: TrainConfig,
                callbacks: Sequence[Callback] = (), print_cost: bool = False) -> History:
    """One model through the compiled kernel; results equal
    :func:`initlab.engines.numpy.train_numpy` to the last bits (sums in another order)."""
    from initlab.engines.loops import run_steps

    enc = Encoded.of(spec, config)
    theta = pack(spec, params)
    s1, s2 = np.zeros_like(theta), np.zeros_like(theta)
    Xc, Yc = np.ascontiguousarray(X), np.ascontiguousarray(Y)
    sched = BatchSchedule(X.shape[1], config.batch_size, config.seed)
    dims, acts, aparams, head, l2, opt, hyper = enc.args()

    def chunk(i0: int, n: int) -> Array:
        idx, starts = sched.take(n)
        costs = np.empty(n)
        bad = run_steps(theta, s1, s2, i0, dims, acts, aparams, head, l2, opt, hyper,
                        Xc, Yc, idx, starts, costs)
        _raise_if_diverged(int(bad), i0, n)
        return costs

    return drive(chunk, lambda: unpack(spec, theta), spec, X, Y, config, callbacks, print_cost,
                 "numba")


def prepare(spec: Spec) -> None:
    """Compile (or load from the cache) the kernels for ``spec``'s codes: one step of each
    engine on dummy data."""
    dims = spec.dims
    X, Y = np.zeros((dims[0], 4)), np.zeros((dims[-1], 4))
    p = init_params(spec, "zeros", rng=0)
    cfg = TrainConfig(num_iterations=1)
    train_numba(spec, p, X, Y, cfg)
    train_batched(spec, [p], X, Y, cfg)


def _raise_if_diverged(bad: int, i0: int, n: int, model: str = "") -> None:
    if bad == n:
        raise diverged(i0 + n - 1, model + "the parameters")
    if bad >= 0:
        raise diverged(i0 + bad, model + "the cost")


def train_batched(spec: Spec, params_list: Sequence[Params], X: Array, Y: Array,
                  config: TrainConfig) -> list[History]:
    """K models of one architecture on the same data, one thread per model (both cores).

    Member k runs the same steps on the same batches as its own :func:`train_numba` run, equal
    to the last bits, whatever K and the other members. Callbacks are not supported here;
    metrics are, per model.
    """
    from numba import parallel_chunksize

    from initlab.engines.loops import run_steps_many

    K = len(params_list)
    enc = Encoded.of(spec, config)
    thetas = np.stack([pack(spec, p) for p in params_list])
    s1, s2 = np.zeros_like(thetas), np.zeros_like(thetas)
    Xc, Yc = np.ascontiguousarray(X), np.ascontiguousarray(Y)
    sched = BatchSchedule(X.shape[1], config.batch_size, config.seed)
    status = np.empty(K, dtype=np.int64)
    per_step: list[Array] = []
    logs: list[dict[str, list[float]]] = [{name: [] for name in config.metrics} for _ in range(K)]

    def chunk(i0: int, n: int) -> Array:
        idx, starts = sched.take(n)
        costs = np.empty((K, n))
        # threads take one model at a time, so a core slowed by other work runs fewer models
        # instead of holding up the batch
        with parallel_chunksize(1):
            run_steps_many(thetas, s1, s2, i0, *enc.args(), Xc, Yc, idx, starts, costs, status)
        for k in range(K):
            _raise_if_diverged(int(status[k]), i0, n, f"model {k}: ")
        if i0 % config.record_every == 0:  # a recorded step leads this chunk
            per_step.append(costs[:, 0])
        first_model: Array = costs[0]
        return first_model

    def measure(i: int, cost: float, p0: Params) -> None:
        for k in range(K):
            pk = unpack(spec, thetas[k])
            for name, values in logs[k].items():
                values.append(METRICS[name](spec, pk, X, Y))

    cbs = (measure,) if config.metrics else ()
    first = drive(chunk, lambda: unpack(spec, thetas[0]), spec, X, Y,
                  replace(config, metrics=()), cbs, False, "batched")
    return [History(list(first.iterations), [float(c[k]) for c in per_step],
                    unpack(spec, thetas[k]), "batched", first.seconds, logs[k])
            for k in range(K)]
