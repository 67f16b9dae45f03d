"""Toy datasets with the tutorial's seed parity, and validated loading of user data.

Every loader returns a :class:`Dataset` with examples in columns: ``train_X`` of shape
``(n_x, m_train)`` and ``train_Y`` of shape ``(n_y, m_train)``.
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from initlab.core.errors import (
    InitlabError,
    check_data,
    check_positive_float,
    check_positive_int,
)
from initlab.core.registry import Registry

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Dataset:
    """A train/test split; ``classes`` names the labels where known."""

    name: str
    train_X: Array
    train_Y: Array
    test_X: Array
    test_Y: Array
    classes: tuple[str, ...] = ()

    @property
    def n_features(self) -> int:
        """Number of input features ``n_x``."""
        return int(self.train_X.shape[0])


def _columns(X: Any, y: Any) -> tuple[Array, Array]:
    return np.asarray(X, dtype=np.float64).T, np.asarray(y, dtype=np.float64).reshape(1, -1)


def _two_class(outer: tuple[Array, Array], inner: tuple[Array, Array], noise: float,
               seed: int) -> tuple[Array, NDArray[np.intp]]:
    # scikit-learn's draw order (shuffle, then noise) from one RandomState(seed), so the data
    # equal make_moons/make_circles(random_state=seed) and the tutorial's np.random.seed(seed)
    gen = np.random.RandomState(seed)
    X = np.vstack([np.append(outer[0], inner[0]), np.append(outer[1], inner[1])]).T
    y = np.hstack([np.zeros(outer[0].size, dtype=np.intp), np.ones(inner[0].size, dtype=np.intp)])
    idx = np.arange(y.size)
    gen.shuffle(idx)
    X, y = X[idx], y[idx]
    X += gen.normal(scale=noise, size=X.shape)
    return X, y


def make_moons(n: int, noise: float, seed: int) -> tuple[Array, NDArray[np.intp]]:
    """Two interleaving half circles, equal to ``sklearn.datasets.make_moons``.

    Returns ``X`` of shape (n, 2) (examples in rows, as scikit-learn) and labels ``y`` (n,).
    Written out here so the tutorial does not pay scikit-learn's import time; the tests check
    equality with scikit-learn.
    """
    n_out, n_in = n // 2, n - n // 2
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    outer = (np.cos(t_out), np.sin(t_out))
    inner = (1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5)
    return _two_class(outer, inner, noise, seed)


def make_circles(
    n: int, noise: float, seed: int, factor: float = 0.8
) -> tuple[Array, NDArray[np.intp]]:
    """A large circle containing a smaller one, equal to ``sklearn.datasets.make_circles``."""
    n_out, n_in = n // 2, n - n // 2
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    outer = (np.cos(t_out), np.sin(t_out))
    inner = (np.cos(t_in) * factor, np.sin(t_in) * factor)
    return _two_class(outer, inner, noise, seed)


def moons(n_train: int = 300, n_test: int = 100, noise: float = 0.05) -> Dataset:
    """The tutorial's make_moons split: train seed 1, test seed 2, noise .05."""
    check_positive_int(n_train, "n_train", minimum=2)
    check_positive_int(n_test, "n_test", minimum=2)
    check_positive_float(noise, "noise", allow_zero=True)
    tr = _columns(*make_moons(n_train, noise, 1))
    te = _columns(*make_moons(n_test, noise, 2))
    return Dataset("moons", *tr, *te, classes=("0", "1"))


def circles(n_train: int = 300, n_test: int = 100, noise: float = 0.05) -> Dataset:
    """The original deeplearning.ai lab's make_circles split: seeds 1 and 2, noise .05, factor .8."""
    check_positive_int(n_train, "n_train", minimum=2)
    check_positive_int(n_test, "n_test", minimum=2)
    check_positive_float(noise, "noise", allow_zero=True)
    tr = _columns(*make_circles(n_train, noise, 1))
    te = _columns(*make_circles(n_test, noise, 2))
    return Dataset("circles", *tr, *te, classes=("0", "1"))


def one_hot(labels: Any, n_classes: int | None = None) -> Array:
    """Integer labels of shape (m,) as a one-hot matrix of shape (n_classes, m)."""
    y = np.asarray(labels).ravel()
    if y.size == 0 or not np.all(np.equal(np.mod(y, 1), 0)) or y.min() < 0:
        raise InitlabError("class labels must be non-negative integers")
    k = int(y.max()) + 1 if n_classes is None else n_classes
    if y.max() >= k:
        raise InitlabError(f"label {int(y.max())} out of range for {k} classes")
    return np.eye(k)[:, y.astype(np.int64)]


