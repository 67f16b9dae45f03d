"""The results store: one SQLite file holding every finished run, its metrics and its arrays.

Layout (schema version 1)::

    meta(key, value)                 application, schema version, initlab version
    sweeps(name, spec)               the validated spec of each sweep written here
    runs(run_id PRIMARY KEY, config, dataset, init, activation, depth, width, optimizer,
         learning_rate, seed, status, final_cost, train_accuracy, test_accuracy,
         steps_to_threshold, seconds, engine)      the result columns are RunResult's fields
    arrays(run_id, name, dtype, shape, data)   cost curve and per-layer statistics

Rules that make resume exact:

* A run's row and its arrays are written in one transaction (SQLite's journal makes it atomic and
  durable), so after a crash a run is either fully stored or absent, never half-written.
* ``run_id`` is the primary key, so a run is never stored twice.
* Only the sweep driver writes. A second writer is refused: :meth:`Store.lock` takes an OS lock
  on ``<store>.lock`` that the kernel releases when its process dies, even by ``kill -9``, so a
  crashed sweep never leaves a stale lock behind. Readers (report, export) need no lock.
* The lock is taken before the file is created, and a file with no database in it yet (a crash
  during creation) becomes a new store; nothing is ever deleted.
* The path is the file: it is percent-encoded into SQLite's URI (``?``, ``#``, ``%``).
* Rows are checked when read: a corrupt one is an error naming the run and the column.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Self

import numpy as np

from initlab import __version__
from initlab.core.errors import InitlabError
from initlab.sweep.run import STATUSES, RunResult

SCHEMA_VERSION = 1
#: PRAGMA application_id of an initlab store ("INLB").
APPLICATION_ID = 0x494E4C42
#: Columns read off the run's :class:`~initlab.sweep.run.RunConfig` (the whole config is the JSON
#: ``config`` column; these are its searchable part).
CONFIG_COLUMNS: dict[str, str] = {
    "dataset": "TEXT NOT NULL", "init": "TEXT NOT NULL", "activation": "TEXT NOT NULL",
    "depth": "INTEGER NOT NULL", "width": "INTEGER NOT NULL", "optimizer": "TEXT NOT NULL",
    "learning_rate": "REAL NOT NULL", "seed": "INTEGER NOT NULL",
}
#: Config keys kept only inside ``config`` (the CSV export spreads them out).
CONFIG_ONLY = ("num_iterations", "record_every", "threshold", "base_seed")
#: The result columns: the scalar fields of :class:`~initlab.sweep.run.RunResult`.
RESULT_COLUMNS: dict[str, str] = dict(RunResult.columns())
RUN_COLUMNS = ("run_id", "config", *CONFIG_COLUMNS, *RESULT_COLUMNS)
_RUNS_DDL = ",\n  ".join(
    ["run_id TEXT PRIMARY KEY", "config TEXT NOT NULL",
     *(f"{k} {t}" for k, t in {**CONFIG_COLUMNS, **RESULT_COLUMNS}.items())])
_SCHEMA = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sweeps (name TEXT PRIMARY KEY, spec TEXT NOT NULL);
CREATE TABLE runs (
  {_RUNS_DDL}
);
CREATE TABLE arrays (
  run_id TEXT NOT NULL REFERENCES runs(run_id), name TEXT NOT NULL, dtype TEXT NOT NULL,
  shape TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (run_id, name)
);
"""


