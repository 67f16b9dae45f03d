"""Activation functions with their derivatives, as a plain registry.

Each entry maps a name to an :class:`Activation`: the function, its derivative written from the
pre-activation ``z`` and the output ``a`` (whichever is cheaper), and the output range used for
saturation statistics. Derivatives are checked against central differences in the tests.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from initlab.core.errors import InitlabError
from initlab.core.registry import Registry

Array = NDArray[np.float64]

#: exp(-z) overflows float64 below z = -709.78; clipping there keeps sigmoid bit-identical to the
#: tutorial's 1/(1+exp(-z)) everywhere it is finite, and gives ~1e-308 instead of 0 beyond.
EXP_CLIP = -709.0
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


@dataclass(frozen=True)
class Activation:
    """A named nonlinearity.

    Attributes
    ----------
    name : str
    fn : callable ``z -> a``
    deriv : callable ``(z, a) -> da/dz``
    limits : tuple of float or None
        Lower and upper asymptotes (sigmoid (0, 1), tanh (-1, 1)), for saturation shares.
    params : dict
        Parameters such as ``negative_slope``.
    code : int or None
        The key the compiled engines' kernels switch on, set only by this module's registered
        definitions; an activation built elsewhere keeps ``None`` and trains in NumPy.
    """

    name: str
    fn: Callable[[Array], Array]
    deriv: Callable[[Array, Array], Array]
    limits: tuple[float, float] | None = None
    params: dict[str, float] = field(default_factory=dict)
    code: int | None = None

    def __call__(self, z: Array) -> Array:
        return self.fn(z)


def sigmoid(z: Array) -> Array:
    """Logistic function ``1 / (1 + exp(-z))``, overflow-free."""
    return 1 / (1 + np.exp(-np.maximum(z, EXP_CLIP)))


def relu(z: Array) -> Array:
    """``max(0, z)``."""
    return np.maximum(0, z)


def _erf(z: Array) -> Array:
    from scipy.special import erf

    return np.asarray(erf(z), dtype=np.float64)


def _std_normal_cdf(z: Array) -> Array:
    return 0.5 * (1.0 + _erf(z / math.sqrt(2.0)))


def _elu(alpha: float) -> tuple[Callable[[Array], Array], Callable[[Array, Array], Array]]:
    def fn(z: Array) -> Array:
        return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0)))

    def deriv(z: Array, a: Array) -> Array:
        return np.where(z > 0, 1.0, a + alpha)

    return fn, deriv


def _leaky(slope: float) -> Activation:
    return Activation(
        "leaky_relu",
        lambda z: np.where(z > 0, z, slope * z),
        lambda z, a: np.where(z > 0, 1.0, slope),
        params={"negative_slope": slope},
        code=4,
    )


def _selu() -> Activation:
    efn, _ = _elu(SELU_ALPHA)
    return Activation(
        "selu",
        lambda z: SELU_SCALE * efn(z),
        lambda z, a: np.where(z > 0, SELU_SCALE, a + SELU_SCALE * SELU_ALPHA),
        code=6,
    )


def _gelu_deriv(z: Array, a: Array) -> Array:
    return _std_normal_cdf(z) + z * np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)


def _silu_deriv(z: Array, a: Array) -> Array:
    s = sigmoid(z)
    return s * (1.0 + z * (1.0 - s))


def _softplus(z: Array) -> Array:
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


_SIMPLE: dict[str, Activation] = {
    "identity": Activation("identity", lambda z: z, lambda z, a: np.ones_like(z), code=0),
    "sigmoid": Activation("sigmoid", sigmoid, lambda z, a: a * (1 - a), limits=(0.0, 1.0), code=1),
    "tanh": Activation("tanh", np.tanh, lambda z, a: 1 - a * a, limits=(-1.0, 1.0), code=2),
    "relu": Activation("relu", relu, lambda z, a: (z > 0).astype(np.float64), code=3),
    "selu": _selu(),
    "gelu": Activation("gelu", lambda z: z * _std_normal_cdf(z), _gelu_deriv, code=7),
    "silu": Activation("silu", lambda z: z * sigmoid(z), _silu_deriv, code=8),
    "softplus": Activation("softplus", _softplus, lambda z, a: sigmoid(z), code=9),
    "erf": Activation(
        "erf", _erf, lambda z, a: (2.0 / math.sqrt(math.pi)) * np.exp(-z * z), limits=(-1.0, 1.0),
        code=10,
    ),
}

def leaky_relu(negative_slope: float = 0.01) -> Activation:
    """``z`` for ``z > 0``, ``negative_slope * z`` otherwise."""
    return _leaky(_number(negative_slope, "negative_slope"))


def elu(alpha: float = 1.0) -> Activation:
    """``z`` for ``z > 0``, ``alpha * (exp(z) - 1)`` otherwise."""
    a = _number(alpha, "alpha")
    fn, d = _elu(a)
    return Activation("elu", fn, d, params={"alpha": a}, code=5)


#: Largest ``|parameter|`` accepted: its square (gains, mean-field moments) stays finite.
MAX_PARAM = 1e150


def _number(value: Any, what: str) -> float:
    ok = not isinstance(value, bool) and isinstance(value, int | float)
    if not ok or not abs(value) <= MAX_PARAM:  # also False for NaN, inf and ints past 1.8e308
        raise InitlabError(
            f"activation parameter {what} must be a finite number with |{what}| <= "
            f"{MAX_PARAM:g}, got {value!r}"
        )
    return float(value)


#: Registry of activations: name -> :class:`Activation` (parametrised ones built per spec).
ACTIVATIONS = Registry[Activation](
    "activation",
    aliases={"linear": "identity", "logistic": "sigmoid", "swish": "silu", "leaky": "leaky_relu"},
    instance_of=Activation,
)
for _name, _act in _SIMPLE.items():
    ACTIVATIONS.add_value(_name, _act)
ACTIVATIONS.register(leaky_relu)
ACTIVATIONS.register(elu)
#: alias -> registered name (the same dict as ``ACTIVATIONS.aliases``).
ALIASES: dict[str, str] = ACTIVATIONS.aliases


def names() -> list[str]:
    """Sorted names of every registered activation."""
    return ACTIVATIONS.names(aliases=False)


def get(spec: str | Activation, **params: Any) -> Activation:
    """Return an activation by name (``"tanh"``, ``"leaky_relu"``) or pass one through.

    Parameters may come as keywords or in the CLI form ``"leaky_relu:negative_slope=0.2"``.
    """
    return ACTIVATIONS.get(spec, **params)
