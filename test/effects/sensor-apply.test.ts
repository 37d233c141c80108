import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { linearToSrgb, srgbToLinear, SRGB_TO_LINEAR } from '../../src/effects/color.js';
import { sensorSpec } from '../../src/effects/sensor-schema.js';
import { applySensorEffects, noSensorEffects, sampleSensorEffects, type SensorEffects } from '../../src/effects/sensor.js';
import { Rng } from '../../src/sampling/rng.js';
import { equalBytes, flat, gradientEnergy, linearMean, mean, meanAbsDiff, natural, std, stripes } from './images.js';

const W = 96, H = 64;
const SEED = [1, 0, 'sensor-noise'];
const apply = (img: Uint8Array, effects: SensorEffects, w = W, h = H, seed: (string | number)[] = SEED) => applySensorEffects(img, w, h, effects, seed);
const wb = (rgb_gains: [number, number, number]): SensorEffects => ({ white_balance: { temperature_k: 6500, duv: 0, gains: rgb_gains, rgb_gains } });

describe('applySensorEffects: identity and determinism', () => {
  const img = natural(W, H);

  it('no effect: a byte-equal copy, not the same buffer', () => {
    const out = apply(img, {});
    expect(noSensorEffects({})).toBe(true);
    expect(out).not.toBe(img);
    expect(equalBytes(out, img)).toBe(true);
  });

  it('effects that change nothing leave every byte (the sRGB tables round-trip all 256 values)', () => {
    for (const e of [{ exposure: { ev: 0 } }, wb([1, 1, 1]), { noise: { gaussian_sigma: 0, shot_gain: 0 } }, { defocus_blur: { radius_px: 0 } }, { motion_blur: { length_px: 0.5, angle_deg: 10 } }] as SensorEffects[]) {
      expect(equalBytes(apply(img, e), img)).toBe(true);
    }
  });

  it('same effects and seed, same bytes; another noise seed, other bytes; the input is untouched', () => {
    const effects = sampleSensorEffects(sensorSpec.parse({ exposure: {}, white_balance: {}, defocus_blur: {}, motion_blur: {}, noise: {}, jpeg: {} }), new Rng(5));
    const copy = img.slice();
    const a = apply(img, effects);
    const b = apply(img, JSON.parse(JSON.stringify(effects)) as SensorEffects, W, H, [1, 0, 'sensor-noise']);
    expect(equalBytes(a, b)).toBe(true);
    expect(equalBytes(img, copy)).toBe(true);
    expect(equalBytes(apply(img, effects, W, H, [1, 1, 'sensor-noise']), a)).toBe(false);
  });

  it('is the same on every machine with the same V8 (a recorded fingerprint)', () => {
    const effects: SensorEffects = {
      exposure: { ev: 0.3 }, white_balance: { temperature_k: 5000, duv: 0.002, gains: [1, 1, 1], rgb_gains: [1.1, 0.98, 0.85] },
      defocus_blur: { radius_px: 1.3 }, motion_blur: { length_px: 6.5, angle_deg: 33 }, noise: { gaussian_sigma: 1, shot_gain: 0.05 }, jpeg: { quality: 75, subsampling: '4:2:0' },
    };
    const sha = createHash('sha256').update(apply(img, effects)).digest('hex');
    // Recorded on Node 20 (x86-64). A change means datasets are no longer reproducible from their seeds.
    expect(sha).toBe(FINGERPRINT);
  });

  it('rejects a buffer that does not match the size', () => {
    expect(() => apply(img, {}, W + 1, H)).toThrow(/expected/);
    expect(() => apply(img, {}, 0, H)).toThrow(/size/);
  });
});

describe('exposure', () => {
  it('scales linear light by 2^ev: higher EV raises the mean', () => {
    const img = natural(W, H);
    const dark = flat(W, H, 90); // 2x stays below white
    // Within the 8-bit rounding of a flat image (under 1%).
    expect(Math.abs(linearMean(apply(dark, { exposure: { ev: 1 } })) / linearMean(dark) / 2 - 1)).toBeLessThan(0.01);
    expect(Math.abs(linearMean(apply(dark, { exposure: { ev: -1 } })) / linearMean(dark) / 0.5 - 1)).toBeLessThan(0.01);
    const means = [-1, -0.3, 0, 0.4, 1].map((ev) => mean(apply(img, { exposure: { ev } })));
    for (let i = 1; i < means.length; i++) expect(means[i]).toBeGreaterThan(means[i - 1]);
  });

  it('clips at white', () => {
    expect(mean(apply(flat(W, H, 200), { exposure: { ev: 3 } }))).toBe(255);
  });
});

