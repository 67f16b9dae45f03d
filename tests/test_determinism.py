"""Same command, same arguments, same bytes: whatever the caches hold, in any process, with any
number of workers (timing fields aside).

Every run here is a separate ``python -m initlab.cli`` process with its own
``INITLAB_CACHE_DIR``: an empty folder is a first run on a fresh install (the compiled engines
compile), a used one is a warm cache (they load).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Fields that measure time, the only ones allowed to differ between two runs.
_TIMING = re.compile(rb'("seconds": )[-+0-9.eE]+')


def _cli(args: list[str], cache: Path, cwd: Path) -> bytes:
    env = {**os.environ, "INITLAB_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT / "src"),
           "MPLBACKEND": "Agg"}
    res = subprocess.run([sys.executable, "-m", "initlab.cli", *args], env=env, cwd=cwd,
                         capture_output=True, timeout=900, check=False)
    assert res.returncode == 0, res.stderr.decode()
    return res.stdout


def _untimed(data: bytes) -> bytes:
    return _TIMING.sub(rb"\g<1>0", data)


def _cold_and_warm(tmp_path: Path, args: list[str]) -> list[tuple[bytes, bytes]]:
    """stdout and results.json of ``args`` with an empty cache, then again with it warm."""
    cache = tmp_path / "cache"
    out = []
    for run in ("cold", "warm"):
        stdout = _cli([*args, "--out", str(tmp_path / run)], cache, tmp_path)
        out.append((_untimed(stdout), _untimed((tmp_path / run / "results.json").read_bytes())))
    return out


def _tutorial_is_the_same_cold_and_warm(tmp_path: Path, iterations: int) -> None:
    (cold_out, cold_json), (warm_out, warm_json) = _cold_and_warm(
        tmp_path, ["tutorial", "--json", "--iterations", str(iterations)])
    assert cold_out == warm_out and cold_json == warm_json
    assert {r["engine"] for r in json.loads(cold_json)["runs"]} == {"numpy"}  # the document's


def test_tutorial_json_is_byte_identical_cold_and_warm_short(tmp_path):
    _tutorial_is_the_same_cold_and_warm(tmp_path, 1001)


@pytest.mark.slow
def test_tutorial_json_is_byte_identical_cold_and_warm(tmp_path):
    """The full document: zeros predicts 0 everywhere, the chaotic random run lands where the
    document's own code does on this machine, cold or warm."""
    _tutorial_is_the_same_cold_and_warm(tmp_path, 15000)
    doc = json.loads((tmp_path / "cold" / "results.json").read_text())
    zeros = next(r for r in doc["runs"] if r["initialization"] == "zeros")
    assert zeros["train_accuracy"] == 0.5 and zeros["test_accuracy"] == 0.5


@pytest.mark.slow
def test_compare_is_byte_identical_cold_and_warm(tmp_path):
    """The compiled engines serve compare: compiling first (empty cache) or loading changes
    nothing in the results."""
    (cold_out, cold_json), (warm_out, warm_json) = _cold_and_warm(
        tmp_path, ["compare", "--inits", "zeros,random,he_normal", "--seeds", "3",
                   "--iterations", "3000", "--json"])
    assert cold_out == warm_out and cold_json == warm_json
    assert json.loads(cold_json)["engines"] == ["batched"]  # auto's pick, recorded


_SPEC = """
[grid]
init = ["zeros", "random", "he_normal"]
activation = "relu"
depth = [1, 2]
width = 8
seeds = 3

[train]
num_iterations = 2000
record_every = 100
"""


def _rows_without_timing(csv_path: Path) -> list[dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text())))
    for r in rows:
        r.pop("seconds")
    return sorted(rows, key=lambda r: r["run_id"])


@pytest.mark.slow
def test_sweep_rows_are_the_same_with_one_or_two_workers_cold_or_warm(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text(_SPEC)
    # two workers compiling into one empty cache, then one worker on the warm cache
    for name, workers in (("two", "2"), ("one", "1")):
        _cli(["sweep", str(spec), "--store", str(tmp_path / f"{name}.db"), "--workers", workers,
              "--chunk-size", "4"], tmp_path / "cache", tmp_path)
        _cli(["export", str(tmp_path / f"{name}.db"), "--csv", str(tmp_path / f"{name}.csv")],
             tmp_path / "cache", tmp_path)
    one, two = _rows_without_timing(tmp_path / "one.csv"), _rows_without_timing(tmp_path / "two.csv")
    assert len(one) == 18 and one == two
    assert {r["engine"] for r in one} == {"batched"}