class Store:
    """An open initlab store. Use :func:`open_store`; close it (or use ``with``) when done."""

    def __init__(self, path: Path, conn: sqlite3.Connection, readonly: bool,
                 lock_fd: int | None = None) -> None:
        self.path = path
        self.readonly = readonly
        self._conn = conn
        self._lock_fd = lock_fd

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the database and release the writer lock if held."""
        self._conn.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- writing --------------------------------------------------------------------------
    def lock(self) -> None:
        """Become the store's only writer, or raise naming the process that is."""
        if self._lock_fd is None:
            self._lock_fd = _take_lock(self.path)

    def record_sweep(self, name: str, spec: dict[str, Any]) -> None:
        """Remember the spec of a sweep written to this store (replacing one of the same name)."""
        text = json.dumps(spec, sort_keys=True)
        with self._write():
            self._conn.execute("INSERT OR REPLACE INTO sweeps VALUES (?, ?)", (name, text))

    def add(self, items: Iterable[tuple[Any, RunResult | Mapping[str, Any]]]) -> int:
        """Store ``(RunConfig, RunResult)`` pairs in one transaction; returns how many were new.

        A result may also be a mapping of the :class:`RunResult` fields (``run_id`` aside).
        """
        added = 0
        with self._write():
            for config, given in items:
                result = (given if isinstance(given, RunResult)
                          else RunResult.from_dict(config.run_id, given))
                cur = self._conn.execute(
                    f"INSERT OR IGNORE INTO runs VALUES ({', '.join('?' * len(RUN_COLUMNS))})",
                    _row(config, result))
                if cur.rowcount == 1:
                    added += 1
                    self._conn.executemany(
                        "INSERT INTO arrays VALUES (?, ?, ?, ?, ?)",
                        [_array_row(config.run_id, k, v) for k, v in result.arrays.items()])
        return added

    @contextlib.contextmanager
    def _write(self) -> Iterator[None]:
        if self.readonly:
            raise InitlabError(f"store {str(self.path)!r} was opened read-only")
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
                self._conn.execute("COMMIT")
            except BaseException:
                # SQLite has already rolled back after some errors (a full disk, for one).
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
        except (sqlite3.Error, OverflowError) as e:  # OverflowError: an int beyond SQLite's
            raise InitlabError(f"cannot write store {str(self.path)!r}: {e}; nothing was "
                               "stored from this batch") from None

    # -- reading --------------------------------------------------------------------------
    def run_ids(self) -> set[str]:
        """Ids of every stored run."""
        return {r[0] for r in self._query("SELECT run_id FROM runs")}

    def runs(self) -> list[dict[str, Any]]:
        """Every run as a dict of its columns (``config`` parsed), ordered by run id."""
        rows = self._query(f"SELECT {', '.join(RUN_COLUMNS)} FROM runs ORDER BY run_id")
        return [self._checked_run(dict(zip(RUN_COLUMNS, row, strict=True))) for row in rows]

    def _checked_run(self, d: dict[str, Any]) -> dict[str, Any]:
        """A run row with its config parsed, or an error naming the run and the bad column
        (a store edited by hand or damaged on disk must not crash a report)."""
        d["config"] = _json_object(d["config"])
        bad = next((c for c, t in _COLUMN_TYPES.items() if not _fits(d[c], t)), None)
        if d["config"] is None:
            bad = "config"
        elif bad is None and d["status"] not in STATUSES:
            bad = "status"
        if bad is not None:
            raise InitlabError(
                f"store {str(self.path)!r} is corrupt: run {d['run_id']!r} has a bad {bad} "
                f"value {d[bad]!r}; remove that run (or rerun the sweep into a new store)")
        return d

    def arrays(self, run_id: str) -> dict[str, np.ndarray]:
        """The arrays stored with one run."""
        rows = self._query("SELECT name, dtype, shape, data FROM arrays WHERE run_id = ? "
                           "ORDER BY name", (run_id,))
        return {n: np.frombuffer(data, dtype=dt).reshape(json.loads(shape)).copy()
                for n, dt, shape, data in rows}

    def sweeps(self) -> dict[str, dict[str, Any]]:
        """The specs recorded by :meth:`record_sweep`, by name."""
        out = {}
        for name, text in self._query("SELECT name, spec FROM sweeps"):
            spec = _json_object(text)
            if spec is None:
                raise InitlabError(f"store {str(self.path)!r} is corrupt: the spec of sweep "
                                   f"{name!r} is not a JSON object")
            out[name] = spec
        return out

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        try:
            return self._conn.execute(sql, args).fetchall()
        except sqlite3.Error as e:
            raise InitlabError(f"cannot read store {str(self.path)!r}: {e}") from None


#: The SQL type of each run column, for checking rows read back.
_COLUMN_TYPES = {"run_id": "TEXT NOT NULL", **CONFIG_COLUMNS, **RESULT_COLUMNS}
_PY_TYPES: dict[str, tuple[type, ...]] = {"TEXT": (str,), "INTEGER": (int,), "REAL": (int, float)}


def _fits(value: Any, sql_type: str) -> bool:
    if value is None:
        return "NOT NULL" not in sql_type
    return isinstance(value, _PY_TYPES[sql_type.split()[0]])


def _json_object(text: Any) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _row(config: Any, r: RunResult) -> tuple[Any, ...]:
    c = config.canonical()
    searchable = [float(getattr(config, k)) if t.startswith("REAL") else getattr(config, k)
                  for k, t in CONFIG_COLUMNS.items()]
    return (config.run_id, json.dumps(c, sort_keys=True), *searchable, *r.values())


def _array_row(run_id: str, name: str, value: Any) -> tuple[Any, ...]:
    a = np.ascontiguousarray(value)
    a = a.astype(a.dtype.newbyteorder("<"), copy=False)
    return (run_id, name, a.dtype.str, json.dumps(list(a.shape)), a.tobytes())


