/**
 * Rotation conversions between the shared plain types (row-major Mat3, Quat = [x, y, z, w])
 * used by Pose and the quaternions of the physics engine.
 */
import type { Mat3, Quat, Vec3 } from '../geometry/types.js';

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

/** R * v for a row-major 3x3 matrix. */
export function mat3MulVec3(R: Mat3, v: Vec3): Vec3 {
  return [
    R[0] * v[0] + R[1] * v[1] + R[2] * v[2],
    R[3] * v[0] + R[4] * v[1] + R[5] * v[2],
    R[6] * v[0] + R[7] * v[1] + R[8] * v[2],
  ];
}
