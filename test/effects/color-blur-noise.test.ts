import { describe, expect, it } from 'vitest';
import { diskBlur, motionBlur } from '../../src/effects/blur.js';
import { ENCODE_STEPS, LINEAR_TO_SRGB8, linearToSrgb, planckianXy, SRGB_TO_LINEAR, srgbToLinear, whiteBalanceGains } from '../../src/effects/color.js';
import { fillRandomBytes, NORMAL_LEVELS } from '../../src/effects/normal.js';
import { Rng } from '../../src/sampling/rng.js';

describe('sRGB tables', () => {
  it('the 256 decoded values encode back to themselves', () => {
    for (let v = 0; v < 256; v++) expect(LINEAR_TO_SRGB8[Math.round(SRGB_TO_LINEAR[v] * ENCODE_STEPS)]).toBe(v);
  });

  it('follow the IEC 61966-2-1 curve', () => {
    expect(srgbToLinear(0.5)).toBeCloseTo(0.21404, 5);
    expect(linearToSrgb(0.18)).toBeCloseTo(0.461356, 6);
    expect(SRGB_TO_LINEAR[255]).toBe(1);
    for (let i = 0; i <= ENCODE_STEPS; i += 997) expect(Math.abs(LINEAR_TO_SRGB8[i] - 255 * linearToSrgb(i / ENCODE_STEPS))).toBeLessThanOrEqual(0.5);
  });
});

describe('white balance gains', () => {
  it('are neutral at 6500 K on the locus', () => {
    whiteBalanceGains(6500, 0).forEach((g) => expect(g).toBeCloseTo(1, 12));
  });

  it('follow the Planckian locus: warm below 6500 K, cool above, luminance kept', () => {
    // Illuminant A (a black body at 2856 K with the old c2, 2848 K today): x 0.4476, y 0.4074.
    const [x, y] = planckianXy(2848);
    expect(x).toBeCloseTo(0.4476, 3);
    expect(y).toBeCloseTo(0.4074, 3);
    let lastRatio = Infinity;
    for (const k of [2000, 3000, 4500, 6500, 9000, 15000]) {
      const [r, g, b] = whiteBalanceGains(k, 0);
      expect(0.2126 * r + 0.7152 * g + 0.0722 * b).toBeCloseTo(1, 12);
      expect(r / b).toBeLessThan(lastRatio);
      lastRatio = r / b;
    }
    expect(whiteBalanceGains(3000, 0)[0]).toBeGreaterThan(1);
    expect(whiteBalanceGains(3000, 0)[2]).toBeLessThan(1);
  });

  it('positive duv is greener, negative more magenta', () => {
    const [r, g, b] = whiteBalanceGains(6500, 0.01);
    expect(g).toBeGreaterThan(r);
    expect(g).toBeGreaterThan(b);
    const [r2, g2, b2] = whiteBalanceGains(6500, -0.01);
    expect(g2).toBeLessThan(r2);
    expect(g2).toBeLessThan(b2);
  });
});

/** A w x h linear image, zero but for one pixel of 1 in every channel. */
function impulse(w: number, h: number, x: number, y: number): Float32Array {
  const img = new Float32Array(w * h * 3);
  img.fill(1, 3 * (y * w + x), 3 * (y * w + x) + 3);
  return img;
}

const at = (img: Float32Array, w: number, x: number, y: number) => img[3 * (y * w + x)];
const total = (img: Float32Array) => img.reduce((s, v) => s + v, 0) / 3;

