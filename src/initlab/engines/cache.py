"""Where initlab keeps its caches: one folder, chosen from the environment, never from its state.

The folder is, in order of preference:

1. ``$INITLAB_CACHE_DIR`` when set (the documented override);
2. ``$XDG_CACHE_HOME/initlab`` when ``XDG_CACHE_HOME`` is set;
3. ``~/.cache/initlab`` when the home folder is known;
4. ``<temporary folder>/initlab-<user id>`` where none of the above can be created or written
   (no ``HOME`` in a container, a read-only home).

The compiled engines keep numba's machine code under ``<folder>/numba/<key>``: ``key`` is a
digest of the kernels' source and of the registry modules whose codes and constants they compile
in, so editing either never meets stale machine code (numba itself checks only the kernels'
file). The package folder is never written, so a read-only install works. What is cached changes
only how long a run takes, never its result: the engine is chosen by
:func:`initlab.engines.choose`, which reads no files.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: The environment variable that overrides the cache folder.
ENV = "INITLAB_CACHE_DIR"


def _writable(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK | os.X_OK)


def _candidates() -> list[Path]:
    places = []
    if os.environ.get(ENV):
        return [Path(os.environ[ENV]).expanduser()]
    if os.environ.get("XDG_CACHE_HOME"):
        places.append(Path(os.environ["XDG_CACHE_HOME"]) / "initlab")
    with contextlib.suppress(RuntimeError):  # no HOME and no password-database entry (containers)
        places.append(Path.home() / ".cache" / "initlab")
    return places


def cache_dir() -> Path:
    """initlab's cache folder (created if missing); see the module docstring for the order.

    An explicit ``INITLAB_CACHE_DIR`` that cannot be written is an error rather than silently
    replaced, so a misconfigured override is seen.
    """
    from initlab.core.errors import InitlabError

    places = _candidates()
    for place in places:
        if _writable(place):
            return place
    if os.environ.get(ENV):
        raise InitlabError(f"{ENV}={os.environ[ENV]!r} is not a writable folder")
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    fallback = Path(tempfile.gettempdir()) / f"initlab-{uid}"
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


@functools.cache
def _key() -> str:
    """Digest of the kernels' source and the registry modules they read codes from."""
    from initlab import activations, losses, optim

    h = hashlib.sha256(Path(__file__).with_name("loops.py").read_bytes())
    for mod in (activations, losses, optim):
        h.update(Path(str(mod.__file__)).read_bytes())
    return h.hexdigest()[:16]


def numba_dir() -> Path:
    """Where numba caches the compiled engines' machine code: ``<cache_dir>/numba/<key>``."""
    return cache_dir() / "numba" / _key()


@contextmanager
def numba_location() -> Iterator[Path]:
    """While open, functions compiled with ``cache=True`` are cached under :func:`numba_dir`.

    Numba picks a function's cache folder when the function is decorated, from its
    ``config.CACHE_DIR`` (the value of ``NUMBA_CACHE_DIR``); the previous value is restored on
    exit, so numba code outside initlab keeps its own setting.
    """
    import numba

    path = numba_dir()
    before = numba.config.CACHE_DIR  # type: ignore[attr-defined]
    numba.config.CACHE_DIR = str(path)  # type: ignore[attr-defined]
    try:
        yield path
    finally:
        numba.config.CACHE_DIR = before  # type: ignore[attr-defined]
