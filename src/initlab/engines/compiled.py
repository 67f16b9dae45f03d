"""The compiled engines: one model (``numba``) or K models at once (``batched``), same maths.

Parameters travel as one flat float64 vector per model (see :mod:`.kernels`); this module packs
and unpacks them, encodes the network and optimizer as numbers, and runs the kernels in chunks
through :func:`initlab.engines.base.drive`, so history, metrics, callbacks and errors are the reference
engine's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from initlab import activations as act_mod
from initlab import losses
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

_ACT_NAMES = (
    "identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu",
    "selu", "gelu", "silu", "softplus", "erf",
)
_HEAD_NAMES = ("sigmoid", "softmax", "linear")


def supports(spec: Spec) -> bool:
    """True when every activation and the head are registry entries the kernels implement."""
    for a in spec.activations:
        builtin = a.name in ("leaky_relu", "elu") or (
            a.name in _ACT_NAMES and act_mod.get(a.name) is a
        )
        if not builtin:
            return False
    return spec.head.name in _HEAD_NAMES and spec.head is losses.HEADS.get(spec.head.name)


@dataclass(frozen=True)
class Encoded:
    """The network and optimizer as the kernels take them."""

    dims: NDArray[np.int64]
    acts: NDArray[np.int64]
    aparams: Array
    head: int
    l2: float
    opt: int
    hyper: Array

    @classmethod
    def of(cls, spec: Spec, config: TrainConfig) -> Encoded:
        from initlab.engines.loops import ACT_CODES, HEAD_CODES, OPT_CODES

        acts = [ACT_CODES[a.name] for a in spec.activations] or [0]
        aparams = [next(iter(a.params.values()), 0.0) for a in spec.activations] or [0.0]
        opt = config.make_optimizer()
        # the optimizer's own fields, in the order the kernel's update reads them
        keys = {"gd": (), "momentum": ("beta",), "adam": ("beta1", "beta2", "epsilon")}
        hyper = [opt.learning_rate, *(float(getattr(opt, k)) for k in keys[config.optimizer])]
        hyper += [0.0] * (4 - len(hyper))
        return cls(
            np.asarray(spec.dims, dtype=np.int64), np.asarray(acts, dtype=np.int64),
            np.asarray(aparams, dtype=np.float64), HEAD_CODES[spec.head.name], float(config.l2),
            OPT_CODES[config.optimizer], np.asarray(hyper, dtype=np.float64),
        )

    def args(self) -> tuple[Any, ...]:
        return (self.dims, self.acts, self.aparams, self.head, self.l2, self.opt, self.hyper)

    def network(self) -> tuple[list[int], list[int]]:
        """Layer sizes and activation codes as plain ints (what :mod:`.specialized` keys on)."""
        return [int(d) for d in self.dims], [int(a) for a in self.acts]


#: A specialised kernel not yet compiled on this machine is compiled (~20 s, once per network)
#: when the run would take longer than this in the generic kernel; a compiled one is always used.
SPECIALIZE_AFTER_S = 60.0
#: The generic kernel's rate per core (multiply-adds per second), for that estimate.
GENERIC_MACS_PER_S = 3e9


def kernel_module(enc: Encoded, examples: int = 0, models: int = 0, steps: int = 0) -> ModuleType:
    """The kernels to run: :mod:`.specialized` for this network where it is compiled already or
    the run is long enough to pay for compiling it, else the generic :mod:`.kernels`.

    Both give the same results to the last bits of a float64 sum's order; one network always
    gets the same module within a process once compiled, so batched members and single runs
    stay equal.
    """
    from initlab.engines import loops as kernels
    from initlab.engines import specialized

    dims, acts = enc.network()
    if not specialized.supports(dims):
        return kernels
    macs = 3 * sum(dims[i] * dims[i + 1] for i in range(len(dims) - 1))  # forward + backward
    seconds = examples * models * steps * macs / GENERIC_MACS_PER_S
    if specialized.is_cached(dims, acts) or seconds > SPECIALIZE_AFTER_S:
        return specialized.load(dims, acts) or kernels
    return kernels


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
                callbacks: Sequence[Callback] = (), print_cost: bool = False,
                kernels: ModuleType | None = None) -> History:
    """One model through the compiled kernel; results equal :func:`initlab.engines.numpy.train_numpy`.

    ``kernels`` overrides :func:`kernel_module`'s choice (see :func:`prepare`).
    """
    enc = Encoded.of(spec, config)
    run_steps = (kernels or kernel_module(enc, X.shape[1], 1, config.num_iterations)).run_steps
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


def prepare(spec: Spec) -> ModuleType:
    """Compile (or load) the kernels :func:`kernel_module` would pick for this network once its
    specialised module is compiled, and return them: one step of each engine on dummy data."""
    from initlab.engines import loops as kernels
    from initlab.engines import specialized

    enc = Encoded.of(spec, TrainConfig(num_iterations=1))
    dims, acts = enc.network()
    chosen = (specialized.load(dims, acts) if specialized.supports(dims) else None) or kernels
    X, Y = np.zeros((dims[0], 4)), np.zeros((dims[-1], 4))
    p = init_params(spec, "zeros", rng=0)
    cfg = TrainConfig(num_iterations=1)
    train_numba(spec, p, X, Y, cfg, kernels=chosen)
    train_batched(spec, [p], X, Y, cfg, kernels=chosen)
    return chosen


def _raise_if_diverged(bad: int, i0: int, n: int, model: str = "") -> None:
    if bad == n:
        raise diverged(i0 + n - 1, model + "the parameters")
    if bad >= 0:
        raise diverged(i0 + bad, model + "the cost")


def train_batched(spec: Spec, params_list: Sequence[Params], X: Array, Y: Array,
                  config: TrainConfig, kernels: ModuleType | None = None) -> list[History]:
    """K models of one architecture on the same data, one thread per model (both cores).

    Member k equals its own :func:`train_numba` run bit for bit: it runs the same kernel on the
    same batches. Callbacks are not supported here; metrics are, per model.
    """
    from numba import parallel_chunksize

    K = len(params_list)
    enc = Encoded.of(spec, config)
    chosen = kernels or kernel_module(enc, X.shape[1], K, config.num_iterations)
    run_steps_many = chosen.run_steps_many
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