def _labels(y: Any, n_classes: int) -> Array:
    """Binary labels as a (1, m) row (sigmoid head); more classes one-hot (softmax head)."""
    y = np.asarray(y)
    return y.astype(np.float64).reshape(1, -1) if n_classes == 2 else one_hot(y, n_classes)


def blobs(n_train: int = 300, n_test: int = 100, centers: int = 3, std: float = 1.0,
          seed: int = 0) -> Dataset:
    """Gaussian blobs in 2-D (sklearn ``make_blobs``); ``centers`` classes, one-hot if > 2."""
    from sklearn.datasets import make_blobs

    check_positive_int(centers, "number of centers", minimum=2)
    n_train = check_positive_int(n_train, "number of examples")
    n_test = check_positive_int(n_test, "number of examples")
    # one draw, so both splits share the centres; make_blobs shuffles the examples
    X, y = make_blobs(n_samples=n_train + n_test, centers=centers, cluster_std=std,
                      random_state=seed, center_box=(-6.0, 6.0))
    X, Y = np.asarray(X, dtype=np.float64).T, _labels(y, centers)
    return Dataset("blobs", X[:, :n_train], Y[:, :n_train], X[:, n_train:], Y[:, n_train:],
                   classes=tuple(str(c) for c in range(centers)))


