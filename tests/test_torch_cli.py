"""``initlab inspect``: JSON contract, page, rules, same bits twice, one-line errors, and the
install hint where torch is missing."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from cli_helpers import invoke as run

ROOT = Path(__file__).resolve().parents[1]
MODELS = str(ROOT / "examples" / "models.py")
PARAM_KEYS = {"name", "module", "shape", "fan_in", "fan_out", "mean", "std", "scheme", "p_value"}


def test_without_torch_one_line_and_exit_2(tmp_path):
    # A meta-path finder in this child process only makes `import torch` fail, as on a machine
    # without PyTorch; the package itself is run unchanged.
    code = textwrap.dedent("""
        import sys
        class NoTorch:
            def find_spec(self, name, path=None, target=None):
                if name == "torch" or name.startswith("torch."):
                    raise ModuleNotFoundError("No module named 'torch'", name="torch")
                return None
        sys.meta_path.insert(0, NoTorch())
        import initlab
        assert "torch" not in sys.modules
        from initlab.cli import main
        main(["inspect", "examples/models.py:mlp", "--input-shape", "4,784"])
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          cwd=ROOT, check=False)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("initlab: error: ") and 'pip install "initlab[torch]"' in lines[0]
    assert proc.stdout == ""


# The tests below need torch: the torch marker skips them with a reason where it is absent (and
# fails them in CI); no module-level importorskip, which would also skip the test above.


@pytest.mark.torch
def test_json_contract_and_same_bits_as_the_page(tmp_path, capsys):
    args = ["inspect", f"{MODELS}:mlp", "--input-shape", "32,784", "--seed", "3"]
    code, out, err = run([*args, "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert {"parameters", "layers", "verdict"} <= set(doc) and "lsuv" not in doc
    assert all(set(p) == PARAM_KEYS for p in doc["parameters"])
    assert doc["parameters"][0]["scheme"] == "torch_default"
    layer = doc["layers"][0]
    assert {"name", "module", "call", "measured", "gradient", "verdicts"} <= set(layer)
    assert layer["measured"].keys() == layer["gradient"].keys()
    assert "sample_spread" in layer["measured"] and layer["verdicts"][0]["label"]
    code, _, err = run([*args, "--out", str(tmp_path / "page")], capsys)
    assert code == 0, err
    assert json.loads((tmp_path / "page" / "results.json").read_text()) == doc
    page = (tmp_path / "page" / "index.html").read_text()
    for text in ("Per-call statistics", "Parameters", "Histograms", "data:image/png;base64"):
        assert text in page
    assert "http://" not in page and "https://" not in page


@pytest.mark.torch
def test_rules_and_lsuv(tmp_path, capsys):
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rule]]\nmatch = "Linear"\nweight = "he_normal"\nbias = "zeros"\n')
    code, out, err = run(["inspect", f"{MODELS}:mlp", "--input-shape", "64,784", "--init", str(rules),
                          "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert {p["scheme"] for p in doc["parameters"] if p["name"].endswith("weight")} == {"he_normal"}
    assert {p["scheme"] for p in doc["parameters"] if p["name"].endswith("bias")} == {"zeros"}
    code, out, err = run(["inspect", f"{MODELS}:vgg", "--input-shape", "8,3,32,32", "--lsuv", "--json"],
                         capsys)
    assert code == 0, err
    lsuv = json.loads(out)["lsuv"]
    assert len(lsuv) == 8 and all(r["converged"] for r in lsuv)
    assert set(lsuv[0]) == {"name", "iterations", "std", "converged", "reason"}
    code, out, err = run(["inspect", f"{MODELS}:resnet18", "--input-shape", "2,3,32,32"], capsys)
    assert code == 0, err
    assert "no theory band" in out and "layer1.0.relu" in out


@pytest.mark.torch
@pytest.mark.parametrize(("args", "message"), [
    (["nowhere.py:mlp", "--input-shape", "2,784"], "model file 'nowhere.py' does not exist"),
    ([f"{MODELS}:nothing", "--input-shape", "2,784"], "has no attribute 'nothing'"),
    (["json:dumps", "--input-shape", "2,784"], "callable without arguments"),
    (["json:JSONDecoder", "--input-shape", "2,784"], "is not a torch.nn.Module"),
    ([f"{MODELS}:mlp"], "exactly one of --input-shape"),
    ([f"{MODELS}:mlp", "--input-shape", "2,x"], "--input-shape must be integers"),
    ([f"{MODELS}:mlp", "--input-shape", "2,100"], r"module 0 \(Linear\) failed"),
    ([f"{MODELS}:mlp", "--batch", "BAD.npy"], "NaN or infinite"),
    ([f"{MODELS}:mlp", "--input-shape", "2,784", "--init", "RULES"], "unknown initializer 'kaiming_bogus'"),
    (["torch.nn:ReLU", "--input-shape", "2,3", "--lsuv"], "no Linear, Conv or attention layer"),
])
def test_bad_input_is_one_line_exit_2(args, message, tmp_path, capsys):
    bad = np.ones((2, 784))
    bad[0, 0] = np.nan
    np.save(tmp_path / "bad.npy", bad)
    (tmp_path / "rules.toml").write_text('[[rule]]\nmatch = "Linear"\nweight = "kaiming_bogus"\n')
    args = [a.replace("BAD.npy", str(tmp_path / "bad.npy")).replace("RULES", str(tmp_path / "rules.toml"))
            for a in args]
    code, out, err = run(["inspect", *args], capsys)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("initlab: error: ")
    import re

    assert re.search(message, err), err
