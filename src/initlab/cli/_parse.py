"""The one list syntax of every command's options: ``--inits``, ``--activations``, ``--mark``,
``--layers``, ``--widths``, ``--shape``.

A list is comma-separated. A spec item may carry several parameters, ``NAME:k=v,k2=v2``: an item
``key=value`` without a name of its own belongs to the spec before it, so

    he_normal:nonlinearity=leaky_relu,negative_slope=0.2,zeros

is two specs. Empty entries (``a,,b``, a trailing comma) are refused, not dropped, and so are two
entries that name the same thing (``he,he_normal``) when a registry is given.
"""

from __future__ import annotations

from typing import Any

from initlab.core.errors import InitlabError
from initlab.core.registry import Registry


def split_specs(text: str, what: str, registry: Registry[Any] | None = None) -> list[str]:
    """Split a comma-separated list of ``NAME[:k=v,...]`` specs (see the module docstring).

    Parameters
    ----------
    text : str
        The option's value.
    what : str
        The option's name, for messages (``"--inits"``).
    registry : Registry, optional
        When given, two specs that build the same thing (aliases, case, parameter order) are
        refused as a repeated entry.
    """
    out: list[str] = []
    for item in (t.strip() for t in text.split(",")):
        if not item:
            raise InitlabError(f"empty entry in {what} list {text!r}")
        if "=" in item and ":" not in item and out:
            out[-1] += "," + item
        else:
            out.append(item)
    if registry is not None:
        seen: dict[str, str] = {}
        for spec in out:
            key = registry.canonical(spec)
            if key in seen:
                raise InitlabError(f"{what} lists {seen[key]!r} and {spec!r}, which are the same")
            seen[key] = spec
    return out


def split_ints(text: str, what: str, example: str, minimum: int = 1) -> list[int]:
    """Split ``"2,10,5,1"`` into integers >= ``minimum``; empty or other entries are refused."""
    items = [t.strip() for t in text.split(",")]
    try:
        if any(not t for t in items):
            raise ValueError
        values = [int(t) for t in items]
    except ValueError:
        raise InitlabError(
            f"{what} must be comma-separated integers like {example}, got {text!r}"
        ) from None
    bad = [v for v in values if v < minimum]
    if bad:
        need = "positive integers" if minimum == 1 else f"integers >= {minimum}"
        raise InitlabError(f"{what} entries must be {need}, got {bad[0]} in {text!r}")
    return values
