"""Initializers against closed forms (research file, section 2a/2b), frameworks' rules and tables."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, signal, stats

from initlab import activations as act_mod
from initlab import initializers as I
from initlab import network
from initlab.core.errors import InitlabError

C = float(stats.truncnorm(-2, 2).std())  # 0.87962566103423978, computed independently
DENSE = [(20, 30), (30, 20), (1, 7), (64, 64)]
CONV = [(8, 4, 3, 3), (6, 3, 5), (4, 2, 3, 3, 3), (3, 5, 2, 2)]


def _fans(shape):
    rf = math.prod(shape[2:])
    return shape[1] * rf, shape[0] * rf


def _u(b):
    return ("uniform", b / math.sqrt(3), b, None)


def _n(std):
    return ("normal", std, None, None)


def _t(std):  # Keras/JAX variance-scaling truncated normal
    return ("truncated_normal", std, 2 * std / C, std / C)


def _indicator(kind, ones, total):
    p = ones / total
    return (kind, math.sqrt(p - p * p), 1.0, None)


def closed_form(name, shape):
    """(kind, std, bound, sigma) from the research file's formulas, written independently."""
    fi, fo = _fans(shape)
    rows, cols = shape[0], math.prod(shape[1:])
    table = {
        "zeros": ("constant", 0.0, 0.0, None),
        "ones": ("constant", 0.0, 1.0, None),
        "constant": ("constant", 0.0, 0.0, None),
        "normal": _n(1.0),
        "uniform": _u(0.05),
        "truncated_normal": ("truncated_normal", C, 2.0, 1.0),
        "trunc_normal": ("truncated_normal", C, 2.0, 1.0),  # torch's defaults: a=-2, b=2, std 1
        "random": _n(10.0),
        "variance_scaling": _n(math.sqrt(1 / fi)),
        "he_normal": _n(math.sqrt(2 / fi)),
        "he_uniform": _u(math.sqrt(6 / fi)),
        "he_truncated_normal": _t(math.sqrt(2 / fi)),
        "glorot_normal": _n(math.sqrt(2 / (fi + fo))),
        "glorot_uniform": _u(math.sqrt(6 / (fi + fo))),
        "glorot_truncated_normal": _t(math.sqrt(2 / (fi + fo))),
        "lecun_normal": _n(math.sqrt(1 / fi)),
        "lecun_uniform": _u(math.sqrt(3 / fi)),
        "lecun_truncated_normal": _t(math.sqrt(1 / fi)),
        "orthogonal": ("orthogonal", 1 / math.sqrt(max(rows, cols)), 1.0, None),
        "sparse": ("sparse", 0.01 * math.sqrt(1 - math.ceil(0.1 * rows) / rows), None, 0.01),
        "torch_default": _u(1 / math.sqrt(fi)),
        "keras_default": _u(math.sqrt(6 / (fi + fo))),
        "flax_default": _t(math.sqrt(1 / fi)),
        "sklearn_default": _u(math.sqrt(6 / (fi + fo))),
    }
    if name == "identity":
        return None if len(shape) != 2 else _indicator("identity", min(shape), rows * cols)
    if name == "dirac":
        return None if len(shape) < 3 else _indicator("dirac", min(shape[:2]), math.prod(shape))
    return table[name]


SCHEMES = I.names(aliases=False)
DETERMINISTIC = {"zeros", "ones", "constant", "identity", "dirac"}


def test_every_registered_scheme_has_a_closed_form():
    for name in SCHEMES:
        closed_form(name, (4, 3))  # raises KeyError for a scheme the table lacks
        closed_form(name, (4, 3, 2))


