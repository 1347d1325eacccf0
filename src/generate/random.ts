// Seeded randomness for pure row generation: hashes of (seed, purpose, index), a small per-row
// generator, pseudo-random permutations, Zipf and log-normal draws, and alias tables.
// No Math.random anywhere: a row is a function of its inputs only.

/** murmur3's 32-bit finaliser: a fast, well-mixed hash of a 32-bit value. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash of (key, index) for index up to 2^53: two mixing rounds over the low and high words. */
export function hash2(key: number, index: number): number {
  const lo = index >>> 0;
  const hi = Math.floor(index / 4294967296) >>> 0;
  return fmix32(fmix32((key ^ lo) >>> 0) ^ Math.imul(hi + 0x9e3779b9, 0x27d4eb2f));
}

/** A 32-bit key for a purpose within a seed: streams never collide between tables or uses. */
export function streamKey(seed: number, purpose: string): number {
  let h = fmix32((seed >>> 0) ^ 0x5bd1e995);
  h = fmix32(h ^ Math.floor(seed / 4294967296));
  for (let i = 0; i < purpose.length; i++) h = fmix32(h ^ Math.imul(purpose.charCodeAt(i), 0x01000193));
  return h;
}

/** Uniform [0, 1) from a 32-bit hash. */
export function unit(h: number): number {
  return h / 4294967296;
}

/**
 * A tiny generator (mulberry32) for the several draws one row needs. Reseeded per row with
 * reset(hash2(key, rowIndex)), so it never carries state from one row to the next.
 */
export class RowRng {
  private s = 0;
  reset(state: number): this {
    this.s = state >>> 0;
    return this;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** Standard normal (Box-Muller, one of the pair). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
  /** Log-normal with the given median and shape sigma. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }
  /** Zipf-like rank in [0, n): rank r has weight about 1/(r+1)^s (continuous inverse CDF). */
  zipf(n: number, s: number): number {
    return zipfRank(this.next(), n, s);
  }
}

/** Inverse CDF of a bounded power law on [1, n+1): fast, monotone in u, close to discrete Zipf. */
export function zipfRank(u: number, n: number, s: number): number {
  if (n <= 1) return 0;
  let x: number;
  if (Math.abs(s - 1) < 1e-9) x = Math.exp(u * Math.log(n + 1));
  else {
    const a = 1 - s;
    x = Math.pow(1 + u * (Math.pow(n + 1, a) - 1), 1 / a);
  }
  const r = Math.floor(x) - 1;
  return r < 0 ? 0 : r >= n ? n - 1 : r;
}

/** zipfRank with its constants precomputed for a fixed (n, s): one Math.pow per draw. */
export class ZipfSampler {
  private readonly n: number;
  private readonly c: number;
  private readonly inv: number;
  private readonly log: boolean;
  constructor(n: number, s: number) {
    this.n = n;
    this.log = Math.abs(s - 1) < 1e-9;
    this.c = this.log ? Math.log(n + 1) : Math.pow(n + 1, 1 - s) - 1;
    this.inv = this.log ? 0 : 1 / (1 - s);
  }
  draw(u: number): number {
    const n = this.n;
    if (n <= 1) return 0;
    const x = this.log ? Math.exp(u * this.c) : Math.pow(1 + u * this.c, this.inv);
    const r = Math.floor(x) - 1;
    return r < 0 ? 0 : r >= n ? n - 1 : r;
  }
}

/**
 * A pseudo-random permutation of [0, n) keyed by `key`: a 4-round Feistel network on the smallest
 * even-bit domain covering n, with cycle walking. Both directions are O(1), so "the j-th member of
 * server s" and "is user u a member of s" need no stored lists.
 */
export class Permutation {
  readonly n: number;
  private readonly halfBits: number;
  private readonly mask: number;
  private readonly keys: number[];
  constructor(n: number, key: number) {
    this.n = n;
    let bits = 2;
    while (2 ** bits < n) bits += 2;
    this.halfBits = bits / 2;
    this.mask = (1 << this.halfBits) - 1;
    this.keys = [fmix32(key ^ 0xa511e9b3), fmix32(key ^ 0x63d83595), fmix32(key ^ 0x3c6ef372), fmix32(key ^ 0x1b873593)];
  }
  private round(x: number, k: number): number {
    return fmix32(x ^ k) & this.mask;
  }
  private encrypt(x: number): number {
    let l = x >>> this.halfBits;
    let r = x & this.mask;
    for (let i = 0; i < 4; i++) {
      const t = l ^ this.round(r, this.keys[i]);
      l = r;
      r = t;
    }
    return l * (this.mask + 1) + r;
  }
  private decrypt(y: number): number {
    let l = Math.floor(y / (this.mask + 1));
    let r = y & this.mask;
    for (let i = 3; i >= 0; i--) {
      const t = r ^ this.round(l, this.keys[i]);
      r = l;
      l = t;
    }
    return l * (this.mask + 1) + r;
  }
  /** The element at position i. */
  at(i: number): number {
    let x = this.encrypt(i);
    while (x >= this.n) x = this.encrypt(x);
    return x;
  }
  /** The position of element x (inverse of at). */
  indexOf(x: number): number {
    let i = this.decrypt(x);
    while (i >= this.n) i = this.decrypt(i);
    return i;
  }
}

/** Walker's alias method: O(1) draws from a fixed discrete distribution. */
export class AliasTable {
  readonly size: number;
  private readonly prob: Float64Array;
  private readonly alias: Int32Array;
  constructor(weights: ArrayLike<number>) {
    const n = weights.length;
    this.size = n;
    this.prob = new Float64Array(n);
    this.alias = new Int32Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) total += weights[i];
    const scaled = new Float64Array(n);
    const small: number[] = [];
    const large: number[] = [];
    for (let i = 0; i < n; i++) {
      scaled[i] = (weights[i] * n) / total;
      (scaled[i] < 1 ? small : large).push(i);
    }
    while (small.length && large.length) {
      const s = small.pop()!;
      const l = large[large.length - 1];
      this.prob[s] = scaled[s];
      this.alias[s] = l;
      scaled[l] = scaled[l] + scaled[s] - 1;
      if (scaled[l] < 1) {
        large.pop();
        small.push(l);
      }
    }
    for (const i of large) this.prob[i] = 1;
    for (const i of small) this.prob[i] = 1;
  }
  /** A draw from two uniforms in [0, 1). */
  draw(u1: number, u2: number): number {
    const i = Math.floor(u1 * this.size);
    return u2 < this.prob[i] ? i : this.alias[i];
  }
}
