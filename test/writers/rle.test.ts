import { describe, expect, it } from 'vitest';
import {
  decodeRle,
  encodeRle,
  rleArea,
  rleBbox,
  rleCounts,
  rleFromString,
  rleToString,
} from '../../src/labels/rle.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Row-major mask from rows of 0/1. */
function mask(rows: number[][]): { m: Uint8Array; w: number; h: number } {
  return { m: Uint8Array.from(rows.flat()), w: rows[0].length, h: rows.length };
}

describe('COCO RLE: known encodings derived by hand from maskApi.c', () => {
  it('3x3 mask', () => {
    // Rows:          Column-major walk (col 0 top-down, then col 1, col 2):
    //   1 0 0          1 1 0 | 0 1 0 | 0 0 1
    //   1 1 0        Runs starting with zeros: 0 zeros, 2 ones, 2 zeros, 1 one, 3 zeros, 1 one
    //   0 0 1        counts = [0, 2, 2, 1, 3, 1]
    // rleToString: i<=2 are written as is: '0' (48), '2', '2'.
    //   i=3: 1 - counts[1] = -1 -> low 5 bits 31, x>>5 = -1, bit 0x10 set and x == -1 so no
    //        continuation: 31 + 48 = 79 'O'.
    //   i=4: 3 - counts[2] = 1 -> '1';  i=5: 1 - counts[3] = 0 -> '0'.
    const { m, w, h } = mask([
      [1, 0, 0],
      [1, 1, 0],
      [0, 0, 1],
    ]);
    expect(rleCounts(m, w, h)).toEqual([0, 2, 2, 1, 3, 1]);
    const rle = encodeRle(m, w, h);
    expect(rle).toEqual({ size: [3, 3], counts: '022O10' });
    expect(rleArea(rle)).toBe(4);
    expect(rleBbox(rle)).toEqual([0, 0, 3, 3]);
  });

  it('10x10 mask with multi-character and negative deltas', () => {
    // Foreground where x < 5 or x == 9: column-major that is 50 ones, 40 zeros, 10 ones.
    // counts = [0, 50, 40, 10].
    //   50 = 1*32 + 18: first group 18 | 0x20 (more) = 50 -> 'b', then 1 -> '1'.
    //   40 = 1*32 + 8:  8 | 0x20 = 40 -> 'X', then '1'.
    //   i=3: 10 - 50 = -40 = -2*32 + 24: 24 | 0x20 = 56 -> 'h'; x = -2: low bits 30, x>>5 = -1,
    //        bit 0x10 set and x == -1 so stop: 30 + 48 = 78 'N'.
    const m = new Uint8Array(100);
    for (let y = 0; y < 10; y++) for (let x = 0; x < 10; x++) m[y * 10 + x] = x < 5 || x === 9 ? 1 : 0;
    const rle = encodeRle(m, 10, 10);
    expect(rle.counts).toBe('0b1X1hN');
    expect(rleArea(rle)).toBe(60);
    expect(rleBbox(rle)).toEqual([0, 0, 10, 10]);
  });

  it('single pixel: bbox is inclusive (w = xmax - xmin + 1)', () => {
    // 4 wide, 3 high, pixel at x=2, y=1 -> column-major index 2*3 + 1 = 7 -> counts [7, 1, 4].
    const m = new Uint8Array(12);
    m[1 * 4 + 2] = 1;
    const rle = encodeRle(m, 4, 3);
    expect(rle).toEqual({ size: [3, 4], counts: '714' });
    expect(rleBbox(rle)).toEqual([2, 1, 1, 1]);
    expect(rleArea(rle)).toBe(1);
  });

  it('a run crossing a column boundary spans all rows in the bbox, as toBbox does', () => {
    // 2 wide, 3 high, pixels (x=0, y=2) and (x=1, y=0): one column-major run [2, 2, 2].
    const { m, w, h } = mask([
      [0, 1],
      [0, 0],
      [1, 0],
    ]);
    const rle = encodeRle(m, w, h);
    expect(rle.counts).toBe('222');
    expect(rleBbox(rle)).toEqual([0, 0, 2, 3]);
  });
});

