/**
 * The full (amodal) silhouette of a model in a pose, rasterized on the CPU from the model and
 * the camera alone. BOP counts the whole silhouette, including the part cut off by the image
 * border (its toolkit renders on a canvas three times the image size), so this rasterizes over
 * that same extended canvas: x in [-W, 2W), y in [-H, 2H).
 *
 * Coverage follows the GPU rule: a pixel belongs to a triangle when its centre (integer u, v in
 * the OpenCV convention) lies inside, so the in-image part matches the rendered instance pass.
 */
import type { Pose, TriMesh } from '../geometry/types.js';
import { blankRegion, emptyMask, type RegionMask } from './mask.js';

export interface Intrinsics {
  fx: number;
  fy: number;
  cx: number;
  cy: number;
  width: number;
  height: number;
}

export interface Silhouette {
  /** Pixels of the whole silhouette on the extended canvas. */
  countAll: number;
  /** [x, y, w, h] of the whole silhouette (may extend past the image), BOP's calc_2d_bbox; null if empty. */
  bbox: [number, number, number, number] | null;
  /** The in-image part. */
  mask: RegionMask;
}

const NEAR_Z = 1e-4;

/** Clip a camera-space polygon to z >= NEAR_Z (Sutherland-Hodgman against one plane). */
function clipNear(poly: number[][]): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < poly.length; i++) {
    const a = poly[i], b = poly[(i + 1) % poly.length];
    const ina = a[2] >= NEAR_Z, inb = b[2] >= NEAR_Z;
    if (ina) out.push(a);
    if (ina !== inb) {
      const t = (NEAR_Z - a[2]) / (b[2] - a[2]);
      out.push([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]), NEAR_Z]);
    }
  }
  return out;
}

let scratchCam = new Float64Array(0);
let scratchUv = new Float64Array(0);

/** Per-vertex work buffers, reused across calls: detailed link meshes would otherwise churn the GC. */
function scratch(vertices: number): { cam: Float64Array; uv: Float64Array } {
  if (scratchCam.length < vertices * 3) {
    scratchCam = new Float64Array(vertices * 3);
    scratchUv = new Float64Array(vertices * 2);
  }
  return { cam: scratchCam, uv: scratchUv };
}