def _take_lock(path: Path) -> int:
    """The writer lock: an OS lock on ``<store>.lock`` (returns its descriptor), or an error
    naming the process that holds it."""
    import fcntl

    lock_path = Path(str(path) + ".lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise InitlabError(f"cannot create lock file {str(lock_path)!r}: {e.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = os.read(fd, 200).decode("utf-8", "replace").strip() or "another process"
        os.close(fd)
        raise InitlabError(
            f"store {str(path)!r} is in use by another initlab sweep ({holder}); "
            "wait for it to finish (it stores every run it finishes), or use another --store"
        ) from None
    os.ftruncate(fd, 0)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    os.write(fd, f"pid {os.getpid()} on {socket.gethostname()} since {stamp}".encode())
    return fd


def open_store(path: str | Path, create: bool = False, readonly: bool = False) -> Store:
    """Open an initlab store, creating it with ``create=True`` when it does not exist.

    ``create=True`` opens the store as its writer: the writer lock (:meth:`Store.lock`) is taken
    before the file is touched, so two sweeps starting together on a new store never both
    create it, and the loser is refused with the "in use" message having changed nothing. A file
    that holds no database yet (empty, or left so by a crash while it was being created) becomes
    a new store. The path is always the file of that name (``?``, ``#`` and ``%`` included).

    Raises
    ------
    InitlabError
        If the file is missing (and ``create`` is false), is not a regular file or not an SQLite
        database, is an SQLite database of another application, has a newer schema than this
        initlab, or cannot be written when writing is asked for.
    """
    p = Path(path)
    if str(path) == "":
        raise InitlabError("store path is empty: give a file name such as runs.db")
    if p.is_dir():
        raise InitlabError(f"store {str(p)!r} is a directory, not an initlab store file")
    if p.exists() and not p.is_file():
        raise InitlabError(f"store {str(p)!r} is not a regular file, not an initlab store")
    if not p.exists() and not create:
        raise InitlabError(f"store not found: {str(p)!r}")
    lock_fd = _take_lock(p) if create else None  # before creating: a race's loser touches nothing
    conn: sqlite3.Connection | None = None
    try:
        conn = _connect(p, readonly)
        if create and _uninitialised(conn):
            _create(conn)
        _check(conn, p)
        if not readonly:  # fail now, before any training, if the file cannot be written
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        return Store(p, conn, readonly, lock_fd)
    except BaseException as e:
        if conn is not None:
            conn.close()
        if lock_fd is not None:
            os.close(lock_fd)
        if isinstance(e, sqlite3.Error):
            raise InitlabError(f"cannot open store {str(p)!r}: {e}") from None
        raise


def _connect(p: Path, readonly: bool) -> sqlite3.Connection:
    """A connection to exactly the file ``p``: the path is percent-encoded into the URI, so
    ``?``, ``#`` and ``%`` in a file name are part of the name, not URI syntax."""
    uri = f"{p.resolve().as_uri()}?mode={'ro' if readonly else 'rwc'}"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30)
    if readonly and _has_hot_journal(p):
        try:
            conn.execute("PRAGMA schema_version").fetchone()
        except sqlite3.OperationalError as e:
            if "readonly" not in str(e):  # e.g. a live writer's lock: not ours to recover
                conn.close()
                raise
            # A writer died mid-commit and left its rollback journal: a read-only connection
            # may not roll it back. A writable one does that (SQLite's own recovery) on its
            # first read; then read-only reading works again and sees the last commit.
            conn.close()
            _recover(p)
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30)
    return conn


def _has_hot_journal(p: Path) -> bool:
    return Path(str(p) + "-journal").exists()


def _recover(p: Path) -> None:
    if not os.access(p, os.W_OK) or not os.access(p.parent, os.W_OK):
        raise InitlabError(
            f"store {str(p)!r} has an unfinished write from an interrupted sweep (its "
            f"rollback journal {str(p) + '-journal'!r} is left) and this user cannot write the "
            "store to roll it back; the store is not damaged: rerun the sweep, or run this "
            "command as a user who can write it") from None
    conn = sqlite3.connect(p.resolve().as_uri() + "?mode=rw", uri=True, isolation_level=None,
                           timeout=30)
    try:
        conn.execute("PRAGMA schema_version").fetchone()
    finally:
        conn.close()


def _uninitialised(conn: sqlite3.Connection) -> bool:
    """True for a file with no database in it yet: zero bytes, or a database with no tables
    and no initlab marks (what a crash during :func:`_create` leaves once SQLite has rolled its
    transaction back)."""
    try:
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        app = conn.execute("PRAGMA application_id").fetchone()[0]
    except sqlite3.DatabaseError:
        return False  # not an SQLite file: _check says so
    return bool(tables == 0 and app == 0)


def _create(conn: sqlite3.Connection) -> None:
    # One transaction: a crash while creating leaves an empty file, never a half-made store.
    conn.execute("BEGIN IMMEDIATE")
    for statement in filter(str.strip, _SCHEMA.split(";")):
        conn.execute(statement)
    conn.executemany("INSERT INTO meta VALUES (?, ?)", [
        ("application", "initlab"), ("schema_version", str(SCHEMA_VERSION)),
        ("created_by", f"initlab {__version__}")])
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    conn.execute("COMMIT")


def _check(conn: sqlite3.Connection, p: Path) -> None:
    try:
        app = conn.execute("PRAGMA application_id").fetchone()[0]
    except sqlite3.DatabaseError:
        raise InitlabError(f"{str(p)!r} is not an initlab store (not an SQLite database)") from None
    if _uninitialised(conn):
        raise InitlabError(f"store {str(p)!r} is empty, not an initlab store yet (a sweep "
                           "interrupted while creating it leaves such a file; rerunning the "
                           "sweep makes it one)")
    if app != APPLICATION_ID:
        raise InitlabError(f"{str(p)!r} is an SQLite database but not an initlab store")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise InitlabError(
            f"store {str(p)!r} has schema version {version}, newer than this initlab supports "
            f"({SCHEMA_VERSION}); upgrade initlab to read it")
