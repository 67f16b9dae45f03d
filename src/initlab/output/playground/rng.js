// initlab playground random numbers: NumPy's legacy RandomState, written out.
//
// Seeds, uniform doubles, normals, bounded integers and shuffles give the same numbers as
// numpy.random.RandomState(seed) (up to the last bit of log/sqrt), so the page draws the
// weights and datasets initlab draws from the same seed.
(function (IL) {
  "use strict";

  // ---------------------------------------------------------------- random numbers
  // MT19937 with NumPy's legacy RandomState semantics (seed by init_genrand, 53-bit doubles,
  // polar Box-Muller with a cached second value), so JS draws equal RandomState(seed) draws.
  class RandomState {
    constructor(seed) {
      this.mt = new Uint32Array(624);
      this.mti = 624;
      this.hasGauss = false;
      this.gauss = 0;
      const mt = this.mt;
      mt[0] = seed >>> 0;
      for (let i = 1; i < 624; i++) {
        const s = mt[i - 1] ^ (mt[i - 1] >>> 30);
        // 1812433253 * s + i in 32 bits, split in 16-bit halves to stay exact
        mt[i] = (((((s & 0xffff0000) >>> 16) * 1812433253) << 16) + (s & 0x0000ffff) * 1812433253 + i) >>> 0;
      }
    }
    nextUint32() {
      const mt = this.mt;
      if (this.mti >= 624) {
        for (let k = 0; k < 624; k++) {
          const y = (mt[k] & 0x80000000) | (mt[(k + 1) % 624] & 0x7fffffff);
          mt[k] = mt[(k + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
        }
        this.mti = 0;
      }
      let y = mt[this.mti++];
      y ^= y >>> 11;
      y ^= (y << 7) & 0x9d2c5680;
      y ^= (y << 15) & 0xefc60000;
      y ^= y >>> 18;
      return y >>> 0;
    }
    /** Uniform double in [0, 1): numpy's random_sample. */
    random() {
      const a = this.nextUint32() >>> 5, b = this.nextUint32() >>> 6;
      return (a * 67108864.0 + b) / 9007199254740992.0;
    }
    /** Standard normal: numpy's legacy_gauss (polar method). */
    standardNormal() {
      if (this.hasGauss) {
        this.hasGauss = false;
        return this.gauss;
      }
      let x1, x2, r2;
      do {
        x1 = 2.0 * this.random() - 1.0;
        x2 = 2.0 * this.random() - 1.0;
        r2 = x1 * x1 + x2 * x2;
      } while (r2 >= 1.0 || r2 === 0.0);
      const f = Math.sqrt(-2.0 * Math.log(r2) / r2);
      this.gauss = f * x1;
      this.hasGauss = true;
      return f * x2;
    }
    /** low + (high - low) * U: numpy's uniform(low, high). */
    uniform(low, high) {
      return low + (high - low) * this.random();
    }
    /** Integer in [0, max] by masked rejection: numpy's legacy random_interval. */
    interval(max) {
      if (max === 0) return 0;
      let mask = max;
      mask |= mask >>> 1; mask |= mask >>> 2; mask |= mask >>> 4; mask |= mask >>> 8; mask |= mask >>> 16;
      let v;
      while ((v = (this.nextUint32() & mask) >>> 0) > max);
      return v;
    }
    /** In-place Fisher-Yates shuffle as numpy's legacy RandomState.shuffle of a 1-D array. */
    shuffle(arr) {
      for (let i = arr.length - 1; i > 0; i--) {
        const j = this.interval(i);
        const t = arr[i]; arr[i] = arr[j]; arr[j] = t;
      }
    }
  }

  IL.RandomState = RandomState;
})(typeof window !== "undefined" ? (window.IL = window.IL || {}) : (globalThis.IL = globalThis.IL || {}));
