"""What every part of :mod:`initlab.torch` shares: torch itself, inputs, layouts and a snapshot.

torch is imported here and only here at module level of this subpackage, which ``import initlab``
never loads. :func:`require_torch` turns a missing torch into one clear :class:`InitlabError`.
"""

from __future__ import annotations

import contextlib
import importlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from initlab.core.errors import InitlabError
from initlab.theory.statistics import mean_square

Array = NDArray[np.float64]
INSTALL_HINT = 'PyTorch is not installed; pip install "initlab[torch]"'


def require_torch() -> Any:
    """Return the ``torch`` module, or raise :class:`InitlabError` saying how to install it."""
    try:
        return importlib.import_module("torch")
    except ImportError:
        raise InitlabError(f"initlab.torch needs {INSTALL_HINT}") from None


torch = require_torch()
nn = torch.nn

#: Layers whose weight sets the scale of their output (LSUV rescales them; verdicts count them).
WEIGHTED = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d,
            nn.ConvTranspose3d)
NORMS = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm)
#: Channel-first modules: their outputs have units (channels) on dim 1, not on the last dim.
CHANNEL_FIRST = (nn.modules.conv._ConvNd, nn.modules.batchnorm._NormBase, nn.GroupNorm,
                 nn.modules.pooling.MaxPool2d, nn.modules.pooling.AvgPool2d,
                 nn.modules.pooling.AdaptiveAvgPool2d, nn.modules.pooling.MaxPool1d,
                 nn.modules.pooling.AvgPool1d, nn.modules.pooling.AdaptiveAvgPool1d)
#: torch activation modules -> (initlab activation name, the module attribute carrying its parameter)
ACTIVATIONS: dict[type, tuple[str, str | None]] = {
    nn.ReLU: ("relu", None), nn.Tanh: ("tanh", None), nn.Sigmoid: ("sigmoid", None),
    nn.LeakyReLU: ("leaky_relu", "negative_slope"), nn.ELU: ("elu", "alpha"),
    nn.SELU: ("selu", None), nn.GELU: ("gelu", None), nn.SiLU: ("silu", None),
    nn.Softplus: ("softplus", None), nn.Identity: ("identity", None),
}  # fmt: skip


def check_model(model: Any) -> Any:
    """Return ``model`` if it is an ``nn.Module``, else raise naming what was given."""
    if not isinstance(model, nn.Module):
        raise InitlabError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return model


def activation_of(module: Any) -> Any | None:
    """The initlab :class:`~initlab.activations.Activation` of a torch activation module, or None.

    Softplus only maps with ``beta == 1`` and GELU only with ``approximate="none"`` (initlab's laws).
    """
    from initlab import activations as act_mod

    entry = ACTIVATIONS.get(type(module))
    if entry is None:
        return None
    name, attr = entry
    if isinstance(module, nn.Softplus) and float(module.beta) != 1.0:
        return None
    if isinstance(module, nn.GELU) and module.approximate != "none":
        return None
    params = {} if attr is None else {attr: float(getattr(module, attr))}
    return act_mod.get(name, **params)


def plain_chain(model: Any) -> tuple[str | None, str]:
    """The activation name if ``model`` is Linear/activation pairs of one activation, with why not."""
    if not isinstance(model, nn.Sequential):
        return None, f"{type(model).__name__} is not an nn.Sequential chain"
    kids = list(model.children())
    special = [type(m).__name__ for m in model.modules() if isinstance(m, (*NORMS, nn.MultiheadAttention))]
    if special:
        return None, f"it has normalization or attention ({', '.join(sorted(set(special)))})"
    if len(kids) < 2 or len(kids) % 2:
        return None, "it is not Linear/activation pairs"
    acts = [activation_of(m) for m in kids[1::2]]
    if not all(isinstance(m, nn.Linear) for m in kids[::2]) or any(a is None for a in acts):
        return None, "it is not Linear layers each followed by an elementwise activation"
    names = {a.name for a in acts if a is not None}
    if len(names) != 1:
        return None, f"it mixes activations ({', '.join(sorted(names))})"
    return names.pop(), "plain chain"


def tensors_in(obj: Any) -> list[Any]:
    """Floating-point tensors of a module output (tensor, tuple/list, dict), in order."""
    if isinstance(obj, torch.Tensor):
        return [obj] if obj.is_floating_point() else []
    if isinstance(obj, list | tuple):
        return [t for item in obj for t in tensors_in(item)]
    if isinstance(obj, dict):
        return [t for item in obj.values() for t in tensors_in(item)]
    return []


def call_model(model: Any, batch: Any) -> Any:
    """``model(batch)``; a tuple/list batch is spread as arguments, a dict as keywords."""
    if isinstance(batch, dict):
        return model(**batch)
    if isinstance(batch, tuple | list):
        return model(*batch)
    return model(batch)


def check_batch(batch: Any) -> list[Any]:
    """Validate a batch (tensor, tuple/list or dict of tensors): finite, non-empty; its tensors."""
    return scan_batch(batch)[0]


