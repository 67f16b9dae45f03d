"""Figures are checked through their artists, not their pixels."""

from __future__ import annotations

import numpy as np

from initlab.output import plots
from initlab.output.html import figure_png, figure_svg


def test_cost_curve_plots_the_recorded_costs():
    ax = plots.plot_costs([0, 1000, 2000], [0.7, 0.3, 0.1], 0.01)
    (line,) = ax.lines
    np.testing.assert_array_equal(line.get_xdata(), [0, 1, 2])
    np.testing.assert_array_equal(line.get_ydata(), [0.7, 0.3, 0.1])
    assert ax.get_title() == "Learning rate = 0.01" and ax.get_ylabel() == "cost"


def test_decision_boundary_draws_regions_and_every_example():
    X = np.array([[-1.0, 1.0, -1.0, 1.0], [0.0, 0.0, 1.0, 1.0]])
    y = np.array([[0, 1, 0, 1]])
    ax = plots.plot_decision_boundary(lambda pts: (pts[:, 0] > 0).astype(int), X, y, h=0.05)
    (scatter,) = ax.collections[-1:]
    np.testing.assert_array_equal(scatter.get_offsets(), X.T)
    assert len(ax.collections) >= 2  # the filled contour and the examples
    assert ax.get_xlabel() == "x1" and ax.get_ylabel() == "x2"


def test_layer_histograms_one_axes_per_layer_with_the_counts():
    rng = np.random.default_rng(0)
    layers = [rng.random((10, 50)) for _ in range(5)]
    axes = plots.plot_layer_histograms(layers, 30, (0.0, 1.0))
    assert [ax.get_title() for ax in axes] == [f"{i}-layer" for i in range(1, 6)]
    for ax, a in zip(axes, layers, strict=True):
        (patch,) = ax.patches
        counts, edges = np.histogram(a, 30, range=(0, 1))
        np.testing.assert_array_equal(patch.get_data().values, counts)
        np.testing.assert_allclose(patch.get_data().edges, edges)
    assert len(axes[1].get_yticks()) == 0


def test_dataset_scatter_and_deterministic_saving():
    X = np.array([[0.0, 1.0], [1.0, 0.0]])
    ax = plots.plot_dataset(X, np.array([[0, 1]]))
    assert len(ax.collections) == 1
    assert figure_png(ax.figure) == figure_png(ax.figure)
    assert figure_svg(ax.figure) == figure_svg(ax.figure)


def test_plots_draw_on_a_given_axes():
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    assert plots.plot_costs([0], [1.0], 0.1, ax=ax) is ax


def test_tutorial_result_renders_in_jupyter():
    from initlab.experiments.tutorial import run_tutorial

    r = run_tutorial(num_iterations=3)
    html = r._repr_html_()
    assert html.count("<tr>") == 1 + 3
    assert "3-layer NN with He initialization" in html and "Fails to break symmetry" in html


def test_a_reused_histogram_row_draws_what_a_fresh_one_draws():
    rng = np.random.default_rng(3)
    rows = []
    for scale in (1.0, 40.0):
        hs = [np.histogram(rng.standard_normal(500) * scale, 30) for _ in range(5)]
        rows.append(([h[0] for h in hs], [h[1] for h in hs]))
    axes = plots.plot_histogram_row(*rows[0], title="first")
    plots.update_histogram_row(axes, *rows[1], title="second")
    fresh = plots.plot_histogram_row(*rows[1], title="second")
    for a, b in zip(axes, fresh, strict=True):
        assert a.get_xlim() == b.get_xlim() and a.get_ylim() == b.get_ylim()
        np.testing.assert_array_equal(a.patches[0].get_data().values, b.patches[0].get_data().values)
    assert figure_png(axes[0].figure) == figure_png(fresh[0].figure)


def _regions(shift: float, h: float) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(int(shift * 10))
    X = rng.standard_normal((2, 40)) * (1 + shift) + shift
    y = (X[:1] > shift).astype(float)
    xx, yy, Z = plots.decision_grid(lambda pts: (pts[:, 1] > shift).astype(int), X, h)
    return {"xx": xx, "yy": yy, "Z": Z, "X": X, "y": y}


def test_reused_cost_and_region_axes_draw_what_fresh_ones_draw():
    ax = plots.plot_costs([0, 1000, 2000], [0.7, 0.3, 0.1], 0.01)
    plots.update_costs(ax, [0, 1000, 2000, 3000], [9.0, 4.0, 2.5, 2.0], 0.5)
    fresh = plots.plot_costs([0, 1000, 2000, 3000], [9.0, 4.0, 2.5, 2.0], 0.5)
    assert ax.get_ylim() == fresh.get_ylim() and ax.get_title() == "Learning rate = 0.5"
    assert figure_png(ax.figure) == figure_png(fresh.figure)
    # the second data lie inside the first's limits: the redrawn axes must shrink to them
    ax = plots.plot_decision_regions(**_regions(2.0, 0.1), title="first")
    plots.update_decision_regions(ax, **_regions(0.0, 0.05), title="second")
    fresh = plots.plot_decision_regions(**_regions(0.0, 0.05), title="second")
    assert ax.get_xlim() == fresh.get_xlim() and ax.get_ylim() == fresh.get_ylim()
    assert len(ax.collections) == len(fresh.collections)
    assert figure_png(ax.figure) == figure_png(fresh.figure)


def test_fixed_title_and_label_places_are_where_matplotlib_puts_them():
    counts = [np.arange(5.0), np.arange(5.0)[::-1]]
    edges = [np.linspace(0, 1, 6), np.linspace(-3, 3, 6)]
    axes = plots.plot_histogram_row(counts, edges, title="row")
    auto = plots.plot_histogram_row(counts, edges, title="row")
    for a in auto:  # back to matplotlib's automatic placing, measured at draw time
        a.set_title(a.get_title())
        a.xaxis._autolabelpos = a.yaxis._autolabelpos = True
    assert figure_png(axes[0].figure) == figure_png(auto[0].figure)
    ax = plots.plot_costs([0, 1000], [0.5, 0.25], 0.1)
    auto_ax = plots.plot_costs([0, 1000], [0.5, 0.25], 0.1)
    auto_ax.set_title(auto_ax.get_title())
    assert figure_png(ax.figure) == figure_png(auto_ax.figure)


def test_figure_jobs_redraw_kept_figures_with_the_same_pixels():
    from initlab.output import figure_pool

    first = ("a.png", "plot_costs", {"iterations": [0, 1000], "costs": [1.0, 0.5],
                                     "learning_rate": 0.1})
    second = ("b.png", "plot_costs", {"iterations": [0, 1000, 2000], "costs": [3.0, 2.0, 0.2],
                                      "learning_rate": 0.2})
    figure_pool.render_job(first)
    kept = figure_pool._DRAWN[("plot_costs", 0)]
    assert figure_pool.render_job(second) == figure_png(plots.plot_costs(**second[2]).figure)
    assert figure_pool._DRAWN[("plot_costs", 0)] is kept
