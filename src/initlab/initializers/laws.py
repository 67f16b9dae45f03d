"""The pieces every initializer shares: shapes and fans, gains, and the self-describing scheme.

A :class:`Scheme` is a callable ``scheme(shape, rng) -> ndarray`` that also knows its name, its
formula, its bias rule, and the :class:`Law` (kind, mean, std, support) a given shape gets, so
``initlab inits`` prints what the code draws rather than a second table. The public entry point is
:mod:`initlab.initializers`, which re-exports everything here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from initlab import activations as act_mod
from initlab.core.errors import InitlabError, as_float, normalise, unknown_name
from initlab.core.quadrature import expect1, relu_like_second_moment
from initlab.core.rng import RNG, RNGLike, as_rng

Array = NDArray[np.float64]
Shape = tuple[int, ...]

#: Largest weight scale (|mean|, std, bound) a scheme may have: every statistic of the weights and
#: of the layers they feed squares them, and 1e150**2 is still far from float64's 1.8e308.
MAX_WEIGHT = 1e150
#: std of a standard normal truncated to [-2, 2]: dividing by it restores the target std.
TRUNC_STD_2SIGMA = 0.87962566103423978


def check_shape(shape: Any, allow_empty: bool = False) -> Shape:
    """Validate a weight shape: a tuple of positive ints (``allow_empty``: zeros allowed too)."""
    least = 0 if allow_empty else 1
    what = "non-negative" if allow_empty else "positive"
    try:
        dims = tuple(int(s) for s in shape)
        exact = all(not isinstance(s, bool) and float(s) == int(s) for s in shape)
    except (TypeError, ValueError, OverflowError):
        raise InitlabError(f"shape must be a tuple of {what} integers, got {shape!r}") from None
    if not exact or any(d < least for d in dims):
        raise InitlabError(f"shape must be a tuple of {what} integers, got {shape!r}")
    return dims


def finite_float(value: Any, what: str) -> float:
    """Return ``value`` as a finite float, or raise naming ``what`` (bools and strings too)."""
    x = as_float(value, what)
    if not math.isfinite(x):
        raise InitlabError(f"{what} must be finite, got {value!r}")
    return x


def compute_fans(shape: Any) -> tuple[int, int]:
    """Fan-in and fan-out of a weight shape in PyTorch's ``(out, in, *kernel)`` layout.

    ``fan_in = shape[1] * rf`` and ``fan_out = shape[0] * rf`` with the receptive field
    ``rf = prod(shape[2:])`` (1 for dense weights). So a dense ``(128, 256)`` weight has fans
    (256, 128) and a conv kernel ``(64, 32, 3, 3)`` has (288, 576). Keras and JAX store kernels
    as ``(in, out)`` / ``(*kernel, in, out)``: transpose such an array before asking.

    Raises
    ------
    InitlabError
        For 0-D and 1-D shapes (a bias has no fan-in of its own) and non-positive sizes.
    """
    dims = check_shape(shape)
    if len(dims) < 2:
        raise InitlabError(
            f"fans need a weight shape with at least 2 dimensions (out, in, *kernel), got {dims}"
        )
    rf = math.prod(dims[2:])
    return dims[1] * rf, dims[0] * rf


# --- gains --------------------------------------------------------------------------------------

# PyTorch's table as variance multipliers (gain**2), kept exact so He's scale is 2.0, not
# sqrt(2)**2. sigmoid 1, tanh 5/3 and selu 3/4 are conventions; linear, relu and leaky_relu follow
# from He et al.'s argument (the rule :func:`derived_gain_squared` applies to everything else).
_GAIN2: dict[str, float] = {
    "linear": 1.0,
    "identity": 1.0,
    "conv1d": 1.0,
    "conv2d": 1.0,
    "conv3d": 1.0,
    "conv_transpose1d": 1.0,
    "conv_transpose2d": 1.0,
    "conv_transpose3d": 1.0,
    "sigmoid": 1.0,
    "tanh": 25.0 / 9.0,
    "relu": 2.0,
    "selu": 9.0 / 16.0,
}
#: How each tabled gain was obtained, for the docs and ``initlab inits --gains``.
GAIN_SOURCE: dict[str, str] = {
    **{k: "derived" for k in _GAIN2},
    "sigmoid": "convention (PyTorch)",
    "tanh": "convention (PyTorch, LeCun's 5/3)",
    "selu": "convention (PyTorch, empirical; use linear for self-normalising nets)",
    "leaky_relu": "derived",
}


@lru_cache(maxsize=64)
def derived_gain_squared(name: str, param: float | None = None) -> float:
    """``1 / E[f(z)^2]`` for ``z ~ N(0, 1)``: He et al.'s fixed-point rule for any activation.

    A layer ``z' = W f(z)`` with ``Var(W) = g^2 / fan_in`` keeps ``Var(z') = Var(z) = 1`` exactly
    when ``g^2 = 1 / E[f(z)^2]``; it gives 2 for relu and ``2/(1+a^2)`` for leaky relu. The
    expectation comes from the one Gaussian quadrature, :func:`initlab.core.quadrature.expect1`.
    """
    params = {} if param is None else {"alpha" if name == "elu" else "negative_slope": param}
    f = act_mod.get(name, **params).fn
    return float(1.0 / expect1(lambda h: f(h) ** 2, 1.0))


def _gain_key(nonlinearity: Any, param: float | None) -> tuple[str, float | None]:
    if isinstance(nonlinearity, act_mod.Activation):
        p = nonlinearity.params
        param = p.get("negative_slope", p.get("alpha", param))
        return nonlinearity.name, param
    if not isinstance(nonlinearity, str):
        raise InitlabError(f"nonlinearity must be a name, got {nonlinearity!r}")
    key = normalise(nonlinearity)
    return act_mod.ALIASES.get(key, key), param


def gain_squared(nonlinearity: Any, param: float | None = None) -> float:
    """The variance multiplier ``calculate_gain(nonlinearity, param)**2``, computed exactly."""
    key, param = _gain_key(nonlinearity, param)
    if key == "leaky_relu":
        slope = 0.01 if param is None else act_mod.leaky_relu(param).params["negative_slope"]
        return 1.0 / relu_like_second_moment(slope)
    if key == "elu":
        alpha = 1.0 if param is None else act_mod.elu(param).params["alpha"]
        return derived_gain_squared("elu", alpha)
    if param is not None:
        raise InitlabError(f"nonlinearity {nonlinearity!r} takes no parameter, got {param!r}")
    if key in _GAIN2:
        return _GAIN2[key]
    if key not in act_mod.ACTIVATIONS:
        raise unknown_name("nonlinearity", nonlinearity, sorted({*_GAIN2, *act_mod.ACTIVATIONS}))
    return derived_gain_squared(key)


def calculate_gain(nonlinearity: Any, param: float | None = None) -> float:
    """Recommended gain for a nonlinearity, identical to ``torch.nn.init.calculate_gain``.

    linear/conv/sigmoid 1, tanh 5/3, relu sqrt(2), leaky_relu sqrt(2/(1+a^2)) with a = 0.01 by
    default, selu 3/4. sigmoid, tanh and selu are PyTorch's conventions, not derivations. The
    other initlab activations (elu with ``param`` = alpha, gelu, silu, softplus, erf) get the
    derived value ``1/sqrt(E[f(z)^2])``, z ~ N(0, 1) (see :func:`derived_gain_squared`).
    ``nonlinearity`` may also be an :class:`~initlab.activations.Activation`.
    """
    return math.sqrt(gain_squared(nonlinearity, param))


def gain_table() -> list[dict[str, Any]]:
    """One row per nonlinearity: name, gain, scale (= gain**2) and how the value was obtained."""
    rows = []
    for name in sorted({*_GAIN2, *act_mod.ACTIVATIONS}):
        g2 = gain_squared(name)
        how = GAIN_SOURCE.get(name, "derived: 1/sqrt(E[f(z)^2]), z ~ N(0,1)")
        if name == "leaky_relu":
            how += " (negative_slope 0.01)"
        rows.append({"nonlinearity": name, "gain": math.sqrt(g2), "scale": g2, "source": how})
    return rows


# --- self-describing schemes --------------------------------------------------------------------


@dataclass(frozen=True)
class Law:
    """What a scheme draws for one shape.

    Attributes
    ----------
    kind : str
        ``normal``, ``truncated_normal``, ``uniform``, ``constant`` or a structured kind
        (``orthogonal``, ``identity``, ``dirac``, ``sparse``).
    mean, std : float
        Mean and standard deviation of the entries (after truncation; for structured kinds the
        exact entry statistics, or the root mean square for ``orthogonal``).
    low, high : float or None
        Support of the entries when bounded (``None`` when unbounded).
    sigma : float or None
        Pre-truncation sigma of a truncated normal (``None`` otherwise).
    """

    kind: str
    mean: float
    std: float
    low: float | None = None
    high: float | None = None
    sigma: float | None = None

    @property
    def bound(self) -> float | None:
        """Largest possible ``|w|`` (``None`` when unbounded)."""
        if self.low is None or self.high is None:
            return None
        return max(abs(self.low), abs(self.high))

    @property
    def interval(self) -> tuple[float, float]:
        """``(low, high)`` of a bounded law, for the draw that uses them."""
        if self.low is None or self.high is None:
            raise InitlabError(f"a {self.kind} law has no bounded support")
        return self.low, self.high

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, with ``bound`` included."""
        return {**asdict(self), "bound": self.bound}


