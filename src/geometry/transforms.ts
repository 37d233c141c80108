/** Small rigid-transform algebra on the plain types (row-major 3x3 rotations). */
import type { Mat3, Pose, Quat, Vec3 } from './types.js';

export const IDENTITY3: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

export function mulMat3(a: Mat3, b: Mat3): Mat3 {
  const r = new Array<number>(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) r[i * 3 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j];
  return r;
}

export function transposeMat3(a: Mat3): Mat3 {
  return [a[0], a[3], a[6], a[1], a[4], a[7], a[2], a[5], a[8]];
}

export function mulMat3Vec(a: Mat3, v: Vec3): Vec3 {
  return [a[0] * v[0] + a[1] * v[1] + a[2] * v[2], a[3] * v[0] + a[4] * v[1] + a[5] * v[2], a[6] * v[0] + a[7] * v[1] + a[8] * v[2]];
}

/** (a ∘ b): first b, then a. */
export function composePoses(a: Pose, b: Pose): Pose {
  const t = mulMat3Vec(a.R, b.t);
  return { R: mulMat3(a.R, b.R), t: [t[0] + a.t[0], t[1] + a.t[1], t[2] + a.t[2]] };
}

export function invertPose(p: Pose): Pose {
  const R = transposeMat3(p.R);
  const t = mulMat3Vec(R, p.t);
  return { R, t: [-t[0], -t[1], -t[2]] };
}

export function transformPoint(p: Pose, v: Vec3): Vec3 {
  const r = mulMat3Vec(p.R, v);
  return [r[0] + p.t[0], r[1] + p.t[1], r[2] + p.t[2]];
}

/**
 * Unit quaternion [x, y, z, w] → row-major 3x3 rotation matrix.
 * The quaternion is normalised first, so slightly-off inputs still give a rotation.
 */
export function quatToMat3(q: Quat): Mat3 {
  let [x, y, z, w] = q;
  const n = Math.hypot(x, y, z, w);
  if (!(n > 0)) throw new Error(`quatToMat3: degenerate quaternion [${q.join(', ')}]`);
  x /= n;
  y /= n;
  z /= n;
  w /= n;
  const xx = x * x, yy = y * y, zz = z * z;
  const xy = x * y, xz = x * z, yz = y * z;
  const wx = w * x, wy = w * y, wz = w * z;
  return [
    1 - 2 * (yy + zz), 2 * (xy - wz), 2 * (xz + wy),
    2 * (xy + wz), 1 - 2 * (xx + zz), 2 * (yz - wx),
    2 * (xz - wy), 2 * (yz + wx), 1 - 2 * (xx + yy),
  ];
}

/**
 * Row-major 3x3 rotation matrix → unit quaternion [x, y, z, w] (Shepperd's method, numerically
 * stable for every angle). The sign is chosen so that w >= 0. A matrix that is only
 * approximately orthonormal gives the quaternion of a nearby rotation.
 */
export function mat3ToQuat(R: Mat3): Quat {
  if (R.length !== 9) throw new Error(`mat3ToQuat: expected 9 numbers, got ${R.length}`);
  const [m00, m01, m02, m10, m11, m12, m20, m21, m22] = R;
  const tr = m00 + m11 + m22;
  let x: number, y: number, z: number, w: number;
  if (tr > 0) {
    const s = Math.sqrt(tr + 1) * 2; // 4w
    w = 0.25 * s;
    x = (m21 - m12) / s;
    y = (m02 - m20) / s;
    z = (m10 - m01) / s;
  } else if (m00 > m11 && m00 > m22) {
    const s = Math.sqrt(1 + m00 - m11 - m22) * 2; // 4x
    w = (m21 - m12) / s;
    x = 0.25 * s;
    y = (m01 + m10) / s;
    z = (m02 + m20) / s;
  } else if (m11 > m22) {
    const s = Math.sqrt(1 + m11 - m00 - m22) * 2; // 4y
    w = (m02 - m20) / s;
    x = (m01 + m10) / s;
    y = 0.25 * s;
    z = (m12 + m21) / s;
  } else {
    const s = Math.sqrt(1 + m22 - m00 - m11) * 2; // 4z
    w = (m10 - m01) / s;
    x = (m02 + m20) / s;
    y = (m12 + m21) / s;
    z = 0.25 * s;
  }
  const n = Math.hypot(x, y, z, w);
  if (!(n > 0)) throw new Error('mat3ToQuat: not a rotation matrix');
  const sgn = w < 0 ? -1 : 1;
  return [(sgn * x) / n, (sgn * y) / n, (sgn * z) / n, (sgn * w) / n];
}

/** Rotation about an axis through the origin (right-hand rule), angle in radians. */
export function axisAngleToMat3(axis: Vec3, angle: number): Mat3 {
  const n = Math.hypot(...axis);
  const h = angle / 2;
  const s = Math.sin(h) / n;
  return quatToMat3([axis[0] * s, axis[1] * s, axis[2] * s, Math.cos(h)]);
}

export function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

export function normalize(v: Vec3): Vec3 {
  const n = Math.hypot(...v);
  return [v[0] / n, v[1] / n, v[2] / n];
}

/** Pose as a column-major 4x4 (the layout WebGL and Babylon's Matrix.FromArray use). */
export function poseToColumnMajor(p: Pose): number[] {
  const R = p.R;
  return [R[0], R[3], R[6], 0, R[1], R[4], R[7], 0, R[2], R[5], R[8], 0, p.t[0], p.t[1], p.t[2], 1];
}
