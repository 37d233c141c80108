import { Quaternion, Vec3 as CVec3 } from 'cannon-es';
import { describe, expect, it } from 'vitest';
import type { Mat3, Quat, Vec3 } from '../../src/geometry/types.js';
import { mulMat3Vec, mat3ToQuat, quatToMat3 } from '../../src/geometry/transforms.js';
import { rng } from '../physics/scenes.js';

const I: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];
const s = Math.SQRT1_2;

function expectClose(a: number[], b: number[], eps = 1e-12) {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThan(eps));
}

/** q and −q are the same rotation. */
function expectSameRotation(a: Quat, b: Quat, eps = 1e-12) {
  const d = a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3];
  expect(Math.abs(Math.abs(d) - 1)).toBeLessThan(eps);
}

function randomQuat(r: () => number): Quat {
  const q: Quat = [r() - 0.5, r() - 0.5, r() - 0.5, r() - 0.5];
  const n = Math.hypot(...q);
  return q.map((v) => v / n) as Quat;
}

describe('quatToMat3', () => {
  it('identity', () => {
    expectClose(quatToMat3([0, 0, 0, 1]), I);
  });

  it('+90° about Z maps x to y (row-major)', () => {
    const R = quatToMat3([0, 0, s, s]);
    expectClose(R, [0, -1, 0, 1, 0, 0, 0, 0, 1]);
    expectClose(mulMat3Vec(R, [1, 0, 0]), [0, 1, 0]);
  });

  it('+90° about X maps y to z', () => {
    expectClose(mulMat3Vec(quatToMat3([s, 0, 0, s]), [0, 1, 0]), [0, 0, 1]);
  });

  it('normalises its input', () => {
    expectClose(quatToMat3([0, 0, 2 * s, 2 * s]), quatToMat3([0, 0, s, s]));
  });

  it('agrees with cannon-es Quaternion.vmult', () => {
    const r = rng(7);
    for (let k = 0; k < 50; k++) {
      const q = randomQuat(r);
      const v: Vec3 = [r() - 0.5, r() - 0.5, r() - 0.5];
      const out = new Quaternion(...q).vmult(new CVec3(...v));
      expectClose(mulMat3Vec(quatToMat3(q), v), [out.x, out.y, out.z]);
    }
  });

  it('gives orthonormal matrices with det +1', () => {
    const r = rng(8);
    for (let k = 0; k < 50; k++) {
      const R = quatToMat3(randomQuat(r));
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) {
          const d = R[3 * i] * R[3 * j] + R[3 * i + 1] * R[3 * j + 1] + R[3 * i + 2] * R[3 * j + 2];
          expect(Math.abs(d - (i === j ? 1 : 0))).toBeLessThan(1e-12);
        }
      }
      const det =
        R[0] * (R[4] * R[8] - R[5] * R[7]) - R[1] * (R[3] * R[8] - R[5] * R[6]) + R[2] * (R[3] * R[7] - R[4] * R[6]);
      expect(det).toBeCloseTo(1, 12);
    }
  });
});

describe('mat3ToQuat', () => {
  it('round-trips random rotations (up to sign) with w >= 0', () => {
    const r = rng(9);
    for (let k = 0; k < 200; k++) {
      const q = randomQuat(r);
      const back = mat3ToQuat(quatToMat3(q));
      expectSameRotation(back, q);
      expect(back[3]).toBeGreaterThanOrEqual(0);
      expectClose(quatToMat3(back), quatToMat3(q));
    }
  });

  it('handles 180° turns about each axis (trace = -1 branches)', () => {
    expectSameRotation(mat3ToQuat([1, 0, 0, 0, -1, 0, 0, 0, -1]), [1, 0, 0, 0]);
    expectSameRotation(mat3ToQuat([-1, 0, 0, 0, 1, 0, 0, 0, -1]), [0, 1, 0, 0]);
    expectSameRotation(mat3ToQuat([-1, 0, 0, 0, -1, 0, 0, 0, 1]), [0, 0, 1, 0]);
    const d = Math.SQRT1_2;
    // 180° about (1,1,0)/√2
    expectSameRotation(mat3ToQuat([0, 1, 0, 1, 0, 0, 0, 0, -1]), [d, d, 0, 0]);
  });

  it('identity and a known rotation', () => {
    expectClose(mat3ToQuat(I), [0, 0, 0, 1]);
    expectClose(mat3ToQuat([0, -1, 0, 1, 0, 0, 0, 0, 1]), [0, 0, s, s]);
  });

  it('rejects a wrong length', () => {
    expect(() => mat3ToQuat([1, 0, 0])).toThrow();
  });
});
