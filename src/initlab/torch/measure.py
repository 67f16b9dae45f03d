"""Per-layer statistics of any ``nn.Module`` on a real batch: forward and backward, call by call.

:func:`measure` runs one forward and one backward pass with the hooks of
:mod:`initlab.torch.hooks`. Each module *call* in execution order gets the statistics of
:func:`initlab.theory.propagation.layer_stats` (the keys of ``initlab histograms``) for its output
(``measured``) and for the gradient of the loss with respect to that output (``gradient``). Units
are features or channels (:func:`initlab.torch._base.unit_dim`), everything else (batch,
positions, tokens) counts as samples. The statistics read each tensor's values where they lie (a
NumPy view of a float32 or float64 CPU tensor, in its own layout; one float64 copy otherwise) and
compute in float64 (:func:`initlab.theory.statistics.unit_moments`).

The default loss is the NumPy measurement's random linear readout ``L = sum(R * out)``, ``R``
standard normal drawn from ``rng`` in the (units, samples) layout, so a float64 ``nn.Sequential``
with initlab's weights reproduces :func:`initlab.theory.propagation.measure` to rounding.

The model is left as it was: parameters, buffers (BatchNorm running statistics), ``.grad``,
training flags and hooks. Randomness inside the forward (dropout in training mode) is seeded from
``seed`` and torch's own random state is put back afterwards.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from initlab.core.errors import InitlabError, check_positive_int
from initlab.core.rng import RNGLike, as_rng
from initlab.theory.propagation import Histogram, histogram, layer_stats
from initlab.torch._base import (
    Snapshot,
    activation_of,
    check_model,
    from_units,
    plain_chain,
    rms,
    scan_batch,
    seeded,
    tensors_in,
    torch,
    unit_dim,
    units_shape,
    values,
)
from initlab.torch.hooks import Call, Select, run_forward, watch


@dataclass
class CallRecord:
    """One module call: where it ran, what it output, and what flowed back into that output.

    ``measured`` and ``gradient`` are dicts keyed by
    :data:`initlab.theory.propagation.STAT_NAMES`; ``gradient`` is None where no gradient reached
    the output. ``units`` is the size of the unit dimension ``unit_dim`` of an output of ``shape``.
    """

    index: int
    name: str
    module: str
    call: int
    shape: tuple[int, ...]
    unit_dim: int
    measured: dict[str, Any]
    gradient: dict[str, Any] | None = None
    activation: str | None = None
    act_hist: Histogram | None = None
    grad_hist: Histogram | None = None

    @property
    def units(self) -> int:
        return self.shape[self.unit_dim] if self.shape else 1

    def to_json(self) -> dict[str, Any]:
        """``{name, module, call, shape, units, measured, gradient}`` (histograms left out)."""
        return {"name": self.name, "module": self.module, "call": self.call, "shape": list(self.shape),
                "units": self.units, "measured": self.measured, "gradient": self.gradient}


@dataclass
class TorchMeasurement:
    """Every call :func:`measure` saw, in execution order, with the batch's scale and the loss."""

    layers: list[CallRecord]
    input_rms: float
    loss: str
    output_rms: float
    #: The batch as (n_0, samples) float64 where the model is a plain chain
    #: (:func:`initlab.torch._base.plain_chain`) fed a 2-D batch, for its mean-field predictions.
    inputs: np.ndarray | None = field(default=None, repr=False)

    def to_json(self) -> list[dict[str, Any]]:
        return [rec.to_json() for rec in self.layers]


def measure(
    model: Any,
    batch: Any,
    *,
    modules: Select = None,
    loss: str | Callable[[Any], Any] = "readout",
    rng: RNGLike = 0,
    seed: int = 0,
    bins: int = 0,
) -> TorchMeasurement:
    """Forward and backward statistics of every selected module call of ``model`` on ``batch``.

    Parameters
    ----------
    model : torch.nn.Module
        Any model, in whatever training mode it is in (that mode is used and kept).
    batch : Tensor, or tuple/list (positional) or dict (keyword) of tensors
        The model's input, finite.
    modules : None, str, tuple of types or callable
        Which modules to record (:func:`initlab.torch.hooks.selector`); default leaf modules.
    loss : "readout" or callable ``output -> scalar tensor``
        The backward statistic's loss: the random readout (default) or the user's.
    rng : seed or numpy Generator
        Draws the readout ``R`` (one ``standard_normal`` of the output's (units, samples) shape).
    seed : int
        Seeds torch's RNG for randomness inside the forward (restored afterwards).
    bins : int
        Histogram bins per call (``initlab histograms`` uses 30); 0, the default, skips them:
        exact histograms of every output and gradient cost about twice the forward and backward.

    Returns
    -------
    TorchMeasurement
        One :class:`CallRecord` per call, in execution order.
    """
    check_model(model)
    found, in_rms = scan_batch(batch)
    bins = check_positive_int(bins, "bins", minimum=0)
    if loss != "readout" and not callable(loss):
        raise InitlabError(f"loss must be 'readout' or a callable output -> scalar, got {loss!r}")
    records: list[CallRecord] = []
    snap = Snapshot.take(model, values=False)  # parameters and .grad are never written here
    try:
        with seeded(seed), torch.enable_grad():
            leaves, batch = _leaf_batch(batch)
            params = [p for p in model.parameters() if p.requires_grad]
            reach = _ParamReach(params)
            with watch(model, _forward_cb(records, bins, reach), _backward_cb(records, bins), modules):
                out = run_forward(model, batch)
                outs = tensors_in(out)
                if not outs:
                    raise InitlabError(f"the model returned no floating-point tensor ({type(out).__name__})")
                scalar = _loss(model, outs, loss, rng)
                # The batch's own gradient only where some recorded output depends on no parameter
                # (it would get no gradient otherwise); elsewhere it is work nobody reads.
                inputs = params + (leaves if reach.missed else [])
                if scalar.requires_grad and inputs:
                    torch.autograd.grad(scalar, inputs, allow_unused=True)
                out_rms = rms(outs[0])
    finally:
        snap.restore(model, values=False)
    if not records:
        raise InitlabError("no module call was recorded: the selection matched no module that ran")
    first = found[0]
    # (n_0, samples) for the mean-field predictions, only of a plain chain (the one model they
    # cover); a copy, never the caller's memory
    chain = first.is_floating_point() and first.dim() == 2 and plain_chain(model)[0] is not None
    X = np.array(values(first), dtype=np.float64).T if chain else None
    name = "readout" if loss == "readout" else getattr(loss, "__name__", "callable")
    return TorchMeasurement(records, in_rms, name, out_rms, X)


