/**
 * Small operations on TriMesh (see types.ts: metres, counter-clockwise front faces, unit normals).
 * All functions return new arrays and never modify their inputs.
 */
import type { Mat3, TriMesh, Vec3 } from './types.js';

/** Axis-aligned bounds of all vertices. An empty mesh gives min = +Infinity, max = -Infinity. */
export function meshBounds(mesh: TriMesh): { min: Vec3; max: Vec3 } {
  const min: Vec3 = [Infinity, Infinity, Infinity];
  const max: Vec3 = [-Infinity, -Infinity, -Infinity];
  const p = mesh.positions;
  for (let i = 0; i < p.length; i += 3) {
    for (let k = 0; k < 3; k++) {
      const v = p[i + k];
      if (v < min[k]) min[k] = v;
      if (v > max[k]) max[k] = v;
    }
  }
  return { min, max };
}

/** Largest distance of a vertex from the model origin (0 for an empty mesh). */
export function boundingRadius(mesh: TriMesh): number {
  const p = mesh.positions;
  let r2 = 0;
  for (let i = 0; i < p.length; i += 3) {
    const d = p[i] * p[i] + p[i + 1] * p[i + 1] + p[i + 2] * p[i + 2];
    if (d > r2) r2 = d;
  }
  return Math.sqrt(r2);
}

function det3(m: Mat3): number {
  return (
    m[0] * (m[4] * m[8] - m[5] * m[7]) -
    m[1] * (m[3] * m[8] - m[5] * m[6]) +
    m[2] * (m[3] * m[7] - m[4] * m[6])
  );
}

/** Cofactor matrix (row-major): cof(M) = det(M) * inverse(M)^T, the normal matrix up to scale. */
function cofactor3(m: Mat3): Mat3 {
  return [
    m[4] * m[8] - m[5] * m[7], m[5] * m[6] - m[3] * m[8], m[3] * m[7] - m[4] * m[6],
    m[2] * m[7] - m[1] * m[8], m[0] * m[8] - m[2] * m[6], m[1] * m[6] - m[0] * m[7],
    m[1] * m[5] - m[2] * m[4], m[2] * m[3] - m[0] * m[5], m[0] * m[4] - m[1] * m[3],
  ];
}

/** p' = R p + t for every xyz triple of `p` (R row-major 3x3); a new array. */
export function transformPositions(p: Float32Array, R: Mat3, t: Vec3 = [0, 0, 0]): Float32Array {
  const out = new Float32Array(p.length);
  for (let i = 0; i < p.length; i += 3) {
    const x = p[i], y = p[i + 1], z = p[i + 2];
    out[i] = R[0] * x + R[1] * y + R[2] * z + t[0];
    out[i + 1] = R[3] * x + R[4] * y + R[5] * z + t[1];
    out[i + 2] = R[6] * x + R[7] * y + R[8] * z + t[2];
  }
  return out;
}

/**
 * Applies p' = R p + t to every vertex. R is row-major 3x3 and may be any invertible linear map
 * (rotation, scale, shear, mirror): normals are transformed by the inverse transpose and
 * renormalised, and a mirroring R (det < 0) reverses each triangle so faces stay counter-clockwise.
 */
export function transformMesh(mesh: TriMesh, R: Mat3, t: Vec3 = [0, 0, 0]): TriMesh {
  const det = det3(R);
  if (!(Math.abs(det) > 0) || !Number.isFinite(det)) {
    throw new RangeError(`transformMesh: matrix is singular or not finite (det = ${det})`);
  }
  const C = cofactor3(R);
  const s = Math.sign(det); // inverse(R)^T = C / det: same direction as sign(det) * C
  const n = mesh.positions.length;
  const positions = transformPositions(mesh.positions, R, t);
  const normals = new Float32Array(n);
  const q = mesh.normals;
  for (let i = 0; i < n; i += 3) {
    const a = q[i], b = q[i + 1], c = q[i + 2];
    let nx = s * (C[0] * a + C[1] * b + C[2] * c);
    let ny = s * (C[3] * a + C[4] * b + C[5] * c);
    let nz = s * (C[6] * a + C[7] * b + C[8] * c);
    const len = Math.hypot(nx, ny, nz);
    if (len > 0) { nx /= len; ny /= len; nz /= len; }
    normals[i] = nx; normals[i + 1] = ny; normals[i + 2] = nz;
  }
  const indices = new Uint32Array(mesh.indices);
  if (det < 0) {
    for (let i = 0; i + 2 < indices.length; i += 3) {
      const tmp = indices[i + 1];
      indices[i + 1] = indices[i + 2];
      indices[i + 2] = tmp;
    }
  }
  const out: TriMesh = { positions, normals, indices };
  if (mesh.uvs) out.uvs = mesh.uvs.slice();
  return out;
}

