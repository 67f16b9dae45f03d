"""``initlab tutorial``: the whole document from one command, its files, JSON, page and errors."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cli_helpers import invoke as run_cli
from tutorial_facts import DOC_ACCURACY, HE_FIRST, HE_LAST


@pytest.fixture(scope="module")
def tutorial_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("tut")
    proc = subprocess.run(
        [sys.executable, "-m", "initlab.cli", "tutorial", "--out", str(out), "--json"],
        capture_output=True, text=True, check=False, env={**os.environ, "MPLBACKEND": "Agg"}, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    return out, json.loads(proc.stdout), proc.stderr


def test_json_has_the_documented_shape_and_the_documents_numbers(tutorial_run):
    out, doc, _ = tutorial_run
    assert json.loads((out / "results.json").read_text())["runs"] == doc["runs"]
    runs = {r["initialization"]: r for r in doc["runs"]}
    assert list(runs) == ["zeros", "random", "he"]
    for init, r in runs.items():
        for key in ("initialization", "dataset", "learning_rate", "num_iterations", "costs",
                    "train_accuracy", "test_accuracy"):
            assert key in r
        assert r["dataset"] == "moons" and r["learning_rate"] == 0.01
        assert r["num_iterations"] == 15000 and len(r["costs"]) == 15
        assert (r["train_accuracy"], r["test_accuracy"]) == DOC_ACCURACY[init]
        assert all(isinstance(c, float) and math.isfinite(c) for c in r["costs"])
    assert runs["he"]["costs"][0] == pytest.approx(HE_FIRST, rel=1e-9)
    assert runs["he"]["costs"][-1] == pytest.approx(HE_LAST, rel=1e-9)
    cases = doc["activation_distributions"]["cases"]
    assert len(cases) == 12
    assert {(c["activation"], c["label"]) for c in cases} == {
        (a, w) for a in ("sigmoid", "relu", "tanh") for w in ("std=1", "std=0.01", "Xavier", "He")
    }
    for c in cases:
        assert [layer["layer"] for layer in c["layers"]] == [1, 2, 3, 4, 5]
        assert all(sum(layer["counts"]) <= 100_000 and len(layer["counts"]) == 30 for layer in c["layers"])
    sig = next(c for c in cases if c["activation"] == "sigmoid" and c["label"] == "std=1")
    assert sig["range"] == [0.0, 1.0]
    # the document's reading: std 1 saturates sigmoid, std 0.01 does not
    assert sig["layers"][-1]["limit_share"] > 0.3
    small = next(c for c in cases if c["activation"] == "sigmoid" and c["label"] == "std=0.01")
    assert small["layers"][-1]["limit_share"] == 0.0 and small["layers"][-1]["std"] < 0.05


def test_costs_go_to_stderr_with_json(tutorial_run):
    _, _, err = tutorial_run
    assert "Cost after iteration 14000:" in err


def test_every_figure_is_written(tutorial_run):
    out, doc, _ = tutorial_run
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == sorted(doc["figures"])
    assert len(pngs) == 1 + 3 * 2 + 12
    for p in out.glob("*.png"):
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(out.glob(".*tmp"))


class _PageParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.imgs, self.urls, self.headings, self._h = [], [], [], [], False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(a["id"])
        if tag == "img":
            self.imgs.append(a.get("src", ""))
        for key in ("src", "href"):
            if key in a and not str(a[key]).startswith("data:"):
                self.urls.append(a[key])
        self._h = tag in {"h2", "h3"}

    def handle_data(self, data):
        if self._h and data.strip():
            self.headings.append(data.strip())
            self._h = False


def test_html_page_has_every_section_and_figure_and_no_external_url(tutorial_run):
    out, doc, _ = tutorial_run
    page = (out / "index.html").read_text()
    p = _PageParser()
    p.feed(page)
    assert p.urls == ["playground/index.html"]  # the one link: a local page written beside it
    assert "http://" not in page and "https://" not in page
    assert len(p.imgs) == len(doc["figures"])
    assert all(src.startswith("data:image/png;base64,") for src in p.imgs)
    order = ["intro", "dataset", "model", "init-zeros", "init-random", "init-he", "conclusions",
             "part6", "part6-sigmoid", "part6-relu", "part6-tanh"]
    assert [i for i in p.ids if i in order] == order
    assert p.headings[:7] == ["Parameter Initialization", "The dataset", "1 - Neural Network model",
                              "2 - Zero initialization", "3 - Random initialization",
                              "4 - He initialization", "5 - Conclusions"]
    assert "Fails to break symmetry" in page and "88.67%" in page


def run_fail(args, capsys):
    code, _out, err = run_cli(args, capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("initlab: error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--dataset", "spirals2"], "invalid tutorial dataset 'spirals2'; valid: moons, circles"),
        (["--iterations", "0"], "iterations must be an integer >= 1, got 0"),
        (["--iterations", "-5"], "got -5"),
        (["--learning-rate", "nan"], "learning rate must be finite"),
        (["--learning-rate", "0"], "learning rate must be finite and > 0"),
        (["--seed", "-1"], "seed must be an integer >= 0"),
        (["--iterations", "abc"], "'abc' is not a valid integer"),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(args, needle, capsys, tmp_path):
    line = run_fail(["tutorial", "--out", str(tmp_path / "o"), *args], capsys)
    assert needle in line


def test_unwritable_out_fails_cleanly(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    line = run_fail(["tutorial", "--out", str(blocker / "sub")], capsys)
    assert str(blocker) in line


def test_failed_run_leaves_no_half_written_results(capsys, tmp_path, monkeypatch):
    # the disk fills up after the first figures are written: nothing reaches --out
    from initlab.core import files
    from initlab.output import bundle

    real, calls = files.atomic_write_bytes, []

    def fill_up(path, data):
        calls.append(path)
        if len(calls) > 3:
            raise OSError(28, "No space left on device")
        return real(path, data)

    monkeypatch.setattr(bundle, "atomic_write_bytes", fill_up)
    out = tmp_path / "o"
    line = run_fail(["tutorial", "--out", str(out), "--iterations", "10", "--quiet"], capsys)
    assert "No space left on device" in line and len(calls) == 4
    assert list(out.iterdir()) == []
    assert [p.name for p in tmp_path.iterdir()] == ["o"]  # no temporary folder left beside it


def test_circles_dataset_and_short_run(capsys, tmp_path):
    code, out, err = run_cli(["tutorial", "--out", str(tmp_path), "--dataset", "circles",
                              "--iterations", "1001", "--learning-rate", "0.05", "--quiet",
                              "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["dataset"] == {"name": "circles", "n_train": 300, "n_test": 100}
    assert all(r["num_iterations"] == 1001 and len(r["costs"]) == 2 for r in doc["runs"])
    assert err == ""
    assert Path(tmp_path / "index.html").exists()


@pytest.mark.parametrize("command", [
    ["tutorial", "--iterations", "20", "--quiet"],
    # slow: with an empty cache this process compiles the batched kernel (~20 s here)
    pytest.param(["compare", "--inits", "zeros,he_normal", "--seeds", "2", "--iterations", "20"],
                 marks=pytest.mark.slow),
])
def test_python_dash_m_cli_runs_the_command_and_ends_normally(command, tmp_path):
    # the process ends through the interpreter's normal exit: atexit handlers run
    out = str(tmp_path / "out")
    code = ("import atexit, runpy, sys; atexit.register(lambda: print('TEARDOWN')); "
            f"sys.argv = ['initlab', *{command!r}, '--out', {out!r}]; "
            "runpy.run_module('initlab.cli', run_name='__main__', alter_sys=True)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=False)
    assert res.returncode == 0, res.stderr
    assert res.stdout.rstrip().endswith("TEARDOWN") and (tmp_path / "out" / "index.html").is_file()
    assert ("wrote 21 files" if command[0] == "tutorial" else "report:") in res.stdout


def test_page_links_to_the_playground_written_beside_it(tutorial_run):
    out, _doc, _ = tutorial_run
    page = (out / "index.html").read_text()
    hrefs = re.findall(r'<a href="([^"]+)"', page)
    assert hrefs == ["playground/index.html"]
    playground = (out / hrefs[0]).read_text()
    # the linked page is the playground opened on the document's preset, not an empty shell
    assert "window.initlab" in playground and '"preset":"tutorial"' in playground
