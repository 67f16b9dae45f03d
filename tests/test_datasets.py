"""Datasets: the tutorial's moons, the multi-class sets, and validated CSV/NPZ loading."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn.datasets

from initlab import datasets
from initlab.core.errors import InitlabError


def test_moons_equals_the_tutorials_global_seed_split():
    state = np.random.get_state()
    try:
        np.random.seed(1)
        X, y = sklearn.datasets.make_moons(n_samples=300, noise=0.05)
        np.random.seed(2)
        Xt, yt = sklearn.datasets.make_moons(n_samples=100, noise=0.05)
    finally:
        np.random.set_state(state)
    ds = datasets.load("moons")
    np.testing.assert_array_equal(ds.train_X, X.T)
    np.testing.assert_array_equal(ds.train_Y, y.reshape(1, -1))
    np.testing.assert_array_equal(ds.test_X, Xt.T)
    np.testing.assert_array_equal(ds.test_Y, yt.reshape(1, -1))


@pytest.mark.parametrize("name,k,n_x", [("blobs", 3, 2), ("spirals", 3, 2), ("digits", 10, 64)])
def test_multiclass_sets_are_one_hot_columns(name, k, n_x):
    ds = datasets.load(name)
    for X, Y in ((ds.train_X, ds.train_Y), (ds.test_X, ds.test_Y)):
        assert X.shape[0] == n_x and Y.shape == (k, X.shape[1])
        np.testing.assert_array_equal(Y.sum(axis=0), 1.0)  # exactly one class per example
        assert set(np.unique(Y)) == {0.0, 1.0}
        assert np.all(Y.sum(axis=1) > 0)  # every class present
    assert len(ds.classes) == k


def test_digits_is_sklearns_data_scaled():
    d = sklearn.datasets.load_digits()
    ds = datasets.digits(test_fraction=0.0)
    assert ds.train_X.shape == (64, len(d.target)) and ds.test_X.shape == (64, 0)
    # the split permutes examples: compare as sorted multisets of (image, label) rows
    got = np.c_[ds.train_X.T * 16, ds.train_Y.argmax(0)]
    want = np.c_[d.data, d.target]
    np.testing.assert_array_equal(np.unique(got, axis=0), np.unique(want, axis=0))


def test_seeded_sets_are_reproducible_and_seed_dependent():
    a, b, c = datasets.spirals(seed=4), datasets.spirals(seed=4), datasets.spirals(seed=5)
    np.testing.assert_array_equal(a.train_X, b.train_X)
    assert not np.array_equal(a.train_X, c.train_X)
    bl = datasets.blobs(n_train=50, n_test=20, centers=4)
    assert bl.train_Y.shape == (4, 50) and bl.test_Y.shape == (4, 20)


def test_binary_variants_use_a_label_row():
    assert datasets.spirals(classes=2).train_Y.shape == (1, 300)
    assert datasets.blobs(centers=2).train_Y.shape == (1, 300)


def test_unknown_dataset_lists_names():
    with pytest.raises(InitlabError, match="spirals"):
        datasets.load("mnist")
    with pytest.raises(InitlabError, match="centers"):
        datasets.blobs(centers=1)
    with pytest.raises(InitlabError, match=r"dataset 'moons' does not take \['classes'\]; valid: n_train, n_test, noise"):
        datasets.load("moons", classes=3)
    with pytest.raises(InitlabError, match="did you mean 'circles'"):
        datasets.load("Circels")


def test_load_reads_a_spec_with_parameters():
    assert datasets.load("blobs:centers=4,n_train=40").train_Y.shape == (4, 40)


def test_one_hot():
    np.testing.assert_array_equal(datasets.one_hot([2, 0, 1]), np.eye(3)[:, [2, 0, 1]])
    with pytest.raises(InitlabError):
        datasets.one_hot([0.5, 1])
    with pytest.raises(InitlabError, match="out of range"):
        datasets.one_hot([3], 2)


def test_csv_with_header_binary_labels(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    y = (X[:, 0] > 0).astype(int)
    f = tmp_path / "d.csv"
    f.write_text("a,b,c,label\n" + "\n".join(",".join(map(str, [*r, t])) for r, t in zip(X, y, strict=True)))
    ds = datasets.load(str(f), test_fraction=0.25, seed=1)
    assert ds.train_X.shape == (3, 30) and ds.test_X.shape == (3, 10) and ds.train_Y.shape == (1, 30)
    got = np.c_[np.c_[ds.train_X, ds.test_X].T, np.c_[ds.train_Y, ds.test_Y].T]
    np.testing.assert_allclose(np.unique(got, axis=0), np.unique(np.c_[X, y], axis=0))


def test_csv_label_column_and_multiclass(tmp_path):
    f = tmp_path / "m.csv"
    f.write_text("\n".join(f"{c},{i},{i * 2}" for i, c in enumerate([5, 7, 9, 5, 7, 9])))
    ds = datasets.load_file(f, label_column=0, test_fraction=0.0)
    assert ds.train_Y.shape == (3, 6) and ds.classes == ("5", "7", "9")
    np.testing.assert_array_equal(ds.train_Y.argmax(0), (ds.train_X[0] % 3))


@pytest.mark.parametrize("text,match", [
    ("1,2,0\n3,x,1\n", "row 2, column 2"),
    ("1,2,0\n3,,1\n", "row 2"),
    ("1,2,0\n", "need >= 2 rows"),
    ("1,0\n2,0\n", "single value"),
])
def test_csv_errors(tmp_path, text, match):
    f = tmp_path / "bad.csv"
    f.write_text(text)
    with pytest.raises(InitlabError, match=match):
        datasets.load_file(f)


def test_npz_split_and_given_test(tmp_path):
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((20, 2)), rng.standard_normal(20)
    f = tmp_path / "r.npz"
    np.savez(f, X=X, y=y)
    ds = datasets.load(str(f), test_fraction=0.5)
    assert ds.train_Y.shape == (1, 10) and ds.classes == ()  # real labels: regression
    g = tmp_path / "t.npz"
    np.savez(g, X=X, y=(y > 0).astype(int), X_test=X[:5], y_test=(y[:5] > 0).astype(int))
    dt = datasets.load_file(g)
    np.testing.assert_array_equal(dt.test_X, X[:5].T)
    np.testing.assert_array_equal(dt.train_X, X.T)


@pytest.mark.parametrize("arrays,match", [
    ({"X": np.ones((3, 2))}, "lacks array 'y'"),
    ({"X": np.ones((3, 2)), "y": np.ones(4)}, "3 rows but y has 4"),
    ({"X": np.array([[1.0, np.nan], [1, 2]]), "y": np.array([0, 1])}, "NaN"),
])
def test_npz_errors(tmp_path, arrays, match):
    f = tmp_path / "bad.npz"
    np.savez(f, **arrays)
    with pytest.raises(InitlabError, match=match):
        datasets.load_file(f)


def test_file_errors(tmp_path):
    with pytest.raises(InitlabError, match="not found"):
        datasets.load_file(tmp_path / "none.csv")
    (tmp_path / "x.txt").write_text("1")
    with pytest.raises(InitlabError, match="unsupported"):
        datasets.load_file(tmp_path / "x.txt")
    (tmp_path / "z.npz").write_text("not a zip")
    with pytest.raises(InitlabError, match="cannot read"):
        datasets.load_file(tmp_path / "z.npz")
