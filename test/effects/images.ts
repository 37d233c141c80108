/** Test images and measurements for the sensor effects (8-bit RGB, 3 bytes per pixel, rows top-down). */
import { SRGB_TO_LINEAR } from '../../src/effects/color.js';
import { Rng } from '../../src/sampling/rng.js';

export function flat(w: number, h: number, v: number | [number, number, number]): Uint8Array {
  const [r, g, b] = typeof v === 'number' ? [v, v, v] : v;
  const out = new Uint8Array(w * h * 3);
  for (let i = 0; i < out.length; i += 3) {
    out[i] = r; out[i + 1] = g; out[i + 2] = b;
  }
  return out;
}

/** A busy, colourful image: smooth shading, hard edges and some texture. */
export function natural(w: number, h: number, seed = 1): Uint8Array {
  const rng = new Rng('test-image', seed);
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = 3 * (y * w + x);
      const square = Math.abs(x - w / 2) < w / 5 && Math.abs(y - h / 2) < h / 5;
      const shade = 60 + 120 * (x / w) + 20 * Math.sin(y / 5);
      out[i] = Math.round(square ? 220 : shade + 20 * rng.next());
      out[i + 1] = Math.round(square ? 40 : shade * 0.8 + 30 * rng.next());
      out[i + 2] = Math.round(square ? 60 : 200 - shade * 0.5 + 30 * rng.next());
    }
  }
  return out;
}

/** Grey stripes that vary along one axis only: `along: 'x'` gives vertical stripes (columns differ). */
export function stripes(w: number, h: number, along: 'x' | 'y', seed = 1): Uint8Array {
  const rng = new Rng('stripes', seed);
  const n = along === 'x' ? w : h;
  const profile = Array.from({ length: n }, () => 30 + Math.floor(rng.next() * 200));
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) out.fill(profile[along === 'x' ? x : y], 3 * (y * w + x), 3 * (y * w + x) + 3);
  }
  return out;
}

/** Mean of channel c (or of all channels) in 8-bit levels. */
export function mean(img: Uint8Array, c?: number): number {
  let s = 0, n = 0;
  for (let i = c ?? 0; i < img.length; i += c === undefined ? 1 : 3) {
    s += img[i];
    n++;
  }
  return s / n;
}

/** Mean of channel c (or all) in linear light. */
export function linearMean(img: Uint8Array, c?: number): number {
  let s = 0, n = 0;
  for (let i = c ?? 0; i < img.length; i += c === undefined ? 1 : 3) {
    s += SRGB_TO_LINEAR[img[i]];
    n++;
  }
  return s / n;
}

/** Sum of squared differences of neighbours along x or y, all channels, per pixel. */
export function gradientEnergy(img: Uint8Array, w: number, h: number, axis: 'x' | 'y'): number {
  let s = 0;
  const dx = axis === 'x' ? 1 : 0, dy = axis === 'y' ? 1 : 0;
  for (let y = 0; y + dy < h; y++) {
    for (let x = 0; x + dx < w; x++) {
      const a = 3 * (y * w + x), b = 3 * ((y + dy) * w + x + dx);
      for (let c = 0; c < 3; c++) s += (img[a + c] - img[b + c]) ** 2;
    }
  }
  return s / (w * h);
}

export function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

export function std(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m += values[i];
  m /= values.length;
  let v = 0;
  for (let i = 0; i < values.length; i++) v += (values[i] - m) ** 2;
  return Math.sqrt(v / values.length);
}

export const equalBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
