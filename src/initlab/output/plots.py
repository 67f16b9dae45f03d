"""Matplotlib figures for the tutorial experiments.

Every function takes ``ax=None`` and returns the Axes it drew on; with ``ax=None`` it builds a
fresh :class:`matplotlib.figure.Figure` (no pyplot, so no global figure registry). Nothing here
calls ``show`` or changes global rcParams. matplotlib is imported lazily.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
STYLE = "seaborn-v0_8-whitegrid"  # the tutorial's sns.set_style("whitegrid") look, no seaborn


def new_axes(figsize: tuple[float, float] = (6, 4)) -> Any:
    """A single Axes on a new pyplot-free Figure."""
    from matplotlib.figure import Figure

    return Figure(figsize=figsize).add_subplot(1, 1, 1)


def _style() -> Any:
    import matplotlib.style

    return matplotlib.style.context(STYLE)


def _title(ax: Any, text: str, own: bool) -> None:
    """Set the title; on a figure made here (``own``) at its default place, fixed: placing it
    automatically measures every tick label first, and nothing sits above these axes."""
    if own:
        ax.set_title(text, y=1.0)
    elif text:
        ax.set_title(text)


def plot_dataset(X: Array, Y: Array, ax: Any = None, title: str = "") -> Any:
    """Scatter of 2-D examples ``X`` (2, m) coloured by label ``Y`` (1, m), as the tutorial does."""
    with _style():
        own = ax is None
        ax = new_axes() if own else ax
        ax.scatter(X[0, :], X[1, :], c=np.ravel(Y), s=10, cmap="coolwarm", alpha=0.5)
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
        _title(ax, title, own)
    return ax


def plot_costs(
    iterations: Sequence[int], costs: Sequence[float], learning_rate: float, ax: Any = None
) -> Any:
    """The tutorial's cost curve: one point per recorded step, x in thousands of iterations."""
    with _style():
        own = ax is None
        ax = new_axes() if own else ax
        ax.plot(np.asarray(iterations) / 1000.0, costs, marker="o", ms=3)
        ax.set_ylabel("cost")
        ax.set_xlabel("iterations (thousands)")
        _title(ax, f"Learning rate = {learning_rate}", own)
    return ax


def update_costs(
    ax: Any, iterations: Sequence[int], costs: Sequence[float], learning_rate: float
) -> Any:
    """Redraw an Axes made by :func:`plot_costs` with another curve (see :data:`UPDATERS`)."""
    ax.lines[0].set_data(np.asarray(iterations) / 1000.0, costs)
    ax.relim()
    ax.autoscale_view()
    _title(ax, f"Learning rate = {learning_rate}", True)
    return ax


def decision_grid(
    predict: Callable[[Array], Array], X: Array, h: float = 0.01
) -> tuple[Array, Array, Array]:
    """The tutorial's grid: ``predict`` on every point of a mesh of step ``h`` around ``X``.

    Returns ``xx, yy`` (the mesh) and ``Z`` (the predicted labels, same shape).
    """
    x_min, x_max = X[0, :].min() - 1, X[0, :].max() + 1
    y_min, y_max = X[1, :].min() - 1, X[1, :].max() + 1
    xx, yy = np.meshgrid(np.arange(x_min, x_max, h), np.arange(y_min, y_max, h))
    Z = np.asarray(predict(np.c_[xx.ravel(), yy.ravel()]), dtype=np.float64).reshape(xx.shape)
    return xx, yy, Z


def plot_decision_regions(
    xx: Array, yy: Array, Z: Array, X: Array, y: Array, ax: Any = None, title: str = ""
) -> Any:
    """Filled regions of precomputed labels ``Z`` on the mesh ``xx, yy``, examples on top."""
    with _style():
        own = ax is None
        ax = new_axes() if own else ax
        _draw_regions(ax, xx, yy, Z, X, y)
        ax.set_ylabel("x2")
        ax.set_xlabel("x1")
        _title(ax, title, own)
    return ax


def _draw_regions(ax: Any, xx: Array, yy: Array, Z: Array, X: Array, y: Array) -> None:
    ax.contourf(xx, yy, Z, cmap="coolwarm", alpha=0.3)
    ax.scatter(X[0, :], X[1, :], c=np.ravel(y), cmap="coolwarm", s=10, alpha=0.5)