describe('white balance', () => {
  const grey = flat(W, H, 128);

  it('per-channel gains shift the channel means their way, in linear light', () => {
    const out = apply(grey, wb([1.5, 1, 0.6]));
    expect(Math.abs(linearMean(out, 0) / linearMean(grey, 0) / 1.5 - 1)).toBeLessThan(0.01);
    expect(mean(out, 1)).toBe(128); // gain 1: untouched
    expect(Math.abs(linearMean(out, 2) / linearMean(grey, 2) / 0.6 - 1)).toBeLessThan(0.01);
  });

  it('a warm light (low K) turns grey orange, a cool one blue; tint moves green', () => {
    const warm = sampleSensorEffects(sensorSpec.parse({ white_balance: { temperature_k: 3000, duv: 0 } }), new Rng(1));
    const cool = sampleSensorEffects(sensorSpec.parse({ white_balance: { temperature_k: 12000, duv: 0 } }), new Rng(1));
    const green = sampleSensorEffects(sensorSpec.parse({ white_balance: { temperature_k: 6500, duv: 0.01 } }), new Rng(1));
    const w = apply(grey, warm), c = apply(grey, cool), g = apply(grey, green);
    expect(mean(w, 0)).toBeGreaterThan(mean(w, 1));
    expect(mean(w, 1)).toBeGreaterThan(mean(w, 2));
    expect(mean(c, 2)).toBeGreaterThan(mean(c, 1));
    expect(mean(c, 1)).toBeGreaterThan(mean(c, 0));
    expect(mean(g, 1)).toBeGreaterThan(Math.max(mean(g, 0), mean(g, 2)));
    // Luminance of grey is kept (Rec. 709 weights in linear light).
    for (const img of [w, c, g]) {
      const Y = 0.2126 * linearMean(img, 0) + 0.7152 * linearMean(img, 1) + 0.0722 * linearMean(img, 2);
      expect(Math.abs(Y / linearMean(grey) - 1)).toBeLessThan(0.01);
    }
  });
});

describe('noise', () => {
  const N = 256;
  /** The slope of the sRGB curve at an 8-bit value: output levels per linear level. */
  const slope = (v: number) => {
    const l = srgbToLinear(v / 255), d = 1e-6;
    return (linearToSrgb(l + d) - linearToSrgb(l - d)) / (2 * d);
  };

  it('Gaussian read noise of sigma s gives a residual std of s (times the sRGB slope) on mid-grey', () => {
    for (const s of [2, 4, 8]) {
      const out = apply(flat(N, N, 128), { noise: { gaussian_sigma: s, shot_gain: 0 } }, N, N);
      const measured = std(out);
      // sigma is in linear levels; at value 128 the sRGB curve stretches it by 1.076; rounding adds 1/12.
      const expected = Math.sqrt((s * slope(128)) ** 2 + 1 / 12);
      expect(measured / expected).toBeGreaterThan(0.97);
      expect(measured / expected).toBeLessThan(1.03);
      expect(Math.abs(measured - s) / s).toBeLessThan(0.1);
      // Zero-mean in linear light (in sRGB the concave curve pulls the mean down a little).
      expect(Math.abs(linearMean(out) / SRGB_TO_LINEAR[128] - 1)).toBeLessThan(0.005);
    }
  });

  it('shot noise variance grows in proportion to the signal (measured in linear light)', () => {
    const K = 0.3;
    const variances = [40, 100, 180].map((v) => {
      const out = apply(flat(N, N, v), { noise: { gaussian_sigma: 0, shot_gain: K } }, N, N);
      const lin = Float64Array.from(out, (b) => 255 * SRGB_TO_LINEAR[b]);
      const signal = 255 * SRGB_TO_LINEAR[v];
      const variance = std(lin) ** 2;
      expect(variance / (K * signal)).toBeGreaterThan(0.9);
      expect(variance / (K * signal)).toBeLessThan(1.1);
      return variance;
    });
    expect(variances[1]).toBeGreaterThan(1.5 * variances[0]);
    expect(variances[2]).toBeGreaterThan(1.5 * variances[1]);
  });

  it('the blur-free fast path (one lookup table per frame) gives the general path\'s bytes', () => {
    // A streak of half a pixel blurs nothing but takes the general path (decode, blur, noise, encode).
    const img = natural(W, H);
    for (const effects of [
      { noise: { gaussian_sigma: 1.5, shot_gain: 0.05 } },
      { exposure: { ev: 0.6 }, noise: { gaussian_sigma: 0.3, shot_gain: 0.01 } },
      { ...wb([1.3, 1, 0.7]), exposure: { ev: -0.5 } },
    ] as SensorEffects[]) {
      const general = apply(img, { ...effects, motion_blur: { length_px: 0.5, angle_deg: 0 } });
      expect(equalBytes(apply(img, effects), general)).toBe(true);
    }
  });

  it('saturated pixels stay white; noise is independent per channel', () => {
    const out = apply(flat(N, N, 255), { noise: { gaussian_sigma: 5, shot_gain: 0.1 } }, N, N);
    expect(out.every((b) => b === 255)).toBe(true);
    const grey = apply(flat(N, N, 128), { noise: { gaussian_sigma: 5, shot_gain: 0 } }, N, N);
    let same = 0;
    for (let i = 0; i < grey.length; i += 3) if (grey[i] === grey[i + 1] && grey[i] === grey[i + 2]) same++;
    expect(same / (N * N)).toBeLessThan(0.05);
  });
});