def _leaf_batch(batch: Any) -> tuple[list[Any], Any]:
    """Floating tensors of the batch as fresh leaves requiring grad (same storage), and the batch."""
    leaves: list[Any] = []
    return leaves, _as_leaves(batch, leaves)


def _as_leaves(obj: Any, leaves: list[Any]) -> Any:
    # A module-level function, not a recursive closure: a closure that calls itself is a reference
    # cycle, which would keep the leaves alive until a full garbage collection.
    if isinstance(obj, torch.Tensor) and obj.is_floating_point():
        leaf = obj.detach().requires_grad_(True)
        leaves.append(leaf)
        return leaf
    if isinstance(obj, list | tuple):
        return type(obj)(_as_leaves(o, leaves) for o in obj)
    if isinstance(obj, dict):
        return {k: _as_leaves(v, leaves) for k, v in obj.items()}
    return obj


def _loss(model: Any, outs: list[Any], loss: Any, rng: RNGLike) -> Any:
    if loss != "readout":
        value = loss(outs[0] if len(outs) == 1 else outs)
        if not isinstance(value, torch.Tensor) or value.numel() != 1:
            raise InitlabError(f"loss must return a scalar tensor, got {type(value).__name__}")
        return value.reshape(())
    r = as_rng(rng)
    total = None
    for t in outs:
        dim = unit_dim(model, t)
        R = r.standard_normal(units_shape(t, dim))  # dL/d out = R, unit variance
        term = (from_units(R, t, dim) * t).sum()
        total = term if total is None else total + term
    return total


class _ParamReach:
    """Whether a tensor's value depends on one of ``params`` (reaches it through the autograd graph).

    ``missed`` turns True at the first tensor that requires grad but depends on no parameter:
    then the backward pass must also differentiate the batch for that tensor's hook to fire.
    Nodes found to reach no parameter are remembered, so a frozen part of a model is walked once.
    """

    def __init__(self, params: list[Any]) -> None:
        self.ids = {id(p) for p in params}
        self.missed = not params
        self.dead_ends: set[Any] = set()

    def check(self, t: Any) -> None:
        if not self.missed and t.requires_grad and not self._reaches(t):
            self.missed = True

    def _reaches(self, t: Any) -> bool:
        if t.grad_fn is None:
            return id(t) in self.ids
        seen, todo = {t.grad_fn}, [t.grad_fn]
        while todo:
            node = todo.pop()
            if id(getattr(node, "variable", None)) in self.ids:
                return True
            for nxt, _ in node.next_functions:
                if nxt is not None and nxt not in seen and nxt not in self.dead_ends:
                    seen.add(nxt)
                    todo.append(nxt)
        self.dead_ends |= seen
        return False


def _forward_cb(records: list[CallRecord], bins: int, reach: _ParamReach) -> Callable[[Call, Any], None]:
    def on_forward(c: Call, out: Any) -> None:
        act = activation_of(c.module)
        limits = act.limits if act is not None else None
        A = values(out)
        stats = _stats(A, limits, c, "output")
        reach.check(out)
        records.append(CallRecord(
            c.index, c.name, c.kind, c.call, tuple(out.shape), c.unit_dim, stats,
            activation=act.name if act is not None else None,
            act_hist=histogram(A, limits, bins) if bins else None))

    return on_forward


def _backward_cb(records: list[CallRecord], bins: int) -> Callable[[Call, Any], None]:
    def on_backward(c: Call, grad: Any) -> None:
        G = values(grad)
        rec = records[c.index]
        rec.gradient = _stats(G, None, c, "gradient")
        rec.grad_hist = histogram(G, None, bins) if bins else None

    return on_backward


def _stats(A: np.ndarray, limits: tuple[float, float] | None, c: Call, what: str) -> dict[str, Any]:
    """``layer_stats`` of ``A`` (units on ``c.unit_dim``); an error naming the call where values
    are not finite or so large that their squares overflow float64 (both show as a non-finite
    mean or std: one check instead of two more passes over the values)."""
    with np.errstate(over="ignore", invalid="ignore"):
        stats = layer_stats(A, limits, c.unit_dim if A.ndim else 0)
    if not (math.isfinite(float(stats["mean"] or 0.0)) and math.isfinite(float(stats["std"] or 0.0))):
        raise InitlabError(f"{what} of module {c.name} ({c.kind}, call {c.call}) is not finite or so "
                           "large that its squares overflow float64; start from smaller weights")
    return stats
