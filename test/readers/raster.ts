// A tiny CPU triangle rasterizer for the end-to-end tests: renders a mesh in a BOP pose with an
// OpenCV pinhole camera so labels can be checked against geometry computed from first principles.
// It deliberately imports NOTHING from src/.
//
// Conventions (OpenCV / BOP): a camera-frame point X = (x, y, z), z > 0 in front of the camera,
// projects to u = fx*x/z + cx, v = fy*y/z + cy. Pixel (col i, row j) is centred at (u, v) = (i, j).
// A pixel is covered when its centre lies inside (or on the border of) a projected triangle.

export interface Intrinsics {
  fx: number;
  fy: number;
  cx: number;
  cy: number;
}

/** K saved row-wise (BOP cam_K): [fx, 0, cx, 0, fy, cy, 0, 0, 1]. */
export function intrinsicsFromK(K: readonly number[]): Intrinsics {
  if (K.length !== 9) throw new Error(`cam_K must have 9 entries, got ${K.length}`);
  return { fx: K[0], fy: K[4], cx: K[2], cy: K[5] };
}

/** X_c = R * X_m + t for every vertex (R row-major 3x3, t in the same unit as the vertices). */
export function transformPoints(vertices: Float64Array, R: readonly number[], t: readonly number[]): Float64Array {
  const out = new Float64Array(vertices.length);
  for (let i = 0; i < vertices.length; i += 3) {
    const x = vertices[i], y = vertices[i + 1], z = vertices[i + 2];
    out[i] = R[0] * x + R[1] * y + R[2] * z + t[0];
    out[i + 1] = R[3] * x + R[4] * y + R[5] * z + t[1];
    out[i + 2] = R[6] * x + R[7] * y + R[8] * z + t[2];
  }
  return out;
}

export function project(p: readonly number[], K: Intrinsics): [number, number] {
  return [K.fx * p[0] / p[2] + K.cx, K.fy * p[1] / p[2] + K.cy];
}

export interface Raster {
  width: number;
  height: number;
  /** Canvas pixel (I, J) is image pixel (I + x0, J + y0); x0 = -W, y0 = -H gives a 3x canvas. */
  x0: number;
  y0: number;
  /** 1 where covered, row-major. */
  mask: Uint8Array;
  /** Z (camera frame, along the optical axis) of the front-most surface; Infinity where empty. */
  depth: Float64Array;
}

type V3 = [number, number, number];

/** Sutherland-Hodgman clip of a polygon against the plane z = near (keeps z >= near). */
function clipNear(poly: V3[], near: number): V3[] {
  const out: V3[] = [];
  for (let i = 0; i < poly.length; i++) {
    const a = poly[i], b = poly[(i + 1) % poly.length];
    const ina = a[2] >= near, inb = b[2] >= near;
    if (ina) out.push(a);
    if (ina !== inb) {
      const s = (near - a[2]) / (b[2] - a[2]);
      out.push([a[0] + s * (b[0] - a[0]), a[1] + s * (b[1] - a[1]), near]);
    }
  }
  return out;
}

/**
 * Rasterize triangles given in camera coordinates. Returns the silhouette and the Z buffer on a
 * width x height canvas whose pixel (I, J) is image pixel (I + x0, J + y0).
 */
export function rasterize(
  camPts: Float64Array,
  faces: Uint32Array,
  K: Intrinsics,
  width: number,
  height: number,
  opts: { x0?: number; y0?: number; near?: number } = {},
): Raster {
  const x0 = opts.x0 ?? 0, y0 = opts.y0 ?? 0, near = opts.near ?? 1e-3;
  const mask = new Uint8Array(width * height);
  const depth = new Float64Array(width * height).fill(Infinity);
  const vtx = (k: number): V3 => [camPts[3 * k], camPts[3 * k + 1], camPts[3 * k + 2]];

  for (let f = 0; f < faces.length; f += 3) {
    const tri: V3[] = [vtx(faces[f]), vtx(faces[f + 1]), vtx(faces[f + 2])];
    // Plane of the (unclipped) triangle, for exact ray/plane depth: n . X = n . A.
    const [A, B, C] = tri;
    const e1 = [B[0] - A[0], B[1] - A[1], B[2] - A[2]], e2 = [C[0] - A[0], C[1] - A[1], C[2] - A[2]];
    const n = [e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2], e1[0] * e2[1] - e1[1] * e2[0]];
    const nA = n[0] * A[0] + n[1] * A[1] + n[2] * A[2];

    const poly = tri.every((p) => p[2] >= near) ? tri : clipNear(tri, near);
    if (poly.length < 3) continue; // entirely behind the camera
    const uv = poly.map((p) => project(p, K));
    for (let c = 1; c + 1 < uv.length; c++) {
      const [pa, pb, pc] = [uv[0], uv[c], uv[c + 1]];
      const area = (pb[0] - pa[0]) * (pc[1] - pa[1]) - (pb[1] - pa[1]) * (pc[0] - pa[0]);
      if (area === 0) continue; // seen edge-on
      const iMin = Math.max(0, Math.ceil(Math.min(pa[0], pb[0], pc[0]) - x0));
      const iMax = Math.min(width - 1, Math.floor(Math.max(pa[0], pb[0], pc[0]) - x0));
      const jMin = Math.max(0, Math.ceil(Math.min(pa[1], pb[1], pc[1]) - y0));
      const jMax = Math.min(height - 1, Math.floor(Math.max(pa[1], pb[1], pc[1]) - y0));
      const s = Math.sign(area);
      for (let J = jMin; J <= jMax; J++) {
        const v = J + y0;
        for (let I = iMin; I <= iMax; I++) {
          const u = I + x0;
          const w0 = s * ((pb[0] - pa[0]) * (v - pa[1]) - (pb[1] - pa[1]) * (u - pa[0]));
          const w1 = s * ((pc[0] - pb[0]) * (v - pb[1]) - (pc[1] - pb[1]) * (u - pb[0]));
          const w2 = s * ((pa[0] - pc[0]) * (v - pc[1]) - (pa[1] - pc[1]) * (u - pc[0]));
          if (w0 < 0 || w1 < 0 || w2 < 0) continue;
          // Depth where the pixel's ray d = ((u-cx)/fx, (v-cy)/fy, 1) meets the triangle's plane.
          const nd = n[0] * (u - K.cx) / K.fx + n[1] * (v - K.cy) / K.fy + n[2];
          const z = nd !== 0 ? nA / nd : Math.min(...poly.map((p) => p[2]));
          const k = J * width + I;
          mask[k] = 1;
          if (z < depth[k]) depth[k] = z;
        }
      }
    }
  }
  return { width, height, x0, y0, mask, depth };
}

/** Intersection over union of two 0/non-0 masks of the same size. */
export function iou(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error('iou: size mismatch');
  let inter = 0, union = 0;
  for (let k = 0; k < a.length; k++) {
    const x = a[k] !== 0, y = b[k] !== 0;
    if (x && y) inter++;
    if (x || y) union++;
  }
  return union === 0 ? 1 : inter / union;
}

/** Pixel count and centroid (u, v) of a mask (row-major, width w). */
export function maskStats(m: Uint8Array, w: number): { count: number; cu: number; cv: number } {
  let count = 0, su = 0, sv = 0;
  for (let k = 0; k < m.length; k++) {
    if (m[k] === 0) continue;
    count++;
    su += k % w;
    sv += Math.floor(k / w);
  }
  return { count, cu: count ? su / count : NaN, cv: count ? sv / count : NaN };
}
