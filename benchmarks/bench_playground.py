"""The playground's tutorial preset in headless Chromium against initlab's NumPy engine.

    PYTHONPATH=src python benchmarks/bench_playground.py [--repeat 3] [--json out.json]

Work: the tutorial's three trainings (zeros, x10 random, He; [2,10,5,1] ReLU, 300 moons examples,
15000 gradient-descent steps each, costs recorded every 1000, train and test accuracy).

- **JS**: ``await window.initlab.runPreset("tutorial")`` in the page ``initlab playground``
  writes, in Debian's /usr/bin/chromium driven by Playwright; timed inside the page with
  ``performance.now()`` (the page is loaded and idle first; the preset yields to the browser
  every ~12 ms, which is included).
- **Python**: :func:`initlab.experiments.tutorial.run_training` for the same three runs, the
  engine ``train`` picks for them (named in the output; the NumPy reference here).

The sides take turns ``--repeat`` times; the best of each is reported with their ratio, and the
largest relative cost difference of the non-chaotic runs (zeros, He) as a sanity check.
Target (issue 14): JS <= 3 s on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
JS_TIMED = """async () => {
  const t0 = performance.now();
  const r = await window.initlab.runPreset("tutorial");
  return {seconds: (performance.now() - t0) / 1000, runs: r.runs};
}"""


def python_side() -> tuple[float, dict[str, list[float]], str]:
    """Seconds for the three trainings with initlab's Python engine, their costs, the engine."""
    from initlab import datasets
    from initlab.experiments.tutorial import INITIALIZATIONS, run_training

    data = datasets.load("moons")
    t0 = time.perf_counter()
    runs = [run_training(data, flag, scheme, 0.01, 15000) for flag, scheme, _, _ in INITIALIZATIONS]
    seconds = time.perf_counter() - t0
    return seconds, {r.initialization: r.costs for r in runs}, runs[0].engine


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", default=None, help="also write the results here")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    from initlab.output.playground import write_playground

    folder = Path(tempfile.mkdtemp(prefix="bench-playground-"))
    url = write_playground(folder).as_uri()
    js_times: list[float] = []
    py_times: list[float] = []
    worst = 0.0
    engine = "?"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH_ARGS)
        page = browser.new_page()
        page.goto(url)
        page.wait_for_function("window.initlab !== undefined")
        version = browser.version
        for _ in range(args.repeat):
            got = page.evaluate(JS_TIMED)
            js_times.append(got["seconds"])
            sec, costs, engine = python_side()
            py_times.append(sec)
            for run in got["runs"]:
                if run["initialization"] != "random":  # chaotic: see tests/test_playground.py
                    ref = costs[run["initialization"]]
                    worst = max(worst, max(abs(a - b) / abs(b) for a, b in zip(run["costs"], ref, strict=True)))
        browser.close()
    result = {
        "work": "tutorial preset: 3 runs x 15000 steps, [2,10,5,1] relu, 300 examples",
        "chromium": version, "python_engine": engine, "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "js_seconds": js_times, "python_seconds": py_times,
        "js_best": min(js_times), "python_best": min(py_times),
        "python_over_js": min(py_times) / min(js_times),
        "max_rel_cost_diff_zeros_he": worst, "target_js_seconds": 3.0,
    }
    print(f"JS (Chromium {version}) best {min(js_times):.2f} s of {[round(t, 2) for t in js_times]}")
    print(f"Python ({engine} engine) best {min(py_times):.2f} s of {[round(t, 2) for t in py_times]}")
    print(f"Python / JS = {result['python_over_js']:.2f}; target JS <= 3 s; "
          f"max rel cost diff (zeros, he) {worst:.2e}; load average {result['load_average']}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
