/**
 * COCO run-length encoding, bit-for-bit as pycocotools' maskApi.c (rleEncode, rleToString,
 * rleFrString, rleArea, rleToBbox), so our annotation files compare equal to ones produced by
 * `pycocotools.mask.encode` and evaluate identically.
 *
 * Layout: the mask is walked in column-major (Fortran) order, because pycocotools encodes
 * `np.asfortranarray(mask)`; our masks come row-major from the renderer, so the walk transposes.
 * Runs alternate background/foreground and always start with a background run (0 if the first
 * pixel is foreground), which is how decoders know the parity.
 */
import type { RegionMask } from './mask.js';

/** A compressed COCO RLE. `size` is [height, width], as in COCO JSON. */
export interface CocoRle {
  size: [number, number];
  counts: string;
}

/** Uncompressed form (COCO "iscrowd" style), counts as numbers. */
export interface CocoRleCounts {
  size: [number, number];
  counts: number[];
}

/** Run lengths of a row-major mask (nonzero = foreground) in column-major order, starting with zeros. */
export function rleCounts(mask: Uint8Array, width: number, height: number): number[] {
  if (mask.length !== width * height) {
    throw new RangeError(`rle: ${width}x${height} mask needs ${width * height} values, got ${mask.length}`);
  }
  const counts: number[] = [];
  let prev = 0; // the first run is background by convention
  let run = 0;
  for (let x = 0; x < width; x++) {
    for (let i = x; i < mask.length; i += width) {
      const v = mask[i] !== 0 ? 1 : 0;
      if (v !== prev) {
        counts.push(run);
        run = 0;
        prev = v;
      }
      run++;
    }
  }
  // maskApi.c always closes the last run, so an all-zero mask is [w*h] and a 0x0 mask is [0].
  counts.push(run);
  return counts;
}

/**
 * maskApi.c rleToString: LEB128-like, 5 data bits per char plus a continuation bit (0x20), chars
 * offset by 48 ('0'). From the 4th count on (i > 2, not i >= 2, as in the C code) each count is
 * stored as the difference to the count two places back, i.e. the previous run of the same
 * colour, which keeps similar-sized runs short; differences may be negative, so bit 0x10 of the
 * last group acts as a sign bit.
 */
export function rleToString(counts: readonly number[]): string {
  let s = '';
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i];
    if (i > 2) x -= counts[i - 2];
    let more = true;
    while (more) {
      // Floor division/modulo instead of `& 0x1f` / `>> 5`: identical to C's arithmetic shift on
      // a long, but without JS's 32-bit truncation (counts can reach w*h).
      let c = x - Math.floor(x / 32) * 32;
      x = Math.floor(x / 32);
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      s += String.fromCharCode(c + 48);
    }
  }
  return s;
}

/** maskApi.c rleFrString: inverse of {@link rleToString}. */
export function rleFromString(s: string): number[] {
  const counts: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= s.length) throw new SyntaxError('rle: truncated counts string');
      const c = s.charCodeAt(p) - 48;
      if (c < 0 || c > 63) throw new SyntaxError(`rle: invalid character in counts at ${p}`);
      x += (c & 0x1f) * 2 ** (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      // Sign-extend from the last group's bit 0x10 (C: x |= -1 << 5*k).
      if (!more && c & 0x10) x -= 2 ** (5 * k);
    }
    if (counts.length > 2) x += counts[counts.length - 2];
    counts.push(x);
  }
  return counts;
}

/** Encode a row-major mask (nonzero = foreground) as compressed COCO RLE. */
export function encodeRle(mask: Uint8Array, width: number, height: number): CocoRle {
  return { size: [height, width], counts: rleToString(rleCounts(mask, width, height)) };
}

function countsOf(rle: CocoRle | CocoRleCounts): number[] {
  return typeof rle.counts === 'string' ? rleFromString(rle.counts) : rle.counts;
}

/** Decode to a row-major 0/1 mask. Accepts compressed or uncompressed counts. */
export function decodeRle(rle: CocoRle | CocoRleCounts): Uint8Array {
  const [height, width] = rle.size;
  const counts = countsOf(rle);
  const n = width * height;
  const out = new Uint8Array(n);
  let pos = 0; // column-major index
  let v = 0;
  for (const c of counts) {
    if (c < 0 || pos + c > n) throw new RangeError('rle: counts do not match size');
    if (v) {
      // Walk the run down its columns, wrapping to the top of the next column.
      let x = Math.floor(pos / height);
      let y = pos - x * height;
      for (let k = 0; k < c; k++) {
        out[y * width + x] = 1;
        if (++y === height) {
          y = 0;
          x++;
        }
      }
    }
    pos += c;
    v ^= 1;
  }
  if (pos !== n) throw new RangeError(`rle: counts cover ${pos} pixels, size says ${n}`);
  return out;
}

/** Foreground pixel count (maskApi.c rleArea: sum of odd-indexed runs). */
export function rleArea(rle: CocoRle | CocoRleCounts): number {
  const counts = countsOf(rle);
  let a = 0;
  for (let j = 1; j < counts.length; j += 2) a += counts[j];
  return a;
}

/**
 * Bounding box [x, y, w, h] as maskApi.c rleToBbox (pycocotools toBbox): inclusive pixel extent,
 * so w = xmax - xmin + 1; all zeros for an empty mask. Works on runs without decoding.
 */
export function rleBbox(rle: CocoRle | CocoRleCounts): [number, number, number, number] {
  const [h, w] = rle.size;
  const counts = countsOf(rle);
  // A trailing background run carries no extent; the C code drops it by rounding m down to even.
  const m = counts.length - (counts.length % 2);
  if (m === 0 || h === 0) return [0, 0, 0, 0];
  let xs = w;
  let ys = h;
  let xe = 0;
  let ye = 0;
  let cc = 0;
  let xp = 0;
  for (let j = 0; j < m; j++) {
    cc += counts[j];
    // Even j: a background run just ended, cc is the first foreground pixel of the next run.
    // Odd j: a foreground run just ended, cc - 1 is its last pixel.
    const t = cc - (j % 2);
    const y = t % h;
    const x = (t - y) / h;
    if (j % 2 === 0) xp = x;
    else if (xp < x) {
      // The run wraps over a column boundary, so it covers whole rows' worth of y.
      ys = 0;
      ye = h - 1;
    }
    xs = Math.min(xs, x);
    xe = Math.max(xe, x);
    ys = Math.min(ys, y);
    ye = Math.max(ye, y);
  }
  return [xs, ys, xe - xs + 1, ye - ys + 1];
}

/** COCO RLE of a cropped mask, without expanding it to the full image. */
export function encodeRegionRle(mask: RegionMask): CocoRle {
  const { width: W, height: H, x0, y0, w, h, data } = mask;
  const counts: number[] = [];
  let prev = 0, run = 0;
  const push = (v: number, n: number) => {
    if (n === 0) return;
    if (v === prev) run += n;
    else { counts.push(run); run = n; prev = v; }
  };
  push(0, x0 * H);
  for (let i = 0; i < w; i++) {
    push(0, y0);
    for (let j = 0; j < h; j++) push(data[j * w + i] ? 1 : 0, 1);
    push(0, H - y0 - h);
  }
  push(0, (W - x0 - w) * H);
  counts.push(run);
  return { size: [H, W], counts: rleToString(counts) };
}
