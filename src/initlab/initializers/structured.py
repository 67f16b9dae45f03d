"""Plain and structured initializers: constants, normal/uniform/truncated draws, the tutorial's
large random, and orthogonal, identity, dirac and sparse with PyTorch's semantics.

Import them from :mod:`initlab.initializers`. Shapes use PyTorch's ``(out, in, *kernel)`` layout;
conv kernels are flattened as PyTorch does, to ``(out, in * prod(kernel))``.
"""

from __future__ import annotations

import math

import numpy as np

from initlab.core.errors import InitlabError, check_positive_float, check_positive_int
from initlab.core.rng import RNG
from initlab.initializers.laws import (
    Array,
    Law,
    Scheme,
    Shape,
    finite_float,
    spec_name,
    truncated_normal_law,
    truncated_standard_normal,
    uniform_law,
)


def _const(name: str, value: float) -> Scheme:
    return Scheme(
        name,
        f"every entry {value:g}",
        lambda shape, law, r: np.full(shape, value),
        lambda shape: Law("constant", value, 0.0, value, value),
    )


def zeros() -> Scheme:
    """All zeros: fails to break symmetry (the tutorial's first experiment)."""
    return _const("zeros", 0.0)


def ones() -> Scheme:
    """All ones."""
    return _const("ones", 1.0)


def constant(value: float = 0.0) -> Scheme:
    """Every entry ``value``."""
    return _const(spec_name("constant", value=finite_float(value, "value")), finite_float(value, "value"))


def normal(mean: float = 0.0, std: float = 1.0) -> Scheme:
    """N(mean, std^2), untruncated (PyTorch's ``normal_`` defaults)."""
    mu = finite_float(mean, "mean")
    s = check_positive_float(std, "std", allow_zero=True)
    return Scheme(
        spec_name("normal", mean=mean, std=std),
        f"N({mu:g}, {s:g}²)",
        lambda shape, law, r: r.standard_normal(shape) * s + mu,
        lambda shape: Law("normal", mu, s),
    )


def uniform(low: float = -0.05, high: float = 0.05) -> Scheme:
    """U(low, high) (Keras' ``RandomUniform`` defaults)."""
    lo, hi = finite_float(low, "low"), finite_float(high, "high")
    if not lo < hi:
        raise InitlabError(f"uniform needs low < high, got low={low!r}, high={high!r}")
    return Scheme(
        spec_name("uniform", low=lo, high=hi),
        f"U({lo:g}, {hi:g})",
        lambda shape, law, r: r.uniform(lo, hi, size=shape),
        lambda shape: uniform_law(lo, hi),
    )


def truncated_normal(
    mean: float = 0.0, std: float = 1.0, lower: float = -2.0, upper: float = 2.0
) -> Scheme:
    """N(mean, std^2) conditioned on ``[mean + lower*std, mean + upper*std]``.

    The bounds are in std units (JAX's convention; PyTorch's ``trunc_normal_`` takes absolute
    bounds and Keras fixes +-2). ``std`` is the pre-truncation sigma: no variance correction, as
    in all three frameworks; :meth:`Scheme.describe` gives the post-truncation mean and std.
    """
    mu = finite_float(mean, "mean")
    s = check_positive_float(std, "std")
    lo, hi = finite_float(lower, "lower"), finite_float(upper, "upper")
    if not lo < hi:
        raise InitlabError(f"truncated_normal needs lower < upper, got {lower!r}, {upper!r}")
    law = truncated_normal_law(mu, s, lo, hi)
    if not math.isfinite(law.std) or law.std <= 0:
        raise InitlabError(f"truncation window [{lo}, {hi}] std holds no probability mass")
    return Scheme(
        spec_name("truncated_normal", mean=mean, std=std, lower=lower, upper=upper),
        f"N({mu:g}, {s:g}²) cut at [{lo:g}σ, {hi:g}σ], no variance correction",
        lambda shape, law, r: mu + s * truncated_standard_normal(shape, r, lo, hi),
        lambda shape: law,
    )


