"""Training engines: the same maths as :func:`initlab.train.train_numpy`, run faster.

``get(name, spec, config, callbacks)`` returns a ``fit`` function with the signature of
``train_numpy``. ``"auto"`` picks the fastest engine that supports the request.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..errors import lookup

ENGINES: dict[str, str] = {"numpy": "initlab.train:train_numpy"}


def names() -> list[str]:
    """Names of the engines, plus ``auto``."""
    return sorted([*ENGINES, "auto"])


def _load(target: str) -> Callable[..., Any]:
    import importlib

    mod, _, attr = target.partition(":")
    fn: Callable[..., Any] = getattr(importlib.import_module(mod), attr)
    return fn


def get(name: str, spec: Any = None, config: Any = None, callbacks: Sequence[Any] = ()) -> Callable[..., Any]:
    """Return the fit function for ``name``; ``auto`` picks the fastest valid one."""
    if name == "auto":
        return _load(ENGINES["numpy"])
    return _load(lookup(ENGINES, name, "engine"))


def train_many(
    spec: Any, params_list: Sequence[Any], X: Any, Y: Any, config: Any, engine: str = "auto"
) -> list[Any]:
    """Train K models of one architecture on the same data; one :class:`History` each.

    Every member must equal its own single-model run. This reference version loops; the
    batched engine trains all K at once.
    """
    fit = get("numpy" if engine == "auto" else engine, spec, config)
    return [fit(spec, p, X, Y, config) for p in params_list]
