// The simulated detector: blur, heel effect, signal-dependent quantum noise and 12-bit quantisation of a density map.
import { gaussianBlur } from './raster.ts';
import { NORMAL_TABLE } from './prng.ts';
import type { ScannerProfile } from './scanner-profile.ts';

/** Largest stored value: 12 bits stored in a 16-bit container. */
export const MAX_STORED = 4095;

/** Display fraction of air; density adds on top of it. */
const AIR_LEVEL = 0.04;

/**
 * Turns a density map (layer resolution, bone bright) into stored 12-bit values at full resolution, in
 * MONOCHROME2 orientation. Noise sd grows with density (fewer photons behind bone) and towards the anode
 * side (heel effect); the pixel noise comes from `noiseSeed`, one draw per pixel, so it is reproducible.
 */
export function expose(
  density: Float32Array,
  lw: number,
  lh: number,
  width: number,
  height: number,
  profile: ScannerProfile,
  spacing: number,
  noiseSeed: number,
): Uint16Array {
  const scale = width / lw;
  // Detector blur plus a little smoothing of the reduced-resolution rendering.
  gaussianBlur(density, lw, lh, Math.hypot(profile.blurMm / spacing / scale, 0.45));
  const out = new Uint16Array(width * height);
  const gain = profile.contrast * 0.95;
  const noise = profile.noise / Math.sqrt(profile.exposure);
  let state = noiseSeed >>> 0;
  // Noise sd against density, tabulated (exp per pixel is the hot spot otherwise).
  const LUT = 1024;
  const sdLut = new Float32Array(LUT + 1);
  for (let i = 0; i <= LUT; i++) sdLut[i] = Math.exp((1.3 * i) / LUT);
  const sx = lw / width;
  const sy = lh / height;
  const row = new Float32Array(lw + 1);
  const xi0 = new Int32Array(width);
  const xf = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    let fx = (x + 0.5) * sx - 0.5;
    if (fx < 0) fx = 0;
    if (fx > lw - 1.001) fx = lw - 1.001;
    xi0[x] = Math.floor(fx);
    xf[x] = fx - xi0[x];
  }
  for (let y = 0; y < height; y++) {
    // Heel effect: less exposure towards the anode (bottom), which a log detector shows as a little brighter
    // and noisier.
    const t = y / height - 0.5;
    const exposure = 1 - profile.heel * t;
    const heelShift = -0.12 * Math.log(exposure);
    const noiseRow = noise / Math.sqrt(exposure);
    let fy = (y + 0.5) * sy - 0.5;
    if (fy < 0) fy = 0;
    if (fy > lh - 1.001) fy = lh - 1.001;
    const yi = Math.floor(fy);
    const wy = fy - yi;
    const r0 = yi * lw;
    const r1 = r0 + lw;
    // Vertical interpolation once per layer column, then horizontal per pixel.
    for (let i = 0; i < lw; i++) row[i] = density[r0 + i] + (density[r1 + i] - density[r0 + i]) * wy;
    const off = y * width;
    let z = 0;
    for (let x = 0; x < width; x++) {
      const i = xi0[x];
      let d = row[i] + (row[i + 1] - row[i]) * xf[x];
      if (d < 0) d = 0;
      // mulberry32, inlined: one draw gives two 16-bit indices into the normal table.
      let idx: number;
      if ((x & 1) === 0) {
        state = (state + 0x6d2b79f5) | 0;
        z = Math.imul(state ^ (state >>> 15), state | 1);
        z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
        z = (z ^ (z >>> 14)) >>> 0;
        idx = z >>> 16;
      } else {
        idx = z & 0xffff;
      }
      const sd = noiseRow * sdLut[d < 1 ? (d * LUT) | 0 : LUT];
      let v = (AIR_LEVEL + gain * d + heelShift + sd * NORMAL_TABLE[idx]) * MAX_STORED;
      v = v < 0 ? 0 : v > MAX_STORED ? MAX_STORED : v;
      out[off + x] = (v + 0.5) | 0;
    }
  }
  return out;
}

/**
 * A window (centre, width in stored values) covering the anatomy: from the 1st to the 99.7th percentile of
 * the pixels above the air level, so metal saturates and air is black.
 */
export function autoWindow(stored: Uint16Array): { center: number; width: number } {
  const hist = new Uint32Array(MAX_STORED + 1);
  const airCut = Math.round(AIR_LEVEL * 2 * MAX_STORED);
  let n = 0;
  for (let i = 0; i < stored.length; i += 7) {
    const v = stored[i];
    if (v > airCut) {
      hist[v]++;
      n++;
    }
  }
  const q = (p: number) => {
    let acc = 0;
    const target = p * n;
    for (let v = 0; v <= MAX_STORED; v++) if ((acc += hist[v]) >= target) return v;
    return MAX_STORED;
  };
  const lo = q(0.01);
  const hi = Math.max(q(0.997), lo + 64);
  return { center: Math.round((lo + hi) / 2), width: Math.round((hi - lo) * 1.1) };
}
