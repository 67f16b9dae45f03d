"""Coordinate-check figures: statistic against width on log-log axes, one line per layer.

``plot_coordcheck_panel`` takes ``ax=None`` and returns the Axes it drew on;
``coordcheck_figure`` lays out one panel per step. matplotlib is imported only inside.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from initlab.core.stats import bootstrap_ci

Array = NDArray[np.float64]


def _band(v: Array) -> tuple[float, float, float]:
    """Mean over seeds and its 95% bootstrap CI; NaN where a seed is not finite."""
    if not np.all(np.isfinite(v)):
        return np.nan, np.nan, np.nan
    lo, hi = bootstrap_ci(v, n_boot=1000, rng=0) if v.size > 1 else (v[0], v[0])
    return float(v.mean()), lo, hi


def plot_coordcheck_panel(widths: Sequence[int], values: Array, layers: Sequence[str],
                          ax: Any = None, title: str = "", statistic: str = "l1") -> Any:
    """One step: each layer's statistic vs width with a CI band over seeds.

    Parameters
    ----------
    widths : the swept widths, shape (W,)
    values : ndarray of shape (W, L, S)
        Per width, layer and seed; non-finite values (diverged runs) are left out of the line.
    layers : L names for the legend
    """
    if ax is None:
        from matplotlib.figure import Figure

        ax = Figure(figsize=(4.0, 3.2), layout="constrained").add_subplot()
    w = np.asarray(widths, dtype=np.float64)
    for l, name in enumerate(layers):
        stats = np.array([_band(values[i, l]) for i in range(len(w))])
        ok = np.isfinite(stats[:, 0]) & (stats[:, 0] > 0)
        if not ok.any():
            continue
        (line,) = ax.plot(w[ok], stats[ok, 0], marker="o", markersize=3, label=name)
        lo = np.where(stats[ok, 1] > 0, stats[ok, 1], stats[ok, 0])
        ax.fill_between(w[ok], lo, stats[ok, 2], color=line.get_color(), alpha=0.2, linewidth=0)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("width")
    ax.set_ylabel(statistic)
    ax.set_title(title, fontsize="small")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="x-small")
    return ax


def coordcheck_figure(widths: Sequence[int], layers: Sequence[str], values: Array,
                      title: str = "", statistic: str = "l1") -> Any:
    """A row of panels, one per step; ``values`` of shape (W, steps + 1, L, S).

    Step 0 shows the pre-activations' size, later steps their change since step 0.
    """
    from matplotlib.figure import Figure

    steps = values.shape[1]
    fig = Figure(figsize=(3.0 * steps, 3.0), layout="constrained")
    drawn: Any = fig.subplots(1, steps, sharex=True, squeeze=False)
    axes = list(drawn[0])
    for t, ax in enumerate(axes):
        label = f"{statistic}" if t == 0 else f"{statistic} of change"
        plot_coordcheck_panel(widths, values[:, t], layers, ax=ax, statistic=label,
                              title="t=0 (init)" if t == 0 else f"t={t}")
    fig.suptitle(title, fontsize="small")
    return fig
