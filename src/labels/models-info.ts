/**
 * Per-model entry of BOP's models_info.json: diameter and axis-aligned bounding box, in the
 * model's own units (BOP models are in millimetres, so callers pass scaled positions).
 *
 * BOP evaluation normalises errors by the diameter (e.g. ADD/MSSD thresholds are fractions of it),
 * so it must be the exact largest vertex-to-vertex distance, not an approximation from the box.
 */
// quickhull3d's package entry uses extension-less relative imports that plain Node ESM cannot
// resolve; its self-contained bundle works everywhere (typings: src/physics/quickhull3d.d.ts).
import quickhull from 'quickhull3d/dist/quickhull3d.js';

export interface ModelInfo {
  diameter: number;
  min_x: number;
  min_y: number;
  min_z: number;
  size_x: number;
  size_y: number;
  size_z: number;
}

/**
 * Up to this many vertices the O(n^2) scan is used directly (~30 ms at 4096 vertices); above it,
 * only convex hull vertices are compared, since the farthest pair always lies on the hull.
 */
const BRUTE_FORCE_MAX = 4096;

/** Largest squared distance between any two of the `n` xyz triples in `p`. */
function maxSquaredDistance(p: ArrayLike<number>, n: number): number {
  let best = 0;
  for (let i = 0; i < n; i++) {
    const x = p[3 * i];
    const y = p[3 * i + 1];
    const z = p[3 * i + 2];
    for (let j = i + 1; j < n; j++) {
      const dx = p[3 * j] - x;
      const dy = p[3 * j + 1] - y;
      const dz = p[3 * j + 2] - z;
      const d = dx * dx + dy * dy + dz * dz;
      if (d > best) best = d;
    }
  }
  return best;
}

function gather(positions: Float32Array, indices: Iterable<number>): Float64Array {
  const list = [...indices];
  const out = new Float64Array(list.length * 3);
  list.forEach((v, k) => {
    out[3 * k] = positions[3 * v];
    out[3 * k + 1] = positions[3 * v + 1];
    out[3 * k + 2] = positions[3 * v + 2];
  });
  return out;
}

function uniqueVertexIndices(positions: Float32Array): number[] {
  const seen = new Set<string>();
  const out: number[] = [];
  for (let i = 0; i < positions.length / 3; i++) {
    const key = `${positions[3 * i]},${positions[3 * i + 1]},${positions[3 * i + 2]}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(i);
    }
  }
  return out;
}

/** Exact diameter (largest distance between two vertices) of an xyz point list. */
export function pointsDiameter(positions: Float32Array): number {
  const n = positions.length / 3;
  if (n <= BRUTE_FORCE_MAX) return Math.sqrt(maxSquaredDistance(positions, n));
  let hull: number[][];
  try {
    const pts: Float32Array[] = new Array(n);
    for (let i = 0; i < n; i++) pts[i] = positions.subarray(3 * i, 3 * i + 3);
    hull = quickhull(pts);
  } catch {
    // quickhull throws when it cannot start a simplex (fewer than 4 distinct points); then the
    // distinct points are few, so scanning them is cheap. Flat and collinear inputs do not throw.
    const uniq = gather(positions, uniqueVertexIndices(positions));
    return Math.sqrt(maxSquaredDistance(uniq, uniq.length / 3));
  }
  const onHull = new Set<number>();
  for (const face of hull) for (const v of face) onHull.add(v);
  const h = gather(positions, onHull);
  return Math.sqrt(maxSquaredDistance(h, h.length / 3));
}

/** models_info.json entry for one model. `positionsMm`: xyz per vertex, already in millimetres. */
export function computeModelInfo(positionsMm: Float32Array): ModelInfo {
  if (positionsMm.length === 0 || positionsMm.length % 3 !== 0) {
    throw new RangeError(`computeModelInfo: need a non-empty xyz list, got ${positionsMm.length} numbers`);
  }
  let minX = Infinity;
  let minY = Infinity;
  let minZ = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  let maxZ = -Infinity;
  for (let i = 0; i < positionsMm.length; i += 3) {
    const x = positionsMm[i];
    const y = positionsMm[i + 1];
    const z = positionsMm[i + 2];
    if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(z)) {
      throw new RangeError(`computeModelInfo: vertex ${i / 3} is not finite`);
    }
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
    if (z < minZ) minZ = z;
    if (z > maxZ) maxZ = z;
  }
  return {
    diameter: pointsDiameter(positionsMm),
    min_x: minX,
    min_y: minY,
    min_z: minZ,
    size_x: maxX - minX,
    size_y: maxY - minY,
    size_z: maxZ - minZ,
  };
}
