/**
 * Minimal PNG encoder for frame outputs (RGB, depth, masks).
 *
 * Why our own: the writers produce several full-frame images per frame. pngjs (the usual pure-JS
 * choice) tries all five filters on every row by default and its sync API deflates on the main
 * thread. Here the filter is one fixed cheap pass, and deflate runs through node:zlib's
 * asynchronous API, which executes on libuv's thread pool, so the renderer/physics loop keeps
 * the main thread while images compress.
 */
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import type { RegionMask } from '../labels/mask.js';

export type PngKind = 'gray8' | 'gray16' | 'rgb8' | 'rgba8';

export interface PngOptions {
  /**
   * zlib level 0..9, default {@link DEFAULT_PNG_LEVEL}. 0 stores uncompressed with either strategy;
   * otherwise the level only tunes 'lz' (zlib's RLE matcher ignores it).
   */
  level?: number;
  /**
   * 'rle': zlib's Z_RLE (run-length matches at distance 1 plus Huffman coding).
   * 'lz': normal LZ77 matching (Z_DEFAULT_STRATEGY) at `level`.
   * Default: 'rle' for the 8-bit kinds, 'lz' for gray16 (see {@link defaultStrategy}).
   */
  strategy?: PngStrategy;
}

export type PngStrategy = 'rle' | 'lz';

/**
 * Level 1 for the 'lz' strategy. Measured on 640x480 frames after the Up filter (synthetic
 * render: shaded spheres over a textured table, and smooth colour waves, each with 0..+-4 per-pixel
 * noise): level 1 took 2-11 ms; level 3 took up to 25-35 ms with +-1 noise, as its longer hash
 * chains keep finding short, useless matches, for files only 3-15 % smaller. Levels 1..3 share
 * zlib's fast (non-lazy) matcher; 4+ are slower still.
 */
export const DEFAULT_PNG_LEVEL = 1;

/**
 * Why RLE for 8-bit images: on the same noisy frames, Z_RLE took 6-10 ms where level 1 took 8-11 ms,
 * and with low noise (+-1..2, the regime of texture and anti-aliasing) its files were 10-20 %
 * smaller, since the Up residuals of noisy pixels rarely repeat at longer distances but the
 * Huffman stage codes them well. It loses on noise-free gradients (files up to 1.5x larger, but
 * those are small anyway: ~100 KB for VGA). Masks, mostly zero runs after Up, halve in size.
 * Why LZ for gray16: big-endian samples after Up alternate high/low bytes, so no byte repeats
 * at distance 1 and RLE finds nothing; on a depth map it was 6x larger than level 1.
 */
export function defaultStrategy(kind: PngKind): PngStrategy {
  return kind === 'gray16' ? 'lz' : 'rle';
}

const deflateAsync = promisify(zlib.deflate);

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Colour type (PNG spec table 11.1), bit depth and bytes per pixel, per kind. */
const KIND_INFO: Record<PngKind, { colorType: number; bitDepth: number; channels: number; bpp: number }> = {
  gray8: { colorType: 0, bitDepth: 8, channels: 1, bpp: 1 },
  gray16: { colorType: 0, bitDepth: 16, channels: 1, bpp: 2 },
  rgb8: { colorType: 2, bitDepth: 8, channels: 3, bpp: 3 },
  rgba8: { colorType: 6, bitDepth: 8, channels: 4, bpp: 4 },
};

/**
 * Filter type 2 ('Up'): each byte minus the byte above it. One fixed filter instead of per-row
 * adaptive selection, which would cost 5 trial passes per row on the main thread.
 *
 * Up rather than 'Sub' (1), measured at equal zlib level: on a smooth 640x480 colour-wave frame
 * with +-3.5 noise Up gave 421 KB vs 461 KB for Sub at similar deflate time; on a synthetic render
 * (shaded spheres over a textured, graded table) and a 16-bit depth map Up was 2-10 % smaller;
 * only with heavy noise (+-4) did Sub win, by ~3 %. Masks and label images repeat whole rows,
 * which Up turns into runs of zeros. Up also pairs each byte with the one a whole row earlier, so
 * it runs 4 bytes per step on aligned 32-bit words (see sub4); Sub's partner is 3 bytes back for
 * RGB, which does not line up with words.
 */
