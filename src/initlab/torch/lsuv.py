"""LSUV (Mishkin & Matas, ICLR 2016) on any ``nn.Module``, in forward execution order, no global state.

Orthonormal pre-init (switchable): every Linear/Conv weight and attention in-projection gets
initlab's :func:`~initlab.initializers.orthogonal` drawn from ``seed``, biases 0, as in the paper.
Then **one** forward pass fits every layer in the order the model runs them: when a layer's
forward hook sees its output ``y = W x + b`` on the batch, it rescales ``W`` by ``f = target /
std`` and hands on ``b + f (y - b)``, exactly what the rescaled layer computes, so the layers after
it see their final input, as if the pass had been rerun (the reference implementations rerun the
whole model per layer and attempt). Up to ``t_max`` such steps per layer (one is exact with zero
bias). A second pass only reads: each layer's final std on the batch, whether a normalization
takes its output directly, and ``converged = |std - target| < tol``.

``nn.MultiheadAttention`` is one layer, scaled through its ``out_proj`` weight (which it applies
functionally). The model runs in eval mode by default (BatchNorm on its running statistics,
dropout off), as the reference implementations do; its modes, buffers and gradients are put back
afterwards, and on any error its parameters too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from initlab.core.errors import InitlabError, check_choice, check_positive_float, check_positive_int
from initlab.core.rng import as_rng
from initlab.initializers import orthogonal
from initlab.theory.statistics import unit_moments
from initlab.torch._base import (
    NORMS,
    WEIGHTED,
    Snapshot,
    check_batch,
    check_model,
    nn,
    seeded,
    torch,
    values,
)
from initlab.torch.hooks import display_name, run_forward


@dataclass
class LsuvRecord:
    """What LSUV did to one layer: rescale ``iterations``, final ``std`` on the batch (verification
    pass), ``converged``, ``reason`` when not, the total ``scale`` applied to its weight, and
    ``followed_by`` (the normalization module that takes its output directly, else None)."""

    name: str
    module: str
    iterations: int
    std: float | None
    converged: bool
    reason: str | None
    scale: float
    followed_by: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "module": self.module, "iterations": self.iterations, "std": self.std,
                "converged": self.converged, "reason": self.reason, "scale": self.scale,
                "followed_by": self.followed_by}


def layers_of(model: Any) -> dict[Any, str]:
    """LSUV's layers: Linear/Conv modules and attention blocks (their ``out_proj`` excluded), by name."""
    inner = {id(m.out_proj) for m in model.modules() if isinstance(m, nn.MultiheadAttention)}
    return {m: display_name(n) for n, m in model.named_modules()
            if (isinstance(m, WEIGHTED) and id(m) not in inner) or isinstance(m, nn.MultiheadAttention)}


def lsuv_(
    model: Any,
    batch: Any,
    *,
    orthonormal: bool = True,
    target: float = 1.0,
    tol: float = 0.1,
    t_max: int = 10,
    seed: int = 0,
    train: bool = False,
    draws: str = "torch",
) -> list[LsuvRecord]:
    """Rescale every Linear/Conv/attention layer of ``model`` so its output std on ``batch`` is ``target``.

    Parameters
    ----------
    model : torch.nn.Module
        Changed in place (weights, and biases with ``orthonormal``).
    batch : Tensor, or tuple/list/dict of tensors
        One batch, as ``model`` takes it.
    orthonormal : bool
        Orthonormal weights and zero biases first (the paper's pre-init).
    target, tol : float
        Stop when ``|std(out) - target| < tol`` (PyPI ``lsuv``'s ``needed_std`` and ``std_tol``).
    t_max : int
        Most rescale steps per layer.
    seed : int
        Seeds the orthonormal draws and, with ``train``, torch's RNG inside
        the passes (put back afterwards).
    train : bool
        Run the passes in training mode (BatchNorm on batch statistics) instead of eval mode.
    draws : {"torch", "numpy"}
        How the orthonormal weights are drawn, both by the construction (and law) of
        :func:`initlab.initializers.orthogonal`: ``"torch"`` from a ``torch.Generator`` seeded with
        ``seed``, QR in the weight's dtype and device (about 3x faster on a ResNet-18); ``"numpy"``
        by initlab's scheme itself from a NumPy Generator, bit-identical to :func:`initlab.lsuv.lsuv`.

    Returns
    -------
    list of LsuvRecord
        One per layer, in execution order; layers the forward never called come last.
    """
    check_model(model)
    check_batch(batch)
    target = check_positive_float(target, "target")
    tol = check_positive_float(tol, "tol")
    t_max = check_positive_int(t_max, "t_max")
    check_choice(draws, ("torch", "numpy"), "draws")
    layers = layers_of(model)
    if not layers:
        raise InitlabError(f"{type(model).__name__} has no Linear, Conv or attention layer for LSUV to fit")
    snap = Snapshot.take(model)
    try:
        with seeded(seed), _grad_mode(layers):
            model.train(train)
            if orthonormal:
                _orthonormal(layers, seed, draws)
            fitted = _fit(model, batch, layers, target, tol, t_max)
            final, followed = _verify(model, batch, layers)
    except BaseException:
        snap.restore(model)
        raise
    snap.restore(model, values=False)
    return _records(layers, fitted, final, followed, target, tol)