@pytest.mark.parametrize("shape", DENSE + CONV, ids=str)
@pytest.mark.parametrize("name", SCHEMES)
def test_scheme_on_shape(name, shape):
    scheme = I.get(name)
    expected = closed_form(name, shape)
    if expected is None:
        with pytest.raises(InitlabError, match=name):
            scheme(shape, 0)
        return
    w = scheme(shape, 0)
    assert w.shape == shape and w.dtype == np.float64 and np.all(np.isfinite(w))
    assert np.array_equal(w, scheme(shape, 0))
    assert np.array_equal(w, scheme(shape, np.random.default_rng(0)))
    assert np.array_equal(w, I.get(name)(list(shape), 0))
    kind, std, bound, sigma = expected
    differs = not np.array_equal(w, scheme(shape, 1))
    assert differs == (name not in DETERMINISTIC and std > 0)  # sparse (1, n): all zero
    law = scheme.describe(shape)
    assert law.kind == kind
    assert law.std == pytest.approx(std, rel=1e-12, abs=1e-15)
    assert law.bound == (None if bound is None else pytest.approx(bound, rel=1e-12))
    assert law.sigma == (None if sigma is None else pytest.approx(sigma, rel=1e-12))
    if bound is not None:
        assert np.abs(w).max() <= bound


BIG = (2000, 1000)


@pytest.mark.parametrize("name", [n for n in SCHEMES if n != "dirac"])
def test_statistics_on_a_large_draw(name):
    w = I.get(name)(BIG, np.random.default_rng(7))
    kind, std, bound, _ = closed_form(name, BIG)
    if kind == "orthogonal":  # columns orthonormal (1000 <= 2000)
        assert np.abs(w.T @ w - np.eye(1000)).max() < 1e-10
    sample = float(np.sqrt(np.mean(w**2))) if kind == "orthogonal" else w.std()
    if kind == "identity":
        assert np.array_equal(w, np.eye(*BIG))
    assert sample == pytest.approx(std, rel=0.01, abs=1e-15)
    if kind == "uniform":
        assert np.abs(w).max() <= bound and np.abs(w).max() > 0.999 * bound
    if kind == "truncated_normal":
        assert np.abs(w).max() <= bound and np.abs(w).max() > 0.999 * bound


@pytest.mark.parametrize(
    ("spec", "std", "bound"),
    [  # research file 2c: torch references on a (2000, 1000) weight
        ("xavier_uniform", 0.025820, 0.044721),
        ("kaiming_normal:mode=fan_out,nonlinearity=relu", 0.031623, None),
        ("truncated_normal", 0.87963, 2.0),
    ],
)
def test_research_reference_draws(spec, std, bound):
    scheme = I.get(spec)
    law = scheme.describe(BIG)
    assert law.std == pytest.approx(std, abs=6e-6) and law.bound == pytest.approx(bound, abs=6e-6)
    w = scheme(BIG, 0)
    assert w.std() == pytest.approx(std, rel=2e-3)
    if bound is not None:
        assert bound * 0.9999 < np.abs(w).max() <= law.bound  # the printed bound is rounded


@pytest.mark.parametrize(
    "name", ["he_normal", "he_uniform", "glorot_truncated_normal", "lecun_uniform", "torch_default"]
)
def test_conv_statistics(name):
    shape = (500, 64, 8, 8)  # 2 048 000 entries, fans (4096, 32000)
    w = I.get(name)(shape, 3)
    assert w.std() == pytest.approx(closed_form(name, shape)[1], rel=0.01)


def test_he_normal_is_the_tutorial_bit_for_bit():
    for shape in [(10, 2), (5, 10), (1, 5)]:
        expect = np.random.RandomState(3).standard_normal(shape) * np.sqrt(2.0 / shape[1])
        assert np.array_equal(I.he_normal()(shape, np.random.RandomState(3)), expect)
    r, ref = np.random.RandomState(3), np.random.RandomState(3)
    params = network.init_params([2, 10, 5, 1], "he_normal", rng=r)
    dims = [2, 10, 5, 1]
    for l in range(1, 4):
        expect = ref.randn(dims[l], dims[l - 1]) * np.sqrt(2 / dims[l - 1])
        assert np.array_equal(params[f"W{l}"], expect)
        assert np.array_equal(params[f"b{l}"], np.zeros((dims[l], 1)))


def test_random_is_the_tutorial_large_random():
    expect = np.random.RandomState(3).randn(10, 2) * 10
    assert np.array_equal(I.get("random")((10, 2), np.random.RandomState(3)), expect)


