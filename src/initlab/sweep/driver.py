"""Run a sweep: expand the spec, skip what the store holds, train the rest, store each run.

The driver is the only writer. Work goes out in chunks (runs that share an architecture and
training setup, trained together by the batched engine) to one of three executors, chosen by
the caller:

* in this process (``workers=1``),
* local processes (``workers=N``; spawned, each keeping its BLAS and numba threads to its share
  of the cores, killed with the driver),
* an existing Dask distributed cluster (``scheduler="tcp://host:8786"`` or a ``Client``).

Results come back as :class:`~initlab.sweep.run.RunResult` records, and each run is committed
to the store the moment its result arrives (in process, as each run ends), so an interruption
loses only runs still training, and rerunning computes only the missing runs. Before the store
is created :func:`~initlab.sweep.plan.plan_sweep` checks the engine and the memory a chunk needs.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from initlab.core.errors import InitlabError, check_positive_float, check_positive_int
from initlab.core.report import Report, Section, Table
from initlab.sweep.plan import plan_sweep
from initlab.sweep.run import RunConfig, RunResult, chunks, iter_chunk, train_chunk
from initlab.sweep.spec import SweepSpec

Chunk = list[RunConfig]
Results = list[RunResult]
#: What an executor yields: each run with its result, as results arrive.
Pairs = Generator[tuple[RunConfig, RunResult], None, None]


@dataclass
class SweepOutcome(Report):
    """What one ``run_sweep`` call did."""

    name: str
    store: str
    total: int
    already_stored: int
    computed: int
    seconds: float
    executor: str

    @property
    def runs_per_second(self) -> float:
        """Throughput of the runs computed by this call."""
        return self.computed / self.seconds if self.seconds > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {**vars(self), "runs_per_second": self.runs_per_second}

    def sections(self) -> list[Section]:
        """One table of the fields (the notebook view)."""
        rows = [[k, v] for k, v in self.to_json().items()]
        return [Section(f"Sweep {self.name}", tables=[Table(["", ""], rows)], id="sweep")]


def _task(chunk: Chunk, engine: str) -> tuple[Chunk, Results]:
    return chunk, train_chunk(chunk, engine=engine)


def _sequential(todo: Sequence[Chunk], engine: str) -> Pairs:
    for chunk in todo:  # each run's result the moment it ends
        yield from zip(chunk, iter_chunk(chunk, engine=engine), strict=True)


def _worker_init(threads: int) -> None:
    """Start of each local worker process.

    * Ctrl-C goes to the whole process group: only the driver handles it (it stops the
      workers), so a worker never prints a traceback of its own.
    * On Linux the kernel kills the worker when the driver dies, even by ``kill -9``, so no
      worker outlives its sweep.
    * N workers on N cores: each keeps its BLAS and numba threads to its share, or the batched
      engine's threads in every worker fight for the same cores.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    import threading

    from threadpoolctl import threadpool_limits
    from tqdm import tqdm

    # tqdm's default lock is a multiprocessing semaphore, registered with the resource tracker;
    # a worker stopped by Ctrl-C could not release it ("leaked semaphore" warnings). A worker
    # shows no bar, so a thread lock does.
    tqdm.set_lock(threading.RLock())
    threadpool_limits(threads)
    try:
        import numba

        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]
    except ImportError:
        pass


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() == 1:  # the driver died before the line above ran
        raise SystemExit(1)


