import { describe, expect, it } from 'vitest';
import type { Mat3, Pose, Vec3 } from '../../src/geometry/types.js';
import { quatToMat3 } from '../../src/geometry/transforms.js';
import { DEFAULT_SETTLE_SETTINGS, settle, type CollisionShape, type SettleInput, type SettleResult } from '../../src/physics/settle.js';
import { BENCH_SETTINGS, randomScene, TABLE } from './scenes.js';

const I: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];
const settings = { ...DEFAULT_SETTLE_SETTINGS };

function drop(shape: CollisionShape, t: Vec3, R: Mat3 = I, mass = 0.3, support: SettleInput['support'] = TABLE): SettleResult {
  return settle({ support, bodies: [{ shape, mass, pose: { R, t } }], settings });
}

/** World z of the lowest point of a box with full extents `size` at pose p. */
function boxBottom(p: Pose, size: Vec3): number {
  // z-row of R: R[6..8]; lowest corner offset = -Σ |R_zk| size_k / 2
  return p.t[2] - (Math.abs(p.R[6]) * size[0] + Math.abs(p.R[7]) * size[1] + Math.abs(p.R[8]) * size[2]) / 2;
}

function cubeCorners(size: Vec3, offset: Vec3 = [0, 0, 0]): Float32Array {
  const p: number[] = [];
  for (const x of [-0.5, 0.5]) for (const y of [-0.5, 0.5]) for (const z of [-0.5, 0.5]) p.push(x * size[0] + offset[0], y * size[1] + offset[1], z * size[2] + offset[2]);
  return new Float32Array(p);
}

const tilt: Mat3 = quatToMat3([Math.sin(0.05), 0, 0, Math.cos(0.05)]); // 5.7° about x