export function rasterizeSilhouette(mesh: TriMesh, camFromModel: Pose, K: Intrinsics): Silhouette {
  const { width: W, height: H } = K;
  const { R, t } = camFromModel;
  const p = mesh.positions;
  const n = p.length / 3;
  const { cam, uv } = scratch(n);
  const { fx, fy, cx: kcx, cy: kcy } = K;
  const [r0, r1, r2, r3, r4, r5, r6, r7, r8] = R;
  const [t0, t1, t2] = t;
  let umin = Infinity, umax = -Infinity, vmin = Infinity, vmax = -Infinity;
  let anyBehind = false;
  for (let i = 0; i < n; i++) {
    const x = p[i * 3], y = p[i * 3 + 1], z = p[i * 3 + 2];
    const X = r0 * x + r1 * y + r2 * z + t0;
    const Y = r3 * x + r4 * y + r5 * z + t1;
    const Z = r6 * x + r7 * y + r8 * z + t2;
    cam[i * 3] = X; cam[i * 3 + 1] = Y; cam[i * 3 + 2] = Z;
    if (Z < NEAR_Z) { anyBehind = true; continue; }
    const u = (fx * X) / Z + kcx, v = (fy * Y) / Z + kcy;
    uv[i * 2] = u; uv[i * 2 + 1] = v;
    if (u < umin) umin = u; if (u > umax) umax = u;
    if (v < vmin) vmin = v; if (v > vmax) vmax = v;
  }
  // The extended canvas: pixel centres x in [-W, 2W-1], y in [-H, 2H-1].
  const x0 = Math.max(-W, Math.ceil(anyBehind ? -W : umin));
  const x1 = Math.min(2 * W - 1, Math.floor(anyBehind ? 2 * W - 1 : umax));
  const y0 = Math.max(-H, Math.ceil(anyBehind ? -H : vmin));
  const y1 = Math.min(2 * H - 1, Math.floor(anyBehind ? 2 * H - 1 : vmax));
  if (x1 < x0 || y1 < y0) return { countAll: 0, bbox: null, mask: emptyMask(W, H) };
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  const cover = new Uint8Array(bw * bh);

  /**
   * Cover the pixel centres inside a front-facing triangle, one span per row. Front faces wind
   * counter-clockwise seen from outside, i.e. clockwise on this y-down image (negative area): as
   * the GPU culls back faces, so does this, and open meshes get the same silhouette on both.
   * Each edge function -((fx-ex)(py-ey) - (fy-ey)(px-ex)) is >= 0 on a front face's inner side
   * and linear in px along a row: k px + m with k = fy - ey.
   */
  const fillTriangle = (ax: number, ay: number, bx: number, by: number, cx: number, cy: number) => {
    const area = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
    if (!(area < 0)) return;
    const ty0 = Math.max(y0, Math.ceil(Math.min(ay, by, cy))), ty1 = Math.min(y1, Math.floor(Math.max(ay, by, cy)));
    const txMin = Math.max(x0, Math.ceil(Math.min(ax, bx, cx))), txMax = Math.min(x1, Math.floor(Math.max(ax, bx, cx)));
    const k0 = by - ay, k1 = cy - by, k2 = ay - cy;
    const d0 = bx - ax, d1 = cx - bx, d2 = ax - cx;
    const i0 = k0 !== 0 ? 1 / k0 : 0, i1 = k1 !== 0 ? 1 / k1 : 0, i2 = k2 !== 0 ? 1 / k2 : 0;
    // m_k at the first row; each row down subtracts d_k.
    let m0 = -d0 * (ty0 - ay) - k0 * ax, m1 = -d1 * (ty0 - by) - k1 * bx, m2 = -d2 * (ty0 - cy) - k2 * cx;
    for (let py = ty0; py <= ty1; py++, m0 -= d0, m1 -= d1, m2 -= d2) {
      let lo = txMin, hi = txMax, x: number;
      if (k0 > 0) { x = Math.ceil(-m0 * i0); if (x > lo) lo = x; } else if (k0 < 0) { x = Math.floor(-m0 * i0); if (x < hi) hi = x; } else if (m0 < 0) continue;
      if (k1 > 0) { x = Math.ceil(-m1 * i1); if (x > lo) lo = x; } else if (k1 < 0) { x = Math.floor(-m1 * i1); if (x < hi) hi = x; } else if (m1 < 0) continue;
      if (k2 > 0) { x = Math.ceil(-m2 * i2); if (x > lo) lo = x; } else if (k2 < 0) { x = Math.floor(-m2 * i2); if (x < hi) hi = x; } else if (m2 < 0) continue;
      // The intercepts can miss by a rounding error right at an edge; settle the ends exactly.
      while (lo <= hi && (k0 * lo + m0 < 0 || k1 * lo + m1 < 0 || k2 * lo + m2 < 0)) lo++;
      while (hi >= lo && (k0 * hi + m0 < 0 || k1 * hi + m1 < 0 || k2 * hi + m2 < 0)) hi--;
      const row = (py - y0) * bw - x0;
      for (let px = lo; px <= hi; px++) cover[row + px] = 1;
    }
  };

  const idx = mesh.indices;
  for (let f = 0; f < idx.length; f += 3) {
    const a = idx[f], b = idx[f + 1], c = idx[f + 2];
    const za = cam[a * 3 + 2], zb = cam[b * 3 + 2], zc = cam[c * 3 + 2];
    if (za >= NEAR_Z && zb >= NEAR_Z && zc >= NEAR_Z) {
      const ua = uv[a * 2], va = uv[a * 2 + 1], ub = uv[b * 2], vb = uv[b * 2 + 1], uc = uv[c * 2], vc = uv[c * 2 + 1];
      // Most triangles of a detailed mesh are smaller than a pixel and hold no pixel centre.
      const uLo = ua < ub ? (ua < uc ? ua : uc) : (ub < uc ? ub : uc), uHi = ua > ub ? (ua > uc ? ua : uc) : (ub > uc ? ub : uc);
      if (Math.ceil(uLo) > Math.floor(uHi)) continue;
      const vLo = va < vb ? (va < vc ? va : vc) : (vb < vc ? vb : vc), vHi = va > vb ? (va > vc ? va : vc) : (vb > vc ? vb : vc);
      if (Math.ceil(vLo) > Math.floor(vHi)) continue;
      fillTriangle(ua, va, ub, vb, uc, vc);
      continue;
    }
    if (za < NEAR_Z && zb < NEAR_Z && zc < NEAR_Z) continue;
    const poly = clipNear([a, b, c].map((v) => [cam[v * 3], cam[v * 3 + 1], cam[v * 3 + 2]]));
    const pts = poly.map(([X, Y, Z]) => [(K.fx * X) / Z + K.cx, (K.fy * Y) / Z + K.cy]);
    for (let i = 1; i + 1 < pts.length; i++) fillTriangle(pts[0][0], pts[0][1], pts[i][0], pts[i][1], pts[i + 1][0], pts[i + 1][1]);
  }

  let countAll = 0;
  let bx0 = Infinity, bx1 = -Infinity, by0 = Infinity, by1 = -Infinity;
  for (let yy = 0; yy < bh; yy++) {
    for (let xx = 0; xx < bw; xx++) {
      if (!cover[yy * bw + xx]) continue;
      countAll++;
      if (xx < bx0) bx0 = xx; if (xx > bx1) bx1 = xx;
      if (yy < by0) by0 = yy; if (yy > by1) by1 = yy;
    }
  }
  if (countAll === 0) return { countAll: 0, bbox: null, mask: emptyMask(W, H) };
  // The in-image part of the silhouette, cropped to its box.
  const mask = blankRegion(W, H, bx0 + x0, by0 + y0, bx1 + x0, by1 + y0);
  for (let j = 0; j < mask.h; j++) {
    const src = (mask.y0 + j - y0) * bw + (mask.x0 - x0);
    const dst = j * mask.w;
    for (let i = 0; i < mask.w; i++) {
      if (cover[src + i]) { mask.data[dst + i] = 1; mask.count++; }
    }
  }
  return { countAll, bbox: [bx0 + x0, by0 + y0, bx1 - bx0, by1 - by0], mask };
}
