"""Every engine against the reference loop and the tutorial's printed results."""

from __future__ import annotations

import importlib.util
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from initlab import activations, datasets, engines, losses, network, optim, train
from initlab.activations import Activation
from initlab.core.errors import Diverged, InitlabError
from initlab.engines import compiled, loops
from initlab.engines.base import TrainConfig

ROOT = Path(__file__).resolve().parents[1]
ENGINES = ["numpy", "numba", "batched"]
# The tutorial's printed He costs (iterations 0, 1000, ..., 14000).
TUTORIAL_HE_COSTS = [
    0.7342482321384683, 0.2956649797057583, 0.25184038318406815, 0.22284974489831486,
    0.197785000749911, 0.17049197570926786, 0.13351846788644978, 0.09373065428140327,
    0.06003854894423607, 0.0367254088164847, 0.023649094476709844, 0.016344535872923487,
    0.011999996046588598, 0.009296262994410533, 0.00755073011114619,
]
# init name -> (train accuracy, test accuracy) printed by the tutorial
TUTORIAL_ACCURACY = {
    "zeros": (0.5, 0.5),
    "random": (0.8866666666666667, 0.87),
    "he_normal": (1.0, 1.0),
}


def _reference_module():
    spec = importlib.util.spec_from_file_location("tutorial_reference", ROOT / "benchmarks" / "tutorial_reference.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def moons():
    return datasets.load("moons")


@pytest.fixture(scope="module")
def tutorial_spec():
    return network.Spec.build([2, 10, 5, 1], "relu", "sigmoid")


def _tutorial_params(spec, init):
    return network.init_params(spec, init, rng=np.random.RandomState(3))


def _rel(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


@pytest.fixture(scope="module")
def he_runs(moons, tutorial_spec):
    p = _tutorial_params(tutorial_spec, "he_normal")
    return {
        e: train.train(tutorial_spec, p, moons.train_X, moons.train_Y, engine=e) for e in ENGINES
    }


def test_reference_engine_reproduces_the_tutorial_loop(he_runs, moons):
    ref = _reference_module()
    X, Y, _, _ = ref.load_dataset()
    np.testing.assert_array_equal(X, moons.train_X)
    state = np.random.get_state()
    try:
        _, costs = ref.model(X, Y, initialization="he", print_cost=True)
    finally:
        np.random.set_state(state)
    assert _rel(he_runs["numpy"].costs, costs) < 1e-12
    assert _rel(he_runs["numpy"].costs, TUTORIAL_HE_COSTS) < 1e-12


@pytest.mark.parametrize("engine", ENGINES)
def test_he_costs_match_reference(he_runs, engine):
    h = he_runs[engine]
    assert h.iterations == list(range(0, 15000, 1000))
    assert _rel(h.costs, he_runs["numpy"].costs) < 1e-9
    assert _rel(h.costs, TUTORIAL_HE_COSTS) < 1e-9


@pytest.mark.parametrize(("engine", "init"), [
    *(("numpy", init) for init in sorted(TUTORIAL_ACCURACY)),
    # the compiled engines differ from numpy in the last bits: only runs that do not amplify
    # them (not zeros' knife edge, not the chaotic x10 random run) must land on the same facts
    ("numba", "he_normal"), ("batched", "he_normal"),
])
def test_tutorial_accuracies(moons, tutorial_spec, engine, init):
    h = train.train(tutorial_spec, _tutorial_params(tutorial_spec, init), moons.train_X,
                    moons.train_Y, engine=engine)
    assert h.engine == ("numba" if engine == "batched" else engine)  # one model: numba's loop
    got = (network.accuracy(tutorial_spec, h.params, moons.train_X, moons.train_Y),
           network.accuracy(tutorial_spec, h.params, moons.test_X, moons.test_Y))
    assert got == TUTORIAL_ACCURACY[init]


CASES = [
    # dims, activation, head, optimizer, batch_size, l2
    ([2, 10, 5, 1], "tanh", "sigmoid", "momentum", None, 0.0),
    ([2, 8, 8, 8, 1], "leaky_relu:negative_slope=0.2", "sigmoid", "adam", 64, 0.1),
    ([2, 7, 3], "gelu", "softmax", "adam", None, 0.0),
    ([2, 6, 6, 3], "elu", "softmax", "gd", 50, 0.05),
    ([2, 9, 1], "selu", "linear", "gd", None, 0.0),
    ([2, 5, 5, 1], "silu", "sigmoid", "gd", None, 0.0),
    ([2, 6, 1], "softplus", "sigmoid", "momentum", 32, 0.0),
    ([2, 6, 1], "erf", "sigmoid", "gd", None, 0.0),
    ([2, 6, 1], "sigmoid", "sigmoid", "adam", None, 0.0),
    ([2, 6, 1], "identity", "linear", "momentum", None, 0.01),
    ([2, 1], "relu", "sigmoid", "gd", None, 0.0),
]


def _data(dims, head, m=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((dims[0], m))
    if head == "softmax":
        Y = np.eye(dims[-1])[:, (X[0] > 0).astype(int) + (X[1] > 0.5).astype(int)]
    elif head == "linear":
        Y = np.sin(X[:1]) + 0.1 * X[1:2]
    else:
        Y = (X[:1] * X[1:2] > 0).astype(float)
    return X, Y


@pytest.mark.parametrize("case", CASES, ids=[f"{c[1]}-{c[2]}-{c[3]}" for c in CASES])
@pytest.mark.parametrize("engine", ["numba", "batched"])
def test_general_networks_match_reference(case, engine):
    dims, act, head, opt, bs, l2 = case
    spec = network.Spec.build(dims, act, head)
    X, Y = _data(dims, head)
    p = network.init_params(spec, "he_normal", rng=1)
    kw = {"optimizer": opt, "learning_rate": 0.01, "num_iterations": 300, "record_every": 20,
              "batch_size": bs, "seed": 5, "l2": l2, "metrics": ["accuracy"]}
    ref = train.train(spec, p, X, Y, engine="numpy", **kw)
    got = train.train(spec, p, X, Y, engine=engine, **kw)
    assert got.iterations == ref.iterations
    assert _rel(got.costs, ref.costs) < 1e-9
    for k in ref.params:
        np.testing.assert_allclose(got.params[k], ref.params[k], rtol=1e-9, atol=1e-12)
    assert got.metrics["accuracy"] == ref.metrics["accuracy"]


@pytest.mark.parametrize("batch_size,opt", [(None, "gd"), (40, "adam")])
def test_batched_members_equal_their_single_runs(moons, tutorial_spec, batch_size, opt):
    inits = ["he_normal", "random", "zeros", "glorot_uniform"]
    runs = [(init, network.init_params(tutorial_spec, init, rng=s)) for s in range(3) for init in inits]
    cfg = TrainConfig(opt, 0.01, 600, 100, batch_size=batch_size, seed=7, metrics=("accuracy",))
    plist = [p for _, p in runs]
    many = engines.train_many(tutorial_spec, plist, moons.train_X, moons.train_Y, cfg, "batched")
    assert len(many) == len(plist)
    for (init, p), h in zip(runs, many, strict=True):
        single = engines.get("numba", tutorial_spec, cfg)(tutorial_spec, p, moons.train_X, moons.train_Y, cfg)
        assert h.iterations == single.iterations
        assert _rel(h.costs, single.costs) < 1e-9
        assert h.metrics == single.metrics
        if init != "random":  # x10 weights make the trajectory chaotic: last-bit differences grow
            ref = train.train_numpy(tutorial_spec, p, moons.train_X, moons.train_Y, cfg)
            assert _rel(h.costs, ref.costs) < 1e-9
        for k in p:
            np.testing.assert_allclose(h.params[k], single.params[k], rtol=1e-9, atol=1e-14)


def test_train_many_auto_and_numpy_agree(moons, tutorial_spec):
    plist = [network.init_params(tutorial_spec, "he_normal", rng=s) for s in range(3)]
    cfg = TrainConfig(num_iterations=200, record_every=50)
    a = engines.train_many(tutorial_spec, plist, moons.train_X, moons.train_Y, cfg)
    b = engines.train_many(tutorial_spec, plist, moons.train_X, moons.train_Y, cfg, "numpy")
    assert [h.engine for h in a] == ["batched"] * 3
    for x, y in zip(a, b, strict=True):
        assert _rel(x.costs, y.costs) < 1e-9
    assert engines.train_many(tutorial_spec, [], moons.train_X, moons.train_Y, cfg) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_divergence_names_the_step(engine):
    spec = network.Spec.build([2, 16, 16, 1], "relu", "linear")
    X, Y = _data(spec.dims, "linear")
    p = network.init_params(spec, "he_normal", rng=0)
    with pytest.raises(Diverged, match=r"diverged.*at step \d+") as info:
        train.train(spec, p, X, Y * 1e3, learning_rate=5.0, num_iterations=2000, engine=engine)
    assert f"at step {info.value.step};" in str(info.value)  # the step the message names


def test_batched_divergence_names_model_and_step(tutorial_spec):
    spec = network.Spec.build([2, 16, 16, 1], "relu", "linear")
    X, Y = _data(spec.dims, "linear")
    plist = [network.init_params(spec, "he_normal", rng=s) for s in range(2)]
    cfg = TrainConfig(learning_rate=5.0, num_iterations=2000)
    with pytest.raises(InitlabError, match=r"model \d+: .*at step \d+"):
        engines.train_many(spec, plist, X, Y * 1e3, cfg, "batched")


def test_auto_choice_is_a_function_of_network_settings_and_count(tutorial_spec):
    long_, short = TrainConfig(num_iterations=15000), TrainConfig(num_iterations=100)
    assert engines.choose(tutorial_spec) == "numba"
    assert engines.choose(tutorial_spec, long_) == "numba"
    assert engines.choose(tutorial_spec, short) == "numpy"  # over before the kernels load
    assert engines.choose(tutorial_spec, short, many=True) == "batched"
    wide = network.Spec.build([784, 512, 512, 10], "relu", "softmax")
    assert engines.choose(wide) == "numpy"
    assert engines.choose(wide, many=True) == "numpy"
    custom = Activation("cube", lambda z: z**3, lambda z, a: 3 * z**2)
    spec = network.Spec.build([2, 4, 1], custom, "sigmoid")
    assert engines.choose(spec) == "numpy"
    with pytest.raises(InitlabError, match="custom"):
        engines.get("numba", spec)


def test_auto_records_the_engine_it_picked(moons, tutorial_spec):
    p = _tutorial_params(tutorial_spec, "he_normal")
    for steps, engine in [(100, "numpy"), (6000, "numba")]:
        h = train.train(tutorial_spec, p, moons.train_X, moons.train_Y, num_iterations=steps)
        assert h.engine == engine


@pytest.mark.parametrize("name", activations.names())
def test_every_registered_activation_has_a_compiled_branch(name):
    act = activations.get(name)
    assert act.code in loops.ACTIVATION_CODES
    assert engines.compiled_supports(network.Spec.build([2, 3, 1], act, "sigmoid"))


def test_every_registered_head_and_optimizer_has_a_compiled_branch():
    for name in losses.HEADS:
        assert losses.get(name).code in loops.HEAD_CODES, name
    for name in optim.names():
        assert optim.get(name, 0.1).code in loops.OPTIMIZER_CODES, name
    # one branch per definition: no two registered entries share a code
    assert len({activations.get(n).code for n in activations.names()}) == len(activations.names())
    assert len(loops.HEAD_CODES) == len(losses.HEADS)


def test_an_unknown_code_raises_instead_of_falling_through():
    bogus = Activation("bogus", np.tanh, lambda z, a: 1 - a * a, code=max(loops.ACTIVATION_CODES) + 1)
    spec = network.Spec.build([2, 3, 1], bogus, "sigmoid")
    assert engines.choose(spec) == "numpy"
    with pytest.raises(InitlabError, match="bogus"):
        compiled.Encoded.of(spec, TrainConfig())
    Z = np.ones((2, 3))
    A = np.zeros_like(Z)
    loops._apply_act(bogus.code, 0.0, Z, A)  # inside the kernels: NaN, not another activation
    assert np.isnan(A).all()


def _lane_dot_in_python(d: list[float], a: list[float], lanes: int) -> float:
    """The summation order :func:`loops._lane_dot` documents, written independently."""
    m = len(d)
    nb = m // lanes
    acc = [0.0] * lanes
    prod = [d[j] * a[j] for j in range(m)]

    def tree(xs: list[float]) -> float:  # ((x0 + x1) + (x2 + x3)) + ...: pairwise, in order
        while len(xs) > 1:
            xs = [xs[i] + xs[i + 1] for i in range(0, len(xs), 2)]
        return xs[0]

    b = 0
    for size in (8, 2, 1):
        while b + size <= nb and (size != 1 or b < nb):
            for q in range(lanes):
                acc[q] = acc[q] + tree([prod[(b + t) * lanes + q] for t in range(size)])
            b += size
            if size == 1:
                break
    for q in range(m - nb * lanes):
        acc[q] = acc[q] + prod[nb * lanes + q]
    return tree(acc)


@pytest.mark.parametrize("m", [0, 1, 15, 16, 17, 33, 48, 130, 144, 300, 301, 1000])
def test_lane_sums_follow_their_documented_order(m):
    # the weight gradients' sums: a fixed order (lanes j mod LANES, blocks in a fixed tree,
    # lanes folded pairwise), so the same bits however LLVM compiled it, and accurate
    rng = np.random.default_rng(m)
    d, a = rng.standard_normal(m), rng.standard_normal(m)
    acc = np.full(loops.LANES, np.nan)  # stale scratch must not leak in
    got = loops._lane_dot(d, a, acc)
    assert got == _lane_dot_in_python(d.tolist(), a.tolist(), loops.LANES)
    exact = math.fsum((d * a).tolist())
    assert abs(got - exact) <= 1e-14 * max(1.0, float(np.abs(d * a).sum()))


def test_unknown_engine_lists_valid_names():
    with pytest.raises(InitlabError, match="numba"):
        engines.get("cuda")
    assert set(engines.names()) == {"auto", "batched", "numba", "numpy"}


_RUN_NUMBA = """
import json, numpy as np
from initlab import datasets, engines, network, train
from initlab.engines.base import TrainConfig
def bits(h):
    return [h.engine, [c.hex() for c in h.costs], [float(x).hex() for x in h.params["W1"].ravel()]]
spec = network.Spec.build([2, 10, 5, 1], "relu", "sigmoid")
ds = datasets.load("moons")
p = network.init_params(spec, "random", rng=np.random.RandomState(3))
out = [bits(train.train(spec, p, ds.train_X, ds.train_Y, num_iterations=2000, engine="numba"))]
plist = [network.init_params(spec, "random", rng=s) for s in range(3)]
out += [bits(h) for h in engines.train_many(spec, plist, ds.train_X, ds.train_Y,
                                            TrainConfig(num_iterations=2000), "batched")]
rng = np.random.default_rng(0)
X = rng.standard_normal((2, 120)); Y = np.eye(3)[:, (X[0] > 0).astype(int) + (X[1] > 0.5)]
spec = network.Spec.build([2, 7, 7, 3], "tanh", "softmax")
q = network.init_params(spec, "glorot_uniform", rng=1)
out.append(bits(train.train(spec, q, X, Y, num_iterations=500, optimizer="adam", batch_size=32,
                            engine="numba")))
print(json.dumps(out))
"""


def _files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.slow
def test_compiled_engine_runs_from_a_read_only_copy_without_home(tmp_path):
    """A read-only package and no HOME (a container): the kernels compile into the cache folder
    named by INITLAB_CACHE_DIR, the package folder is never written, results keep their bits."""
    import os
    import shutil
    import stat

    pkg = tmp_path / "site"
    shutil.copytree(ROOT / "src" / "initlab", pkg / "initlab",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for p in [pkg, *pkg.rglob("*")]:
        p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    before = _files(pkg)
    env = {k: v for k, v in os.environ.items() if k not in ("HOME", "XDG_CACHE_HOME", "NUMBA_CACHE_DIR")}
    env.update(PYTHONPATH=str(pkg), PYTHONDONTWRITEBYTECODE="1", INITLAB_CACHE_DIR=str(tmp_path / "cache"))
    outs = [subprocess.run([sys.executable, "-c", _RUN_NUMBA], env=env, capture_output=True,
                           text=True, check=True, cwd=tmp_path).stdout for _ in range(2)]
    try:
        assert _files(pkg) == before
        assert outs[0] == outs[1]
        assert any((tmp_path / "cache" / "numba").rglob("*"))  # compiled code went here
        # this process (whatever its cache held) gives the same bits as both
        here = subprocess.run([sys.executable, "-c", _RUN_NUMBA], capture_output=True, text=True,
                              check=True).stdout
        assert here == outs[0]
    finally:
        for p in [pkg, *pkg.rglob("*")]:
            p.chmod(p.stat().st_mode | stat.S_IWUSR)


def test_cache_folder_order(tmp_path, monkeypatch):
    from initlab.engines import cache

    monkeypatch.setenv("INITLAB_CACHE_DIR", str(tmp_path / "override"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "override"
    assert cache.numba_dir().parent == tmp_path / "override" / "numba"
    monkeypatch.delenv("INITLAB_CACHE_DIR")
    assert cache.cache_dir() == tmp_path / "xdg" / "initlab"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_dir() == tmp_path / "home" / ".cache" / "initlab"
    # no home folder at all (HOME unset and no password-database entry): a per-user temp folder
    monkeypatch.delenv("HOME")

    def no_home():
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    assert cache.cache_dir().parent == tmp_path / "tmp"
    assert cache.cache_dir().name.startswith("initlab-")


def test_an_unwritable_override_is_an_error(tmp_path, monkeypatch):
    from initlab.engines import cache

    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("INITLAB_CACHE_DIR", str(blocker / "cache"))  # under a file: never a folder
    with pytest.raises(InitlabError, match="INITLAB_CACHE_DIR"):
        cache.cache_dir()
