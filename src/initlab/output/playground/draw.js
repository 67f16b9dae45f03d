// initlab playground drawing: plain 2-D canvas panels (no library).
//
// Decision boundary, line plots (cost, std through depth) and histograms; used by ui.js and
// presets.js through IL.draw.
(function (IL) {
  "use strict";

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

  IL.draw = { clear, drawBoundary, drawLines, drawCost, drawDepth, drawHist, drawCounts, fmtNum };
})(window.IL = window.IL || {});
