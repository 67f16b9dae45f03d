"""The hook mechanism every measurement of :mod:`initlab.torch` runs on (public, reused by
``coordcheck``).

:func:`watch` registers one forward hook per selected module for the duration of a ``with`` block.
Each *call* of a selected module (a module called twice is seen twice) gets a :class:`Call` and its
primary output (the first floating-point tensor of a tensor, tuple, list or dict output). The
``on_forward(call, output)`` callback runs right after the module's forward; with ``on_backward``,
a tensor hook on that output delivers ``dL/d output`` as ``on_backward(call, grad)`` during
backward. Callbacks should reduce what they get to small statistics at once: nothing here keeps a
tensor, so a measurement holds one layer's values at a time. Every hook is removed on exit, also
when the block raises.

:func:`run_forward` calls the model and turns a failure inside it into an
:class:`~initlab.core.errors.InitlabError` naming the innermost module that failed.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from initlab.core.errors import InitlabError
from initlab.torch._base import call_model, nn, tensors_in, unit_dim


@dataclass(frozen=True)
class Call:
    """One call of a module: its execution ``index`` (0-based, over all selected calls), qualified
    ``name`` (``"(model)"`` for the root), the ``module`` itself, ``call`` (1-based count of this
    module's calls) and ``unit_dim``, the output dimension holding its units."""

    index: int
    name: str
    module: Any
    call: int
    unit_dim: int

    @property
    def kind(self) -> str:
        """The module's class name (``"Conv2d"``)."""
        return type(self.module).__name__


Select = str | tuple[type, ...] | Callable[[str, Any], bool] | None


def selector(select: Select) -> Callable[[str, Any], bool]:
    """A predicate ``(name, module) -> bool`` from a selection.

    ``None``: leaf modules (no children) and ``nn.MultiheadAttention`` (whose ``out_proj`` is never
    called as a module); a tuple of module types; a regular expression matched in full against the
    class name or the qualified name; or a callable.
    """
    if select is None:
        return lambda name, m: not any(True for _ in m.children()) or isinstance(m, nn.MultiheadAttention)
    if isinstance(select, tuple):
        return lambda name, m: isinstance(m, select)
    if isinstance(select, str):
        try:
            pat = re.compile(select)
        except re.error as e:
            raise InitlabError(f"modules pattern {select!r} is not a regular expression: {e}") from None
        return lambda name, m: bool(pat.fullmatch(type(m).__name__) or pat.fullmatch(name))
    if callable(select):
        return select
    raise InitlabError(f"modules must be None, a pattern, a tuple of module types or a callable, "
                       f"got {select!r}")


def display_name(name: str) -> str:
    return name or "(model)"


@contextlib.contextmanager
def watch(
    model: Any,
    on_forward: Callable[[Call, Any], None],
    on_backward: Callable[[Call, Any], None] | None = None,
    select: Select = None,
) -> Iterator[list[Call]]:
    """Observe every call of the selected modules while the block runs; yields the calls so far.

    ``on_forward`` may not replace the output (hooks here only read); see the module docstring.
    """
    keep = selector(select)
    calls: list[Call] = []
    counts: dict[str, int] = {}
    handles = []
    last_dim: list[int | None] = [None]

    def make(name: str) -> Callable[..., None]:
        def hook(module: Any, args: Any, output: Any) -> None:
            found = tensors_in(output)
            if not found:
                return
            out = found[0]
            counts[name] = counts.get(name, 0) + 1
            dim = unit_dim(module, out, last_dim[0])
            last_dim[0] = dim
            c = Call(len(calls), display_name(name), module, counts[name], dim)
            calls.append(c)
            on_forward(c, out)
            if on_backward is not None and out.requires_grad:
                out.register_hook(lambda g, c=c: on_backward(c, g))

        return hook

    try:
        for name, m in model.named_modules():
            if keep(name, m):
                handles.append(m.register_forward_hook(make(name)))
        yield calls
    finally:
        for h in handles:
            h.remove()


def run_forward(model: Any, batch: Any) -> Any:
    """``model(batch)``; an exception inside becomes an InitlabError naming the innermost module
    that was running and its message (the model and batch do not fit).

    The failing module is read from the exception's traceback (the innermost frame whose ``self``
    is one of the model's modules), so a forward that succeeds costs nothing extra.
    """
    try:
        return call_model(model, batch)
    except (RuntimeError, ValueError, TypeError, IndexError, AssertionError) as e:
        if isinstance(e, InitlabError):
            raise
        name, module = _failing_module(model, e)
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise InitlabError(f"the batch does not fit the model: module {display_name(name)} "
                           f"({type(module).__name__}) failed: {first}") from e


def _failing_module(model: Any, e: BaseException) -> tuple[str, Any]:
    """The qualified name and module of the innermost traceback frame run by one of ``model``'s
    modules (a frame whose ``self`` is that module), else the model itself."""
    names = {id(m): (n, m) for n, m in model.named_modules()}
    found = ("", model)
    tb = e.__traceback__
    while tb is not None:
        owner = tb.tb_frame.f_locals.get("self")
        if id(owner) in names and names[id(owner)][1] is owner:
            found = names[id(owner)]
        tb = tb.tb_next
    return found
