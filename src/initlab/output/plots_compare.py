"""Figures for comparisons across seeds and for sweep stores.

Every function takes ``ax=None`` (a new ``matplotlib.figure.Figure`` is made when missing) and
returns the axes it drew on; matplotlib is imported only inside the functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from initlab.output.plots import network_boundary

Array = NDArray[np.float64]
#: Colours of the failure map, in the order of ``sweep_run.STATUSES``.
STATUS_COLOURS = {"trained": "#2e7d32", "chance": "#f9a825", "diverged": "#c62828"}


def _axes(ax: Any, size: tuple[float, float] = (6.0, 4.0)) -> Any:
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    return Figure(figsize=size, layout="constrained").add_subplot()


def _legend(ax: Any) -> None:
    if ax.get_legend_handles_labels()[0]:  # an empty legend only warns
        ax.legend(fontsize="small")


def plot_cost_bands(curves: Mapping[str, tuple[Array, Array]], ax: Any = None,
                    band: tuple[float, float] = (25.0, 75.0)) -> Any:
    """Median cost curve per initialization with a percentile band across seeds.

    Parameters
    ----------
    curves : mapping of init name to (iterations, costs)
        ``iterations`` of shape (T,), ``costs`` of shape (n_seeds, T).
    band : (low, high) percentiles
    """
    ax = _axes(ax)
    for name, (its, costs) in curves.items():
        if costs.size == 0:
            continue
        lo, med, hi = np.percentile(costs, [band[0], 50.0, band[1]], axis=0)
        (line,) = ax.plot(its, med, label=name)
        ax.fill_between(its, lo, hi, color=line.get_color(), alpha=0.2, linewidth=0)
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel(f"cost (median, {band[0]:g}-{band[1]:g}% band)")
    _legend(ax)
    return ax


def plot_intervals(summaries: Mapping[str, Any], metric: str, ax: Any = None) -> Any:
    """Mean and confidence interval of one metric for each initialization (a forest plot)."""
    ax = _axes(ax, (4.0, 0.5 + 0.35 * len(summaries)))
    names = list(summaries)
    for i, name in enumerate(names):
        s = summaries[name]
        if s.n == 0:
            continue
        # BCa intervals need not contain the mean (strong skew, ties): never a negative bar.
        err = [[max(0.0, s.mean - s.ci_low)], [max(0.0, s.ci_high - s.mean)]]
        ax.errorbar(s.mean, i, xerr=err, fmt="o",
                    capsize=3, color="C0")
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlabel(metric.replace("_", " "))
    return ax


def intervals_figure(summaries: Mapping[str, Mapping[str, Any]], metrics: Sequence[str]) -> Any:
    """One forest plot per metric side by side; ``summaries[init][metric]`` is a Summary."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 0.8 + 0.35 * len(summaries)), layout="constrained")
    for ax, m in zip(np.atleast_1d(fig.subplots(1, len(metrics))), metrics, strict=True):
        plot_intervals({i: s[m] for i, s in summaries.items()}, m, ax=ax)
    return fig


def boundaries_figure(panels: Sequence[tuple[str, Any, Mapping[str, Array]]], X: Array,
                      Y: Array) -> Any:
    """Decision boundaries side by side; ``panels`` are ``(title, spec, params)``."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3.2 * len(panels), 3.2), layout="constrained")
    for ax, (title, spec, params) in zip(np.atleast_1d(fig.subplots(1, len(panels))), panels,
                                         strict=True):
        network_boundary(spec, params, X, Y, ax=ax, title=title)
        ax.set(xticks=[], yticks=[], xlabel="", ylabel="")
    return fig


def against_figure(panels: Mapping[tuple[str, str], Mapping[str, Sequence[Any]]]) -> Any:
    """A 2 x 2 grid of :func:`plot_against`; ``panels[(axis, metric)]`` are its points."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 7.5), layout="constrained")
    for ax, ((axis, metric), points) in zip(fig.subplots(2, 2).ravel(), panels.items(),
                                            strict=True):
        plot_against(points, axis, metric, ax=ax)
    return fig


def plot_against(points: Mapping[str, Sequence[tuple[float, float, float, float]]], x: str,
                 y: str, ax: Any = None) -> Any:
    """Mean of ``y`` against ``x`` per initialization, with its confidence band.

    ``points`` maps an init name to ``(x, mean, ci_low, ci_high)`` tuples sorted by ``x``.
    """
    ax = _axes(ax)
    ticks: set[float] = set()
    for name, pts in points.items():
        if not pts:
            continue
        xs, mean, lo, hi = (np.array(v, dtype=np.float64) for v in zip(*pts, strict=True))
        (line,) = ax.plot(xs, mean, marker="o", label=name)
        ax.fill_between(xs, lo, hi, color=line.get_color(), alpha=0.2, linewidth=0)
        ticks.update(xs.tolist())
    ax.set_xscale("log", base=2)
    ax.set_xticks(sorted(ticks), [f"{t:g}" for t in sorted(ticks)])
    ax.minorticks_off()
    ax.set_xlabel(x)
    ax.set_ylabel(y.replace("_", " "))
    _legend(ax)
    return ax


def plot_failure_map(cells: Mapping[tuple[str, int], Mapping[str, int]], ax: Any = None) -> Any:
    """Which cells train, stall at chance or diverge.

    ``cells`` maps ``(row label, depth)`` to counts per status. Each cell is coloured by its
    majority status, shaded by that status's share, and labelled with the share that trained.
    """
    import matplotlib.colors as mcolors

    rows = sorted({r for r, _ in cells})
    cols = sorted({c for _, c in cells})
    ax = _axes(ax, (3.0 + 0.8 * len(cols), 1.2 + 0.4 * len(rows)))
    img = np.ones((len(rows), len(cols), 4))
    for (r, c), counts in cells.items():
        total = sum(counts.values())
        top = max(STATUS_COLOURS, key=lambda s: counts.get(s, 0))
        rgba = np.array(mcolors.to_rgba(STATUS_COLOURS[top]))
        share = counts.get(top, 0) / total
        i, j = rows.index(r), cols.index(c)
        img[i, j] = 1 - share * (1 - rgba)  # blend towards white as the majority weakens
        img[i, j, 3] = 1.0
        ax.text(j, i, f"{counts.get('trained', 0)}/{total}", ha="center", va="center",
                fontsize="small")
    ax.imshow(img, aspect="auto")
    ax.set_xticks(range(len(cols)), [str(c) for c in cols])
    ax.set_yticks(range(len(rows)), rows)
    ax.set_xlabel("depth (hidden layers); label = runs that trained / runs")
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=v, label=k) for k, v in STATUS_COLOURS.items()],
              loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return ax
