import { describe, expect, it } from 'vitest';
import { sensorSpec, type SensorSpecInput } from '../../src/effects/sensor-schema.js';
import { sampleSensorEffects, type SensorEffects } from '../../src/effects/sensor.js';
import { whiteBalanceGains } from '../../src/effects/color.js';
import { Rng } from '../../src/sampling/rng.js';

const spec = (input: SensorSpecInput) => sensorSpec.parse(input);

const FULL = spec({
  exposure: { ev: [-1.5, 0.5] },
  white_balance: { temperature_k: [3000, 9000], duv: [-0.01, 0.02], gains: [[0.8, 1.2], 1, [0.9, 1]] },
  defocus_blur: { radius_px: [0.5, 3] },
  motion_blur: { length_px: [2, 12], angle_deg: [-30, 60] },
  noise: { gaussian_sigma: [0.5, 2], shot_gain: [0, 0.1] },
  jpeg: { quality: [30, 90], subsampling: '4:4:4' },
});

const draws = (s: ReturnType<typeof spec>, n: number, seed = 1): SensorEffects[] =>
  Array.from({ length: n }, (_, i) => sampleSensorEffects(s, new Rng(seed, i, 'sensor')));

const inside = (v: number, [lo, hi]: [number, number]) => v >= lo && v <= hi;

describe('sampleSensorEffects', () => {
  it('no sensor block: no effects', () => {
    expect(sampleSensorEffects(spec(undefined), new Rng(1))).toEqual({});
  });

  it('sampled values stay inside their ranges, and fill them', () => {
    const all = draws(FULL, 2000);
    const evs: number[] = [], qualities = new Set<number>();
    for (const e of all) {
      // p = 1 everywhere: every effect fires.
      expect(Object.keys(e)).toEqual(['exposure', 'white_balance', 'defocus_blur', 'motion_blur', 'noise', 'jpeg']);
      expect(inside(e.exposure!.ev, [-1.5, 0.5])).toBe(true);
      evs.push(e.exposure!.ev);
      const wb = e.white_balance!;
      expect(inside(wb.temperature_k, [3000, 9000])).toBe(true);
      expect(inside(wb.duv, [-0.01, 0.02])).toBe(true);
      expect(inside(wb.gains[0], [0.8, 1.2])).toBe(true);
      expect(wb.gains[1]).toBe(1);
      expect(inside(wb.gains[2], [0.9, 1])).toBe(true);
      const cast = whiteBalanceGains(wb.temperature_k, wb.duv);
      wb.rgb_gains.forEach((g, c) => expect(g).toBeCloseTo(cast[c] * wb.gains[c], 12));
      expect(inside(e.defocus_blur!.radius_px, [0.5, 3])).toBe(true);
      expect(inside(e.motion_blur!.length_px, [2, 12])).toBe(true);
      expect(inside(e.motion_blur!.angle_deg, [-30, 60])).toBe(true);
      expect(inside(e.noise!.gaussian_sigma, [0.5, 2])).toBe(true);
      expect(inside(e.noise!.shot_gain, [0, 0.1])).toBe(true);
      expect(Number.isInteger(e.jpeg!.quality) && inside(e.jpeg!.quality, [30, 90])).toBe(true);
      expect(e.jpeg!.subsampling).toBe('4:4:4');
      qualities.add(e.jpeg!.quality);
    }
    // Uniform: the ends are reached (every integer quality of 61 appears in 2000 draws) and the mean is central.
    expect(qualities.size).toBe(61);
    expect(Math.min(...evs)).toBeLessThan(-1.45);
    expect(Math.max(...evs)).toBeGreaterThan(0.45);
    expect(evs.reduce((a, b) => a + b) / evs.length).toBeCloseTo(-0.5, 1);
  });

  it('fixed numbers are taken as they are', () => {
    const e = sampleSensorEffects(spec({ exposure: { ev: 0.25 }, jpeg: { quality: 42 }, motion_blur: { length_px: 5, angle_deg: 45 } }), new Rng(3));
    expect(e).toEqual({ exposure: { ev: 0.25 }, motion_blur: { length_px: 5, angle_deg: 45 }, jpeg: { quality: 42, subsampling: '4:2:0' } });
  });

  it('respects p statistically, each effect on its own', () => {
    const n = 4000;
    const s = spec({ exposure: { p: 0.3 }, noise: { p: 0.8 }, jpeg: { p: 0 }, motion_blur: { p: 1 } });
    const all = draws(s, n, 7);
    const rate = (key: keyof SensorEffects) => all.filter((e) => e[key]).length / n;
    // 4 standard deviations of a binomial rate.
    const tol = (p: number) => 4 * Math.sqrt((p * (1 - p)) / n);
    expect(Math.abs(rate('exposure') - 0.3)).toBeLessThan(tol(0.3));
    expect(Math.abs(rate('noise') - 0.8)).toBeLessThan(tol(0.8));
    expect(rate('jpeg')).toBe(0);
    expect(rate('motion_blur')).toBe(1);
    expect(rate('white_balance')).toBe(0); // not in the spec
    // Independent firing: exposure and noise together about 0.3 * 0.8 of the time.
    const both = all.filter((e) => e.exposure && e.noise).length / n;
    expect(Math.abs(both - 0.24)).toBeLessThan(tol(0.24));
  });

  it('depends only on the rng: the same state gives the same effects, as plain JSON', () => {
    const a = sampleSensorEffects(FULL, new Rng(9, 4));
    const b = sampleSensorEffects(FULL, new Rng(9, 4));
    expect(a).toEqual(b);
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
    expect(sampleSensorEffects(FULL, new Rng(9, 5))).not.toEqual(a);
  });

  it('takes exactly one value from the rng, whatever the block holds', () => {
    for (const s of [spec(undefined), FULL, spec({ jpeg: {} })]) {
      const rng = new Rng('one-draw');
      sampleSensorEffects(s, rng);
      const ref = new Rng('one-draw');
      ref.next();
      expect(rng.next()).toBe(ref.next());
    }
  });

  it('adding, removing or changing p of one effect does not change what the others draw', () => {
    const small = spec({ exposure: { ev: [-1, 1] }, jpeg: { quality: [10, 100] } });
    const big = spec({ exposure: { ev: [-1, 1] }, noise: {}, motion_blur: { p: 0.5 }, jpeg: { quality: [10, 100], p: 0.999999 } });
    for (let i = 0; i < 50; i++) {
      const a = sampleSensorEffects(small, new Rng(2, i));
      const b = sampleSensorEffects(big, new Rng(2, i));
      expect(b.exposure).toEqual(a.exposure);
      if (b.jpeg) expect(b.jpeg).toEqual(a.jpeg);
    }
  });
});