def scan_batch(batch: Any) -> tuple[list[Any], float]:
    """:func:`check_batch`, and the RMS of the batch in the same pass over its values: the square
    root of the mean over its floating-point tensors of each one's mean square (1.0 without any).

    A finite float64 sum of squares means every value is finite (NaN and inf propagate); the
    values are counted one by one only otherwise (a float64 value beyond 1e154 has an infinite
    square but is finite).
    """
    found = _all_tensors(batch)
    if not found:
        raise InitlabError(f"batch must be a tensor or a tuple/list/dict of tensors, got {type(batch).__name__}")
    squares = []
    for t in found:
        if t.numel() == 0:
            raise InitlabError(f"batch tensor of shape {tuple(t.shape)} is empty")
        if t.is_floating_point():
            squares.append(mean_square(values(t)))
            finite = math.isfinite(squares[-1])
        else:
            finite = not t.is_complex() or bool(torch.isfinite(t.detach().sum()).item())
        if not finite:
            bad = int(t.numel() - torch.isfinite(t).sum().item())
            if bad:
                raise InitlabError(f"batch contains {bad} NaN or infinite value(s) "
                                   f"(tensor of shape {tuple(t.shape)})")
    return found, math.sqrt(sum(squares) / len(squares)) if squares else 1.0


def _all_tensors(obj: Any) -> list[Any]:
    if isinstance(obj, torch.Tensor):
        return [obj]
    if isinstance(obj, list | tuple):
        return [t for item in obj for t in _all_tensors(item)]
    if isinstance(obj, dict):
        return [t for item in obj.values() for t in _all_tensors(item)]
    return []


def unit_dim(module: Any, t: Any, previous: int | None = None) -> int:
    """The dimension of ``t`` that holds a layer's units (features or channels).

    2-D outputs ``(batch, features)`` have units on dim 1; channel-first modules (conv, batch norm,
    pooling) on dim 1; elementwise modules (activations, dropout) keep the layout of the call
    before them (``previous``); everything else (Linear on ``(batch, seq, features)``, LayerNorm,
    attention) on the last dim.
    """
    if t.dim() <= 1:
        return 0
    if t.dim() == 2:
        return 1
    if isinstance(module, CHANNEL_FIRST):
        return 1
    if previous is not None and (type(module) in ACTIVATIONS or isinstance(module, nn.Dropout)):
        return min(previous, int(t.dim()) - 1)
    return int(t.dim()) - 1


def values(t: Any) -> NDArray[Any]:
    """A tensor's values as a NumPy array of the same shape, for reading only: a view of the
    tensor's own memory (no copy) when it is a float32 or float64 CPU tensor, else a float64
    copy on the CPU (other devices, half precision)."""
    t = t.detach().resolve_neg()
    if t.device.type != "cpu" or t.dtype not in (torch.float32, torch.float64):
        t = t.to(device="cpu", dtype=torch.float64)
    return np.asarray(t.numpy())


def units_shape(t: Any, dim: int) -> tuple[int, int]:
    """(units, samples) of a tensor with its units on ``dim`` (every other dim counts as samples)."""
    if t.dim() == 0:
        return (1, 1)
    units = int(t.shape[dim])
    return units, int(t.numel() // max(1, units))


def from_units(a: Array, like: Any, dim: int) -> Any:
    """An array (units, samples) as a tensor shaped, typed and placed as ``like`` (units on ``dim``,
    samples in C order over the other dims)."""
    if like.dim() == 0:
        return torch.as_tensor(a.reshape(()), dtype=like.dtype, device=like.device)
    moved = list(like.movedim(dim, 0).shape)
    t = torch.from_numpy(np.ascontiguousarray(a)).reshape(moved).movedim(0, dim)
    return t.to(dtype=like.dtype, device=like.device)


def rms(t: Any) -> float:
    """Root mean square of a tensor's values, in float64."""
    return math.sqrt(mean_square(values(t)))


@dataclass
class Snapshot:
    """A model's parameters, buffers, gradients and training flags, to restore them exactly."""

    params: dict[str, Any]
    grads: dict[str, Any]
    buffers: dict[str, Any]
    training: dict[str, bool]

    @classmethod
    def take(cls, model: Any, values: bool = True) -> Snapshot:
        """Copy the model's state; without ``values``, only buffers and training flags (for work
        that never writes parameters or gradients, such as a measurement)."""
        params, grads = {}, {}
        if values:
            for name, p in model.named_parameters(remove_duplicate=False):
                params[name] = p.detach().clone()
                grads[name] = None if p.grad is None else p.grad.detach().clone()
        buffers = {n: b.detach().clone() for n, b in model.named_buffers(remove_duplicate=False)}
        training = {n: m.training for n, m in model.named_modules(remove_duplicate=False)}
        return cls(params, grads, buffers, training)

    def restore(self, model: Any, values: bool = True) -> None:
        """Put back training flags and buffers, and with ``values`` also parameters and gradients
        (which must then have been taken)."""
        with torch.no_grad():
            for name, b in model.named_buffers(remove_duplicate=False):
                b.copy_(self.buffers[name])
            if values:
                for name, p in model.named_parameters(remove_duplicate=False):
                    p.copy_(self.params[name])
                    p.grad = self.grads[name]
        for name, m in model.named_modules(remove_duplicate=False):
            m.training = self.training[name]


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run a block with torch's RNG seeded from ``seed`` and put its state back afterwards.

    Only modules that draw during forward (dropout in training mode) read it; the caller's random
    stream is the same after the block as before, and the block's draws depend only on ``seed``.
    The CPU generator and the CUDA devices' (where CUDA is available) are the ones seeded and put
    back; ``torch.manual_seed`` is not called, as on a machine without CUDA it records a stack
    trace for CUDA's lazy initialization at every call (about 1 ms).
    """
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        torch.default_generator.manual_seed(seed)
        if devices:
            torch.cuda.manual_seed_all(seed)
        yield
