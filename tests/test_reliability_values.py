"""Issue 15, values half: every fault of reliability-2026-12.md that this half fixes, by its id.

Each test reproduces the report's command (or the library call under it) and checks for one
clear ``initlab: error:`` line with exit 2, or for the corrected value.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from cli_helpers import invoke
from initlab import initializers as I
from initlab import optim
from initlab.core.errors import InitlabError

HUGE_INT = "9" * 400
TEN_400 = "1" + "0" * 400


def _one_line_error(args, capsys, match):
    code, out, err = invoke(args, capsys)
    assert code == 2, (code, out, err)
    assert err.startswith("initlab: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert match in err, err
    return err


# --- C1/C2: non-numeric parameter values -------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["train", "--iterations", "5", "--activation", "leaky_relu:negative_slope=abc"],
         "negative_slope"),
        (["train", "--iterations", "5", "--optimizer", "adam:beta1=abc"], "beta1"),
        (["inits", "he_normal:nonlinearity=elu,gain=abc", "--fan-in", "3", "--fan-out", "3"],
         "gain"),
    ],
)
def test_c1_c2_non_numeric_parameters_are_one_line(args, match, capsys):
    _one_line_error(args, capsys, match)


# --- C3: integers too large for a float --------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["inits", f"normal:std={HUGE_INT}", "--fan-in", "3", "--fan-out", "3"],
        ["inits", f"uniform:high={TEN_400}", "--fan-in", "3", "--fan-out", "3"],
        ["inits", f"sparse:sparsity={TEN_400}", "--fan-in", "3", "--fan-out", "3"],
        ["train", "--iterations", "5", "--init", f"orthogonal:gain={TEN_400}"],
        ["train", "--iterations", "5", "--optimizer", f"adam:epsilon={HUGE_INT}"],
    ],
)
def test_c3_huge_integer_parameters_are_one_line(args, capsys):
    _one_line_error(args, capsys, "range")


@pytest.mark.parametrize(
    "call",
    [
        lambda: I.normal(std=10**400),
        lambda: I.sparse(sparsity=10**400),
        lambda: I.orthogonal(gain=10**400),
        lambda: I.uniform(high=10**400),
        lambda: optim.get("adam", 0.1, epsilon=10**400),
    ],
)
def test_c3_library_calls_with_huge_integers_raise_initlab_error(call):
    with pytest.raises(InitlabError):
        call()


# --- C4: finite parameters whose square overflows ----------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["inits", "he_normal:gain=1e300", "--fan-in", "3", "--fan-out", "3"],
        ["inits", "he_normal:nonlinearity=leaky_relu,negative_slope=1e300", "--fan-in", "3",
         "--fan-out", "3"],
        ["theory", "--activation", "leaky_relu:negative_slope=1e300", "--sigma-w2", "2"],
    ],
)
def test_c4_overflowing_gains_are_one_line(args, capsys):
    err = _one_line_error(args, capsys, "")
    assert "gain" in err or "negative_slope" in err


def test_c4_variance_scaling_beyond_float_range_is_refused_before_drawing():
    scheme = I.variance_scaling(1e308, distribution="uniform")  # sqrt(3 * 1e308) overflows
    with pytest.raises(InitlabError, match="overflow"):
        scheme((3, 1), 0)
    for spec in ("normal:std=1e308", "random:scale=1e200", "constant:value=1e308",
                 "truncated_normal:std=1e308"):
        with pytest.raises(InitlabError, match="squares overflow"):
            I.get(spec)((3, 2), 0)


# --- C5: optimizer ranges ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "name"),
    [("adam:beta1=2", "beta1"), ("adam:beta1=1", "beta1"), ("adam:beta2=-5", "beta2"),
     ("momentum:beta=-1", "beta"), ("momentum:beta=1.5", "beta"), ("adam:epsilon=0", "epsilon"),
     ("adam:epsilon=-1e-8", "epsilon")],
)
def test_c5_optimizer_options_are_range_checked(spec, name, capsys):
    with pytest.raises(InitlabError, match=f"{name} must be a number in"):
        optim.get(spec, 0.01)
    _one_line_error(["train", "--iterations", "5", "--optimizer", spec], capsys, name)


def test_learning_rate_inside_the_optimizer_spec_is_one_line(capsys):
    # found by tests/test_fuzz_specs.py: "gd:learning_rate=0" collided with the keyword
    with pytest.raises(InitlabError, match="learning rate is set on its own"):
        optim.get("gd:learning_rate=0", 0.01)
    _one_line_error(["train", "--iterations", "5", "--optimizer", "gd:learning_rate=1"], capsys,
                    "--learning-rate")


def test_c5_valid_options_still_build():
    opt = optim.get("adam:beta1=0,beta2=0.5,epsilon=1e-12", 0.01)
    assert (opt.beta1, opt.beta2, opt.epsilon) == (0.0, 0.5, 1e-12)


# --- U5: booleans are not numbers --------------------------------------------------------------


def test_u5_std_true_is_refused(capsys):
    _one_line_error(["inits", "normal:std=true", "--fan-in", "3", "--fan-out", "3"], capsys,
                    "std must be a number")


# --- initializers against the frameworks' own behaviour ----------------------------------------


def test_trunc_normal_takes_absolute_bounds_like_torch():
    law = I.get("trunc_normal:std=0.02").describe((100, 100))
    # [-2, 2] is +-100 sigma: nothing is cut, so the std is the untruncated 0.02.
    assert (law.low, law.high) == (-2.0, 2.0)
    assert law.std == pytest.approx(0.02, rel=1e-12)
    w = I.get("trunc_normal:std=0.02")((400, 500), 0)
    assert abs(w.std() - 0.02) < 0.02 * 0.01  # 200,000 draws: SE of the std ~0.16%
    # The std-unit form keeps its own name and law: cut at +-2 sigma.
    unit = I.get("truncated_normal:std=0.02").describe((4, 4))
    assert unit.high == pytest.approx(0.04)


def test_trunc_normal_matches_torch_draws():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    g = torch.Generator().manual_seed(0)
    t = torch.empty(1_000_000, dtype=torch.float64)
    torch.nn.init.trunc_normal_(t, mean=0.3, std=1.0, a=-0.5, b=1.5, generator=g)
    ours = I.get("trunc_normal:mean=0.3,std=1.0,a=-0.5,b=1.5")((1000, 1000), 1)
    law = I.get("trunc_normal:mean=0.3,std=1.0,a=-0.5,b=1.5").describe((1000, 1000))
    se = law.std / 1000
    assert abs(float(t.mean()) - law.mean) < 5 * se and abs(ours.mean() - law.mean) < 5 * se
    assert abs(float(t.std()) - law.std) < 5 * se and abs(ours.std() - law.std) < 5 * se
    assert ours.min() >= -0.5 and ours.max() <= 1.5


def test_torch_default_conv_transpose_bias_has_out_channels():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    layer = torch.nn.ConvTranspose2d(3, 5, 2)
    w_shape = tuple(layer.weight.shape)  # (in=3, out=5, 2, 2)
    scheme = I.get("torch_default:transposed=true")
    bias = scheme.default_bias(w_shape, 0)
    assert bias.shape == tuple(layer.bias.shape) == (5,)
    fan_in = torch.nn.init._calculate_fan_in_and_fan_out(layer.weight)[0]
    assert np.all(np.abs(bias) <= 1 / math.sqrt(fan_in))
    assert I.get(scheme.name).default_bias(w_shape, 0).shape == (5,)  # the name rebuilds it
    assert I.get("torch_default").default_bias((5, 3, 2, 2), 0).shape == (5,)  # Conv2d: out first


@pytest.mark.parametrize("name", I.names(aliases=False))
@pytest.mark.parametrize("shape", [(0, 3), (4, 0), (0, 3, 3, 3), (2, 0, 3)])
def test_zero_dimension_shapes_give_empty_arrays(name, shape):
    w = I.get(name)(shape, 0)
    assert w.shape == shape and w.dtype == np.float64


@pytest.mark.parametrize("param", [True, [0.1], {"a": 1}, "0.1", 1e300])
def test_calculate_gain_rejects_non_numbers(param):
    with pytest.raises(InitlabError, match="negative_slope"):
        I.calculate_gain("leaky_relu", param)


@pytest.mark.parametrize(
    "spec",
    ["normal:std=0.123456789", "normal:mean=-1.2345678901234567,std=3.3333333333333335",
     "uniform:low=-0.1,high=0.30000000000000004", "he_normal:gain=1.0000001",
     "trunc_normal:std=0.0123456789,a=-0.987654321", "constant:value=1e-300"],
)
def test_spec_names_round_trip_floats_exactly(spec):
    scheme = I.get(spec)
    again = I.get(scheme.name)
    assert again.name == scheme.name
    assert again.describe((7, 5)) == scheme.describe((7, 5))
    assert I.get("normal:std=0.123456789").describe((3, 3)).std == 0.123456789


# --- C8: too large for memory, refused up front ------------------------------------------------


@pytest.mark.parametrize(
    ("args", "what"),
    [
        (["train", "--iterations", "5", "--layers", "2,100000000,1"], "training layer sizes"),
        (["train", "--iterations", "5", "--layers", "2,100000,100000,1"], "training layer sizes"),
        (["histograms", "--samples", "50", "--width", "20", "--bins", "1000000000",
          "--activations", "relu", "--inits", "he_normal"], "1000000000 bins"),
        (["theory", "--out", "never-written", "--grid", "100000"], "grid 100000"),
    ],
)
def test_c8_oversized_runs_are_refused_with_their_size(args, what, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    err = _one_line_error(args, capsys, what)
    assert "GiB but the machine has" in err
    assert not (tmp_path / "never-written").exists()


def test_c8_training_estimate_counts_activations_and_parameters():
    from initlab import network

    # 2,100000000,1 on 300 examples: the (1e8, 300) activations alone are 240 GB.
    assert network.training_bytes([2, 100_000_000, 1], 300) > 8 * 2 * 100_000_000 * 300
    small = network.training_bytes([2, 10, 5, 1], 300)
    assert small < 2**20


# --- C9/C10: histograms with vanishing / exploding inits ---------------------------------------


def test_c9_vanishing_init_does_not_divide_by_zero(capsys):
    code, out, err = invoke(["histograms", "--samples", "50", "--width", "20", "--depth", "50",
                             "--inits", "normal:std=1e-30", "--activations", "tanh", "--json"],
                            capsys)
    assert code == 0, err
    assert '"symmetric"' in out  # every unit computes the same function: the verdict says so
    assert "Traceback" not in err


def test_c9_one_minus_c_of_tiny_lengths():
    from initlab.theory.batch import _omc

    # qa * qb = 1e-400 underflows; the distance of two such vectors is still well defined.
    assert _omc(1e-200, 1e-200, 1e-200) == pytest.approx(0.5)
    assert _omc(0.0, 1.0, 1.0) == 1.0


def test_c10_depth_study_stopped_early_prints_a_table(capsys, tmp_path):
    code, out, err = invoke(["histograms", "--samples", "50", "--width", "20", "--depth-study",
                             "--max-depth", "30", "--inits", "normal:std=1e6",
                             "--out", str(tmp_path / "d")], capsys)
    assert code == 0, err
    row = next(line for line in out.splitlines() if line.startswith("normal:std=1e6"))
    assert row.split()[-2:] == ["-", "-"]  # no scale at depth 30: the run stopped at overflow
    assert (tmp_path / "d" / "index.html").exists()


# --- C11: malformed .npz files -----------------------------------------------------------------


def _npz_cases(tmp_path):
    r = np.random.default_rng(0)
    X = r.normal(size=(40, 2))
    y = (X[:, 0] > 0) * 1
    good = tmp_path / "good.npz"
    np.savez(good, X=X, y=y)
    data = good.read_bytes()
    (tmp_path / "truncated.npz").write_bytes(data[: len(data) // 2])
    (tmp_path / "garbage.npz").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 2)
    (tmp_path / "empty.npz").write_bytes(b"")
    np.save(tmp_path / "single.npy", np.ones((4, 2)))
    (tmp_path / "single.npy").rename(tmp_path / "single.npz")
    np.savez(tmp_path / "shapes.npz", X=X, y=y, X_test=r.normal(size=(10, 3)), y_test=y[:10])


@pytest.mark.parametrize(
    ("name", "match"),
    [("truncated.npz", "not a valid .npz"), ("garbage.npz", "not a valid .npz"),
     ("empty.npz", "empty"), ("single.npz", "single array"), ("shapes.npz", "3 features")],
)
def test_c11_bad_npz_files_are_one_line_before_training(name, match, capsys, tmp_path):
    _npz_cases(tmp_path)
    _one_line_error(["train", "--iterations", "5", "--dataset", str(tmp_path / name)], capsys,
                    match)


# --- U3: no warnings in normal use (the suite runs with warnings as errors) --------------------


def test_u3_empty_and_infinite_csv_are_errors_not_warnings(capsys, tmp_path):
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "inf.csv").write_text("1,2,0\n3,4,inf\n5,6,1\n")
    _one_line_error(["train", "--dataset", str(tmp_path / "empty.csv")], capsys, "empty")
    _one_line_error(["train", "--dataset", str(tmp_path / "inf.csv")], capsys, "infinite")


@pytest.mark.parametrize("extra", [["--l2", "1e300"], ["--dataset", "BIG"]])
def test_u3_overflowing_training_is_one_error_without_warnings(extra, capsys, tmp_path):
    if extra[1] == "BIG":
        r = np.random.default_rng(0)
        X = r.normal(size=(40, 2)) * 1e300
        np.savetxt(tmp_path / "big.csv", np.c_[X, (X[:, 0] > 0) * 1], delimiter=",")
        extra = ["--dataset", str(tmp_path / "big.csv")]
    _one_line_error(["train", "--iterations", "30", "--engine", "numpy", *extra], capsys,
                    "diverged")


def test_u3_huge_constant_in_histograms_is_one_error(capsys):
    _one_line_error(["histograms", "--depth", "5", "--samples", "20", "--width", "10",
                     "--inits", "constant:value=1e308", "--activations", "relu"], capsys,
                    "overflow")


# --- U2/U5: one list syntax for every command --------------------------------------------------

README_SPEC = "he_normal:nonlinearity=leaky_relu,negative_slope=0.2"


def test_u2_list_parser_keeps_multi_parameter_specs_whole():
    from initlab.cli._parse import split_specs

    assert split_specs(f"{README_SPEC},zeros", "--inits") == [README_SPEC, "zeros"]
    with pytest.raises(InitlabError, match="empty entry"):
        split_specs("he_normal,,zeros", "--inits")
    with pytest.raises(InitlabError, match="empty entry"):
        split_specs("he_normal,", "--inits")


@pytest.mark.parametrize("dup", ["he,he_normal", "kaiming_normal,HE_NORMAL", "normal:std=1,normal:std=1.0",
                                 "normal:mean=0,std=2,normal:std=2.0,mean=0.0"])
def test_u5_aliases_are_the_same_list_entry(dup):
    from initlab.cli._parse import split_specs

    with pytest.raises(InitlabError, match="the same"):
        split_specs(dup, "--inits", I.INITIALIZERS)
    assert len(split_specs("normal:std=1,normal:std=2", "--inits", I.INITIALIZERS)) == 2


def test_u2_readme_spec_in_every_command_list(capsys, tmp_path):
    code, out, err = invoke(["inits", f"{README_SPEC},zeros", "--fan-in", "4", "--fan-out", "4"],
                            capsys)
    assert code == 0, err
    assert README_SPEC in out and "zeros" in out
    code, out, err = invoke(["histograms", "--samples", "20", "--width", "8", "--depth", "2",
                             "--inits", f"{README_SPEC},zeros", "--activations",
                             "leaky_relu:negative_slope=0.2,relu", "--json"], capsys)
    assert code == 0, err
    code, out, err = invoke(["theory", "--activation", "tanh", "--grid", "3", "--out",
                             str(tmp_path / "t"), "--mark", f"{README_SPEC},lecun_normal"], capsys)
    assert code == 0, err


@pytest.mark.parametrize(
    "args",
    [["train", "--iterations", "5", "--layers", "2,,1"],
     ["histograms", "--widths", "4,,4", "--samples", "10"],
     ["inits", "--shape", "4,,3"],
     ["histograms", "--inits", "he_normal,,zeros", "--samples", "10"],
     ["histograms", "--inits", "he,kaiming_normal", "--samples", "10"]],
)
def test_u5_empty_or_repeated_entries_are_refused(args, capsys):
    _one_line_error(args, capsys, "")


# --- a run that goes wrong says so -------------------------------------------------------------


def test_blown_up_run_is_reported_and_exits_non_zero(capsys, tmp_path):
    import json

    code, out, err = invoke(["train", "--learning-rate", "1e6", "--iterations", "3000",
                             "--json", "--out", str(tmp_path / "r")], capsys)
    assert code == 2
    assert "blew up" in err and "at chance" in err and err.count("\n") == 1
    doc = json.loads(out)
    assert doc["status"] == "chance" and len(doc["problems"]) == 2
    saved = json.loads((tmp_path / "r" / "history.json").read_text())
    assert saved["status"] == "chance" and saved["problems"] == doc["problems"]
    assert "blew up" in (tmp_path / "r" / "index.html").read_text()


def test_healthy_run_is_trained_and_exits_zero(capsys):
    code, out, err = invoke(["train", "--iterations", "3000"], capsys)
    assert code == 0, err
    assert out.splitlines()[-1] == "status: trained"


def test_softmax_head_on_binary_labels_names_the_cause(capsys):
    _one_line_error(["train", "--head", "softmax", "--iterations", "5"], capsys,
                    "for binary 0/1 labels use the sigmoid head")


def test_assess_classifies_from_costs_and_accuracy():
    from initlab.engines.outcome import STATUSES, assess, status

    Y = np.array([[0.0, 1.0, 1.0, 1.0]])  # majority share 0.75
    assert assess([0.7, 0.3], 1.0, Y).ok
    assert assess([0.7, 0.3], 0.78, Y).status == "chance"  # within 0.05 of 0.75
    assert assess([0.7, float("nan")], None, None).status == "diverged"
    assert "blew up" in assess([0.7, 9.0], 1.0, Y).problems[0]
    assert "stalled" in assess([0.6931, 0.6931], None, None).problems[0]
    assert status(0.81, Y) == "trained" and set(STATUSES) == {"trained", "chance", "diverged"}
    onehot = np.eye(3)[:, [0, 0, 1, 2]]  # classes 0,0,1,2: majority share 0.5
    assert status(0.55, onehot) == "chance" and status(0.56, onehot) == "trained"


# --- diagnosis ----------------------------------------------------------------------------------


def test_relu_std1_is_never_called_healthy_between_exploding_layers():
    from initlab.experiments import histograms as exp

    # At width 6 each layer grows about sqrt(6/2) = 1.7x, and finite-width noise put single
    # steps on both sides of 2x: the step rule alone called layers 1, 3 and 5 healthy.
    for width in (6, 100):
        for seed in (0, 1, 2):
            case = exp.run_case("normal:std=1", "relu", depth=5, width=width, samples=200,
                                seed=seed)
            labels = [lv.verdict for lv in case.verdict.layers]
            assert labels == ["exploding"] * 5, (width, seed, labels)
    for init, act in (("he_normal", "relu"), ("lecun_normal", "tanh")):  # critical stays healthy
        case = exp.run_case(init, act, depth=5, width=6, samples=200, seed=0)
        assert [lv.verdict for lv in case.verdict.layers] == ["healthy"] * 5


def test_sigmoid_recommendation_fixes_the_saturation_it_names():
    from initlab.theory import meanfield as th
    from initlab.theory.diagnose import SATURATION_SHARE, recommend

    rec = recommend("sigmoid")
    assert "saturat" in rec.reason
    info = th.analyze("sigmoid", rec.sigma_w2, 0.0)
    sat = float(th.kernel("sigmoid").saturated_share(info.q_star))
    assert sat <= SATURATION_SHARE  # the recommended scale does not saturate ...
    assert sat > 0.9 * SATURATION_SHARE  # ... and is the largest that does not (to 1%)
    scheme = I.get(rec.spec)
    assert scheme.describe((100, 100)).std ** 2 * 100 == pytest.approx(rec.sigma_w2, rel=1e-5)
    assert recommend("tanh").spec == "lecun_normal"  # critical and unsaturated: unchanged


# --- first-time user ----------------------------------------------------------------------------


def test_histograms_out_reports_each_stage(capsys, tmp_path):
    code, out, err = invoke(["histograms", "--samples", "20", "--width", "8", "--depth", "2",
                             "--inits", "he_normal", "--activations", "relu", "--out",
                             str(tmp_path / "h")], capsys)
    assert code == 0, err
    stages = [line for line in err.splitlines() if line.startswith("histograms: ")]
    assert len(stages) == 2 and "measuring 1 case" in stages[0] and "index.html" in stages[1]
    assert "histograms:" not in out  # stdout keeps only the results


def test_tutorial_page_plots_the_x10_cost_on_a_log_axis_and_says_what_to_remember():
    from initlab.experiments.tutorial import run_tutorial
    from initlab.output import figures

    r = run_tutorial(num_iterations=1001)
    figs = r.figures()
    assert figs["cost_random"].args["log"] is True and figs["cost_he"].args["log"] is False
    fig = figures.draw(figs["cost_random"])
    assert fig.axes[0].get_yscale() == "log"
    html = r._repr_html_()
    assert "<th>What you should remember</th>" in html and "break symmetry" in html
    # the document's own conclusions table, beside the measured one
    assert "The document&#x27;s comparison" in html and "<td>Unstable variance</td>" in html


# --- C6: a legacy seed beyond np.random.seed's 32 bits --------------------------------------------


def test_c6_legacy_seed_out_of_range_is_one_line(capsys):
    _one_line_error(["train", "--layers", "2,4,1", "--iterations", "10", "--legacy-seed",
                     "--seed", str(2**32)], capsys, "0..4294967295, got 4294967296")


def test_c6_legacy_rng_refuses_what_np_random_seed_refuses():
    from initlab.core.rng import legacy_rng

    assert legacy_rng(2**32 - 1).randint(10**6) == np.random.RandomState(2**32 - 1).randint(10**6)
    for bad in (-1, 2**32, 1.5, True):
        with pytest.raises(InitlabError, match="legacy"):
            legacy_rng(bad)
