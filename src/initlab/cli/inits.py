"""``initlab inits``: every initialization scheme, its formula, bias rule, std and bound.

The numbers come from each scheme's own :meth:`~initlab.initializers.Scheme.describe`, so what is
printed is what the code draws.
"""

from __future__ import annotations

import json
from typing import Any

import click

from initlab import initializers as init_mod
from initlab.cli._parse import split_ints, split_specs
from initlab.core.errors import InitlabError


def parse_shape(text: str) -> tuple[int, ...]:
    """``"64,32,3,3"`` -> ``(64, 32, 3, 3)``; sizes must be positive integers."""
    dims = tuple(split_ints(text.replace("x", ","), "--shape", "64,32,3,3"))
    if len(dims) < 2:
        raise InitlabError(
            f"--shape needs at least 2 positive sizes (out, in, *kernel), got {text!r}"
        )
    return dims


def _shape(fan_in: int | None, fan_out: int | None, shape: str | None) -> tuple[int, ...] | None:
    if shape is not None:
        if fan_in is not None or fan_out is not None:
            raise click.UsageError("give either --shape or --fan-in/--fan-out, not both")
        return parse_shape(shape)
    if (fan_in is None) != (fan_out is None):
        raise click.UsageError("--fan-in and --fan-out go together")
    if fan_in is None or fan_out is None:
        return None
    for flag, v in (("--fan-in", fan_in), ("--fan-out", fan_out)):
        if v < 1:
            raise InitlabError(f"{flag} must be a positive integer, got {v}")
    return (fan_out, fan_in)  # dense weight in the (out, in) layout


def rows(specs: list[str], shape: tuple[int, ...] | None) -> list[dict[str, Any]]:
    """One JSON-ready row per scheme: name, aliases, formula, bias and (for a shape) its law."""
    aliases: dict[str, list[str]] = {}
    for alias, target in init_mod.ALIASES.items():
        aliases.setdefault(target, []).append(alias)
    out = []
    for spec in specs:
        scheme: Any = init_mod.get(spec)
        row: dict[str, Any] = {
            "name": scheme.name,
            "aliases": sorted(aliases.get(scheme.name, [])),
            "formula": scheme.formula,
            "bias": scheme.bias,
        }
        if shape is not None:
            try:
                row["law"], row["error"] = scheme.describe(shape).as_dict(), None
            except InitlabError as e:
                row["law"], row["error"] = None, str(e)
        out.append(row)
    return out


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.6f}"


def _table(data: list[dict[str, Any]], shape: tuple[int, ...] | None) -> str:
    width = max(len(r["name"]) for r in data)
    lines = []
    if shape is not None:
        fi, fo = init_mod.compute_fans(shape)
        lines.append(f"shape {shape} (out, in, *kernel): fan_in={fi}, fan_out={fo}")
        lines.append(f"{'scheme':<{width}}  {'std':>9}  {'bound':>9}  {'sigma':>9}  formula; bias")
    for r in data:
        text = f"{r['formula']}; bias: {r['bias']}"
        if r["aliases"]:
            text += f" (alias {', '.join(r['aliases'])})"
        if shape is None:
            lines.append(f"{r['name']:<{width}}  {text}")
        elif r["law"] is None:
            lines.append(f"{r['name']:<{width}}  {'n/a':>9}  {'':>9}  {'':>9}  {r['error']}")
        else:
            law = r["law"]
            nums = f"{_num(law['std']):>9}  {_num(law['bound']):>9}  {_num(law['sigma']):>9}"
            lines.append(f"{r['name']:<{width}}  {nums}  {text}")
    return "\n".join(lines)


def _gains_text(table: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{r['nonlinearity']:<18} gain {r['gain']:.6f}  scale {r['scale']:.6f}  {r['source']}"
        for r in table
    )


@click.command("inits")
@click.argument("specs", nargs=-1)
@click.option("--fan-in", type=int, default=None, help="Fan-in of a dense weight.")
@click.option("--fan-out", type=int, default=None, help="Fan-out of a dense weight.")
@click.option("--shape", default=None, help="Weight shape (out,in[,kernel...]), e.g. 64,32,3,3.")
@click.option("--gains", is_flag=True, help="Print the gain table (calculate_gain) instead.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON on stdout.")
def inits(
    specs: tuple[str, ...],
    fan_in: int | None,
    fan_out: int | None,
    shape: str | None,
    gains: bool,
    as_json: bool,
) -> None:
    """List initialization schemes with their formula and bias rule.

    With --fan-in A --fan-out B (a dense (B, A) weight) or --shape (PyTorch's (out, in, *kernel)
    layout), also print the std, the bound (largest |w|) and the pre-truncation sigma each
    scheme gives. SPECS (e.g. he_normal:mode=fan_out) restrict the list; by default every
    registered scheme is shown, then a few parametrised variants.
    """
    if gains:
        table = init_mod.gain_table()
        click.echo(json.dumps({"gains": table}, indent=2) if as_json else _gains_text(table))
        return
    dims = _shape(fan_in, fan_out, shape)
    listed = split_specs(",".join(specs), "SPECS", init_mod.INITIALIZERS) if specs else []
    chosen = listed or [*init_mod.names(aliases=False), *init_mod.VARIANTS]
    data = rows(chosen, dims)
    if as_json:
        fans = init_mod.compute_fans(dims) if dims is not None else (None, None)
        payload = {"shape": dims, "fan_in": fans[0], "fan_out": fans[1], "schemes": data}
        click.echo(json.dumps(payload, indent=2))
    else:
        click.echo(_table(data, dims))
