"""The tutorial's functions reproduce the document's printed numbers.

Every expected figure here is copied from ../shared/tutorial-initialization.txt, not produced by
initlab.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from initlab import tutorial as T
from tutorial_facts import DOC_ACCURACY, HE_COSTS


def _global_state():
    return np.random.get_state()[1].copy()


def test_initializers_print_the_documents_values_without_global_state(capsys):
    before = _global_state()
    he = T.initialize_parameters_he([2, 4, 1])
    rnd = T.initialize_parameters_random([3, 2, 1])
    zeros = T.initialize_parameters_zeros([3, 2, 1])
    assert np.array_equal(_global_state(), before)
    np.testing.assert_allclose(he["W1"], [[1.78862847, 0.43650985], [0.09649747, -1.8634927],
                                          [-0.2773882, -0.35475898], [-0.08274148, -0.62700068]],
                               rtol=0, atol=5e-9)
    np.testing.assert_allclose(he["W2"], [[-0.03098412, -0.33744411, -0.92904268, 0.62552248]],
                               atol=5e-9)
    np.testing.assert_allclose(rnd["W1"], [[17.88628473, 4.36509851, 0.96497468],
                                           [-18.63492703, -2.77388203, -3.54758979]], atol=5e-8)
    np.testing.assert_allclose(rnd["W2"], [[-0.82741481, -6.27000677]], atol=5e-8)
    for p in (he, rnd, zeros):
        assert all(not p[k].any() for k in p if k.startswith("b"))
    assert not zeros["W1"].any() and zeros["W1"].shape == (2, 3) and zeros["b1"].shape == (2, 1)
    # printed as the document prints them
    print("W1 = " + str(he["W1"]))
    assert capsys.readouterr().out.startswith("W1 = [[ 1.78862847  0.43650985]")


@pytest.fixture(scope="module")
def trained():
    data = T.load_dataset()
    out = {}
    for init in ("zeros", "random", "he"):
        out[init] = T.model(data[0], data[1], initialization=init, print_cost=(init == "he"))
    return data, out


def test_model_prints_the_documents_costs(capsys):
    train_X, train_Y, _, _ = T.load_dataset()
    T.model(train_X, train_Y, initialization="he")
    lines = capsys.readouterr().out.strip().splitlines()
    assert [ln.split(":")[0] for ln in lines] == [f"Cost after iteration {i}" for i in range(0, 15000, 1000)]
    printed = [float(ln.split(": ")[1]) for ln in lines]
    np.testing.assert_allclose(printed, HE_COSTS, rtol=1e-9, atol=0)


def test_zeros_cost_stays_at_log2(capsys):
    train_X, train_Y, _, _ = T.load_dataset()
    T.model(train_X, train_Y, initialization="zeros", num_iterations=3001)
    printed = [float(ln.split(": ")[1]) for ln in capsys.readouterr().out.splitlines()]
    np.testing.assert_allclose(printed, [0.6931471805599453] * 4, rtol=1e-12)


@pytest.mark.parametrize("init", ["zeros", "random", "he"])
def test_accuracies_match_the_document(trained, init, capsys):
    (train_X, train_Y, test_X, test_Y), params = trained
    capsys.readouterr()
    p_train = T.predict(train_X, train_Y, params[init])
    p_test = T.predict(test_X, test_Y, params[init])
    out = capsys.readouterr().out.splitlines()
    assert out == [f"Accuracy: {DOC_ACCURACY[init][0]}", f"Accuracy: {DOC_ACCURACY[init][1]}"]
    assert p_train.shape == (1, 300) and p_test.shape == (1, 100)
    assert set(np.unique(p_train)) <= {0, 1}


@pytest.mark.parametrize("init", ["zeros", "random", "he"])
def test_model_equals_the_documents_code_bit_for_bit(trained, reference, init, capsys):
    """Whatever is compiled or cached: the same arithmetic as the document's own loop, run here.

    The x10 random run is chaotic (the document's printed costs come from its machine's BLAS and
    are not reproducible elsewhere), so only the same operations in the same order agree.
    """
    import warnings

    (train_X, train_Y, _, _), params = trained
    state = np.random.get_state()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the document's own log(0) and overflow warnings
            ref, _ = reference.model(train_X, train_Y, initialization=init, print_cost=False)
    finally:
        np.random.set_state(state)
    assert set(ref) == set(params[init])
    for k in ref:
        np.testing.assert_array_equal(params[init][k], ref[k], err_msg=k)


def test_zeros_predicts_all_zeros(trained, capsys):
    (train_X, train_Y, _, _), params = trained
    assert not T.predict(train_X, train_Y, params["zeros"]).any()
    assert not T.predict_dec(params["zeros"], train_X).any()


def test_random_run_first_cost_is_finite_and_warning_free(capsys):
    # the document prints `inf` (and three RuntimeWarnings) here; warnings are errors in tests
    train_X, train_Y, _, _ = T.load_dataset()
    T.model(train_X, train_Y, initialization="random", num_iterations=1)
    cost = float(capsys.readouterr().out.split(": ")[1])
    assert np.isfinite(cost) and cost > 100  # the true loss of saturated wrong outputs is large


def test_compute_loss_is_finite_for_saturated_outputs():
    Y = np.array([[1.0, 0.0, 1.0]])
    assert np.isfinite(T.compute_loss(np.array([[0.0, 1.0, 0.5]]), Y))
    a = np.array([[0.9, 0.2, 0.6]])
    expected = -np.mean(Y * np.log(a) + (1 - Y) * np.log(1 - a))
    assert T.compute_loss(a, Y) == pytest.approx(expected, rel=1e-14)


def test_sigmoid_has_no_overflow_warning_and_matches_formula():
    x = np.array([-1e4, -800.0, -30.0, 0.0, 30.0, 1e4])
    s = T.sigmoid(x)
    assert np.all((s >= 0) & (s <= 1))
    mid = np.array([-30.0, 0.0, 30.0])
    np.testing.assert_array_equal(T.sigmoid(mid), 1 / (1 + np.exp(-mid)))
    np.testing.assert_array_equal(T.relu(np.array([-1.0, 2.0])), [0.0, 2.0])


@pytest.fixture(scope="module")
def reference():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import tutorial_reference

    yield tutorial_reference
    sys.path.pop(0)


def test_forward_and_backward_equal_the_transcribed_document(reference, moons):
    rng = np.random.default_rng(7)
    params = {}
    for l, (n, p) in enumerate([(10, 2), (5, 10), (1, 5)], start=1):
        params[f"W{l}"] = rng.standard_normal((n, p))
        params[f"b{l}"] = rng.standard_normal((n, 1))
    X, Y = moons.train_X, moons.train_Y
    a3, cache = T.forward_propagation(X, params)
    r_a3, r_cache = reference.forward_propagation(X, params)
    np.testing.assert_array_equal(a3, r_a3)
    for ours, theirs in zip(cache, r_cache, strict=True):
        np.testing.assert_array_equal(ours, theirs)
    grads = T.backward_propagation(X, Y, cache)
    r_grads = reference.backward_propagation(X, Y, r_cache)
    assert set(grads) == set(r_grads)
    for k in r_grads:
        np.testing.assert_array_equal(grads[k], r_grads[k], err_msg=k)
    new = T.update_parameters(dict(params), grads, 0.5)
    r_new = reference.update_parameters(dict(params), r_grads, 0.5)
    for k in r_new:
        np.testing.assert_array_equal(new[k], r_new[k])


def test_load_dataset_matches_the_documents_global_seed_calls():
    from sklearn.datasets import make_moons

    state = np.random.get_state()
    try:
        np.random.seed(1)
        ref_X, ref_y = make_moons(n_samples=300, noise=0.05)
    finally:
        np.random.set_state(state)
    train_X, train_Y, test_X, test_Y = T.load_dataset()
    np.testing.assert_array_equal(train_X, ref_X.T)
    np.testing.assert_array_equal(train_Y, ref_y.reshape(1, -1))
    assert test_X.shape == (2, 100) and test_Y.shape == (1, 100)


def _write_cat_files(folder: Path, n_train: int = 6, n_test: int = 4) -> None:
    h5py = pytest.importorskip("h5py")
    rng = np.random.default_rng(0)
    with h5py.File(folder / "train_catvnoncat.h5", "w") as f:
        f["train_set_x"] = rng.integers(0, 256, (n_train, 4, 4, 3), dtype=np.uint8)
        f["train_set_y"] = rng.integers(0, 2, n_train).astype(np.int64)
        f["list_classes"] = np.array([b"non-cat", b"cat"])
    with h5py.File(folder / "test_catvnoncat.h5", "w") as f:
        f["test_set_x"] = rng.integers(0, 256, (n_test, 4, 4, 3), dtype=np.uint8)
        f["test_set_y"] = rng.integers(0, 2, n_test).astype(np.int64)
        f["list_classes"] = np.array([b"non-cat", b"cat"])


def test_load_cat_dataset_reads_the_documents_layout(tmp_path):
    import h5py

    _write_cat_files(tmp_path)
    tx, ty, vx, vy, classes = T.load_cat_dataset(tmp_path)
    with h5py.File(tmp_path / "train_catvnoncat.h5") as f:
        raw = f["train_set_x"][()]
        np.testing.assert_array_equal(tx, raw.reshape(raw.shape[0], -1).T / 255)
        np.testing.assert_array_equal(ty, f["train_set_y"][()].reshape(1, -1))
    assert tx.shape == (48, 6) and vx.shape == (48, 4) and vy.shape == (1, 4)
    assert list(classes) == [b"non-cat", b"cat"]


def test_load_cat_dataset_errors(tmp_path):
    from initlab.core.errors import InitlabError

    with pytest.raises(InitlabError, match="not found"):
        T.load_cat_dataset(tmp_path)
    (tmp_path / "train_catvnoncat.h5").write_bytes(b"not an hdf5 file")
    (tmp_path / "test_catvnoncat.h5").write_bytes(b"not an hdf5 file")
    with pytest.raises(InitlabError, match="cannot read HDF5"):
        T.load_cat_dataset(tmp_path)
    import h5py

    with h5py.File(tmp_path / "train_catvnoncat.h5", "w") as f:
        f["train_set_x"] = np.zeros((2, 2, 2, 3), dtype=np.uint8)
    with pytest.raises(InitlabError, match="lacks dataset 'train_set_y'"):
        T.load_cat_dataset(tmp_path)


def test_model_rejects_bad_input():
    from initlab.core.errors import InitlabError

    X, Y, _, _ = T.load_dataset()
    with pytest.raises(InitlabError, match="unknown initializer 'xavier_wrong'"):
        T.model(X, Y, initialization="xavier_wrong")
    with pytest.raises(InitlabError, match="NaN"):
        T.model(np.where(X > 1.5, np.nan, X), Y)
    with pytest.raises(InitlabError, match="labels"):
        T.model(X, Y[:, :10])
    with pytest.raises(InitlabError, match="iterations"):
        T.model(X, Y, num_iterations=0)
    with pytest.raises(InitlabError, match="learning rate"):
        T.model(X, Y, learning_rate=-0.1)


@pytest.mark.parametrize("n", [1, 2, 7, 100, 301])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("noise", [0.0, 0.05, 0.3])
def test_moons_and_circles_equal_scikit_learn(n, seed, noise):
    from sklearn.datasets import make_circles, make_moons

    from initlab import datasets

    for ours, theirs in ((datasets.make_moons, make_moons), (datasets.make_circles, make_circles)):
        X, y = ours(n, noise, seed)
        rX, ry = theirs(n_samples=n, noise=noise, random_state=seed)
        np.testing.assert_array_equal(X, rX)
        np.testing.assert_array_equal(y, ry)
