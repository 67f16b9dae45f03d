"""Issue 15, data loss and integrity: each test reproduces a fault of the reliability report
(../shared/research/reliability-2026-12.md) and fails on the code before its fix."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cli_helpers import invoke as cli
from initlab.core.errors import Diverged, InitlabError
from initlab.output.sweep_report import SweepReport
from initlab.sweep import run as sweep_run
from initlab.sweep.driver import run_sweep
from initlab.sweep.run import RunConfig, RunResult
from initlab.sweep.spec import MAX_RUNS, parse_spec
from initlab.sweep.store import open_store

SRC = str(Path(__file__).resolve().parents[1] / "src")
ENV = {**os.environ, "PYTHONPATH": SRC}
TINY = {"name": "tiny", "grid": {"init": ["he_normal", "zeros"], "seeds": 2, "width": 4,
                                 "depth": 1},
        "train": {"num_iterations": 20, "record_every": 10}}


def tiny(**grid) -> object:
    return parse_spec({**TINY, "grid": {**TINY["grid"], **grid}})


def fake(c: RunConfig) -> RunResult:
    return RunResult(c.run_id, "trained", 0.5, 0.9, 0.8, None, 0.1, "numpy",
                     {"costs": np.array([1.0, 0.5])})


def configs(k: int) -> list[RunConfig]:
    return [RunConfig("moons", "he_normal", "relu", (4,), seed=s) for s in range(k)]


def kill_mid_write(db: Path, sql: str) -> None:
    """A process that dies by SIGKILL inside a write transaction on ``db`` after SQLite has
    spilled changed pages into the file: it leaves a hot rollback journal, as a sweep killed
    mid-commit does."""
    code = (
        "import os, signal, sqlite3\n"
        f"c = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
        "c.execute('PRAGMA cache_size=1')\n"
        "c.execute('BEGIN IMMEDIATE')\n"
        f"for s in {sql!r}.split(';'):\n"
        "    c.execute(s)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n")
    subprocess.run([sys.executable, "-c", code], check=False)
    assert Path(str(db) + "-journal").exists()


# -- D1: a mistyped engine -------------------------------------------------------------------
def test_d1_mistyped_engine_is_refused_before_any_run_and_stores_nothing(tmp_path, capsys):
    spec = tmp_path / "s.toml"
    spec.write_text('[grid]\ninit = ["he_normal", "zeros"]\nseeds = 2\nwidth = 4\n'
                    '[train]\nnum_iterations = 20\nrecord_every = 10\n')
    code, _, err = cli(["sweep", str(spec), "--store", str(tmp_path / "s.db"), "--engine", "foo"],
                       capsys)
    assert code == 2 and "unknown engine 'foo'" in err and "numpy" in err and "auto" in err
    assert not (tmp_path / "s.db").exists()
    code, _, err = cli(["compare", "--seeds", "2", "--iterations", "20", "--engine", "foo"], capsys)
    assert code == 2 and "unknown engine 'foo'" in err and "batched" in err


@pytest.mark.parametrize(("message", "match"), [
    ("engine 'numba' needs numba: pip install numba", "needs numba"),
    # worded like a divergence: a divergence is known by its type, not its wording
    ("training diverged: no, the engine is missing", "engine is missing"),
])
def test_d1_only_a_divergence_is_a_runs_failure(monkeypatch, message, match):
    def broken(*args, **kwargs):
        raise InitlabError(message)

    monkeypatch.setattr(sweep_run, "train_many", broken)
    with pytest.raises(InitlabError, match=match):
        sweep_run.train_chunk(configs(2), engine="numpy")


def test_d1_a_divergence_is_recorded_whatever_its_wording(monkeypatch):
    def diverging(spec, starts, *args, **kwargs):
        raise Diverged("the run blew up", step=7)

    monkeypatch.setattr(sweep_run, "train_many", diverging)
    results = sweep_run.train_chunk(configs(2), engine="numpy")
    assert [r.status for r in results] == ["diverged", "diverged"]


# -- D2: paths with URI characters ------------------------------------------------------------
@pytest.mark.parametrize("name", ["a?b.db", "c#d.db", "e%41f.db", "g%2Fh.db"])
def test_d2_store_path_means_that_file(tmp_path, name, capsys):
    db = tmp_path / name
    cs = configs(2)
    with open_store(db, create=True) as st:
        st.add((c, fake(c)) for c in cs)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, name + ".lock"])
    with open_store(db, readonly=True) as st:
        assert st.run_ids() == {c.run_id for c in cs}
    code, out, _ = cli(["export", str(db), "--csv", str(tmp_path / "x.csv")], capsys)
    assert code == 0 and out.startswith("2 runs")


# -- D3: two first starts at once -------------------------------------------------------------
def test_d3_a_creator_that_finds_the_lock_taken_touches_nothing(tmp_path):
    db = tmp_path / "new.db"
    fd = os.open(str(db) + ".lock", os.O_RDWR | os.O_CREAT)  # another sweep, about to create db
    os.write(fd, b"pid 4242 on elsewhere")
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        with pytest.raises(InitlabError, match=r"in use by another initlab sweep \(pid 4242"):
            open_store(db, create=True)
        assert not db.exists()  # it did not create the store under the other's feet
        db.write_bytes(b"")  # the other creates it now ...
        with pytest.raises(InitlabError, match="in use"):
            open_store(db, create=True)
        assert db.exists()  # ... and the loser deletes nothing
    finally:
        os.close(fd)


RACE = """
import sys, time
from pathlib import Path
from initlab.core.errors import InitlabError
from initlab.sweep.store import open_store
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.001)
try:
    with open_store(sys.argv[1], create=True):
        time.sleep(0.5)
    print("ok")
