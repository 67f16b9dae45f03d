"""Errors and input checks shared by the whole package.

Every user-facing error is an :class:`InitlabError` (a ``ValueError``), so the CLI can turn it
into one line on stderr, and library users can catch one type.
"""

from __future__ import annotations

import difflib
import math
import os
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

T = TypeVar("T")


class InitlabError(ValueError):
    """A bad input or an impossible request, with a message that names the bad value."""


class Diverged(InitlabError):
    """Training produced a non-finite value: the run's own failure, not the request's.

    Raised by every engine (:func:`initlab.engines.base.diverged`); sweeps record it as the run's
    outcome instead of stopping. ``step`` is the first step whose value was not finite.
    """

    def __init__(self, message: str, step: int) -> None:
        super().__init__(message)
        self.step = step


def normalise(name: str) -> str:
    """The one name normalisation of every registry: strip, lower case, ``-`` read as ``_``."""
    return name.strip().lower().replace("-", "_")


def unknown_name(kind: str, name: object, valid: list[str]) -> InitlabError:
    """The error for an unregistered name: the valid names, then the closest ones."""
    msg = f"unknown {kind} {name!r}; valid: {', '.join(valid) or 'none'}"
    close = difflib.get_close_matches(normalise(name), valid, n=2) if isinstance(name, str) else []
    if close:
        msg += f"; did you mean {' or '.join(repr(c) for c in close)}?"
    return InitlabError(msg)


def lookup(registry: Mapping[str, T], name: str, kind: str) -> T:
    """Return ``registry[name]`` or raise :func:`unknown_name`'s error.

    For plain dicts; :class:`initlab.core.registry.Registry` is the full form (aliases, specs).

    Parameters
    ----------
    registry : mapping of str to object
        The plain dict a module keeps its named objects in.
    name : str
        The name asked for, read through :func:`normalise`.
    kind : str
        What the registry holds, for the message (e.g. ``"engine"``).
    """
    if not isinstance(name, str):
        raise InitlabError(f"{kind} name must be a string, got {name!r}")
    key = normalise(name)
    if key in registry:
        return registry[key]
    raise unknown_name(kind, name, sorted(registry))


def check_choice(value: str, allowed: Iterable[str], what: str) -> str:
    """Raise unless ``value`` is one of ``allowed``; return it."""
    allowed = list(allowed)
    if value not in allowed:
        raise InitlabError(f"invalid {what} {value!r}; valid: {', '.join(allowed)}")
    return value


def check_positive_int(value: Any, what: str, minimum: int = 1) -> int:
    """Return ``value`` as an int, raising unless it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InitlabError(f"{what} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise InitlabError(f"{what} must be an integer >= {minimum}, got {value}")
    return int(value)


def check_positive_float(value: Any, what: str, allow_zero: bool = False) -> float:
    """Return ``value`` as a float, raising unless it is finite and > 0 (or >= 0).

    Booleans, strings and integers beyond float64's range are refused with the same error.
    """
    x = as_float(value, what)
    if not math.isfinite(x) or x < 0 or (x == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise InitlabError(f"{what} must be finite and {bound}, got {value!r}")
    return x


def as_float(value: Any, what: str) -> float:
    """``float(value)`` for a real number (not a bool, not a string), else :class:`InitlabError`.

    An integer too large for a float64 (``10**400``) is refused instead of raising OverflowError.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InitlabError(f"{what} must be a number, got {value!r}")
    try:
        return float(value)
    except OverflowError:
        raise InitlabError(f"{what} is out of float64's range, got {str(value)[:20]}...") from None


#: Refuse work whose arrays would need more than this share of physical memory.
MEMORY_SHARE = 0.5


def physical_memory() -> int:
    """Bytes of physical memory (16 GiB where the platform does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 16 * 2**30


def check_memory(need: int, what: str, advice: str, share: float = MEMORY_SHARE) -> None:
    """Refuse, before allocating, work that needs more than ``share`` of physical memory.

    The message names the estimate, the machine's memory and ``advice`` (what to make smaller).
    """
    total = physical_memory()
    if need > share * total:
        raise InitlabError(
            f"{what} needs about {_gib(need)} but the machine has {_gib(total)}; {advice}"
        )


def _gib(n: float) -> str:
    return f"{n / 2**30:.1f} GiB" if n < 2**70 else f"{n / 2**30:.3g} GiB"


def check_layer_dims(dims: Iterable[Any]) -> tuple[int, ...]:
    """Validate layer sizes ``[n_x, n_1, ..., n_L]``: at least two, each a positive int."""
    dims = tuple(dims)
    if len(dims) < 2:
        raise InitlabError(f"layer sizes need an input and an output size, got {list(dims)}")
    for i, d in enumerate(dims):
        if isinstance(d, bool) or not isinstance(d, int | np.integer) or d < 1:
            raise InitlabError(f"layer size {i} must be a positive integer, got {d!r}")
    return tuple(int(d) for d in dims)


def check_data(X: Any, Y: Any | None = None, name: str = "X") -> tuple[NDArray[np.float64], Any]:
    """Validate a data matrix (features in rows, examples in columns) and optional labels.

    Parameters
    ----------
    X : array-like of shape (n_x, m)
    Y : array-like of shape (n_y, m), optional

    Returns
    -------
    X : ndarray of shape (n_x, m), float64
    Y : ndarray of shape (n_y, m), float64, or None
    """
    Xa = np.asarray(X, dtype=np.float64) if _numeric(X) else None
    if Xa is None or Xa.ndim != 2 or Xa.shape[1] == 0 or Xa.shape[0] == 0:
        shape = getattr(X, "shape", None)
        raise InitlabError(f"{name} must be a non-empty 2-D numeric array (n_x, m), got shape {shape}")
    if not np.all(np.isfinite(Xa)):
        bad = int(np.size(Xa) - np.count_nonzero(np.isfinite(Xa)))
        raise InitlabError(f"{name} contains {bad} NaN or infinite value(s)")
    if Y is None:
        return Xa, None
    Ya = np.asarray(Y, dtype=np.float64) if _numeric(Y) else None
    if Ya is None or Ya.ndim != 2 or Ya.shape[1] != Xa.shape[1]:
        shape = getattr(Y, "shape", None)
        raise InitlabError(
            f"labels must be a 2-D array (n_y, {Xa.shape[1]}) matching {name}'s "
            f"{Xa.shape[1]} examples, got shape {shape}"
        )
    if not np.all(np.isfinite(Ya)):
        raise InitlabError("labels contain NaN or infinite values")
    return Xa, Ya


def _numeric(a: Any) -> bool:
    try:
        arr = np.asarray(a)
    except (TypeError, ValueError):
        return False
    return arr.dtype.kind in "biuf"