def trunc_normal(mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0) -> Scheme:
    """``torch.nn.init.trunc_normal_``: N(mean, std^2) conditioned on the absolute ``[a, b]``.

    The bounds are values, not std units (PyTorch's convention, defaults -2 and 2), and ``std``
    is the std of the untruncated normal: ``trunc_normal:std=0.02`` cuts at +-100 sigma and draws
    std 0.02. :func:`truncated_normal` is the std-unit form (JAX's and Keras').
    """
    mu = finite_float(mean, "mean")
    s = check_positive_float(std, "std")
    lo, hi = finite_float(a, "a"), finite_float(b, "b")
    if not lo < hi:
        raise InitlabError(f"trunc_normal needs a < b, got a={a!r}, b={b!r}")
    zlo, zhi = (lo - mu) / s, (hi - mu) / s
    if not (math.isfinite(zlo) and math.isfinite(zhi)):
        raise InitlabError(f"trunc_normal: std {std!r} is too small for the window [{a!r}, {b!r}]")
    law = truncated_normal_law(mu, s, zlo, zhi)
    law = Law(law.kind, law.mean, law.std, lo, hi, s)  # the exact bounds, not mu + z * s
    if not math.isfinite(law.std) or law.std <= 0:
        raise InitlabError(f"trunc_normal: the window [{lo}, {hi}] holds no probability mass")
    return Scheme(
        spec_name("trunc_normal", mean=mean, std=std, a=a, b=b),
        f"N({mu:g}, {s:g}²) cut at [{lo:g}, {hi:g}] (absolute bounds, PyTorch's trunc_normal_)",
        lambda shape, law, r: np.clip(mu + s * truncated_standard_normal(shape, r, zlo, zhi), lo, hi),
        lambda shape: law,
    )


def random(scale: float = 10.0) -> Scheme:
    """The tutorial's "large random" weights: ``randn(...) * scale``."""
    s = check_positive_float(scale, "scale", allow_zero=True)
    return Scheme(
        spec_name("random", scale=scale),
        f"randn·{s:g} = N(0, {s * s:g})",
        lambda shape, law, r: r.standard_normal(shape) * s,
        lambda shape: Law("normal", 0.0, s),
    )


def _flat(shape: Shape, what: str) -> tuple[int, int]:
    if len(shape) < 2:
        raise InitlabError(
            f"{what} needs a weight shape with at least 2 dimensions (out, in, *kernel), "
            f"got {shape}"
        )
    return shape[0], math.prod(shape[1:])


def orthogonal(gain: float = 1.0) -> Scheme:
    """Orthogonal weights (Saxe et al. 2013) times ``gain``, as ``torch.nn.init.orthogonal_``.

    The shape is flattened to ``(rows, cols) = (shape[0], prod(shape[1:]))``; the QR factors of
    a standard normal matrix (of the taller orientation) give ``Q``, whose columns are multiplied
    by ``sign(diag(R))`` so the result is Haar-distributed. Rows are orthonormal when
    ``rows <= cols``, columns otherwise; every entry has ``|w| <= gain``.
    """
    g = check_positive_float(gain, "gain")

    def law(shape: Shape) -> Law:
        rows, cols = _flat(shape, "orthogonal")
        # ||Q||_F^2 = min(rows, cols), so the root mean square of the entries is exact.
        return Law("orthogonal", 0.0, g / math.sqrt(max(rows, cols)), -g, g)

    def draw(shape: Shape, law: Law, r: RNG) -> Array:
        rows, cols = _flat(shape, "orthogonal")
        flat = r.standard_normal((rows, cols))
        if rows < cols:
            flat = flat.T
        q, rr = np.linalg.qr(flat)
        q = q * np.where(np.diag(rr) < 0, -1.0, 1.0)
        if rows < cols:
            q = q.T
        return g * q.reshape(shape)

    return Scheme(
        spec_name("orthogonal", gain=gain),
        f"{g:g}·Q, Q from QR of N(0,1) (rows or columns orthonormal)",
        draw,
        law,
    )


def _indicator_law(kind: str, ones: int, total: int, value: float) -> Law:
    p = ones / total
    return Law(kind, value * p, abs(value) * math.sqrt(p - p * p), min(0.0, value), max(0.0, value))


