/**
 * Binary masks stored as the crop that holds their pixels. A 640x480 frame with ten objects
 * would otherwise allocate, scan, encode and compress twenty mostly-empty full-size masks.
 */

export interface RegionMask {
  /** Size of the full image. */
  width: number;
  height: number;
  /** The crop: pixel (x0 + i, y0 + j) is data[j * w + i]; w = h = 0 when empty. */
  x0: number;
  y0: number;
  w: number;
  h: number;
  /** 1 where set. */
  data: Uint8Array;
  count: number;
}

export function emptyMask(width: number, height: number): RegionMask {
  return { width, height, x0: 0, y0: 0, w: 0, h: 0, data: new Uint8Array(0), count: 0 };
}

/** A zeroed mask covering the inclusive pixel box [x0, x1] x [y0, y1], clamped to the image. */
export function blankRegion(width: number, height: number, x0: number, y0: number, x1: number, y1: number): RegionMask {
  x0 = Math.max(0, x0); y0 = Math.max(0, y0);
  x1 = Math.min(width - 1, x1); y1 = Math.min(height - 1, y1);
  if (x1 < x0 || y1 < y0) return emptyMask(width, height);
  const w = x1 - x0 + 1, h = y1 - y0 + 1;
  return { width, height, x0, y0, w, h, data: new Uint8Array(w * h), count: 0 };
}

export function maskAt(m: RegionMask, x: number, y: number): number {
  const i = x - m.x0, j = y - m.y0;
  return i >= 0 && j >= 0 && i < m.w && j < m.h ? m.data[j * m.w + i] : 0;
}

/** The union of two masks of the same image. */
export function unionMasks(a: RegionMask, b: RegionMask): RegionMask {
  if (b.count === 0) return a;
  if (a.count === 0) return b;
  const out = blankRegion(a.width, a.height, Math.min(a.x0, b.x0), Math.min(a.y0, b.y0),
    Math.max(a.x0 + a.w, b.x0 + b.w) - 1, Math.max(a.y0 + a.h, b.y0 + b.h) - 1);
  for (const m of [a, b]) {
    for (let j = 0; j < m.h; j++) {
      const src = j * m.w, dst = (m.y0 - out.y0 + j) * out.w + (m.x0 - out.x0);
      for (let i = 0; i < m.w; i++) if (m.data[src + i]) out.data[dst + i] = 1;
    }
  }
  let count = 0;
  for (let i = 0; i < out.data.length; i++) count += out.data[i];
  out.count = count;
  return out;
}

/** Pixels set in `a` but not in `b`. */
export function countMissing(a: RegionMask, b: RegionMask): number {
  let n = 0;
  for (let j = 0; j < a.h; j++) for (let i = 0; i < a.w; i++) {
    if (a.data[j * a.w + i] && !maskAt(b, a.x0 + i, a.y0 + j)) n++;
  }
  return n;
}

/** Row-major full-size 0/1 mask (for tests and tools, not the hot path). */
export function toFullMask(m: RegionMask): Uint8Array {
  const full = new Uint8Array(m.width * m.height);
  for (let j = 0; j < m.h; j++) full.set(m.data.subarray(j * m.w, (j + 1) * m.w), (m.y0 + j) * m.width + m.x0);
  return full;
}

/** Tight [x, y, w, h] box with BOP's convention (w = xmax - xmin); null when empty. */
export function maskBox(m: RegionMask): [number, number, number, number] | null {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let j = 0; j < m.h; j++) for (let i = 0; i < m.w; i++) {
    if (!m.data[j * m.w + i]) continue;
    if (i < x0) x0 = i; if (i > x1) x1 = i;
    if (j < y0) y0 = j; if (j > y1) y1 = j;
  }
  return x1 < 0 ? null : [m.x0 + x0, m.y0 + y0, x1 - x0, y1 - y0];
}
