"""Shared builders for the initlab.torch tests (torch imported by the caller's importorskip)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

from initlab import initializers

ROOT = Path(__file__).resolve().parents[1]
ACT = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid}


def models() -> Any:
    """examples/models.py as a module."""
    if "initlab_example_models" not in sys.modules:
        spec = importlib.util.spec_from_file_location("initlab_example_models", ROOT / "examples" / "models.py")
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        sys.modules["initlab_example_models"] = mod
        spec.loader.exec_module(mod)
    return sys.modules["initlab_example_models"]


def numpy_chain(widths: list[int], init: str, act: str, seed: int, samples: int) -> tuple[Any, Any, Any]:
    """The float64 nn.Sequential that theory.propagation.measure(init, act, widths=widths,
    samples=samples, rng=seed) builds: same inputs, same weights (drawn in the same order from the
    same Generator); returns (model, batch (samples, n_0), the Generator left where the readout is
    drawn)."""
    r = np.random.default_rng(seed)
    X = r.standard_normal((widths[0], samples))
    draw = initializers.get(init)
    layers: list[torch.nn.Module] = []
    for l in range(1, len(widths)):
        lin = torch.nn.Linear(widths[l - 1], widths[l], bias=False, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(draw((widths[l], widths[l - 1]), r)))
        layers += [lin, ACT[act]()]
    return torch.nn.Sequential(*layers), torch.from_numpy(X.T.copy()), r


def state(model: Any) -> dict[str, Any]:
    """Everything measure/lsuv must leave as it was: values, grads, buffers, modes, hooks."""
    out: dict[str, Any] = {}
    for n, p in model.named_parameters():
        out[f"p:{n}"] = p.detach().clone()
        out[f"g:{n}"] = None if p.grad is None else p.grad.detach().clone()
    for n, b in model.named_buffers():
        out[f"b:{n}"] = b.detach().clone()
    for n, m in model.named_modules():
        out[f"t:{n}"] = m.training
        out[f"h:{n}"] = (len(m._forward_hooks), len(m._forward_pre_hooks), len(m._backward_hooks))
    return out


def assert_same_state(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a.keys() == b.keys()
    for k, va in a.items():
        if isinstance(va, torch.Tensor):
            assert torch.equal(va, b[k]), k
        else:
            assert va == b[k], k
