"""Weight initializers: one general rule (:func:`variance_scaling`) and thin named cases.

An initializer is a callable ``init(shape, rng) -> ndarray``. ``shape`` uses PyTorch's layout:
``(out, in)`` for dense weights (the tutorial's ``W[l]`` of shape ``(n_l, n_{l-1})``) and
``(out, in, *kernel)`` for convolution kernels. ``rng`` is a ``numpy.random.Generator``, an int
seed, or a legacy ``RandomState`` (tutorial parity); global random state is never used.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from .errors import InitlabError, check_choice, lookup
from .params import split_spec
from .rng import RNGLike, as_rng

Array = NDArray[np.float64]
Shape = tuple[int, ...]
Mode = Literal["fan_in", "fan_out", "fan_avg"]
Distribution = Literal["normal", "truncated_normal", "uniform"]

#: std of a standard normal truncated to [-2, 2]: dividing by it restores the target std.
TRUNC_STD_2SIGMA = 0.87962566103423978


class Initializer(Protocol):
    """``init(shape, rng) -> ndarray`` of that shape, float64."""

    def __call__(self, shape: Shape, rng: RNGLike = None) -> Array: ...


def check_shape(shape: Any) -> Shape:
    """Validate a weight shape: a tuple of positive ints."""
    try:
        dims = tuple(int(s) for s in shape)
    except (TypeError, ValueError):
        raise InitlabError(f"shape must be a tuple of positive integers, got {shape!r}") from None
    if any(d < 1 for d in dims) or any(
        isinstance(s, bool) or float(s) != int(s) for s in shape
    ):
        raise InitlabError(f"shape must be a tuple of positive integers, got {shape!r}")
    return dims


def compute_fans(shape: Shape) -> tuple[int, int]:
    """Fan-in and fan-out of a weight shape in PyTorch's ``(out, in, *kernel)`` layout.

    ``fan_in = shape[1] * rf`` and ``fan_out = shape[0] * rf`` with the receptive field
    ``rf = prod(shape[2:])`` (1 for dense weights). So a dense ``(128, 256)`` weight has fans
    (256, 128) and a conv kernel ``(64, 32, 3, 3)`` has (288, 576).

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


# Variance multipliers (gain**2) kept exact, so He's scale is 2.0 and not sqrt(2)**2.
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


def gain_squared(nonlinearity: str, param: float | None = None) -> float:
    """The variance multiplier ``calculate_gain(nonlinearity, param)**2``, computed exactly."""
    key = nonlinearity.strip().lower() if isinstance(nonlinearity, str) else nonlinearity
    if key == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return 2.0 / (1.0 + slope**2)
    if param is not None:
        raise InitlabError(f"nonlinearity {nonlinearity!r} takes no parameter, got {param!r}")
    return lookup(_GAIN2 | {"leaky_relu": 0.0}, key, "nonlinearity")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """PyTorch's recommended gain for a nonlinearity (``torch.nn.init.calculate_gain``).

    linear/conv/sigmoid 1, tanh 5/3, relu sqrt(2), leaky_relu sqrt(2/(1+a^2)) with a = 0.01 by
    default, selu 3/4 (PyTorch's empirical convention, not a derivation).
    """
    return math.sqrt(gain_squared(nonlinearity, param))


def _resolve_scale(
    default: float, gain: float | None, nonlinearity: str | None, negative_slope: float | None
) -> float:
    if gain is not None and nonlinearity is not None:
        raise InitlabError("give either gain or nonlinearity, not both")
    if gain is not None:
        g = float(gain)
        if not math.isfinite(g) or g <= 0:
            raise InitlabError(f"gain must be finite and > 0, got {gain!r}")
        return g * g
    if nonlinearity is not None:
        return gain_squared(nonlinearity, negative_slope)
    return default


def variance_scaling(
    scale: float = 1.0, mode: Mode = "fan_in", distribution: Distribution = "normal"
) -> Initializer:
    """The general rule: weights with variance ``scale / fan``.

    Parameters
    ----------
    scale : float
        Variance multiplier (``gain**2``): 2 for He, 1 for LeCun and Glorot.
    mode : {"fan_in", "fan_out", "fan_avg"}
        Which fan divides: ``fan_avg`` is ``(fan_in + fan_out) / 2``.
    distribution : {"normal", "truncated_normal", "uniform"}
        ``normal`` is untruncated (PyTorch's and the tutorial's meaning); ``truncated_normal``
        cuts at +-2 sigma and divides sigma by 0.87962566103423978 so the std hits the target;
        ``uniform`` draws U(-b, b) with ``b = sqrt(3 * scale / fan)``.
    """
    scale = float(scale)
    if not math.isfinite(scale) or scale <= 0:
        raise InitlabError(f"scale must be finite and > 0, got {scale!r}")
    check_choice(mode, ("fan_in", "fan_out", "fan_avg"), "mode")
    check_choice(distribution, ("normal", "truncated_normal", "uniform"), "distribution")

    def init(shape: Shape, rng: RNGLike = None) -> Array:
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
        r = as_rng(rng)
        if distribution == "uniform":
            bound = math.sqrt(3.0 * scale / fan)
            return r.uniform(-bound, bound, size=shape)
        if distribution == "truncated_normal":
            std = math.sqrt(scale / fan) / TRUNC_STD_2SIGMA
            return std * truncated_standard_normal(shape, r, -2.0, 2.0)
        # Same operation order as the tutorial's randn(...) * np.sqrt(2 / n) for bit parity.
        return r.standard_normal(shape) * np.sqrt(scale / fan)

    return init