BiasRule = Callable[..., Array]


@dataclass(frozen=True, eq=False)
class Scheme:
    """A named initializer: ``scheme(shape, rng) -> ndarray`` plus its own description.

    Attributes
    ----------
    name : str
        The spec that rebuilds it (``"normal:std=0.01"``).
    formula : str
        The rule in words, e.g. ``"N(0, 2/fan_in)"``.
    draw : callable ``(shape, law, Generator | RandomState) -> ndarray``
        Gets the :class:`Law` already computed for ``shape``, so fans and bounds are worked
        out once per draw.
    law : callable ``shape -> Law``
        Raises :class:`InitlabError` for shapes the scheme does not support.
    bias : str
        The bias rule used when no bias initializer is given.
    default_bias : callable ``(weight_shape, rng) -> ndarray of shape (out,)`` or None
        Read by :func:`initlab.network.init_params`; ``None`` means zero biases.
    """

    name: str
    formula: str
    draw: Callable[[Shape, Law, RNG], Array]
    law: Callable[[Shape], Law]
    bias: str = "zeros"
    default_bias: BiasRule | None = None

    def __call__(self, shape: Any, rng: RNGLike = None) -> Array:
        """Draw weights of ``shape``; a shape with a zero dimension gives an empty array (as in
        PyTorch and JAX), without drawing."""
        dims = check_shape(shape, allow_empty=True)
        if 0 in dims:
            return np.zeros(dims)
        law = self._law(dims)  # also rejects unsupported shapes before any draw
        return np.asarray(self.draw(dims, law, as_rng(rng)), dtype=np.float64)

    def describe(self, shape: Any) -> Law:
        """The :class:`Law` this scheme draws for ``shape``."""
        return self._law(check_shape(shape))

    def _law(self, dims: Shape) -> Law:
        law = self.law(dims)
        values = [law.mean, law.std, law.low, law.high, law.sigma]
        if not all(abs(v) <= MAX_WEIGHT for v in values if v is not None):  # False for NaN too
            raise InitlabError(
                f"{self.name} gives weights beyond {MAX_WEIGHT:g} for shape {dims} (mean "
                f"{law.mean!r}, std {law.std!r}): their squares overflow float64; use smaller "
                "parameters"
            )
        return law

    def __repr__(self) -> str:
        return f"Scheme({self.name!r}: {self.formula})"


