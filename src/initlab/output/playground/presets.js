// initlab playground presets: the document's trainings and its part 6, reproduced in the page.
//
// The tutorial preset trains the three runs in Web Workers made from the page's own engine.js
// (in-page slices where workers are unavailable); part 6 computes one case per slice. Both
// yield to the browser between slices, so the tab never freezes.
(function (IL) {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const { drawBoundary, drawLines, drawCounts, fmtNum } = IL.draw;
  const SLICE_MS = (IL.SLICE_MS = 12); // work per slice before yielding (ms)

  // A MessageChannel message is a macrotask without setTimeout's 4 ms clamp: the browser can
  // render and handle input between slices, and long runs lose little time.
  const channel = new MessageChannel(), waiting = [];
  channel.port1.onmessage = () => waiting.shift()();
  const yieldToBrowser = () => new Promise((resolve) => { waiting.push(resolve); channel.port2.postMessage(0); });

  /** Train the tutorial's three runs from the document's weights; resolves to their results. */
  async function runTutorial() {
    const P = IL.TABLES.tutorial;
    const data = { X: Float64Array.from(P.train_X), Y: Float64Array.from(P.train_Y), m: P.m_train };
    $("preset-status").textContent = "running the tutorial preset…";
    // the three runs are independent: each goes to its own Web Worker (the cores work in
    // parallel and the page stays responsive); where workers are unavailable, run here in slices
    const results = await Promise.all(P.runs.map((r) => inWorker(P, r).catch(() => inPage(P, r))));
    const out = results.map((res) => Object.assign(res, {
      net: IL.makeNet(P.dims, P.activation, { W: res.W.map((a) => Float64Array.from(a)), b: res.b.map((a) => Float64Array.from(a)) }),
    }));
    renderTutorial(out, data);
    $("preset-status").textContent = "tutorial preset: 3 runs of " + P.num_iterations + " iterations done";
    return { runs: out.map(({ net, W, b, ...rest }) => rest) };
  }

  /** IL.trainRun in a Web Worker made from the page's own engine.js source (a blob: URL). */
  function inWorker(P, r) {
    return new Promise((resolve, reject) => {
      const src = $("js-engine.js").textContent + "\nself.onmessage = (e) => self.postMessage(IL.trainRun(e.data.P, e.data.r));\n";
      const url = URL.createObjectURL(new Blob([src], { type: "text/javascript" }));
      let w;
      try { w = new Worker(url); } catch (e) { URL.revokeObjectURL(url); reject(e); return; }
      const done = (f) => (x) => { w.terminate(); URL.revokeObjectURL(url); f(x); };
      w.onmessage = done((e) => resolve(Object.assign(e.data, { where: "worker" })));
      w.onerror = done((e) => { e.preventDefault(); reject(new Error(e.message)); });
      w.postMessage({ P, r });
    });
  }

  /** The same training in this page, in slices of ~12 ms that yield to the browser. */
  async function inPage(P, r) {
    const data = { X: Float64Array.from(P.train_X), Y: Float64Array.from(P.train_Y), m: P.m_train };
    const net = IL.makeNet(P.dims, P.activation, { W: r.W.map((a) => Float64Array.from(a)), b: r.b.map((a) => Float64Array.from(a)) });
    const tr = new IL.Trainer(net, data, IL.makeOptimizer("gd", P.learning_rate, net), P.every);
    while (tr.iteration < P.num_iterations) {
      const t0 = performance.now();
      while (tr.iteration < P.num_iterations && performance.now() - t0 < SLICE_MS) tr.steps(Math.min(100, P.num_iterations - tr.iteration));
      await yieldToBrowser();
    }
    return {
      initialization: r.initialization, scheme: r.scheme, iterations: tr.iterations, costs: tr.costs,
      train_accuracy: IL.accuracy(net, data.X, data.Y, data.m),
      test_accuracy: IL.accuracy(net, Float64Array.from(P.test_X), Float64Array.from(P.test_Y), P.m_test),
      W: net.W.map((w) => Array.from(w)), b: net.b.map((b) => Array.from(b)), where: "page",
    };
  }

  function renderTutorial(runs, data) {
    const box = $("preset-out");
    box.textContent = "";
    const t = document.createElement("table");
    t.id = "tutorial-table";
    t.innerHTML = "<tr><th>initialization</th><th>cost at 0</th><th>cost at 14000</th><th>train accuracy</th><th>test accuracy</th></tr>" +
      runs.map((r) => "<tr><td>" + r.initialization + " (" + r.scheme + ")</td><td>" + r.costs[0] + "</td><td>" + r.costs[r.costs.length - 1] + "</td><td>" + r.train_accuracy + "</td><td>" + r.test_accuracy + "</td></tr>").join("");
    box.appendChild(t);
    for (const r of runs) {
      const fig = document.createElement("div"); fig.className = "hcell";
      fig.innerHTML = "<div>" + r.initialization + "</div>";
      const b = document.createElement("canvas"); b.width = 220; b.height = 160; drawBoundary(b, r.net, data);
      const c = document.createElement("canvas"); c.width = 220; c.height = 140;
      drawLines(c, [{ label: "cost", color: "#3b6fb6", points: r.iterations.map((i, k) => [i, r.costs[k]]), dots: true }], { xlabel: "iteration", fmt: (y) => y.toPrecision(3) });
      fig.append(b, c);
      box.appendChild(fig);
    }
  }

  /** Part 6: 4 weight scales x 3 activations, 5 layers of 100 units, 30-bin histograms. */
  async function runPart6() {
    const P = IL.TABLES.part6, seed = P.seed, X = IL.part6Input(seed), cases = [];
    const box = $("preset-out");
    box.textContent = "";
    $("preset-status").textContent = "running the part-6 preset…";
    let c = 0;
    for (const act of P.activations) {
      for (const sc of P.scales) {
        const res = IL.part6Case(sc.init, act, c++, seed, X);
        cases.push({ label: sc.label, init: sc.init, formula: sc.formula, activation: act, range: res.range, counts: res.layers.map((h) => h.counts) });
        const row = document.createElement("div"); row.className = "p6row";
        row.innerHTML = "<div class='p6label'>" + act + ", " + sc.label + " (" + sc.formula + ")</div>";
        res.layers.forEach((h, l) => {
          const cv = document.createElement("canvas"); cv.width = 140; cv.height = 70;
          drawCounts(cv, h.counts, "#3b6fb6", (l + 1) + "-layer [" + fmtNum(res.range[0]) + ", " + fmtNum(res.range[1]) + "]");
          row.appendChild(cv);
        });
        box.appendChild(row);
        // the same case as initlab tutorial's figure drew it (its counts, embedded)
        const fig = P.figures[c - 1], frow = document.createElement("div");
        frow.className = "p6row";
        frow.innerHTML = "<div class='p6label'>initlab tutorial's figure (Generator seed " + seed + ")</div>";
        fig.counts.forEach((counts, l) => {
          const cv = document.createElement("canvas"); cv.width = 140; cv.height = 50;
          drawCounts(cv, counts, "#999", (l + 1) + "-layer [" + fmtNum(fig.range[0]) + ", " + fmtNum(fig.range[1]) + "]");
          frow.appendChild(cv);
        });
        box.appendChild(frow);
        await yieldToBrowser();
      }
    }
    $("preset-status").textContent = "part-6 preset: 12 cases, inputs RandomState(" + seed + "), weights RandomState(" + seed + " + 1 + case)";
    return { seed, cases, figures: P.figures };
  }

  async function runPreset(name) {
    if (name === "tutorial") return runTutorial();
    if (name === "part6") return runPart6();
    throw new Error("unknown preset " + JSON.stringify(name) + "; valid: tutorial, part6");
  }

  IL.runPreset = runPreset;
})(window.IL = window.IL || {});
