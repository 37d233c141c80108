import { describe, expect, it } from 'vitest';
import { computeModelInfo, pointsDiameter } from '../../src/labels/models-info.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/**
 * Reference: plain O(n^2) over all pairs, in doubles. Same sqrt-of-sum formula as the module
 * (Math.hypot rounds differently in the last bit), so results must be bit-identical.
 */
function bruteDiameter(p: Float32Array): number {
  let best = 0;
  for (let i = 0; i < p.length; i += 3) {
    for (let j = i + 3; j < p.length; j += 3) {
      const dx = p[i] - p[j];
      const dy = p[i + 1] - p[j + 1];
      const dz = p[i + 2] - p[j + 2];
      best = Math.max(best, dx * dx + dy * dy + dz * dz);
    }
  }
  return Math.sqrt(best);
}

describe('computeModelInfo', () => {
  it('1 m cube in mm: diameter is the space diagonal sqrt(3)*1000', () => {
    const corners: number[] = [];
    for (let i = 0; i < 8; i++) corners.push((i & 1) * 1000 - 500, ((i >> 1) & 1) * 1000 - 500, ((i >> 2) & 1) * 1000);
    const info = computeModelInfo(Float32Array.from(corners));
    expect(info.diameter).toBeCloseTo(Math.sqrt(3) * 1000, 9);
    expect(info).toMatchObject({ min_x: -500, min_y: -500, min_z: 0, size_x: 1000, size_y: 1000, size_z: 1000 });
  });

  it('uses the exact vertex pair, not the bounding box diagonal', () => {
    // A regular tetrahedron's box diagonal exceeds its diameter (its edge length).
    const p = Float32Array.from([1, 1, 1, 1, -1, -1, -1, 1, -1, -1, -1, 1]);
    expect(computeModelInfo(p).diameter).toBeCloseTo(Math.sqrt(8), 6);
  });

  it('matches brute force above the convex-hull threshold, on a random cloud and a sphere', () => {
    const r = rng(3);
    const cloud = new Float32Array(6000 * 3).map(() => r() * 200 - 100);
    expect(pointsDiameter(cloud)).toBe(bruteDiameter(cloud));
    // All points on a sphere are hull vertices: the worst case for the hull shortcut.
    const sphere = new Float32Array(5000 * 3);
    for (let i = 0; i < 5000; i++) {
      const u = r() * 2 - 1;
      const t = r() * 2 * Math.PI;
      const s = Math.sqrt(1 - u * u);
      sphere.set([50 * s * Math.cos(t), 50 * s * Math.sin(t), 50 * u], 3 * i);
    }
    expect(pointsDiameter(sphere)).toBe(bruteDiameter(sphere));
  });

  it('handles degenerate large inputs (flat, collinear, all equal) exactly', () => {
    const r = rng(9);
    const n = 5000;
    const flat = new Float32Array(n * 3);
    const line = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) {
      flat.set([r() * 100, r() * 100, 7], 3 * i);
      const a = r() * 100;
      line.set([a, 2 * a, -a], 3 * i);
    }
    expect(pointsDiameter(flat)).toBe(bruteDiameter(flat));
    expect(pointsDiameter(line)).toBe(bruteDiameter(line));
    expect(pointsDiameter(new Float32Array(n * 3).fill(4))).toBe(0);
  });

  it('single vertex and input checks', () => {
    expect(computeModelInfo(Float32Array.from([1, 2, 3]))).toEqual({
      diameter: 0,
      min_x: 1,
      min_y: 2,
      min_z: 3,
      size_x: 0,
      size_y: 0,
      size_z: 0,
    });
    expect(() => computeModelInfo(new Float32Array(0))).toThrow(RangeError);
    expect(() => computeModelInfo(new Float32Array(4))).toThrow(RangeError);
    expect(() => computeModelInfo(Float32Array.from([0, 0, NaN]))).toThrow(RangeError);
  });
});
