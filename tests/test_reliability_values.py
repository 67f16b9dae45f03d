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
    with pytest.raises(InitlabError, match="non-finite"):
        scheme((3, 1), 0)


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