def _spiral(n: int, k: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    per = -(-n // k)
    xs, ys = [], []
    for c in range(k):
        r = np.linspace(0.0, 1.0, per)
        t = np.linspace(c * 4.0, (c + 1) * 4.0, per) + rng.standard_normal(per) * noise
        xs.append(np.c_[r * np.sin(t), r * np.cos(t)])
        ys.append(np.full(per, c))
    order = rng.permutation(per * k)[:n]
    return np.concatenate(xs)[order].T.copy(), np.concatenate(ys)[order]


def spirals(n_train: int = 300, n_test: int = 100, classes: int = 3, noise: float = 0.2,
            seed: int = 0) -> Dataset:
    """Interleaved spiral arms (the CS231n toy set): ``classes`` arms, one-hot if > 2."""
    check_positive_int(classes, "number of classes", minimum=2)
    check_positive_float(noise, "noise", allow_zero=True)
    rng = np.random.default_rng(seed)
    Xtr, ytr = _spiral(check_positive_int(n_train, "number of examples"), classes, noise, rng)
    Xte, yte = _spiral(check_positive_int(n_test, "number of examples"), classes, noise, rng)
    return Dataset("spirals", Xtr, _labels(ytr, classes), Xte, _labels(yte, classes),
                   classes=tuple(str(c) for c in range(classes)))


def digits(test_fraction: float = 0.25, seed: int = 0) -> Dataset:
    """scikit-learn's 8x8 handwritten digits (shipped with it): 64 features in [0, 1], 10 classes."""
    from sklearn.datasets import load_digits

    d = load_digits()
    X = np.asarray(d.data, dtype=np.float64) / 16.0
    return _split("digits", X, np.asarray(d.target), test_fraction, seed,
                  tuple(str(c) for c in range(10)))


def _split(name: str, X: Array, y: Array, test_fraction: float, seed: int,
           classes: tuple[str, ...] = ()) -> Dataset:
    """Shuffle rows (examples) with ``seed`` and split; labels encoded as in :func:`_labels`."""
    if not 0.0 <= test_fraction < 1.0:
        raise InitlabError(f"test fraction must be in [0, 1), got {test_fraction!r}")
    m = X.shape[0]
    order = np.random.default_rng(seed).permutation(m)
    n_test = round(m * test_fraction)
    if m - n_test < 1:
        raise InitlabError(f"{name}: {m} examples leave none for training")
    Y = _encode(name, y)
    te, tr = order[:n_test], order[n_test:]
    return Dataset(name, X[tr].T.copy(), Y[:, tr], X[te].T.copy(), Y[:, te],
                   classes=classes or _class_names(y))


def _encode(name: str, y: Array) -> Array:
    """Labels: {0,1} -> (1, m); other integer classes -> one-hot; real values -> (1, m)."""
    if y.dtype.kind == "f" and not np.all(np.equal(np.mod(y, 1), 0)):
        return y.astype(np.float64).reshape(1, -1)
    values = np.unique(y)
    if values.size < 2:
        raise InitlabError(f"{name}: labels take a single value {values.tolist()}; need 2 or more")
    if np.array_equal(values, [0, 1]):
        return y.astype(np.float64).reshape(1, -1)
    codes = np.searchsorted(values, y)
    return one_hot(codes, values.size)


def _class_names(y: Array) -> tuple[str, ...]:
    if y.dtype.kind == "f" and not np.all(np.equal(np.mod(y, 1), 0)):
        return ()
    return tuple(str(int(v)) for v in np.unique(y))


def load_file(path: str | Path, label_column: int = -1, test_fraction: float = 0.25,
              seed: int = 0) -> Dataset:
    """Load user data from CSV or NPZ, validated, examples shuffled by ``seed`` and split.

    CSV: numeric rows, one example each, an optional header line; the label is column
    ``label_column``. NPZ: arrays ``X`` of shape (m, n_x) and ``y`` of shape (m,), optionally
    ``X_test``/``y_test`` (then no split is made). Labels {0, 1} give a (1, m) row, other integer
    classes one-hot rows, real values a regression row.
    """
    p = Path(path)
    if not p.is_file():
        raise InitlabError(f"data file not found: {str(p)!r}")
    suffix = p.suffix.lower()
    if suffix == ".csv":
        X, y = _read_csv(p, label_column)
    elif suffix == ".npz":
        return _read_npz(p, test_fraction, seed)
    else:
        raise InitlabError(f"unsupported data file {p.name!r}; valid: .csv, .npz")
    return _split(p.stem, X, y, test_fraction, seed)


def _read_csv(p: Path, label_column: int) -> tuple[Array, Array]:
    if not p.read_bytes().strip():  # genfromtxt would warn "Empty input file" first
        raise InitlabError(f"{p.name}: the file is empty; need >= 2 rows and >= 2 columns")
    try:
        raw = np.genfromtxt(p, delimiter=",", dtype=np.float64, invalid_raise=True)
    except ValueError as e:
        raise InitlabError(f"{p.name}: malformed CSV: {e}") from None
    raw = np.atleast_2d(raw)
    if raw.size and np.all(np.isnan(raw[0])):
        raw = raw[1:]  # a header line
    if raw.ndim != 2 or raw.shape[0] < 2 or raw.shape[1] < 2:
        raise InitlabError(f"{p.name}: need >= 2 rows and >= 2 columns, got shape {raw.shape}")
    if not -raw.shape[1] <= label_column < raw.shape[1]:
        raise InitlabError(f"{p.name}: label column {label_column} out of range for {raw.shape[1]} columns")
    if not np.isfinite(raw).all():
        r, c = np.argwhere(~np.isfinite(raw))[0]
        raise InitlabError(
            f"{p.name}: non-numeric, missing or infinite value at data row {r + 1}, column {c + 1}"
        )
    y = raw[:, label_column]
    return np.delete(raw, label_column % raw.shape[1], axis=1), y


def _read_npz(p: Path, test_fraction: float, seed: int) -> Dataset:
    arrays = _npz_arrays(p)
    for key in ("X", "y"):
        if key not in arrays:
            raise InitlabError(f"{p.name} lacks array {key!r}; has {sorted(arrays)}")
    X, y = _check_rows(p.name, arrays["X"], arrays["y"])
    if "X_test" not in arrays:
        return _split(p.stem, X, y, test_fraction, seed)
    Xt, yt = _check_rows(p.name + " test", arrays["X_test"], arrays.get("y_test", np.empty(0)))
    if Xt.shape[1] != X.shape[1]:
        raise InitlabError(
            f"{p.name}: X_test has {Xt.shape[1]} features but X has {X.shape[1]}; they must match"
        )
    both = _encode(p.stem, np.concatenate([y, yt]))
    m = X.shape[0]
    return Dataset(p.stem, X.T.copy(), both[:, :m], Xt.T.copy(), both[:, m:],
                   classes=_class_names(np.concatenate([y, yt])))


def _npz_arrays(p: Path) -> dict[str, Any]:
    """Every array of an ``.npz`` file; a file that is not one (a ``.npy`` renamed, an empty,
    truncated or corrupt archive) is refused by name."""
    if p.stat().st_size == 0:
        raise InitlabError(f"cannot read {p.name}: the file is empty")
    try:
        with open(p, "rb") as f:  # our own handle: closed even when numpy fails half-way
            loaded = np.load(f, allow_pickle=False)
            if not isinstance(loaded, np.lib.npyio.NpzFile):
                raise InitlabError(
                    f"{p.name} holds a single array ({type(loaded).__name__}), not an .npz "
                    "archive with arrays X and y (write it with numpy.savez)"
                )
            with loaded as z:
                return {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as e:
        if isinstance(e, InitlabError):
            raise
        raise InitlabError(f"cannot read {p.name}: not a valid .npz archive ({e})") from None


def _check_rows(name: str, X: Any, y: Any) -> tuple[Array, Array]:
    X, y = np.asarray(X), np.asarray(y).ravel()
    if X.ndim != 2 or X.dtype.kind not in "biuf" or y.dtype.kind not in "biuf":
        raise InitlabError(f"{name}: X must be a numeric (m, n_x) array and y numeric (m,)")
    if X.shape[0] != y.shape[0]:
        raise InitlabError(f"{name}: X has {X.shape[0]} rows but y has {y.shape[0]} labels")
    Xc, _ = check_data(X.T, None, name=f"{name} X")
    if not np.all(np.isfinite(y)):
        raise InitlabError(f"{name}: labels contain NaN or infinite values")
    return Xc.T, y


#: Registry of built-in datasets: name -> loader taking no required arguments.
DATASETS = Registry[Dataset]("dataset")
for _loader in (moons, circles, blobs, spirals, digits):
    DATASETS.register(_loader)


def names() -> list[str]:
    """Names of the built-in datasets."""
    return DATASETS.names()


def load(name: str | Path, **kw: Any) -> Dataset:
    """Load a built-in dataset by name or spec (``"blobs:centers=4"``), or a ``.csv``/``.npz`` file.

    The error for an unknown name lists the valid names.
    """
    if isinstance(name, str | Path) and Path(name).suffix.lower() in (".csv", ".npz"):
        return load_file(name, **kw)
    return DATASETS.get(str(name), **kw)


def load_cat_dataset(path: str | Path) -> Dataset:
    """Read the deeplearning.ai cat/non-cat HDF5 layout.

    ``path`` is a folder holding ``train_catvnoncat.h5`` and ``test_catvnoncat.h5`` (keys
    ``train_set_x``, ``train_set_y``, ``test_set_x``, ``test_set_y``, ``list_classes``), or one
    file holding all five keys. Images are flattened to columns and scaled to [0, 1].
    """
    try:
        import h5py
    except ImportError:
        raise InitlabError(
            "reading HDF5 needs h5py: pip install 'initlab[hdf5]'"
        ) from None
    p = Path(path)
    files = (
        (p / "train_catvnoncat.h5", p / "test_catvnoncat.h5") if p.is_dir() else (p, p)
    )
    arrays: dict[str, Any] = {}
    for f, keys in zip(files, (("train_set_x", "train_set_y"), ("test_set_x", "test_set_y", "list_classes")), strict=True):
        if not f.is_file():
            raise InitlabError(f"HDF5 file not found: {f}")
        try:
            with h5py.File(f, "r") as h:
                for k in keys:
                    if k not in h:
                        raise InitlabError(f"{f} lacks dataset {k!r}; has {sorted(h.keys())}")
                    arrays[k] = np.array(h[k][()])
        except OSError as e:
            raise InitlabError(f"cannot read HDF5 file {f}: {e}") from None
    return _cat_from_arrays(arrays)


def _cat_from_arrays(a: dict[str, Any]) -> Dataset:
    out: list[Array] = []
    for split in ("train", "test"):
        x = np.asarray(a[f"{split}_set_x"])
        y = np.asarray(a[f"{split}_set_y"]).reshape(1, -1)
        if x.ndim < 2 or x.shape[0] != y.shape[1]:
            raise InitlabError(
                f"{split}_set_x has {x.shape[0] if x.ndim else 0} images but "
                f"{split}_set_y has {y.shape[1]} labels"
            )
        X = x.reshape(x.shape[0], -1).T / 255
        Xc, Yc = check_data(X, y, name=f"{split}_set_x")
        out += [Xc, Yc]
    classes = tuple(
        c.decode() if isinstance(c, bytes) else str(c) for c in np.asarray(a["list_classes"]).ravel()
    )
    return Dataset("cat", out[0], out[1], out[2], out[3], classes=classes)