except InitlabError as e:
    print("refused" if "in use by another initlab sweep" in str(e) else "error: " + str(e))
"""


def test_d3_two_sweeps_released_together_one_wins_the_other_is_refused(tmp_path):
    for trial in range(4):
        db, go = tmp_path / f"r{trial}.db", tmp_path / f"go{trial}"
        procs = [subprocess.Popen([sys.executable, "-c", RACE, str(db), str(go)], env=ENV,
                                  stdout=subprocess.PIPE, text=True) for _ in range(2)]
        go.touch()
        outs = sorted(p.communicate(timeout=60)[0].strip() for p in procs)
        assert outs in (["ok", "refused"], ["ok", "ok"]), outs  # "ok ok": one after the other
        with open_store(db, readonly=True) as st:
            assert st.run_ids() == set()


# -- D4: an empty store file ------------------------------------------------------------------
def test_d4_an_empty_store_file_becomes_a_store_and_the_sweep_runs(tmp_path):
    db = tmp_path / "s.db"
    db.write_bytes(b"")
    out = run_sweep(tiny(), db, engine="numpy", progress=False)
    assert out.computed == 4
    with open_store(db, readonly=True) as st:
        assert len(st.run_ids()) == 4


def test_d4_a_kill_while_creating_the_store_is_resumed(tmp_path):
    db = tmp_path / "s.db"
    kill_mid_write(db, "CREATE TABLE meta (key TEXT, value TEXT);"
                   "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60) "
                   "INSERT INTO meta SELECT i, hex(zeroblob(3000)) FROM n")
    with pytest.raises(InitlabError, match="empty, not an initlab store yet"):
        SweepReport.from_store(db)
    out = run_sweep(tiny(), db, engine="numpy", progress=False)
    assert out.computed == 4 and not Path(str(db) + "-journal").exists()


# -- U1: a healthy store with a hot journal ---------------------------------------------------
def test_u1_a_store_killed_mid_commit_is_read_by_report_and_export(tmp_path, capsys):
    db = tmp_path / "s.db"
    cs = configs(3)
    with open_store(db, create=True) as st:
        st.add((c, fake(c)) for c in cs)
    kill_mid_write(db, "UPDATE arrays SET data = zeroblob(200000);"
                   "UPDATE runs SET final_cost = 99")
    rep = SweepReport.from_store(db)  # the interrupted write is rolled back, not shown
    assert [r["final_cost"] for r in rep.runs] == [0.5] * 3
    code, out, err = cli(["export", str(db), "--csv", str(tmp_path / "x.csv")], capsys)
    assert code == 0 and out.startswith("3 runs"), err


# -- D6: integers beyond the store's range ----------------------------------------------------
@pytest.mark.parametrize(("grid", "train"), [
    ({"seeds": [18446744073709551615]}, {}),
    ({"seeds": [2**63]}, {}),
    ({"width": 2**64}, {}),
    ({}, {"base_seed": 2**70}),
])
def test_d6_every_integer_is_checked_against_the_store_before_any_run(grid, train):
    with pytest.raises(InitlabError, match=r"must be at most 9223372036854775807"):
        parse_spec({"grid": {"init": "he_normal", **grid}, "train": train})


def test_d6_a_value_the_store_cannot_hold_never_crashes_the_writer(tmp_path):
    c = RunConfig("moons", "he_normal", "relu", (4,), seed=2**64)
    with open_store(tmp_path / "s.db", create=True) as st, \
            pytest.raises(InitlabError, match=r"cannot write store.*nothing was stored"):
        st.add([(c, fake(c))])


# -- each finished run is stored as it finishes -------------------------------------------------
def test_runs_finished_before_an_interruption_are_stored(tmp_path, monkeypatch):
    # One chunk of 4 runs; the huge init diverges, so the chunk trains one run at a time. Ctrl-C
    # arrives while the third run trains: the two finished before it must be in the store.
    spec = tiny(init=["he_normal", "normal:std=1e120"], seeds=2, depth=2)
    real, calls = sweep_run.train_many, []

    def train_many(spec_, starts, *args, **kwargs):
        if len(starts) == 1:
            calls.append(1)
            if len(calls) == 3:
                raise KeyboardInterrupt
        return real(spec_, starts, *args, **kwargs)

    monkeypatch.setattr(sweep_run, "train_many", train_many)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(spec, tmp_path / "s.db", engine="numpy", progress=False)
    assert len(calls) == 3, "the chunk did not train one run at a time"
    with open_store(tmp_path / "s.db", readonly=True) as st:
        assert len(st.run_ids()) == 2
    monkeypatch.setattr(sweep_run, "train_many", real)
    out = run_sweep(spec, tmp_path / "s.db", engine="numpy", progress=False)
    assert (out.already_stored, out.computed) == (2, 2)


# -- H1: grids too large to list ----------------------------------------------------------------
def test_h1_a_billion_run_grid_is_refused_at_once_with_its_size():
    grid = {"init": [f"normal:std={i / 10}" for i in range(1, 11)], "depth": list(range(1, 11)),
            "width": list(range(1, 11)), "learning_rate": [i / 10 for i in range(1, 11)],
            "seeds": 100_000}
    with pytest.raises(InitlabError, match=r"1,000,000,000 runs .*at most 1,000,000"):
        parse_spec({"grid": grid})
    with pytest.raises(InitlabError, match=r"grid.seeds = 10,000,000 runs more"):
        parse_spec({"grid": {"init": "he_normal", "seeds": 10_000_000}})
    assert len(parse_spec({"grid": {"init": "he_normal", "seeds": MAX_RUNS}})) == MAX_RUNS


# -- C12: corrupt rows --------------------------------------------------------------------------
@pytest.mark.parametrize(("sql", "needle"), [
    ("UPDATE runs SET config='{not json' WHERE rowid=1", "bad config"),
    ("UPDATE runs SET config='null' WHERE rowid=1", "bad config"),
    ("UPDATE runs SET config='[1,2]' WHERE rowid=1", "bad config"),
    ("UPDATE sweeps SET spec='{bad'", "spec of sweep 'tiny' is not a JSON object"),
    ("UPDATE runs SET test_accuracy='x' WHERE rowid=1", "bad test_accuracy value 'x'"),
    ("UPDATE runs SET depth='deep' WHERE rowid=1", "bad depth value 'deep'"),
    ("UPDATE runs SET status='exploded' WHERE rowid=1", "bad status value 'exploded'"),
])
def test_c12_corrupt_rows_give_one_line_naming_the_run(tmp_path, capsys, sql, needle):
    db = tmp_path / "s.db"
    with open_store(db, create=True) as st:
        st.record_sweep("tiny", {"name": "tiny"})
        st.add((c, fake(c)) for c in configs(2))
    con = sqlite3.connect(db)
    con.execute(sql)
    con.commit()
    con.close()
    for args in (["report", str(db), "--out", str(tmp_path / "r")],
                 ["export", str(db), "--csv", str(tmp_path / "x.csv")]):
        code, _, err = cli(args, capsys)
        assert code == 2 and err.count("\n") == 1 and "is corrupt" in err and needle in err, err


# -- U6: layer statistics -----------------------------------------------------------------------
def test_u6_layer_statistics_do_not_overflow_where_the_true_value_is_finite():
    # np.std of a constant 1e308 matrix is inf (its squares overflow): the store held
    # weight_std_init = inf for constant:value=1e308, whose std is 0.
    assert sweep_run._std(np.full((4, 2), 1e308)) == 0.0
    x = np.random.default_rng(0).normal(size=(5, 7))
    np.testing.assert_allclose(sweep_run._std(x * 1e200), np.std(x) * 1e200, rtol=1e-13)
    assert sweep_run._std(x) == float(np.std(x))  # the usual case keeps np.std's bits
    assert not np.isfinite(sweep_run._std(np.array([1.0, np.inf])))  # truly non-finite


# -- H5: no worker outlives a killed sweep --------------------------------------------------------
def children_of(pid: int) -> set[int]:
    out = set()
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.add(int(d.name))
    return out


def _long_sweep(tmp_path):
    """A sweep spec of 48 runs long enough to be interrupted while its workers train."""
    spec = tmp_path / "s.toml"
    spec.write_text('[grid]\ninit = ["he_normal", "zeros", "glorot_uniform"]\nseeds = 8\n'
                    'width = 8\ndepth = [1, 2]\n[train]\nnum_iterations = 200000\n')
    return spec


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_h5_no_worker_outlives_a_sweep_killed_by_sigkill(tmp_path):
    spec = _long_sweep(tmp_path)
    cmd = [sys.executable, "-m", "initlab.cli", "sweep", str(spec), "--store",
           str(tmp_path / "s.db"), "--workers", "2", "--chunk-size", "4", "--engine", "numpy"]
    p = subprocess.Popen(cmd, env=ENV, stderr=subprocess.PIPE, text=True)
    import time

    deadline = time.monotonic() + 120
    while len(children_of(p.pid)) < 2 and time.monotonic() < deadline:  # the workers are up
        time.sleep(0.5)
    time.sleep(3)  # they are training
    workers = children_of(p.pid)  # workers and any helper process (resource tracker)
    assert len(workers) >= 2, "the workers never started"
    p.send_signal(signal.SIGKILL)
    p.wait()
    p.stderr.close()
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{w}").exists() and "Z" not in Path(f"/proc/{w}/stat").read_text()
              .rsplit(")", 1)[1].split()[0] for w in workers):
        assert time.monotonic() < deadline, "a worker outlived its sweep"
        time.sleep(0.2)


# -- C7, H2, --out '', dry runs: refused or told before any work ---------------------------------
@pytest.mark.parametrize(("args", "needle"), [
    (["--seed", "-1"], "base seed must be an integer >= 0, got -1"),
    (["--seed", str(2**64)], "base seed must be at most 9223372036854775807"),
    (["--layers", "2,100000000,1"], "needs about"),
    (["--out", ""], "output folder name is empty"),
    (["--threshold", "nan"], "threshold must be finite and >= 0, got nan"),
    (["--threshold", "-1"], "threshold must be finite and >= 0"),
])
def test_compare_refuses_before_any_training(args, needle, capsys, tmp_path, monkeypatch):
    from initlab.experiments import compare as experiment

    monkeypatch.setattr(experiment, "_train", lambda *a, **k: pytest.fail("it trained"))
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(["compare", "--seeds", "2", "--iterations", "20", *args], capsys)
    assert code == 2 and needle in err and err.count("\n") == 1, err
    assert list(tmp_path.iterdir()) == []


def test_dry_runs_say_what_they_would_do_and_do_nothing(tmp_path, capsys):
    spec = tmp_path / "s.toml"
    spec.write_text('[grid]\ninit = ["he_normal", "zeros"]\nseeds = 3\ndepth = [1, 2]\n')
    db = tmp_path / "s.db"
    code, out, _ = cli(["sweep", str(spec), "--store", str(db), "--dry-run"], capsys)
    assert code == 0 and "12 runs in the grid, 0 already in" in out and "12 to compute" in out
    assert "rough estimate" in out and not db.exists()
    code, out, _ = cli(["sweep", str(spec), "--store", str(db), "--dry-run", "--json"], capsys)
    plan = json.loads(out)
    assert (plan["total"], plan["to_compute"]) == (12, 12) and plan["seconds_estimate"] > 0
    code, out, _ = cli(["compare", "--seeds", "4", "--inits", "zeros,he_normal", "--dry-run"],
                       capsys)
    assert code == 0 and out.startswith("compare: 8 runs (2 initializations x 4 seeds)")


def test_sweep_says_its_cost_before_it_starts(tmp_path, capsys):
    spec = tmp_path / "s.toml"
    spec.write_text('[grid]\ninit = ["he_normal", "zeros"]\nseeds = 2\nwidth = 4\n'
                    '[train]\nnum_iterations = 20\nrecord_every = 10\n')
    db = tmp_path / "s.db"
    cli(["sweep", str(spec), "--store", str(db), "--engine", "numpy"], capsys)
    code, _, err = cli(["sweep", str(spec), "--store", str(db), "--engine", "numpy"], capsys)
    assert code == 0 and "4 runs in the grid, 4 already in" in err and "0 to compute" in err


def test_out_empty_is_refused_by_every_writer(tmp_path, monkeypatch, capsys):
    from initlab.output.bundle import write_bundle

    monkeypatch.chdir(tmp_path)
    with pytest.raises(InitlabError, match="output folder name is empty"):
        write_bundle(SweepReport("x", []), "")
    code, _, err = cli(["tutorial", "--out", "", "--iterations", "5"], capsys)
    assert code == 2 and "output folder name is empty" in err
    assert list(tmp_path.iterdir()) == []


# -- U4: a full disk names the file ----------------------------------------------------------------
FULL = """
import resource, signal, sys
from initlab.cli import main
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # over the limit a write fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))
main(sys.argv[1:])
"""


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="needs RLIMIT_FSIZE (POSIX)")
def test_u4_a_write_that_runs_out_of_space_names_the_file(tmp_path):
    db = tmp_path / "s.db"
    with open_store(db, create=True) as st:
        st.add((c, fake(c)) for c in configs(40))
    res = subprocess.run([sys.executable, "-c", FULL, "export", str(db), "--csv",
                          str(tmp_path / "x.csv")], env=ENV, capture_output=True, text=True,
                         timeout=120, check=False)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert res.stderr.startswith("initlab: error: cannot write ") and "x.csv" in res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.db", "s.db.lock"]


def interrupt_group_after(cmd: list[str], seconds: float, cwd: Path) -> tuple[int, str, set[int]]:
    """Run ``cmd`` in its own process group and press Ctrl-C (SIGINT to the group, as a
    terminal does) after ``seconds``; returns the exit code, stderr and the processes it had
    started by then."""
    import time

    p = subprocess.Popen(cmd, env=ENV, cwd=cwd, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    time.sleep(seconds)
    kids = children_of(p.pid)
    os.killpg(p.pid, signal.SIGINT)
    err = p.communicate(timeout=120)[1]
    return p.returncode, err, kids


def assert_gone(pids: set[int], seconds: float = 10) -> None:
    import time

    deadline = time.monotonic() + seconds
    while any(Path(f"/proc/{q}").exists() for q in pids):
        assert time.monotonic() < deadline, "a process outlived its command"
        time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_h5_ctrl_c_on_a_sweep_with_workers_is_one_clean_line_and_leaves_nothing(tmp_path):
    spec = _long_sweep(tmp_path)
    code, err, kids = interrupt_group_after(
        [sys.executable, "-m", "initlab.cli", "sweep", str(spec), "--store", "s.db",
         "--workers", "2", "--chunk-size", "4", "--engine", "numpy"], 8, tmp_path)
    assert len(kids) >= 2, "the workers had not started"
    assert code == 130 and err.rstrip().endswith("initlab: error: interrupted"), err
    assert "Traceback" not in err and "leaked" not in err and "Warning" not in err, err
    assert_gone(kids)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("seconds", [0.5, 1.0, 1.5, 3.0])
def test_c13_h4_ctrl_c_during_the_tutorial_is_one_line_and_leaves_no_process(tmp_path, seconds):
    # The reliability report saw the figure worker's traceback at 0.5-1.3 s and, after a kill,
    # that worker running forever. Whatever the tutorial starts must end with it.
    code, err, kids = interrupt_group_after(
        [sys.executable, "-m", "initlab.cli", "tutorial", "--quiet", "--out", "o"], seconds,
        tmp_path)
    assert code == 130 and "Traceback" not in err, err
    assert err.strip().splitlines()[-1] == "initlab: error: interrupted"
    assert_gone(kids)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_h4_a_tutorial_killed_by_sigkill_leaves_no_process(tmp_path):
    import time

    p = subprocess.Popen([sys.executable, "-m", "initlab.cli", "tutorial", "--quiet", "--out",
                          "o"], env=ENV, cwd=tmp_path, stderr=subprocess.DEVNULL)
    seen: set[int] = set()
    end = time.monotonic() + 4
    while time.monotonic() < end:  # every process it starts in its first seconds
        seen |= children_of(p.pid)
        time.sleep(0.1)
    p.kill()
    p.wait()
    assert_gone(seen)


def test_u2_compare_reads_the_documented_list_syntax(capsys):
    code, out, err = cli(["compare", "--seeds", "2", "--dry-run", "--inits",
                          "he_normal:nonlinearity=leaky_relu,negative_slope=0.2,zeros"], capsys)
    assert code == 0 and "(2 initializations x 2 seeds)" in out, err
    code, _, err = cli(["compare", "--dry-run", "--inits", "he_normal,,zeros"], capsys)
    assert code == 2 and "empty entry in --inits list" in err
    code, _, err = cli(["compare", "--dry-run", "--layers", "2,,1"], capsys)
    assert code == 2 and "--layers must be comma-separated integers" in err


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs /dev/null")
def test_u5_a_device_is_not_called_an_sqlite_database(capsys):
    with pytest.raises(InitlabError, match="'/dev/null' is not a regular file"):
        open_store("/dev/null", create=True)
    code, _, err = cli(["report", "/dev/null", "--out", "r"], capsys)
    assert code == 2 and "not a regular file" in err


@pytest.mark.parametrize("args", [["--iterations", "0"], ["--learning-rate", "nan"],
                                  ["--seed", "-1"]])
def test_u5_a_refused_tutorial_creates_no_out_folder(tmp_path, capsys, args):
    code, _, err = cli(["tutorial", "--out", str(tmp_path / "new"), *args], capsys)
    assert code == 2 and err.startswith("initlab: error:")
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(("grid", "needle"), [
    ({"init": ["he_normal", "kaiming_normal"]}, "'he_normal' and 'kaiming_normal', which are"),
    ({"init": ["he_normal", "HE_NORMAL"]}, "'he_normal' and 'HE_NORMAL', which are the same"),
    ({"init": "he_normal", "activation": ["relu", "ReLU"]}, "'relu' and 'ReLU', which are"),
])
def test_u5_aliases_are_one_grid_value(grid, needle):
    with pytest.raises(InitlabError, match=needle):
        parse_spec({"grid": grid})
