"""``initlab inspect``: audit, initialize, LSUV and measure a PyTorch model (``initlab[torch]``).

    initlab inspect MODEL [--input-shape 32,3,64,64 | --batch FILE] [--init RULES.toml] [--lsuv]
                          [--seed S] [--out DIR] [--json]

MODEL is ``path/to/file.py:name`` or ``package.module:name``; ``name`` is an ``nn.Module`` or a
callable that returns one when called without arguments. RULES.toml holds ``[[rule]]`` tables
with ``match`` and one spec per parameter name (``weight = "he_normal:mode=fan_out"``).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

import click

from initlab.core.errors import InitlabError


def load_model(target: str, seed: int = 0) -> Any:
    """The module named by ``file.py:name`` or ``package.module:name``; a factory is called with
    torch's RNG seeded from ``seed`` (in a fork of it), so its default initialization is the same
    on every run."""
    path, sep, attr = target.rpartition(":")
    if not sep or not path or not attr:
        raise InitlabError(f"MODEL must be path/to/file.py:name or package.module:name, got {target!r}")
    if path.endswith(".py"):
        file = Path(path)
        if not file.is_file():
            raise InitlabError(f"model file {path!r} does not exist")
        spec = importlib.util.spec_from_file_location(f"initlab_user_{file.stem}", file)
        if spec is None or spec.loader is None:
            raise InitlabError(f"cannot import {path!r}")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod
        spec.loader.exec_module(mod)
    else:
        try:
            mod = importlib.import_module(path)
        except ImportError as e:
            raise InitlabError(f"cannot import module {path!r}: {e}") from None
    if not hasattr(mod, attr):
        raise InitlabError(f"{path!r} has no attribute {attr!r}")
    obj = getattr(mod, attr)
    from initlab.torch._base import nn, seeded

    if not isinstance(obj, nn.Module) and callable(obj):
        try:
            with seeded(seed):
                obj = obj()
        except TypeError as e:
            raise InitlabError(f"{target} must be an nn.Module or callable without arguments: {e}") from None
    if not isinstance(obj, nn.Module):
        raise InitlabError(f"{target} is not a torch.nn.Module nor returns one (got {type(obj).__name__})")
    return obj


def load_rules(path: str) -> list[dict[str, Any]]:
    """The ``[[rule]]`` tables of a TOML file."""
    import tomllib

    try:
        doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise InitlabError(f"{path}: not valid TOML: {e}") from None
    rules = doc.get("rule")
    if not isinstance(rules, list) or not rules:
        raise InitlabError(f"{path}: no [[rule]] tables (each with match and e.g. weight = \"he_normal\")")
    return rules


def make_batch(model: Any, shape: str | None, file: str | None, seed: int) -> Any:
    """A standard-normal batch of ``shape`` (private generator, the model's dtype) or a saved one."""
    from initlab.torch._base import torch

    if (shape is None) == (file is None):
        raise InitlabError("give exactly one of --input-shape (e.g. 32,3,64,64) and --batch FILE")
    if file is not None:
        return _read_batch(file)
    try:
        dims = tuple(int(s) for s in shape.split(","))  # type: ignore[union-attr]
    except ValueError:
        raise InitlabError(f"--input-shape must be integers like 32,3,64,64, got {shape!r}") from None
    if not dims or min(dims) < 1:
        raise InitlabError(f"--input-shape sizes must be >= 1, got {shape!r}")
    p = next(iter(model.parameters()), None)
    dtype = p.dtype if p is not None and p.is_floating_point() else torch.float32
    return torch.randn(dims, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _read_batch(file: str) -> Any:
    from initlab.torch._base import torch

    path = Path(file)
    if not path.is_file():
        raise InitlabError(f"batch file {file!r} does not exist")
    if path.suffix in (".npy", ".npz"):
        import numpy as np

        data = np.load(path, allow_pickle=False)
        arr = data[data.files[0]] if path.suffix == ".npz" else data
        return torch.from_numpy(np.ascontiguousarray(arr))
    if path.suffix == ".pt":
        return torch.load(path, weights_only=True)
    raise InitlabError(f"batch file must be .pt, .npy or .npz, got {file!r}")


def _fmt(v: Any) -> str:
    return "-" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v)


@click.command("inspect")
@click.argument("model_path", metavar="MODEL")
@click.option("--input-shape", default=None, help="Random standard-normal batch of this shape, e.g. 32,3,64,64.")
@click.option("--batch", "batch_file", default=None, help="A saved batch (.pt, .npy, .npz).")
@click.option("--init", "rules_file", default=None, help="TOML file of [[rule]] tables for init_.")
@click.option("--lsuv", is_flag=True, help="Run LSUV (orthonormal pre-init) before measuring.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--out", type=click.Path(file_okay=False), help="Write index.html, results.json and figures.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON on stdout.")
def inspect(model_path: str, input_shape: str | None, batch_file: str | None, rules_file: str | None,
            lsuv: bool, seed: int, out: str | None, as_json: bool) -> None:
    """Audit a PyTorch model's parameters and measure every layer on a batch, with verdicts."""
    from initlab.core.errors import check_positive_int

    check_positive_int(seed, "seed", minimum=0)
    from initlab.torch.report import inspect as run  # raises the install hint without torch

    rules = load_rules(rules_file) if rules_file else None
    model = load_model(model_path, seed)
    batch = make_batch(model, input_shape, batch_file, seed)
    config = {"model": model_path, "input_shape": input_shape, "batch": batch_file, "init": rules_file,
              "lsuv": lsuv, "seed": seed}
    result = run(model, batch, rules, lsuv, seed, bins=30 if out else 0, config=config)
    if out:
        from initlab.output.bundle import write_bundle

        write_bundle(result, out)
    if as_json:
        from initlab.output.bundle import to_json_text

        click.echo(to_json_text(result.to_json()), nl=False)
        return
    _print(result)
    if out:
        click.echo(f"\nwrote {Path(out) / 'index.html'}")


def _print(result: Any) -> None:
    from initlab.cli.histograms import text_table

    unexplained = [a.name for a in result.parameters if a.scheme is None]
    click.echo(f"{len(result.parameters)} parameters; unexplained by any registered scheme: "
               f"{', '.join(unexplained) or 'none'}")
    if result.lsuv is not None:
        ok = sum(r.converged for r in result.lsuv)
        click.echo(f"LSUV: {ok}/{len(result.lsuv)} layers within tolerance")
    headers = ("#", "name", "module", "call", "mean", "std", "sample spread", "saturated", "zero",
               "dead", "distinct", "grad std", "verdict")
    click.echo(text_table(headers, [[_fmt(c) for c in row] for row in result.layer_rows()]))
    click.echo("")
    click.echo(result.verdict.summary)
    click.echo(result.verdict.theory)
