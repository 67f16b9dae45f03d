"""Coordinate check on any PyTorch model: ``coordcheck(build=lambda width: model, widths=...)``.

The same measurement and verdicts as ``initlab coordcheck`` (:mod:`initlab.experiments.coordcheck`)
on a model you build: for each width and seed the model is built (its init draws from torch's RNG
seeded with ``[seed, width, s]`` and put back afterwards), trained ``steps`` steps on one fixed
batch, and every selected module's output (default: Linear and Conv layers, i.e. the
pre-activations) is recorded at each step through :func:`initlab.torch.hooks.watch`: its size, and
its change since step 0. Step ``t`` here is ``mup``'s ``t + 1`` (``mup`` counts the first forward
as ``t = 1``).

The loss is ``"xent"`` (cross-entropy of the output against ``batch[1]``), ``"mse"``, a callable
``(output, batch) -> loss``, or ``"forward"``: the model's own ``forward`` returns the loss (a
scalar, the first element of a tuple, or ``out["loss"]``), which ``mup``'s check cannot use
(mup#68). Predictions are the exponents you expect, per module name (default: flat, ``0``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from initlab.core.errors import InitlabError, check_positive_int
from initlab.core.report import Image, Plot, Report, Section, Table
from initlab.experiments.coordcheck import (
    VERDICT_OK,
    check_statistic,
    check_widths,
    finite_rows,
    fit_row,
)
from initlab.torch._base import WEIGHTED, call_model, check_model, seeded, torch
from initlab.torch.hooks import Call, watch

Array = NDArray[np.float64]
Loss = str | Callable[[Any, Any], Any]


def _optimizer(optimizer: str | Callable[[Any], Any], lr: float | None, model: Any) -> Any:
    if callable(optimizer):
        return optimizer(model)
    name = str(optimizer).lower()
    if name not in ("sgd", "adam"):
        raise InitlabError(f"unknown optimizer {optimizer!r}; valid: adam, sgd, or a callable "
                           "model -> torch optimizer")
    rate = lr if lr is not None else (0.1 if name == "sgd" else 1e-3)
    cls = torch.optim.SGD if name == "sgd" else torch.optim.Adam
    return cls(model.parameters(), lr=rate)


def _loss(loss: Loss, model: Any, batch: Any) -> Any:
    """The scalar loss of one forward pass (the hooks record during it)."""
    import torch.nn.functional as F

    if loss == "forward":
        out = call_model(model, batch)
        if isinstance(out, dict):
            out = out.get("loss")
        elif isinstance(out, tuple | list):
            out = out[0]
        if not isinstance(out, torch.Tensor) or out.numel() != 1:
            raise InitlabError("loss='forward' needs forward() to return the loss: a scalar "
                               "tensor, a tuple starting with it, or a dict with 'loss'")
        return out.reshape(())
    x, y = batch
    out = model(x)
    if callable(loss):
        return loss(out, batch)
    if loss == "xent":
        return F.cross_entropy(out, y)
    if loss == "mse":
        return F.mse_loss(out, y)
    raise InitlabError(f"unknown loss {loss!r}; valid: xent, mse, forward, or a callable "
                       "(output, batch) -> loss")


def _stat(t: Any, statistic: str) -> float:
    x = t.detach().to(torch.float64)
    return float(x.abs().mean()) if statistic == "l1" else math.sqrt(float((x * x).mean()))


def train_one(model: Any, batch: Any, loss: Loss, opt: Any, steps: int, statistic: str,
              select: Any) -> tuple[list[str], Array, Array]:
    """Train ``steps`` steps; per step and recorded call, the size and the change since step 0."""
    names: list[str] = []
    size, change = np.full((steps + 1, 0), np.nan), np.full((steps + 1, 0), np.nan)
    first: dict[int, Any] = {}
    for t in range(steps + 1):
        rec: list[tuple[float, float]] = []

        def on_forward(c: Call, out: Any, t: int = t, rec: list[tuple[float, float]] = rec) -> None:
            o = out.detach()
            if t == 0:
                first[c.index] = o.clone()
            rec.append((_stat(o, statistic), _stat(o - first[c.index], statistic)))

        with watch(model, on_forward, select=select) as calls:
            value = _loss(loss, model, batch)
        if t == 0:
            names = [c.name if c.call == 1 else f"{c.name}#{c.call}" for c in calls]
            size = np.full((steps + 1, len(names)), np.nan)
            change = np.full((steps + 1, len(names)), np.nan)
        if not math.isfinite(float(value.detach())) or len(rec) != len(names):
            break
        size[t], change[t] = [r[0] for r in rec], [r[1] for r in rec]
        if t < steps:
            opt.zero_grad()
            value.backward()
            opt.step()
    return names, size, change


def coordcheck(build: Callable[[int], Any], widths: Sequence[int], batch: Any,
               loss: Loss = "xent", optimizer: str | Callable[[Any], Any] = "sgd",
               lr: float | None = None, steps: int = 3, seeds: int = 1, statistic: str = "l1",
               modules: Any = WEIGHTED, expect: Mapping[str, tuple[float, float]] | None = None,
               tol: float = 0.1, seed: int = 0) -> TorchCoordCheck:
    """Coordinate check of a torch model family; see the module docstring.

    Parameters
    ----------
    build : width -> nn.Module
    batch : ``(x, y)`` for the built-in losses; anything ``forward`` takes for ``"forward"``
    optimizer : ``"sgd"``, ``"adam"`` (torch.optim, rate ``lr``) or ``model -> optimizer``
        (e.g. ``lambda m: mup.MuAdam(m.parameters(), lr=1e-3)``)
    modules : which modules to record (:func:`initlab.torch.hooks.selector`)
    expect : ``{module name: (exponent of the size at init, exponent of the change)}``;
        unlisted modules are expected flat (0, 0)
    """
    ws = check_widths(widths)
    steps = check_positive_int(steps, "number of steps")
    seeds = check_positive_int(seeds, "number of seeds")
    check_statistic(statistic)
    names: list[str] = []
    size = change = np.empty(0)
    for i, w in enumerate(ws):
        for s in range(seeds):
            state = int(np.random.SeedSequence([seed, w, s]).generate_state(1)[0])
            with seeded(state):
                model = check_model(build(w))
                model.train()
                opt = _optimizer(optimizer, lr, model)
                n, sz, ch = train_one(model, batch, loss, opt, steps, statistic, modules)
            if not names:
                names = n
                size = np.full((len(ws), steps + 1, len(n), seeds), np.nan)
                change = np.full_like(size, np.nan)
            if n != names:
                raise InitlabError(f"the model at width {w} records modules {n}, the first width "
                                   f"recorded {names}: build(width) must keep the layer names")
            size[i, :, :, s], change[i, :, :, s] = sz, ch
    config = {"widths": list(ws), "steps": steps, "seeds": seeds, "statistic": statistic,
              "tol": tol, "optimizer": optimizer if isinstance(optimizer, str) else "custom",
              "loss": loss if isinstance(loss, str) else "custom"}
    return TorchCoordCheck(config, names, size, change, dict(expect or {}))


class TorchCoordCheck(Report):
    """Rows per (module, step) like :class:`initlab.experiments.coordcheck.CoordCheckResult`."""

    title = "initlab coordcheck (PyTorch)"

    def __init__(self, config: dict[str, Any], layers: list[str], size: Array, change: Array,
                 expect: dict[str, tuple[float, float]]) -> None:
        self.config, self.layers, self.size, self.change = config, layers, size, change
        self.expect = expect
        self.rows = []
        for t in range(size.shape[1]):
            for l, name in enumerate(layers):
                e = expect.get(name, (0.0, 0.0))
                v, p = (size, e[0]) if t == 0 else (change, e[1])
                self.rows.append({"layer": name, "step": t, "quantity": "size" if t == 0 else
                                  "change", "statistic": config["statistic"]}
                                 | fit_row(config["widths"], v[:, t, l, :], p, config["tol"]))

    @property
    def ok(self) -> bool:
        """True when every row is as predicted or an expected exception."""
        return all(r["verdict"] in VERDICT_OK for r in self.rows)

    def to_json(self) -> dict[str, Any]:
        """``{"rows": [...], "runs": [...], "config": {...}, "ok": bool}``."""
        runs = []
        for i, w in enumerate(self.config["widths"]):
            for s in range(self.size.shape[3]):
                sz = self.size[i, :, :, s]
                runs.append({"width": w, "seed": s, "layers": self.layers,
                             "status": "trained" if np.all(np.isfinite(sz)) else "diverged",
                             "size": finite_rows(sz), "change": finite_rows(self.change[i, :, :, s])})
        return {"rows": self.rows, "runs": runs, "config": self.config, "ok": self.ok}

    def figures(self) -> dict[str, Plot]:
        """One log-log figure: a panel per step, a line per module."""
        stack = np.concatenate([self.size[:, :1], self.change[:, 1:]], axis=1)
        return {"coordcheck_torch": Plot("coordcheck", {
            "widths": self.config["widths"], "layers": self.layers, "values": stack,
            "title": "t=0 size, t>=1 change since init", "statistic": self.config["statistic"]})}

    def sections(self) -> list[Section]:
        """The verdict table and the figure."""
        table = Table(["module", "step", "quantity", "slope", "CI low", "CI high", "predicted",
                       "verdict"],
                      [[r["layer"], r["step"], r["quantity"], r["slope"], r["ci_low"],
                        r["ci_high"], r["predicted"], r["verdict"]] for r in self.rows],
                      fmt="{:+.3f}")
        return [Section("Coordinate check", tables=[table],
                        images=[Image("coordcheck_torch", "statistic vs width, log-log")],
                        id="summary")]

