// initlab playground analysis: histograms, per-layer statistics, the mean-field prediction of
// the std through depth, the diagnosis, and part 6 of the document.
//
// Histograms follow numpy.histogram (equal bins over a range, last bin closed); the mean-field
// moments E[phi(h)], E[phi(h)^2] come from initlab.theory.gaussian as tables on a log grid of q
// (IL.TABLES.activations); the diagnosis thresholds and the recommended fix come from
// initlab.theory.diagnose (IL.TABLES.diagnose, .activations[name].recommend) and the rules below
// are initlab.theory.diagnose.layer_findings written out.
(function (IL) {
  "use strict";

  /** numpy.histogram(a, bins, range=[lo, hi]) counts (values outside the range are dropped). */
  function histogram(a, bins, lo, hi) {
    const counts = new Array(bins).fill(0), edges = IL.linspace(lo, hi, bins + 1, true);
    const norm = bins / (hi - lo);
    for (let t = 0; t < a.length; t++) {
      const x = a[t];
      if (!(x >= lo && x <= hi)) continue;
      let i = Math.floor((x - lo) * norm);
      if (i === bins) i -= 1;
      // numpy's corrections for values that the float division put in a neighbouring bin
      if (x < edges[i]) i -= 1;
      else if (i !== bins - 1 && x >= edges[i + 1]) i += 1;
      counts[i]++;
    }
    return { counts, edges: Array.from(edges) };
  }

  /** numpy.quantile(a, q) with the default linear method. */
  function quantile(values, q) {
    const s = Float64Array.from(values).sort(), n = s.length;
    const v = (n - 1) * q, lo = Math.floor(v), g = v - lo;
    if (lo + 1 >= n) return s[n - 1];
    const a = s[lo], b = s[lo + 1], d = b - a;
    return g >= 0.5 ? b - d * (1 - g) : a + d * g;
  }

  /** Statistics of one layer's values A (units x m) as initlab.theory.propagation.layer_stats. */
  function layerStats(A, units, m, limits) {
    let total = 0, within = 0, sat = 0;
    const means = new Float64Array(units);
    for (let i = 0; i < units; i++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += A[i * m + j];
      const mu = s / m;
      means[i] = mu;
      let v = 0;
      for (let j = 0; j < m; j++) { const d = A[i * m + j] - mu; v += d * d; }
      within += v / m;
      total += mu;
    }
    const mean = total / units;
    let between = 0;
    for (let i = 0; i < units; i++) between += (means[i] - mean) ** 2;
    between /= units;
    within /= units;
    if (limits) {
      const low = limits[0] + 0.01, high = limits[1] - 0.01;
      for (let t = 0; t < units * m; t++) if (A[t] < low || A[t] > high) sat++;
    }
    const rows = new Set();
    for (let i = 0; i < units; i++) rows.add(Array.prototype.join.call(A.subarray(i * m, (i + 1) * m), ","));
    return {
      mean, std: Math.sqrt(within + between), sample_spread: Math.sqrt(within),
      saturated_share: limits ? sat / (units * m) : null, distinct_units: rows.size,
    };
  }
  const rms = (s) => Math.sqrt(s.mean * s.mean + s.std * s.std);

  /**
   * A moment table (IL.TABLES.activations) at variance q: linear interpolation inside the grid;
   * outside it, a power law through the two end points (E[phi^2] ~ q for small q with smooth
   * phi, ~ q for relu at any q) when both have one sign, else the end value.
   */
  function moment(activation, which, q) {
    const tab = IL.TABLES.activations, [a, b, n] = tab.log10_q, ys = tab.activations[activation][which];
    const x = Math.log10(Math.max(q, 1e-300)), h = (b - a) / (n - 1);
    const tail = (i0, i1) => {
      const y0 = ys[i0], y1 = ys[i1];
      if (!(y0 * y1 > 0)) return y0; // a power law needs two values of one sign
      const slope = (Math.log10(Math.abs(y1)) - Math.log10(Math.abs(y0))) / ((i1 - i0) * h);
      return y0 * Math.pow(10, slope * (x - (a + i0 * h)));
    };
    if (x < a) return tail(0, 1);
    if (x > b) return tail(n - 1, n - 2);
    const pos = (x - a) / h, i = Math.min(Math.floor(pos), n - 2), f = pos - i;
    return ys[i] * (1 - f) + ys[i + 1] * f;
  }

  /**
   * Mean-field prediction of each hidden layer's activation std at initialization:
   * q_1 = Var(W1) * sum_k E[x_k^2] + Var(b1), q_{l+1} = Var(W) * n_l * E[phi^2](q_l) + Var(b),
   * std_l = sqrt(E[phi^2](q_l) - E[phi](q_l)^2) (Poole et al. 2016; initlab.theory.meanfield).
   */
  function predictStd(dims, activation, laws, biasVar, X, m) {
    let q = 0;
    for (let k = 0; k < dims[0]; k++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += X[k * m + j] ** 2;
      q += laws[0].std ** 2 * s / m;
    }
    q += biasVar[0];
    const out = [];
    for (let l = 1; l < dims.length - 1; l++) {
      const e1 = moment(activation, "mean", q), e2 = moment(activation, "second", q);
      out.push(Math.sqrt(Math.max(e2 - e1 * e1, 0)));
      q = laws[l].std ** 2 * dims[l] * e2 + biasVar[l];
    }
    return out;
  }

  /** initlab.theory.diagnose.layer_findings for one layer: [{label, message}], most severe first. */
  function layerFindings(act, grad, inputRms, topGrad, units, prevAct, nextGrad) {
    const D = IL.TABLES.diagnose, out = [];
    if (units > 1 && act.distinct_units === 1) {
      out.push({ label: "symmetric", message: "1 distinct unit of " + units + ": every unit computes the same function, so they also get the same updates" });
    }
    const ratio = act.std > 0 ? act.sample_spread / act.std : 0;
    if (ratio < D.collapse_ratio && !out.length) {
      out.push({ label: "collapsed", message: "across-sample spread " + fmt(act.sample_spread) + " is " + (100 * ratio).toFixed(1) + "% of the pooled std " + fmt(act.std) + ": the output barely depends on the input" });
    }
    for (const [what, value, ref, nb] of [["activation", rms(act), inputRms, prevAct], ["gradient", rms(grad), topGrad, nextGrad]]) {
      const r = ref > 0 ? value / ref : 0;
      if (r < D.band[0]) out.push({ label: "vanishing", message: what + " scale is " + fmt(r) + " x its reference (< " + D.band[0] + ")" });
      else if (r > D.band[1]) out.push({ label: "exploding", message: what + " scale is " + fmt(r) + " x its reference (> " + D.band[1] + ")" });
      else if (nb && nb > 0) {
        const f = value / nb;
        if (f > 0 && (f < 1 / D.growth || f > D.growth)) {
          out.push({ label: f > D.growth ? "exploding" : "vanishing", message: what + " scale changes " + fmt(f) + "x per layer (outside [" + 1 / D.growth + ", " + D.growth + "])" });
        }
      }
    }
    if (act.saturated_share !== null && act.saturated_share > D.saturation_share) {
      out.push({ label: "saturated", message: (100 * act.saturated_share).toFixed(1) + "% of outputs within 0.01 of an asymptote: their derivative is near 0" });
    }
    if (!out.length) out.push({ label: "healthy", message: "scale kept, input-dependent, not saturated" });
    out.sort((a, b) => D.severity.indexOf(a.label) - D.severity.indexOf(b.label));
    return out;
  }
  const fmt = (x) => (Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? Number(x.toPrecision(3)).toString() : x.toExponential(2));

  /** Network verdict: the most severe finding over the hidden layers, and the recommended fix. */
  function diagnose(activation, actStats, gradStats, inputRms, units) {
    const n = actStats.length, top = rms(gradStats[n - 1]);
    const layers = actStats.map((a, i) => layerFindings(a, gradStats[i], inputRms, top, units[i],
      i > 0 ? rms(actStats[i - 1]) : null, i + 1 < n ? rms(gradStats[i + 1]) : null));
    const D = IL.TABLES.diagnose;
    let worst = null; // first layer with the most severe label, as diagnose() picks it
    layers.forEach((fs, i) => fs.forEach((f) => {
      const sev = D.severity.indexOf(f.label);
      if (worst === null || sev < worst.sev) worst = { sev, layer: i + 1, finding: f };
    }));
    const rec = IL.TABLES.activations.activations[activation].recommend;
    const f = worst.finding;
    return { verdict: f.label, summary: f.label + " from layer " + worst.layer + ": " + f.message, layers, recommend: rec };
  }

  /**
   * Part 6 of the document for one weight scale and activation: 1000 standard-normal inputs of
   * size 100 (RandomState(seed)) through 5 bias-free layers of 100 units whose weights come from
   * RandomState(seed + 1 + caseIndex); 30-bin histograms over the document's range (sigmoid
   * [0, 1], tanh [-1, 1], relu [0, 99th percentile of the positive values]).
   */
  function part6Case(init, activation, caseIndex, seed, X) {
    const P = IL.TABLES.part6, width = P.width, samples = P.samples;
    const rng = new IL.RandomState(seed + 1 + caseIndex), spec = IL.parseSpec(init);
    const act = IL.ACTIVATIONS[activation], zero = new Float64Array(width), layers = [];
    let A = X, nIn = X.length / samples;
    for (let l = 0; l < P.depth; l++) {
      const W = IL.drawWeight(spec, [width, nIn], rng), Z = new Float64Array(width * samples);
      IL.matmul(W, width, nIn, A, samples, Z, zero);
      const out = new Float64Array(width * samples);
      for (let t = 0; t < out.length; t++) out[t] = act.fn(Z[t]);
      layers.push(out);
      A = out;
      nIn = width;
    }
    let range = P.ranges[activation];
    if (!range) {
      const pos = [];
      for (const a of layers) for (let t = 0; t < a.length; t++) if (a[t] > 0) pos.push(a[t]);
      const top = pos.length ? quantile(pos, P.relu_quantile) : 1.0;
      range = [0.0, top > 0 ? top : 1.0];
    }
    return { init, activation, range, layers: layers.map((a) => histogram(a, P.bins, range[0], range[1])) };
  }

  /** The shared part-6 input: standard normals of shape (width, samples) from RandomState(seed). */
  function part6Input(seed) {
    const P = IL.TABLES.part6, rng = new IL.RandomState(seed), X = new Float64Array(P.width * P.samples);
    for (let t = 0; t < X.length; t++) X[t] = rng.standardNormal();
    return X;
  }

  Object.assign(IL, { histogram, quantile, layerStats, rms, moment, predictStd, layerFindings, diagnose, part6Case, part6Input });
})(typeof window !== "undefined" ? (window.IL = window.IL || {}) : (globalThis.IL = globalThis.IL || {}));
