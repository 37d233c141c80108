import { Body, ConvexPolyhedron, Vec3 as CVec3 } from 'cannon-es';
import { describe, expect, it } from 'vitest';
import { attachShapes, buildShape, convexHull, CYLINDER_SEGMENTS, MAX_HULL_VERTICES, simplifyHull, uniqueDirections } from '../../src/physics/shapes.js';
import type { Vec3 } from '../../src/geometry/types.js';

function cubePoints(size: [number, number, number], offset: [number, number, number] = [0, 0, 0], extra: number[] = []): Float32Array {
  const p: number[] = [];
  for (const x of [-0.5, 0.5]) for (const y of [-0.5, 0.5]) for (const z of [-0.5, 0.5]) p.push(x * size[0] + offset[0], y * size[1] + offset[1], z * size[2] + offset[2]);
  return new Float32Array([...p, ...extra]);
}

describe('convexHull', () => {
  it('cube corners: 6 quad faces, volume, centroid and second moment of a box', () => {
    const h = convexHull(cubePoints([0.1, 0.2, 0.3], [0, 0, 0], [0, 0, 0, 0.01, 0.02, 0.03])); // + interior points
    expect(h.faces.length).toBe(6);
    expect(h.faces.every((f) => f.length === 4)).toBe(true);
    expect(h.vertices.length).toBe(8);
    expect(h.volume).toBeCloseTo(0.1 * 0.2 * 0.3, 8);
    h.centroid.forEach((c) => expect(Math.abs(c)).toBeLessThan(1e-8));
    const V = h.volume;
    // ∫x² dV = V a²/12
    expect(h.secondMoment[0]).toBeCloseTo((V * 0.01) / 12, 9);
    expect(h.secondMoment[4]).toBeCloseTo((V * 0.04) / 12, 9);
    expect(h.secondMoment[8]).toBeCloseTo((V * 0.09) / 12, 9);
    expect(Math.abs(h.secondMoment[1])).toBeLessThan(1e-10);
  });

  it('normals point outward', () => {
    const h = convexHull(cubePoints([1, 1, 1], [0.3, -0.2, 5]));
    h.faces.forEach((f, i) => {
      const v = h.vertices[f[0]];
      const n = h.normals[i];
      expect(n[0] * v[0] + n[1] * v[1] + n[2] * v[2]).toBeGreaterThan(0);
    });
    expect(h.centroid[2]).toBeCloseTo(5, 5);
  });

  it('rejects coplanar or too few points', () => {
    expect(() => convexHull(new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 0]))).toThrow(/coplanar/);
    expect(() => convexHull(new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0]))).toThrow();
  });
});

describe('buildShape', () => {
  it('convex cube has the mass properties of the box', () => {
    const box = buildShape({ type: 'box', size: [0.1, 0.2, 0.3] }, 2);
    const cvx = buildShape({ type: 'convex', points: cubePoints([0.1, 0.2, 0.3]) }, 2);
    expect(cvx.shapes.length).toBe(1);
    expect(cvx.shapes[0].shape).toBeInstanceOf(ConvexPolyhedron);
    box.inertia.forEach((v, i) => expect(cvx.inertia[i]).toBeCloseTo(v, 6));
    // Float32 corner coordinates: centroid zero only to ~1e-9.
    cvx.com.forEach((c) => expect(Math.abs(c)).toBeLessThan(1e-8));
  });

  it('convex points off the origin: com is the centroid in model coordinates', () => {
    const cvx = buildShape({ type: 'convex', points: cubePoints([0.1, 0.1, 0.1], [0, 0, 0.05]) }, 1);
    expect(cvx.com[2]).toBeCloseTo(0.05, 6);
  });

  it('cylinder: axis along body Z, about 16-24 segments', () => {
    expect(CYLINDER_SEGMENTS).toBeGreaterThanOrEqual(16);
    expect(CYLINDER_SEGMENTS).toBeLessThanOrEqual(24);
    const m = buildShape({ type: 'cylinder', radius: 0.05, height: 0.3 }, 1);
    const body = new Body({ mass: 1 });
    attachShapes(body, m);
    body.updateAABB();
    expect(body.aabb.upperBound.z).toBeCloseTo(0.15, 9);
    expect(body.aabb.lowerBound.z).toBeCloseTo(-0.15, 9);
    expect(body.aabb.upperBound.x).toBeLessThanOrEqual(0.05 + 1e-9);
    expect(body.aabb.upperBound.y).toBeLessThanOrEqual(0.05 + 1e-9);
    expect(m.inertia[2]).toBeCloseTo(0.5 * 0.05 * 0.05, 12);
  });

  it('rejects non-positive dimensions', () => {
    expect(() => buildShape({ type: 'box', size: [0.1, 0, 0.1] }, 1)).toThrow();
    expect(() => buildShape({ type: 'sphere', radius: -1 }, 1)).toThrow();
  });
});

