"""Toy datasets with the tutorial's seed parity, and validated loading of user data.

Every loader returns a :class:`Dataset` with examples in columns: ``train_X`` of shape
``(n_x, m_train)`` and ``train_Y`` of shape ``(n_y, m_train)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .errors import InitlabError, check_data, lookup

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


def moons(n_train: int = 300, n_test: int = 100, noise: float = 0.05) -> Dataset:
    """The tutorial's make_moons split: train seed 1, test seed 2, noise .05."""
    from sklearn.datasets import make_moons

    # random_state=s gives the same data as the tutorial's np.random.seed(s); make_moons(...)
    tr = _columns(*make_moons(n_samples=n_train, noise=noise, random_state=1))
    te = _columns(*make_moons(n_samples=n_test, noise=noise, random_state=2))
    return Dataset("moons", *tr, *te, classes=("0", "1"))


def circles(n_train: int = 300, n_test: int = 100, noise: float = 0.05) -> Dataset:
    """The original deeplearning.ai lab's make_circles split: seeds 1 and 2, noise .05, factor .8."""
    from sklearn.datasets import make_circles

    tr = _columns(*make_circles(n_samples=n_train, noise=noise, random_state=1))
    te = _columns(*make_circles(n_samples=n_test, noise=noise, random_state=2))
    return Dataset("circles", *tr, *te, classes=("0", "1"))


#: Registry of built-in datasets: name -> loader taking no required arguments.
DATASETS: dict[str, Callable[..., Dataset]] = {"moons": moons, "circles": circles}


def names() -> list[str]:
    """Names of the built-in datasets."""
    return sorted(DATASETS)


def lookup_name(name: str) -> str:
    """Return the canonical name of a built-in dataset, or raise listing the valid ones."""
    lookup(DATASETS, name, "dataset")
    return name.strip().lower().replace("-", "_")


def load(name: str, **kw: Any) -> Dataset:
    """Load a built-in dataset by name; the error lists the valid names."""
    return lookup(DATASETS, name, "dataset")(**kw)


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
    out = []
    for split in ("train", "test"):
        x = np.asarray(a[f"{split}_set_x"])
        y = np.asarray(a[f"{split}_set_y"]).reshape(1, -1)
        if x.ndim < 2 or x.shape[0] != y.shape[1]:
            raise InitlabError(
                f"{split}_set_x has {x.shape[0] if x.ndim else 0} images but "
                f"{split}_set_y has {y.shape[1]} labels"
            )
        X = x.reshape(x.shape[0], -1).T / 255
        out.extend(check_data(X, y, name=f"{split}_set_x"))
    classes = tuple(
        c.decode() if isinstance(c, bytes) else str(c) for c in np.asarray(a["list_classes"]).ravel()
    )
    return Dataset("cat", *out, classes=classes)
