"""Reports rendered by a real browser: headless Chromium loads every figure and logs no error.

The test copies a generated page and puts a small script first in its ``<head>``: it records
script errors, failed resource loads and ``console.error`` calls, and on ``load`` writes a JSON
verdict about every image and inline SVG into the DOM, which ``--dump-dom`` prints. Chromium's
own console log (``--enable-logging=stderr``) is checked as well, for anything before the script.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from initlab.experiments.compare import compare
from initlab.output.bundle import write_bundle
from initlab.output.sweep_report import SweepReport

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.browser

PROBE = """<script>
window.__errs = [];
window.addEventListener("error", e => window.__errs.push(
  String(e.message || (e.target && (e.target.src || e.target.href)) || e)), true);
const __ce = console.error;
console.error = (...a) => { window.__errs.push(a.join(" ")); __ce(...a); };
window.addEventListener("load", () => {
  const size = el => { const r = el.getBoundingClientRect(); return [r.width, r.height]; };
  const figs = [...document.images].map(i => ({loaded: i.complete && i.naturalWidth > 0,
                                               natural: [i.naturalWidth, i.naturalHeight],
                                               shown: size(i)}))
    .concat([...document.querySelectorAll("figure > svg")].map(s => ({loaded: true,
                                               natural: size(s), shown: size(s)})));
  const out = document.createElement("pre");
  out.id = "initlab-verdict";
  out.textContent = JSON.stringify({figures: figs, errors: window.__errs,
                                    figureTags: document.querySelectorAll("figure").length});
  document.body.appendChild(out);
});
</script>"""


def render(page: Path, tmp_path: Path) -> tuple[dict, str]:
    assert CHROMIUM, "this test needs headless Chromium: apt-get install chromium (.ci/run does)"
    probe = tmp_path / "probed.html"
    html = page.read_text(encoding="utf-8")
    probe.write_text(html.replace("<head>", "<head>\n" + PROBE, 1), encoding="utf-8")
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,900", "--dump-dom",
         probe.as_uri()],
        check=False, capture_output=True, text=True, timeout=90)
    found = re.search(r'<pre id="initlab-verdict">(.*?)</pre>', proc.stdout, re.DOTALL)
    assert found, f"no verdict in chromium's DOM dump; stderr:\n{proc.stderr[-2000:]}"
    text = found.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")
    return json.loads(text.replace("&amp;", "&")), proc.stderr


def check(page: Path, tmp_path: Path, n_figures: int) -> None:
    verdict, log = render(page, tmp_path)
    assert verdict["errors"] == []
    assert not [line for line in log.splitlines() if "CONSOLE" in line]
    figs = verdict["figures"]
    assert len(figs) == verdict["figureTags"] == n_figures
    for f in figs:
        assert f["loaded"], f
        assert min(f["natural"]) > 0 and min(f["shown"]) > 0, f


def test_sweep_report_in_chromium(tmp_path):
    from test_report_sweep import make_store

    make_store(tmp_path / "runs.db")
    page = write_bundle(SweepReport.from_store(tmp_path / "runs.db"), tmp_path / "report")["index.html"]
    check(page, tmp_path, n_figures=2)


@pytest.mark.slow  # ~25 s: out of the default run, in CI's
def test_compare_report_in_chromium(tmp_path):
    res = compare(["zeros", "he_normal"], seeds=3, num_iterations=30, record_every=10)
    page = write_bundle(res, tmp_path / "compare")["index.html"]
    check(page, tmp_path, n_figures=3)


def test_tutorial_page_in_chromium(tmp_path):
    from initlab.experiments.tutorial import run_tutorial

    page = write_bundle(run_tutorial(num_iterations=3), tmp_path / "tutorial")["index.html"]
    check(page, tmp_path, n_figures=1 + 3 * 2 + 12)


def test_histograms_and_phase_diagram_pages_in_chromium(tmp_path):
    from initlab.experiments import histograms
    from initlab.experiments.propagation_reports import HistogramsReport, phase_diagram

    result = histograms.run(["he_normal"], ["relu", "tanh"], depth=3, width=20, samples=50)
    page = write_bundle(HistogramsReport(result), tmp_path / "hist")["index.html"]
    check(page, tmp_path, n_figures=2 * 2)
    page = write_bundle(phase_diagram("tanh", 0.05, ["lecun_normal"], 100, 6), tmp_path / "phase")
    check(page["index.html"], tmp_path, n_figures=1)
