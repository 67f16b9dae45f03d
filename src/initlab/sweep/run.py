"""One training run as data: its canonical config, its id, and the worker that trains a chunk.

A run is fully described by a :class:`RunConfig`. Its id is the hash of the canonical JSON of
that config, so the same run gets the same id whatever order, chunk or machine it runs in, and
its random seed comes from the config (``SeedSequence([base_seed, seed])``), never from its
position. :func:`train_chunk` is the unit of work shipped to local processes or Dask workers: it
trains every run of a chunk at once with the batched engine and returns one :class:`RunResult`
per run; it never writes anything.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
import json
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from initlab import datasets, engines, initializers, network
from initlab.core.errors import Diverged, InitlabError, normalise
from initlab.core.params import split_spec
from initlab.core.registry import Registry
from initlab.engines import outcome, train_many
from initlab.engines.base import TrainConfig
from initlab.lsuv import lsuv
from initlab.network import Params, Spec

Array = NDArray[np.float64]

#: Bumped when the meaning of a config (and so of its id) changes.
RUN_SCHEMA = 1
#: Outcomes of a run, used by the failure map; the classification lives in
#: :mod:`initlab.engines.outcome`, shared with ``initlab train``.
STATUSES = outcome.STATUSES
#: A run whose train accuracy is within this of the majority-class share "stalled at chance".
CHANCE_MARGIN = outcome.CHANCE_MARGIN


@dataclass(frozen=True)
class RunConfig:
    """Everything that determines one run's result.

    Attributes
    ----------
    dataset, init, activation, optimizer : str
        Registry names (``init`` and ``optimizer`` may carry ``:key=value`` parameters).
    hidden : tuple of int
        Hidden layer sizes; input and output sizes come from the dataset.
    learning_rate : float
    num_iterations, record_every : int
    threshold : float
        Cost threshold for ``steps_to_threshold``.
    seed, base_seed : int
        The run's random stream is ``SeedSequence([base_seed, seed])``.
    """

    dataset: str
    init: str
    activation: str
    hidden: tuple[int, ...]
    optimizer: str = "gd"
    learning_rate: float = 0.01
    num_iterations: int = 15000
    record_every: int = 1000
    threshold: float = 0.2
    seed: int = 0
    base_seed: int = 0

    @property
    def depth(self) -> int:
        """Number of hidden layers."""
        return len(self.hidden)

    @property
    def width(self) -> int:
        """Width of the hidden layers (the widest one if they differ)."""
        return max(self.hidden, default=0)

    def canonical(self) -> dict[str, Any]:
        """The JSON-ready config that the run id hashes."""
        d = dataclasses.asdict(self)
        d["hidden"] = list(self.hidden)
        d["learning_rate"] = float(self.learning_rate)
        d["threshold"] = float(self.threshold)
        d["schema"] = RUN_SCHEMA
        return d

    @property
    def run_id(self) -> str:
        """First 16 hex digits of the sha256 of the canonical JSON (sorted keys)."""
        text = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    @property
    def group_key(self) -> tuple[Any, ...]:
        """Runs with equal keys share architecture, data and training settings (one batch)."""
        return (self.dataset, self.hidden, self.activation, self.optimizer, self.learning_rate,
                self.num_iterations, self.record_every)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunConfig:
        """Inverse of :meth:`canonical`."""
        fields = {f.name for f in dataclasses.fields(cls)}
        kw = {k: v for k, v in d.items() if k in fields}
        kw["hidden"] = tuple(int(h) for h in kw["hidden"])
        return cls(**kw)


@dataclass(frozen=True)
class RunResult:
    """What one run produced; the store's and the CSV's result columns are these fields.

    Attributes
    ----------
    run_id : str
        :attr:`RunConfig.run_id` of the run.
    status : str
        One of :data:`STATUSES`.
    final_cost, train_accuracy, test_accuracy : float or None
        ``None`` for a diverged run.
    steps_to_threshold : int or None
        First recorded iteration with cost <= threshold; ``None`` if never reached.
    seconds : float
        Training time per run (the chunk's time shared out).
    engine : str
        The engine that trained it (``numpy``, ``batched``, ...).
    arrays : dict of str to ndarray
        Cost curve (``iterations``, ``costs``) and per-layer statistics, each of shape (L,).
    params : dict of str to ndarray or None
        Final parameters, kept only when asked for (not stored).
    """

    run_id: str
    status: str
    final_cost: float | None
    train_accuracy: float | None
    test_accuracy: float | None
    steps_to_threshold: int | None
    seconds: float
    engine: str
    arrays: dict[str, NDArray[Any]] = field(default_factory=dict)
    params: Params | None = None

    @classmethod
    def columns(cls) -> tuple[tuple[str, str], ...]:
        """``(name, SQL type)`` of each scalar result field after ``run_id``, in field order."""
        return tuple((f.name, _sql_type(f.type)) for f in dataclasses.fields(cls)
                     if f.name not in ("run_id", "arrays", "params"))

    def values(self) -> tuple[Any, ...]:
        """The scalar result fields, in :meth:`columns` order."""
        return tuple(getattr(self, name) for name, _ in self.columns())

    def as_dict(self) -> dict[str, Any]:
        """Every field as a dict (arrays and params by reference; ``params`` only when kept)."""
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        if d["params"] is None:
            del d["params"]
        return d

    @classmethod
    def from_dict(cls, run_id: str, d: Mapping[str, Any]) -> RunResult:
        """A result from a dict holding the fields (``run_id`` given separately)."""
        names = [f.name for f in dataclasses.fields(cls) if f.name != "run_id"]
        return cls(run_id, **{k: d[k] for k in names if k in d})


_SQL_TYPES = {"str": "TEXT", "float": "REAL", "int": "INTEGER"}


def _sql_type(annotation: Any) -> str:
    """``"float | None"`` -> ``"REAL"``, ``"str"`` -> ``"TEXT NOT NULL"`` (annotations are text)."""
    parts = [p.strip() for p in str(annotation).split("|")]
    base = _SQL_TYPES[parts[0]]
    return base if "None" in parts else f"{base} NOT NULL"


def run_rng(config: RunConfig) -> np.random.Generator:
    """The run's own random stream, derived from its config."""
    return np.random.default_rng(np.random.SeedSequence([config.base_seed, config.seed]))


@functools.lru_cache(maxsize=8)
def _dataset(name: str) -> datasets.Dataset:
    return datasets.load(name)


def build_spec(config: RunConfig) -> Spec:
    """The network of a run: dataset input size, hidden layers, a head matching the labels."""
    data = _dataset(config.dataset)
    n_y = int(data.train_Y.shape[0])
    head = "softmax" if n_y > 1 else "sigmoid"
    return Spec.build([data.n_features, *config.hidden, n_y], config.activation, head)


def _lsuv_params(spec: Spec, X: Array, rng: np.random.Generator, **options: Any) -> Params:
    """``initlab.lsuv.lsuv(spec, None, X, rng=..., **options)``: orthonormal start, then LSUV."""
    params, _records = lsuv(spec, None, X, rng=rng, **options)
    return {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}


#: Data-dependent initializers: name -> ``fn(spec, X, rng, **options) -> params``, with the
#: options it accepts (the ``initializers`` registry holds the data-free schemes).
DATA_INITS = Registry[Params]("data-dependent initializer")
DATA_INITS.add("lsuv", _lsuv_params)
_DATA_INIT_OPTIONS: dict[str, tuple[str, ...]] = {
    "lsuv": tuple(p.name for p in inspect.signature(lsuv).parameters.values()
                  if p.kind is p.KEYWORD_ONLY and p.name != "rng"),
}


def needs_data(init: str) -> bool:
    """Whether ``init`` (a ``NAME[:k=v]`` spec) names a data-dependent initializer."""
    name, _ = split_spec(init)
    return name in DATA_INITS


def init_params(config: RunConfig, spec: Spec, X: Array) -> Params:
    """Initial parameters of a run; data-dependent schemes (:data:`DATA_INITS`) see ``X``."""
    if not needs_data(config.init):
        return network.init_params(spec, weight_init=config.init, rng=run_rng(config))
    name, options = split_spec(config.init)
    fn: Callable[..., Params] = DATA_INITS.factory(name)
    return fn(spec, X, run_rng(config), **options)


def check_init(init: str) -> None:
    """Raise an error listing valid names unless ``init`` names a usable initializer."""
    if not needs_data(init):
        initializers.get(init)
        return
    name, options = split_spec(init)
    key = DATA_INITS.key(name)
    unknown = sorted(set(options) - set(_DATA_INIT_OPTIONS[key]))
    if unknown:
        valid = ", ".join(_DATA_INIT_OPTIONS[key])
        raise InitlabError(f"initializer {key!r} does not take {unknown}; valid: {valid}")


def train_config(config: RunConfig) -> TrainConfig:
    """The engine's :class:`~initlab.engines.base.TrainConfig` of a run."""
    name, options = split_spec(config.optimizer)
    return TrainConfig(name, config.learning_rate, config.num_iterations, config.record_every,
                       tuple(sorted(options.items())))  # type: ignore[arg-type]


def chunks(configs: Iterable[RunConfig], size: int) -> list[list[RunConfig]]:
    """Split runs into batches of at most ``size`` runs sharing one group key.

    The split depends only on the configs given (sorted by group and run id), so the same grid
    always gives the same chunks and the same batched arithmetic.
    """
    groups: dict[tuple[Any, ...], list[RunConfig]] = {}
    for c in sorted(configs, key=lambda c: c.run_id):
        groups.setdefault(c.group_key, []).append(c)
    out: list[list[RunConfig]] = []
    for key in sorted(groups, key=repr):
        runs = groups[key]
        out.extend(runs[i : i + size] for i in range(0, len(runs), size))
    return out


def train_chunk(configs: Sequence[RunConfig], keep_params: bool = False,
                engine: str = "auto") -> list[RunResult]:
    """Train every run of a chunk (one group key) at once and return one result per run.

    ``arrays`` of each :class:`RunResult` holds the cost curve and per-layer statistics;
    ``params`` the final parameters with ``keep_params``.
    """
    return list(iter_chunk(configs, keep_params, engine))


def iter_chunk(configs: Sequence[RunConfig], keep_params: bool = False,
               engine: str = "auto") -> Iterator[RunResult]:
    """:func:`train_chunk` as a generator: each run's result as soon as it is known.

    The runs train together in one batch and finish together; when a member diverges the batch
    is retrained one run at a time, and then each result comes the moment its run ends (so the
    sweep can store it before the next one starts). Only a divergence (a non-finite value) is
    a run's failure: any other error (a bad engine, a network the engine cannot train) is raised.
    """
    if len({c.group_key for c in configs}) > 1:
        raise InitlabError("a chunk must hold runs of one architecture and training setup")
    data = _dataset(configs[0].dataset)
    spec = build_spec(configs[0])
    X, Y = data.train_X, data.train_Y
    starts = [init_params(c, spec, X) for c in configs]
    cfg = train_config(configs[0])
    # A run that diverged has no history; it was trained by the engine its chunk used.
    used = engines.choose(spec, cfg, many=True) if engine == "auto" else normalise(engine)
    t0 = time.perf_counter()
    histories: list[Any] = _train(spec, starts, X, Y, cfg, engine)
    share = (time.perf_counter() - t0) / len(configs)
    if not isinstance(histories[0], Exception):  # the batch trained: every run ended at once
        for c, p0, h in zip(configs, starts, histories, strict=True):
            yield _result(c, spec, data, p0, h, share, keep_params, used)
        return
    for c, p0 in zip(configs, starts, strict=True):  # a member diverged: one run at a time
        t1 = time.perf_counter()
        (h,) = _train(spec, [p0], X, Y, cfg, engine)
        yield _result(c, spec, data, p0, h, share + time.perf_counter() - t1, keep_params, used)


def is_divergence(e: BaseException) -> bool:
    """True for a run's own failure: a floating-point overflow or an engine's
    :class:`~initlab.core.errors.Diverged`; False for errors of the request (unknown engine,
    unsupported network, ...)."""
    return isinstance(e, FloatingPointError | Diverged)


def _train(spec: Spec, starts: list[Params], X: Array, Y: Array, cfg: TrainConfig,
           engine: str) -> list[Any]:
    """Train ``starts`` together: their histories, or ``[error]`` if one of them diverged.

    A floating-point overflow during training is a run's divergence (its cost is about to become
    non-finite), so it is raised and caught here instead of printing a warning.
    """
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        try:
            return train_many(spec, starts, X, Y, cfg, engine=engine)
        except (InitlabError, FloatingPointError) as e:
            if not is_divergence(e):
                raise
            return [e]


def _layer_stats(spec: Spec, params: Params, X: Array) -> tuple[Array, Array]:
    with np.errstate(over="ignore", invalid="ignore"):
        _, caches = network.forward(spec, params, X)
        act = np.array([_std(c[2]) for c in caches])
    w = np.array([_std(params[f"W{l}"]) for l in range(1, spec.n_layers + 1)])
    return w, act


def _std(a: Array) -> float:
    """Standard deviation without overflow: ``np.std`` of values near 1e308 overflows while
    squaring (a constant 1e308 matrix would read inf instead of 0); then it is computed again
    on the values scaled by their largest magnitude. Non-finite only when ``a`` itself holds
    inf or NaN."""
    with np.errstate(over="ignore", invalid="ignore"):
        std = float(np.std(a))
        scale = float(np.max(np.abs(a), initial=0.0))
        if math.isfinite(std) or not math.isfinite(scale):
            return std
        return float(np.std(a / scale)) * scale


def _result(c: RunConfig, spec: Spec, data: datasets.Dataset, p0: Params, h: Any,
            seconds: float, keep_params: bool, chunk_engine: str) -> RunResult:
    w0, a0 = _layer_stats(spec, p0, data.train_X)
    engine = str(getattr(h, "engine", chunk_engine))
    final = _final_cost(spec, h, data) if not isinstance(h, Exception) else math.nan
    if not math.isfinite(final):
        return RunResult(c.run_id, "diverged", None, None, None, None, seconds, engine,
                         {"weight_std_init": w0, "act_std_init": a0})
    train_acc = network.accuracy(spec, h.params, data.train_X, data.train_Y)
    its, costs = np.asarray(h.iterations, dtype=np.int64), np.asarray(h.costs, dtype=np.float64)
    w1, a1 = _layer_stats(spec, h.params, data.train_X)
    return RunResult(
        c.run_id, outcome.status(train_acc, data.train_Y), final, train_acc,
        network.accuracy(spec, h.params, data.test_X, data.test_Y),
        _steps_to(its, costs, final, c), seconds, engine,
        {"iterations": its, "costs": costs, "weight_std_init": w0, "weight_std_final": w1,
         "act_std_init": a0, "act_std_final": a1},
        h.params if keep_params else None,
    )


def _final_cost(spec: Spec, h: Any, data: datasets.Dataset) -> float:
    """Training cost at the final parameters; NaN when they (or the logits) are not finite."""
    if not all(np.all(np.isfinite(v)) for v in h.params.values()):
        return math.nan
    with np.errstate(over="ignore", invalid="ignore"):
        ZL, _ = network.forward(spec, h.params, data.train_X)
        if not np.all(np.isfinite(ZL)):
            return math.nan
        return float(spec.head.loss(ZL, data.train_Y))


def _steps_to(its: Any, costs: Any, final: float, c: RunConfig) -> int | None:
    hit = np.flatnonzero(costs <= c.threshold)
    if hit.size:
        return int(its[hit[0]])
    return c.num_iterations if final <= c.threshold else None
