"""The store report and CSV export, on a store whose contents the test writes itself."""

from __future__ import annotations

import csv
import itertools
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from initlab.cli import main
from initlab.output.sweep_report import CSV_COLUMNS, SweepReport
from initlab.sweep.run import RunConfig
from initlab.sweep.store import open_store

INITS, ACTS, DEPTHS, WIDTHS, SEEDS = ("he_normal", "zeros"), ("relu", "tanh"), (1, 3), (4, 8), 3


def _status(init: str, act: str, depth: int, seed: int) -> str:
    if init == "zeros":
        return "chance"
    return "diverged" if (act == "tanh" and depth == 3 and seed == 0) else "trained"


def make_store(path: Path) -> list[tuple[RunConfig, dict]]:
    items = []
    for init, act, depth, width, seed in itertools.product(INITS, ACTS, DEPTHS, WIDTHS,
                                                           range(SEEDS)):
        c = RunConfig("moons", init, act, (width,) * depth, seed=seed, num_iterations=100)
        st = _status(init, act, depth, seed)
        acc = None if st == "diverged" else (0.5 if st == "chance" else 0.8 + 0.01 * seed + 0.001 * width)
        cost = None if st == "diverged" else (0.69 if st == "chance" else 0.3 - 0.01 * depth)
        items.append((c, {"run_id": c.run_id, "status": st, "final_cost": cost,
                          "train_accuracy": acc, "test_accuracy": acc,
                          "steps_to_threshold": 40 if st == "trained" else None, "seconds": 0.01,
                          "engine": "numpy", "arrays": {"costs": np.linspace(1, 0.5, 3)}}))
    with open_store(path, create=True) as st:
        st.add(items)
        st.record_sweep("fake", {"grid": {"init": list(INITS)}})
    return items


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> tuple[Path, list]:
    p = tmp_path_factory.mktemp("rep") / "runs.db"
    return p, make_store(p)


def test_summary_counts_and_means(store):
    path, items = store
    rep = SweepReport.from_store(path)
    rows = {r[0]: r for r in rep.summary_rows()}
    n_cell = len(ACTS) * len(DEPTHS) * len(WIDTHS) * SEEDS
    assert rows["zeros"][1:5] == [n_cell, 0, n_cell, 0]
    diverged = len(WIDTHS)  # tanh, depth 3, seed 0, each width
    assert rows["he_normal"][1:5] == [n_cell, n_cell - diverged, 0, diverged]
    acc = [r["test_accuracy"] for c, r in items if c.init == "he_normal" and r["test_accuracy"]]
    assert rows["he_normal"][5].startswith(f"{np.mean(acc):.4g} [")


def test_points_against_width_are_means_per_init(store):
    path, items = store
    pts = SweepReport.from_store(path).points("test_accuracy", "width")
    for x, mean, low, high in pts["he_normal"]:
        vals = [r["test_accuracy"] for c, r in items
                if c.init == "he_normal" and c.width == x and r["test_accuracy"] is not None]
        assert mean == pytest.approx(np.mean(vals)) and low <= mean <= high


def test_failure_map_cells(store):
    cells = SweepReport.from_store(store[0]).failure_cells()
    assert cells[("he_normal / tanh", 3)] == {"trained": 4, "diverged": 2}
    assert cells[("zeros / relu", 1)] == {"chance": 6}
    assert len(cells) == len(INITS) * len(ACTS) * len(DEPTHS)


def test_csv_export_round_trips_the_store(store, tmp_path, capsys):
    path, items = store
    out = tmp_path / "runs.csv"
    try:
        main(["export", str(path), "--csv", str(out)])
    except SystemExit as e:
        assert not e.code
    with out.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == list(CSV_COLUMNS)
    by_id = {r["run_id"]: r for r in rows}
    assert len(by_id) == len(items)
    for c, r in items:
        row = by_id[c.run_id]
        assert row["status"] == r["status"] and int(row["depth"]) == c.depth
        assert row["final_cost"] == ("" if r["final_cost"] is None else repr(r["final_cost"]))
        assert int(row["num_iterations"]) == 100


class Page(HTMLParser):
    """Start tags with their attributes, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_report_cli_writes_a_self_contained_page(store, tmp_path, capsys):
    path, items = store
    try:
        main(["report", str(path), "--out", str(tmp_path / "rep")])
    except SystemExit as e:
        assert not e.code
    html = (tmp_path / "rep" / "index.html").read_text()
    p = Page()
    p.feed(html)
    ids = [a.get("id") for t, a in p.tags if t == "section"]
    assert ids == ["summary", "depth-width", "failure-map", "runs", "specs"]
    imgs = [a for t, a in p.tags if t == "img"]
    assert len(imgs) == 2 and all(a["src"].startswith("data:image/png") for a in imgs)
    assert html.count("<tr>") >= len(items)
    assert not [a for _, a in p.tags if str(a.get("src", a.get("href", ""))).startswith("http")]


@pytest.mark.parametrize("content", [b"", b"plain text, not sqlite" * 30])
def test_report_and_export_refuse_non_stores(tmp_path, capsys, content):
    bad = tmp_path / "bad.db"
    bad.write_bytes(content)
    for args in (["report", str(bad), "--out", str(tmp_path / "r")],
                 ["export", str(bad), "--csv", str(tmp_path / "x.csv")]):
        with pytest.raises(SystemExit) as e:
            main(args)
        assert e.value.code == 2 and "not an initlab store" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()


def test_report_of_an_empty_store_says_so(tmp_path, capsys):
    open_store(tmp_path / "empty.db", create=True).close()
    with pytest.raises(SystemExit) as e:
        main(["report", str(tmp_path / "empty.db"), "--out", str(tmp_path / "r")])
    assert e.value.code == 2 and "holds no runs yet" in capsys.readouterr().err
    assert not (tmp_path / "r" / "index.html").exists()