def identity(gain: float = 1.0) -> Scheme:
    """``gain * eye(rows, cols)`` for 2-D weights; rectangular shapes are zero-padded.

    Keras' ``Identity(gain)`` and PyTorch's ``eye_``. Conv kernels raise: use :func:`dirac`.
    """
    g = check_positive_float(gain, "gain")

    def law(shape: Shape) -> Law:
        if len(shape) != 2:
            raise InitlabError(
                f"identity needs a 2-D weight shape (out, in), got {shape}; use dirac for conv"
            )
        return _indicator_law("identity", min(shape), shape[0] * shape[1], g)

    return Scheme(
        spec_name("identity", gain=gain),
        f"{g:g}·eye(out, in)",
        lambda shape, law, r: g * np.eye(shape[0], shape[1]),
        law,
    )


def dirac(groups: int = 1) -> Scheme:
    """Identity convolution kernels, as ``torch.nn.init.dirac_``.

    For each of ``groups`` blocks of ``out // groups`` output channels, output channel ``d`` of
    the block gets a 1 at input channel ``d`` and the kernel centre ``k // 2`` (for
    ``d < min(out // groups, in)``); every other entry is 0. Needs ``(out, in, *kernel)`` with
    at least one kernel dimension and ``out`` divisible by ``groups``.
    """
    n_groups = check_positive_int(groups, "groups")

    def layout(shape: Shape) -> tuple[int, int]:
        if len(shape) < 3:
            raise InitlabError(
                f"dirac needs a conv kernel shape (out, in, *kernel), got {shape}; "
                "use identity for 2-D weights"
            )
        if shape[0] % n_groups:
            raise InitlabError(f"dirac: out channels {shape[0]} not divisible by groups={groups}")
        per = shape[0] // n_groups
        return per, min(per, shape[1])

    def draw(shape: Shape, law: Law, r: RNG) -> Array:
        per, n = layout(shape)
        w = np.zeros(shape)
        centre = tuple(k // 2 for k in shape[2:])
        for grp in range(n_groups):
            for d in range(n):
                w[(grp * per + d, d, *centre)] = 1.0
        return w

    def law(shape: Shape) -> Law:
        _, n = layout(shape)
        return _indicator_law("dirac", n_groups * n, math.prod(shape), 1.0)

    return Scheme(
        spec_name("dirac", groups=None if n_groups == 1 else n_groups),
        "1 at (d, d, k//2, ...) per group, 0 elsewhere",
        draw,
        law,
    )


def sparse(sparsity: float = 0.1, std: float = 0.01) -> Scheme:
    """N(0, std^2) with ``ceil(sparsity * rows)`` zeros per column (Martens 2010).

    As ``torch.nn.init.sparse_``; conv kernels are flattened to ``(out, in * prod(kernel))`` and
    the zeros are placed per flattened column. Unlike PyTorch, the zero positions come from the
    same ``rng`` (PyTorch draws them from the global generator).
    """
    ok = isinstance(sparsity, int | float) and not isinstance(sparsity, bool)
    s = float(sparsity) if ok and abs(sparsity) < 2 else None  # abs first: no float(10**400)
    if s is None or not 0.0 <= s < 1.0:
        raise InitlabError(f"sparsity must be a number in [0, 1), got {sparsity!r}")
    sd = check_positive_float(std, "std", allow_zero=True)

    def n_zeros(rows: int) -> int:
        return math.ceil(s * rows)  # PyTorch's count, float rounding included

    def law(shape: Shape) -> Law:
        rows, _ = _flat(shape, "sparse")
        return Law("sparse", 0.0, sd * math.sqrt((rows - n_zeros(rows)) / rows), sigma=sd)

    def draw(shape: Shape, law: Law, r: RNG) -> Array:
        rows, cols = _flat(shape, "sparse")
        w = r.standard_normal((rows, cols)) * sd
        nz = n_zeros(rows)
        if nz:
            zero_rows = np.argsort(r.random((rows, cols)), axis=0)[:nz]
            w[zero_rows, np.arange(cols)] = 0.0
        return w.reshape(shape)

    return Scheme(
        spec_name("sparse", sparsity=s, std=sd),
        f"N(0, {sd:g}²) with ceil({s:g}·rows) zeros per column",
        draw,
        law,
    )
