"""What a sweep will cost, known before it runs: run counts, a time estimate, memory, engine.

:func:`plan_sweep` is what ``initlab sweep`` prints before it starts and all that
``initlab sweep --dry-run`` does. It refuses, before any store is created or any run trains, an
engine that is not an engine's name or cannot train one of the grid's networks, and a chunk that
would need more than half of the machine's memory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from initlab import datasets
from initlab.core.errors import InitlabError, check_positive_int, normalise, unknown_name
from initlab.core.report import Report, Section, Table
from initlab.sweep.run import RunConfig, build_spec, chunks, train_config
from initlab.sweep.spec import SweepSpec


@dataclass
class SweepPlan(Report):
    """What a sweep would do, known before anything runs (``initlab sweep --dry-run``)."""

    name: str
    store: str
    total: int
    already_stored: int
    to_compute: int
    chunks: int
    seconds_estimate: float
    chunk_bytes: int

    def to_json(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return dict(vars(self))

    def line(self) -> str:
        """One line for the terminal."""
        return (f"sweep {self.name!r}: {self.total:,} runs in the grid, {self.already_stored:,} "
                f"already in {self.store}, {self.to_compute:,} to compute in {self.chunks:,} "
                f"chunks; rough estimate {duration(self.seconds_estimate)} in one process, "
                f"{size_text(self.chunk_bytes)} of memory per chunk")

    def sections(self) -> list[Section]:
        """One table of the fields (the notebook view)."""
        rows = [[k, v] for k, v in self.to_json().items()]
        return [Section(f"Sweep plan {self.name}", tables=[Table(["", ""], rows)], id="plan")]


#: Rough cost model of a run (batched engine): seconds per layer and step, and per multiply-add
#: of one training example in a step (times 3: forward, backward, update). Fitted to the 2-core
#: development VM while it was shared (load ~8), 8 runs per chunk of 1000 steps on moons (300
#: examples): [2,8,1] 38 us/step, [2,32,32,32,32,1] 0.93 ms/step, [2,128,128,1] 4.7 ms/step; the
#: model gives 38 us, 0.93 ms and 4.6 ms. An unloaded machine is faster, so this errs long.
SECONDS_PER_LAYER_STEP = 1.6e-5
SECONDS_PER_MAC = 3e-10


def plan_sweep(spec: SweepSpec, store_path: str | Path, chunk_size: int = 16,
               engine: str = "auto", runs: list[RunConfig] | None = None,
               done: set[str] | None = None) -> SweepPlan:
    """Count, estimate and check a sweep before it runs; reads the store only if it exists.

    Raises
    ------
    InitlabError
        If ``engine`` is not an engine's name, or cannot train one of the grid's networks, or
        one chunk would need more than half of this machine's memory.
    """
    chunk_size = check_positive_int(chunk_size, "chunk size")
    runs = spec.runs() if runs is None else runs
    if done is None:
        done = _stored_ids(store_path)
    todo = [kept for c in chunks(runs, chunk_size) if (kept := [r for r in c if r.run_id not in done])]
    seconds, worst = 0.0, 0
    costs: dict[tuple[Any, ...], tuple[float, int]] = {}
    for chunk in todo:
        key = chunk[0].group_key
        if key not in costs:
            costs[key] = run_cost(chunk[0], engine)
        per_run, run_bytes = costs[key]
        seconds += len(chunk) * per_run
        worst = max(worst, len(chunk) * run_bytes)
    check_memory(worst, f"one chunk of the sweep ({chunk_size} runs of its largest network)",
                 "use smaller networks or a smaller --chunk-size")
    already = sum(r.run_id in done for r in runs)
    return SweepPlan(spec.name, str(store_path), len(runs), already, len(runs) - already,
                     len(todo), seconds, worst)


def _stored_ids(store_path: str | Path) -> set[str]:
    from initlab.sweep.store import open_store

    if not Path(store_path).is_file() or Path(store_path).stat().st_size == 0:
        return set()
    with open_store(store_path, readonly=True) as store:
        return store.run_ids()


def run_cost(config: RunConfig, engine: str) -> tuple[float, int]:
    """Estimated seconds and bytes of one run of ``config``'s group (its engine checked)."""
    net = build_spec(config)
    check_engine(engine, net, train_config(config))
    m = int(datasets.load(config.dataset).train_X.shape[1])
    macs = sum(a * b for a, b in zip(net.dims[:-1], net.dims[1:], strict=False))
    seconds = config.num_iterations * (SECONDS_PER_LAYER_STEP * (len(net.dims) - 1)
                                       + SECONDS_PER_MAC * 3 * m * macs)
    # parameters, gradients and two optimizer moments, plus the cached activations
    return seconds, 8 * (4 * macs + 3 * m * sum(net.dims))


def check_engine(engine: str, net: Any, cfg: Any) -> None:
    """Refuse a bad engine before any run (a run's failure is a divergence, nothing else)."""
    from initlab import engines

    if normalise(engine) not in engines.names():
        raise unknown_name("engine", engine, engines.names())
    if normalise(engine) != "auto":
        engines.get(engine, net, cfg)


def check_memory(nbytes: int, what: str, advice: str) -> None:
    """Refuse work needing more than half of this machine's memory, before it starts (it would
    otherwise grow until the system kills it)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return
    if nbytes > total // 2:
        raise InitlabError(f"{what} needs about {size_text(nbytes)} of memory; this machine has "
                           f"{size_text(total)}: {advice}")


def size_text(n: float) -> str:
    """``1536`` -> ``"1.5 KB"``."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024:
            return f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} TB"


def duration(seconds: float) -> str:
    """``90`` -> ``"1.5 min"``."""
    if seconds < 60:
        return f"{seconds:.2g} s"
    if seconds < 3600:
        return f"{seconds / 60:.2g} min"
    return f"{seconds / 3600:.3g} h"
