import { describe, expect, it } from 'vitest';
import { boundingRadius, computeNormals, meshBounds, mergeMeshes, transformMesh } from '../../src/geometry/mesh-ops.js';
import { boxMesh, sphereMesh } from '../../src/geometry/primitives.js';
import type { Mat3, TriMesh } from '../../src/geometry/types.js';
import { expectOutwardNormals, expectVec3Close, expectWellFormed, normal, vertex, windingAgreement } from './mesh-checks.js';

const tri: TriMesh = {
  positions: Float32Array.from([0, 0, 0, 2, 0, 0, 0, 3, 0]),
  normals: Float32Array.from([0, 0, 1, 0, 0, 1, 0, 0, 1]),
  indices: Uint32Array.from([0, 1, 2]),
};

describe('meshBounds / boundingRadius', () => {
  it('measures a box', () => {
    const box = boxMesh([0.2, 0.4, 0.6]);
    const b = meshBounds(box);
    expectVec3Close(b.min, [-0.1, -0.2, -0.3]);
    expectVec3Close(b.max, [0.1, 0.2, 0.3]);
    expect(boundingRadius(box)).toBeCloseTo(Math.hypot(0.1, 0.2, 0.3), 6);
  });

  it('handles an empty mesh', () => {
    const empty = mergeMeshes([]);
    expect(meshBounds(empty)).toEqual({ min: [Infinity, Infinity, Infinity], max: [-Infinity, -Infinity, -Infinity] });
    expect(boundingRadius(empty)).toBe(0);
  });
});

describe('transformMesh', () => {
  it('rotates and translates positions and normals without touching the input', () => {
    const Rz90: Mat3 = [0, -1, 0, 1, 0, 0, 0, 0, 1];
    const box = boxMesh([1, 2, 3]);
    const copy = Float32Array.from(box.positions);
    const out = transformMesh(box, Rz90, [1, 2, 3]);
    expect(box.positions).toEqual(copy);
    const b = meshBounds(out);
    expectVec3Close(b.min, [0, 1.5, 1.5]);
    expectVec3Close(b.max, [2, 2.5, 4.5]);
    expectWellFormed(out);
    expect(windingAgreement(out)).toBe(1);
    expectOutwardNormals(out);
  });

  it('keeps normals unit and perpendicular under non-uniform scale', () => {
    const S: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 4]; // stretch a sphere into an ellipsoid
    const out = transformMesh(sphereMesh(1, 8, 16), S, [0, 0, 0]);
    expectWellFormed(out);
    expectOutwardNormals(out);
    expect(windingAgreement(out)).toBe(1);
    // On an ellipsoid x^2 + y^2 + z^2/16 = 1 the normal is along (x, y, z/16).
    for (let i = 0; i < out.positions.length / 3; i++) {
      const [x, y, z] = vertex(out, i);
      const g = [x, y, z / 16];
      const len = Math.hypot(...g);
      if (len > 1e-3) expectVec3Close(normal(out, i), [g[0] / len, g[1] / len, g[2] / len], 4);
    }
  });

  it('re-winds triangles under a mirror so faces stay counter-clockwise', () => {
    const mirrorX: Mat3 = [-1, 0, 0, 0, 1, 0, 0, 0, 1];
    const out = transformMesh(boxMesh([1, 1, 1]), mirrorX, [0, 0, 0]);
    expect(windingAgreement(out)).toBe(1);
    expectOutwardNormals(out);
  });

  it('refuses a singular matrix', () => {
    expect(() => transformMesh(tri, [1, 0, 0, 0, 1, 0, 0, 0, 0], [0, 0, 0])).toThrow(/singular/);
  });
});

describe('mergeMeshes', () => {
  it('concatenates and offsets indices', () => {
    const moved = transformMesh(tri, [1, 0, 0, 0, 1, 0, 0, 0, 1], [10, 0, 0]);
    const m = mergeMeshes([tri, moved]);
    expect(Array.from(m.indices)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(m.positions.slice(9))).toEqual([10, 0, 0, 12, 0, 0, 10, 3, 0]);
    expect(m.normals.length).toBe(18);
  });
});

describe('computeNormals', () => {
  it('gives outward area-weighted normals that agree with CCW winding', () => {
    const sphere = sphereMesh(0.5, 8, 16);
    const n = computeNormals(sphere.positions, sphere.indices);
    const out = { ...sphere, normals: n };
    expectWellFormed(out);
    expect(windingAgreement(out)).toBe(1);
    // Outward at every vertex a triangle uses (the sphere's seam has unused pole copies).
    for (const i of new Set(sphere.indices)) {
      const p = vertex(out, i);
      expect(p[0] * n[3 * i] + p[1] * n[3 * i + 1] + p[2] * n[3 * i + 2]).toBeGreaterThan(0);
    }
  });

  it('weights by area: a big face dominates a shared vertex', () => {
    // Vertex 0 is shared by a large triangle facing +Z and a tiny one facing +X.
    const positions = Float32Array.from([0, 0, 0, 10, 0, 0, 0, 10, 0, 0, 0.1, 0, 0, 0, 0.1]);
    const indices = Uint32Array.from([0, 1, 2, 0, 3, 4]);
    const n = computeNormals(positions, indices);
    expect(n[2]).toBeGreaterThan(0.99);
    expect(n[0]).toBeGreaterThan(0);
    expectVec3Close([n[3], n[4], n[5]], [0, 0, 1]);
  });

  it('gives unused and degenerate vertices a unit normal', () => {
    const n = computeNormals(Float32Array.from([0, 0, 0, 1, 0, 0, 2, 0, 0, 5, 5, 5]), Uint32Array.from([0, 1, 2]));
    for (let i = 0; i < 4; i++) expect(Math.hypot(n[3 * i], n[3 * i + 1], n[3 * i + 2])).toBeCloseTo(1, 6);
  });
});
