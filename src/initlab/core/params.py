"""Parsing of the CLI's ``NAME[:key=value,...]`` form shared by every registry."""

from __future__ import annotations

import math
import sys

from initlab.core.errors import InitlabError

Value = float | int | str | bool
_FLOAT_MAX = sys.float_info.max


def parse_value(text: str) -> Value:
    """Read ``"3"`` as int, ``"0.01"`` as float, ``"true"`` as bool, else keep the string."""
    low = text.strip().lower()
    if low in {"true", "false"}:
        return low == "true"
    try:
        n = int(low)
    except ValueError:
        pass
    else:
        if abs(n) > _FLOAT_MAX:  # no parameter is meaningful beyond float64's range
            raise InitlabError(f"parameter value {text.strip()[:20]}... is out of range (above 1.8e308)")
        return n
    try:
        x = float(low)
    except ValueError:
        return text.strip()
    if not math.isfinite(x):
        raise InitlabError(f"parameter value must be finite, got {text!r}")
    return x


def parse_params(text: str, where: str) -> dict[str, Value]:
    """Parse ``"std=0.01,mean=0"`` into a dict; ``""`` gives ``{}``."""
    out: dict[str, Value] = {}
    if not text.strip():
        return out
    for item in text.split(","):
        key, eq, val = item.partition("=")
        key = key.strip().replace("-", "_")
        if not eq or not key.isidentifier() or not val.strip():
            raise InitlabError(f"malformed parameter {item!r} in {where}; expected key=value")
        if key in out:
            raise InitlabError(f"parameter {key!r} given twice in {where}")
        out[key] = parse_value(val)
    return out


def split_spec(spec: str) -> tuple[str, dict[str, Value]]:
    """Split ``"normal:std=0.01"`` into ``("normal", {"std": 0.01})``."""
    name, _, rest = spec.partition(":")
    if not name.strip():
        raise InitlabError(f"missing name in {spec!r}")
    return name.strip(), parse_params(rest, repr(spec))