def update_decision_regions(
    ax: Any, xx: Array, yy: Array, Z: Array, X: Array, y: Array, title: str = ""
) -> Any:
    """Redraw an Axes made by :func:`plot_decision_regions` with other regions and examples."""
    for artist in list(ax.collections):
        artist.remove()
    ax.ignore_existing_data_limits = True  # limits from the new data alone, as on fresh axes
    with _style():
        _draw_regions(ax, xx, yy, Z, X, y)
    _title(ax, title, True)
    return ax


def plot_decision_boundary(
    predict: Callable[[Array], Array], X: Array, y: Array, ax: Any = None, h: float = 0.01,
    title: str = "",
) -> Any:
    """Filled decision regions of ``predict`` over a grid around ``X``, with the examples on top.

    Parameters
    ----------
    predict : callable
        Maps an ``(n_points, 2)`` array (one point per row, as the tutorial's lambda receives
        it) to labels.
    X : ndarray of shape (2, m)
    y : ndarray of shape (1, m)
    """
    return plot_decision_regions(*decision_grid(predict, X, h), X, y, ax=ax, title=title)


def plot_layer_histograms(
    layers: Sequence[Array],
    bins: int = 30,
    range_: tuple[float, float] | None = None,
    axes: Sequence[Any] | None = None,
    title: str = "",
) -> Sequence[Any]:
    """The tutorial's 1 x depth row of per-layer activation histograms.

    Parameters
    ----------
    layers : sequence of ndarray
        One array of activations per layer (flattened for the histogram).
    range_ : (low, high), optional
        Shared x-range; the tutorial uses (0, 1) for sigmoid.
    axes : sequence of Axes, optional
        One per layer; by default a new 1 x depth figure.
    """
    hists = [np.histogram(np.ravel(a), bins, range=range_) for a in layers]
    return plot_histogram_row([c for c, _ in hists], [e for _, e in hists], axes, title)


def plot_histogram_row(
    counts: Sequence[Array], edges: Sequence[Array], axes: Sequence[Any] | None = None,
    title: str = "",
) -> Sequence[Any]:
    """One histogram per layer from precomputed ``counts`` and bin ``edges``, side by side."""
    from matplotlib.figure import Figure

    with _style():
        own = axes is None
        if axes is None:
            # fixed margins, not constrained layout: half the drawing time for the same look
            fig = Figure(figsize=(2.4 * len(counts), 2.8))
            fig.subplots_adjust(left=0.05, right=0.99, bottom=0.1, top=0.8, wspace=0.12)
            axes = fig.subplots(1, len(counts), squeeze=False)[0]
        for i, (ax, c, e) in enumerate(zip(axes, counts, edges, strict=True)):
            # one StepPatch per layer (not 30 bar patches): same picture, far cheaper to draw
            ax.stairs(c, e, fill=True)
            _histogram_limits(ax, c, e)
            _title(ax, f"{i + 1}-layer", own)
            if own:  # no axis labels here: skip measuring tick labels to place empty ones
                ax.xaxis.set_label_coords(0.5, 0.0)
                ax.yaxis.set_label_coords(0.0, 0.5)
            if i != 0:
                ax.set_yticks([], [])
        if title:
            axes[0].figure.suptitle(title)
    return axes


def update_histogram_row(
    axes: Sequence[Any], counts: Sequence[Array], edges: Sequence[Array], title: str = ""
) -> Sequence[Any]:
    """Redraw a row made by :func:`plot_histogram_row` with new data, rescaling each axes."""
    for ax, c, e in zip(axes, counts, edges, strict=True):
        ax.patches[0].set_data(c, e)
        _histogram_limits(ax, c, e)
    axes[0].figure.suptitle(title)
    return axes


def _histogram_limits(ax: Any, counts: Array, edges: Array) -> None:
    """Autoscale's limits for a filled histogram (5% margins, bars standing on 0), set directly:
    asking matplotlib to find them walks every path segment, ~10% of drawing a row."""
    lo, hi = float(edges[0]), float(edges[-1])
    pad = 0.05 * (hi - lo) if hi > lo else 0.5
    top = float(np.max(counts)) if len(counts) else 0.0
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(0.0, 1.05 * top if top > 0 else 1.0)


#: Plot functions whose Axes can be redrawn with new data (same keyword arguments, the
#: Axes first). Building axes costs as much as drawing them, so a series of figures of one
#: kind is drawn fastest by one figure updated in place.
UPDATERS: dict[str, Callable[..., Any]] = {
    "plot_histogram_row": update_histogram_row,
    "plot_costs": update_costs,
    "plot_decision_regions": update_decision_regions,
}
