// initlab playground datasets: two-class, two-feature toy sets drawn from a RandomState.
//
// moons and circles follow initlab.datasets (scikit-learn's make_moons / make_circles draw
// order: shuffle the examples, then add the noise, from one RandomState(seed)); the train split
// uses the seed and the test split seed + 1, so seed 1 gives the tutorial's data (seeds 1 and 2).
// spirals and blobs are binary variants drawn here (initlab.datasets' own are multi-class and
// use NumPy's Generator, which the page does not reimplement).
(function (IL) {
  "use strict";

  /** numpy.linspace(start, stop, num, endpoint): i * step + start, last point set to stop. */
  function linspace(start, stop, num, endpoint) {
    const div = endpoint ? num - 1 : num, step = (stop - start) / div, out = new Float64Array(num);
    for (let i = 0; i < num; i++) out[i] = i * step + start;
    if (endpoint && num > 1) out[num - 1] = stop;
    return out;
  }

  /** Stack outer (label 0) then inner (label 1) points, shuffle, add N(0, noise^2) noise. */
  function twoClass(outer, inner, noise, seed) {
    const rng = new IL.RandomState(seed), n = outer[0].length + inner[0].length;
    const xs = [...outer[0], ...inner[0]], ys = [...outer[1], ...inner[1]];
    const idx = Array.from({ length: n }, (_, i) => i);
    rng.shuffle(idx);
    const X = new Float64Array(2 * n), Y = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      X[j] = xs[idx[j]];
      X[n + j] = ys[idx[j]];
      Y[j] = idx[j] < outer[0].length ? 0 : 1;
    }
    // noise is drawn for the (n, 2) example-major array: x0, y0, x1, y1, ...
    for (let j = 0; j < n; j++) {
      X[j] += noise * rng.standardNormal();
      X[n + j] += noise * rng.standardNormal();
    }
    return { X, Y, m: n };
  }

  function moons(n, noise, seed) {
    const nOut = Math.floor(n / 2), nIn = n - nOut;
    const tOut = linspace(0, Math.PI, nOut, true), tIn = linspace(0, Math.PI, nIn, true);
    return twoClass([tOut.map(Math.cos), tOut.map(Math.sin)],
      [tIn.map((t) => 1 - Math.cos(t)), tIn.map((t) => 1 - Math.sin(t) - 0.5)], noise, seed);
  }

  function circles(n, noise, seed, factor) {
    const nOut = Math.floor(n / 2), nIn = n - nOut;
    const tOut = linspace(0, 2 * Math.PI, nOut, false), tIn = linspace(0, 2 * Math.PI, nIn, false);
    return twoClass([tOut.map(Math.cos), tOut.map(Math.sin)],
      [tIn.map((t) => Math.cos(t) * factor), tIn.map((t) => Math.sin(t) * factor)], noise, seed);
  }

  /** Two interleaved spiral arms (CS231n's toy set with 2 classes), shuffled. */
  function spirals(n, noise, seed) {
    const rng = new IL.RandomState(seed), per = Math.ceil(n / 2), pts = [];
    for (let c = 0; c < 2; c++) {
      const r = linspace(0, 1, per, true), t = linspace(c * 4.0, (c + 1) * 4.0, per, true);
      for (let i = 0; i < per; i++) {
        const ti = t[i] + rng.standardNormal() * noise;
        pts.push([r[i] * Math.sin(ti), r[i] * Math.cos(ti), c]);
      }
    }
    rng.shuffle(pts);
    return fromPoints(pts.slice(0, n));
  }

  /** Two Gaussian blobs (std 1) with centres drawn uniformly in [-6, 6]^2, as make_blobs' box. */
  function blobs(n, seed) {
    const rng = new IL.RandomState(seed), centres = [];
    for (let c = 0; c < 2; c++) centres.push([rng.uniform(-6, 6), rng.uniform(-6, 6)]);
    const pts = [];
    for (let i = 0; i < n; i++) {
      const c = i % 2;
      pts.push([centres[c][0] + rng.standardNormal(), centres[c][1] + rng.standardNormal(), c]);
    }
    rng.shuffle(pts);
    return fromPoints(pts);
  }

  function fromPoints(pts) {
    const n = pts.length, X = new Float64Array(2 * n), Y = new Float64Array(n);
    pts.forEach(([x, y, c], j) => { X[j] = x; X[n + j] = y; Y[j] = c; });
    return { X, Y, m: n };
  }

  const DATASETS = ["moons", "circles", "spirals", "blobs"];

  /** {train, test} for a dataset name and seed: 300 training and 100 test examples. */
  function makeDataset(name, seed) {
    const make = {
      moons: (s, n) => moons(n, 0.05, s),
      circles: (s, n) => circles(n, 0.05, s, 0.8),
      spirals: (s, n) => spirals(n, 0.2, s),
      blobs: (s, n) => blobs(n, s),
    }[name];
    if (!make) throw new Error("unknown dataset " + JSON.stringify(name) + "; valid: " + DATASETS.join(", "));
    if (!Number.isInteger(seed) || seed < 0 || seed > 4294967294) throw new Error("dataset seed must be an integer in [0, 2^32 - 2], got " + seed);
    // blobs draw both splits from one stream so they share the centres
    if (name === "blobs") {
      const all = blobs(400, seed);
      return { name, seed, train: slice(all, 0, 300), test: slice(all, 300, 400) };
    }
    return { name, seed, train: make(seed, 300), test: make(seed + 1, 100) };
  }

  function slice(d, a, b) {
    const n = b - a, X = new Float64Array(2 * n);
    for (let j = 0; j < n; j++) { X[j] = d.X[a + j]; X[n + j] = d.X[d.m + a + j]; }
    return { X, Y: d.Y.slice(a, b), m: n };
  }

  Object.assign(IL, { linspace, moons, circles, spirals, blobs, makeDataset, DATASETS });
})(typeof window !== "undefined" ? (window.IL = window.IL || {}) : (globalThis.IL = globalThis.IL || {}));
