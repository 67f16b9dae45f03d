"""``initlab histograms``: per-layer activation and gradient statistics against mean-field theory.

    initlab histograms [--inits LIST] [--activations LIST] [--depth 5] [--width 100]
                       [--samples 1000] [--seed 0] [--repeats N] [--out DIR] [--json]
    initlab histograms --depth-study [--inits glorot_normal,he_normal] [--activations relu]
                       [--max-depth 100] [--out DIR] [--json]
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from initlab.cli._parse import split_ints, split_specs
from initlab.core.errors import InitlabError
from initlab.experiments.propagation_reports import DepthStudyReport, HistogramsReport
from initlab.output.bundle import write_bundle

DEFAULT_INITS = "normal:std=1,normal:std=0.01,lecun_normal,he_normal"
DEFAULT_ACTS = "sigmoid,relu,tanh"


def _validate(inits: list[str], acts: list[str]) -> None:
    from initlab import activations, initializers

    for i in inits:
        initializers.get(i)
    for a in acts:
        activations.get(a)


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def text_table(headers: tuple[str, ...], rows: list[list[Any]]) -> str:
    """A fixed-width text table."""
    cells = [[_fmt(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    body = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join([line, "-" * len(line), *body])


@click.command("histograms")
@click.option("--inits", default=DEFAULT_INITS, show_default=True, help="Weight initializer specs.")
@click.option("--activations", "acts", default=DEFAULT_ACTS, show_default=True)
@click.option("--depth", default=5, show_default=True, type=int)
@click.option("--width", default=100, show_default=True, type=int)
@click.option("--widths", default=None, help="Layer sizes n_0,n_1,...,n_L (overrides --depth/--width).")
@click.option("--samples", default=1000, show_default=True, type=int)
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--repeats", default=1, show_default=True, type=int,
              help="Average over this many seeds (seed, seed+1, ...); adds *_sem keys.")
@click.option("--bias-init", default="zeros", show_default=True)
@click.option("--bins", default=30, show_default=True, type=int)
@click.option("--depth-study", is_flag=True,
              help="Instead: the depth at which activation/gradient scales leave [1e-3, 1e3].")
@click.option("--max-depth", default=100, show_default=True, type=int, help="For --depth-study.")
@click.option("--out", type=click.Path(file_okay=False), help="Write figures, results.json, index.html.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON on stdout.")
def histograms(inits: str, acts: str, depth: int, width: int, widths: str | None, samples: int,
               seed: int, repeats: int,
               bias_init: str, bins: int, depth_study: bool, max_depth: int, out: str | None,
               as_json: bool) -> None:
    """Per-layer activation and gradient statistics, measured against mean-field theory.

    The scalar loss is a random linear readout sum(R * A_L), R standard normal, so the top-layer
    gradient has unit variance. Each layer gets a verdict (symmetric, collapsed, vanishing,
    exploding, saturated, healthy) with the figure that triggered it and a recommended initializer.
    """
    from initlab.core.errors import check_positive_int

    for value, name in ((depth, "depth"), (width, "width"), (repeats, "repeats"),
                        (max_depth, "max-depth")):
        check_positive_int(value, name)
    check_positive_int(samples, "samples (two or more, to see how outputs vary with the input)", 2)
    check_positive_int(seed, "seed", minimum=0)
    from initlab import activations, initializers

    init_list = split_specs(inits if not depth_study or inits != DEFAULT_INITS
                            else "glorot_normal,he_normal", "--inits", initializers.INITIALIZERS)
    act_list = split_specs(acts if not depth_study or acts != DEFAULT_ACTS else "relu",
                           "--activations", activations.ACTIVATIONS)
    _validate(init_list, act_list)
    if depth_study:
        _depth_study(init_list, act_list, max_depth, width, samples, seed, bias_init, out, as_json)
        return
    from initlab.experiments import histograms as exp

    sizes = _parse_widths(widths)
    n_cases = len(init_list) * len(act_list)
    _stage(out, f"measuring {n_cases} case(s): {len(init_list)} init(s) x {len(act_list)} "
                f"activation(s), {samples} samples, {repeats} repeat(s)")
    result = exp.run(init_list, act_list, depth, width, samples, seed, repeats, bias_init, bins,
                     widths=sizes)
    data = exp.to_json(result)
    if out:
        _stage(out, f"drawing the figures and writing {Path(out) / 'index.html'}")
        write_bundle(HistogramsReport(result), out)
    if as_json:
        click.echo(json.dumps(data, allow_nan=False))
        return
    click.echo(text_table(exp.TABLE_HEADERS, exp.table_rows(result)))
    click.echo("")
    for c in result.cases:
        v = c.verdict
        click.echo(f"{c.init} / {c.activation}: {v.summary}")
        click.echo(f"    recommended: {v.recommendation.spec or '-'} ({v.recommendation.reason})")
    if out:
        click.echo(f"\nwrote {Path(out) / 'index.html'}")


def _stage(out: str | None, text: str) -> None:
    """One line per stage on stderr when writing a folder (the long runs), so a first-time user
    sees what is happening; stdout keeps only the results."""
    if out:
        click.echo(f"histograms: {text} ...", err=True)


def _parse_widths(text: str | None) -> list[int] | None:
    if text is None:
        return None
    sizes = split_ints(text, "--widths", "784,100,100")
    if len(sizes) < 2:
        raise InitlabError(f"--widths needs an input size and at least one layer, all >= 1, got {text!r}")
    return sizes


def _depth_study(inits: list[str], acts: list[str], max_depth: int, width: int, samples: int,
                 seed: int, bias_init: str, out: str | None, as_json: bool) -> None:
    from initlab.experiments import histograms as exp

    _stage(out, f"measuring {len(inits) * len(acts)} case(s) to depth {max_depth}")
    cases = exp.depth_study(inits, acts, max_depth, width, samples, seed, bias_init)
    report = DepthStudyReport(cases, max_depth)
    if out:
        _stage(out, f"drawing the figures and writing {Path(out) / 'index.html'}")
        write_bundle(report, out)
    if as_json:
        click.echo(json.dumps(report.to_json(), allow_nan=False))
        return
    click.echo(text_table(DepthStudyReport.HEADERS, report.rows()))
    if out:
        click.echo(f"\nwrote {Path(out) / 'index.html'}")