describe('settle: single bodies', () => {
  it('a box dropped on the table comes to rest flat and upright with its bottom at z≈0', () => {
    const size: Vec3 = [0.08, 0.06, 0.1];
    const r = drop({ type: 'box', size }, [0.1, -0.05, 0.2]);
    expect(r.problem).toBeNull();
    expect(r.allAsleep).toBe(true);
    expect(r.steps).toBeLessThan(settings.maxSteps);
    const p = r.poses[0];
    expect(p.R[8]).toBeGreaterThan(0.9999); // model +Z still points up
    expect(Math.abs(boxBottom(p, size))).toBeLessThan(0.002);
    expect(Math.abs(p.t[2] - 0.05)).toBeLessThan(0.002);
    expect(Math.hypot(p.t[0] - 0.1, p.t[1] + 0.05)).toBeLessThan(0.002);
  });

  it('a slightly tilted box dropped from low height lands flat', () => {
    const size: Vec3 = [0.08, 0.06, 0.1];
    const r = drop({ type: 'box', size }, [0, 0, 0.1], tilt);
    expect(r.problem).toBeNull();
    expect(r.poses[0].R[8]).toBeGreaterThan(0.9999);
    expect(Math.abs(boxBottom(r.poses[0], size))).toBeLessThan(0.002);
  });

  it('a box on the ground plane behaves the same', () => {
    const r = drop({ type: 'box', size: [0.1, 0.1, 0.04] }, [3, 4, 0.1], I, 0.3, { kind: 'ground' });
    expect(r.problem).toBeNull();
    expect(Math.abs(r.poses[0].t[2] - 0.02)).toBeLessThan(0.002);
  });

  it('a sphere rests with its centre at z = radius', () => {
    const r = drop({ type: 'sphere', radius: 0.035 }, [-0.2, 0.1, 0.25]);
    expect(r.problem).toBeNull();
    expect(r.allAsleep).toBe(true);
    expect(Math.abs(r.poses[0].t[2] - 0.035)).toBeLessThan(0.002);
  });

  it('a cylinder stood upright ends upright (axis ±Z, centre at h/2) or on its side (centre at radius)', () => {
    const radius = 0.03;
    const height = 0.12;
    const r = drop({ type: 'cylinder', radius, height }, [0, 0, height / 2 + 0.05]);
    expect(r.problem).toBeNull();
    expect(r.allAsleep).toBe(true);
    const p = r.poses[0];
    const axisZ = Math.abs(p.R[8]); // |z component of the model Z axis|
    if (axisZ > 0.999) {
      expect(Math.abs(p.t[2] - height / 2)).toBeLessThan(0.002);
    } else {
      expect(axisZ).toBeLessThan(0.01);
      expect(Math.abs(p.t[2] - radius)).toBeLessThan(0.002);
    }
    // Dropped straight and gently, it should in fact stay upright.
    expect(axisZ).toBeGreaterThan(0.999);
  });

  it('a cylinder dropped lying down rests on its side at z≈radius', () => {
    const radius = 0.04;
    const lying = quatToMat3([Math.sin(Math.PI / 4), 0, 0, Math.cos(Math.PI / 4)]); // axis → -Y
    const r = drop({ type: 'cylinder', radius, height: 0.1 }, [0, 0, 0.15], lying);
    expect(r.problem).toBeNull();
    expect(r.allAsleep).toBe(true);
    expect(Math.abs(r.poses[0].R[8])).toBeLessThan(0.01);
    // The 16-gon prism rests on a facet: between r·cos(π/16) and r.
    expect(Math.abs(r.poses[0].t[2] - radius)).toBeLessThan(0.002);
  });

  it('the convex hull of a cube’s corners behaves like the box', () => {
    const size: Vec3 = [0.07, 0.05, 0.09];
    const start: Vec3 = [0.05, 0.02, 0.1];
    const box = drop({ type: 'box', size }, start, tilt);
    const cvx = drop({ type: 'convex', points: cubeCorners(size) }, start, tilt);
    expect(cvx.problem).toBeNull();
    expect(cvx.allAsleep).toBe(true);
    const a = box.poses[0];
    const b = cvx.poses[0];
    expect(Math.abs(boxBottom(b, size))).toBeLessThan(0.002);
    expect(b.R[8]).toBeGreaterThan(0.9999);
    expect(Math.hypot(a.t[0] - b.t[0], a.t[1] - b.t[1], a.t[2] - b.t[2])).toBeLessThan(0.003);
    expect(Math.abs(cvx.steps - box.steps)).toBeLessThan(40);
  });

  it('a convex shape whose model origin is not its centroid reports model poses', () => {
    // Cube corners with the model origin at the centre of the bottom face.
    const size: Vec3 = [0.06, 0.06, 0.06];
    const r = drop({ type: 'convex', points: cubeCorners(size, [0, 0, 0.03]) }, [0, 0, 0.1]);
    expect(r.problem).toBeNull();
    expect(Math.abs(r.poses[0].t[2])).toBeLessThan(0.002); // origin (bottom face) on the table
  });
});