const FILTER_UP = 2;

interface Prepared {
  header: Buffer;
  filtered: Buffer;
}

function validate(
  pixels: Uint8Array | Uint16Array,
  width: number,
  height: number,
  kind: PngKind,
): void {
  if (!(kind in KIND_INFO)) throw new TypeError(`encodePng: unknown kind ${String(kind)}`);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    // PNG forbids zero-sized images (IHDR width/height must be >= 1).
    throw new RangeError(`encodePng: invalid size ${width}x${height}`);
  }
  if (width > 0x7fffffff || height > 0x7fffffff) throw new RangeError('encodePng: image too large');
  const is16 = kind === 'gray16';
  if (is16 && !(pixels instanceof Uint16Array)) {
    throw new TypeError('encodePng: gray16 needs a Uint16Array of native-endian values');
  }
  if (!is16 && !(pixels instanceof Uint8Array)) {
    throw new TypeError(`encodePng: ${kind} needs a Uint8Array`);
  }
  const expected = width * height * KIND_INFO[kind].channels;
  if (pixels.length !== expected) {
    throw new RangeError(`encodePng: ${kind} ${width}x${height} needs ${expected} samples, got ${pixels.length}`);
  }
}

/**
 * Byte-wise a - b (mod 256) on four bytes packed in a 32-bit word, with no borrow between lanes
 * (SWAR). Lets the filter pass work on 4 bytes per iteration, which measured about 2.5x faster
 * than the per-byte loop; the lane layout is the same for loads and stores, so it is endian-neutral.
 */
function sub4(a: number, b: number): number {
  return ((a | 0x80808080) - (b & 0x7f7f7f7f)) ^ ((a ^ ~b) & 0x80808080);
}

