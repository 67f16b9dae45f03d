"""``initlab theory``: JSON keys, the critical line, the phase diagram and bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from cli_helpers import invoke as run
from initlab.theory import meanfield as th


def test_json_keys_and_values(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["theory", "--activation", "tanh", "--sigma-w2", "1.5", "--sigma-b2", "0.05",
                          "--json"], capsys)
    assert code == 0, err
    d = json.loads(out)
    assert {"q_star", "chi_1", "xi_q", "xi_c", "phase"} <= set(d)
    k = th.kernel("tanh")
    assert float(th.length_map(k, d["q_star"], 1.5, 0.05)) == pytest.approx(d["q_star"], rel=1e-12)
    assert d["xi_c"] == pytest.approx(-1 / math.log(d["chi_1"])) and d["phase"] == "ordered"


def test_relu_above_two_has_no_fixed_point(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["theory", "--activation", "relu", "--sigma-w2", "2.5", "--json"], capsys)
    d = json.loads(out)
    assert code == 0 and d["q_star"] is None and d["phase"] == "unbounded"
    assert d["status"] == "no_fixed_point"


def test_critical(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["theory", "--activation", "erf", "--critical", "--json"], capsys)
    assert code == 0 and json.loads(out)["sigma_w2_critical"] == pytest.approx(math.pi / 4, rel=1e-7)
    code, out, _ = run(["theory", "--activation", "tanh", "--sigma-b2", "0.05", "--critical"], capsys)
    assert code == 0 and "sigma_w2_critical" in out


def test_phase_diagram(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["theory", "--activation", "relu", "--out", str(tmp_path), "--grid", "6"], capsys)
    assert code == 0, err
    assert (tmp_path / "phase_diagram_relu.png").stat().st_size > 1000
    assert "he_normal" in (tmp_path / "index.html").read_text()


@pytest.mark.parametrize("args,needle", [
    (["--sigma-w2", "0"], "sigma_w2"), (["--sigma-w2", "-1"], "sigma_w2"),
    (["--sigma-w2", "nan"], "sigma_w2"), (["--sigma-w2", "1", "--sigma-b2", "-0.1"], "sigma_b2"),
    (["--activation", "tahn", "--sigma-w2", "1"], "unknown activation"), ([], "--sigma-w2"),
])
def test_bad_input_exits_2(args: list[str], needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["theory", *args], capsys)
    assert code == 2 and out == "" and needle in err and err.startswith("initlab: error:")
