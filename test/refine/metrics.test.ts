import { describe, expect, it } from 'vitest';
import { edgeAlignment, sobelMagnitude, ssim } from '../../src/refine/metrics.js';
import { gaussianNoise } from '../../src/refine/noise.js';
import { Rng } from '../../src/sampling/rng.js';

const W = 160;
const H = 120;

interface Shape {
  id: number;
  rgb: [number, number, number];
  inside: (x: number, y: number) => boolean;
}

/**
 * A render-like frame: boxes and discs over a shaded background, anti-aliased (4x4 samples a
 * pixel), with the instance ids of the pixel centres, as the renderer's id pass gives them.
 */
function scene(): { rgb: Uint8Array; ids: Uint16Array } {
  const shapes: Shape[] = [
    { id: 1, rgb: [200, 60, 50], inside: (x, y) => x > 20.3 && x < 70.6 && y > 15.2 && y < 55.8 },
    { id: 2, rgb: [40, 140, 210], inside: (x, y) => (x - 110) ** 2 + (y - 45) ** 2 < 28 ** 2 },
    { id: 3, rgb: [230, 220, 90], inside: (x, y) => x > 50.5 && x < 125.2 && y > 70.4 && y < 105.7 },
    // Touches box 3 and differs from it by one grey level: no edge there to find.
    { id: 4, rgb: [231, 220, 90], inside: (x, y) => x >= 125.2 && x < 145 && y > 70.4 && y < 105.7 },
    { id: 5, rgb: [90, 90, 95], inside: (x, y) => (x - 30) ** 2 + (y - 90) ** 2 < 15 ** 2 },
  ];
  const rgb = new Uint8Array(W * H * 3);
  const ids = new Uint16Array(W * H);
  // Painter's order: the last shape that covers a point is the one seen.
  const top = (x: number, y: number) => [...shapes].reverse().find((s) => s.inside(x, y));
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      ids[y * W + x] = top(x + 0.5, y + 0.5)?.id ?? 0;
      const acc = [0, 0, 0];
      for (let sy = 0; sy < 4; sy++) {
        for (let sx = 0; sx < 4; sx++) {
          const px = x + (sx + 0.5) / 4, py = y + (sy + 0.5) / 4;
          const shade = 0.8 + 0.2 * (px / W);
          const c = top(px, py)?.rgb ?? [120 + 30 * (py / H), 125, 118];
          for (let k = 0; k < 3; k++) acc[k] += c[k] * shade;
        }
      }
      for (let k = 0; k < 3; k++) rgb[(y * W + x) * 3 + k] = Math.round(acc[k] / 16);
    }
  }
  return { rgb, ids };
}

function shifted(rgb: Uint8Array, dx: number, dy: number): Uint8Array {
  const out = new Uint8Array(rgb.length);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const sx = Math.min(W - 1, Math.max(0, x - dx)), sy = Math.min(H - 1, Math.max(0, y - dy));
      for (let k = 0; k < 3; k++) out[(y * W + x) * 3 + k] = rgb[(sy * W + sx) * 3 + k];
    }
  }
  return out;
}

function noisy(rgb: Uint8Array, sigma: number, seed: string): Uint8Array {
  const n = gaussianNoise(rgb.length, new Rng(seed));
  return rgb.map((v, i) => Math.min(255, Math.max(0, Math.round(v + sigma * n[i]))));
}

const { rgb, ids } = scene();

describe('SSIM', () => {
  it('is 1 for identical images', () => {
    expect(ssim(rgb, rgb, W, H)).toBe(1);
    expect(ssim(rgb, Uint8Array.from(rgb), W, H)).toBe(1);
  });

  it('drops with noise, more with more noise', () => {
    const s5 = ssim(rgb, noisy(rgb, 5, 'a'), W, H);
    const s20 = ssim(rgb, noisy(rgb, 20, 'b'), W, H);
    expect(s5).toBeLessThan(0.95);
    expect(s20).toBeLessThan(s5);
    expect(s20).toBeGreaterThan(0);
    // Symmetric.
    const other = noisy(rgb, 10, 'c');
    expect(ssim(rgb, other, W, H)).toBeCloseTo(ssim(other, rgb, W, H), 12);
  });

  it('a uniform brightness change costs little (luminance term only), a shift costs more', () => {
    const brighter = rgb.map((v) => Math.min(255, v + 10));
    const moved = shifted(rgb, 3, 2);
    expect(ssim(rgb, brighter, W, H)).toBeGreaterThan(0.95);
    expect(ssim(rgb, moved, W, H)).toBeLessThan(ssim(rgb, brighter, W, H));
  });
});

