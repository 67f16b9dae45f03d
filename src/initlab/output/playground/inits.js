// initlab playground initializers: spec strings, laws and draws.
//
// The names, aliases, parameters with their defaults, formulas, bias rules, gains and the
// variance-scaling recipes (scale, mode, distribution) all come from the Python registry
// (IL.TABLES.initializers, written into the page by initlab.output.playground). This file only
// turns a law into numbers: it parses "NAME[:key=value,...]" as initlab.core.params does,
// gives the Law a weight shape (out, in) gets, and draws it from a RandomState, in the order
// initlab.network.init_params uses (W1, b1, W2, b2, ...), so a seed gives NumPy's own draws.
(function (IL) {
  "use strict";

  const T = () => IL.TABLES.initializers;
  const normalise = (name) => name.trim().toLowerCase().replace(/-/g, "_");

  /** "3" -> 3, "0.01" -> 0.01, "true" -> true, otherwise the string (core/params.parse_value). */
  function parseValue(text) {
    const low = text.trim().toLowerCase();
    if (low === "true" || low === "false") return low === "true";
    if (low !== "" && !isNaN(Number(low))) {
      const x = Number(low);
      if (!Number.isFinite(x)) throw new Error("parameter value must be finite, got " + JSON.stringify(text));
      return x;
    }
    return text.trim();
  }

  /** Parse "normal:std=0.01" into {name: "normal", params: {std: 0.01}}; errors list valid names. */
  function parseSpec(spec) {
    if (typeof spec !== "string" || !spec.trim()) throw new Error("initializer spec is empty");
    const colon = spec.indexOf(":");
    const rawName = colon < 0 ? spec : spec.slice(0, colon);
    const rest = colon < 0 ? "" : spec.slice(colon + 1);
    let name = normalise(rawName);
    name = T().aliases[name] || name;
    const scheme = T().schemes[name];
    if (!scheme) {
      const valid = Object.keys(T().schemes).concat(Object.keys(T().aliases)).sort();
      throw new Error("unknown initializer " + JSON.stringify(rawName.trim()) + "; valid: " + valid.join(", "));
    }
    const params = {};
    if (rest.trim()) {
      for (const item of rest.split(",")) {
        const eq = item.indexOf("=");
        const key = (eq < 0 ? item : item.slice(0, eq)).trim().replace(/-/g, "_");
        const val = eq < 0 ? "" : item.slice(eq + 1);
        if (eq < 0 || !/^[A-Za-z_]\w*$/.test(key) || !val.trim()) {
          throw new Error("malformed parameter " + JSON.stringify(item) + " in " + JSON.stringify(spec) + "; expected key=value");
        }
        if (!(key in scheme.params)) {
          const valid = Object.keys(scheme.params);
          throw new Error("initializer " + JSON.stringify(name) + " does not take " + JSON.stringify(key) + "; valid: " + (valid.join(", ") || "none"));
        }
        params[key] = parseValue(val);
      }
    }
    // a parameter whose registry default is a number (or true/false) must be one
    for (const [k, v] of Object.entries(params)) {
      const d = scheme.params[k];
      if (typeof d === "number" && typeof v !== "number") throw new Error(k + " must be a number, got " + JSON.stringify(v));
      if (typeof d === "boolean" && typeof v !== "boolean") throw new Error(k + " must be true or false, got " + JSON.stringify(v));
    }
    if (params.transposed) throw new Error("transposed is for ConvTranspose weights; the playground's layers are dense");
    return { name, params: Object.assign({}, scheme.params, params), spec: spec.trim() };
  }

  /** gain**2 of a nonlinearity, from Python's gain table (leaky_relu with a slope: 2/(1+a^2)). */
  function gainSquared(nonlinearity, slope) {
    const key = normalise(String(nonlinearity || "leaky_relu"));
    if (key === "leaky_relu" && slope !== null && slope !== undefined) return 2.0 / (1.0 + slope * slope);
    const g2 = T().gain2[key];
    if (g2 === undefined) throw new Error("unknown nonlinearity " + JSON.stringify(nonlinearity) + "; valid: " + Object.keys(T().gain2).join(", "));
    if (slope !== null && slope !== undefined && key !== "leaky_relu") throw new Error("nonlinearity " + key + " takes no negative_slope here");
    return g2;
  }

  function positive(x, what, allowZero) {
    if (typeof x !== "number" || !Number.isFinite(x) || x < 0 || (!allowZero && x === 0)) {
      throw new Error(what + " must be a " + (allowZero ? "non-negative" : "positive") + " number, got " + JSON.stringify(x));
    }
    return x;
  }

  /** The variance-scaling recipe of a parsed spec: {scale, mode, distribution} or null. */
  function recipe(p) {
    const base = T().schemes[p.name].recipe;
    if (!base) return null;
    const q = p.params;
    let scale = base.scale, mode = base.mode, distribution = base.distribution;
    if (p.name === "variance_scaling") {
      scale = positive(q.scale, "scale");
      mode = q.mode;
      distribution = q.distribution === "untruncated_normal" ? "normal" : q.distribution;
    } else {
      if (q.gain !== null && q.gain !== undefined && (q.nonlinearity || q.negative_slope !== null && q.negative_slope !== undefined)) {
        throw new Error("give either gain or nonlinearity (+ negative_slope), not both");
      }
      if (q.gain !== null && q.gain !== undefined) scale = positive(q.gain, "gain") ** 2;
      else if (q.negative_slope !== null && q.negative_slope !== undefined) scale = gainSquared(q.nonlinearity || "leaky_relu", q.negative_slope);
      else if (q.nonlinearity) scale = gainSquared(q.nonlinearity, null);
      if (q.mode) mode = q.mode;
    }
    if (!["fan_in", "fan_out", "fan_avg"].includes(mode)) throw new Error("unknown mode " + JSON.stringify(mode) + "; valid: fan_avg, fan_in, fan_out");
    if (!["normal", "uniform", "truncated_normal"].includes(distribution)) throw new Error("unknown distribution " + JSON.stringify(distribution) + "; valid: normal, truncated_normal, uniform");
    return { scale, mode, distribution };
  }

  function fan(shape, mode) {
    const [out, inn] = shape;
    return { fan_in: inn, fan_out: out, fan_avg: (inn + out) / 2 }[mode];
  }

  /** Truncated standard normal moments on [a, b] (initializers.laws.truncated_normal_law). */
  function truncLaw(mean, sigma, a, b) {
    const pdf = (x) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
    const z = IL.ncdf(b) - IL.ncdf(a);
    const shift = (pdf(a) - pdf(b)) / z;
    const v = 1.0 + (a * pdf(a) - b * pdf(b)) / z - shift * shift;
    return { kind: "truncated_normal", mean: mean + sigma * shift, std: sigma * Math.sqrt(Math.max(v, 0)), low: mean + a * sigma, high: mean + b * sigma, sigma };
  }

  /** The Law {kind, mean, std, low, high} a dense weight of shape [out, in] gets. */
  function law(p, shape) {
    const q = p.params, r = recipe(p);
    if (r) {
      const f = fan(shape, r.mode), std = Math.sqrt(r.scale / f);
      if (r.distribution === "uniform") {
        const bound = Math.sqrt(3.0 * r.scale / f);
        return { kind: "uniform", mean: 0, std: (2 * bound) / Math.sqrt(12.0), low: -bound, high: bound };
      }
      if (r.distribution === "truncated_normal") {
        const sigma = std / T().trunc_std_2sigma;
        return { kind: "truncated_normal", mean: 0, std, low: -2 * sigma, high: 2 * sigma, sigma };
      }
      return { kind: "normal", mean: 0, std, low: null, high: null };
    }
    switch (p.name) {
      case "zeros": return { kind: "constant", mean: 0, std: 0, low: 0, high: 0 };
      case "ones": return { kind: "constant", mean: 1, std: 0, low: 1, high: 1 };
      case "constant": return { kind: "constant", mean: q.value, std: 0, low: q.value, high: q.value };
      case "normal": return { kind: "normal", mean: q.mean, std: positive(q.std, "std", true), low: null, high: null };
      case "random": return { kind: "normal", mean: 0, std: positive(q.scale, "scale", true), low: null, high: null };
      case "uniform":
        if (!(q.low < q.high)) throw new Error("uniform needs low < high, got low=" + q.low + ", high=" + q.high);
        return { kind: "uniform", mean: (q.low + q.high) / 2, std: (q.high - q.low) / Math.sqrt(12.0), low: q.low, high: q.high };
      case "truncated_normal":
        if (!(q.lower < q.upper)) throw new Error("truncated_normal needs lower < upper");
        if (IL.ncdf(q.upper) - IL.ncdf(q.lower) < 0.3) throw new Error("the playground draws truncated normals whose window holds at least 30% of the mass");
        return truncLaw(q.mean, positive(q.std, "std"), q.lower, q.upper);
      case "orthogonal": {
        const g = positive(q.gain, "gain");
        return { kind: "orthogonal", mean: 0, std: g / Math.sqrt(Math.max(shape[0], shape[1])), low: -g, high: g };
      }
      case "identity": {
        const g = positive(q.gain, "gain"), pr = Math.min(shape[0], shape[1]) / (shape[0] * shape[1]);
        return { kind: "identity", mean: g * pr, std: g * Math.sqrt(pr - pr * pr), low: 0, high: g };
      }
      case "sparse": {
        const s = q.sparsity, sd = positive(q.std, "std", true);
        if (!(s >= 0 && s < 1)) throw new Error("sparsity must be a number in [0, 1), got " + s);
        const rows = shape[0], nz = Math.ceil(s * rows);
        return { kind: "sparse", mean: 0, std: sd * Math.sqrt((rows - nz) / rows), low: null, high: null, sigma: sd };
      }
      case "dirac":
        throw new Error("dirac needs a conv kernel shape (out, in, *kernel); the playground's layers are dense: use identity");
      default:
        throw new Error("initializer " + p.name + " is not available in the playground");
    }
  }

  /** Standard normals conditioned on [lower, upper], refilling rejects in order (laws.py). */
  function truncatedStandard(n, rng, lower, upper) {
    const out = new Float64Array(n);
    for (let t = 0; t < n; t++) out[t] = rng.standardNormal();
    for (;;) {
      const bad = [];
      for (let t = 0; t < n; t++) if (out[t] < lower || out[t] > upper) bad.push(t);
      if (!bad.length) return out;
      for (const t of bad) out[t] = rng.standardNormal();
    }
  }

  /** Orthogonal matrix as initializers.orthogonal: Q of QR(N(0,1)) with sign(diag R) applied. */
  function orthogonalDraw(rows, cols, gain, rng) {
    const g = new Float64Array(rows * cols);
    for (let t = 0; t < g.length; t++) g[t] = rng.standardNormal();
    const tall = rows >= cols;
    // columns of the tall orientation, orthonormalised by modified Gram-Schmidt: its R has a
    // positive diagonal, which is what QR followed by the sign correction gives.
    const n = tall ? rows : cols, k = tall ? cols : rows;
    const col = (c) => { const v = new Float64Array(n); for (let i = 0; i < n; i++) v[i] = tall ? g[i * cols + c] : g[c * cols + i]; return v; };
    const Q = [];
    for (let c = 0; c < k; c++) {
      const v = col(c);
      for (const q of Q) { let d = 0; for (let i = 0; i < n; i++) d += q[i] * v[i]; for (let i = 0; i < n; i++) v[i] -= d * q[i]; }
      let norm = 0; for (let i = 0; i < n; i++) norm += v[i] * v[i];
      norm = Math.sqrt(norm);
      for (let i = 0; i < n; i++) v[i] /= norm;
      Q.push(v);
    }
    const out = new Float64Array(rows * cols);
    for (let c = 0; c < k; c++) for (let i = 0; i < n; i++) {
      if (tall) out[i * cols + c] = gain * Q[c][i]; else out[c * cols + i] = gain * Q[c][i];
    }
    return out;
  }

  /** Draw a dense weight of shape [out, in] (row-major), as the Python scheme draws it. */
  function drawWeight(p, shape, rng) {
    const [rows, cols] = shape, n = rows * cols, L = law(p, shape), q = p.params;
    const out = new Float64Array(n);
    const r = recipe(p);
    if (p.name === "sklearn_default") {
      // drawn as scikit-learn's (in, out) array, then transposed
      for (let c = 0; c < cols; c++) for (let i = 0; i < rows; i++) out[i * cols + c] = rng.uniform(L.low, L.high);
      return out;
    }
    if (r && r.distribution === "truncated_normal") {
      const z = truncatedStandard(n, rng, -2.0, 2.0);
      for (let t = 0; t < n; t++) out[t] = L.sigma * z[t];
      return out;
    }
    switch (L.kind) {
      case "constant": out.fill(L.mean); return out;
      case "normal":
        if (r) for (let t = 0; t < n; t++) out[t] = rng.standardNormal() * L.std;
        else if (p.name === "random") for (let t = 0; t < n; t++) out[t] = rng.standardNormal() * L.std;
        else for (let t = 0; t < n; t++) out[t] = rng.standardNormal() * L.std + q.mean;
        return out;
      case "uniform": for (let t = 0; t < n; t++) out[t] = rng.uniform(L.low, L.high); return out;
      case "truncated_normal": {
        const z = truncatedStandard(n, rng, q.lower, q.upper);
        for (let t = 0; t < n; t++) out[t] = q.mean + q.std * z[t];
        return out;
      }
      case "orthogonal": return orthogonalDraw(rows, cols, q.gain, rng);
      case "identity": for (let i = 0; i < Math.min(rows, cols); i++) out[i * cols + i] = q.gain; return out;
      case "sparse": {
        for (let t = 0; t < n; t++) out[t] = rng.standardNormal() * q.std;
        const nz = Math.ceil(q.sparsity * rows);
        if (nz) {
          const keys = new Float64Array(n);
          for (let t = 0; t < n; t++) keys[t] = rng.random();
          for (let c = 0; c < cols; c++) {
            const order = Array.from({ length: rows }, (_, i) => i).sort((a, b) => keys[a * cols + c] - keys[b * cols + c]);
            for (let z = 0; z < nz; z++) out[order[z] * cols + c] = 0.0;
          }
        }
        return out;
      }
      default: throw new Error("cannot draw " + L.kind);
    }
  }

  /** The bias rule of a scheme (PyTorch's and scikit-learn's draw after the weight), else zeros. */
  function drawBias(p, shape, rng) {
    const out = new Float64Array(shape[0]);
    if (p.name === "torch_default" || p.name === "sklearn_default") {
      const L = law(p, shape);
      for (let i = 0; i < shape[0]; i++) out[i] = rng.uniform(L.low, L.high);
    }
    return out;
  }

  /** W1, b1, W2, b2, ... drawn in init_params' order from RandomState(seed). */
  function initParams(dims, spec, seed) {
    const p = typeof spec === "string" ? parseSpec(spec) : spec;
    const rng = new IL.RandomState(seed), W = [], b = [];
    for (let l = 1; l < dims.length; l++) {
      const shape = [dims[l], dims[l - 1]];
      W.push(drawWeight(p, shape, rng));
      b.push(drawBias(p, shape, rng));
    }
    return { W, b };
  }

  /** Standard normal CDF via erfc (W. J. Cody's rational approximations are overkill here:
   * a continued-fraction-free Abramowitz-Stegun 7.1.26 is too coarse, so use the complementary
   * error function by Numerical Recipes' erfcc, relative error < 1.2e-7). */
  function ncdf(x) {
    const z = Math.abs(x) / Math.SQRT2, t = 1 / (1 + 0.5 * z);
    const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
      t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
    return x >= 0 ? 1 - 0.5 * r : 0.5 * r;
  }

  Object.assign(IL, { parseSpec, law, drawWeight, drawBias, initParams, ncdf, gainSquared });
})(typeof window !== "undefined" ? (window.IL = window.IL || {}) : (globalThis.IL = globalThis.IL || {}));
