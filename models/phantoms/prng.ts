// Seeded pseudo-random numbers for phantoms: mulberry32 streams, deterministic across runs and platforms.

/** Mixes a 32-bit integer (splitmix-style finalizer); used to derive independent stream seeds. */
export function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** Hashes a seed and a stream name into a 32-bit stream seed, so streams never share state. */
export function deriveSeed(seed: number, stream: string | number): number {
  let h = mix32((seed >>> 0) ^ 0x9e3779b9);
  const s = String(stream);
  for (let i = 0; i < s.length; i++) h = mix32(h ^ Math.imul(s.charCodeAt(i), 0x01000193));
  return h;
}

/**
 * A mulberry32 generator with the helpers phantoms need.
 * @example const rng = new Rng(42); rng.uniform(2, 5); rng.normal(); rng.int(1, 3);
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A derived, independent generator for a named purpose (anatomy, findings, noise, ...). */
  fork(stream: string | number): Rng {
    return new Rng(deriveSeed(this.state, stream));
  }

  /** Next raw 32-bit unsigned integer. */
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box–Muller). */
  normal(mean = 0, sd = 1): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** `n` hex digits (for VinDr-style ids). */
  hex(n: number): string {
    let s = '';
    while (s.length < n) s += this.nextU32().toString(16).padStart(8, '0');
    return s.slice(0, n);
  }
}

/** 65,536 standard-normal samples: per-pixel noise indexes this table with one PRNG draw (fast). */
export const NORMAL_TABLE: Float32Array = (() => {
  const rng = new Rng(0x5eed);
  const t = new Float32Array(65536);
  for (let i = 0; i < t.length; i++) t[i] = rng.normal();
  return t;
})();