@pytest.mark.parametrize("shape", [(7, 3), (3, 7), (5, 5), (6, 2, 3, 3), (2, 3, 3)], ids=str)
@pytest.mark.parametrize("gain", [1.0, 1.7])
def test_orthogonal_matches_pytorch_construction(shape, gain):
    w = I.orthogonal(gain)(shape, np.random.default_rng(5))
    rows, cols = shape[0], math.prod(shape[1:])
    flat = w.reshape(rows, cols) / gain
    small = flat @ flat.T if rows <= cols else flat.T @ flat
    assert np.abs(small - np.eye(min(rows, cols))).max() < 1e-12
    # Sign fix: Q^T A = R must have a positive diagonal for the normal matrix A that was drawn.
    A = np.random.default_rng(5).standard_normal((rows, cols))
    q, a = (flat, A) if rows >= cols else (flat.T, A.T)
    R = q.T @ a
    assert np.allclose(np.tril(R, -1), 0, atol=1e-10) and np.all(np.diag(R) > 0)


def test_identity_and_dirac():
    assert np.array_equal(I.identity(2.0)((3, 5)), 2 * np.eye(3, 5))
    assert np.array_equal(I.get("eye")((4, 2)), np.eye(4, 2))
    x = np.random.default_rng(0).standard_normal((4, 9, 11))
    k = I.dirac()((4, 4, 3, 3))
    y = np.stack([sum(signal.correlate(x[i], k[o, i], "same") for i in range(4)) for o in range(4)])
    assert np.allclose(y, x)
    kg = I.get("dirac:groups=2")((6, 3, 5))  # 2 groups of 3 out channels, each the identity
    for o in range(6):
        expect = np.zeros((3, 5))
        expect[o % 3, 2] = 1
        assert np.array_equal(kg[o], expect)
    assert I.dirac()((2, 4, 4)).sum() == 2 and I.dirac()((2, 4, 4))[1, 1, 2] == 1  # k//2


def test_sparse_zero_count_per_column():
    w = I.get("sparse:sparsity=0.3,std=2")((10, 40), 0)
    assert np.all((w == 0).sum(axis=0) == math.ceil(0.3 * 10))
    conv = I.sparse(0.5)((6, 2, 3, 3), 1).reshape(6, -1)
    assert np.all((conv == 0).sum(axis=0) == 3)
    assert np.count_nonzero(I.sparse(0.0)((5, 5), 0)) == 25


def test_truncated_normal_bounds_in_std_units():
    tn = I.truncated_normal(mean=1.0, std=2.0, lower=-1.0, upper=3.0)
    w = tn((1000, 1000), 0)
    assert w.min() >= -1.0 and w.max() <= 7.0
    ref = stats.truncnorm(-1, 3, loc=1, scale=2)
    assert w.mean() == pytest.approx(ref.mean(), abs=0.01)
    assert tn.describe((2, 2)).std == pytest.approx(ref.std(), rel=1e-12)
    far = I.truncated_normal(std=0.5, lower=5.0, upper=6.0)  # little mass: inverse-CDF branch
    w = far((500, 400), 1)
    assert w.min() >= 2.5 and w.max() <= 3.0
    ref = stats.truncnorm(5, 6, scale=0.5)
    assert w.mean() == pytest.approx(ref.mean(), rel=1e-3)
    assert far.describe((2, 2)).std == pytest.approx(ref.std(), rel=1e-9)


def test_rng_kinds_agree():
    s = I.get("glorot_uniform")
    assert np.array_equal(s((4, 3), 11), s((4, 3), np.random.default_rng(11)))
    legacy = s((4, 3), np.random.RandomState(11))
    assert np.array_equal(legacy, s((4, 3), np.random.RandomState(11)))