def spec_name(name: str, **params: Any) -> str:
    """``spec_name("normal", std=0.01)`` -> ``"normal:std=0.01"``; ``None`` values are left out."""
    items = [f"{k}={_fmt(v)}" for k, v in params.items() if v is not None]
    return name + (":" + ",".join(items) if items else "")


def _fmt(v: Any) -> str:
    if isinstance(v, float | np.floating):
        return repr(float(v))  # shortest text that reads back as the same float: exact round trip
    return str(getattr(v, "name", v))


def uniform_law(low: float, high: float) -> Law:
    """U(low, high): mean (low+high)/2, std (high-low)/sqrt(12)."""
    return Law("uniform", (low + high) / 2, (high - low) / math.sqrt(12.0), low, high)


def truncated_normal_law(mean: float, sigma: float, lower: float, upper: float) -> Law:
    """N(mean, sigma^2) conditioned on ``[mean + lower*sigma, mean + upper*sigma]``."""
    a, b = lower, upper
    pdf = [math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi) for x in (a, b)]
    z = _ncdf(-a) - _ncdf(-b) if a > 0 else _ncdf(b) - _ncdf(a)  # tail side keeps precision
    if not z > 0:
        raise InitlabError(f"truncation window [{lower}, {upper}] sigma holds no probability mass")
    shift = (pdf[0] - pdf[1]) / z
    var = 1.0 + (a * pdf[0] - b * pdf[1]) / z - shift**2
    return Law(
        "truncated_normal",
        mean + sigma * shift,
        sigma * math.sqrt(max(var, 0.0)),
        mean + a * sigma,
        mean + b * sigma,
        sigma,
    )


def _ncdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def truncated_standard_normal(shape: Shape, rng: RNGLike, lower: float, upper: float) -> Array:
    """Standard normal draws conditioned on ``[lower, upper]``.

    Rejection sampling when the window holds at least 30% of the mass (exact, as NumPy/JAX do);
    otherwise inverse-CDF sampling on the side of the window nearer the tail, so narrow or far
    windows neither loop for long nor lose precision.
    """
    r = as_rng(rng)
    if _ncdf(upper) - _ncdf(lower) >= 0.3:
        out = r.standard_normal(shape)
        bad = (out < lower) | (out > upper)
        while bad.any():
            out[bad] = r.standard_normal(int(bad.sum()))
            bad = (out < lower) | (out > upper)
        return out
    from scipy.special import ndtr, ndtri

    flip = lower > 0  # sample (-upper, -lower) and negate: small CDF values keep their precision
    lo, hi = (-upper, -lower) if flip else (lower, upper)
    c_lo, c_hi = float(ndtr(lo)), float(ndtr(hi))
    if not c_hi > c_lo:
        raise InitlabError(f"truncation window [{lower}, {upper}] sigma holds no probability mass")
    out = np.clip(ndtri(c_lo + r.uniform(size=shape) * (c_hi - c_lo)), lo, hi)
    return np.asarray(-out if flip else out, dtype=np.float64)
