"""Sweeps: spec validation, run ids, resume after kill -9, the writer lock, local and Dask runs."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from cli_helpers import invoke as cli
from initlab.core.errors import InitlabError
from initlab.sweep.driver import run_sweep
from initlab.sweep.run import RunConfig, chunks, train_chunk
from initlab.sweep.spec import load_spec, parse_spec
from initlab.sweep.store import open_store

SRC = str(Path(__file__).resolve().parents[1] / "src")
SPEC = """
name = "tiny"
[grid]
init = ["he_normal", "zeros", "glorot_uniform"]
activation = "relu"
depth = [1, 2]
width = 4
seeds = 4
[train]
num_iterations = {iters}
record_every = 50
"""


def write_spec(tmp_path: Path, iters: int = 150) -> Path:
    p = tmp_path / "spec.toml"
    p.write_text(SPEC.format(iters=iters))
    return p


def dump(path: Path) -> tuple[list[tuple], dict[tuple[str, str], bytes]]:
    """Everything a store holds about its runs, minus wall times (which differ run to run)."""
    con = sqlite3.connect(path)
    runs = con.execute(
        "SELECT run_id, config, status, final_cost, train_accuracy, test_accuracy, "
        "steps_to_threshold FROM runs ORDER BY run_id").fetchall()
    arrays = {(r, n): d for r, n, d in con.execute("SELECT run_id, name, data FROM arrays")}
    con.close()
    return runs, arrays


def assert_same_store(a: Path, b: Path) -> None:
    runs_a, arr_a = dump(a)
    runs_b, arr_b = dump(b)
    assert [r[:3] for r in runs_a] == [r[:3] for r in runs_b]
    assert arr_a.keys() == arr_b.keys()
    # Same chunks, same engine: bit-identical here; the engine contract is 1e-9 relative.
    num_a = np.array([[np.nan if v is None else v for v in r[3:]] for r in runs_a])
    num_b = np.array([[np.nan if v is None else v for v in r[3:]] for r in runs_b])
    np.testing.assert_allclose(num_a, num_b, rtol=1e-9, equal_nan=True)
    for k in arr_a:
        np.testing.assert_allclose(np.frombuffer(arr_a[k]), np.frombuffer(arr_b[k]), rtol=1e-9)


# -- spec --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"grid": {"init": "he_normal", "depht": [2]}}, r"grid\.depht.*allowed: init, activation"),
        ({"grid": {"init": "he_normal"}, "trian": {}}, r"'trian'.*allowed: name, description"),
        ({"grid": {"init": ["he_normal", "nope"]}}, r"grid\.init.*'nope'.*valid:.*he_normal"),
        ({"grid": {"init": "he_normal", "activation": "rellu"}}, r"grid\.activation.*valid:.*relu"),
        ({"grid": {"init": "he_normal", "dataset": "mnist"}}, r"grid\.dataset.*valid:.*moons"),
        ({"grid": {"init": "he_normal", "optimizer": "sgd"}}, r"optimizer.*valid: adam, gd"),
        ({"grid": {"init": []}}, r"grid\.init is empty"),
        ({"grid": {"init": "he_normal", "depth": [2, 0]}}, r"grid\.depth.*>= 1.*got 0"),
        ({"grid": {"init": "he_normal", "width": [4, 4]}}, r"grid\.width lists 4 more than once"),
        ({"grid": {"init": "he_normal", "learning_rate": -1}}, r"learning_rate.*> 0"),
        ({"grid": {"init": "he_normal", "seeds": 0}}, r"seeds.*>= 1"),
        ({"grid": {"activation": "relu"}}, r"grid\.init is missing"),
        ({"grid": {"init": "he_normal"}, "train": {"num_iterations": 1.5}}, r"num_iterations"),
    ],
)
def test_spec_errors_name_the_key_and_the_allowed_values(raw, message):
    with pytest.raises(InitlabError, match=message):
        parse_spec(raw)


def test_spec_file_errors_exit_2_from_the_cli(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[grid\ninit = 1")
    code, _, err = cli(["sweep", str(bad), "--store", str(tmp_path / "s.db")], capsys)
    assert code == 2 and "not valid TOML" in err and err.startswith("initlab: error:")
    code, _, err = cli(["sweep", str(tmp_path / "missing.toml"), "--store", "x.db"], capsys)
    assert code == 2 and "not found" in err
    assert not (tmp_path / "s.db").exists()


def test_grid_expansion_and_defaults(tmp_path):
    spec = load_spec(write_spec(tmp_path))
    runs = spec.runs()
    assert len(runs) == len(spec) == 3 * 2 * 4
    assert {r.hidden for r in runs} == {(4,), (4, 4)}
    assert sorted({r.seed for r in runs}) == [0, 1, 2, 3]
    assert len({r.run_id for r in runs}) == len(runs)


# -- run ids and seeds -------------------------------------------------------------------------
def test_run_id_is_a_hash_of_the_config_only():
    a = RunConfig("moons", "he_normal", "relu", (4,), seed=3)
    assert a.run_id == RunConfig("moons", "he_normal", "relu", (4,), seed=3).run_id
    assert a.run_id != RunConfig("moons", "he_normal", "relu", (4,), seed=4).run_id
    assert a.run_id != RunConfig("moons", "he_normal", "relu", (4,), seed=3, base_seed=1).run_id
    assert len(a.run_id) == 16 and int(a.run_id, 16) >= 0


def test_a_run_gives_the_same_result_alone_or_in_any_chunk():
    runs = [RunConfig("moons", i, "relu", (4,), num_iterations=60, record_every=20, seed=s)
            for i in ("he_normal", "lecun_normal") for s in range(3)]
    batched = {r.run_id: r for r in train_chunk(runs)}
    for c in (runs[0], runs[4]):
        alone = train_chunk([c])[0]
        np.testing.assert_allclose(alone.arrays["costs"], batched[c.run_id].arrays["costs"],
                                   rtol=1e-9)
        assert alone.final_cost == pytest.approx(batched[c.run_id].final_cost, rel=1e-9)
        assert alone.engine and alone.engine == batched[c.run_id].engine


def test_chunks_depend_on_the_grid_not_its_order():
    runs = load_spec_runs()
    shuffled = [runs[i] for i in np.random.default_rng(0).permutation(len(runs))]
    ids = lambda cs: [[r.run_id for r in c] for c in cs]
    assert ids(chunks(runs, 5)) == ids(chunks(shuffled, 5))
    assert all(len({r.group_key for r in c}) == 1 for c in chunks(runs, 5))


def load_spec_runs() -> list[RunConfig]:
    return parse_spec({"grid": {"init": ["he_normal", "zeros"], "depth": [1, 2], "seeds": 3},
                       "train": {"num_iterations": 10}}).runs()


# -- resume, lock, executors -------------------------------------------------------------------
def _count(db: Path) -> int:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return int(con.execute("SELECT count(*) FROM runs").fetchone()[0])
        finally:
            con.close()
    except sqlite3.Error:
        return 0


@pytest.mark.slow  # ~25 s: out of the default run, in CI's
def test_kill_9_midway_then_resume_equals_an_uninterrupted_run_and_a_second_writer_is_refused(
    tmp_path, capsys
):
    spec_path = write_spec(tmp_path, iters=400)
    spec = load_spec(spec_path)
    total = len(spec)
    reference = tmp_path / "reference.db"
    run_sweep(spec, reference, chunk_size=2)

    db = tmp_path / "killed.db"
    args = ["sweep", str(spec_path), "--store", str(db), "--chunk-size", "2"]
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.Popen([sys.executable, "-m", "initlab.cli", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while _count(db) < 2 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        # While it runs, a second sweep on the same store is refused, and writes nothing.
        code, _, err = cli(args, capsys)
        assert code == 2 and "in use by another initlab sweep" in err and "pid" in err
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the sweep finished before it could be killed"
    # read as a user would: the kill may have landed mid-commit and left a rollback journal,
    # which a bare read-only connection cannot roll back (the store's reader does)
    with open_store(db, readonly=True) as st:
        stored = len(st.run_ids())
    assert 0 < stored < total

    code, out, _ = cli([*args, "--json"], capsys)
    assert code == 0
    summary = json.loads(out)
    assert summary["already_stored"] == stored and summary["computed"] == total - stored
    assert_same_store(db, reference)
    code, out, _ = cli([*args, "--json"], capsys)  # a third run finds nothing to do
    assert json.loads(out)["computed"] == 0


def test_local_processes_give_the_same_store(tmp_path):
    spec = parse_spec({"grid": {"init": ["he_normal", "zeros"], "depth": [1], "width": 3,
                                "seeds": 3}, "train": {"num_iterations": 40}})
    run_sweep(spec, tmp_path / "one.db", chunk_size=2)
    out = run_sweep(spec, tmp_path / "two.db", workers=2, chunk_size=2)
    assert out.executor == "2 local processes" and out.computed == len(spec)
    assert_same_store(tmp_path / "one.db", tmp_path / "two.db")


@pytest.mark.dask
def test_dask_cluster_runs_the_same_sweep(tmp_path, capsys):
    distributed = pytest.importorskip("distributed")
    spec_path = write_spec(tmp_path, iters=40)
    run_sweep(load_spec(spec_path), tmp_path / "local.db", chunk_size=3)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster:
        code, out, err = cli(["sweep", str(spec_path), "--store", str(tmp_path / "dask.db"),
                              "--scheduler", cluster.scheduler_address, "--chunk-size", "3",
                              "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["executor"].startswith("dask ")
    assert_same_store(tmp_path / "local.db", tmp_path / "dask.db")


def test_unreachable_scheduler_fails_fast_and_writes_nothing(tmp_path, capsys):
    import socket

    with socket.socket() as s:  # a port that was free a moment ago: nobody listens on it
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    db = tmp_path / "never.db"
    t0 = time.monotonic()
    code, _, err = cli(["sweep", str(write_spec(tmp_path)), "--store", str(db), "--scheduler",
                        f"tcp://127.0.0.1:{port}", "--connect-timeout", "2"], capsys)
    assert time.monotonic() - t0 < 15
    assert code == 2 and "cannot reach the Dask scheduler" in err
    assert not db.exists()


def test_sweep_over_a_foreign_file_is_refused(tmp_path, capsys):
    db = tmp_path / "notes.db"
    db.write_text("not a database at all, just text that is long enough" * 20)
    code, _, err = cli(["sweep", str(write_spec(tmp_path)), "--store", str(db)], capsys)
    assert code == 2 and "not an initlab store" in err
    assert db.read_text().startswith("not a database")


def test_open_store_refuses_newer_schema(tmp_path):
    db = tmp_path / "s.db"
    open_store(db, create=True).close()
    con = sqlite3.connect(db)
    con.execute("PRAGMA user_version = 99")
    con.close()
    with pytest.raises(InitlabError, match="schema version 99, newer"):
        open_store(db)


@pytest.mark.parametrize("path", sorted((Path(__file__).parents[1] / "examples").glob("*.toml")),
                         ids=lambda p: p.name)
def test_examples_are_valid_specs(path):
    spec = load_spec(path)
    assert len(spec.runs()) == len(spec) > 0


def test_lsuv_is_a_data_dependent_initializer_with_checked_options():
    from initlab.sweep.run import build_spec, check_init, init_params, needs_data

    assert needs_data("LSUV:target=0.5") and not needs_data("he_normal")
    check_init("lsuv:target=0.5,t_max=3")
    with pytest.raises(InitlabError, match=r"initializer 'lsuv' does not take \['tagret'\]; valid: target"):
        check_init("lsuv:tagret=0.5")
    config = RunConfig("moons", "lsuv:target=0.5", "tanh", (8, 8))
    spec = build_spec(config)
    X = np.random.default_rng(0).standard_normal((2, 200))
    params = init_params(config, spec, X)
    # LSUV scales each layer to the target variance on the data it was given.
    H1 = params["W1"] @ X + params["b1"]
    assert np.var(H1) == pytest.approx(0.5, rel=0.1)
    again = init_params(config, spec, X)
    assert all(np.array_equal(params[k], again[k]) for k in params)


def test_a_diverged_run_records_the_engine_its_chunk_used():
    runs = [RunConfig("moons", i, "identity", (10, 10, 10), learning_rate=1.0, num_iterations=300,
                      record_every=100) for i in ("normal:std=0.01", "random:scale=10")]
    ok, bad = train_chunk(runs, engine="numpy")
    assert (ok.status, bad.status) == ("trained", "diverged")
    assert ok.engine == bad.engine == "numpy"
    assert bad.final_cost is None and "costs" not in bad.arrays
