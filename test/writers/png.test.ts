import zlib from 'node:zlib';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { encodeMaskPng, encodeMaskPngSync, encodePng, encodePngSync, type PngKind } from '../../src/writers/png.js';

/** Small deterministic PRNG so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const CHANNELS: Record<PngKind, number> = { gray8: 1, gray16: 1, rgb8: 3, rgba8: 4 };

function randomPixels(kind: PngKind, w: number, h: number, seed: number): Uint8Array | Uint16Array {
  const r = rng(seed);
  const n = w * h * CHANNELS[kind];
  if (kind === 'gray16') {
    const a = new Uint16Array(n);
    for (let i = 0; i < n; i++) a[i] = Math.floor(r() * 65536);
    // Make sure the extremes and values that only differ in one byte are present.
    a[0] = 65535;
    if (n > 1) a[1] = 256;
    if (n > 2) a[2] = 255;
    return a;
  }
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.floor(r() * 256);
  return a;
}

/** pngjs always expands to RGBA; map that back to our channel layout for comparison. */
function readBack(png: Buffer, kind: PngKind): { w: number; h: number; samples: number[]; depth: number; colorType: number } {
  const img = PNG.sync.read(png, { skipRescale: true });
  const c = CHANNELS[kind];
  const data = img.data as unknown as ArrayLike<number>;
  const samples: number[] = [];
  for (let p = 0; p < img.width * img.height; p++) {
    for (let k = 0; k < c; k++) samples.push(data[p * 4 + k]);
  }
  return { w: img.width, h: img.height, samples, depth: img.depth, colorType: img.colorType };
}

/** Walk the chunk list and check every CRC independently of pngjs. */
function checkChunks(png: Buffer): string[] {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const types: string[] = [];
  let o = 8;
  while (o < png.length) {
    const len = png.readUInt32BE(o);
    const type = png.toString('latin1', o + 4, o + 8);
    const crc = png.readUInt32BE(o + 8 + len);
    expect(crc).toBe(zlib.crc32(png.subarray(o + 4, o + 8 + len)));
    types.push(type);
    o += 12 + len;
  }
  expect(o).toBe(png.length);
  return types;
}

