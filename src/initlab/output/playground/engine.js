// initlab playground engine: float64 training of fully connected networks, in plain JavaScript.
//
// It follows initlab's NumPy reference (initlab/network.py, losses.py, optim.py) operation by
// operation, so the tutorial preset reproduces `initlab tutorial --json` to ~1e-12:
//   forward   Z = W·A_prev, then Z += b, then A = act(Z) (the head's sigmoid on the last layer)
//   cost      sum(max(z,0) - z*y + log1p(exp(-|z|))) / m   (numpy's pairwise sum, from logits)
//   backward  dZ_L = (1/m)*(A_L - Y); dW = dZ·A_prevᵀ; db = sum(dZ, axis=1); dA = Wᵀ·dZ;
//             dZ = dA * act'(Z, A)
//   update    W = W - lr*dW (gd), momentum and adam as in optim.py
// Matrices are row-major Float64Arrays: W[l] is (n_l x n_{l-1}); activations are (units x m),
// one row per unit with the m examples contiguous, as NumPy's (n, m) arrays in C order.
// The only differences from NumPy are the summation order inside matrix products (BLAS
// blocks them) and last-bit differences of exp/log; both stay near 1e-16 per operation.
(function (IL) {
  "use strict";

  // ---------------------------------------------------------------- sums
  /** numpy's pairwise summation of a[off .. off+n) (bit-identical to np.sum on a contiguous row). */
  function pairwiseSum(a, off, n) {
    if (n < 8) {
      let s = -0.0;
      for (let i = 0; i < n; i++) s += a[off + i];
      return s;
    }
    if (n <= 128) {
      let r0 = a[off], r1 = a[off + 1], r2 = a[off + 2], r3 = a[off + 3];
      let r4 = a[off + 4], r5 = a[off + 5], r6 = a[off + 6], r7 = a[off + 7];
      let i = 8;
      for (; i < n - (n % 8); i += 8) {
        r0 += a[off + i]; r1 += a[off + i + 1]; r2 += a[off + i + 2]; r3 += a[off + i + 3];
        r4 += a[off + i + 4]; r5 += a[off + i + 5]; r6 += a[off + i + 6]; r7 += a[off + i + 7];
      }
      let res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
      for (; i < n; i++) res += a[off + i];
      return res;
    }
    let n2 = Math.floor(n / 2);
    n2 -= n2 % 8;
    return pairwiseSum(a, off, n2) + pairwiseSum(a, off + n2, n - n2);
  }

  // ---------------------------------------------------------------- activations
  // fn(z) and deriv(z, a) as in initlab/activations.py; the names offered come from the
  // Python registry (page data), and the page checks each has an implementation here.
  const EXP_CLIP = -709.0;
  const SELU_ALPHA = 1.6732632423543772848170429916717;
  const SELU_SCALE = 1.0507009873554804934193349852946;
  function sigmoid(z) { return 1 / (1 + Math.exp(-Math.max(z, EXP_CLIP))); }
  const ACTIVATIONS = {
    identity: { fn: (z) => z, deriv: () => 1.0, limits: null },
    relu: { fn: (z) => Math.max(0, z), deriv: (z) => (z > 0 ? 1.0 : 0.0), limits: null },
    leaky_relu: { fn: (z) => (z > 0 ? z : 0.01 * z), deriv: (z) => (z > 0 ? 1.0 : 0.01), limits: null },
    sigmoid: { fn: sigmoid, deriv: (z, a) => a * (1 - a), limits: [0.0, 1.0] },
    tanh: { fn: Math.tanh, deriv: (z, a) => 1 - a * a, limits: [-1.0, 1.0] },
    elu: { fn: (z) => (z > 0 ? z : Math.expm1(Math.min(z, 0.0))), deriv: (z, a) => (z > 0 ? 1.0 : a + 1.0), limits: null },
    selu: {
      fn: (z) => SELU_SCALE * (z > 0 ? z : SELU_ALPHA * Math.expm1(Math.min(z, 0.0))),
      deriv: (z, a) => (z > 0 ? SELU_SCALE : a + SELU_SCALE * SELU_ALPHA), limits: null,
    },
    silu: { fn: (z) => z * sigmoid(z), deriv: (z) => { const s = sigmoid(z); return s * (1.0 + z * (1.0 - s)); }, limits: null },
    softplus: { fn: (z) => Math.max(z, 0.0) + Math.log1p(Math.exp(-Math.abs(z))), deriv: (z) => sigmoid(z), limits: null },
  };

  // ---------------------------------------------------------------- network
  /**
   * A network: dims [n_x, n_1, ..., n_L], one hidden activation name, sigmoid head,
   * params {W: [Float64Array], b: [Float64Array]} with W[l-1] of shape (dims[l], dims[l-1]).
   */
  function makeNet(dims, activation, params) {
    const act = ACTIVATIONS[activation];
    if (!act) throw new Error("activation " + JSON.stringify(activation) + " has no implementation here");
    return { dims: dims.slice(), activation, act, W: params.W, b: params.b };
  }

  /** Work arrays for m examples, reused every step (no allocation in the training loop). */
  function workspace(net, m) {
    const L = net.dims.length - 1, ws = { m, Z: [], A: [], dZ: [], dA: [], dW: [], db: [] };
    for (let l = 1; l <= L; l++) {
      const n = net.dims[l];
      ws.Z.push(new Float64Array(n * m));
      ws.A.push(new Float64Array(n * m));
      ws.dZ.push(new Float64Array(n * m));
      ws.dA.push(new Float64Array(net.dims[l - 1] * m));
      ws.dW.push(new Float64Array(n * net.dims[l - 1]));
      ws.db.push(new Float64Array(n));
    }
    ws.WT = net.W.map((w) => new Float64Array(w.length));
    ws.zero = net.dims.slice(0, -1).map((n) => new Float64Array(n)); // dA has no bias
    ws.idx = new Int32Array(m); // nonzero positions of one row (gramTSparse)
    ws.cost = new Float64Array(m);
    return ws;
  }

  /**
   * out = W·A + bias, W (rows x inner), A (inner x m), out (rows x m), all row-major.
   * Each out[r, j] is (w_r0 a_0j + w_r1 a_1j + ... in order) + bias_r: NumPy's dot, then += b.
   * Four rows at a time share each load of A, and the sums stay in registers.
   */
  function matmul(W, rows, inner, A, m, out, bias) {
    let r = 0;
    for (; r + 3 < rows; r += 4) {
      const w0 = r * inner, w1 = w0 + inner, w2 = w1 + inner, w3 = w2 + inner, o = r * m;
      const b0 = bias[r], b1 = bias[r + 1], b2 = bias[r + 2], b3 = bias[r + 3];
      let j = 0;
      // two examples at a time: each weight load serves two sums, each input load four
      for (; j + 1 < m; j += 2) {
        let a = A[j], c = A[j + 1], x = W[w0], y = W[w1], z = W[w2], u = W[w3];
        let s0 = x * a, s1 = y * a, s2 = z * a, s3 = u * a;
        let t0 = x * c, t1 = y * c, t2 = z * c, t3 = u * c;
        for (let k = 1, p = m + j; k < inner; k++, p += m) {
          a = A[p]; c = A[p + 1]; x = W[w0 + k]; y = W[w1 + k]; z = W[w2 + k]; u = W[w3 + k];
          s0 += x * a; s1 += y * a; s2 += z * a; s3 += u * a;
          t0 += x * c; t1 += y * c; t2 += z * c; t3 += u * c;
        }
        out[o + j] = s0 + b0; out[o + m + j] = s1 + b1; out[o + 2 * m + j] = s2 + b2; out[o + 3 * m + j] = s3 + b3;
        out[o + j + 1] = t0 + b0; out[o + m + j + 1] = t1 + b1; out[o + 2 * m + j + 1] = t2 + b2; out[o + 3 * m + j + 1] = t3 + b3;
      }
      for (; j < m; j++) {
        let a = A[j];
        let s0 = W[w0] * a, s1 = W[w1] * a, s2 = W[w2] * a, s3 = W[w3] * a;
        for (let k = 1; k < inner; k++) {
          a = A[k * m + j];
          s0 += W[w0 + k] * a; s1 += W[w1 + k] * a; s2 += W[w2 + k] * a; s3 += W[w3 + k] * a;
        }
        out[o + j] = s0 + b0; out[o + m + j] = s1 + b1; out[o + 2 * m + j] = s2 + b2; out[o + 3 * m + j] = s3 + b3;
      }
    }
    for (; r < rows; r++) {
      const w0 = r * inner, o = r * m, b0 = bias[r];
      for (let j = 0; j < m; j++) {
        let s = W[w0] * A[j];
        for (let k = 1; k < inner; k++) s += W[w0 + k] * A[k * m + j];
        out[o + j] = s + b0;
      }
    }
  }

  /**
   * out[i, k] = sum_j D[i, j] A[k, j] (out = D·Aᵀ), D (rows x m), A (cols x m), out (rows x cols):
   * the weight gradient dZ·A_prevᵀ. Each sum runs over j in order; four k at a time share
   * each load of D.
   */
  function gramT(D, rows, A, cols, m, out) {
    for (let i = 0; i < rows; i++) {
      const d0 = i * m, o = i * cols;
      let k = 0;
      for (; k + 3 < cols; k += 4) {
        const a0 = k * m, a1 = a0 + m, a2 = a1 + m, a3 = a2 + m;
        let s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
        for (let j = 0; j < m; j++) {
          const d = D[d0 + j];
          s0 += d * A[a0 + j]; s1 += d * A[a1 + j]; s2 += d * A[a2 + j]; s3 += d * A[a3 + j];
        }
        out[o + k] = s0; out[o + k + 1] = s1; out[o + k + 2] = s2; out[o + k + 3] = s3;
      }
      for (; k < cols; k++) {
        const a0 = k * m;
        let s = 0.0;
        for (let j = 0; j < m; j++) s += D[d0 + j] * A[a0 + j];
        out[o + k] = s;
      }
    }
  }

  /**
   * gramT for a relu layer's dZ, about half of whose entries are exactly 0 (relu' = 0): each
   * row's sums run over its nonzero entries only, in the same order. Leaving out exact zeros
   * changes no sum (x + 0*a = x for finite a), so the result is gramT's.
   */
  function gramTSparse(D, rows, A, cols, m, out, idx) {
    for (let i = 0; i < rows; i++) {
      const d0 = i * m, o = i * cols;
      let n = 0;
      // branch-free compaction: always write, advance only past a nonzero (no mispredictions)
      for (let j = 0; j < m; j++) { idx[n] = j; n += D[d0 + j] !== 0 ? 1 : 0; }
      let k = 0;
      for (; k + 3 < cols; k += 4) {
        const a0 = k * m, a1 = a0 + m, a2 = a1 + m, a3 = a2 + m;
        let s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
        for (let t = 0; t < n; t++) {
          const j = idx[t], d = D[d0 + j];
          s0 += d * A[a0 + j]; s1 += d * A[a1 + j]; s2 += d * A[a2 + j]; s3 += d * A[a3 + j];
        }
        out[o + k] = s0; out[o + k + 1] = s1; out[o + k + 2] = s2; out[o + k + 3] = s3;
      }
      for (; k < cols; k++) {
        const a0 = k * m;
        let s = 0.0;
        for (let t = 0; t < n; t++) { const j = idx[t]; s += D[d0 + j] * A[a0 + j]; }
        out[o + k] = s;
      }
    }
  }

  /** Z = W·A_prev + b, A = act(Z) for every layer; returns the last layer's logits ws.Z[L-1]. */
  function forward(net, X, ws) {
    const L = net.dims.length - 1, m = ws.m;
    let Aprev = X;
    for (let l = 0; l < L; l++) {
      const nOut = net.dims[l + 1], nIn = net.dims[l], W = net.W[l], b = net.b[l];
      const Z = ws.Z[l], A = ws.A[l];
      matmul(W, nOut, nIn, Aprev, m, Z, b);
      const fn = l < L - 1 ? net.act.fn : sigmoid;
      if (l < L - 1 && net.activation === "relu") {
        for (let t = 0; t < nOut * m; t++) { const z = Z[t]; A[t] = z > 0 ? z : 0; }
      } else {
        for (let t = 0; t < nOut * m; t++) A[t] = fn(Z[t]);
      }
      Aprev = A;
    }
    return ws.Z[L - 1];
  }

  /** Mean binary cross-entropy from the logits ZL (1 x m), initlab.losses' stable form. */
  function cost(ZL, Y, ws) {
    const m = ws.m, per = ws.cost;
    for (let j = 0; j < m; j++) {
      const z = ZL[j];
      per[j] = Math.max(z, 0.0) - z * Y[j] + Math.log1p(Math.exp(-Math.abs(z)));
    }
    return pairwiseSum(per, 0, m) / m;
  }

  /** Gradients of every parameter into ws.dW / ws.db (and ws.dZ per layer for the panels). */
  function backward(net, X, Y, ws) {
    const L = net.dims.length - 1, m = ws.m, inv = 1.0 / m;
    const AL = ws.A[L - 1], dZL = ws.dZ[L - 1];
    for (let j = 0; j < m; j++) dZL[j] = inv * (AL[j] - Y[j]);
    for (let l = L - 1; l >= 0; l--) {
      const nOut = net.dims[l + 1], nIn = net.dims[l];
      const dZ = ws.dZ[l], Aprev = l > 0 ? ws.A[l - 1] : X, dW = ws.dW[l], db = ws.db[l];
      if (l < L - 1 && net.activation === "relu") gramTSparse(dZ, nOut, Aprev, nIn, m, dW, ws.idx);
      else gramT(dZ, nOut, Aprev, nIn, m, dW);
      for (let i = 0; i < nOut; i++) db[i] = pairwiseSum(dZ, i * m, m);
      if (l === 0) break;
      // dA = Wᵀ·dZ, then dZ_prev = dA * act'(Z_prev, A_prev)
      const W = net.W[l], dA = ws.dA[l], Zp = ws.Z[l - 1], Ap = ws.A[l - 1], dZp = ws.dZ[l - 1];
      const WT = ws.WT[l];
      for (let i = 0; i < nOut; i++) for (let k = 0; k < nIn; k++) WT[k * nOut + i] = W[i * nIn + k];
      if (net.activation === "relu") {
        // relu' is 0 where Z <= 0: there dZ_prev is dA * 0 = 0 and dA need not be summed
        for (let k = 0; k < nIn; k++) {
          const ko = k * m, wo = k * nOut;
          for (let j = 0; j < m; j++) {
            if (Zp[ko + j] > 0) {
              let s = WT[wo] * dZ[j];
              for (let i = 1; i < nOut; i++) s += WT[wo + i] * dZ[i * m + j];
              dZp[ko + j] = s;
            } else dZp[ko + j] = 0.0;
          }
        }
      } else {
        matmul(WT, nIn, nOut, dZ, m, dA, ws.zero[l]);
        const d = net.act.deriv;
        for (let t = 0; t < nIn * m; t++) dZp[t] = dA[t] * d(Zp[t], Ap[t]);
      }
    }
  }

  // ---------------------------------------------------------------- optimizers (optim.py)
  function makeOptimizer(name, lr, net) {
    const shapes = net.W.map((w) => w.length).concat(net.b.map((b) => b.length));
    const zeros = () => shapes.map((n) => new Float64Array(n));
    if (name === "gd") return { name, lr, step: gdStep };
    if (name === "momentum") return { name, lr, beta: 0.9, v: zeros(), step: momentumStep };
    if (name === "adam") {
      return { name, lr, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, t: 0, m: zeros(), s: zeros(), step: adamStep };
    }
    throw new Error("unknown optimizer " + JSON.stringify(name));
  }
  // parameters in optim.py's order: W1, b1, W2, b2, ...
  function eachParam(net, ws, f) {
    const L = net.W.length;
    for (let l = 0; l < L; l++) {
      f(net.W[l], ws.dW[l], l);
      f(net.b[l], ws.db[l], L + l);
    }
  }
  function gdStep(net, ws) {
    const lr = this.lr;
    eachParam(net, ws, (p, g) => { for (let t = 0; t < p.length; t++) p[t] = p[t] - lr * g[t]; });
  }
  function momentumStep(net, ws) {
    const lr = this.lr, beta = this.beta, v = this.v;
    eachParam(net, ws, (p, g, slot) => {
      const vs = v[slot];
      for (let t = 0; t < p.length; t++) {
        vs[t] = beta * vs[t] + (1 - beta) * g[t];
        p[t] = p[t] - lr * vs[t];
      }
    });
  }
  function adamStep(net, ws) {
    this.t += 1;
    const b1 = this.beta1, b2 = this.beta2, lr = this.lr, eps = this.epsilon;
    const c1 = 1 - Math.pow(b1, this.t), c2 = 1 - Math.pow(b2, this.t);
    eachParam(net, ws, (p, g, slot) => {
      const ms = this.m[slot], ss = this.s[slot];
      for (let t = 0; t < p.length; t++) {
        ms[t] = b1 * ms[t] + (1 - b1) * g[t];
        ss[t] = b2 * ss[t] + (1 - b2) * g[t] * g[t];
        p[t] = p[t] - lr * (ms[t] / c1) / (Math.sqrt(ss[t] / c2) + eps);
      }
    });
  }

  // ---------------------------------------------------------------- training
  /**
   * A training run that advances in slices: `steps(n)` does n gradient steps and records the
   * cost every `every` iterations (as the document prints them). Throws on divergence, naming
   * the iteration, like initlab's engines.
   */
  class Trainer {
    constructor(net, data, optimizer, every) {
      this.net = net;
      this.data = data; // {X: Float64Array (n_x*m), Y: Float64Array (m), m}
      this.ws = workspace(net, data.m);
      this.opt = optimizer;
      this.every = every || 1000;
      this.iteration = 0;
      this.costs = [];      // recorded costs (every `every` iterations)
      this.iterations = []; // their iteration numbers
      this.curve = [];      // [iteration, cost] samples for the cost plot
      this.lastCost = NaN;
    }
    steps(n) {
      const { net, ws, data } = this;
      for (let s = 0; s < n; s++) {
        const it = this.iteration, ZL = forward(net, data.X, ws);
        // The cost is what the engine records (every 10th step for the plot, every `every`
        // for the printed list). On the other steps only its finiteness matters (divergence),
        // and it is finite exactly when every logit is (moderate ones keep the sum finite),
        // so those steps check the logits and skip the 2m exp/log1p of the cost.
        if (it % 10 === 0 || it % this.every === 0 || !moderate(ZL, data.m)) {
          const c = cost(ZL, data.Y, ws);
          if (!Number.isFinite(c)) {
            throw new Error("training diverged at iteration " + it + " (cost " + c + "); lower the learning rate or the weight scale");
          }
          if (it % this.every === 0) { this.costs.push(c); this.iterations.push(it); }
          if (it % 10 === 0) this.curve.push([it, c]);
          this.lastCost = c;
        }
        backward(net, data.X, data.Y, ws);
        this.opt.step(net, ws);
        this.iteration++;
      }
      for (let l = 0; l < net.W.length; l++) {
        if (!allFinite(net.W[l]) || !allFinite(net.b[l])) {
          throw new Error("training diverged by iteration " + this.iteration + " (the parameters are no longer finite)");
        }
      }
    }
  }
  /** True when every logit is finite and below 1e300 in size (then the cost is finite). */
  function moderate(Z, m) {
    for (let j = 0; j < m; j++) if (!(Math.abs(Z[j]) < 1e300)) return false;
    return true;
  }
  function allFinite(a) {
    for (let t = 0; t < a.length; t++) if (!Number.isFinite(a[t])) return false;
    return true;
  }

  /** Share of examples whose label (sigmoid(z) > 0.5) equals Y: initlab.network.accuracy. */
  function accuracy(net, X, Y, m) {
    const ws = workspace(net, m), ZL = forward(net, X, ws);
    let right = 0;
    for (let j = 0; j < m; j++) if ((sigmoid(ZL[j]) > 0.5 ? 1 : 0) === Y[j]) right++;
    return right / m;
  }

  /** Probability of class 1 for each of the m columns of X (decision-boundary panel). */
  function probabilities(net, X, m) {
    const ws = workspace(net, m);
    forward(net, X, ws);
    return ws.A[net.dims.length - 2];
  }

  /**
   * One preset training from given initial weights (the tutorial preset's unit of work), run
   * to the end: {costs, iterations, train_accuracy, test_accuracy, W, b}. It touches no DOM, so
   * the page can run it in a Web Worker as well as in the page.
   */
  function trainRun(P, r) {
    const data = { X: Float64Array.from(P.train_X), Y: Float64Array.from(P.train_Y), m: P.m_train };
    const net = makeNet(P.dims, P.activation, { W: r.W.map((a) => Float64Array.from(a)), b: r.b.map((a) => Float64Array.from(a)) });
    const tr = new Trainer(net, data, makeOptimizer("gd", P.learning_rate, net), P.every);
    tr.steps(P.num_iterations);
    return {
      initialization: r.initialization, scheme: r.scheme, iterations: tr.iterations, costs: tr.costs,
      train_accuracy: accuracy(net, data.X, data.Y, data.m),
      test_accuracy: accuracy(net, Float64Array.from(P.test_X), Float64Array.from(P.test_Y), P.m_test),
      W: net.W.map((w) => Array.from(w)), b: net.b.map((b) => Array.from(b)),
    };
  }

  Object.assign(IL, {
    trainRun, pairwiseSum, matmul, sigmoid, ACTIVATIONS, makeNet, workspace, forward, cost, backward,
    makeOptimizer, Trainer, accuracy, probabilities,
  });
})(typeof window !== "undefined" ? (window.IL = window.IL || {}) : (globalThis.IL = globalThis.IL || {}));
