"""``initlab theory``: mean-field fixed point, chi_1, phase, depth scales and the phase diagram.

    initlab theory --activation tanh --sigma-w2 1.5 --sigma-b2 0.05 [--json]
    initlab theory --activation tanh --sigma-b2 0.05 --critical [--json]
    initlab theory --activation tanh --out DIR [--mark lecun_normal,he_normal] [--width 100]
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import click

from initlab.core.errors import InitlabError


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
    from initlab.core.errors import check_positive_float, check_positive_int
    from initlab.theory import meanfield as th

    act = activations.get(activation)
    check_positive_float(sigma_b2, "sigma_b2", allow_zero=True)
    check_positive_int(grid, "grid", minimum=3)
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
        data["phase_diagram"] = str(_phase_report(Path(out), act.name, activation, sigma_b2, mark,
                                                  width, grid))
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


def _marks(spec: str, width: int, bias_b2: float) -> list[tuple[str, float, float]]:
    from initlab.cli.histograms import split_specs
    from initlab.core.errors import check_positive_int
    from initlab.theory.propagation import init_variance

    check_positive_int(width, "width")
    return [(s, init_variance(s, (width, width)), bias_b2) for s in split_specs(spec, "--mark")]


def _phase_report(out: Path, name: str, spec: str, sigma_b2: float, mark: str, width: int,
                  grid: int) -> Path:
    import numpy as np

    from initlab.core.files import atomic_write_bytes, ensure_dir
    from initlab.output import plots_propagation as pp
    from initlab.output.html import Image, Section, figure_png, write_html
    from initlab.theory import meanfield as th

    marks = _marks(mark, width, sigma_b2)
    crit = th.critical_sigma_w2(spec, 0.0).sigma_w2_critical or 1.0
    w_max = max(2.5 * crit, 1.2 * max((w for _, w, _ in marks), default=0.0))
    b_max = max(0.25 * crit, 2 * sigma_b2, 0.1)
    ws = np.linspace(w_max / grid, w_max, grid)
    bs = np.linspace(0.0, b_max, max(3, grid // 2))
    g = th.phase_grid(spec, ws, bs)
    ensure_dir(out)
    ax = pp.phase_diagram(name, ws, bs, g, marks)
    png = figure_png(ax.figure)
    atomic_write_bytes(out / f"phase_diagram_{name}.png", png)
    finite = g["chi_1"][np.isfinite(g["chi_1"])]
    para = (f"{name}: chi_1 ranges over [{finite.min():.3g}, {finite.max():.3g}] on this grid; "
            f"critical sigma_w2 at sigma_b2 = 0 is {crit:.6g}." if finite.size else name)
    marks_txt = ", ".join(f"{s} (sigma_w2 = {w:.4g})" for s, w, _ in marks if math.isfinite(w))
    write_html(out / "index.html", f"initlab theory: {name}", [Section(
        "Phase diagram", paragraphs=[para, f"Marked: {marks_txt}."],
        images=[Image(f"phase diagram of {name}", png=png, id="phase")])])
    return out / "index.html"