def test_variance_scaling_general_rule():
    vs = I.variance_scaling(2.0, "fan_out", "uniform")
    assert vs.describe((10, 40)).bound == pytest.approx(math.sqrt(6 / 10))
    assert I.variance_scaling(1.0, "fan_in", "untruncated_normal").describe((3, 4)).kind == "normal"
    assert I.get("variance_scaling:scale=3,mode=fan_avg").describe((2, 4)).std == pytest.approx(1)
    assert I.he_normal(mode="fan_avg").describe((2, 6)).std == pytest.approx(math.sqrt(0.5))


def test_named_cases_take_gain_or_nonlinearity():
    lr = I.he_normal(nonlinearity="leaky_relu", negative_slope=0.2).describe((1, 50))
    assert lr.std == pytest.approx(math.sqrt(2 / (1 + 0.04)) / math.sqrt(50))
    assert I.get("kaiming_uniform:negative_slope=2.2360679775").describe((1, 9)).bound == (
        pytest.approx(1 / 3, rel=1e-10)
    )  # PyTorch's a=sqrt(5): U(+-1/sqrt(fan_in))
    assert I.glorot_uniform(gain=2.0).describe((3, 3)).bound == pytest.approx(2.0)
    assert I.get("xavier_normal:nonlinearity=tanh").describe((4, 4)).std == pytest.approx(5 / 3 / 2)


def test_names_and_get():
    assert "kaiming_normal" in I.names() and "kaiming_normal" not in I.names(aliases=False)
    assert I.get("Kaiming-Normal").name == "he_normal"
    assert I.get("normal:std=0.01").name == "normal:std=0.01"
    f = lambda shape, rng=None: np.ones(shape)
    assert I.get(f) is f
    s = I.get("he_normal")
    assert I.get(s) is s


@pytest.mark.parametrize(
    "spec", [*I.names(), *I.VARIANTS, "normal:std=0.01", "orthogonal:gain=1.2"]
)
def test_name_rebuilds_the_same_scheme(spec):
    scheme = I.get(spec)
    again = I.get(scheme.name)
    assert again.name == scheme.name and again.formula == scheme.formula
    shape = (4, 3, 3) if "dirac" in spec else (4, 3)
    assert np.array_equal(scheme(shape, 5), again(shape, 5))


def test_framework_default_bias_rules():
    spec = network.Spec.build([30, 20, 1], "relu")
    p = network.init_params(spec, "torch_default", rng=0)
    r = np.random.default_rng(0)
    w1 = r.uniform(-1 / math.sqrt(30), 1 / math.sqrt(30), (20, 30))
    b1 = r.uniform(-1 / math.sqrt(30), 1 / math.sqrt(30), 20)
    assert np.array_equal(p["W1"], w1) and np.array_equal(p["b1"][:, 0], b1)
    for name in ("keras_default", "flax_default"):
        q = network.init_params(spec, name, rng=0)
        assert not np.any(q["b1"]) and not np.any(q["b2"])
    z = network.init_params(spec, "torch_default", bias_init="zeros", rng=0)
    assert not np.any(z["b1"])


@pytest.mark.parametrize("activation", ["relu", "logistic", "tanh"])
def test_sklearn_default_matches_sklearn(activation):
    from sklearn.neural_network import MLPClassifier

    dims = [5, 7, 4, 1]
    mlp = MLPClassifier(activation=activation)
    mlp._random_state = np.random.RandomState(42)
    ref = [mlp._init_coef(dims[i], dims[i + 1], np.float64) for i in range(3)]
    spec = network.Spec.build(dims, activation)
    p = network.init_params(
        spec, f"sklearn_default:activation={activation}", rng=np.random.RandomState(42)
    )
    for l, (coef, intercept) in enumerate(ref, start=1):
        assert np.array_equal(p[f"W{l}"], coef.T)
        assert np.array_equal(p[f"b{l}"][:, 0], intercept)


# --- gains and fans ------------------------------------------------------------------------------

TORCH_GAINS = [  # research file, table 1b
    ("linear", None, 1.0), ("conv1d", None, 1.0), ("conv2d", None, 1.0), ("conv3d", None, 1.0),
    ("conv_transpose1d", None, 1.0), ("conv_transpose2d", None, 1.0),
    ("conv_transpose3d", None, 1.0), ("sigmoid", None, 1.0), ("tanh", None, 5 / 3),
    ("relu", None, 1.41421), ("leaky_relu", None, 1.41414), ("leaky_relu", 0.2, 1.38675),
    ("leaky_relu", 0.0, math.sqrt(2)), ("leaky_relu", math.sqrt(5), 1 / math.sqrt(3)),
    ("selu", None, 0.75),
]  # fmt: skip


