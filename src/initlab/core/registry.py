"""One registry type for every named thing (initializers, activations, heads, optimizers, datasets).

A :class:`Registry` maps names to *factories* (callables that build the object, possibly from
keyword parameters). It gives every kind the same rules:

* one name normalisation (:meth:`Registry.key`): case-insensitive, ``-`` read as ``_``,
  aliases resolved;
* one spec syntax, ``NAME[:key=value,...]`` (parsed by :func:`initlab.core.params.split_spec`),
  with the parameters checked against the factory's signature;
* one error for an unknown name, listing the valid names and suggesting the closest.

Examples
--------
>>> shapes = Registry[str]("shape", aliases={"box": "square"})
>>> shapes.add("square", lambda side=1: f"square {side}")  # doctest: +ELLIPSIS
<function <lambda> at ...>
>>> shapes.get("Box:side=3")
'square 3'
>>> shapes.get("squre")
Traceback (most recent call last):
...
initlab.core.errors.InitlabError: unknown shape 'squre'; valid: box, square; did you mean 'square'?
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar

from initlab.core.errors import InitlabError, normalise, unknown_name
from initlab.core.params import split_spec

__all__ = ["Registry", "normalise", "unknown_name"]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


class _Constant(Generic[T]):
    """A factory without parameters that always returns the same object."""

    def __init__(self, obj: T) -> None:
        self.obj = obj

    def __call__(self) -> T:
        return self.obj


def _same(value: Any) -> Any:
    """``1`` and ``1.0`` are one value; booleans and text stay as they are."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**53:
        return float(value)
    return value


class Registry(Generic[T]):
    """Named factories of ``T`` with aliases, spec parsing and helpful errors.

    Parameters
    ----------
    kind : str
        What the registry holds, for messages (``"initializer"``, ``"output head"``).
    aliases : mapping of str to str, optional
        Extra names, each pointing at a registered name.
    instance_of : type or tuple of type, optional
        Objects of this type given to :meth:`get` are returned unchanged.
    """

    def __init__(
        self,
        kind: str,
        aliases: Mapping[str, str] | None = None,
        instance_of: type | tuple[type, ...] | None = None,
    ) -> None:
        self.kind = kind
        self.aliases: dict[str, str] = dict(aliases or {})
        self.instance_of = instance_of
        self._factories: dict[str, Callable[..., T]] = {}

    # --- filling ---------------------------------------------------------------------------

    def add(self, name: str, factory: F) -> F:
        """Register ``factory`` (called with the spec's parameters) under ``name``; return it."""
        key = normalise(name)
        if key in self._factories or key in self.aliases:
            raise ValueError(f"{self.kind} {key!r} registered twice")
        self._factories[key] = factory
        return factory

    def register(self, factory: F) -> F:
        """Decorator form of :meth:`add`, named by the factory's ``__name__``."""
        return self.add(factory.__name__, factory)

    def add_value(self, name: str, obj: T) -> T:
        """Register a ready object: :meth:`get` returns this very object, without parameters."""
        self.add(name, _Constant(obj))
        return obj

    # --- reading ---------------------------------------------------------------------------

    def key(self, name: str) -> str:
        """The registered name that ``name`` means (normalised, alias resolved), or raise."""
        if not isinstance(name, str):
            raise InitlabError(f"{self.kind} name must be a string, got {name!r}")
        key = normalise(name)
        key = self.aliases.get(key, key)
        if key not in self._factories:
            raise unknown_name(self.kind, name, self.names())
        return key

    def factory(self, name: str) -> Callable[..., T]:
        """The factory registered under ``name`` (or an alias of it)."""
        return self._factories[self.key(name)]

    def parameters(self, name: str) -> list[str]:
        """The keyword parameters the factory of ``name`` accepts, in signature order."""
        f = self._factories[self.key(name)]
        if isinstance(f, _Constant):
            return []
        return [
            p.name
            for p in inspect.signature(f).parameters.values()
            if not p.name.startswith("_") and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    def parse(self, spec: str) -> tuple[str, dict[str, Any]]:
        """Split ``"NAME:k=v,..."`` into the registered name and its parameters."""
        if not isinstance(spec, str):
            raise InitlabError(f"{self.kind} must be a name, got {spec!r}")
        name, params = split_spec(spec)
        return self.key(name), params

    def get(self, spec: str | T, **params: Any) -> T:
        """Build the object a spec names: ``get("normal:std=0.01")``, ``get("adam", beta1=0.8)``.

        Keyword ``params`` override those in the spec. An object of ``instance_of`` is returned
        as it is (parameters are refused). Unknown names and parameters raise
        :class:`~initlab.core.errors.InitlabError` listing the valid ones.
        """
        if not isinstance(spec, str):
            if self.instance_of is None or not isinstance(spec, self.instance_of):
                raise InitlabError(f"{self.kind} must be a name, got {spec!r}")
            if params:
                raise InitlabError(f"parameters cannot be applied to a ready {self.kind}")
            return spec
        key, parsed = self.parse(spec)
        merged = {**parsed, **params}
        allowed = self.parameters(key)
        unknown = sorted(set(merged) - set(allowed))
        if unknown:
            takes = ", ".join(allowed) if allowed else "none"
            raise InitlabError(f"{self.kind} {key!r} does not take {unknown}; valid: {takes}")
        return self._factories[key](**merged)

    def canonical(self, spec: str) -> str:
        """One text per meaning: ``"HE"``, ``"kaiming_normal"`` and ``"he_normal"`` all give
        ``"he_normal"``; parameters sorted by name, values as parsed (``0.10`` reads as ``0.1``).

        For finding repeated entries in lists and grids; the spec is parsed, not built.
        """
        key, params = self.parse(spec)
        items = ",".join(f"{k}={_same(params[k])!r}" for k in sorted(params))
        return f"{key}:{items}" if items else key

    def names(self, aliases: bool = True) -> list[str]:
        """Sorted registered names, with the aliases unless ``aliases=False``."""
        return sorted([*self._factories, *self.aliases] if aliases else self._factories)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        key = normalise(name)
        return self.aliases.get(key, key) in self._factories

    def __iter__(self) -> Iterator[str]:
        return iter(self._factories)

    def __len__(self) -> int:
        return len(self._factories)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self)} names)"
