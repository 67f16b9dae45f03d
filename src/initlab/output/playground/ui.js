// initlab playground page: controls, URL state, live panels, presets and window.initlab.
//
// No framework: plain DOM and 2-D canvas. The state lives in the URL hash, so a link or a reload
// reproduces the same data, the same initial weights and hence the same run. Long work (play,
// presets) runs in slices of about 12 ms and yields to the browser between them.
(function (IL) {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const DEFAULTS = { dataset: "moons", dseed: 1, layers: "10,5", activation: "relu", init: "he_normal", seed: 3, optimizer: "gd", lr: 0.01 };
  const SLICE_MS = IL.SLICE_MS; // work per slice before yielding (ms), from presets.js
  const MAX_UNITS = 256, MAX_HIDDEN = 8;
  const { drawBoundary, drawCost, drawDepth, drawHist } = IL.draw;

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
    $("b-tutorial").onclick = () => IL.runPreset("tutorial");
    $("b-part6").onclick = () => IL.runPreset("part6");
    window.addEventListener("hashchange", () => { setPlaying(false); apply(fromHash(location.hash), { keepHash: true }); });
    if (!apply(fromHash(location.hash))) {
      // a bad link: start from the defaults but keep the messages next to the controls
      const errs = [...document.querySelectorAll(".err")].map((e) => [e.id, e.textContent]);
      apply({});
      for (const [id, text] of errs) $(id).textContent = text;
    }
    const preset = IL.TABLES.preset;
    if (preset) IL.runPreset(preset);
  }
  function fillSelect(sel, names) {
    for (const n of names) { const o = document.createElement("option"); o.value = o.textContent = n; sel.appendChild(o); }
  }

  window.initlab = {
    runPreset: (name) => IL.runPreset(name),
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