@pytest.mark.parametrize(("name", "param", "gain"), TORCH_GAINS)
def test_calculate_gain_is_pytorchs(name, param, gain):
    assert I.calculate_gain(name, param) == pytest.approx(gain, abs=5e-6)


def test_gain_squared_is_exact_for_he():
    assert I.gain_squared("relu") == 2.0 and I.gain_squared("tanh") == 25 / 9
    assert I.calculate_gain("logistic") == 1.0 and I.calculate_gain("Leaky-ReLU") > 1.41


@pytest.mark.parametrize(
    ("name", "param"),
    [
        ("gelu", None),
        ("silu", None),
        ("softplus", None),
        ("erf", None),
        ("elu", None),
        ("elu", 0.5),
    ],
)
def test_derived_gains_against_quadrature(name, param):
    f = act_mod.get(name, **({} if param is None else {"alpha": param})).fn

    def integrand(z):
        return float(f(np.array([z]))[0] ** 2 * stats.norm.pdf(z))

    second = sum(integrate.quad(integrand, a, b)[0] for a, b in [(-np.inf, 0), (0, np.inf)])
    assert I.calculate_gain(name, param) == pytest.approx(1 / math.sqrt(second), rel=1e-8)


def test_derived_rule_reproduces_relu_and_leaky():
    from initlab.initializers.laws import derived_gain_squared

    assert derived_gain_squared("relu") == pytest.approx(2.0, rel=1e-10)
    assert derived_gain_squared("leaky_relu", 0.2) == pytest.approx(2 / 1.04, rel=1e-10)
    activation = act_mod.get("leaky_relu", negative_slope=0.2)
    assert I.calculate_gain(activation) == pytest.approx(math.sqrt(2 / 1.04))


def test_gain_table_covers_every_activation():
    rows = {r["nonlinearity"]: r for r in I.gain_table()}
    assert set(act_mod.names()) <= set(rows)
    assert "convention" in rows["tanh"]["source"] and "derived" in rows["gelu"]["source"]


