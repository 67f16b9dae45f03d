"""The SQLite store: schema checks, atomic runs with their arrays, no duplicates, writer lock."""

from __future__ import annotations

import dataclasses
import os
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest

from initlab.core.errors import InitlabError
from initlab.sweep.run import RunConfig, RunResult
from initlab.sweep.store import APPLICATION_ID, RUN_COLUMNS, SCHEMA_VERSION, open_store

HOLD = ("import time; from initlab.sweep.store import open_store; s = open_store({db!r}); "
        "s.lock(); print('locked', flush=True); time.sleep(60)")


def fake_result(config: RunConfig, n: int = 5) -> dict:
    r = np.random.default_rng(config.seed)
    return {"run_id": config.run_id, "status": "trained", "final_cost": float(r.random()),
            "train_accuracy": 0.9, "test_accuracy": 0.8, "steps_to_threshold": None,
            "seconds": 0.1, "engine": "numpy",
            "arrays": {"iterations": np.arange(n) * 10, "costs": r.random(n),
                       "act_std_init": r.random((3,))}}


def configs(k: int) -> list[RunConfig]:
    return [RunConfig("moons", "he_normal", "relu", (4, 4), seed=s) for s in range(k)]


def test_runs_and_arrays_round_trip_exactly_and_are_never_duplicated(tmp_path):
    cs = configs(3)
    with open_store(tmp_path / "s.db", create=True) as st:
        assert st.add((c, fake_result(c)) for c in cs) == 3
        assert st.add((c, fake_result(c)) for c in cs) == 0
    with open_store(tmp_path / "s.db", readonly=True) as st:
        assert st.run_ids() == {c.run_id for c in cs}
        rows = {r["run_id"]: r for r in st.runs()}
        for c in cs:
            want = fake_result(c)
            got = st.arrays(c.run_id)
            assert got.keys() == want["arrays"].keys()
            for k, v in want["arrays"].items():
                assert got[k].dtype == v.dtype and np.array_equal(got[k], v)
            row = rows[c.run_id]
            assert row["final_cost"] == want["final_cost"] and row["steps_to_threshold"] is None
            assert RunConfig.from_dict(row["config"]) == c
            assert (row["depth"], row["width"]) == (2, 4)


def test_result_columns_are_the_run_result_fields_and_round_trip(tmp_path):
    names = [f.name for f in dataclasses.fields(RunResult)]
    assert RUN_COLUMNS[-len(names) + 3:] == tuple(names[1:-2])  # minus run_id, arrays, params
    assert "engine" in RUN_COLUMNS
    c = configs(1)[0]
    result = RunResult(c.run_id, "diverged", None, None, None, None, 0.25, "batched",
                       {"costs": np.array([1.0, np.inf])})
    with open_store(tmp_path / "s.db", create=True) as st:
        st.add([(c, result)])
        (row,) = st.runs()
        cols = [r[1] for r in st._conn.execute("PRAGMA table_info(runs)")]
    assert tuple(cols) == RUN_COLUMNS
    assert {k: row[k] for k in names[1:-2]} == {k: getattr(result, k) for k in names[1:-2]}


def test_a_failed_write_stores_nothing_of_the_batch(tmp_path):
    cs = configs(40)
    with open_store(tmp_path / "s.db", create=True) as st:
        st.add([(cs[0], fake_result(cs[0]))])
        pages = st._conn.execute("PRAGMA page_count").fetchone()[0]
        st._conn.execute(f"PRAGMA max_page_count = {pages + 1}")  # a disk that is all but full
        big = {c: {**fake_result(c), "arrays": {"x": np.zeros(5000)}} for c in cs[1:]}
        with pytest.raises(InitlabError, match=r"cannot write store.*full.*nothing was stored"):
            st.add(big.items())
        assert st.run_ids() == {cs[0].run_id}
        n_arrays = st._conn.execute("SELECT count(*) FROM arrays").fetchone()[0]
        assert n_arrays == len(fake_result(cs[0])["arrays"])


def test_readonly_store_refuses_writes(tmp_path):
    open_store(tmp_path / "s.db", create=True).close()
    with open_store(tmp_path / "s.db", readonly=True) as st, pytest.raises(InitlabError, match="read-only"):
        st.add([(configs(1)[0], fake_result(configs(1)[0]))])


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: p.write_bytes(b"\x00garbage" * 100), "not an initlab store"),
        (lambda p: sqlite3.connect(p).execute("CREATE TABLE t (x)").connection.commit(),
         "SQLite database but not an initlab store"),
    ],
)
def test_foreign_files_are_refused_and_left_alone(tmp_path, setup, message):
    p = tmp_path / "other.db"
    setup(p)
    before = p.read_bytes()
    with pytest.raises(InitlabError, match=message):
        open_store(p, create=True)
    assert p.read_bytes() == before


def test_missing_store_and_directory(tmp_path):
    with pytest.raises(InitlabError, match="store not found"):
        open_store(tmp_path / "none.db")
    with pytest.raises(InitlabError, match="is a directory"):
        open_store(tmp_path, create=True)
    assert not (tmp_path / "none.db").exists()


def test_new_store_carries_the_schema_version(tmp_path):
    open_store(tmp_path / "s.db", create=True).close()
    con = sqlite3.connect(tmp_path / "s.db")
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert con.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert "run_id" in [r[1] for r in con.execute("PRAGMA table_info(runs)")]
    con.close()


def test_second_writer_is_refused_until_the_first_dies_even_by_kill_9(tmp_path):
    db = tmp_path / "s.db"
    open_store(db, create=True).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD.format(db=str(db))],
        env={**os.environ, "PYTHONPATH": os.path.join(os.path.dirname(__file__), "..", "src")},
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with open_store(db) as st, pytest.raises(InitlabError, match=rf"in use.*pid {holder.pid}"):
            st.lock()
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    deadline = time.monotonic() + 5
    with open_store(db) as st:
        while True:  # the kernel drops the dead process's lock at once; allow a moment anyway
            try:
                st.lock()
                break
            except InitlabError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
