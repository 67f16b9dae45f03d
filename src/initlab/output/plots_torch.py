"""Figures of ``initlab inspect``: scales through a PyTorch model's calls, and per-call histograms.

Both take plain arrays (what :class:`initlab.torch.report.InspectResult` lists as plot data) and
build a ``matplotlib.figure.Figure`` without pyplot; matplotlib is imported inside.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from initlab.output.plots_propagation import histogram_panel


def scales_figure(names: Sequence[str], output_std: Sequence[float], gradient_std: Sequence[float | None],
                  predicted_std: Sequence[float | None] | None = None, ax: Any = None) -> Any:
    """Output std and gradient std of each module call, in execution order, on a log axis.

    ``predicted_std`` (mean-field, plain chains only) is drawn as a dashed line where given.
    """
    if ax is None:
        from matplotlib.figure import Figure

        ax = Figure(figsize=(max(6.0, 0.16 * len(names) + 2), 3.6), layout="constrained").add_subplot()
    x = np.arange(1, len(names) + 1)

    def positive(v: Sequence[float | None]) -> np.ndarray:
        return np.array([s if s is not None and s > 0 else np.nan for s in v], dtype=np.float64)

    ax.plot(x, positive(output_std), marker="o", markersize=3, lw=1, label="output std")
    ax.plot(x, positive(gradient_std), marker="s", markersize=3, lw=1, label="gradient std")
    if predicted_std is not None and any(p is not None for p in predicted_std):
        ax.plot(x, positive(predicted_std), ls="--", color="#c0392b", lw=1, label="mean-field theory")
    ax.set_yscale("log")
    ax.set_xlabel("module call (execution order)")
    ax.set_ylabel("std")
    step = max(1, math.ceil(len(names) / 40))
    ax.set_xticks(x[::step], [names[i] for i in range(0, len(names), step)], rotation=90, fontsize=5)
    ax.legend(fontsize="x-small")
    return ax


def call_histograms(names: Sequence[str], edges: Sequence[np.ndarray], shares: Sequence[np.ndarray],
                    title: str = "", columns: int = 8, fig: Any = None) -> Any:
    """One histogram panel per module call, ``columns`` per row; returns the Figure."""
    from matplotlib.figure import Figure

    if not names:
        raise ValueError("no histograms to draw")
    rows = math.ceil(len(names) / columns)
    cols = min(columns, len(names))
    fig = fig if fig is not None else Figure(figsize=(1.8 * cols + 0.4, 1.4 * rows + 0.6),
                                             layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i < len(names):
            histogram_panel(ax, np.asarray(edges[i]), np.asarray(shares[i]), None, names[i])
        else:
            ax.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
