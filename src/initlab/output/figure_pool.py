"""Drawing figure jobs, in this process or in a second one that starts with the command.

A job holds only arrays and numbers, so it pickles to another process; this module imports only
numpy, :mod:`initlab.output.plots` and :mod:`initlab.output.html`, so that process starts drawing early.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from initlab.output import plots
from initlab.output.html import figure_png

#: A figure to draw: (file name, function of initlab.output.plots, keyword arguments). Jobs hold only
#: arrays and numbers, so another process can render them.
Job = tuple[str, str, dict[str, Any]]


#: Figures drawn in this process, kept for :data:`initlab.output.plots.UPDATERS` to redraw: one per
#: plot function and number of axes.
_DRAWN: dict[tuple[str, int], Any] = {}


def render_job(job: Job) -> bytes:
    """Draw one job's figure and return its PNG bytes."""
    _, fn, kwargs = job
    key = (fn, len(kwargs.get("counts", ())))
    if key in _DRAWN:
        drawn = plots.UPDATERS[fn](_DRAWN[key], **kwargs)
    else:
        drawn = getattr(plots, fn)(**kwargs)
        if fn in plots.UPDATERS:
            _DRAWN[key] = drawn
    ax = drawn[0] if isinstance(drawn, list | tuple | np.ndarray) else drawn
    return figure_png(ax.figure)


class Renderer:
    """Draws figure jobs, half of them in an optional process ``pool``.

    :meth:`prefetch` hands jobs to the pool at once (e.g. part 6's figures while the trainings
    run); :meth:`render` returns every job's PNG bytes. A pool whose worker cannot start (e.g.
    a ``__main__`` read from stdin) only costs speed: its jobs are drawn here.
    """

    def __init__(self, pool: Any = None) -> None:
        self.pool = pool
        self._futures: dict[str, Any] = {}

    def _submit(self, jobs: list[Job]) -> None:
        from concurrent.futures.process import BrokenProcessPool

        if self.pool is None:
            return
        try:
            self._futures |= {j[0]: self.pool.submit(render_job, j) for j in jobs}
        except BrokenProcessPool:
            self.pool = None

    def prefetch(self, jobs: list[Job]) -> None:
        """Start drawing ``jobs`` in the pool now."""
        self._submit(jobs)

    def render(self, jobs: list[Job]) -> dict[str, bytes]:
        """PNG bytes of every job (by file name), drawn here or collected from the pool."""
        from concurrent.futures.process import BrokenProcessPool

        fresh = [j for j in jobs if j[0] not in self._futures]
        if not self._futures:  # an idle pool takes every other job; a busy one none
            self._submit(fresh[1::2])
        out = {j[0]: render_job(j) for j in jobs if j[0] not in self._futures}
        for j in jobs:
            if j[0] not in out:
                try:
                    out[j[0]] = self._futures[j[0]].result()
                except BrokenProcessPool:
                    out[j[0]] = render_job(j)
        return {j[0]: out[j[0]] for j in jobs}


def _exit_now() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _warm() -> None:
    """The worker's initializer: load matplotlib and draw once; end without teardown."""
    import atexit

    import matplotlib.backends.backend_agg  # noqa: F401
    from matplotlib.figure import Figure

    # the worker has sent every result when the interpreter exits; tearing down matplotlib's
    # modules would take ~0.3 s more, and the caller's shutdown waits for it
    atexit.register(_exit_now)
    # a first drawing loads fonts and lazy modules (~0.3 s): done here, it overlaps the
    # caller's part 6 instead of delaying the first real figure
    fig = Figure(figsize=(1, 1))
    ax = fig.subplots()
    ax.set_title("warm")
    ax.scatter([0.0, 1.0], [0.0, 1.0], c=[0.0, 1.0])
    ax.plot([0.0, 1.0])
    figure_png(fig)


@contextmanager
def figure_pool(enabled: bool = True) -> Iterator[Any]:
    """A one-worker process pool for :class:`Renderer`, or ``None`` on a single core.

    The worker starts (and imports matplotlib) at once, so that cost overlaps whatever the
    caller computes before it has figures to draw.
    """
    if not enabled or (os.cpu_count() or 1) < 2:
        yield None
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from unittest import mock

    ctx = multiprocessing.get_context("spawn")  # fork is unsafe with BLAS threads running
    pool = ProcessPoolExecutor(1, mp_context=ctx, initializer=_warm)
    # the worker only draws: one BLAS thread spares it OpenBLAS starting a thread per core
    # (~0.2 s of CPU on its critical path); the environment is copied when it starts, here
    with mock.patch.dict(os.environ, {"OPENBLAS_NUM_THREADS": "1"}):
        pool.submit(int)
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
