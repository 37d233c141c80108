/**
 * The light and camera randomizers, over many frames: counts and values stay inside their ranges,
 * colour temperatures give warm and cool colours, intrinsics jitter moves K within its bounds and
 * only when asked for.
 */
import { describe, expect, it } from 'vitest';
import { kelvinToRgb, sampleCamera, sampleLights } from '../../src/sampling/frame.js';
import { Rng } from '../../src/sampling/rng.js';
import { sceneSchema, type SceneSpec } from '../../src/scene/schema.js';

const base = {
  image: { width: 640, height: 480 },
  camera: { intrinsics: { fx: 600, fy: 600, cx: 319.5, cy: 239.5 }, pose: { distance: 1, elevation_deg: 45 } },
  support: { type: 'table' },
  objects: [{ class: 'box', box: { size: [0.05, 0.05, 0.05] } }],
  placement: { region: { x: [-0.1, 0.1], y: [-0.1, 0.1] } },
};
const parse = (extra: Record<string, unknown>): SceneSpec => sceneSchema.parse({ ...base, lights: [{ type: 'hemispheric' }], ...extra });

describe('light randomizer', () => {
  it('draws each light spec `count` times, within the ranges', () => {
    const spec = parse({
      lights: [
        { type: 'directional', count: [1, 3], intensity: [1, 2], elevation_deg: [30, 60] },
        { type: 'point', count: [0, 2], position: [[-1, 1], [-1, 1], [1, 2]], intensity: 5 },
        { type: 'hemispheric' },
      ],
    });
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const lights = sampleLights(new Rng('lights', i), spec);
      const directional = lights.filter((l) => l.type === 'directional');
      const point = lights.filter((l) => l.type === 'point');
      expect(directional.length).toBeGreaterThanOrEqual(1);
      expect(directional.length).toBeLessThanOrEqual(3);
      expect(point.length).toBeLessThanOrEqual(2);
      expect(lights.filter((l) => l.type === 'hemispheric')).toHaveLength(1);
      seen.add(directional.length * 10 + point.length);
      for (const l of directional) {
        expect(l.intensity).toBeGreaterThanOrEqual(1);
        expect(l.intensity).toBeLessThanOrEqual(2);
        const elevation = Math.asin(-l.direction[2]) * 180 / Math.PI;
        expect(elevation).toBeGreaterThanOrEqual(30 - 1e-9);
        expect(elevation).toBeLessThanOrEqual(60 + 1e-9);
      }
      for (const l of point) expect(l.position[2]).toBeGreaterThanOrEqual(1);
    }
    // Every combination of counts turns up.
    expect(seen.size).toBe(9);
  });

  it('colour temperature: warm light is red-heavy, daylight near white, sky light blue-heavy', () => {
    const warm = kelvinToRgb(2700), day = kelvinToRgb(6500), sky = kelvinToRgb(12000);
    expect(warm[0]).toBe(1);
    expect(warm[2]).toBeLessThan(0.4);
    expect(Math.min(...day)).toBeGreaterThan(0.9);
    expect(sky[2]).toBe(1);
    expect(sky[0]).toBeLessThan(0.75);
    const spec = parse({ lights: [{ type: 'directional', temperature_k: [2000, 3000] }, { type: 'hemispheric', temperature_k: [9000, 12000] }] });
    for (let i = 0; i < 50; i++) {
      const [sun, fill] = sampleLights(new Rng('t', i), spec);
      expect(sun.color[0]).toBeGreaterThan(sun.color[2]);
      expect(fill.color[2]).toBeGreaterThan(fill.color[0]);
    }
  });

  it('refuses more than 8 lights per frame', () => {
    expect(() => parse({ lights: [{ type: 'directional', count: [1, 5] }, { type: 'point', position: [0, 0, 1], count: 4 }] })).toThrow(/at most 8 lights/);
  });
});

describe('camera intrinsics jitter', () => {
  it('leaves K alone unless asked, and keeps it within the bounds when asked', () => {
    const still = parse({});
    const cam = sampleCamera(new Rng('c', 1), still);
    expect([cam.fx, cam.fy, cam.cx, cam.cy]).toEqual([600, 600, 319.5, 239.5]);
    const jittered = parse({ camera: { ...base.camera, intrinsics_jitter: { focal: 0.05, aspect: 0.01, principal_px: 4 } } });
    const fx: number[] = [];
    for (let i = 0; i < 300; i++) {
      const c = sampleCamera(new Rng('c', i), jittered);
      expect(Math.abs(c.fx / 600 - 1)).toBeLessThanOrEqual(0.05 + 1e-12);
      expect(Math.abs(c.fy / c.fx - 1)).toBeLessThanOrEqual(0.01 + 1e-12);
      expect(Math.abs(c.cx - 319.5)).toBeLessThanOrEqual(4);
      expect(Math.abs(c.cy - 239.5)).toBeLessThanOrEqual(4);
      fx.push(c.fx);
    }
    // Spread over the range, not stuck at one value.
    expect(Math.max(...fx) - Math.min(...fx)).toBeGreaterThan(0.08 * 600);
  });
});
