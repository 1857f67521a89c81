// The project's seeded PRNG for resampling and load generation (the phantom generator keeps its own
// forkable generator in models/phantoms/prng.ts).

/**
 * mulberry32: a small, fast 32-bit PRNG (Tommy Ettinger). Returns uint32 values.
 * Good enough for resampling; not for cryptography.
 * @example const next = mulberry32(42); next() // 0 … 2^32 - 1
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}
