"""The sweep spec: a TOML file naming a grid of runs, validated before anything runs.

Layout (every key optional except ``grid.init``; see ``docs/sweeps.md``)::

    name = "depth-vs-init"
    [grid]                      # each value is one value or a list of values
    init = ["he_normal", "glorot_uniform"]
    activation = ["relu", "tanh"]
    depth = [2, 4, 8]           # hidden layers
    width = [16, 64]            # units per hidden layer
    dataset = "moons"
    optimizer = "gd"            # NAME[:key=value,...]
    learning_rate = 0.01
    seeds = 5                   # seed indices 0..4, or an explicit list [0, 3, 7]
    [train]
    num_iterations = 2000
    record_every = 100
    threshold = 0.2             # cost threshold for steps_to_threshold
    base_seed = 0
"""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from initlab import activations, datasets, initializers, optim
from initlab.core.errors import InitlabError, check_positive_float, check_positive_int
from initlab.sweep.run import DATA_INITS, RunConfig, check_init, needs_data

TOP_KEYS = ("name", "description", "grid", "train")
GRID_KEYS = ("init", "activation", "depth", "width", "dataset", "optimizer", "learning_rate", "seeds")
TRAIN_KEYS = ("num_iterations", "record_every", "threshold", "base_seed")
GRID_DEFAULTS: dict[str, Any] = {
    "activation": ["relu"], "depth": [2], "width": [10], "dataset": ["moons"],
    "optimizer": ["gd"], "learning_rate": [0.01], "seeds": 5,
}
TRAIN_DEFAULTS: dict[str, Any] = {
    "num_iterations": 2000, "record_every": 100, "threshold": 0.2, "base_seed": 0,
}
#: The store keeps integers as SQLite INTEGER (signed 64 bits): every integer of a spec must fit.
MAX_INT = 2**63 - 1
#: The most runs one sweep may hold. The grid is listed in memory (and every run id with it)
#: before anything trains; split larger studies into several specs (one store can hold them).
MAX_RUNS = 1_000_000


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep: the grid axes (lists of values) and the training settings."""

    name: str
    grid: dict[str, list[Any]]
    train: dict[str, Any]
    description: str = ""

    def runs(self) -> list[RunConfig]:
        """Every run of the grid (the Cartesian product of the axes), in grid order."""
        g, t = self.grid, self.train
        axes = [g[k] for k in ("dataset", "init", "activation", "depth", "width", "optimizer",
                               "learning_rate", "seeds")]
        return [
            RunConfig(dataset=ds, init=init, activation=act, hidden=(width,) * depth,
                      optimizer=opt, learning_rate=lr, num_iterations=t["num_iterations"],
                      record_every=t["record_every"], threshold=t["threshold"], seed=seed,
                      base_seed=t["base_seed"])
            for ds, init, act, depth, width, opt, lr, seed in itertools.product(*axes)
        ]

    def __len__(self) -> int:
        n = 1
        for values in self.grid.values():
            n *= len(values)
        return n


def load_spec(path: str | Path) -> SweepSpec:
    """Read and validate a TOML sweep spec."""
    p = Path(path)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InitlabError(f"sweep spec not found: {str(p)!r}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InitlabError(f"cannot read sweep spec {str(p)!r}: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise InitlabError(f"sweep spec {str(p)!r} is not valid TOML: {e}") from None
    return parse_spec(raw, default_name=p.stem)


def _check_keys(table: Any, allowed: tuple[str, ...], where: str) -> Mapping[str, Any]:
    if not isinstance(table, Mapping):
        raise InitlabError(f"spec {where} must be a table, got {table!r}")
    for key in table:
        if key not in allowed:
            raise InitlabError(f"unknown spec key {where + key!r}; allowed: {', '.join(allowed)}")
    return table


def parse_spec(raw: Mapping[str, Any], default_name: str = "sweep") -> SweepSpec:
    """Validate a spec given as a dict (the parsed TOML)."""
    _check_keys(raw, TOP_KEYS, "")
    grid_in = _check_keys(raw.get("grid", {}), GRID_KEYS, "grid.")
    train_in = _check_keys(raw.get("train", {}), TRAIN_KEYS, "train.")
    if "init" not in grid_in:
        raise InitlabError("spec grid.init is missing: list the initializers to compare")
    grid = {k: _axis(k, grid_in.get(k, GRID_DEFAULTS.get(k))) for k in GRID_KEYS}
    n_runs = 1
    for values in grid.values():
        n_runs *= len(values)
    if n_runs > MAX_RUNS:
        sizes = " x ".join(f"{len(grid[k])} {k}" for k in GRID_KEYS if len(grid[k]) > 1)
        raise InitlabError(f"spec grid has {n_runs:,} runs ({sizes}); one sweep holds at most "
                           f"{MAX_RUNS:,}: split it into several specs (one store can hold them all)")
    train = {k: _TRAIN_CHECKS[k](train_in.get(k, v), f"train.{k}") for k, v in TRAIN_DEFAULTS.items()}
    name, desc = raw.get("name", default_name), raw.get("description", "")
    if not isinstance(name, str) or not isinstance(desc, str):
        raise InitlabError("spec name and description must be strings")
    return SweepSpec(name, grid, train, desc)


def _axis(key: str, value: Any) -> list[Any]:
    if key == "seeds" and isinstance(value, int) and not isinstance(value, bool):
        n = check_positive_int(value, "spec grid.seeds")
        if n > MAX_RUNS:  # refused before a list of n seeds is made
            raise InitlabError(f"spec grid.seeds = {n:,} runs more than one sweep holds "
                               f"({MAX_RUNS:,}): use fewer seeds or split the sweep")
        return list(range(n))
    values = list(value) if isinstance(value, list | tuple) else [value]
    if not values:
        raise InitlabError(f"spec grid.{key} is empty: give at least one value")
    out = [_AXIS_CHECKS[key](v, f"spec grid.{key}") for v in values]
    seen: dict[Any, Any] = {}
    for v in out:
        m = _MEANING[key](v) if key in _MEANING else v
        if m in seen:
            same = "more than once" if seen[m] == v else f"and {v!r}, which are the same"
            raise InitlabError(f"spec grid.{key} lists {seen[m]!r} {same}")
        seen[m] = v
    return out


def _name(check: Callable[[str], Any]) -> Callable[[Any, str], str]:
    def run(value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise InitlabError(f"{where} values must be strings, got {value!r}")
        try:
            check(value)
        except InitlabError as e:
            raise InitlabError(f"{where}: {e}") from None
        return value.strip()

    return run


def _optimizer(value: str) -> None:
    optim.get(value, 0.01)


def _int(minimum: int, maximum: int = MAX_INT) -> Callable[[Any, str], int]:
    """An integer check with the range the store can hold (a seed beyond it would train and
    then fail to be stored)."""
    def run(v: Any, where: str) -> int:
        n = check_positive_int(v, where, minimum)
        if n > maximum:
            raise InitlabError(f"{where} must be at most {maximum}, got {n}")
        return n

    return run


_AXIS_CHECKS: dict[str, Callable[[Any, str], Any]] = {
    "init": _name(check_init),
    "activation": _name(activations.get),
    "dataset": _name(datasets.DATASETS.key),
    "optimizer": _name(_optimizer),
    "depth": _int(1),
    "width": _int(1),
    "learning_rate": lambda v, where: check_positive_float(v, where),
    "seeds": _int(0),
}
#: What a grid value means, for refusing repeats: aliases and spellings of one scheme
#: (``he``, ``kaiming_normal``, ``HE_NORMAL``) would be the same runs under different ids.
_MEANING: dict[str, Callable[[str], Any]] = {
    "init": lambda v: (DATA_INITS if needs_data(v) else initializers.INITIALIZERS).canonical(v),
    "activation": activations.ACTIVATIONS.canonical,
    "optimizer": optim.OPTIMIZERS.canonical,
}
_TRAIN_CHECKS: dict[str, Callable[[Any, str], Any]] = {
    "num_iterations": _int(1),
    "record_every": _int(1),
    "threshold": lambda v, where: check_positive_float(v, where, allow_zero=True),
    "base_seed": _int(0),
}
