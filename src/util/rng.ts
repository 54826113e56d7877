import { LocalpropError } from './errors.js';

/** Where a generator stands in its stream: plain data, for checkpoints. */
export interface RngState {
  /** xoshiro128**'s four words. */
  s: [number, number, number, number];
  /** The second normal of the last Box-Muller pair, not yet handed out. */
  spare: number | null;
}

/**
 * A small seeded random generator (xoshiro128**, seeded through splitmix32).
 * Every random draw in localprop goes through one of these, so the same seed
 * gives the same run. `fork(label)` derives an independent stream, which keeps
 * the data, the initial weights and the shuffles of a seed from shifting when
 * one of them draws more numbers than before.
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | null = null;

  constructor(readonly seed: number, readonly label = '') {
    let h = splitmix32(hashString(`${seed}:${label}`));
    const next = () => {
      h = (h + 0x9e3779b9) | 0;
      return splitmix32(h);
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** An independent stream named by `label`, derived from this one's seed and label. */
  fork(label: string): Rng {
    return new Rng(this.seed, this.label ? `${this.label}/${label}` : label);
  }

  /** The generator's position: restoring it with {@link Rng.setState} continues the stream exactly from here. */
  getState(): RngState {
    return { s: [this.s0, this.s1, this.s2, this.s3], spare: this.spare };
  }

  /** Moves the generator to a position read by {@link Rng.getState} (of a generator with any seed). */
  setState(state: RngState): void {
    const ok = Array.isArray(state?.s) && state.s.length === 4 && state.s.every((v) => Number.isInteger(v)) && (state.spare === null || typeof state.spare === 'number');
    if (!ok || (state.s[0] | state.s[1] | state.s[2] | state.s[3]) === 0) throw new LocalpropError(`not a generator state: ${JSON.stringify(state)}; it must be {"s": [four 32-bit integers, not all 0], "spare": number or null}`);
    [this.s0, this.s1, this.s2, this.s3] = state.s.map((v) => v | 0);
    this.spare = state.spare;
  }

  /** A 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9);
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result >>> 0;
  }

  /** Uniform on [0, 1), with 32 random bits. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform on [low, high). */
  uniformIn(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Standard normal (Box-Muller, the second value kept for the next call). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** An integer uniform on [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /**
   * A mask for inverted dropout: `count` values, each 0 with probability `p`
   * and 1/(1-p) otherwise. Element k is dropped exactly when the k-th
   * {@link Rng.uniform} draw would be < p (one 32-bit draw per element), but
   * the loop keeps the state in locals: 128×1024 values take 0.4-0.7 ms here.
   */
  dropoutMask(count: number, p: number): Float32Array {
    const out = new Float32Array(count);
    // uniform() = r / 2^32 < p  ⇔  r < ceil(p · 2^32), exactly (the scaling is by a power of two).
    const threshold = Math.ceil(p * 4294967296);
    const scale = 1 / (1 - p);
    // Compared as signed integers (r - 2^31 against threshold - 2^31), which V8 keeps unboxed.
    const shifted = threshold >= 4294967296 ? null : (threshold - 2147483648) | 0;
    let a = this.s0;
    let b = this.s1;
    let c = this.s2;
    let d = this.s3;
    for (let k = 0; k < count; k++) {
      // nextUint32, inlined.
      const m = Math.imul(b, 5);
      const r = Math.imul((m << 7) | (m >>> 25), 9) ^ 0x80000000;
      const t = b << 9;
      c ^= a;
      d ^= b;
      b ^= c;
      a ^= d;
      c ^= t;
      d = (d << 11) | (d >>> 21);
      if (shifted !== null && r >= shifted) out[k] = scale;
    }
    this.s0 = a;
    this.s1 = b;
    this.s2 = c;
    this.s3 = d;
    return out;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function hashString(s: string): number {
  // FNV-1a: a stable 32-bit hash of the seed's label.
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
