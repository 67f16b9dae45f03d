// initlab playground page: controls, URL state, live panels, presets and window.initlab.
//
// No framework: plain DOM and 2-D canvas. The state lives in the URL hash, so a link or a reload
// reproduces the same data, the same initial weights and hence the same run. Long work (play,
// presets) runs in slices of about 12 ms and yields to the browser between them.
(function (IL) {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const DEFAULTS = { dataset: "moons", dseed: 1, layers: "10,5", activation: "relu", init: "he_normal", seed: 3, optimizer: "gd", lr: 0.01 };
  const SLICE_MS = 12;
  const MAX_UNITS = 256, MAX_HIDDEN = 8;

  // ---------------------------------------------------------------- yielding
  // A MessageChannel message is a macrotask without setTimeout's 4 ms clamp: the browser can
  // render and handle input between slices, and long runs lose little time.
  const channel = new MessageChannel(), waiting = [];
  channel.port1.onmessage = () => waiting.shift()();
  const yieldToBrowser = () => new Promise((resolve) => { waiting.push(resolve); channel.port2.postMessage(0); });

  // ---------------------------------------------------------------- state and validation
  /** Validate a raw settings object; returns {settings} or {errors: {control: message}}. */
  function validate(raw) {
    const s = Object.assign({}, DEFAULTS, raw), errors = {};
    if (!IL.DATASETS.includes(s.dataset)) errors.dataset = "unknown dataset " + JSON.stringify(s.dataset) + "; valid: " + IL.DATASETS.join(", ");
    s.dseed = Number(s.dseed);
    if (!Number.isInteger(s.dseed) || s.dseed < 0 || s.dseed > 4294967294) errors.dseed = "seed must be an integer in [0, 4294967294], got " + JSON.stringify(raw.dseed);
    s.seed = Number(s.seed);
    if (!Number.isInteger(s.seed) || s.seed < 0 || s.seed > 4294967295) errors.seed = "seed must be an integer in [0, 4294967295], got " + JSON.stringify(raw.seed);
    const parts = String(s.layers).split(",").map((x) => x.trim());
    const sizes = parts.map(Number);
    if (!parts.length || parts.some((x) => !/^\d+$/.test(x)) || sizes.some((n) => n < 1 || n > MAX_UNITS) || sizes.length > MAX_HIDDEN) {
      errors.layers = "hidden layer sizes must be 1 to " + MAX_HIDDEN + " comma-separated integers in [1, " + MAX_UNITS + "], got " + JSON.stringify(String(s.layers));
    } else s.layers = sizes.join(",");
    if (!(s.activation in IL.TABLES.activations.activations)) {
      errors.activation = "unknown activation " + JSON.stringify(s.activation) + "; valid: " + Object.keys(IL.TABLES.activations.activations).join(", ");
    }
    try {
      const p = IL.parseSpec(String(s.init));
      if (!errors.layers) { const d = dimsOf(s); for (let l = 1; l < d.length; l++) IL.law(p, [d[l], d[l - 1]]); }
    } catch (e) { errors.init = e.message; }
    if (!(s.optimizer in IL.TABLES.optimizers)) errors.optimizer = "unknown optimizer " + JSON.stringify(s.optimizer) + "; valid: " + Object.keys(IL.TABLES.optimizers).join(", ");
    const lr = typeof s.lr === "number" ? s.lr : (/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(String(s.lr)) ? Number(s.lr) : NaN);
    if (!(lr > 0) || !Number.isFinite(lr)) errors.lr = "learning rate must be a positive number, got " + JSON.stringify(String(s.lr));
    else s.lr = lr;
    return Object.keys(errors).length ? { errors } : { settings: s };
  }
  const dimsOf = (s) => [2, ...String(s.layers).split(",").map(Number), 1];

  const toHash = (s) => "#" + Object.keys(DEFAULTS).map((k) => k + "=" + encodeURIComponent(String(s[k]))).join("&");
  function fromHash(hash) {
    const out = {};
    for (const part of hash.replace(/^#/, "").split("&")) {
      if (!part) continue;
      const eq = part.indexOf("=");
      const k = decodeURIComponent(eq < 0 ? part : part.slice(0, eq)), v = eq < 0 ? "" : decodeURIComponent(part.slice(eq + 1));
      if (k in DEFAULTS) out[k] = v;
    }
    return out;
  }

  // ---------------------------------------------------------------- the model being trained
  let S = null;          // current good settings
  let run = null;        // {net, trainer, data, laws, predicted, snapshot}
  let playing = false;

  /** Build data, initial weights and trainer from validated settings (same seed, same weights). */
  function build(s) {
    const dims = dimsOf(s), data = IL.makeDataset(s.dataset, s.dseed), spec = IL.parseSpec(s.init);
    const params = IL.initParams(dims, spec, s.seed);
    const net = IL.makeNet(dims, s.activation, params);
    const laws = [], biasVar = [];
    for (let l = 1; l < dims.length; l++) {
      laws.push(IL.law(spec, [dims[l], dims[l - 1]]));
      const b = params.b[l - 1];
      biasVar.push(b.reduce((a, x) => a + x * x, 0) / b.length);
    }
    const trainer = new IL.Trainer(net, data.train, IL.makeOptimizer(s.optimizer, s.lr, net), 1000);
    const predicted = IL.predictStd(dims, s.activation, laws, biasVar, data.train.X, data.train.m);
    return { net, trainer, data, laws, predicted, spec };
  }

  /** Try new settings: on success they become the state (and the hash); else show the errors. */
  function apply(raw, { keepHash } = {}) {
    const v = validate(raw);
    clearErrors();
    if (v.errors) {
      for (const [k, msg] of Object.entries(v.errors)) showError(k, msg);
      return false;
    }
    let built;
    try { built = build(v.settings); } catch (e) { showError("init", e.message); return false; }
    S = v.settings;
    run = built;
    if (!keepHash && location.hash !== toHash(S)) history.replaceState(null, "", toHash(S));
    writeControls(S);
    render();
    return true;
  }

  function clearErrors() { for (const el of document.querySelectorAll(".err")) el.textContent = ""; }
  function showError(control, msg) { const el = $("err-" + control); if (el) el.textContent = msg; }

  function readControls() {
    const out = {};
    for (const k of Object.keys(DEFAULTS)) out[k] = $("c-" + k).value;
    return out;
  }
  function writeControls(s) { for (const k of Object.keys(DEFAULTS)) $("c-" + k).value = String(s[k]); }

  // ---------------------------------------------------------------- training loop
  /** Do `n` steps (or until the slice's time is up when n is Infinity); false on divergence. */
  function advance(n) {
    const tr = run.trainer, t0 = performance.now();
    const snapshot = { W: run.net.W.map((w) => w.slice()), b: run.net.b.map((b) => b.slice()), it: tr.iteration };
    try {
      let done = 0;
      while (done < n) {
        const k = Math.min(n - done, 50);
        tr.steps(k);
        done += k;
        if (n === Infinity && performance.now() - t0 > SLICE_MS) break;
      }
    } catch (e) {
      // keep the last good state: the parameters as they were before this slice
      run.net.W.forEach((w, l) => w.set(snapshot.W[l]));
      run.net.b.forEach((b, l) => b.set(snapshot.b[l]));
      tr.iteration = snapshot.it;
      tr.curve = tr.curve.filter(([i]) => i < snapshot.it);
      setPlaying(false);
      showError("lr", e.message);
      return false;
    }
    return true;
  }

  async function playLoop() {
    while (playing) {
      if (!advance(Infinity)) break;
      render();
      await new Promise((r) => requestAnimationFrame(() => r()));
    }
  }
  function setPlaying(on) {
    playing = on;
    $("b-play").textContent = on ? "pause" : "play";
    if (on) playLoop();
  }

  // ---------------------------------------------------------------- panels
  function render() {
    const tr = run.trainer, d = run.data;
    const acc = IL.accuracy(run.net, d.train.X, d.train.Y, d.train.m), tacc = IL.accuracy(run.net, d.test.X, d.test.Y, d.test.m);
    const cost = IL.cost(IL.forward(run.net, d.train.X, tr.ws), d.train.Y, tr.ws);
    $("status").textContent = "iteration " + tr.iteration + " · cost " + cost.toPrecision(6) + " · train accuracy " + (100 * acc).toFixed(1) + "% · test accuracy " + (100 * tacc).toFixed(1) + "%";
    drawBoundary($("p-boundary"), run.net, d.train);
    drawCost($("p-cost"), tr.curve, $("c-log").checked);
    renderLayers();
  }

  /** Histograms, std through depth and diagnosis of the current parameters on the training set. */
  function renderLayers() {
    const net = run.net, d = run.data.train, ws = IL.workspace(net, d.m), dims = net.dims;
    IL.forward(net, d.X, ws);
    IL.backward(net, d.X, d.Y, ws);
    const hidden = dims.length - 2, limits = IL.ACTIVATIONS[net.activation].limits;
    const actStats = [], gradStats = [], box = $("p-hist");
    box.textContent = "";
    for (let l = 0; l < hidden; l++) {
      const A = ws.A[l], G = ws.dZ[l];
      actStats.push(IL.layerStats(A, dims[l + 1], d.m, limits));
      gradStats.push(IL.layerStats(G, dims[l + 1], d.m, null));
      const cell = document.createElement("div");
      cell.className = "hcell";
      cell.innerHTML = "<div>layer " + (l + 1) + "</div>";
      for (const [arr, what, color] of [[A, "activations", "#3b6fb6"], [G, "gradients dL/dz", "#c0504d"]]) {
        const c = document.createElement("canvas");
        c.width = 150; c.height = 70; c.title = "layer " + (l + 1) + " " + what;
        drawHist(c, arr, color, what);
        cell.appendChild(c);
      }
      box.appendChild(cell);
    }
    let inRms = 0;
    for (let t = 0; t < d.X.length; t++) inRms += d.X[t] * d.X[t];
    inRms = Math.sqrt(inRms / d.X.length);
    drawDepth($("p-depth"), actStats.map((s) => s.std), run.predicted, gradStats.map((s) => s.std));
    const v = IL.diagnose(net.activation, actStats, gradStats, inRms, dims.slice(1, -1));
    const rec = v.recommend;
    $("p-diagnosis").textContent = "Verdict: " + v.summary + ". " + (rec.spec ? "Recommended initializer for " + net.activation + ": " + rec.spec + " (" + rec.reason + ")." : rec.reason);
    $("p-law").textContent = lawText();
  }

  function lawText() {
    const dims = run.net.dims, t = IL.TABLES.initializers.schemes[run.spec.name];
    const per = run.laws.map((L, i) => "W" + (i + 1) + " " + L.kind + " std " + L.std.toPrecision(4)).join("; ");
    return run.spec.name + ": " + t.formula + " (bias " + t.bias + "). " + per + ". Layers " + dims.join("-") + ".";
  }

  // ---------------------------------------------------------------- drawing
  function clear(c) { const g = c.getContext("2d"); g.clearRect(0, 0, c.width, c.height); g.fillStyle = "#fff"; g.fillRect(0, 0, c.width, c.height); return g; }

  function drawBoundary(c, net, d) {
    const g = clear(c), n = 60;
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (let j = 0; j < d.m; j++) { x0 = Math.min(x0, d.X[j]); x1 = Math.max(x1, d.X[j]); y0 = Math.min(y0, d.X[d.m + j]); y1 = Math.max(y1, d.X[d.m + j]); }
    x0 -= 0.5; x1 += 0.5; y0 -= 0.5; y1 += 0.5;
    const G = new Float64Array(2 * n * n);
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) {
      G[a * n + b] = x0 + (b + 0.5) / n * (x1 - x0);
      G[n * n + a * n + b] = y1 - (a + 0.5) / n * (y1 - y0);
    }
    const p = IL.probabilities(net, G, n * n), cw = c.width / n, ch = c.height / n;
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) {
      const v = p[a * n + b];
      g.fillStyle = "rgb(" + Math.round(255 - 90 * v) + "," + Math.round(200 - 40 * Math.abs(v - 0.5)) + "," + Math.round(165 + 90 * v) + ")";
      g.fillRect(b * cw, a * ch, cw + 1, ch + 1);
    }
    for (let j = 0; j < d.m; j++) {
      g.fillStyle = d.Y[j] ? "#1f4e9c" : "#b8322a";
      g.beginPath();
      g.arc((d.X[j] - x0) / (x1 - x0) * c.width, (y1 - d.X[d.m + j]) / (y1 - y0) * c.height, 2.5, 0, 7);
      g.fill();
    }
  }

  function drawLines(c, series, opts) {
    const g = clear(c), pad = 34, w = c.width - pad - 8, h = c.height - pad;
    let xs = [], ys = [];
    for (const s of series) for (const [x, y] of s.points) if (Number.isFinite(y)) { xs.push(x); ys.push(y); }
    if (!xs.length) { g.fillStyle = "#666"; g.fillText(opts.empty || "no data yet", 40, 40); return; }
    let xa = Math.min(...xs), xb = Math.max(...xs), ya = Math.min(...ys), yb = Math.max(...ys);
    if (xb === xa) xb = xa + 1;
    if (yb - ya <= 1e-9 * Math.max(Math.abs(ya), Math.abs(yb), 1e-300)) { const c = (ya + yb) / 2, h = Math.max(Math.abs(c) * 0.05, 0.5); ya = c - h; yb = c + h; }
    const X = (x) => pad + (x - xa) / (xb - xa) * w, Y = (y) => 6 + (1 - (y - ya) / (yb - ya)) * (h - 6);
    g.strokeStyle = "#888"; g.beginPath(); g.moveTo(pad, 6); g.lineTo(pad, h); g.lineTo(pad + w, h); g.stroke();
    g.fillStyle = "#333"; g.font = "10px sans-serif";
    g.fillText(opts.fmt(yb), 2, 12); g.fillText(opts.fmt(ya), 2, h);
    g.fillText(String(xa), pad, h + 12); g.fillText(String(xb), pad + w - 30, h + 12);
    g.fillText(opts.xlabel, pad + w / 2 - 20, h + 24);
    series.forEach((s, i) => {
      g.strokeStyle = s.color; g.fillStyle = s.color; g.setLineDash(s.dash || []); g.beginPath();
      s.points.forEach(([x, y], k) => (k ? g.lineTo(X(x), Y(y)) : g.moveTo(X(x), Y(y))));
      g.stroke();
      if (s.dots) for (const [x, y] of s.points) { g.beginPath(); g.arc(X(x), Y(y), 3, 0, 7); g.fill(); }
      g.fillText(s.label, pad + 8, 18 + 12 * i);
    });
    g.setLineDash([]);
  }

  function drawCost(c, curve, log) {
    const pts = curve.map(([i, v]) => [i, log ? Math.log10(v) : v]);
    drawLines(c, [{ label: log ? "log10 cost" : "cost", color: "#3b6fb6", points: pts }], { xlabel: "iteration", empty: "press step or play to train", fmt: (y) => (log ? "1e" + y.toFixed(1) : y.toPrecision(3)) });
  }

  function drawDepth(c, actStd, predicted, gradStd) {
    const lg = (v) => Math.log10(Math.max(v, 1e-30));
    drawLines(c, [
      { label: "activation std (measured)", color: "#3b6fb6", dots: true, points: actStd.map((v, i) => [i + 1, lg(v)]) },
      { label: "mean-field prediction at init", color: "#3b6fb6", dash: [4, 3], points: predicted.map((v, i) => [i + 1, lg(v)]) },
      { label: "gradient std (measured)", color: "#c0504d", dots: true, points: gradStd.map((v, i) => [i + 1, lg(v)]) },
    ], { xlabel: "hidden layer", fmt: (y) => "1e" + y.toFixed(1) });
  }

  function drawHist(c, arr, color, label) {
    let lo = Infinity, hi = -Infinity;
    for (let t = 0; t < arr.length; t++) { lo = Math.min(lo, arr[t]); hi = Math.max(hi, arr[t]); }
    if (!(hi > lo)) { hi = lo + 1e-12; }
    drawCounts(c, IL.histogram(arr, 30, lo, hi).counts, color, label + " [" + fmtNum(lo) + ", " + fmtNum(hi) + "]");
  }
  function drawCounts(c, counts, color, label) {
    const g = clear(c), top = Math.max(...counts, 1), bw = c.width / counts.length, h = c.height - 12;
    g.fillStyle = color;
    counts.forEach((n, i) => { const bh = n / top * (h - 2); g.fillRect(i * bw, h - bh, bw - 1, bh); });
    g.fillStyle = "#333"; g.font = "9px sans-serif"; g.fillText(label, 2, c.height - 2);
  }
  const fmtNum = (x) => (x === 0 ? "0" : Math.abs(x) >= 1e-2 && Math.abs(x) < 1e3 ? x.toPrecision(2) : x.toExponential(0));

  // ---------------------------------------------------------------- presets
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

  // ---------------------------------------------------------------- wiring
  function init() {
    IL.TABLES = JSON.parse($("initlab-tables").textContent);
    const missing = Object.keys(IL.TABLES.activations.activations).filter((a) => !(a in IL.ACTIVATIONS));
    if (missing.length) throw new Error("activations without a JS implementation: " + missing.join(", "));
    fillSelect($("c-dataset"), IL.DATASETS);
    fillSelect($("c-activation"), Object.keys(IL.TABLES.activations.activations));
    fillSelect($("c-optimizer"), Object.keys(IL.TABLES.optimizers));
    const list = $("init-names");
    for (const n of Object.keys(IL.TABLES.initializers.schemes).concat(IL.TABLES.initializers.variants)) {
      const o = document.createElement("option"); o.value = n; list.appendChild(o);
    }
    for (const k of Object.keys(DEFAULTS)) $("c-" + k).addEventListener("change", () => apply(readControls()));
    $("b-step").onclick = () => { setPlaying(false); if (advance(1)) render(); };
    $("b-play").onclick = () => setPlaying(!playing);
    $("b-reset").onclick = () => { setPlaying(false); apply(S); };
    $("b-seed").onclick = () => { setPlaying(false); apply(Object.assign({}, S, { seed: (S.seed * 1103515245 + 12345) % 2147483648 })); };
    $("c-log").onchange = () => render();
    $("b-tutorial").onclick = () => runPreset("tutorial");
    $("b-part6").onclick = () => runPreset("part6");
    window.addEventListener("hashchange", () => { setPlaying(false); apply(fromHash(location.hash), { keepHash: true }); });
    if (!apply(fromHash(location.hash))) apply({});
    const preset = IL.TABLES.preset;
    if (preset) runPreset(preset);
  }
  function fillSelect(sel, names) {
    for (const n of names) { const o = document.createElement("option"); o.value = o.textContent = n; sel.appendChild(o); }
  }

  window.initlab = {
    runPreset,
    /** The current good settings, the iteration and the last cost. */
    state: () => Object.assign({}, S, { layers: S.layers, iteration: run.trainer.iteration, hash: toHash(S), playing }),
    /** Apply settings as the controls would; resolves to true when they were valid. */
    set: (raw) => apply(Object.assign({}, S, raw)),
    /** The current parameters as plain arrays: {W: [[...]], b: [[...]]}. */
    weights: () => ({ W: run.net.W.map((w) => Array.from(w)), b: run.net.b.map((b) => Array.from(b)) }),
    step: (n) => { const ok = advance(n || 1); render(); return ok; },
    errors: () => Object.fromEntries([...document.querySelectorAll(".err")].filter((e) => e.textContent).map((e) => [e.id.slice(4), e.textContent])),
    version: () => IL.TABLES.version,
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})(window.IL = window.IL || {});
