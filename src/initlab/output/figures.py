"""The one table from a :class:`~initlab.core.report.Plot` kind to the function that draws it.

Results describe their figures as data (a kind and its arguments); :func:`draw` turns one into a
matplotlib ``Figure`` in this process. An unknown kind raises, naming the known ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from initlab.core.errors import InitlabError
from initlab.core.report import Plot
from initlab.output import plots, plots_compare, plots_coordcheck, plots_propagation, plots_torch


def _figure_of(drawn: Any) -> Any:
    """The Figure of what a plot function returned: an Axes, a row of Axes or a Figure."""
    if hasattr(drawn, "savefig"):
        return drawn
    if hasattr(drawn, "figure"):
        return drawn.figure
    return drawn[0].figure


#: Plot kind -> drawing function (keyword arguments of the Plot; returns Axes or a Figure).
KINDS: dict[str, Callable[..., Any]] = {
    "dataset": plots.plot_dataset,
    "costs": plots.plot_costs,
    "network_boundary": plots.network_boundary,
    "histogram_row": plots.plot_histogram_row,
    "cost_bands": plots_compare.plot_cost_bands,
    "intervals": plots_compare.intervals_figure,
    "boundaries": plots_compare.boundaries_figure,
    "against": plots_compare.against_figure,
    "failure_map": plots_compare.plot_failure_map,
    "histogram_grid": plots_propagation.histogram_grid,
    "depth_study": plots_propagation.depth_figure,
    "phase_diagram": plots_propagation.phase_diagram,
    "coordcheck": plots_coordcheck.coordcheck_figure,
    "torch_scales": plots_torch.scales_figure,
    "torch_histograms": plots_torch.call_histograms,
}


def draw(plot: Plot) -> Any:
    """Draw ``plot`` on a new Figure and return the Figure."""
    if plot.kind not in KINDS:
        raise InitlabError(f"unknown plot kind {plot.kind!r}; known: {', '.join(sorted(KINDS))}")
    return _figure_of(KINDS[plot.kind](**plot.args))