def _scaled_weight(m: Any) -> Any:
    return m.out_proj.weight if isinstance(m, nn.MultiheadAttention) else m.weight


def _bias(m: Any) -> Any:
    return m.out_proj.bias if isinstance(m, nn.MultiheadAttention) else m.bias


def _orthonormal(layers: dict[Any, str], seed: int, draws: str) -> None:
    """Orthonormal weights (``initlab.initializers.orthogonal``'s law) for every layer, biases 0."""
    from threadpoolctl import threadpool_limits

    r = as_rng(seed)
    ortho = orthogonal()
    gens: dict[Any, Any] = {}
    # One BLAS thread per NumPy QR: a model's many mid-sized factorizations gain little from
    # threads, and OpenBLAS threads competing with torch's (or a busy machine) slowed them 5-20x
    # in our runs; one thread also keeps the bits independent of the thread count.
    with torch.no_grad(), threadpool_limits(1, user_api="blas"):
        for m in layers:
            weights = [_scaled_weight(m)]
            if isinstance(m, nn.MultiheadAttention):
                weights += [w for w in (m.in_proj_weight, m.q_proj_weight, m.k_proj_weight,
                                        m.v_proj_weight) if w is not None]
            for w in weights:
                shape = tuple(w.shape)
                ortho.describe(shape)  # the scheme's own check of the shape
                if draws == "numpy":
                    w.copy_(torch.from_numpy(ortho(shape, r)).to(dtype=w.dtype, device=w.device))
                    continue
                gen = gens.setdefault(w.device, torch.Generator(device=w.device).manual_seed(seed))
                w.copy_(_haar(shape, w.dtype, w.device, gen))
            for b in (_bias(m), getattr(m, "in_proj_bias", None)):
                if b is not None:
                    b.zero_()


def _haar(shape: tuple[int, ...], dtype: Any, device: Any, gen: Any) -> Any:
    """``orthogonal()``'s construction in torch: QR of a standard normal matrix of the taller
    orientation, columns signed by ``diag(R)`` (Haar-distributed), reshaped to ``shape``."""
    rows, cols = shape[0], math.prod(shape[1:])
    work = dtype if dtype in (torch.float32, torch.float64) else torch.float32
    flat = torch.randn((rows, cols), generator=gen, dtype=work, device=device)
    if rows < cols:
        flat = flat.T
    q, rr = torch.linalg.qr(flat)
    q = q * torch.where(torch.diagonal(rr) < 0, -1.0, 1.0).to(work)
    if rows < cols:
        q = q.T
    return q.reshape(shape).to(dtype)


def _std(t: Any) -> float:
    """Std of all of a tensor's values, in float64: the statistics' own moments
    (:func:`initlab.theory.statistics.unit_moments` with every value one unit's sample), read in
    place in one blocked pass rather than through a float64 copy of the whole output."""
    with np.errstate(over="ignore", invalid="ignore"):  # inf/NaN: the caller names the layer
        _, var = unit_moments(values(t).reshape(1, -1))
    return math.sqrt(float(var[0])) if var[0] >= 0 else math.nan


