"""Training engines: the same maths as :func:`initlab.engines.numpy.train_numpy`, run faster.

``get(name, spec, config, callbacks)`` returns a ``fit`` function with the signature of
``train_numpy``; ``train_many`` trains K models of one architecture at once. Engines:

``numpy``
    The readable reference (BLAS matrix products; fastest for wide layers).
``numba``
    One model compiled to machine code with numba (cached on disk, so a second process does not
    recompile); fastest for small networks such as the tutorial's.
``batched``
    K models at once, one compiled model per thread (``train_many``); as a single-model ``fit``
    it is ``numba``.
``auto``
    The fastest engine that supports the request.

The compiled engines run a kernel specialised to the network (:mod:`.specialized`, 1.4-1.6x
faster on the tutorial network) once it is compiled on this machine, and compile it themselves
for runs long enough to pay for that (~20 s once per network); :func:`prepare` compiles it now.
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


#: Below this many layer-steps (iterations x layers) a single run is shorter in NumPy than the
#: ~25 s the first compilation takes, so ``auto`` waits for a warm cache before compiling.
COLD_CACHE_LAYER_STEPS = 500_000


def compiled_cache_warm() -> bool:
    """True when numba's on-disk cache holds the compiled training kernel.

    Looks for the cache index of ``kernels.run_steps`` where numba keeps it: beside the module
    (``__pycache__``), under ``NUMBA_CACHE_DIR``, or in the user's cache folder.
    """
    import os
    from pathlib import Path

    here = Path(__file__).resolve().parent
    places = [here / "__pycache__"]
    for env in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME"):
        if os.environ.get(env):
            places.append(Path(os.environ[env]))
    places.append(Path.home() / ".cache" / "numba")
    return any(next(p.rglob("kernels.run_steps-*.nbi"), None) for p in places if p.is_dir())


def choose(spec: Any, config: Any = None, many: bool = False) -> str:
    """The engine ``auto`` picks: compiled for small registered networks, else ``numpy``.

    A single short run (``config.num_iterations`` x layers below
    :data:`COLD_CACHE_LAYER_STEPS`) stays in NumPy until the compiled code is cached, since
    compiling would take longer than the run.
    """
    if not compiled_supports(spec):
        return "numpy"
    dims = spec.dims
    macs = sum(dims[i] * dims[i + 1] for i in range(len(dims) - 1))
    if macs > SMALL_NETWORK_MACS:
        return "numpy"
    if many:
        return "batched"
    steps = getattr(config, "num_iterations", None)
    short = steps is not None and steps * (len(dims) - 1) < COLD_CACHE_LAYER_STEPS
    return "numpy" if short and not compiled_cache_warm() else "numba"


def get(name: str, spec: Any = None, config: Any = None, callbacks: Sequence[Any] = ()) -> Callable[..., Any]:
    """Return the fit function for ``name``; ``auto`` picks the fastest valid one."""
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
    """Compile (or load from the on-disk cache) the compiled kernels for ``spec``, including the
    one specialised to its layer sizes; returns the seconds taken.

    Later runs of this network in any process use the specialised kernel. A network the compiled
    engines do not support is left alone (0 seconds).
    """
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

    Every member equals its own single-model run (same engine family, same ``config``,
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
