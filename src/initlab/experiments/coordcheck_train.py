"""Training for the coordinate check: seed stacks of an MLP in NumPy float64, and the store.

Every seed of one width trains as one stack of matrices ``(S, n_out, n_in)`` (NumPy BLAS per
slice) with initlab's activations, heads (``losses.output_gradient``) and optimizers, one optimizer
per layer at its role's learning rate (:mod:`initlab.theory.parametrization`). Each seed draws its
weights from ``default_rng([seed, width, s])``, so a seed's numbers do not depend on which other
seeds share its stack. :func:`cell_values` reads a cell from, or adds it to, the sweep store.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from initlab import activations, losses, optim
from initlab.theory import parametrization as ptz
from initlab.theory.meanfield import BatchSummary, predict_layers

Array = NDArray[np.float64]
#: Coordinate-check optimizer names that initlab's optimizer registry spells differently.
_OPTIM_NAMES = {"sgd": "gd"}
_CHUNK_FLOATS = 40_000_000  # weights held per seed stack (~320 MB); wider grids go seed by seed


@dataclass(frozen=True)
class Cell:
    """What one stack of seeds trains: a parametrization, an optimizer and a depth at one width."""

    param: str
    optimizer: str
    lr: float
    dims: tuple[int, ...]
    width: int


@dataclass(frozen=True)
class Setup:
    """Shared by every cell: batch, activation, head, gain, base width, statistic, steps."""

    X: Array
    Y: Array
    activation: str
    head: str
    gain: float
    base_width: int
    statistic: str
    steps: int
    seed: int = 0


def _stat(h: Array, statistic: str) -> Array:
    """Per-seed statistic of a stack ``(S, n, m)``: mean |h| or root mean square."""
    out: Array = np.abs(h).mean(axis=(1, 2)) if statistic == "l1" else np.sqrt(
        (h * h).mean(axis=(1, 2)))
    return out


def _init(cell: Cell, setup: Setup, seeds: Sequence[int]) -> tuple[list[Array], list[float]]:
    """Trained parameters ``w`` (one ``(S, out, in)`` stack per layer) and forward multipliers."""
    p = ptz.get(cell.param)
    ratio = cell.width / setup.base_width
    roles = ptz.layer_roles(len(cell.dims) - 2)
    rngs = [np.random.default_rng([setup.seed, cell.width, s]) for s in seeds]
    ws, mults = [], []
    for l, role in enumerate(roles):
        shape = (cell.dims[l + 1], cell.dims[l])
        std = p.init_std(role, cell.dims[l], ratio, setup.gain)
        w = np.empty((len(rngs), *shape))
        for i, r in enumerate(rngs):
            r.standard_normal(out=w[i])
        w *= std
        ws.append(w)
        mults.append(p.multiplier(role, ratio))
    return ws, mults


def train_cell(cell: Cell, setup: Setup, seeds: Sequence[int]) -> tuple[Array, Array]:
    """Train one stack of seeds; returns ``size`` and ``change``, each ``(steps+1, L, S)``.

    A seed whose numbers stop being finite gets NaN from that step on (the caller marks it
    diverged and never fits it).
    """
    act, head = activations.get(setup.activation), losses.get(setup.head)
    ws, mults = _init(cell, setup, seeds)
    p, ratio = ptz.get(cell.param), cell.width / setup.base_width
    roles = ptz.layer_roles(len(ws) - 1)
    name = _OPTIM_NAMES.get(cell.optimizer, cell.optimizer)
    opts = [optim.get(name, p.learning_rate(r, cell.optimizer, cell.lr, ratio))
            for r in roles]
    S, L = len(seeds), len(ws)
    size = np.full((setup.steps + 1, L, S), np.nan)
    change = np.full((setup.steps + 1, L, S), np.nan)
    h0: list[Array] = []
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(setup.steps + 1):
            hs, As = _forward(ws, mults, setup.X, act)
            h0 = h0 or [h.copy() for h in hs]
            for l, h in enumerate(hs):
                size[t, l] = _stat(h, setup.statistic)
                change[t, l] = _stat(h - h0[l], setup.statistic)
            if t == setup.steps:
                break
            grads = _backward(ws, mults, hs, As, setup.Y, act, head)
            for l, (opt, g) in enumerate(zip(opts, grads, strict=True)):
                box = {f"W{l + 1}": ws[l]}
                opt.step(box, {f"dW{l + 1}": g})
                ws[l] = box[f"W{l + 1}"]
    bad = ~np.isfinite(size) | ~np.isfinite(change)
    bad = np.maximum.accumulate(bad, axis=0).any(axis=1, keepdims=True)
    return np.where(bad, np.nan, size), np.where(bad, np.nan, change)


def _forward(ws: list[Array], mults: list[float], X: Array,
             act: activations.Activation) -> tuple[list[Array], list[Array]]:
    """Pre-activations ``h_l = m_l w_l a_{l-1}`` and activations, each ``(S, n_l, batch)``."""
    a: Array = np.broadcast_to(X, (ws[0].shape[0], *X.shape))
    hs, As = [], [a]
    for l, (w, m) in enumerate(zip(ws, mults, strict=True)):
        h = w @ a if m == 1.0 else m * (w @ a)
        hs.append(h)
        if l < len(ws) - 1:
            a = act(h)
            As.append(a)
    return hs, As


def _backward(ws: list[Array], mults: list[float], hs: list[Array], As: list[Array], Y: Array,
              act: activations.Activation, head: losses.Head) -> list[Array]:
    """Gradients of the mean loss with respect to each trained ``w_l`` (stacks like ``ws``)."""
    dZ = np.stack([losses.output_gradient(head.output(z), Y) for z in hs[-1]])
    grads: list[Array] = [np.empty(0)] * len(ws)
    for l in range(len(ws) - 1, -1, -1):
        g = dZ @ As[l].transpose(0, 2, 1)
        grads[l] = g if mults[l] == 1.0 else mults[l] * g
        if l:
            dA = ws[l].transpose(0, 2, 1) @ dZ
            dA = dA if mults[l] == 1.0 else mults[l] * dA
            dZ = dA * act.deriv(hs[l - 1], As[l])
    return grads


def seed_chunks(dims: Sequence[int], seeds: int) -> list[list[int]]:
    """Seeds trained together at one width: as many as fit :data:`_CHUNK_FLOATS` (at least one)."""
    floats = sum(a * b for a, b in itertools.pairwise(dims))
    per = max(1, _CHUNK_FLOATS // max(floats, 1))
    return [list(range(i, min(i + per, seeds))) for i in range(0, seeds, per)]


def train_grid(cell: Cell, setup: Setup, seeds: int) -> tuple[Array, Array]:
    """Every seed of one cell, in fixed chunks; ``size`` and ``change`` ``(steps+1, L, seeds)``."""
    parts = [train_cell(cell, setup, c) for c in seed_chunks(cell.dims, seeds)]
    return np.concatenate([p[0] for p in parts], axis=2), np.concatenate([p[1] for p in parts], axis=2)


def meanfield_scale(cell: Cell, setup: Setup) -> list[float]:
    """Mean-field t=0 value of the statistic per layer (width-independent for flat layers)."""
    p, ratio = ptz.get(cell.param), cell.width / setup.base_width
    roles = ptz.layer_roles(len(cell.dims) - 2)
    sw2 = [p.sigma_w2(r, ratio, setup.gain) for r in roles]
    pred = predict_layers(setup.activation, sw2, [0.0] * len(sw2), list(cell.dims),
                          BatchSummary.from_inputs(setup.X), spreads=False)
    out = []
    for rec in pred:
        wq = rec["q_reps"]
        if setup.statistic == "l1":
            out.append(sum(w * math.sqrt(2 * q / math.pi) for w, q in wq))
        else:
            out.append(math.sqrt(sum(w * q for w, q in wq)))
    return out


# ------------------------------------------------------------------------------ the whole grid


@dataclass(frozen=True)
class CoordRun:
    """One (parametrization, optimizer, depth, width, seed) run, as the sweep store keys it."""

    param: str
    optimizer: str
    learning_rate: float
    dims: tuple[int, ...]
    seed: int
    setup_key: tuple[tuple[str, Any], ...]

    @property
    def depth(self) -> int:
        """Number of hidden layers."""
        return len(self.dims) - 2

    @property
    def width(self) -> int:
        """The swept width."""
        return self.dims[1]

    @property
    def dataset(self) -> str:
        """Dataset name."""
        return str(dict(self.setup_key)["dataset"])

    @property
    def activation(self) -> str:
        """Hidden activation."""
        return str(dict(self.setup_key)["activation"])

    @property
    def init(self) -> str:
        """The store's ``init`` column: which parametrization this coordinate check ran."""
        return f"coordcheck:{self.param}"

    def canonical(self) -> dict[str, Any]:
        """Everything that determines the run's numbers."""
        return {"kind": "coordcheck", "param": self.param, "optimizer": self.optimizer,
                "learning_rate": self.learning_rate, "dims": list(self.dims), "seed": self.seed,
                "setup": dict(self.setup_key)}

    @property
    def run_id(self) -> str:
        """Hash of :meth:`canonical` (the store's primary key)."""
        text = json.dumps(self.canonical(), sort_keys=True)
        return "cc-" + hashlib.sha256(text.encode()).hexdigest()[:24]