/** Points on an ellipsoid (Fibonacci lattice): every point is a hull vertex. */
function ellipsoid(n: number, r: Vec3): Float32Array {
  const p: number[] = [];
  for (let i = 0; i < n; i++) {
    const z = 1 - (2 * (i + 0.5)) / n;
    const a = i * Math.PI * (3 - Math.sqrt(5));
    const s = Math.sqrt(1 - z * z);
    p.push(r[0] * s * Math.cos(a), r[1] * s * Math.sin(a), r[2] * z);
  }
  return new Float32Array(p);
}

describe('hull simplification', () => {
  it('keeps at most MAX_HULL_VERTICES, including the extreme points of each axis', () => {
    const h = convexHull(ellipsoid(400, [0.05, 0.03, 0.02]));
    expect(h.vertices.length).toBe(400);
    const s = simplifyHull(h.vertices, MAX_HULL_VERTICES);
    expect(s.length).toBe(MAX_HULL_VERTICES);
    for (let k = 0; k < 3; k++) {
      expect(Math.max(...s.map((v) => v[k]))).toBe(Math.max(...h.vertices.map((v) => v[k])));
      expect(Math.min(...s.map((v) => v[k]))).toBe(Math.min(...h.vertices.map((v) => v[k])));
    }
    expect(simplifyHull(s, 100)).toBe(s);
  });

  it('a dense mesh gives a reduced collision hull but full-hull mass properties; cached per array', () => {
    const pts = ellipsoid(2000, [0.04, 0.04, 0.04]);
    const m = buildShape({ type: 'convex', points: pts }, 1);
    const shape = m.shapes[0].shape as ConvexPolyhedron;
    expect(shape.vertices.length).toBeLessThanOrEqual(MAX_HULL_VERTICES);
    // A solid ball: I = 2/5 m r² (the 2000-point hull is within 0.5 % of the sphere).
    expect(m.inertia[0]).toBeCloseTo(0.4 * 0.04 * 0.04, 5);
    const again = buildShape({ type: 'convex', points: pts }, 2);
    expect((again.shapes[0].shape as ConvexPolyhedron).vertices).toEqual(shape.vertices);
    expect(again.shapes[0].shape).not.toBe(shape); // a fresh cannon shape per body
    expect(again.inertia[0]).toBeCloseTo(2 * m.inertia[0], 12);
  });

  it('uniqueDirections drops parallel and anti-parallel repeats, keeping the first', () => {
    const d = uniqueDirections([new CVec3(1, 0, 0), new CVec3(0, 2, 0), new CVec3(-3, 0, 0), new CVec3(0, -1, 0), new CVec3(1, 1, 0), new CVec3(0, 0, 0)]);
    expect(d.map((v) => [v.x, v.y, v.z])).toEqual([
      [1, 0, 0],
      [0, 2, 0],
      [1, 1, 0],
    ]);
  });
});