describe('edge alignment with the instance masks', () => {
  it('a step edge has its Sobel peak on the two pixels beside it', () => {
    const img = new Float64Array(8 * 3);
    for (let y = 0; y < 3; y++) for (let x = 4; x < 8; x++) img[y * 8 + x] = 10;
    const g = sobelMagnitude(img, 8, 3);
    expect(Array.from(g.subarray(8, 16))).toEqual([0, 0, 0, 40, 40, 0, 0, 0]);
  });

  it('scores the render high, and ignores boundaries with no contrast', () => {
    const a = edgeAlignment(rgb, ids, W, H);
    expect(a.score).toBeGreaterThan(0.97);
    // The one-grey-level seam between boxes 3 and 4 is not judged.
    expect(a.boundary - a.crossings).toBeGreaterThanOrEqual(30);
  });

  it('survives noise, falls for shifts: in part for 1 px, clearly for 2-3 px', () => {
    const base = edgeAlignment(rgb, ids, W, H).score;
    const withNoise = edgeAlignment(noisy(rgb, 4, 'd'), ids, W, H).score;
    const by1 = edgeAlignment(shifted(rgb, 1, 1), ids, W, H).score;
    const by2x = edgeAlignment(shifted(rgb, 2, 0), ids, W, H).score;
    const by2 = edgeAlignment(shifted(rgb, 2, 2), ids, W, H).score;
    const by3 = edgeAlignment(shifted(rgb, -3, 2), ids, W, H).score;
    // Measured: base 0.99, noise 0.96, 1 px 0.58, 2 px along x 0.47, 2 px diagonal 0.12, 3 px 0.07.
    expect(withNoise).toBeGreaterThan(0.9);
    // A 1 px shift of anti-aliased edges fails where the sub-pixel position puts the peak past q.
    expect(by1).toBeLessThan(base - 0.2);
    // Shifting along x moves only the crossings of vertical outlines: about half fail.
    expect(by2x).toBeLessThan(0.6);
    expect(by2).toBeLessThan(0.25);
    expect(by3).toBeLessThan(0.2);
  });

  it('with the raw render as reference, judges the same outline in both images: noise neither adds nor hides crossings, an erased edge fails', () => {
    const raw = edgeAlignment(rgb, ids, W, H);
    const grain = noisy(rgb, 12, 'e');
    const own = edgeAlignment(grain, ids, W, H);
    const referenced = edgeAlignment(grain, ids, W, H, { reference: rgb });
    // On its own, grain makes the one-grey-level seams judgeable; against the reference they stay out.
    expect(own.crossings).toBeGreaterThan(raw.crossings);
    expect(referenced.crossings).toBe(raw.crossings);
    expect(edgeAlignment(rgb, ids, W, H, { reference: rgb })).toEqual(raw);
    // A shift is caught as before; a frame painted flat has lost every edge.
    expect(edgeAlignment(shifted(rgb, 2, 2), ids, W, H, { reference: rgb }).score).toBeLessThan(0.25);
    const flat = new Uint8Array(rgb.length).fill(128);
    expect(edgeAlignment(flat, ids, W, H, { reference: rgb }).score).toBe(0);
    expect(Number.isNaN(edgeAlignment(flat, ids, W, H).score)).toBe(true);
  });

  it('has nothing to judge on a frame without instances', () => {
    const none = edgeAlignment(rgb, new Uint16Array(W * H), W, H);
    expect(none.boundary).toBe(0);
    expect(Number.isNaN(none.score)).toBe(true);
  });
});
