"""write_bundle: any report to results.json + PNGs + index.html, published atomically."""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass

import numpy as np
import pytest

from initlab.core.errors import InitlabError
from initlab.core.report import Image, Plot, Report, Section, Table
from initlab.output import bundle
from initlab.output.bundle import write_bundle


@dataclass
class Tiny(Report):
    """A report with one table and one figure, its numbers chosen by the test."""

    costs: list[float]
    show: str = "costs"
    title = "tiny"

    def to_json(self):
        return {"costs": self.costs}

    def sections(self):
        return [Section("Costs", ["A paragraph <with> markup to escape."],
                        [Table(["i", "cost"], list(enumerate(self.costs)))],
                        [Image(self.show, "the cost curve", id="fig-costs")], id="costs")]

    def figures(self):
        return {"costs": Plot("costs", {"iterations": [0, 1000, 2000][: len(self.costs)],
                                        "costs": self.costs, "learning_rate": 0.5})}


def test_bundle_holds_the_json_the_png_and_a_page_embedding_it(tmp_path):
    written = write_bundle(Tiny([0.7, 0.3, 0.1]), tmp_path / "out")
    assert sorted(written) == ["costs.png", "index.html", "results.json"]
    assert json.loads((tmp_path / "out" / "results.json").read_text()) == {"costs": [0.7, 0.3, 0.1]}
    png = (tmp_path / "out" / "costs.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    page = written["index.html"].read_text()
    assert base64.b64encode(png).decode() in page
    assert "&lt;with&gt;" in page and "<with>" not in page
    assert page.count("<tr>") == 1 + 3
    # same result, same bytes: nothing in the files depends on time or process
    again = write_bundle(Tiny([0.7, 0.3, 0.1]), tmp_path / "again")
    for name in written:
        assert written[name].read_bytes() == again[name].read_bytes()


def test_existing_files_beside_the_bundle_are_kept_and_old_results_replaced(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    write_bundle(Tiny([1.0]), out)
    write_bundle(Tiny([2.0, 1.0]), out)
    assert (out / "notes.txt").read_text() == "mine"
    assert json.loads((out / "results.json").read_text()) == {"costs": [2.0, 1.0]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary folder left


def test_a_failure_before_publishing_writes_nothing(tmp_path):
    bad = Tiny([np.nan])  # strict JSON refuses NaN
    with pytest.raises(ValueError, match="Out of range float"):
        write_bundle(bad, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match=r"shows figures it does not define: \['nope'\]"):
        write_bundle(Tiny([1.0], show="nope"), tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_out_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(InitlabError, match="exists and is not a folder"):
        write_bundle(Tiny([1.0]), tmp_path / "f")


def test_unknown_plot_kind_names_the_known_ones():
    from initlab.output.figures import draw

    with pytest.raises(InitlabError, match=r"unknown plot kind 'pie'; known: .*costs"):
        draw(Plot("pie", {}))


def test_writers_of_one_folder_take_turns(tmp_path):
    out = tmp_path / "out"
    done = threading.Event()

    def write():
        write_bundle(Tiny([3.0]), out)
        done.set()

    with bundle.turn(tmp_path):  # another initlab command is publishing a bundle here
        t = threading.Thread(target=write)
        t.start()
        time.sleep(0.5)
        assert not done.is_set() and not (out / "index.html").exists()
    t.join(30)
    assert done.is_set() and json.loads((out / "results.json").read_text()) == {"costs": [3.0]}


def test_notebook_view_has_the_tables_and_no_page_chrome():
    html = Tiny([0.5, 0.25])._repr_html_()
    assert html.count("<tr>") == 3 and "<style" not in html and "<img" not in html


def test_show_embeds_the_bundles_figures_in_the_notebook_view(tmp_path):
    html = bundle.show(Tiny([0.7, 0.3, 0.1]))._repr_html_()
    png = write_bundle(Tiny([0.7, 0.3, 0.1]), tmp_path / "out")["costs.png"].read_bytes()
    assert html.count("<img") == 1 and base64.b64encode(png).decode() in html
    assert html.count("<tr>") == 4 and "<style" not in html
    with pytest.raises(ValueError, match=r"shows figures it does not define: \['nope'\]"):
        bundle.show(Tiny([1.0], show="nope"))


WRITER = """
import sys
from dataclasses import dataclass
from initlab.core.report import Report, Section, Table
from initlab.output.bundle import write_bundle

@dataclass
class Tag(Report):
    tag: str
    title = "tag"
    def to_json(self):
        return {"tag": self.tag}
    def sections(self):
        return [Section("Tag", tables=[Table(["tag"], [[self.tag]])], id="tag")]
    def figures(self):
        return {}

for i in range(int(sys.argv[3])):
    write_bundle(Tag(f"{sys.argv[2]}-{i}"), sys.argv[1])
"""


def test_two_commands_writing_one_folder_never_leave_a_mixed_set(tmp_path):
    # reliability report D5: two compares into one --out left index.html from one run and
    # results.json from the other. Two processes publish 30 bundles each into one folder; a
    # reader taking its turn like a writer must always find one run's page with that run's
    # JSON. (With bundle.turn made a no-op, this fails: 70-90 mixed reads in 3 of 3 tries.)
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    out = tmp_path / "out"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(out), name, "30"], env=env)
             for name in ("a", "b")]
    reads, mixed = 0, []
    while any(p.poll() is None for p in procs):
        with bundle.turn(tmp_path):  # between two publications, never inside one
            if (out / "index.html").exists():
                tag = json.loads((out / "results.json").read_text())["tag"]
                if f"<td>{tag}</td>" not in (out / "index.html").read_text():
                    mixed.append(tag)
                reads += 1
        time.sleep(0.001)
    assert all(p.wait(120) == 0 for p in procs)
    assert reads > 10 and mixed == []
    tag = json.loads((out / "results.json").read_text())["tag"]
    assert f"<td>{tag}</td>" in (out / "index.html").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