describe('blur kernels', () => {
  it('disk: sums to 1, is round and symmetric, and spreads the impulse over pi r^2', () => {
    const W = 41;
    for (const r of [0.4, 1, 2.5, 6]) {
      const out = diskBlur(impulse(W, W, 20, 20), W, W, r);
      expect(total(out)).toBeCloseTo(1, 5);
      for (const [dx, dy] of [[1, 0], [2, 1], [3, 3]]) {
        const v = at(out, W, 20 + dx, 20 + dy);
        expect(at(out, W, 20 - dx, 20 + dy)).toBeCloseTo(v, 6);
        expect(at(out, W, 20 + dx, 20 - dy)).toBeCloseTo(v, 6);
      }
      // Nothing beyond the radius (plus the rim pixel).
      for (let y = 0; y < W; y++) for (let x = 0; x < W; x++) if (Math.hypot(x - 20, y - 20) > r + 1.5) expect(at(out, W, x, y)).toBe(0);
      if (r >= 1) expect(at(out, W, 20, 20)).toBeCloseTo(1 / (Math.PI * r * r), 2);
    }
  });

  it('motion: a streak of the given length and direction, summing to 1', () => {
    const W = 41;
    // Horizontal, 5 px: five pixels of 1/5 in the row.
    const h5 = motionBlur(impulse(W, W, 20, 20), W, W, 5, 0);
    expect([18, 19, 20, 21, 22].map((x) => at(h5, W, x, 20))).toEqual(Array(5).fill(expect.closeTo(0.2, 6)));
    expect(total(h5)).toBeCloseTo(1, 5);
    // 6 px: the ends get half a pixel each.
    const h6 = motionBlur(impulse(W, W, 20, 20), W, W, 6, 180);
    expect(at(h6, W, 17, 20)).toBeCloseTo(1 / 12, 6);
    expect(at(h6, W, 20, 20)).toBeCloseTo(1 / 6, 6);
    // Vertical (90 deg is +y, image rows down), 9 px.
    const v9 = motionBlur(impulse(W, W, 20, 20), W, W, 9, 90);
    for (let y = 16; y <= 24; y++) expect(at(v9, W, 20, y)).toBeCloseTo(1 / 9, 6);
    expect(at(v9, W, 21, 20)).toBe(0);
    // Diagonal 45 deg, length 10 sqrt(2): the main diagonal, 10 px of x extent.
    const d = motionBlur(impulse(W, W, 20, 20), W, W, 10 * Math.SQRT2, 45);
    expect(total(d)).toBeCloseTo(1, 5);
    for (let k = -4; k <= 4; k++) expect(at(d, W, 20 + k, 20 + k)).toBeCloseTo(0.1, 5);
    expect(at(d, W, 24, 16)).toBe(0);
    // Any angle: centred on the point, its energy conserved, its spread along the direction.
    for (const angle of [17, 63, 110, 160, -30]) {
      const out = motionBlur(impulse(W, W, 20, 20), W, W, 12, angle);
      expect(total(out)).toBeCloseTo(1, 5);
      let mx = 0, my = 0, along = 0, across = 0;
      const c = Math.cos((angle * Math.PI) / 180), s = Math.sin((angle * Math.PI) / 180);
      for (let y = 0; y < W; y++) {
        for (let x = 0; x < W; x++) {
          const v = at(out, W, x, y);
          mx += v * (x - 20); my += v * (y - 20);
          along += v * ((x - 20) * c + (y - 20) * s) ** 2;
          across += v * (-(x - 20) * s + (y - 20) * c) ** 2;
        }
      }
      expect(Math.abs(mx)).toBeLessThan(1e-4);
      expect(Math.abs(my)).toBeLessThan(1e-4);
      expect(Math.sqrt(along)).toBeCloseTo(12 / Math.sqrt(12), 0); // a box of length L has std L / sqrt(12)
      expect(Math.sqrt(across)).toBeLessThan(0.6);
    }
  });
});

describe('the quantized normal of sensor noise', () => {
  it('has 256 ordered, symmetric levels of mean 0, variance 1 and a normal kurtosis', () => {
    let m = 0, v = 0, k = 0;
    for (let i = 0; i < 256; i++) {
      if (i > 0) expect(NORMAL_LEVELS[i]).toBeGreaterThan(NORMAL_LEVELS[i - 1]);
      expect(NORMAL_LEVELS[255 - i]).toBe(-NORMAL_LEVELS[i]);
      m += NORMAL_LEVELS[i] / 256; v += NORMAL_LEVELS[i] ** 2 / 256; k += NORMAL_LEVELS[i] ** 4 / 256;
    }
    expect(Math.abs(m)).toBeLessThan(1e-12);
    expect(v).toBeCloseTo(1, 10);
    expect(k).toBeGreaterThan(2.9); // a continuous normal: 3; uniform levels would give 1.8
    // Each level is the mean of the normal over its 1/256 of probability: the median bin's is tiny, the last one's near 2.97.
    expect(NORMAL_LEVELS[128]).toBeCloseTo(0.0049, 3);
    expect(NORMAL_LEVELS[255]).toBeCloseTo(2.97, 2);
  });

  it('random bytes are uniform, independent of their neighbours, and depend on the rng only', () => {
    const bytes = fillRandomBytes(new Uint8Array(1 << 20), new Rng('bytes-test'));
    const counts = new Float64Array(256);
    let pairs = 0;
    for (let i = 0; i < bytes.length; i++) {
      counts[bytes[i]]++;
      if (i > 0 && bytes[i] === bytes[i - 1]) pairs++;
    }
    const expected = bytes.length / 256;
    let chi2 = 0;
    for (const c of counts) chi2 += (c - expected) ** 2 / expected;
    expect(chi2).toBeLessThan(340); // 255 degrees of freedom: p ~ 0.0003
    expect(pairs / bytes.length).toBeCloseTo(1 / 256, 3);
    const a = fillRandomBytes(new Uint8Array(1001), new Rng(1, 2));
    expect(fillRandomBytes(new Uint8Array(1001), new Rng(1, 2))).toEqual(a);
    expect(fillRandomBytes(new Uint8Array(1001), new Rng(1, 3))).not.toEqual(a);
  });
});