def _primary(output: Any) -> Any:
    return output[0] if isinstance(output, tuple) else output


def _fit(model: Any, batch: Any, layers: dict[Any, str], target: float, tol: float,
         t_max: int) -> dict[Any, tuple[int, float, str | None]]:
    """The fitting pass: per layer (iterations, total scale, reason it stopped early or None)."""
    fitted: dict[Any, tuple[int, float, str | None]] = {}
    seen_weights: set[int] = set()

    def hook(m: Any, args: Any, output: Any) -> Any:
        w = _scaled_weight(m)
        if m in fitted or id(w) in seen_weights:
            return None  # a second call, or a weight shared with a fitted layer: already final
        seen_weights.add(id(w))
        y = _primary(output)
        b = _bias(m)
        shape = [1] * y.dim()
        if b is not None and y.dim() > 0:
            shape[1 if isinstance(m, nn.modules.conv._ConvNd) and y.dim() > 2 else -1] = -1
        base = b.detach().reshape(shape) if b is not None else None
        steps, total, reason = 0, 1.0, None
        with torch.no_grad():
            std = _std(y)
            while True:
                if not math.isfinite(std) or std > 1e150:
                    raise InitlabError(f"output of {layers[m]} is not finite; start from smaller weights")
                if abs(std - target) < tol:
                    break
                if std == 0.0:
                    reason = "output has zero variance on this batch: nothing to rescale"
                    break
                if steps == t_max:
                    reason = f"t_max = {t_max} rescales reached"
                    break
                f = target / std
                w.mul_(f)
                y = y * f if base is None else base + (y - base) * f
                total, steps = total * f, steps + 1
                std = _std(y)
        fitted[m] = (steps, total, reason)
        return (y, *output[1:]) if isinstance(output, tuple) else y

    handles = [m.register_forward_hook(hook) for m in layers]
    try:
        run_forward(model, batch)
    finally:
        for h in handles:
            h.remove()
    return fitted


def _verify(model: Any, batch: Any, layers: dict[Any, str]) -> tuple[dict[Any, float], dict[Any, str]]:
    """The reading pass: each layer's std (first call) and the normalization that takes its output."""
    final: dict[Any, float] = {}
    outputs: dict[int, tuple[Any, Any]] = {}  # id(output) -> (layer, output); kept alive for the pass
    followed: dict[Any, str] = {}
    names = {m: display_name(n) for n, m in model.named_modules()}

    def read(m: Any, args: Any, output: Any) -> None:
        y = _primary(output)
        if m not in final:
            final[m] = _std(y)
            outputs[id(y)] = (m, y)

    def norm(m: Any, args: Any) -> None:
        if args and id(args[0]) in outputs and outputs[id(args[0])][1] is args[0]:
            followed.setdefault(outputs[id(args[0])][0], names[m])

    handles = [m.register_forward_hook(read) for m in layers]
    handles += [m.register_forward_pre_hook(norm) for m in model.modules() if isinstance(m, NORMS)]
    try:
        run_forward(model, batch)
    finally:
        for h in handles:
            h.remove()
        outputs.clear()
    return final, followed


def _grad_mode(layers: dict[Any, str]) -> Any:
    """No autograd for the passes, except with attention: grad mode keeps the fused transformer
    fast paths, which skip the submodule calls the hooks watch, switched off."""
    if any(isinstance(m, nn.MultiheadAttention) for m in layers):
        return torch.enable_grad()
    return torch.no_grad()


def _records(layers: dict[Any, str], fitted: dict[Any, tuple[int, float, str | None]],
             final: dict[Any, float], followed: dict[Any, str], target: float,
             tol: float) -> list[LsuvRecord]:
    out, never = [], []
    for m, (steps, scale, reason) in fitted.items():
        std = final.get(m)
        ok = std is not None and abs(std - target) < tol
        if not ok and reason is None:
            reason = f"std {std:.4g} on the verification pass is off target"
        out.append(LsuvRecord(layers[m], type(m).__name__, steps, std, ok, None if ok else reason,
                              scale, followed.get(m)))
    for m, name in layers.items():
        if m not in fitted:
            never.append(LsuvRecord(name, type(m).__name__, 0, None, False,
                                    "never called in the forward pass", 1.0))
    return out + never

