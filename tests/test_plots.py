"""Figures are checked through their artists, not their pixels."""

from __future__ import annotations

import numpy as np

from initlab.output import plots
from initlab.output.html import figure_png


def test_cost_curve_plots_the_recorded_costs():
    ax = plots.plot_costs([0, 1000, 2000], [0.7, 0.3, 0.1], 0.01)
    (line,) = ax.lines
    np.testing.assert_array_equal(line.get_xdata(), [0, 1, 2])
    np.testing.assert_array_equal(line.get_ydata(), [0.7, 0.3, 0.1])
    assert ax.get_title() == "Learning rate = 0.01" and ax.get_ylabel() == "cost"


def test_decision_boundary_draws_regions_and_every_example():
    X = np.array([[-1.0, 1.0, -1.0, 1.0], [0.0, 0.0, 1.0, 1.0]])
    y = np.array([[0, 1, 0, 1]])
    ax = plots.decision_boundary(lambda pts: (pts[:, 0] > 0).astype(int), X, y, h=0.05)
    (scatter,) = ax.collections[-1:]
    np.testing.assert_array_equal(scatter.get_offsets(), X.T)
    assert len(ax.collections) >= 2  # the filled contour and the examples
    assert ax.get_xlabel() == "x1" and ax.get_ylabel() == "x2"


def test_decision_grid_predicts_every_mesh_point_in_rows():
    X = np.array([[0.0, 2.0], [0.0, 1.0]])
    seen = []

    def predict(pts):
        seen.append(pts.shape)
        return pts[:, 0] > 1.0

    xx, yy, Z = plots.decision_grid(predict, X, h=0.5)
    assert seen == [(xx.size, 2)]
    assert xx.min() == -1.0 and yy.min() == -1.0 and xx.max() < 3.0 and yy.max() < 2.0
    np.testing.assert_array_equal(Z, (xx > 1.0).astype(float))
    _, _, Z = plots.decision_grid(predict, X, resolution=40)
    assert max(Z.shape) in (40, 41)  # the longer side, with or without its end point


def test_network_boundary_fills_the_classes_the_network_predicts():
    from initlab import network

    spec = network.Spec.build([2, 1], "relu", "sigmoid")
    X, Y = np.array([[-1.0, 1.0], [0.0, 0.0]]), np.array([[0.0, 1.0]])
    filled = {}
    for name, w, b in (("split", [[1.0, 0.0]], 0.0), ("all zero", [[0.0, 0.0]], -1.0)):
        params = {"W1": np.array(w), "b1": np.full((1, 1), b)}
        ax = plots.network_boundary(spec, params, X, Y, h=0.1)
        regions = ax.collections[0]  # one path per class level: (-0.5, 0.5) and (0.5, 1.5)
        filled[name] = [len(p.vertices) > 0 for p in regions.get_paths()]
    assert filled == {"split": [True, True], "all zero": [True, False]}


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


def test_plots_draw_on_a_given_axes():
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    assert plots.plot_costs([0], [1.0], 0.1, ax=ax) is ax


def test_tutorial_result_renders_in_jupyter():
    from initlab.experiments.tutorial import run_tutorial

    r = run_tutorial(num_iterations=3)
    html = r._repr_html_()
    # per run: costs, accuracy; conclusions: measured, the document's, what to remember; part 6
    assert html.count("<table>") == 3 * 2 + 3 + 3
    assert "3-layer NN with He initialization" in html and "Fails to break symmetry" in html
    assert "<style" not in html and "<img" not in html  # the notebook's own CSS stays untouched