describe('COCO RLE: structure', () => {
  it('walks columns, not rows', () => {
    expect(rleCounts(Uint8Array.from([1, 0, 0, 0]), 2, 2)).toEqual([0, 1, 3]);
    expect(rleCounts(Uint8Array.from([0, 1, 0, 0]), 2, 2)).toEqual([2, 1, 1]);
  });

  it('starts with a zero run even when the first pixel is foreground', () => {
    const counts = rleCounts(Uint8Array.from([1, 1, 0, 1]), 2, 2);
    expect(counts[0]).toBe(0);
    expect(encodeRle(Uint8Array.from([1, 1, 0, 1]), 2, 2).counts[0]).toBe('0');
    // And with a leading background run, the first count is that run.
    expect(rleCounts(Uint8Array.from([0, 0, 1, 1]), 2, 2)).toEqual([1, 1, 1, 1]);
  });

  it('treats any nonzero value as foreground', () => {
    expect(encodeRle(Uint8Array.from([0, 7, 255, 1]), 2, 2)).toEqual(encodeRle(Uint8Array.from([0, 1, 1, 1]), 2, 2));
  });

  it('empty mask', () => {
    const rle = encodeRle(new Uint8Array(12), 4, 3);
    expect(rleFromString(rle.counts)).toEqual([12]);
    expect(rle.counts).toBe('<'); // 12 + 48
    expect(rleArea(rle)).toBe(0);
    expect(rleBbox(rle)).toEqual([0, 0, 0, 0]);
    expect([...decodeRle(rle)]).toEqual(new Array(12).fill(0));
  });

  it('full mask', () => {
    const rle = encodeRle(new Uint8Array(12).fill(1), 4, 3);
    expect(rleFromString(rle.counts)).toEqual([0, 12]);
    expect(rle.counts).toBe('0<');
    expect(rleArea(rle)).toBe(12);
    expect(rleBbox(rle)).toEqual([0, 0, 4, 3]);
    expect([...decodeRle(rle)]).toEqual(new Array(12).fill(1));
  });

  it('zero-sized mask', () => {
    const rle = encodeRle(new Uint8Array(0), 0, 0);
    expect(rle).toEqual({ size: [0, 0], counts: '0' });
    expect(rleBbox(rle)).toEqual([0, 0, 0, 0]);
    expect(decodeRle(rle).length).toBe(0);
  });
});

describe('COCO RLE: round trips', () => {
  it('random masks of many shapes and densities', () => {
    const r = rng(42);
    for (let t = 0; t < 200; t++) {
      const w = 1 + Math.floor(r() * 50);
      const h = 1 + Math.floor(r() * 50);
      const density = r();
      const m = new Uint8Array(w * h);
      for (let i = 0; i < m.length; i++) m[i] = r() < density ? 1 : 0;
      const rle = encodeRle(m, w, h);
      expect(rle.size).toEqual([h, w]);
      // Buffer.equals: vitest's deep equality on typed arrays is slow in a loop this long.
      expect(Buffer.from(decodeRle(rle)).equals(Buffer.from(m))).toBe(true);
      // Uncompressed counts decode the same.
      expect(Buffer.from(decodeRle({ size: rle.size, counts: rleCounts(m, w, h) })).equals(Buffer.from(m))).toBe(true);
      expect(rleArea(rle)).toBe(m.reduce((a, v) => a + v, 0));
      // toBbox may overshoot in y when a run wraps between columns, but it always contains
      // every foreground pixel.
      const [bx, by, bw, bh] = rleBbox(rle);
      let outside = 0;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          if (m[y * w + x] && !(x >= bx && x < bx + bw && y >= by && y < by + bh)) outside++;
        }
      }
      expect(outside).toBe(0);
    }
  });

  it('bbox equals the tight box for a blob that never wraps between columns', () => {
    // Rectangle x 3..7, y 2..4 inside 12x9: no foreground run crosses a column boundary.
    const w = 12;
    const h = 9;
    const m = new Uint8Array(w * h);
    for (let y = 2; y <= 4; y++) for (let x = 3; x <= 7; x++) m[y * w + x] = 1;
    expect(rleBbox(encodeRle(m, w, h))).toEqual([3, 2, 5, 3]);
  });

  it('counts strings survive large and negative deltas', () => {
    const counts = [0, 5, 3_000_000_000, 1, 17, 4_000_000_000, 16, 15, 31, 32, 33, 1023, 1024, 1025];
    expect(rleFromString(rleToString(counts))).toEqual(counts);
    const r = rng(7);
    for (let t = 0; t < 100; t++) {
      const c = Array.from({ length: 1 + Math.floor(r() * 20) }, () => Math.floor(r() ** 4 * 2 ** 31));
      expect(rleFromString(rleToString(c))).toEqual(c);
    }
  });

  it('rejects counts that do not match the size', () => {
    expect(() => decodeRle({ size: [2, 2], counts: [1, 2] })).toThrow(RangeError);
    expect(() => decodeRle({ size: [2, 2], counts: [3, 2] })).toThrow(RangeError);
    expect(() => rleFromString('b')).toThrow(SyntaxError); // continuation bit with nothing after
  });
});