describe('settle: problems', () => {
  it('a body dropped outside the table is off-support', () => {
    const r = settle({
      support: TABLE,
      bodies: [
        { shape: { type: 'box', size: [0.05, 0.05, 0.05] }, mass: 0.2, pose: { R: I, t: [0, 0, 0.1] } },
        { shape: { type: 'sphere', radius: 0.03 }, mass: 0.2, pose: { R: I, t: [0.7, 0, 0.1] } },
      ],
      settings,
    });
    expect(r.problem?.kind).toBe('off-support');
    expect(r.problem?.bodies).toEqual([1]);
    expect(r.steps).toBe(0); // its centre starts outside the table rectangle
  });

  it('a body sliding over the table edge is off-support (stops early)', () => {
    // Overhanging box with its centre just outside the edge, above the table.
    const r = drop({ type: 'box', size: [0.2, 0.05, 0.05] }, [0.62, 0, 0.3]);
    expect(r.problem?.kind).toBe('off-support');
    expect(r.problem?.bodies).toEqual([0]);
  });

  it('a body below the ground is off-support', () => {
    const r = drop({ type: 'sphere', radius: 0.02 }, [0, 0, -0.5], I, 0.3, { kind: 'ground' });
    expect(r.problem?.kind).toBe('off-support');
    expect(r.steps).toBe(0);
  });

  it('bodies created overlapping are reported as interpenetration before simulating', () => {
    const r = settle({
      support: TABLE,
      bodies: [
        { shape: { type: 'sphere', radius: 0.03 }, mass: 0.2, pose: { R: I, t: [0.3, 0.3, 0.1] } },
        { shape: { type: 'box', size: [0.06, 0.06, 0.06] }, mass: 0.2, pose: { R: I, t: [0, 0, 0.1] } },
        { shape: { type: 'box', size: [0.06, 0.06, 0.06] }, mass: 0.2, pose: { R: I, t: [0.03, 0, 0.1] } },
      ],
      settings,
    });
    expect(r.problem?.kind).toBe('interpenetration');
    expect(r.problem?.bodies).toEqual([1, 2]);
    expect(r.problem?.detail).toMatch(/initial poses overlap/);
    expect(r.steps).toBe(0);
    expect(r.poses[2].t).toEqual([0.03, 0, 0.1]); // poses are the input poses
  });

  it('a body intersecting the support at the start is reported too', () => {
    const r = drop({ type: 'box', size: [0.1, 0.1, 0.1] }, [0, 0, 0.02]);
    expect(r.problem?.kind).toBe('interpenetration');
    expect(r.problem?.bodies).toEqual([0]);
  });

  it('touching within the tolerance is fine', () => {
    const r = settle({
      support: TABLE,
      bodies: [
        { shape: { type: 'box', size: [0.06, 0.06, 0.06] }, mass: 0.2, pose: { R: I, t: [0, 0, 0.0302] } },
        { shape: { type: 'box', size: [0.06, 0.06, 0.06] }, mass: 0.2, pose: { R: I, t: [0, 0, 0.0902] } },
      ],
      settings,
    });
    expect(r.problem).toBeNull();
    expect(r.poses[1].t[2]).toBeCloseTo(0.09, 2); // a stack of two stays stacked
  });

  it('still falling at maxSteps is not-settled', () => {
    const r = settle({
      support: TABLE,
      bodies: [{ shape: { type: 'sphere', radius: 0.03 }, mass: 0.2, pose: { R: I, t: [0, 0, 0.5] } }],
      settings: { ...settings, maxSteps: 20 },
    });
    expect(r.steps).toBe(20);
    expect(r.allAsleep).toBe(false);
    expect(r.problem?.kind).toBe('not-settled');
    expect(r.problem?.bodies).toEqual([0]);
  });

  it('validates its input', () => {
    expect(() => drop({ type: 'sphere', radius: 0.03 }, [0, 0, 0.1], I, 0)).toThrow(/mass/);
    expect(() => settle({ support: TABLE, bodies: [], settings: { ...settings, timeStep: 0 } })).toThrow(/timeStep/);
    expect(() => settle({ support: TABLE, bodies: [], settings: { ...settings, maxSteps: 1.5 } })).toThrow(/maxSteps/);
  });

  it('no bodies: nothing to do', () => {
    expect(settle({ support: { kind: 'ground' }, bodies: [], settings })).toEqual({ poses: [], steps: 0, allAsleep: true, problem: null });
  });
});

describe('settle: scenes', () => {
  it('is deterministic: the same input gives identical numbers, also after other runs', () => {
    const a = settle(randomScene(3));
    settle(randomScene(4)); // reuse cannon-es's module-level pools in between
    const b = settle(randomScene(3));
    expect(b).toEqual(a);
    expect(b.poses.flatMap((p) => [...p.R, ...p.t])).toEqual(a.poses.flatMap((p) => [...p.R, ...p.t]));
    expect(a.steps).toBeGreaterThan(0);
  });

  it('settles 10 mixed bodies: asleep, on the table, nothing penetrating', () => {
    let ok = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const r = settle(randomScene(seed, 10, BENCH_SETTINGS));
      if (r.problem) {
        expect(r.problem.kind).toBe('off-support'); // a tumbling body may leave the table
        continue;
      }
      ok++;
      expect(r.allAsleep).toBe(true);
      for (const p of r.poses) expect(p.t[2]).toBeGreaterThan(0);
    }
    expect(ok).toBeGreaterThanOrEqual(8);
  });
});

describe('settling random drops', () => {
  it('brings most random 10-body drops to rest cleanly (the sampler resamples the rest)', () => {
    let ok = 0;
    for (let seed = 1; seed <= 20; seed++) if (!settle(randomScene(seed, 10)).problem) ok++;
    expect(ok).toBeGreaterThanOrEqual(16);
  });
});
