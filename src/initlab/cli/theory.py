"""``initlab theory``: mean-field fixed point, chi_1, phase, depth scales and the phase diagram.

    initlab theory --activation tanh --sigma-w2 1.5 --sigma-b2 0.05 [--json]
    initlab theory --activation tanh --sigma-b2 0.05 --critical [--json]
    initlab theory --activation tanh --out DIR [--mark lecun_normal,he_normal] [--width 100]
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from initlab.core.errors import InitlabError
from initlab.experiments.propagation_reports import phase_diagram
from initlab.output.bundle import write_bundle


def _value(v: Any) -> str:
    if v is None:
        return "none (infinite or undefined)"
    return f"{v:.6g}" if isinstance(v, float) else str(v)


@click.command("theory")
@click.option("--activation", default="tanh", show_default=True)
@click.option("--sigma-w2", type=float, help="Weight variance times fan_in (> 0).")
@click.option("--sigma-b2", type=float, default=0.0, show_default=True, help="Bias variance (>= 0).")
@click.option("--critical", is_flag=True, help="Also solve chi_1 = 1 for sigma_w2 at this sigma_b2.")
@click.option("--out", type=click.Path(file_okay=False), help="Draw the phase diagram into DIR.")
@click.option("--mark", default="lecun_normal,he_normal,glorot_normal", show_default=True,
              help="Initializers to mark on the phase diagram (sigma_w2 at fan_in = --width).")
@click.option("--width", default=100, show_default=True, type=int, help="Fan-in for --mark.")
@click.option("--grid", default=25, show_default=True, type=int, help="Phase-diagram resolution.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
def theory(activation: str, sigma_w2: float | None, sigma_b2: float, critical: bool, out: str | None,
           mark: str, width: int, grid: int, as_json: bool) -> None:
    """Mean-field theory of a deep fully connected network at initialization.

    Prints q*, chi_1, the phase (ordered / critical / chaotic, or unbounded when no finite fixed
    point exists) and the depth scales xi_q and xi_c (JSON keys q_star, chi_1, phase, xi_q, xi_c;
    null where infinite or undefined, with notes saying which).
    """
    from initlab import activations
    from initlab.core.errors import check_memory, check_positive_float, check_positive_int
    from initlab.theory import meanfield as th

    act = activations.get(activation)
    check_positive_float(sigma_b2, "sigma_b2", allow_zero=True)
    check_positive_int(grid, "grid", minimum=3)
    check_memory(3 * 8 * grid * max(3, grid // 2), f"a phase diagram of grid {grid}",
                 "use a smaller --grid")
    if sigma_w2 is None and not critical and not out:
        raise InitlabError("give --sigma-w2 (and --sigma-b2), or --critical, or --out")
    data: dict[str, Any] = {}
    if sigma_w2 is not None:
        data.update(th.analyze(act, sigma_w2, sigma_b2).to_dict())
    if critical:
        crit = th.critical_sigma_w2(act, sigma_b2)
        data.update(activation=crit.activation, sigma_b2=sigma_b2,
                    sigma_w2_critical=crit.sigma_w2_critical, critical_note=crit.note)
    if out:
        data["phase_diagram"] = str(_phase_report(out, activation, sigma_b2, mark, width, grid))
    if as_json:
        click.echo(json.dumps(data, allow_nan=False))
        return
    for key in ("activation", "sigma_w2", "sigma_b2", "q_star", "chi_1", "phase", "xi_q", "xi_c",
                "c_star", "status", "sigma_w2_critical", "critical_note", "phase_diagram"):
        if key in data and data[key] != "":
            click.echo(f"{key:18s} {_value(data[key])}")
    for note in data.get("notes", []):
        if note:
            click.echo(f"note: {note}")


def _phase_report(out: str, spec: str, sigma_b2: float, mark: str, width: int, grid: int) -> Path:
    from initlab import initializers
    from initlab.cli._parse import split_specs
    from initlab.core.errors import check_positive_int

    check_positive_int(width, "width")
    marks = split_specs(mark, "--mark", initializers.INITIALIZERS)
    diagram = phase_diagram(spec, sigma_b2, marks, width, grid)
    return write_bundle(diagram, out)["index.html"]