@pytest.mark.parametrize(
    ("shape", "fans"),
    [((128, 256), (256, 128)), ((64, 32, 3, 3), (288, 576)), ((16, 32, 3, 3), (288, 144)),
     ((8, 1, 3, 3), (9, 72)), ((3, 4, 5), (20, 15)), ((1, 1), (1, 1))],
)  # fmt: skip
def test_compute_fans_pytorch_rule(shape, fans):
    assert I.compute_fans(shape) == fans


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: I.compute_fans((5,)), "at least 2"),
        (lambda: I.compute_fans(()), "at least 2"),
        (lambda: I.get("normal")((3, -1), 0), "non-negative integers"),
        (lambda: I.get("normal")((3, 2.5), 0), "non-negative integers"),
        (lambda: I.get("he_normal").describe((0, 3)), "positive"),
        (lambda: I.get("nope"), "valid: .*he_normal"),
        (lambda: I.get("normal:std"), "malformed"),
        (lambda: I.get("normal:std=0.1,std=0.2"), "twice"),
        (lambda: I.get("normal:std=-1"), "std"),
        (lambda: I.get("normal:std=abc"), "std"),
        (lambda: I.get("normal:sd=1"), "valid: mean, std"),
        (lambda: I.get("random:scale=-2"), "scale"),
        (lambda: I.variance_scaling(-1.0), "scale"),
        (lambda: I.variance_scaling(1.0, "fan_max"), "fan_avg"),
        (lambda: I.variance_scaling(1.0, "fan_in", "cauchy"), "truncated_normal"),
        (lambda: I.get("sparse:sparsity=1"), r"\[0, 1\)"),
        (lambda: I.get("sparse:sparsity=-0.1"), r"\[0, 1\)"),
        (lambda: I.get("orthogonal:gain=0"), "gain"),
        (lambda: I.get("he_normal:gain=-1"), "gain"),
        (lambda: I.get("identity:gain=-2"), "gain"),
        (lambda: I.he_normal(gain=2, nonlinearity="relu"), "either"),
        (lambda: I.he_normal(nonlinearity="swishy"), "valid:.*tanh"),
        (lambda: I.calculate_gain("tanh", 0.3), "no parameter"),
        (lambda: I.get("orthogonal")((5,), 0), "at least 2"),
        (lambda: I.get("identity")((4, 4, 3), 0), "dirac"),
        (lambda: I.get("dirac")((4, 4), 0), "identity"),
        (lambda: I.get("dirac:groups=3")((4, 4, 3), 0), "divisible"),
        (lambda: I.get("uniform:low=1,high=0"), "low < high"),
        (lambda: I.get("truncated_normal:lower=2,upper=1"), "lower < upper"),
        (lambda: I.get("truncated_normal:lower=40,upper=41"), "mass"),
        (lambda: I.get("sklearn_default:activation=foo"), "valid"),
        (lambda: I.get(3), "name or a callable"),
        (lambda: I.get(np.ones, std=1), "callable"),
        (lambda: I.get("normal")((2, 2), -1), "rng"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(InitlabError, match=match):
        call()


# --- networks: per-layer inits and gain="auto" ---------------------------------------------------


def test_gain_auto_picks_each_layers_activation():
    spec = network.Spec.build([300, 400, 500, 10], ["tanh", "leaky_relu:negative_slope=0.2"])
    p = network.init_params(spec, "glorot_uniform", gain="auto", rng=0)
    gains = [5 / 3, math.sqrt(2 / 1.04), 1.0]
    for l, g in enumerate(gains, start=1):
        fo, fi = p[f"W{l}"].shape
        bound = g * math.sqrt(6 / (fi + fo))
        assert bound * 0.999 < np.abs(p[f"W{l}"]).max() <= bound
    q = network.init_params(spec, "orthogonal", gain="auto", rng=0)
    w = q["W1"] / (5 / 3)
    assert np.abs(w @ w.T - np.eye(400)).max() < 1e-10 if w.shape[0] <= w.shape[1] else True
    assert np.abs(w.T @ w - np.eye(300)).max() < 1e-10


def test_gain_auto_on_relu_is_plain_he():
    spec = network.Spec.build([2, 10, 5, 1], "relu")
    auto = network.init_params(spec, "he_normal", gain="auto", rng=4)
    plain = network.init_params(spec, ["he_normal", "he_normal", "lecun_normal"], rng=4)
    for k in auto:
        assert np.array_equal(auto[k], plain[k])


def test_per_layer_weight_and_bias_inits_and_number_gain():
    p = network.init_params(
        [4, 6, 3], ["orthogonal", "zeros"], bias_init=["ones", "constant:value=0.5"], rng=0
    )
    assert np.allclose(p["W1"].T @ p["W1"], np.eye(4)) and not np.any(p["W2"])
    assert np.all(p["b1"] == 1) and np.all(p["b2"] == 0.5)
    q = network.init_params([4, 6, 3], "orthogonal", gain=2.0, rng=0)
    assert np.allclose(q["W1"].T @ q["W1"], 4 * np.eye(4))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weight_init": "normal", "gain": "auto"}, "gain"),
        ({"weight_init": "normal", "gain": 2.0}, "takes no gain"),
        ({"weight_init": np.ones, "gain": "auto"}, "callable"),
        ({"weight_init": ["he_normal"]}, "1 weight initializers given for 2 layers"),
    ],
)
def test_init_params_bad_gain(kwargs, match):
    spec = network.Spec.build([3, 4, 1], "relu")
    with pytest.raises(InitlabError, match=match):
        network.init_params(spec, **kwargs)
    with pytest.raises(InitlabError, match="Spec"):
        network.init_params([3, 4, 1], "he_normal", gain="auto")
