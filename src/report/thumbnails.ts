/**
 * Thumbnails for the dataset report's contact sheet: a PNG read, shrunk by area averaging (every
 * source pixel counts, so thin edges and noise show as they average out) and returned as a
 * data: URI, so the report stays one self-contained file.
 */
import { readPng } from './dataset-stats.js';
import { encodePngSync } from '../writers/png.js';

export interface RgbImage {
  width: number;
  height: number;
  /** width * height * 3 bytes, row-major, top row first. */
  data: Uint8Array;
}

/** A PNG file's colour channels (alpha dropped); a UserError naming the file when unreadable. */
export function readRgbImage(path: string): RgbImage {
  const png = readPng(path);
  const data = new Uint8Array(png.width * png.height * 3);
  for (let p = 0; p < png.width * png.height; p++) {
    data[p * 3] = png.data[p * 4];
    data[p * 3 + 1] = png.data[p * 4 + 1];
    data[p * 3 + 2] = png.data[p * 4 + 2];
  }
  return { width: png.width, height: png.height, data };
}

/** Shrink to `width` px wide (never enlarged), keeping the aspect ratio, by area averaging. */
export function downscale(image: RgbImage, width: number): RgbImage {
  if (width >= image.width) return image;
  const w = Math.max(1, Math.round(width));
  const h = Math.max(1, Math.round((image.height * w) / image.width));
  const sx = image.width / w, sy = image.height / h;
  const out = new Uint8Array(w * h * 3);
  const sum = [0, 0, 0];
  for (let y = 0; y < h; y++) {
    const y0 = y * sy, y1 = (y + 1) * sy;
    for (let x = 0; x < w; x++) {
      const x0 = x * sx, x1 = (x + 1) * sx;
      sum[0] = sum[1] = sum[2] = 0;
      let area = 0;
      for (let j = Math.floor(y0); j < Math.min(image.height, Math.ceil(y1)); j++) {
        const wy = Math.min(y1, j + 1) - Math.max(y0, j);
        for (let i = Math.floor(x0); i < Math.min(image.width, Math.ceil(x1)); i++) {
          const a = wy * (Math.min(x1, i + 1) - Math.max(x0, i));
          const o = (j * image.width + i) * 3;
          sum[0] += image.data[o] * a;
          sum[1] += image.data[o + 1] * a;
          sum[2] += image.data[o + 2] * a;
          area += a;
        }
      }
      const o = (y * w + x) * 3;
      for (let c = 0; c < 3; c++) out[o + c] = Math.round(sum[c] / area);
    }
  }
  return { width: w, height: h, data: out };
}

/** An RGB image as a data:image/png;base64 URI (compressed hard: thumbnails are small). */
export function pngDataUri(image: RgbImage): string {
  const png = encodePngSync(image.data, image.width, image.height, 'rgb8', { strategy: 'lz', level: 9 });
  return `data:image/png;base64,${png.toString('base64')}`;
}

export interface Thumbnail {
  uri: string;
  width: number;
  height: number;
}

/** The image at `path`, `width` px wide, as a data: URI. */
export function thumbnail(path: string, width: number): Thumbnail {
  const small = downscale(readRgbImage(path), width);
  return { uri: pngDataUri(small), width: small.width, height: small.height };
}
