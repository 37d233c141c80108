// Independent COCO reader for the end-to-end tests: the instance-segmentation JSON layout and a
// decoder for compressed RLE written from the algorithm in cocoapi's common/maskApi.c
// (rleFrString / rleDecode / rleArea / rleToBbox). It deliberately imports NOTHING from src/.
//
// RLE recap: the mask is flattened in COLUMN-major order (x outer, y inner); counts alternate runs of
// 0s and 1s, starting with 0s. The string form stores each count as a "LEB128-like" varint of 5 data
// bits per char (+0x20 = more chars follow, 0x10 in the last char = sign), offset by ASCII 48; from
// the 4th count on (index > 2), the value stored is the difference to the count two places earlier.

export interface CocoRle {
  size: [number, number]; // [height, width]
  counts: string | number[];
}

export interface CocoImage {
  id: number;
  file_name: string;
  width: number;
  height: number;
}

export interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  iscrowd: number;
  area: number;
  bbox: [number, number, number, number];
  segmentation: CocoRle | number[][];
}

export interface CocoCategory {
  id: number;
  name: string;
  supercategory?: string;
}

export interface CocoFile {
  images: CocoImage[];
  annotations: CocoAnnotation[];
  categories: CocoCategory[];
}

/** cocoapi rleFrString: the compressed string back to run lengths. */
export function rleCountsFromString(s: string): number[] {
  const cnts: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0, k = 0, more = true;
    while (more) {
      if (p >= s.length) throw new Error('RLE: string ends inside a count');
      const c = s.charCodeAt(p) - 48;
      if (c < 0 || c > 63) throw new Error(`RLE: invalid character '${s[p]}' at ${p}`);
      x += (c & 0x1f) * 2 ** (5 * k); // x |= (c & 0x1f) << 5*k, without 32-bit overflow
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && (c & 0x10)) x -= 2 ** (5 * k); // sign extension: x |= -1 << 5*k
    }
    if (cnts.length > 2) x += cnts[cnts.length - 2];
    if (x < 0) throw new Error(`RLE: negative run length ${x} at count ${cnts.length}`);
    cnts.push(x);
  }
  return cnts;
}

/** Run lengths of an RLE object (compressed string or plain array). */
export function rleCounts(rle: CocoRle): number[] {
  return typeof rle.counts === 'string' ? rleCountsFromString(rle.counts) : rle.counts.slice();
}

/** cocoapi rleDecode, returned ROW-major (index y * w + x) with values 0/1. Checks the runs cover h*w exactly. */
export function decodeRle(rle: CocoRle): Uint8Array {
  const [h, w] = rle.size;
  const cnts = rleCounts(rle);
  const total = cnts.reduce((a, b) => a + b, 0);
  if (total !== h * w) throw new Error(`RLE: runs cover ${total} pixels, expected ${h}*${w} = ${h * w}`);
  const out = new Uint8Array(h * w);
  let pos = 0; // column-major position
  cnts.forEach((n, i) => {
    if (i % 2 === 1) {
      for (let q = pos; q < pos + n; q++) {
        const x = Math.floor(q / h), y = q % h;
        out[y * w + x] = 1;
      }
    }
    pos += n;
  });
  return out;
}

/** cocoapi rleArea: sum of the runs of 1s. */
export function rleArea(rle: CocoRle): number {
  return rleCounts(rle).reduce((a, n, i) => (i % 2 === 1 ? a + n : a), 0);
}

/**
 * COCO bbox [x, y, w, h] of a row-major 0/1 mask, as rleToBbox computes it: w = xmax - xmin + 1,
 * h = ymax - ymin + 1; [0, 0, 0, 0] for an empty mask.
 */
export function cocoBboxOfMask(mask: Uint8Array, w: number): [number, number, number, number] {
  let xmin = Infinity, ymin = Infinity, xmax = -Infinity, ymax = -Infinity;
  for (let k = 0; k < mask.length; k++) {
    if (!mask[k]) continue;
    const x = k % w, y = Math.floor(k / w);
    if (x < xmin) xmin = x;
    if (x > xmax) xmax = x;
    if (y < ymin) ymin = y;
    if (y > ymax) ymax = y;
  }
  if (xmin === Infinity) return [0, 0, 0, 0];
  return [xmin, ymin, xmax - xmin + 1, ymax - ymin + 1];
}
