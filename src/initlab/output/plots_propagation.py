"""Figures for signal propagation: per-layer histograms with the theory overlaid, the depth study,
and the phase diagram. matplotlib is imported inside the functions; figures are built with
``matplotlib.figure.Figure`` (no pyplot, no global state).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def histogram_panel(ax: Any, edges: np.ndarray, shares: np.ndarray, predicted: np.ndarray | None,
                    title: str = "") -> Any:
    """Measured shares as bars, the predicted shares as a step line (the theory overlay)."""
    widths = np.diff(edges)
    ax.bar(edges[:-1], shares, width=widths, align="edge", color="#7a8fd0", edgecolor="none",
           label="measured")
    if predicted is not None:
        ax.step(edges, np.append(predicted, predicted[-1]), where="post", color="#c0392b", lw=1.2,
                label="theory")
    ax.set_title(title, fontsize=8)
    ax.tick_params(labelsize=6)
    return ax


def histogram_grid(cases: Sequence[Any], kind: str = "activation", fig: Any = None) -> Any:
    """Rows are cases (init x activation), columns layers; returns the Figure.

    ``kind`` is ``"activation"`` or ``"gradient"`` (``dL/dA_l``).
    """
    if not cases:
        raise ValueError("no cases to plot")
    depth = len(cases[0].act_hists)
    fig = fig if fig is not None else _figure(1.8 * depth + 1, 1.35 * len(cases) + 0.6)
    axes = fig.subplots(len(cases), depth, squeeze=False)
    for r, c in enumerate(cases):
        hists = c.act_hists if kind == "activation" else c.grad_hists
        preds = c.predicted_act_hists if kind == "activation" else c.predicted_grad_hists
        for l, (h, p) in enumerate(zip(hists, preds, strict=True)):
            title = f"{c.init} / {c.activation}\nlayer {l + 1}" if l == 0 else f"layer {l + 1}"
            histogram_panel(axes[r, l], h.edges, h.shares, p, title)
    axes[0, -1].legend(fontsize=6, loc="upper right")
    fig.suptitle(f"{kind} histograms per layer (bars measured, line mean-field theory)", fontsize=10)
    return fig


def depth_figure(cases: Sequence[Any], band: tuple[float, float] = (1e-3, 1e3), fig: Any = None) -> Any:
    """Activation and gradient scale against depth per case, measured (solid) and theory (dashed)."""
    fig = fig if fig is not None else _figure(10, 4)
    ax_a, ax_g = fig.subplots(1, 2, sharey=True)
    colors = [f"C{i}" for i in range(10)]
    tiny = 1e-300
    for i, c in enumerate(cases):
        col = colors[i % 10]
        label = f"{c.init} / {c.activation}"
        for ax, meas, pred in ((ax_a, c.act_scale, c.act_scale_theory),
                               (ax_g, c.grad_scale, c.grad_scale_theory)):
            d = np.arange(1, len(meas) + 1)
            ax.semilogy(d, np.maximum(meas, tiny), color=col, lw=1.4, label=label)
            ax.semilogy(d, np.maximum(pred, tiny), color=col, lw=1, ls="--")
    for ax, what in ((ax_a, "activation RMS / input RMS"), (ax_g, "gradient at layer 1 / top")):
        ax.axhspan(*band, color="#2ecc71", alpha=0.08)
        ax.axhline(band[0], color="grey", lw=0.6)
        ax.axhline(band[1], color="grey", lw=0.6)
        ax.set_xlabel("depth")
        ax.set_title(what, fontsize=9)
        ax.set_ylim(1e-12, 1e12)
    ax_a.legend(fontsize=7)
    fig.suptitle("depth study: where the scale leaves [1e-3, 1e3] (solid measured, dashed theory)",
                 fontsize=10)
    return fig


def phase_diagram(activation: str, sigma_w2: np.ndarray, sigma_b2: np.ndarray, grid: dict[str, Any],
                  marks: Sequence[tuple[str, float, float]] = (), ax: Any = None) -> Any:
    """The chi_1 = 1 line and xi_c contours over (sigma_w2, sigma_b2), with initializers marked.

    ``grid`` comes from :func:`initlab.theory.meanfield.phase_grid`; ``marks`` are ``(label, sigma_w2,
    sigma_b2)``. Unbounded regions (no finite q*) are hatched.
    """
    if ax is None:
        ax = _figure(6.5, 4.5).subplots()
    W, B = np.meshgrid(sigma_w2, sigma_b2)
    # xi_c is NaN where it is infinite (the critical line) or not converged (beside it): draw as 1e3.
    xi = np.clip(np.nan_to_num(np.asarray(grid["xi_c"], float), nan=1e3), 1e-2, 1e3)
    bounded = grid["phase"] != 3
    if bounded.any():
        cs = ax.contourf(W, B, np.where(bounded, np.log10(xi), np.nan), levels=20, cmap="viridis")
        ax.figure.colorbar(cs, ax=ax, label="log10 xi_c (depth scale of correlations)")
        ax.contour(W, B, np.where(bounded, xi, np.nan), levels=[1, 3, 10, 30, 100], colors="white",
                   linewidths=0.5)
    chi = grid["chi_1"]
    if np.isfinite(chi).any() and np.nanmin(chi) < 1 < np.nanmax(chi):
        ax.contour(W, B, np.nan_to_num(chi, nan=np.nanmax(chi)), levels=[1.0], colors="red",
                   linewidths=1.6)
    if (grid["phase"] == 3).any():
        ax.contourf(W, B, (grid["phase"] == 3).astype(float), levels=[0.5, 1.5], hatches=["//"],
                    colors="none")
    merged: dict[tuple[float, float], list[str]] = {}
    for label, w, b in marks:  # initializers with the same sigma_w2 share one point
        merged.setdefault((round(w, 3), round(b, 6)), []).append(label)
    for (w, b), labels in merged.items():
        ax.plot([w], [b], "o", color="orange", mec="black")
        ax.annotate(" = ".join(labels), (w, b), textcoords="offset points", xytext=(4, 4), fontsize=7)
    ax.set_xlabel("sigma_w^2 (weight variance x fan_in)")
    ax.set_ylabel("sigma_b^2")
    ax.set_title(f"{activation}: chi_1 = 1 (red) and depth scale xi_c; hatched: no finite q*",
                 fontsize=9)
    return ax
