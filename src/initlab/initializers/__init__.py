"""Weight initializers: one general rule (:func:`variance_scaling`) and thin named cases.

An initializer is a :class:`Scheme`, a callable ``init(shape, rng) -> ndarray`` that also carries
its name, formula, bias rule and the law it draws (:meth:`Scheme.describe`). ``shape`` uses
PyTorch's layout: ``(out, in)`` for dense weights (the tutorial's ``W[l]`` of shape
``(n_l, n_{l-1})``) and ``(out, in, *kernel)`` for convolution kernels. ``rng`` is a
``numpy.random.Generator``, an int seed, or a legacy ``RandomState`` (tutorial parity); global
random state is never used.

"normal" means untruncated, as in PyTorch and the tutorial; Keras' and JAX's truncated variants
carry ``truncated`` in their names. The frameworks' layer defaults are schemes too
(``torch_default``, ``keras_default``, ``flax_default``, ``sklearn_default``), each with its own
bias rule. This module is the public entry point: structured schemes live in
:mod:`initlab.initializers.structured` and the shared pieces in :mod:`initlab.initializers.laws`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Literal, overload

import numpy as np

from initlab import activations as act_mod
from initlab.core.errors import InitlabError, check_choice, check_positive_float
from initlab.core.registry import Registry
from initlab.core.rng import RNG, as_rng
from initlab.initializers.laws import (
    TRUNC_STD_2SIGMA,
    Array,
    Law,
    Scheme,
    Shape,
    calculate_gain,
    check_shape,
    compute_fans,
    finite_float,
    gain_squared,
    gain_table,
    spec_name,
    truncated_standard_normal,
    uniform_law,
)
from initlab.initializers.structured import (
    constant,
    dirac,
    identity,
    normal,
    ones,
    orthogonal,
    random,
    sparse,
    trunc_normal,
    truncated_normal,
    uniform,
    zeros,
)

__all__ = [
    "ALIASES", "INITIALIZERS", "TRUNC_STD_2SIGMA", "VARIANTS", "Law", "Scheme",
    "calculate_gain", "check_shape", "compute_fans", "constant", "dirac", "flax_default",
    "gain_squared", "gain_table", "get", "glorot_normal", "glorot_truncated_normal",
    "glorot_uniform", "he_normal", "he_truncated_normal", "he_uniform", "identity",
    "keras_default", "lecun_normal", "lecun_truncated_normal", "lecun_uniform", "names",
    "normal", "ones", "orthogonal", "random", "sklearn_default", "sparse", "torch_default",
    "trunc_normal", "truncated_normal", "truncated_standard_normal", "uniform", "variance_scaling", "zeros",
]  # fmt: skip

Mode = Literal["fan_in", "fan_out", "fan_avg"]
Distribution = Literal["normal", "truncated_normal", "uniform"]


def _fan(shape: Shape, mode: str) -> float:
    fan_in, fan_out = compute_fans(shape)
    return {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]


def _variance_text(scale: float, mode: str) -> str:
    if mode == "fan_avg":
        return f"{2 * scale:.6g}/(fan_in+fan_out)"
    return f"{scale:.6g}/{mode}"


def variance_scaling(
    scale: float = 1.0, mode: Mode = "fan_in", distribution: Distribution | str = "normal"
) -> Scheme:
    """The general rule: weights with variance ``scale / fan``.

    Parameters
    ----------
    scale : float
        Variance multiplier (``gain**2``): 2 for He, 1 for LeCun and Glorot.
    mode : {"fan_in", "fan_out", "fan_avg"}
        Which fan divides: ``fan_avg`` is ``(fan_in + fan_out) / 2``.
    distribution : {"normal", "truncated_normal", "uniform"}
        ``normal`` is untruncated (PyTorch's, JAX's and the tutorial's meaning; Keras calls it
        ``untruncated_normal``, accepted as an alias); ``truncated_normal`` cuts at +-2 sigma and
        divides sigma by 0.87962566103423978 so the std hits the target; ``uniform`` draws
        U(-b, b) with ``b = sqrt(3 * scale / fan)``.
    """
    scale = check_positive_float(scale, "scale")
    check_choice(mode, ("fan_in", "fan_out", "fan_avg"), "mode")
    if distribution == "untruncated_normal":
        distribution = "normal"
    check_choice(distribution, ("normal", "truncated_normal", "uniform"), "distribution")
    var = _variance_text(scale, mode)

    def law(shape: Shape) -> Law:
        fan = _fan(shape, mode)
        std = math.sqrt(scale / fan)
        if distribution == "uniform":
            bound = math.sqrt(3.0 * scale / fan)
            return uniform_law(-bound, bound)
        if distribution == "truncated_normal":
            sigma = std / TRUNC_STD_2SIGMA
            return Law("truncated_normal", 0.0, std, -2 * sigma, 2 * sigma, sigma)
        return Law("normal", 0.0, std)

    def draw(shape: Shape, law: Law, r: RNG) -> Array:
        if law.kind == "uniform":
            return r.uniform(*law.interval, size=shape)
        if law.kind == "truncated_normal":
            sigma = law.interval[1] / 2.0  # the cut is at 2 sigma, exactly (a power of two)
            return sigma * truncated_standard_normal(shape, r, -2.0, 2.0)
        # Same operation order as the tutorial's randn(...) * np.sqrt(2 / n) for bit parity.
        out: Array = r.standard_normal(shape) * law.std
        return out

    formula = {
        "normal": f"N(0, {var})",
        "uniform": f"U(±sqrt(3·{var}))",
        "truncated_normal": f"N(0, σ²) cut at ±2σ, σ = sqrt({var})/0.8796",
    }[distribution]
    name = spec_name("variance_scaling", scale=scale, mode=mode, distribution=distribution)
    return Scheme(name, formula, draw, law)


def _resolve_scale(default: float, gain: Any, nonlinearity: Any, negative_slope: Any) -> float:
    if gain is not None and (nonlinearity is not None or negative_slope is not None):
        raise InitlabError("give either gain or nonlinearity (+ negative_slope), not both")
    if gain is not None:
        g = check_positive_float(gain, "gain")
        if not 0.0 < g * g < math.inf:
            raise InitlabError(f"gain**2 must be a positive finite float64, got gain={gain!r}")
        return g * g
    if negative_slope is not None:
        slope = finite_float(negative_slope, "negative_slope")
        # PyTorch's kaiming_*(a=...) reads a slope without a name as leaky_relu's.
        return gain_squared(nonlinearity or "leaky_relu", slope)
    if nonlinearity is not None:
        return gain_squared(nonlinearity)
    return default


def _vs_named(
    name: str, default_scale: float, default_mode: Mode, distribution: Distribution, what: str
) -> Callable[..., Scheme]:
    def factory(
        gain: float | None = None,
        nonlinearity: Any = None,
        negative_slope: float | None = None,
        mode: Mode = default_mode,
    ) -> Scheme:
        scale = _resolve_scale(default_scale, gain, nonlinearity, negative_slope)
        base = variance_scaling(scale, mode, distribution)
        spec = spec_name(
            name, gain=gain, nonlinearity=nonlinearity, negative_slope=negative_slope,
            mode=None if mode == default_mode else mode,
        )  # fmt: skip
        return replace(base, name=spec)

    factory.__name__ = factory.__qualname__ = name
    factory.__doc__ = (
        f"{what}: :func:`variance_scaling` with scale {default_scale:g}, {default_mode}, "
        f"{distribution}.\n\n    ``gain`` (std multiplier) or ``nonlinearity`` "
        "(+ ``negative_slope``) replaces the default scale by ``gain**2``; ``mode`` picks the fan."
    )
    return factory


he_normal = _vs_named("he_normal", 2.0, "fan_in", "normal", "He/Kaiming normal (PyTorch)")
he_uniform = _vs_named("he_uniform", 2.0, "fan_in", "uniform", "He/Kaiming uniform")
he_truncated_normal = _vs_named(
    "he_truncated_normal", 2.0, "fan_in", "truncated_normal", "He normal as Keras/JAX draw it"
)
glorot_normal = _vs_named("glorot_normal", 1.0, "fan_avg", "normal", "Glorot/Xavier normal")
glorot_uniform = _vs_named("glorot_uniform", 1.0, "fan_avg", "uniform", "Glorot/Xavier uniform")
glorot_truncated_normal = _vs_named(
    "glorot_truncated_normal", 1.0, "fan_avg", "truncated_normal", "Glorot normal as in Keras/JAX"
)
lecun_normal = _vs_named("lecun_normal", 1.0, "fan_in", "normal", "LeCun normal")
lecun_uniform = _vs_named("lecun_uniform", 1.0, "fan_in", "uniform", "LeCun uniform")
lecun_truncated_normal = _vs_named(
    "lecun_truncated_normal", 1.0, "fan_in", "truncated_normal", "LeCun normal as in Keras/JAX"
)


# --- the frameworks' layer defaults, with their bias rules --------------------------------------


def torch_default(transposed: bool = False) -> Scheme:
    """PyTorch's Linear/Conv default: ``kaiming_uniform_(a=sqrt(5))`` = U(+-1/sqrt(fan_in)).

    The bias is drawn from the same U(+-1/sqrt(fan_in)) (fan_in of the weight), after the weight.
    It has one entry per output channel: ``shape[0]`` for Linear/Conv weights ``(out, in, *k)``,
    ``shape[1]`` for ConvTranspose weights ``(in, out, *k)`` (``transposed=True``; with groups,
    pass the bias length as ``size``).
    """
    if not isinstance(transposed, bool):
        raise InitlabError(f"transposed must be true or false, got {transposed!r}")

    def bound(shape: Shape) -> float:
        return 1.0 / math.sqrt(compute_fans(shape)[0])

    def bias(w_shape: Shape, rng: Any, size: int | None = None) -> Array:
        b = bound(w_shape)
        n = size if size is not None else w_shape[1 if transposed else 0]
        return as_rng(rng).uniform(-b, b, size=n)

    return Scheme(
        spec_name("torch_default", transposed=transposed or None),
        "U(±1/sqrt(fan_in)) = kaiming_uniform(a=sqrt(5)); std 1/sqrt(3·fan_in)",
        lambda shape, law, r: r.uniform(*law.interval, size=shape),
        lambda shape: uniform_law(-bound(shape), bound(shape)),
        bias="U(±1/sqrt(fan_in))",
        default_bias=bias,
    )


def keras_default() -> Scheme:
    """Keras 3 Dense/Conv default: ``glorot_uniform`` kernel, zero bias."""
    base = glorot_uniform()
    return replace(base, name="keras_default", formula=f"glorot_uniform: {base.formula}")


def flax_default() -> Scheme:
    """Flax Dense/Conv default: truncated ``lecun_normal`` kernel, zero bias."""
    base = lecun_truncated_normal()
    return replace(base, name="flax_default", formula=f"lecun_truncated_normal: {base.formula}")


def sklearn_default(activation: str = "relu") -> Scheme:
    """scikit-learn MLP: U(+-sqrt(6/(fan_in+fan_out))), factor 2 instead of 6 for logistic.

    The factor follows the *hidden* activation and applies to every layer; biases are drawn from
    the same range right after each weight. Dense weights are drawn as sklearn's ``(in, out)``
    array and transposed, so a ``RandomState(seed)`` reproduces sklearn's ``coefs_[i].T``.
    """
    act = act_mod.get(activation)
    factor = 2.0 if act.name == "sigmoid" else 6.0

    def bound(shape: Shape) -> float:
        fan_in, fan_out = compute_fans(shape)
        return math.sqrt(factor / (fan_in + fan_out))

    def draw(shape: Shape, law: Law, r: RNG) -> Array:
        if len(shape) == 2:
            return np.ascontiguousarray(r.uniform(*law.interval, size=shape[::-1]).T)
        return r.uniform(*law.interval, size=shape)

    def bias(w_shape: Shape, rng: Any) -> Array:
        return as_rng(rng).uniform(-bound(w_shape), bound(w_shape), size=w_shape[0])

    return Scheme(
        spec_name("sklearn_default", activation=None if act.name == "relu" else act.name),
        f"U(±sqrt({factor:g}/(fan_in+fan_out)))" + (" (logistic)" if factor == 2 else ""),
        draw,
        lambda shape: uniform_law(-bound(shape), bound(shape)),
        bias="same U as the weights",
        default_bias=bias,
    )


#: Registry: name -> factory returning a :class:`Scheme`, with the aliases.
INITIALIZERS = Registry[Scheme](
    "initializer",
    aliases={
        "he": "he_normal",
        "kaiming_normal": "he_normal",
        "kaiming_uniform": "he_uniform",
        "kaiming_truncated_normal": "he_truncated_normal",
        "xavier_normal": "glorot_normal",
        "xavier_uniform": "glorot_uniform",
        "xavier_truncated_normal": "glorot_truncated_normal",
        "eye": "identity",
        "pytorch_default": "torch_default",
        "jax_default": "flax_default",
    },
)
for _factory in (
    zeros, ones, constant, normal, uniform, truncated_normal, trunc_normal, random, variance_scaling,
    he_normal, he_uniform, he_truncated_normal, glorot_normal, glorot_uniform,
    glorot_truncated_normal, lecun_normal, lecun_uniform, lecun_truncated_normal,
    orthogonal, identity, dirac, sparse,
    torch_default, keras_default, flax_default, sklearn_default,
):  # fmt: skip
    INITIALIZERS.register(_factory)
#: alias -> registered name (read-only view of ``INITIALIZERS.aliases``).
ALIASES: dict[str, str] = INITIALIZERS.aliases
#: Parametrised cases worth seeing next to the defaults (``initlab inits`` lists them too).
VARIANTS: tuple[str, ...] = (
    "he_normal:mode=fan_out",
    "he_normal:nonlinearity=leaky_relu,negative_slope=0.2",
    "glorot_uniform:nonlinearity=tanh",
    "sklearn_default:activation=logistic",
)


def names(aliases: bool = True) -> list[str]:
    """Sorted names of every registered scheme (with aliases unless ``aliases=False``)."""
    return INITIALIZERS.names(aliases)


def parameters(name: str) -> list[str]:
    """The keyword parameters a registered scheme accepts."""
    return INITIALIZERS.parameters(name)


@overload
def get(spec: str, **params: Any) -> Scheme: ...
@overload
def get(spec: Callable[..., Array], **params: Any) -> Callable[..., Array]: ...
def get(spec: str | Callable[..., Array], **params: Any) -> Scheme | Callable[..., Array]:
    """Return an initializer from a name, a ``NAME[:key=value,...]`` string or a callable.

    Examples
    --------
    >>> w = get("normal:std=0.01")((3, 2), rng=0)
    >>> w.shape
    (3, 2)
    >>> get("he_normal", nonlinearity="leaky_relu", negative_slope=0.2).name
    'he_normal:nonlinearity=leaky_relu,negative_slope=0.2'
    """
    if callable(spec) and not isinstance(spec, str):
        if params:
            raise InitlabError("parameters cannot be applied to a callable initializer")
        return spec
    if not isinstance(spec, str):
        raise InitlabError(f"initializer must be a name or a callable, got {spec!r}")
    key, parsed = INITIALIZERS.parse(spec)
    merged = {**parsed, **params}
    # Name it by what was asked for, so defaults stay implicit: "normal:std=0.01".
    return replace(INITIALIZERS.get(key, **merged), name=spec_name(key, **merged))
