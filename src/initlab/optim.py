"""Optimizers as small stateful objects: ``step(params, grads)`` updates ``params`` in place.

The update ``W = W - lr * dW`` keeps the tutorial's operation order, so gradient descent is
bit-identical to its ``update_parameters``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from initlab.core.errors import InitlabError, as_float, check_positive_float
from initlab.core.registry import Registry

Array = NDArray[np.float64]
Params = dict[str, Array]


def _param_keys(params: Params) -> list[str]:
    return [k for k in params if k[0] in "Wb"]


@dataclass
class GD:
    """Plain full-batch gradient descent (the tutorial's optimizer).

    ``code`` is the key the compiled engines' update switches on and ``hyper`` the fields it
    reads after the learning rate, in order (each optimizer below sets both).
    """

    code: ClassVar[int] = 0
    hyper: ClassVar[tuple[str, ...]] = ()
    learning_rate: float = 0.01

    def step(self, params: Params, grads: Params) -> None:
        for k in _param_keys(params):
            params[k] = params[k] - self.learning_rate * grads["d" + k]


@dataclass
class Momentum:
    """Heavy-ball momentum: ``v = beta v + (1 - beta) g``, ``W -= lr v``."""

    code: ClassVar[int] = 1
    hyper: ClassVar[tuple[str, ...]] = ("beta",)
    learning_rate: float = 0.01
    beta: float = 0.9
    _v: dict[str, Array] = field(default_factory=dict, repr=False)

    def step(self, params: Params, grads: Params) -> None:
        for k in _param_keys(params):
            v = self._v.get(k, np.zeros_like(params[k]))
            v = self.beta * v + (1 - self.beta) * grads["d" + k]
            self._v[k] = v
            params[k] = params[k] - self.learning_rate * v


@dataclass
class Adam:
    """Adam (Kingma & Ba 2015) with bias correction."""

    code: ClassVar[int] = 2
    hyper: ClassVar[tuple[str, ...]] = ("beta1", "beta2", "epsilon")
    learning_rate: float = 0.001
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8
    _m: dict[str, Array] = field(default_factory=dict, repr=False)
    _s: dict[str, Array] = field(default_factory=dict, repr=False)
    _t: int = 0

    def step(self, params: Params, grads: Params) -> None:
        self._t += 1
        c1 = 1 - self.beta1**self._t
        c2 = 1 - self.beta2**self._t
        for k in _param_keys(params):
            g = grads["d" + k]
            # The moments are the optimizer's own arrays, updated in place: the same operations
            # in the same order as ``m = beta1 * m + (1 - beta1) * g`` (so the same bits), without
            # a temporary per term; wide layers (4096 x 4096) spend most of a step here.
            m = self._m.setdefault(k, np.zeros_like(g))
            s = self._s.setdefault(k, np.zeros_like(g))
            m *= self.beta1
            m += (1 - self.beta1) * g
            g2 = (1 - self.beta2) * g
            g2 *= g
            s *= self.beta2
            s += g2
            denom = np.divide(s, c2, out=g2)  # g2 is spent: reuse it
            np.sqrt(denom, out=denom)
            denom += self.epsilon
            step = m / c1
            step *= self.learning_rate
            step /= denom
            params[k] = params[k] - step


Optimizer = GD | Momentum | Adam

#: Registry of optimizers: name -> class, built with ``learning_rate`` and its options.
OPTIMIZERS = Registry[Optimizer]("optimizer")
for _name, _cls in (("gd", GD), ("momentum", Momentum), ("adam", Adam)):
    OPTIMIZERS.add(_name, _cls)


def names() -> list[str]:
    """Names of the registered optimizers."""
    return OPTIMIZERS.names()


def get(name: str, learning_rate: float, **kw: Any) -> Optimizer:
    """Build an optimizer by name (``"adam"`` or ``"adam:beta1=0.8"``); options must be finite.

    The learning rate must be finite and > 0; unknown options raise, listing the valid ones.
    """
    lr = check_positive_float(learning_rate, "learning rate")
    key, parsed = OPTIMIZERS.parse(name)
    options = {**parsed, **kw}
    if "learning_rate" in options:
        raise InitlabError(
            f"the learning rate is set on its own (--learning-rate), not as an option of {name!r}"
        )
    for k, val in options.items():
        if isinstance(val, bool) or not isinstance(val, int | float | np.floating):
            raise InitlabError(f"optimizer option {k} must be a finite number, got {val!r}")
        x = as_float(val, f"optimizer option {k}")  # 10**400 is refused here, not overflowing
        low, high, interval = RANGES.get(k, (-math.inf, math.inf, "finite"))
        if not (math.isfinite(x) and low <= x < high and not (k == "epsilon" and x == 0)):
            raise InitlabError(f"optimizer option {k} must be a number in {interval}, got {val!r}")
        options[k] = x
    return OPTIMIZERS.get(key, learning_rate=lr, **options)


#: Allowed values of each option: [low, high) and the text naming the interval. Momentum and Adam
#: average with weight beta on the past: beta < 0 flips signs, beta >= 1 never forgets (Adam's
#: 1 - beta**t bias correction then overflows or divides by zero).
RANGES: dict[str, tuple[float, float, str]] = {
    "beta": (0.0, 1.0, "[0, 1)"),
    "beta1": (0.0, 1.0, "[0, 1)"),
    "beta2": (0.0, 1.0, "[0, 1)"),
    "epsilon": (0.0, math.inf, "(0, inf)"),
}
