/**
 * Random draws for sensor noise, fast enough for one per pixel and channel (a 640x480 frame needs
 * 921,600): uniform bytes from an sfc32 stream seeded by the project's seeded Rng
 * (src/sampling/rng.ts), four per 32-bit draw, and a standard normal quantized to 256 levels that
 * a byte indexes. Replaced a ziggurat: bytes let a frame's noise go through one lookup table per
 * frame (src/effects/sensor.ts), three times faster end to end. The tables use Math.exp, Math.log
 * and Math.sqrt: V8's own fdlibm port, the same on every machine running the same V8.
 */
import type { Rng } from '../sampling/rng.js';

/**
 * sfc32 (the generator of src/sampling/rng.ts) on an Int32Array state: the state stays in 32-bit
 * integers, never boxed as heap numbers, so a draw costs a few nanoseconds. Returns a signed
 * 32-bit value.
 */
function next32(st: Int32Array): number {
  const a = st[0], b = st[1], c = st[2], d = st[3];
  const t = (((a + b) | 0) + d) | 0;
  st[3] = (d + 1) | 0;
  st[0] = b ^ (b >>> 9);
  st[1] = (c + (c << 3)) | 0;
  st[2] = (((c << 21) | (c >>> 11)) + t) | 0;
  return t;
}

/** The standard normal CDF's inverse: Acklam's rational approximation (relative error < 1.2e-9). */
function inverseNormalCdf(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) return -inverseNormalCdf(1 - p);
  const q = p - 0.5, r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/**
 * A standard normal quantized to 256 equally likely values, one per random byte: value k is the
 * mean of the normal over its k-th 1/256 of probability (so the values are symmetric, ordered and
 * reach ±2.9), scaled to a variance of exactly 1. Sensor noise draws from it: after the 8-bit
 * output's own quantization it is indistinguishable from a continuous normal (the tails beyond
 * 2.9 sigma, 0.4% of draws, fold into the last levels), and a byte per draw lets a frame's noise
 * go through per-frame lookup tables (see applySensorEffects) at a fraction of the ziggurat's cost.
 */
export const NORMAL_LEVELS = (() => {
  const pdf = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
  const levels = new Float64Array(256);
  let variance = 0;
  for (let k = 0; k < 256; k++) {
    const lo = k === 0 ? 0 : pdf(inverseNormalCdf(k / 256));
    const hi = k === 255 ? 0 : pdf(inverseNormalCdf((k + 1) / 256));
    levels[k] = 256 * (lo - hi);
    variance += levels[k] * levels[k] / 256;
  }
  const scale = 1 / Math.sqrt(variance);
  for (let k = 0; k < 256; k++) levels[k] *= scale;
  // Exactly symmetric, whatever the approximation's last bits.
  for (let k = 0; k < 128; k++) levels[255 - k] = -levels[k];
  return levels;
})();

/**
 * Fills `out` with uniform random bytes, four per draw of an sfc32 stream seeded by four draws of
 * `rng` (and nothing else), so they are as reproducible as the rng. Index NORMAL_LEVELS with them.
 */
export function fillRandomBytes(out: Uint8Array, rng: Rng): Uint8Array {
  const st = new Int32Array(4);
  for (let i = 0; i < 4; i++) st[i] = Math.floor(rng.next() * 4294967296);
  st[3] |= 1;
  for (let i = 0; i < 12; i++) next32(st);
  let a = st[0], b = st[1], c = st[2], d = st[3];
  const n = out.length;
  for (let i = 0; i < n; i += 4) {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (((c << 21) | (c >>> 11)) + t) | 0;
    out[i] = t;
    if (i + 1 < n) out[i + 1] = t >>> 8;
    if (i + 2 < n) out[i + 2] = t >>> 16;
    if (i + 3 < n) out[i + 3] = t >>> 24;
  }
  return out;
}
