"""``initlab histograms``: the JSON contract, repeats, reports, depth study and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_helpers import invoke as run
from initlab.cli.histograms import histograms, split_specs
from initlab.theory.propagation import STAT_NAMES

SMALL = ["--depth", "3", "--width", "20", "--samples", "60", "--bins", "10"]




def test_defaults_are_the_tutorial_experiment() -> None:
    d = {p.name: p.default for p in histograms.params}
    assert d["inits"] == "normal:std=1,normal:std=0.01,lecun_normal,he_normal"
    assert d["acts"] == "sigmoid,relu,tanh"
    assert (d["depth"], d["width"], d["samples"], d["seed"]) == (5, 100, 1000, 0)


def test_split_specs_keeps_parameters_with_their_name() -> None:
    assert split_specs("normal:std=0.01,mean=0,he_normal", "x") == ["normal:std=0.01,mean=0", "he_normal"]


def test_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["histograms", *SMALL, "--inits", "lecun_normal,zeros",
                          "--activations", "tanh,relu", "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert [(c["init"], c["activation"]) for c in data["cases"]] == [
        ("lecun_normal", "tanh"), ("zeros", "tanh"), ("lecun_normal", "relu"), ("zeros", "relu")]
    for case in data["cases"]:
        assert [lay["layer"] for lay in case["layers"]] == [1, 2, 3]
        for lay in case["layers"]:
            for part in ("measured", "predicted", "gradient"):
                assert set(STAT_NAMES) <= set(lay[part])
    zeros = data["cases"][1]
    assert all(lay["measured"]["distinct_units"] == 1 for lay in zeros["layers"])
    assert zeros["verdict"]["verdict"] == "symmetric"


def test_widths_option(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["histograms", "--widths", "30,50,20", "--samples", "80", "--inits", "he_normal",
                          "--activations", "relu", "--json"], capsys)
    assert code == 0, err
    layers = json.loads(out)["cases"][0]["layers"]
    assert [lay["measured"]["distinct_units"] for lay in layers] == [50, 20]


def test_repeats_average_single_runs_and_report_sem(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["histograms", *SMALL, "--inits", "he_normal", "--activations", "relu", "--json"]
    singles = []
    for seed in (4, 5, 6):
        code, out, _ = run([*base, "--seed", str(seed)], capsys)
        singles.append(json.loads(out)["cases"][0]["layers"])
    code, out, err = run([*base, "--seed", "4", "--repeats", "3"], capsys)
    assert code == 0, err
    layers = json.loads(out)["cases"][0]["layers"]
    for i, lay in enumerate(layers):
        for part in ("measured", "gradient"):
            mean = sum(s[i][part]["std"] for s in singles) / 3
            assert lay[part]["std"] == pytest.approx(mean, rel=1e-12)
            assert lay[part]["std_sem"] > 0 and "sample_spread_sem" in lay[part]


def test_out_writes_figures_and_self_contained_html(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["histograms", *SMALL, "--inits", "he_normal,normal:std=0.01",
                          "--activations", "sigmoid", "--out", str(tmp_path)], capsys)
    assert code == 0, err
    assert "collapsed" in out and "verdict" in out
    html = (tmp_path / "index.html").read_text()
    assert "data:image/png;base64," in html and "http://" not in html and "https://" not in html
    assert (tmp_path / "activation_histograms_sigmoid.png").stat().st_size > 1000
    assert json.loads((tmp_path / "results.json").read_text())["cases"]


def test_depth_study_xavier_vanishes_he_does_not(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["histograms", "--depth-study", "--max-depth", "40", "--samples", "200",
                          "--json", "--out", str(tmp_path)], capsys)
    assert code == 0, err
    assert (tmp_path / "depth_study.png").stat().st_size > 1000
    assert json.loads((tmp_path / "depth_study.json").read_text()) == json.loads(out)
    cases = {c["init"]: c for c in json.loads(out)["depth_study"]["cases"]}
    # Var(W) = 1/fan_in halves ReLU's second moment per layer: the RMS ratio is 2^(-l/2), which
    # first drops below 1e-3 at l = 20.
    assert cases["glorot_normal"]["activation_depth_theory"] == 20
    assert 15 <= cases["glorot_normal"]["activation_depth"] <= 25
    assert cases["glorot_normal"]["gradient_depth"] <= 30
    assert cases["he_normal"]["activation_depth"] is None
    assert cases["he_normal"]["gradient_depth"] is None


@pytest.mark.parametrize("args,needle", [
    (["--depth", "0"], "depth"), (["--width", "-3"], "width"), (["--samples", "0"], "samples"),
    (["--activations", "nope"], "unknown activation"), (["--inits", "bogus"], "unknown initializer"),
    (["--width", "200000", "--samples", "200000"], "GiB"), (["--repeats", "0"], "repeats"),
    (["--widths", "30"], "--widths"), (["--widths", "30,x"], "--widths"),
])
def test_bad_input_exits_2_with_one_line(args: list[str], needle: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["histograms", *args], capsys)
    assert code == 2 and out == ""
    assert err.startswith("initlab: error:") and needle in err and err.count("\n") == 1
