"""``initlab inits``: the research file's golden numbers (section 2b), listing, and bad input."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cli_helpers import invoke as run
from initlab import initializers as I

# Research file, table 2b: (scheme, quantity, dense 256->128, conv 3x3 32->64), printed to 6 places.
GOLDEN = [
    ("glorot_uniform", "bound", 0.125000, 0.083333),
    ("sklearn_default", "bound", 0.125000, 0.083333),
    ("sklearn_default:activation=tanh", "bound", 0.125000, 0.083333),
    ("glorot_normal", "std", 0.072169, 0.048113),
    ("sklearn_default:activation=logistic", "bound", 0.072169, 0.048113),
    ("he_normal", "std", 0.088388, 0.083333),
    ("he_uniform", "bound", 0.153093, 0.144338),
    ("he_normal:mode=fan_out", "std", 0.125000, 0.058926),
    ("lecun_normal", "std", 0.062500, 0.058926),
    ("torch_default", "bound", 0.062500, 0.058926),
    ("lecun_uniform", "bound", 0.108253, 0.102062),
    ("torch_default", "std", 0.036084, 0.034021),
    ("he_truncated_normal", "sigma", 0.100484, 0.094737),
    ("he_truncated_normal", "bound", 0.200968, 0.189475),
    ("glorot_uniform:nonlinearity=tanh", "bound", 0.208333, 0.138889),
]




@pytest.mark.parametrize(
    ("args", "column"),
    [(["--fan-in", "256", "--fan-out", "128"], 2), (["--shape", "64,32,3,3"], 3)],
)
def test_golden_numbers_json(args, column, capsys):
    code, out, err = run(["inits", *args, "--json"], capsys)
    assert code == 0 and err == ""
    data = json.loads(out)
    assert (data["fan_in"], data["fan_out"]) == ((256, 128) if column == 2 else (288, 576))
    laws = {row["name"]: row["law"] for row in data["schemes"]}
    specs = {g[0] for g in GOLDEN}
    missing = specs - set(laws)
    code, out, _ = run(["inits", *args, "--json", *sorted(missing)], capsys)
    laws.update({row["name"]: row["law"] for row in json.loads(out)["schemes"]})
    for row in GOLDEN:
        assert laws[row[0]][row[1]] == pytest.approx(row[column], abs=6e-7), row


@pytest.mark.parametrize(
    ("args", "column"),
    [(["--fan-in", "256", "--fan-out", "128"], 2), (["--shape", "64,32,3,3"], 3)],
)
def test_golden_numbers_text(args, column, capsys):
    code, out, _ = run(["inits", *args], capsys)
    assert code == 0
    lines = {line.split()[0]: line for line in out.splitlines()[2:]}
    heads = ("std", "bound", "sigma")
    shown = [g for g in GOLDEN if g[0] in lines]
    assert len(shown) == len(GOLDEN) - 1  # all but sklearn_default:activation=tanh
    for name, what, *values in shown:
        cells = lines[name].split()[1:4]
        assert cells[heads.index(what)] == f"{values[column - 2]:.6f}", name


def test_default_listing_shows_every_scheme_and_variant(capsys):
    code, out, _ = run(["inits", "--json"], capsys)
    names = [row["name"] for row in json.loads(out)["schemes"]]
    assert names == [*I.names(aliases=False), *I.VARIANTS]
    code, out, _ = run(["inits"], capsys)
    assert code == 0 and "kaiming_normal" in out and "U(±1/sqrt(fan_in))" in out


def test_unsupported_shape_is_reported_not_fatal(capsys):
    code, out, _ = run(["inits", "dirac", "identity", "--fan-in", "4", "--fan-out", "4"], capsys)
    assert code == 0 and "n/a" in out and "conv kernel" in out
    code, out, _ = run(["inits", "identity", "dirac", "--shape", "4x4x3", "--json"], capsys)
    rows = json.loads(out)["schemes"]
    assert rows[0]["law"] is None and "dirac" in rows[0]["error"]
    assert rows[1]["law"]["bound"] == 1.0


def test_gains_table(capsys):
    _, out, _ = run(["inits", "--gains", "--json"], capsys)
    rows = {r["nonlinearity"]: r["gain"] for r in json.loads(out)["gains"]}
    assert rows["tanh"] == pytest.approx(5 / 3) and rows["selu"] == 0.75
    _, out, _ = run(["inits", "--gains"], capsys)
    assert "relu" in out and "1.414214" in out


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--fan-in", "3"], "go together"),
        (["--fan-in", "0", "--fan-out", "3"], "--fan-in"),
        (["--fan-in", "-2", "--fan-out", "3"], "--fan-in"),
        (["--shape", "64,0"], "positive"),
        (["--shape", "64"], "at least 2"),
        (["--shape", "a,b"], "integers"),
        (["--shape", "4,4", "--fan-in", "4", "--fan-out", "4"], "not both"),
        (["nope"], "valid: .*he_normal"),
        (["normal:std=-1"], "std"),
        (["normal:std"], "malformed"),
        (["sparse:sparsity=1.5"], "sparsity"),
        (["orthogonal:gain=0"], "gain"),
    ],
)
def test_bad_input_exit_2_one_line(args, match, capsys):
    code, out, err = run(["inits", *args], capsys)
    assert code == 2 and out == ""
    assert err.startswith("initlab: error:") and err.count("\n") == 1
    assert re.search(match, err)


def test_entry_point_subprocess():
    src = Path(__file__).resolve().parents[1] / "src"
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [sys.executable, "-m", "initlab.cli", "inits", "he_normal", "--fan-in", "256"]
    opts = {"capture_output": True, "text": True, "env": env}
    res = subprocess.run([*cmd, "--fan-out", "128"], check=False, **opts)
    assert res.returncode == 0 and "0.088388" in res.stdout
    res = subprocess.run([*cmd[:-2], "--shape", "0,1"], check=False, **opts)
    assert res.returncode == 2 and res.stderr.startswith("initlab: error:")