describe('encodePng', () => {
  const kinds: PngKind[] = ['gray8', 'gray16', 'rgb8', 'rgba8'];
  // Odd widths take the per-byte filter path, even (word-aligned) widths the 32-bit path.
  const sizes: [number, number][] = [
    [1, 1],
    [7, 5],
    [8, 6],
    [33, 17],
    [64, 3],
  ];

  for (const kind of kinds) {
    for (const [w, h] of sizes) {
      it(`round-trips ${kind} ${w}x${h} through pngjs`, async () => {
        const px = randomPixels(kind, w, h, w * 1000 + h);
        const png = await encodePng(px, w, h, kind);
        expect(checkChunks(png)).toEqual(['IHDR', 'IDAT', 'IEND']);
        const back = readBack(png, kind);
        expect(back.w).toBe(w);
        expect(back.h).toBe(h);
        expect(back.depth).toBe(kind === 'gray16' ? 16 : 8);
        expect(back.colorType).toBe({ gray8: 0, gray16: 0, rgb8: 2, rgba8: 6 }[kind]);
        expect(back.samples).toEqual([...px]);
        // The sync twin must produce the very same bytes.
        expect(encodePngSync(px, w, h, kind).equals(png)).toBe(true);
      });
    }
  }

  it('writes gray16 samples big-endian', () => {
    const png = encodePngSync(new Uint16Array([0x1234]), 1, 1, 'gray16', { level: 0 });
    // Level 0 stores the scanline verbatim: filter byte 2 (Up) then 0x12 0x34.
    const idatStart = 8 + 25; // signature + IHDR chunk
    const raw = zlib.inflateSync(png.subarray(idatStart + 8, png.length - 12 - 4));
    expect([...raw]).toEqual([2, 0x12, 0x34]);
  });

  it('gives the same bytes for unaligned input views (per-byte fallback path)', () => {
    for (const kind of ['rgba8', 'gray16'] as const) {
      const px = randomPixels(kind, 16, 9, 7);
      const bytesPer = kind === 'gray16' ? 2 : 1;
      // Copy into a buffer at an offset that is not a multiple of 4 (but keeps 16-bit alignment).
      const backing = new ArrayBuffer(px.byteLength + 8);
      const shifted =
        kind === 'gray16'
          ? new Uint16Array(backing, 2, px.length)
          : new Uint8Array(backing, 1, px.length);
      shifted.set(px);
      expect(shifted.byteOffset % 4).not.toBe(0);
      expect(shifted.BYTES_PER_ELEMENT).toBe(bytesPer);
      expect(encodePngSync(shifted, 16, 9, kind).equals(encodePngSync(px, 16, 9, kind))).toBe(true);
    }
  });

  it('keeps rows top to bottom as given', () => {
    const px = new Uint8Array([0, 0, 255, 255]); // 2x2: black row on top, white row below
    const img = PNG.sync.read(encodePngSync(px, 2, 2, 'gray8'));
    expect(img.data[0]).toBe(0);
    expect(img.data[2 * 4]).toBe(255);
  });

  it('decodes with both strategies and at every level', () => {
    for (const kind of kinds) {
      const px = randomPixels(kind, 20, 10, 3);
      for (const strategy of ['rle', 'lz'] as const) {
        for (const level of [0, 1, 6, 9]) {
          expect(readBack(encodePngSync(px, 20, 10, kind, { level, strategy }), kind).samples).toEqual([...px]);
        }
      }
    }
  });

  it('defaults to RLE for 8-bit kinds and LZ for gray16', () => {
    // A smooth ramp, where the two strategies give different streams.
    const ramp8 = new Uint8Array(32 * 32 * 3).map((_, i) => (i >> 4) & 0xff);
    const ramp16 = new Uint16Array(32 * 32).map((_, i) => i * 37);
    const rgb = encodePngSync(ramp8, 32, 32, 'rgb8');
    expect(rgb.equals(encodePngSync(ramp8, 32, 32, 'rgb8', { strategy: 'rle' }))).toBe(true);
    expect(rgb.equals(encodePngSync(ramp8, 32, 32, 'rgb8', { strategy: 'lz' }))).toBe(false);
    const depth = encodePngSync(ramp16, 32, 32, 'gray16');
    expect(depth.equals(encodePngSync(ramp16, 32, 32, 'gray16', { strategy: 'lz', level: 1 }))).toBe(true);
    expect(depth.equals(encodePngSync(ramp16, 32, 32, 'gray16', { strategy: 'rle' }))).toBe(false);
  });

  it('rejects mismatched input', async () => {
    await expect(encodePng(new Uint8Array(5), 2, 2, 'gray8')).rejects.toThrow(RangeError);
    await expect(encodePng(new Uint8Array(4), 2, 2, 'gray16')).rejects.toThrow(TypeError);
    await expect(encodePng(new Uint16Array(4), 2, 2, 'gray8')).rejects.toThrow(TypeError);
    await expect(encodePng(new Uint8Array(0), 0, 0, 'gray8')).rejects.toThrow(RangeError);
    expect(() => encodePngSync(new Uint8Array(4), 2, 2, 'gray8', { level: 11 })).toThrow(RangeError);
    // @ts-expect-error: checked at run time too, for callers passing config from YAML
    expect(() => encodePngSync(new Uint8Array(4), 2, 2, 'gray8', { strategy: 'huffman' })).toThrow(RangeError);
  });
});

describe('encodeMaskPng', () => {
  it('writes 0/255 gray8 from any nonzero mask', async () => {
    const w = 5;
    const h = 3;
    const mask = new Uint8Array([0, 1, 2, 0, 255, 1, 0, 0, 0, 7, 0, 0, 1, 1, 0]);
    const png = await encodeMaskPng(mask, w, h);
    const back = readBack(png, 'gray8');
    expect(back.depth).toBe(8);
    expect(back.colorType).toBe(0);
    expect(back.samples).toEqual([...mask].map((v) => (v ? 255 : 0)));
    expect(encodeMaskPngSync(mask, w, h).equals(png)).toBe(true);
  });

  it('rejects a mask of the wrong length', () => {
    expect(() => encodeMaskPngSync(new Uint8Array(3), 2, 2)).toThrow(RangeError);
  });
});
