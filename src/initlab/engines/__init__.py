"""Training engines: the same maths as :func:`initlab.engines.numpy.train_numpy`, run faster.

``get(name, spec, config, callbacks)`` returns a ``fit`` function with the signature of
``train_numpy``; ``train_many`` trains K models of one architecture at once. Engines:

``numpy``
    The readable reference: the tutorial's arithmetic, operation for operation, so its results
    equal the document's code bit for bit. ``initlab tutorial`` and :mod:`initlab.tutorial`
    always use it.
``numba``
    One model compiled to machine code with numba; fastest for small networks such as the
    tutorial's. IEEE arithmetic without fast-math, but its sums run in another order than
    NumPy's BLAS and it has its own ``exp``, so results differ from ``numpy`` in the last bits.
``batched``
    K models at once, one compiled model per thread (``train_many``); member k equals its own
    ``numba`` run to the last bits (it is separately compiled code) and does not depend on K or
    on the other members. As a single-model ``fit`` it is ``numba``.
``auto``
    :func:`choose`: a pure function of the network, the settings and whether many models train
    together; never of files on disk or of what is cached.

Every :class:`~initlab.engines.base.History` names the engine that ran it.

**What the engines guarantee.** The same engine with the same inputs gives the same bits in any
process, whether its kernels were just compiled or loaded from the cache, and with any number
of workers (``tests/test_determinism.py``). ``numba``/``batched`` agree with ``numpy`` to about
1e-15 relative per step. They do not promise the same bits as ``numpy``: a chaotic run (the
tutorial's x10 random initialization, whose cost swings between saturated outputs, or the zeros
initialization's knife edge between predicting all 0 and all 1) can amplify a last-bit
difference into a visibly different result, so compare such runs only within one engine; every
result records its engine.

**Caches.** numba's machine code is cached under ``$INITLAB_CACHE_DIR`` (default
``$XDG_CACHE_HOME/initlab`` or ``~/.cache/initlab``, else a per-user temporary folder; see
:mod:`initlab.engines.cache`), never in the package folder. The first compiled run on a machine
compiles the kernels (about 25 s on 2 cores), later processes load them in under a second; the
choice of engine does not depend on it.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from typing import Any

from initlab.core.errors import InitlabError, lookup

ENGINES: dict[str, str] = {
    "numpy": "initlab.engines.numpy:train_numpy",
    "numba": "initlab.engines.compiled:train_numba",
    "batched": "initlab.engines.compiled:train_numba",
}
#: Above this many weights (multiply-adds per example and pass), BLAS (``numpy``) beats the
#: compiled loops. Measured on 2 cores: numba won up to 84k ([64,256,256,10], 0.77x numpy's
#: time), numpy at the B3 size (50M).
SMALL_NETWORK_MACS = 100_000
#: Below this many layer-steps (iterations x layers) a single run is over in NumPy sooner than
#: the compiled kernels load from the cache (~0.8 s; NumPy takes ~55 us per layer-step on the
#: tutorial network).
COMPILED_MIN_LAYER_STEPS = 15_000


def names() -> list[str]:
    """Names of the engines, plus ``auto``."""
    return sorted([*ENGINES, "auto"])


def _load(target: str) -> Callable[..., Any]:
    import importlib

    mod, _, attr = target.partition(":")
    fn: Callable[..., Any] = getattr(importlib.import_module(mod), attr)
    return fn


def numba_available() -> bool:
    """True when numba can be imported."""
    return importlib.util.find_spec("numba") is not None


def compiled_supports(spec: Any) -> bool:
    """True when the compiled engines implement this network (registered pieces only)."""
    if spec is None or not numba_available():
        return False
    from initlab.engines.compiled import supports

    return supports(spec)


def choose(spec: Any, config: Any = None, many: bool = False) -> str:
    """The engine ``auto`` picks, from the network, the settings and ``many`` alone.

    ``numpy`` for networks the compiled engines do not implement and for wide ones
    (:data:`SMALL_NETWORK_MACS`); else ``batched`` for many models, and for one model ``numba``
    unless the run is shorter than :data:`COMPILED_MIN_LAYER_STEPS`.

    Parameters
    ----------
    spec : Spec
    config : TrainConfig, optional
        Only ``num_iterations`` is read; without it a run counts as long.
    many : bool
        Whether several models of this network train together (:func:`train_many`).
    """
    if not compiled_supports(spec):
        return "numpy"
    dims = spec.dims
    if sum(dims[i] * dims[i + 1] for i in range(len(dims) - 1)) > SMALL_NETWORK_MACS:
        return "numpy"
    if many:
        return "batched"
    steps = getattr(config, "num_iterations", None)
    if steps is not None and steps * (len(dims) - 1) < COMPILED_MIN_LAYER_STEPS:
        return "numpy"
    return "numba"


def get(name: str, spec: Any = None, config: Any = None, callbacks: Sequence[Any] = ()) -> Callable[..., Any]:
    """Return the fit function for ``name``; ``auto`` is :func:`choose`'s pick."""
    if name == "auto":
        return _load(ENGINES[choose(spec, config)])
    target = lookup(ENGINES, name, "engine")
    if target != ENGINES["numpy"]:
        if not numba_available():
            raise InitlabError(f"engine {name!r} needs numba: pip install numba")
        if spec is not None and not compiled_supports(spec):
            raise InitlabError(
                f"engine {name!r} supports only registered activations and heads; "
                f"{spec.describe()} has a custom one: use engine 'numpy' or 'auto'"
            )
    return _load(target)


def prepare(spec: Any) -> float:
    """Compile (or load from the cache) the compiled kernels ``spec`` uses; returns the seconds
    taken. A network the compiled engines do not support is left alone (0 seconds)."""
    import time

    if not compiled_supports(spec):
        return 0.0
    from initlab.engines.compiled import prepare as _prepare

    t = time.perf_counter()
    _prepare(spec)
    return time.perf_counter() - t


def train_many(
    spec: Any, params_list: Sequence[Any], X: Any, Y: Any, config: Any, engine: str = "auto"
) -> list[Any]:
    """Train K models of one architecture on the same data; one :class:`History` each.

    Every member equals its own single-model run of the same engine family (same ``config``,
    including the same mini-batch order).
    """
    from initlab.engines.base import check_inputs

    if not params_list:
        return []
    for p in params_list:
        X, Y = check_inputs(spec, p, X, Y)
    name = choose(spec, config, many=True) if engine == "auto" else engine
    if name == "batched":
        get(name, spec, config)  # validates support
        from initlab.engines.base import BatchSchedule
        from initlab.engines.compiled import train_batched

        BatchSchedule(X.shape[1], config.batch_size, config.seed)
        return train_batched(spec, params_list, X, Y, config)
    fit = get(name, spec, config)
    return [fit(spec, p, X, Y, config) for p in params_list]
