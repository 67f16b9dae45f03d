"""Matplotlib figures for the tutorial experiments, and the one decision-boundary drawing.

Every function takes ``ax=None`` and returns the Axes it drew on; with ``ax=None`` it builds a
fresh :class:`matplotlib.figure.Figure` (no pyplot, so no global figure registry). Nothing here
calls ``show`` or changes global rcParams. matplotlib is imported lazily.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from initlab import network

Array = NDArray[np.float64]
STYLE = "seaborn-v0_8-whitegrid"  # the tutorial's sns.set_style("whitegrid") look, no seaborn


def new_axes(figsize: tuple[float, float] = (6, 4)) -> Any:
    """A single Axes on a new pyplot-free Figure."""
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained").add_subplot(1, 1, 1)


def _style() -> Any:
    import matplotlib.style

    return matplotlib.style.context(STYLE)


def plot_dataset(X: Array, Y: Array, ax: Any = None, title: str = "") -> Any:
    """Scatter of 2-D examples ``X`` (2, m) coloured by label ``Y`` (1, m), as the tutorial does."""
    with _style():
        ax = new_axes() if ax is None else ax
        ax.scatter(X[0, :], X[1, :], c=np.ravel(Y), s=10, cmap="coolwarm", alpha=0.5)
        ax.set(xlabel="x1", ylabel="x2", title=title)
    return ax


def plot_costs(
    iterations: Sequence[int], costs: Sequence[float], learning_rate: float | None = None,
    ax: Any = None, title: str | None = None, log: bool = False,
) -> Any:
    """The tutorial's cost curve: one point per recorded step, x in thousands of iterations.

    The title defaults to ``Learning rate = <learning_rate>`` as in the document. ``log`` draws
    the cost on a log axis (when every cost is positive), so a fall after a huge first value
    stays visible.
    """
    with _style():
        ax = new_axes() if ax is None else ax
        ax.plot(np.asarray(iterations) / 1000.0, costs, marker="o", ms=3)
        if log and len(costs) and min(costs) > 0:
            ax.set_yscale("log")
        if title is None:
            title = "" if learning_rate is None else f"Learning rate = {learning_rate}"
        ax.set(ylabel="cost", xlabel="iterations (thousands)", title=title)
    return ax


def decision_grid(
    predict: Callable[[Array], Array], X: Array, h: float | None = None, resolution: int = 300
) -> tuple[Array, Array, Array]:
    """``predict`` on every point of a mesh around ``X`` (2, m), one unit of margin each side.

    The mesh step is ``h`` (the document's 0.01) or, when ``None``, the one that gives
    ``resolution`` points along the longer side. ``predict`` receives the points as rows,
    ``(n_points, 2)``, as the document's lambda does. Returns ``xx, yy`` (the mesh) and ``Z``
    (the predicted labels, same shape).
    """
    lo, hi = X.min(axis=1) - 1, X.max(axis=1) + 1
    step = h if h is not None else float(np.max(hi - lo)) / resolution
    xx, yy = np.meshgrid(np.arange(lo[0], hi[0], step), np.arange(lo[1], hi[1], step))
    Z = np.asarray(predict(np.c_[xx.ravel(), yy.ravel()]), dtype=np.float64).reshape(xx.shape)
    return xx, yy, Z


def decision_boundary(
    predict: Callable[[Array], Array], X: Array, Y: Array, ax: Any = None, h: float | None = None,
    title: str = "", resolution: int = 300,
) -> Any:
    """Filled decision regions of ``predict`` over a grid around ``X``, the examples on top.

    Parameters
    ----------
    predict : callable
        Maps an ``(n_points, 2)`` array (one point per row) to class labels ``0 .. k-1``.
    X : ndarray of shape (2, m)
    Y : ndarray of shape (1, m) (labels) or (k, m) (one-hot)
    h, resolution : see :func:`decision_grid`.
    """
    Y = np.asarray(Y)
    labels = np.argmax(Y, axis=0) if Y.shape[0] > 1 else np.ravel(Y)
    top = max(1, Y.shape[0] - 1)  # highest class index: 1 for two classes
    with _style():
        ax = new_axes() if ax is None else ax
        xx, yy, Z = decision_grid(predict, X, h, resolution)
        with np.errstate(over="ignore"):
            ax.contourf(xx, yy, Z, cmap="coolwarm", alpha=0.3, levels=np.arange(top + 2) - 0.5)
        ax.scatter(X[0, :], X[1, :], c=labels, cmap="coolwarm", s=10, alpha=0.5, vmin=0, vmax=top)
        ax.set(xlabel="x1", ylabel="x2", title=title)
    return ax


def network_boundary(spec: Any, params: Any, X: Array, Y: Array, ax: Any = None,
                     title: str = "", h: float | None = None) -> Any:
    """:func:`decision_boundary` of a trained :mod:`initlab.network` model."""
    return decision_boundary(lambda pts: network.predict(spec, dict(params), pts.T), X, Y, ax=ax,
                             h=h, title=title)


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
        if axes is None:
            fig = Figure(figsize=(2.4 * len(counts), 2.8), layout="constrained")
            axes = fig.subplots(1, len(counts), squeeze=False)[0]
        for i, (ax, c, e) in enumerate(zip(axes, counts, edges, strict=True)):
            ax.stairs(c, e, fill=True)
            ax.set_title(f"{i + 1}-layer")
            if i != 0:
                ax.set_yticks([], [])
        if title:
            axes[0].figure.suptitle(title)
    return axes
