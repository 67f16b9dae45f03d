"""The benchmark command runs end to end in quick mode (its timings are not asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_benchmark_quick_mode(tmp_path):
    out = tmp_path / "bench.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--json", str(out)],
                   check=True, env=env, capture_output=True, text=True, timeout=900)
    res = json.loads(out.read_text())
    assert res["quick"] is True and res["machine"]["cores"] >= 1
    # every benchmark names the engine it forced
    assert [res[b]["engine"] for b in ("b1", "b2", "b3", "b4", "b5")] == [
        "numba", "batched", "numpy", "numpy", "numpy"]
    assert res["b1"]["max_rel_cost_diff"] < 1e-9  # same costs as the tutorial loop
    assert res["b1"]["speedup"] > 0
    assert res["b2"]["models"] == 6 and res["b2"]["initlab_peak_rss_mb"] > 0
    assert res["b3"]["share_of_matmul"] > 0
    assert res["b4"]["speedup"] > 0
    assert res["b5"]["cold_s"] > 0 and res["b5"]["warm_s"] > 0


@pytest.mark.slow
def test_kernel_profile_runs_and_its_floor_is_below_the_step(tmp_path):
    out = tmp_path / "kp.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "kernel_profile.py"), "--repeat", "1",
                    "--json", str(out)], check=True, env=env, capture_output=True, text=True,
                   timeout=900)
    res = json.loads(out.read_text())
    us = res["per_step_us"]
    assert res["engine"] == "numba" and res["macs"] == {"forward": 22500, "backward": 16500,
                                                         "grads": 27300}
    # the parts are parts of the step, and no overhead-free floor can exceed the real step
    assert 0 < us["forward"] < us["step"] and 0 < us["grads"] < us["step"]
    assert 0 < res["floor_us"] < us["step"] and res["max_ratio"] >= res["b1_ratio_now"] > 0
