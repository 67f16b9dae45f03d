"""initlab compare: per-seed results against independent training, summaries, CLI and HTML."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from initlab import datasets, network, train
from initlab.experiments.compare import METRICS, compare
from initlab.output.bundle import write_bundle
from test_report_sweep import Page
from test_sweep import cli

SEEDS, ITERS = 6, 300


@pytest.fixture(scope="module")
def result():
    return compare(["zeros", "he_normal", "random"], "moons", seeds=SEEDS, num_iterations=ITERS,
                   record_every=50, threshold=0.6)


def test_zeros_is_the_closed_form_symmetric_case(result):
    # Zero weights never move (the hidden units stay dead), and on balanced labels the output
    # bias gradient is 0 too: every seed ends at ln 2 with accuracy 1/2.
    for m, want in (("final_cost", math.log(2)), ("train_accuracy", 0.5), ("test_accuracy", 0.5)):
        s = result.summaries["zeros"][m]
        assert s.n == SEEDS
        assert s.mean == pytest.approx(want, rel=1e-12)
        assert s.ci_low == s.ci_high == s.mean
    assert result.reached["zeros"] == 0
    assert result.summaries["zeros"]["steps_to_threshold"].mean == ITERS  # censored at the budget


def test_each_run_matches_an_independent_training_with_its_seed(result):
    data = datasets.load("moons")
    spec = network.Spec.build([2, 10, 5, 1], "relu", "sigmoid")
    for seed in (0, SEEDS - 1):
        rng = np.random.default_rng(np.random.SeedSequence([0, seed]))
        p0 = network.init_params(spec, "he_normal", rng=rng)
        h = train.train(spec, p0, data.train_X, data.train_Y, num_iterations=ITERS,
                        record_every=50, engine="numpy")
        got = next(r for c, r in zip(result.configs, result.results, strict=True)
                   if c.init == "he_normal" and c.seed == seed)
        np.testing.assert_allclose(got["arrays"]["costs"], h.costs, rtol=1e-9)
        acc = network.accuracy(spec, h.params, data.test_X, data.test_Y)
        assert got["test_accuracy"] == pytest.approx(acc, abs=1e-12)


def test_summaries_are_the_sample_means_with_intervals_around_them(result):
    for init in result.inits:
        for m in METRICS:
            vals = result.values(init, m)
            s = result.summaries[init][m]
            assert s.mean == pytest.approx(np.mean(vals))
            assert s.ci_low <= s.mean <= s.ci_high
            assert min(vals) <= s.ci_low and s.ci_high <= max(vals)


def test_pairwise_tests_find_the_obvious_difference(result):
    rows = {(t["a"], t["b"]): t for t in result.pairwise["train_accuracy"]}
    assert set(rows) == {("zeros", "he_normal"), ("zeros", "random"), ("he_normal", "random")}
    assert rows[("zeros", "he_normal")]["significant"]
    assert rows[("zeros", "he_normal")]["difference"] < 0


def test_json_has_the_documented_shape(result):
    d = json.loads(json.dumps(result.to_json()))
    assert [e["init"] for e in d["inits"]] == ["zeros", "he_normal", "random"]
    for e in d["inits"]:
        assert e["n"] == SEEDS
        for m in METRICS:
            assert {"mean", "ci_low", "ci_high"} <= set(e[m])


def test_html_is_self_contained_with_every_figure(result, tmp_path):
    page = write_bundle(result, tmp_path / "out")["index.html"]
    p = Page()
    p.feed(page.read_text())
    imgs = [a for t, a in p.tags if t == "img"]
    assert len(imgs) == 3 == len(list((tmp_path / "out").glob("*.png")))
    assert all(a["src"].startswith("data:image/png;base64,") for a in imgs)
    assert not [a for _, a in p.tags if str(a.get("href", "")).startswith("http")]
    assert json.loads((tmp_path / "out" / "results.json").read_text())["inits"]
    fragment = result._repr_html_()
    assert "<table" in fragment and "Pairwise tests" in fragment and "<style" not in fragment


def test_cli_json_and_errors(capsys):
    code, out, err = cli(["compare", "--inits", "he_normal,lecun_normal", "--seeds", "3",
                           "--iterations", "30", "--record-every", "10", "--json"], capsys)
    assert code == 0, err
    d = json.loads(out)
    assert [e["init"] for e in d["inits"]] == ["he_normal", "lecun_normal"]
    code, _, err = cli(["compare", "--inits", "he_normal,bogus", "--seeds", "2"], capsys)
    assert code == 2 and "unknown initializer 'bogus'" in err and "he_normal" in err
    code, _, err = cli(["compare", "--layers", "3,10,1", "--seeds", "2"], capsys)
    assert code == 2 and "needs 2 inputs" in err
    code, _, err = cli(["compare", "--seeds", "0"], capsys)
    assert code == 2 and "seeds" in err


def test_diverged_runs_are_counted_and_left_out(tmp_path):
    # A linear network with a huge step: the logits grow without bound and the cost turns inf.
    res = compare(["random:scale=10", "he_normal"], seeds=2, hidden=(10, 10, 10),
                  activation="identity", learning_rate=1e3, num_iterations=300)
    d = res.to_json()["inits"]
    assert [e["diverged"] for e in d] == [2, 2]
    assert d[0]["final_cost"] == {"n": 0, "mean": None, "ci_low": None, "ci_high": None}
    assert res.pairwise["final_cost"] == []
    page = write_bundle(res, tmp_path / "out")["index.html"]
    assert "Per initialization" in page.read_text()