describe('blurs', () => {
  it('defocus lowers gradient energy, more for a larger radius, and keeps a flat image', () => {
    const img = natural(W, H);
    const e0 = gradientEnergy(img, W, H, 'x') + gradientEnergy(img, W, H, 'y');
    const energies = [1, 2, 4].map((r) => {
      const out = apply(img, { defocus_blur: { radius_px: r } });
      return gradientEnergy(out, W, H, 'x') + gradientEnergy(out, W, H, 'y');
    });
    expect(energies[0]).toBeLessThan(0.8 * e0);
    expect(energies[1]).toBeLessThan(0.8 * energies[0]);
    expect(energies[2]).toBeLessThan(0.8 * energies[1]);
    const f = flat(W, H, [30, 140, 250]);
    expect(equalBytes(apply(f, { defocus_blur: { radius_px: 3.7 } }), f)).toBe(true);
  });

  it('motion blur lowers gradient energy along its direction only, more for a longer streak', () => {
    const vertical = stripes(W, H, 'x'); // varies along x
    const horizontal = stripes(W, H, 'y'); // varies along y
    const gx = (img: Uint8Array) => gradientEnergy(img, W, H, 'x');
    const gy = (img: Uint8Array) => gradientEnergy(img, W, H, 'y');
    for (const [angle, across, along, energy] of [[0, horizontal, vertical, gx], [90, vertical, horizontal, gy], [180, horizontal, vertical, gx], [-90, vertical, horizontal, gy]] as const) {
      // Streak along the stripes: nothing changes.
      expect(equalBytes(apply(across, { motion_blur: { length_px: 9, angle_deg: angle } }), across), `angle ${angle}`).toBe(true);
      // Across them: the energy drops, more for a longer streak.
      const short = energy(apply(along, { motion_blur: { length_px: 3, angle_deg: angle } }));
      const long = energy(apply(along, { motion_blur: { length_px: 12, angle_deg: angle } }));
      expect(short).toBeLessThan(0.8 * energy(along));
      expect(long).toBeLessThan(0.5 * short);
    }
  });

  it('an oblique streak lowers the energy across both axes, in proportion to its projection', () => {
    const vertical = stripes(W, H, 'x');
    const horizontal = stripes(W, H, 'y');
    const at30x = gradientEnergy(apply(vertical, { motion_blur: { length_px: 10, angle_deg: 30 } }), W, H, 'x') / gradientEnergy(vertical, W, H, 'x');
    const at30y = gradientEnergy(apply(horizontal, { motion_blur: { length_px: 10, angle_deg: 30 } }), W, H, 'y') / gradientEnergy(horizontal, W, H, 'y');
    // 30 deg: 8.7 px along x, 5 px along y.
    expect(at30x).toBeLessThan(at30y);
    expect(at30y).toBeLessThan(0.6);
  });
});

describe('jpeg', () => {
  it('changes the image more at low quality than at high quality', () => {
    const img = natural(W, H);
    for (const subsampling of ['4:2:0', '4:4:4'] as const) {
      const errs = [10, 50, 95].map((quality) => meanAbsDiff(apply(img, { jpeg: { quality, subsampling } }), img));
      expect(errs[0]).toBeGreaterThan(1.3 * errs[1]);
      expect(errs[1]).toBeGreaterThan(1.3 * errs[2]);
      expect(errs[2]).toBeGreaterThan(0);
    }
    // Halving the colour resolution costs on this pixel-level colour texture.
    const q95 = (subsampling: '4:2:0' | '4:4:4') => meanAbsDiff(apply(img, { jpeg: { quality: 95, subsampling } }), img);
    expect(q95('4:4:4')).toBeLessThan(3.5); // libjpeg-turbo: 2.99 (see jpeg.test.ts for the byte comparison)
    expect(q95('4:2:0')).toBeGreaterThan(q95('4:4:4'));
  });
});

describe('the order of a camera', () => {
  it('noise comes after the blur (a blurred frame is still noisy) and JPEG last', () => {
    const grey = flat(W, H, 128);
    const out = apply(grey, { defocus_blur: { radius_px: 5 }, noise: { gaussian_sigma: 4, shot_gain: 0 } });
    expect(std(out)).toBeGreaterThan(3.5);
    // JPEG last: at quality 100 nearly all of the noise survives.
    const withJpeg = apply(grey, { noise: { gaussian_sigma: 4, shot_gain: 0 }, jpeg: { quality: 100, subsampling: '4:4:4' } });
    expect(std(withJpeg)).toBeGreaterThan(3.5);
  });
});

// Re-recorded when the noise draws moved from a ziggurat to NORMAL_LEVELS indexed by random bytes.
const FINGERPRINT = '4f0f245a3238c988772073df14fc3b548c2ca4e2cb7a5cf16c83e9e29992544e';