/** Apply the Up filter to 8-bit samples, prefixing every row with its filter byte. */
function filterUp8(src: Uint8Array, stride: number, height: number): Buffer {
  const out = Buffer.allocUnsafe(height * (stride + 1));
  // Row 0 has an implicit all-zero row above it, so Up leaves it unchanged.
  out[0] = FILTER_UP;
  out.set(src.subarray(0, stride), 1);
  // Output rows start at odd offsets (after the filter byte), so the word path computes a row
  // into an aligned scratch row and copies it; it needs word-aligned source rows.
  const words = src.byteOffset % 4 === 0 && stride % 4 === 0;
  if (words) {
    const w = stride >>> 2;
    const src32 = new Uint32Array(src.buffer, src.byteOffset, (stride * height) >>> 2);
    const row32 = new Uint32Array(w);
    const row8 = new Uint8Array(row32.buffer);
    for (let y = 1; y < height; y++) {
      const cur = y * w;
      const prev = cur - w;
      for (let i = 0; i < w; i++) row32[i] = sub4(src32[cur + i], src32[prev + i]);
      const o = y * (stride + 1);
      out[o] = FILTER_UP;
      out.set(row8, o + 1);
    }
    return out;
  }
  for (let y = 1; y < height; y++) {
    const o = y * (stride + 1);
    out[o] = FILTER_UP;
    const cur = y * stride;
    const prev = cur - stride;
    for (let i = 0; i < stride; i++) {
      // Uint8 storage wraps modulo 256, which is exactly the PNG filter arithmetic.
      out[o + 1 + i] = src[cur + i] - src[prev + i];
    }
  }
  return out;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Up filter for 16-bit samples, writing big-endian bytes directly from native values.
 * Filtering is defined on the serialised bytes, so high and low bytes are differenced separately
 * (no borrow between them); doing the byte swap inside this pass saves a full copy of the frame.
 */
function filterUp16(src: Uint16Array, width: number, height: number): Buffer {
  const stride = width * 2;
  const out = Buffer.allocUnsafe(height * (stride + 1));
  // Word path: two samples per 32-bit word, byte-wise difference, then swap bytes inside each
  // 16-bit lane to get big-endian order. Only valid when the native order is little-endian.
  const words = LITTLE_ENDIAN_HOST && src.byteOffset % 4 === 0 && width % 2 === 0;
  if (words) {
    const w = width >>> 1;
    const src32 = new Uint32Array(src.buffer, src.byteOffset, (width * height) >>> 1);
    const row32 = new Uint32Array(w);
    const row8 = new Uint8Array(row32.buffer);
    for (let y = 0; y < height; y++) {
      const cur = y * w;
      if (y === 0) {
        for (let i = 0; i < w; i++) row32[i] = src32[i];
      } else {
        for (let i = 0; i < w; i++) row32[i] = sub4(src32[cur + i], src32[cur - w + i]);
      }
      for (let i = 0; i < w; i++) {
        const d = row32[i];
        row32[i] = ((d & 0x00ff00ff) << 8) | ((d >>> 8) & 0x00ff00ff);
      }
      const o = y * (stride + 1);
      out[o] = FILTER_UP;
      out.set(row8, o + 1);
    }
    return out;
  }
  for (let y = 0; y < height; y++) {
    let o = y * (stride + 1);
    out[o++] = FILTER_UP;
    const cur = y * width;
    if (y === 0) {
      for (let x = 0; x < width; x++) {
        const v = src[cur + x];
        out[o++] = v >>> 8;
        out[o++] = v & 0xff;
      }
    } else {
      const prev = cur - width;
      for (let x = 0; x < width; x++) {
        const v = src[cur + x];
        const p = src[prev + x];
        out[o++] = (v >>> 8) - (p >>> 8);
        out[o++] = (v & 0xff) - (p & 0xff);
      }
    }
  }
  return out;
}

function makeChunk(type: string, data: Buffer): Buffer {
  const chunk = Buffer.allocUnsafe(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write(type, 4, 4, 'latin1');
  data.copy(chunk, 8);
  // CRC covers type and data, not the length (PNG spec 5.3). zlib.crc32 is native (Node >= 20.15).
  chunk.writeUInt32BE(zlib.crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  return chunk;
}

function prepare(pixels: Uint8Array | Uint16Array, width: number, height: number, kind: PngKind): Prepared {
  validate(pixels, width, height, kind);
  const info = KIND_INFO[kind];
  const filtered =
    kind === 'gray16'
      ? filterUp16(pixels as Uint16Array, width, height)
      : filterUp8(pixels as Uint8Array, width * info.bpp, height);
  return { header: pngHeader(width, height, kind), filtered };
}

/** Signature and IHDR chunk. */
function pngHeader(width: number, height: number, kind: PngKind): Buffer {
  const info = KIND_INFO[kind];
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = info.bitDepth;
  ihdr[9] = info.colorType;
  // Bytes 10..12 stay 0: deflate compression, adaptive filtering method 0, no interlace.
  return Buffer.concat([PNG_SIGNATURE, makeChunk('IHDR', ihdr)]);
}

function zlibOptions(kind: PngKind, options?: PngOptions): zlib.ZlibOptions {
  const level = options?.level ?? DEFAULT_PNG_LEVEL;
  if (!Number.isInteger(level) || level < 0 || level > 9) throw new RangeError(`encodePng: bad level ${level}`);
  const strategy = options?.strategy ?? defaultStrategy(kind);
  if (strategy !== 'rle' && strategy !== 'lz') throw new RangeError(`encodePng: bad strategy ${String(strategy)}`);
  return {
    level,
    // memLevel 9 buys a little speed for ~256 KiB more state per stream.
    memLevel: 9,
    strategy: strategy === 'rle' ? zlib.constants.Z_RLE : zlib.constants.Z_DEFAULT_STRATEGY,
  };
}

const IEND = makeChunk('IEND', Buffer.alloc(0));

function assemble(header: Buffer, compressed: Buffer): Buffer {
  // One IDAT chunk: the spec allows any split, and one chunk means one copy and one CRC.
  return Buffer.concat([header, makeChunk('IDAT', compressed), IEND]);
}

/**
 * Encode an image as PNG. Deflate runs on libuv's thread pool; the filter pass (a few ms at most)
 * runs on the calling thread before the promise is returned, so callers may reuse `pixels` as soon
 * as this function returns.
 *
 * @param pixels  Row-major, top row first. 8-bit kinds: Uint8Array with 1/3/4 channels interleaved.
 *                gray16: Uint16Array of native values (written as big-endian samples).
 */
export async function encodePng(
  pixels: Uint8Array | Uint16Array,
  width: number,
  height: number,
  kind: PngKind,
  options?: PngOptions,
): Promise<Buffer> {
  const { header, filtered } = prepare(pixels, width, height, kind);
  const compressed = await deflateAsync(filtered, zlibOptions(kind, options));
  return assemble(header, compressed);
}

/**
 * Synchronous twin of {@link encodePng}, same bytes. Meant for small images (crops, thumbnails,
 * tests) where a thread-pool round trip costs more than it saves.
 */
export function encodePngSync(
  pixels: Uint8Array | Uint16Array,
  width: number,
  height: number,
  kind: PngKind,
  options?: PngOptions,
): Buffer {
  const { header, filtered } = prepare(pixels, width, height, kind);
  return assemble(header, zlib.deflateSync(filtered, zlibOptions(kind, options)));
}

/** BOP stores masks as 8-bit grayscale with 0 = background, 255 = object; any nonzero input counts. */
function maskTo255(mask: Uint8Array, width: number, height: number): Uint8Array {
  if (mask.length !== width * height) {
    throw new RangeError(`encodeMaskPng: ${width}x${height} needs ${width * height} values, got ${mask.length}`);
  }
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) out[i] = mask[i] !== 0 ? 255 : 0;
  return out;
}

/** Encode a binary mask (nonzero = foreground) as a BOP-style 0/255 gray8 PNG. */
export async function encodeMaskPng(
  mask: Uint8Array,
  width: number,
  height: number,
  options?: PngOptions,
): Promise<Buffer> {
  return encodePng(maskTo255(mask, width, height), width, height, 'gray8', options);
}

/** Synchronous twin of {@link encodeMaskPng}. */
export function encodeMaskPngSync(mask: Uint8Array, width: number, height: number, options?: PngOptions): Buffer {
  return encodePngSync(maskTo255(mask, width, height), width, height, 'gray8', options);
}

/**
 * A cropped binary mask as a full-size BOP mask PNG (gray8, 0/255). Only the crop is touched:
 * every other row is filter byte 0 (None) and zeros, which is what Buffer.alloc already holds.
 */
export async function encodeRegionMaskPng(mask: RegionMask, options?: PngOptions): Promise<Buffer> {
  const { width: W, height: H, x0, y0, w, h, data } = mask;
  const stride = W + 1;
  // Scanline buffers are pooled: twenty full-size masks a frame would otherwise be megabytes of
  // garbage per frame. A buffer goes back to the pool zeroed again (only its crop was written).
  const pool = maskBuffers.get(H * stride) ?? [];
  maskBuffers.set(H * stride, pool);
  const raw = pool.pop() ?? Buffer.alloc(H * stride);
  for (let j = 0; j < h; j++) {
    const o = (y0 + j) * stride + 1 + x0;
    for (let i = 0; i < w; i++) if (data[j * w + i]) raw[o + i] = 255;
  }
  try {
    const compressed = await deflateAsync(raw, zlibOptions('gray8', options));
    return assemble(pngHeader(W, H, 'gray8'), compressed);
  } finally {
    for (let j = 0; j < h; j++) raw.fill(0, (y0 + j) * stride + 1 + x0, (y0 + j) * stride + 1 + x0 + w);
    if (pool.length < 64) pool.push(raw);
  }
}

const maskBuffers = new Map<number, Buffer[]>();
