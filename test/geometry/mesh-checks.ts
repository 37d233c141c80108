/** Shared checks on TriMesh invariants for the geometry tests. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import type { TriMesh, Vec3 } from '../../src/geometry/types.js';

export const vertexCount = (m: TriMesh): number => m.positions.length / 3;
export const triangleCount = (m: TriMesh): number => m.indices.length / 3;

export function vertex(m: TriMesh, i: number): Vec3 {
  return [m.positions[3 * i], m.positions[3 * i + 1], m.positions[3 * i + 2]];
}

export function normal(m: TriMesh, i: number): Vec3 {
  return [m.normals[3 * i], m.normals[3 * i + 1], m.normals[3 * i + 2]];
}

const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];

export function centroid(m: TriMesh): Vec3 {
  const c: Vec3 = [0, 0, 0];
  const n = vertexCount(m);
  for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) c[k] += m.positions[3 * i + k] / n;
  return c;
}

/** Array lengths agree, indices are in range, every normal is unit length. */
export function expectWellFormed(m: TriMesh): void {
  expect(m.positions).toBeInstanceOf(Float32Array);
  expect(m.normals).toBeInstanceOf(Float32Array);
  expect(m.indices).toBeInstanceOf(Uint32Array);
  expect(m.normals.length).toBe(m.positions.length);
  expect(m.indices.length % 3).toBe(0);
  const n = vertexCount(m);
  expect(m.indices.reduce((a, b) => Math.max(a, b), 0)).toBeLessThan(n);
  for (let i = 0; i < n; i++) {
    const len = Math.hypot(...normal(m, i));
    if (Math.abs(len - 1) > 1e-5) expect.fail(`normal ${i} has length ${len}`);
  }
}

/**
 * Fraction of triangles whose cross-product normal (from the CCW vertex order) points the same
 * way as the mean of their stored vertex normals. 1 for a consistent mesh.
 */
export function windingAgreement(m: TriMesh): number {
  let good = 0, total = 0;
  for (let t = 0; t < triangleCount(m); t++) {
    const [a, b, c] = [m.indices[3 * t], m.indices[3 * t + 1], m.indices[3 * t + 2]];
    const face = cross(sub(vertex(m, b), vertex(m, a)), sub(vertex(m, c), vertex(m, a)));
    if (Math.hypot(...face) === 0) continue; // degenerate triangle: no orientation
    const mean: Vec3 = [0, 0, 0];
    for (const v of [a, b, c]) for (let k = 0; k < 3; k++) mean[k] += normal(m, v)[k];
    total++;
    if (dot(face, mean) > 0) good++;
  }
  return good / total;
}

/** For a convex shape: every vertex normal points away from the centroid. */
export function expectOutwardNormals(m: TriMesh): void {
  const c = centroid(m);
  for (let i = 0; i < vertexCount(m); i++) {
    const d = dot(normal(m, i), sub(vertex(m, i), c));
    if (!(d > 0)) expect.fail(`normal of vertex ${i} points inward (dot = ${d})`);
  }
}

export function expectVec3Close(actual: Vec3, expected: Vec3, digits = 5): void {
  for (let k = 0; k < 3; k++) expect(actual[k]).toBeCloseTo(expected[k], digits);
}

/**
 * A temporary folder for a test file's fixtures, made before its tests and removed after them:
 * `scratch.path(name)` is where a file goes, `scratch.write(name, data)` writes it there.
 */
export function scratchFolder(prefix: string): { path: (...names: string[]) => string; write: (name: string, data: string | Uint8Array) => string } {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const path = (...names: string[]) => join(dir, ...names);
  return {
    path,
    write(name, data) {
      writeFileSync(path(name), data);
      return path(name);
    },
  };
}