/** Concatenates meshes into one, offsetting indices. UVs if any mesh has them (zero where one has none). */
export function mergeMeshes(meshes: TriMesh[]): TriMesh {
  let nv = 0, ni = 0;
  for (const m of meshes) { nv += m.positions.length; ni += m.indices.length; }
  const positions = new Float32Array(nv);
  const normals = new Float32Array(nv);
  const indices = new Uint32Array(ni);
  const uvs = meshes.some((m) => m.uvs) ? new Float32Array((nv / 3) * 2) : undefined;
  let vo = 0, io = 0;
  for (const m of meshes) {
    positions.set(m.positions, vo);
    normals.set(m.normals, vo);
    if (uvs && m.uvs) uvs.set(m.uvs, (vo / 3) * 2);
    const base = vo / 3;
    for (let i = 0; i < m.indices.length; i++) indices[io + i] = m.indices[i] + base;
    vo += m.positions.length;
    io += m.indices.length;
  }
  return uvs ? { positions, normals, indices, uvs } : { positions, normals, indices };
}

/**
 * Area-weighted smooth vertex normals: each vertex gets the normalised sum of the (unnormalised)
 * cross products of the triangles that use it, so counter-clockwise faces give outward normals.
 * A vertex used by no triangle of non-zero area gets (0, 0, 1) so every normal is unit length.
 */
export function computeNormals(positions: Float32Array, indices: Uint32Array): Float32Array {
  const acc = new Float64Array(positions.length);
  const p = positions;
  for (let i = 0; i + 2 < indices.length; i += 3) {
    const a = 3 * indices[i], b = 3 * indices[i + 1], c = 3 * indices[i + 2];
    const ux = p[b] - p[a], uy = p[b + 1] - p[a + 1], uz = p[b + 2] - p[a + 2];
    const vx = p[c] - p[a], vy = p[c + 1] - p[a + 1], vz = p[c + 2] - p[a + 2];
    const nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
    for (const v of [a, b, c]) {
      acc[v] += nx; acc[v + 1] += ny; acc[v + 2] += nz;
    }
  }
  const normals = new Float32Array(positions.length);
  for (let i = 0; i < acc.length; i += 3) {
    const len = Math.hypot(acc[i], acc[i + 1], acc[i + 2]);
    if (len > 0 && Number.isFinite(len)) {
      normals[i] = acc[i] / len; normals[i + 1] = acc[i + 1] / len; normals[i + 2] = acc[i + 2] / len;
    } else {
      normals[i + 2] = 1;
    }
  }
  return normals;
}

/**
 * The mesh's connected pieces, each as its distinct vertex positions (xyz triples): two triangles
 * belong to the same piece when they share a vertex, counting vertices at bit-identical positions
 * as one (so flat-shaded and split-normal meshes are not torn apart). Vertices used by no
 * triangle are left out. Pieces come in the order of their first triangle. A V-HACD collision
 * OBJ, whose hulls have their own vertices, gives one piece per hull.
 */
export function connectedPieces(mesh: TriMesh): Float32Array[] {
  const p = mesh.positions;
  const n = p.length / 3;
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  const find = (v: number): number => {
    while (parent[v] !== v) {
      parent[v] = parent[parent[v]];
      v = parent[v];
    }
    return v;
  };
  const union = (a: number, b: number): void => {
    const ra = find(a), rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  // Weld: vertices at the same position (exact float bits) join the first one there.
  const bits = new Uint32Array(p.buffer, p.byteOffset, p.length);
  const first = new Map<string, number>();
  for (let v = 0; v < n; v++) {
    const key = `${bits[3 * v]},${bits[3 * v + 1]},${bits[3 * v + 2]}`;
    const w = first.get(key);
    if (w === undefined) first.set(key, v);
    else union(v, w);
  }
  const idx = mesh.indices;
  for (let t = 0; t + 2 < idx.length; t += 3) {
    union(idx[t], idx[t + 1]);
    union(idx[t], idx[t + 2]);
  }
  // Distinct positions per piece, pieces in order of first use.
  const pieceOf = new Map<number, number[]>();
  const taken = new Uint8Array(n);
  for (let k = 0; k < idx.length; k++) {
    const v = idx[k];
    const root = find(v);
    let list = pieceOf.get(root);
    if (!list) pieceOf.set(root, (list = []));
    const key = `${bits[3 * v]},${bits[3 * v + 1]},${bits[3 * v + 2]}`;
    const w = first.get(key)!;
    if (taken[w]) continue;
    taken[w] = 1;
    list.push(p[3 * w], p[3 * w + 1], p[3 * w + 2]);
  }
  return [...pieceOf.values()].map((list) => new Float32Array(list));
}
