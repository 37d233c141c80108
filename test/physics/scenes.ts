/** Seeded random tabletop drop scenes for the physics tests and the benchmark. */
import type { Pose, Vec3 } from '../../src/geometry/types.js';
import { quatToMat3 } from '../../src/geometry/transforms.js';
import { DEFAULT_SETTLE_SETTINGS, type CollisionShape, type SettleInput, type SettleSettings } from '../../src/physics/settle.js';

/** mulberry32: small deterministic PRNG in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const TABLE = { kind: 'table', size: [1.2, 0.8], thickness: 0.05 } as const satisfies SettleInput['support'];

/** The benchmark settings of the brief: 1/240 s steps, at most 600 of them; the rest default. */
export const BENCH_SETTINGS: SettleSettings = { ...DEFAULT_SETTLE_SETTINGS, timeStep: 1 / 240, maxSteps: 600 };

export function randomRotation(r: () => number): number[] {
  // Uniform random unit quaternion (Shoemake).
  const u1 = r(), u2 = r(), u3 = r();
  const a = Math.sqrt(1 - u1), b = Math.sqrt(u1);
  return quatToMat3([a * Math.sin(2 * Math.PI * u2), a * Math.cos(2 * Math.PI * u2), b * Math.sin(2 * Math.PI * u3), b * Math.cos(2 * Math.PI * u3)]);
}

/** Bounding radius of a shape about its origin. */
export function boundingRadius(s: CollisionShape): number {
  switch (s.type) {
    case 'box':
      return Math.hypot(...s.size) / 2;
    case 'sphere':
      return s.radius;
    case 'cylinder':
      return Math.hypot(s.radius, s.height / 2);
    case 'convex':
    case 'compound': {
      let m = 0;
      for (let i = 0; i < s.points.length; i += 3) m = Math.max(m, Math.hypot(s.points[i], s.points[i + 1], s.points[i + 2]));
      return m;
    }
  }
}

/**
 * `n` boxes / cylinders / spheres of 4–12 cm and 0.1–0.5 kg, randomly oriented, lowest point
 * 5–30 cm above the table, bounding spheres disjoint, centres within the central 80 % of the table.
 */
export function randomScene(seed: number, n = 10, settings: SettleSettings = BENCH_SETTINGS): SettleInput {
  const r = rng(seed);
  const u = (lo: number, hi: number) => lo + (hi - lo) * r();
  const bodies: SettleInput['bodies'] = [];
  const placed: { c: Vec3; rad: number }[] = [];
  while (bodies.length < n) {
    const kind = bodies.length % 3;
    const shape: CollisionShape =
      kind === 0
        ? { type: 'box', size: [u(0.04, 0.12), u(0.04, 0.12), u(0.04, 0.12)] }
        : kind === 1
          ? { type: 'cylinder', radius: u(0.02, 0.06), height: u(0.04, 0.12) }
          : { type: 'sphere', radius: u(0.02, 0.06) };
    const rad = boundingRadius(shape);
    for (let attempt = 0; attempt < 1000; attempt++) {
      const c: Vec3 = [u(-0.48, 0.48), u(-0.32, 0.32), rad + u(0.05, 0.3)];
      if (placed.every((p) => Math.hypot(p.c[0] - c[0], p.c[1] - c[1], p.c[2] - c[2]) > p.rad + rad)) {
        const pose: Pose = { R: randomRotation(r), t: c };
        placed.push({ c, rad });
        bodies.push({ shape, mass: u(0.1, 0.5), pose });
        break;
      }
    }
  }
  return { support: TABLE, bodies, settings };
}
