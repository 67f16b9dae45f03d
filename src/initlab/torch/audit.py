"""What a model's parameters look like now, and which registered scheme explains each one.

:func:`audit` reports, per parameter, its owner, shape, fans (torch's convention,
:func:`initlab.initializers.compute_fans`), mean, std and largest ``|w|``, and the candidate scheme
of :data:`CANDIDATES` whose law (``Scheme.describe(shape)``) fits the values best by a
Kolmogorov-Smirnov test. A parameter whose best p-value is below :data:`ALPHA` is reported as
unexplained (``scheme`` None), never forced into a scheme. Biases are also tested against their
weight's bias rule (``torch_default``: U(+-1/sqrt(fan_in)) of the owner's weight).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from initlab import initializers as init_mod
from initlab.core.errors import InitlabError
from initlab.torch._base import check_model

#: Specs tried on every weight of two or more dimensions, in order of preference on ties.
CANDIDATES = (
    "torch_default", "he_normal", "he_normal:mode=fan_out", "he_uniform", "he_uniform:mode=fan_out",
    "glorot_normal", "glorot_uniform", "lecun_normal", "lecun_uniform", "he_truncated_normal",
    "glorot_truncated_normal", "lecun_truncated_normal", "normal:std=1", "normal:std=0.02",
    "normal:std=0.01",
)  # fmt: skip
#: Specs tried on 1-D parameters (besides the owner weight's bias rule).
CONSTANTS = ("zeros", "ones")
BIAS_RULES = ("torch_default",)
ALPHA = 0.01  # below this p-value no scheme explains the values
MAX_TESTED = 20_000  # the KS test reads at most this many values (an even stride through them):
# it still tells a std 3% off at this size (KS distance ~ 1.36 / sqrt(n) = 0.01)


@dataclass
class ParamAudit:
    """One parameter: where it lives, its statistics, and the scheme that best explains it.

    ``fan_in``/``fan_out`` are None for parameters of fewer than two dimensions; ``scheme`` and
    ``p_value`` are None where no candidate explains the values; ``matches`` lists every candidate
    with ``p >= ALPHA`` (several when their laws coincide for this shape, e.g. fan_in == fan_out).
    """

    name: str
    module: str
    shape: tuple[int, ...]
    fan_in: int | None
    fan_out: int | None
    mean: float
    std: float
    max_abs: float
    scheme: str | None
    p_value: float | None
    matches: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "module": self.module, "shape": list(self.shape),
                "fan_in": self.fan_in, "fan_out": self.fan_out, "mean": self.mean, "std": self.std,
                "max_abs": self.max_abs, "scheme": self.scheme, "p_value": self.p_value,
                "matches": self.matches}


def audit(model: Any, alpha: float = ALPHA) -> list[ParamAudit]:
    """Audit every distinct parameter of ``model`` (a shared parameter once, under its first name).

    Returns
    -------
    list of ParamAudit
        In ``named_parameters`` order.
    """
    check_model(model)
    if not 0 < alpha < 1:
        raise InitlabError(f"alpha must be in (0, 1), got {alpha!r}")
    out, seen = [], set()
    for mname, module in model.named_modules():
        for local, p in module.named_parameters(recurse=False):
            if id(p) in seen:
                continue
            seen.add(id(p))
            name = f"{mname}.{local}" if mname else local
            values = p.detach().to(device="cpu").double().numpy().ravel()
            owner = getattr(module, "weight", None)
            owner_shape = tuple(owner.shape) if owner is not None and owner is not p and owner.dim() >= 2 else None
            out.append(_one(name, type(module).__name__, tuple(p.shape), values, owner_shape, alpha))
    return out


def _one(name: str, module: str, shape: tuple[int, ...], v: np.ndarray, owner: tuple[int, ...] | None,
         alpha: float) -> ParamAudit:
    fans = init_mod.compute_fans(shape) if len(shape) >= 2 else (None, None)
    finite = bool(np.all(np.isfinite(v)))
    mean, std = (float(v.mean()), float(v.std())) if finite and v.size else (math.nan, math.nan)
    max_abs = float(np.abs(v).max()) if v.size else 0.0
    fits = _fits(shape, v, owner) if finite and v.size else []
    good = sorted((f for f in fits if f[1] >= alpha), key=lambda f: -f[1])
    best = good[0] if good else None
    return ParamAudit(name, module, shape, fans[0], fans[1], mean, std, max_abs,
                      best[0] if best else None, best[1] if best else None, [g[0] for g in good])


def _fits(shape: tuple[int, ...], v: np.ndarray, owner: tuple[int, ...] | None) -> list[tuple[str, float]]:
    """(spec, p-value) of every candidate whose law applies to this shape."""
    laws: list[tuple[str, Any]] = []
    for spec in CONSTANTS:
        laws.append((spec, init_mod.get(spec).describe(shape)))
    if len(shape) >= 2:
        laws += [(spec, init_mod.get(spec).describe(shape)) for spec in CANDIDATES]
    elif owner is not None:
        laws += [(spec, init_mod.get(spec).describe(owner)) for spec in BIAS_RULES]
    sample = np.sort(v[:: max(1, math.ceil(v.size / MAX_TESTED))])
    return [(spec, p) for spec, law in laws if (p := p_value(law, sample)) is not None]


def p_value(law: Any, x: np.ndarray) -> float | None:
    """Kolmogorov-Smirnov p-value of the sorted sample ``x`` under ``law`` (exact two-sided
    distribution ``scipy.stats.kstwo``); 1 or 0 for a constant law; None for laws without a
    closed-form distribution (orthogonal, sparse)."""
    from scipy.special import kolmogorov, ndtr
    from scipy.stats import kstwo

    if law.kind == "constant":
        return 1.0 if bool(np.all(x == law.mean)) else 0.0
    if law.std == 0 or x.size < 2:
        return None
    if law.kind == "normal":
        cdf = ndtr((x - law.mean) / law.std)
    elif law.kind == "uniform":
        cdf = np.clip((x - law.low) / (law.high - law.low), 0.0, 1.0)
    elif law.kind == "truncated_normal":
        centre = (law.low + law.high) / 2  # the schemes truncate symmetrically about the mean
        lo, hi = ndtr((law.low - centre) / law.sigma), ndtr((law.high - centre) / law.sigma)
        cdf = np.clip((ndtr((x - centre) / law.sigma) - lo) / (hi - lo), 0.0, 1.0)
    else:
        return None
    n = x.size
    d = max(float(np.max(np.arange(1, n + 1) / n - cdf)), float(np.max(cdf - np.arange(n) / n)))
    if math.sqrt(n) * d > 2.5:  # p < 2e-5 either way: the asymptotic law, cheaper than the exact one
        return float(kolmogorov(math.sqrt(n) * d))
    return float(kstwo.sf(d, n))
