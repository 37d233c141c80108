import { Body, ConvexPolyhedron, Vec3 as CVec3 } from 'cannon-es';
import { describe, expect, it } from 'vitest';
import { buildShape, convexHull, CYLINDER_SEGMENTS } from '../../src/physics/shapes.js';

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
    expect(cvx.shape).toBeInstanceOf(ConvexPolyhedron);
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
    body.addShape(m.shape, new CVec3(), m.orientation);
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