def _store_result(size: Array, change: Array, seconds: float) -> dict[str, Any]:
    ok = bool(np.all(np.isfinite(size)))
    return {"status": "trained" if ok else "diverged", "final_cost": None, "train_accuracy": None,
            "test_accuracy": None, "steps_to_threshold": None, "seconds": seconds,
            "engine": "numpy-coordcheck", "arrays": {"size": size, "change": change}}


def stored_values(cell: Cell, seeds: int, setup_key: tuple[tuple[str, Any], ...],
                  store: Any) -> tuple[Array, Array] | None:
    """``size``, ``change`` (``(steps+1, L, seeds)``) of one cell when the store holds every
    seed of it, else None."""
    runs = cell_runs(cell, seeds, setup_key)
    if store is None or not {r.run_id for r in runs} <= store.run_ids():
        return None
    arrs = [store.arrays(r.run_id) for r in runs]
    return (np.stack([a["size"] for a in arrs], axis=2),
            np.stack([a["change"] for a in arrs], axis=2))


def cell_runs(cell: Cell, seeds: int, setup_key: tuple[tuple[str, Any], ...]) -> list[CoordRun]:
    """The store's records of one cell, one per seed."""
    return [CoordRun(cell.param, cell.optimizer, cell.lr, cell.dims, s, setup_key)
            for s in range(seeds)]


def timed_grid(cell: Cell, setup: Setup, seeds: int) -> tuple[Array, Array, float]:
    """:func:`train_grid` and its seconds per seed (what an executor runs)."""
    t0 = time.perf_counter()
    size, change = train_grid(cell, setup, seeds)
    return size, change, (time.perf_counter() - t0) / seeds


def save_values(cell: Cell, seeds: int, setup_key: tuple[tuple[str, Any], ...], store: Any,
                size: Array, change: Array, seconds: float) -> None:
    """Add one trained cell's runs to the store (one transaction)."""
    store.add([(r, _store_result(size[:, :, s], change[:, :, s], seconds))
               for s, r in enumerate(cell_runs(cell, seeds, setup_key))])
