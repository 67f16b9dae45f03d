"""Atomic file writes: a failure never leaves a half-written result behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from initlab.core.errors import InitlabError


def check_folder_name(path: str | Path) -> Path:
    """``path`` as a Path, refusing an empty name (``Path("")`` is the working folder, so
    ``--out ''`` would scatter results among the user's own files)."""
    if not str(path).strip():
        raise InitlabError("output folder name is empty: give a folder such as --out results")
    return Path(path)


def ensure_dir(path: str | Path) -> Path:
    """Create ``path`` (and parents) if needed; raise a clear error if it cannot be written."""
    p = check_folder_name(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InitlabError(f"cannot create output folder {str(p)!r}: {e.strerror or e}") from None
    if not p.is_dir() or not os.access(p, os.W_OK):
        raise InitlabError(f"output folder {str(p)!r} is not a writable directory")
    return p


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to a temp file beside ``path``, fsync it, then rename it into place."""
    p = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    except OSError as e:
        raise InitlabError(f"cannot write {str(p)!r}: {e.strerror or e}") from None
    try:
        # mkstemp makes 0600 files; results are ordinary files, so honour the umask instead
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except OSError as e:  # a failed write names no file (a full disk): name it here
        Path(tmp).unlink(missing_ok=True)
        raise InitlabError(f"cannot write {str(p)!r}: {e.strerror or e}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | Path, text: str) -> Path:
    """UTF-8 text version of :func:`atomic_write_bytes`."""
    return atomic_write_bytes(path, text.encode("utf-8"))