def truncated_standard_normal(shape: Shape, rng: RNGLike, lower: float, upper: float) -> Array:
    """Standard normal draws conditioned on ``[lower, upper]``, by rejection."""
    r = as_rng(rng)
    out = r.standard_normal(shape)
    bad = (out < lower) | (out > upper)
    while bad.any():
        out[bad] = r.standard_normal(int(bad.sum()))
        bad = (out < lower) | (out > upper)
    return out


def _vs_named(
    default_scale: float, mode: Mode, distribution: Distribution
) -> Callable[..., Initializer]:
    def factory(
        gain: float | None = None,
        nonlinearity: str | None = None,
        negative_slope: float | None = None,
        mode: Mode = mode,
    ) -> Initializer:
        scale = _resolve_scale(default_scale, gain, nonlinearity, negative_slope)
        return variance_scaling(scale, mode, distribution)

    return factory


he_normal = _vs_named(2.0, "fan_in", "normal")
he_uniform = _vs_named(2.0, "fan_in", "uniform")
he_truncated_normal = _vs_named(2.0, "fan_in", "truncated_normal")
glorot_normal = _vs_named(1.0, "fan_avg", "normal")
glorot_uniform = _vs_named(1.0, "fan_avg", "uniform")
glorot_truncated_normal = _vs_named(1.0, "fan_avg", "truncated_normal")
lecun_normal = _vs_named(1.0, "fan_in", "normal")
lecun_uniform = _vs_named(1.0, "fan_in", "uniform")
lecun_truncated_normal = _vs_named(1.0, "fan_in", "truncated_normal")


def zeros() -> Initializer:
    """All zeros: fails to break symmetry (the tutorial's first experiment)."""
    return lambda shape, rng=None: np.zeros(check_shape(shape))


def ones() -> Initializer:
    """All ones."""
    return lambda shape, rng=None: np.ones(check_shape(shape))


def constant(value: float = 0.0) -> Initializer:
    """Every entry ``value``."""
    v = float(value)
    return lambda shape, rng=None: np.full(check_shape(shape), v)


def normal(mean: float = 0.0, std: float = 1.0) -> Initializer:
    """N(mean, std^2), untruncated."""
    if not math.isfinite(std) or std < 0:
        raise InitlabError(f"std must be finite and >= 0, got {std!r}")
    return lambda shape, rng=None: as_rng(rng).standard_normal(check_shape(shape)) * std + mean


def uniform(low: float = -0.05, high: float = 0.05) -> Initializer:
    """U(low, high)."""
    if not (math.isfinite(low) and math.isfinite(high)) or high < low:
        raise InitlabError(f"uniform needs finite low <= high, got low={low!r}, high={high!r}")
    return lambda shape, rng=None: as_rng(rng).uniform(low, high, size=check_shape(shape))


def random(scale: float = 10.0) -> Initializer:
    """The tutorial's "large random" weights: ``randn(...) * scale``."""
    if not math.isfinite(scale) or scale < 0:
        raise InitlabError(f"scale must be finite and >= 0, got {scale!r}")
    return lambda shape, rng=None: as_rng(rng).standard_normal(check_shape(shape)) * scale


#: Registry: name -> factory returning an initializer. Aliases are plain extra entries.
INITIALIZERS: dict[str, Callable[..., Initializer]] = {
    "zeros": zeros,
    "ones": ones,
    "constant": constant,
    "normal": normal,
    "uniform": uniform,
    "random": random,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "he_truncated_normal": he_truncated_normal,
    "glorot_normal": glorot_normal,
    "glorot_uniform": glorot_uniform,
    "glorot_truncated_normal": glorot_truncated_normal,
    "lecun_normal": lecun_normal,
    "lecun_uniform": lecun_uniform,
    "lecun_truncated_normal": lecun_truncated_normal,
}
ALIASES: dict[str, str] = {
    "he": "he_normal",
    "kaiming_normal": "he_normal",
    "kaiming_uniform": "he_uniform",
    "kaiming_truncated_normal": "he_truncated_normal",
    "xavier_normal": "glorot_normal",
    "xavier_uniform": "glorot_uniform",
    "xavier_truncated_normal": "glorot_truncated_normal",
}


def names(aliases: bool = True) -> list[str]:
    """Sorted names of every registered scheme (with aliases unless ``aliases=False``)."""
    return sorted([*INITIALIZERS, *ALIASES] if aliases else INITIALIZERS)


def get(spec: str | Callable[..., Array], **params: Any) -> Initializer:
    """Return an initializer from a name, a ``NAME[:key=value,...]`` string or a callable.

    Examples
    --------
    >>> w = get("normal:std=0.01")((3, 2), rng=0)
    >>> w.shape
    (3, 2)
    """
    if callable(spec) and not isinstance(spec, str):
        if params:
            raise InitlabError("parameters cannot be applied to a callable initializer")
        return spec
    if not isinstance(spec, str):
        raise InitlabError(f"initializer must be a name or a callable, got {spec!r}")
    name, parsed = split_spec(spec)
    key = name.lower().replace("-", "_")
    key = ALIASES.get(key, key)
    factory = lookup(INITIALIZERS, key, "initializer") if key in INITIALIZERS else None
    if factory is None:
        lookup({k: None for k in names()}, key, "initializer")
        raise AssertionError("unreachable")
    try:
        return factory(**{**parsed, **params})
    except TypeError as e:
        raise InitlabError(f"bad parameters for initializer {key!r}: {e}") from None