def _local(todo: Sequence[Chunk], engine: str, workers: int) -> Pairs:
    """Chunks in ``workers`` spawned processes; however the sweep ends (done, error, Ctrl-C),
    the pool is terminated and joined before this generator closes."""
    import multiprocessing

    threads = max(1, (os.cpu_count() or 1) // workers)
    pool = multiprocessing.get_context("spawn").Pool(workers, _worker_init, (threads,))
    try:
        for chunk, results in pool.imap_unordered(functools.partial(_task, engine=engine), todo):
            yield from zip(chunk, results, strict=True)
    finally:
        pool.terminate()
        pool.join()


def _dask(todo: Sequence[Chunk], engine: str, client: Any) -> Pairs:
    from distributed import as_completed

    futures = client.map(_task, todo, engine=engine, pure=False)
    try:
        for fut in as_completed(futures, loop=client.loop):  # type: ignore[no-untyped-call]
            chunk, results = fut.result()
            yield from zip(chunk, results, strict=True)
    finally:
        client.cancel(futures)


def connect(scheduler: Any, timeout: float = 10.0) -> Any:
    """A Dask ``Client`` for ``scheduler`` (an address, or a ``Client`` passed through).

    Raises
    ------
    InitlabError
        If dask.distributed is missing, the address is malformed, or the scheduler does not
        answer within ``timeout`` seconds.
    """
    if not isinstance(scheduler, str):
        return scheduler
    timeout = check_positive_float(timeout, "connect timeout")
    try:
        from distributed import Client
    except ImportError:
        raise InitlabError("--scheduler needs dask.distributed: pip install 'initlab[dask]'") from None
    fail = f"cannot reach the Dask scheduler at {scheduler!r} within {timeout:g} s"
    try:
        _probe(scheduler, timeout)
        return Client(scheduler, timeout=timeout,  # type: ignore[no-untyped-call]
                      set_as_default=False)
    except Exception as e:  # noqa: BLE001 - a dead or foreign peer fails in many ways
        raise InitlabError(f"{fail} ({type(e).__name__}: {e}); nothing was run or written") from None


def _probe(address: str, timeout: float) -> None:
    """Open and close a plain TCP connection first: a dead address fails fast and cleanly.

    (A ``Client`` that fails to connect tries to close itself again when garbage-collected,
    which can hang for another 20 s; this check avoids building one for a dead address.)
    """
    import socket

    from distributed.comm.addressing import parse_address, parse_host_port

    protocol, location = parse_address(address)
    if protocol in ("tcp", "tls"):
        host, port = parse_host_port(location)
        socket.create_connection((host, port), timeout=timeout).close()


def run_sweep(
    spec: SweepSpec,
    store_path: str | Path,
    workers: int = 1,
    scheduler: Any = None,
    chunk_size: int = 16,
    engine: str = "auto",
    progress: bool | None = None,
    connect_timeout: float = 10.0,
) -> SweepOutcome:
    """Train every run of ``spec`` that ``store_path`` lacks, storing each chunk as it finishes.

    Parameters
    ----------
    spec : SweepSpec
    store_path : path
        SQLite store, created if missing. Another sweep writing it at the same time is refused.
    workers : int
        Local processes (1 runs in this process). Ignored with ``scheduler``.
    scheduler : str or distributed.Client, optional
        Run on this Dask cluster instead.
    chunk_size : int
        Runs per task, trained at once by the batched engine.
    progress : bool or None
        Progress bar; ``None`` shows it only on a terminal.
    """
    workers = check_positive_int(workers, "workers")
    chunk_size = check_positive_int(chunk_size, "chunk size")
    client = connect(scheduler, connect_timeout) if scheduler is not None else None
    try:
        computed, already, executor, t0 = _run(spec, store_path, workers, client, chunk_size,
                                               engine, progress)
    finally:
        if client is not None and isinstance(scheduler, str):
            client.close()
    return SweepOutcome(spec.name, str(store_path), len(spec), already, computed,
                        time.perf_counter() - t0, executor)


def _run(spec: SweepSpec, store_path: str | Path, workers: int, client: Any, chunk_size: int,
         engine: str, progress: bool | None) -> tuple[int, int, str, float]:
    from initlab.sweep.store import open_store

    t0 = time.perf_counter()
    runs = spec.runs()
    plan_sweep(spec, store_path, chunk_size, engine, runs, set())  # checks before the store is made
    with open_store(store_path, create=True) as store:  # takes the writer lock first
        store.record_sweep(spec.name, {"name": spec.name, "description": spec.description,
                                       "grid": spec.grid, "train": spec.train})
        done = store.run_ids()
        # Chunks come from the whole grid, so a resumed sweep batches runs as the first try did.
        todo = [kept for c in chunks(runs, chunk_size)
                if (kept := [r for r in c if r.run_id not in done])]
        already = sum(r.run_id in done for r in runs)
        if client is not None:
            results, executor = _dask(todo, engine, client), f"dask {client.scheduler.address}"
        elif workers > 1 and len(todo) > 1:
            results, executor = _local(todo, engine, workers), f"{workers} local processes"
        else:
            results, executor = _sequential(todo, engine), "in process"
        try:
            computed = _drain(store, results, len(runs), already, spec.name, progress)
        finally:
            results.close()  # stops the workers now, whatever ended the sweep
    return computed, already, executor, t0


def _drain(store: Any, results: Pairs, total: int, already: int,
           name: str, progress: bool | None) -> int:
    """Store each run the moment its result arrives (one transaction per run), so an
    interruption loses only runs still training."""
    from tqdm import tqdm

    computed = 0
    with tqdm(total=total, initial=already, unit="run", desc=name, dynamic_ncols=True,
              disable=None if progress is None else not progress) as bar:
        for config, result in results:
            computed += store.add([(config, result)])
            bar.update(1)
    return computed
