// Independent BOP dataset reader for the end-to-end tests, written from the format's specification
// (bop_toolkit docs/bop_datasets_format.md, scripts/calc_gt_info.py, bop_toolkit_lib/misc.py).
// It deliberately imports NOTHING from src/: it must be able to disagree with the product's writer.
//
// Layout read here (PBR training split):
//   camera.json, models/models_info.json, models/obj_%06d.ply (mm)
//   train_pbr/%06d/{scene_camera,scene_gt,scene_gt_info}.json
//   train_pbr/%06d/rgb/%06d.png, depth/%06d.png (16-bit; mm = value * depth_scale)
//   train_pbr/%06d/{mask,mask_visib}/%06d_%06d.png (image id, gt index; 8-bit 0/255)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';

export interface BopCameraFile {
  fx: number;
  fy: number;
  cx: number;
  cy: number;
  width: number;
  height: number;
  depth_scale?: number;
}

export interface ModelInfo {
  diameter: number;
  min_x: number;
  min_y: number;
  min_z: number;
  size_x: number;
  size_y: number;
  size_z: number;
}

export interface GtEntry {
  cam_R_m2c: number[]; // 3x3 row-major
  cam_t_m2c: number[]; // mm
  obj_id: number;
}

export interface CameraEntry {
  cam_K: number[]; // 3x3 row-major
  depth_scale: number; // depth_mm = png_value * depth_scale
  cam_R_w2c?: number[];
  cam_t_w2c?: number[]; // mm
}

export type Bbox = [number, number, number, number];

export interface GtInfoEntry {
  bbox_obj: Bbox;
  bbox_visib: Bbox;
  px_count_all: number;
  px_count_valid: number;
  px_count_visib: number;
  visib_fract: number;
}

const id6 = (n: number): string => String(n).padStart(6, '0');

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** BOP JSON files are objects keyed by an integer id (image id, obj id) written as a string. */
function byIntKey<T>(path: string): Map<number, T> {
  const raw = readJson<Record<string, T>>(path);
  const out = new Map<number, T>();
  for (const [k, v] of Object.entries(raw)) {
    if (!/^\d+$/.test(k)) throw new Error(`${path}: key '${k}' is not an integer id`);
    out.set(Number(k), v);
  }
  return out;
}

export class BopDataset {
  constructor(readonly root: string, readonly split = 'train_pbr') {}

  camera(): BopCameraFile { return readJson(join(this.root, 'camera.json')); }
  modelsInfo(): Map<number, ModelInfo> { return byIntKey(join(this.root, 'models', 'models_info.json')); }
  modelPath(objId: number): string { return join(this.root, 'models', `obj_${id6(objId)}.ply`); }

  /** Scene (chunk) ids present in the split folder. */
  scenes(): number[] {
    const dir = join(this.root, this.split);
    return readdirSync(dir).filter((n) => /^\d{6}$/.test(n)).map(Number).sort((a, b) => a - b);
  }
  sceneDir(scene: number): string { return join(this.root, this.split, id6(scene)); }

  sceneGt(scene: number): Map<number, GtEntry[]> { return byIntKey(join(this.sceneDir(scene), 'scene_gt.json')); }
  sceneCamera(scene: number): Map<number, CameraEntry> { return byIntKey(join(this.sceneDir(scene), 'scene_camera.json')); }
  sceneGtInfo(scene: number): Map<number, GtInfoEntry[]> { return byIntKey(join(this.sceneDir(scene), 'scene_gt_info.json')); }

  rgbPath(scene: number, im: number): string { return join(this.sceneDir(scene), 'rgb', `${id6(im)}.png`); }
  depthPath(scene: number, im: number): string { return join(this.sceneDir(scene), 'depth', `${id6(im)}.png`); }
  maskPath(scene: number, im: number, gt: number): string { return join(this.sceneDir(scene), 'mask', `${id6(im)}_${id6(gt)}.png`); }
  maskVisibPath(scene: number, im: number, gt: number): string { return join(this.sceneDir(scene), 'mask_visib', `${id6(im)}_${id6(gt)}.png`); }

  /** Every file path this format requires for the present images, for existence checks. */
  requiredFiles(): string[] {
    const files = [join(this.root, 'camera.json'), join(this.root, 'models', 'models_info.json')];
    for (const id of this.modelsInfo().keys()) files.push(this.modelPath(id));
    for (const s of this.scenes()) {
      const dir = this.sceneDir(s);
      files.push(join(dir, 'scene_gt.json'), join(dir, 'scene_camera.json'), join(dir, 'scene_gt_info.json'));
      for (const [im, gts] of this.sceneGt(s)) {
        files.push(this.rgbPath(s, im), this.depthPath(s, im));
        gts.forEach((_, g) => files.push(this.maskPath(s, im, g), this.maskVisibPath(s, im, g)));
      }
    }
    return files;
  }
}

export function missingFiles(paths: string[]): string[] {
  return paths.filter((p) => !existsSync(p));
}

// ---------------------------------------------------------------------------------------------
// PNG

export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  /** 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA. */
  colorType: number;
}

/** Reads the IHDR chunk (always the first chunk, right after the 8-byte signature). */
export function pngHeader(buf: Buffer): PngHeader {
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (buf.length < 33 || !buf.subarray(0, 8).equals(sig)) throw new Error('not a PNG file');
  if (buf.subarray(12, 16).toString('latin1') !== 'IHDR') throw new Error('PNG: first chunk is not IHDR');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20), bitDepth: buf[24], colorType: buf[25] };
}

export interface GrayImage extends PngHeader {
  /** One sample per pixel, row-major, raw values (0..255 or 0..65535). */
  data: Uint16Array;
}

/** Decodes a grayscale PNG (8 or 16 bit) to raw sample values. */
export function readGrayPng(path: string): GrayImage {
  const buf = readFileSync(path);
  const hdr = pngHeader(buf);
  if (hdr.colorType !== 0) throw new Error(`${path}: PNG color type ${hdr.colorType}, expected 0 (grayscale)`);
  const png = PNG.sync.read(buf, { skipRescale: true }); // pngjs expands to RGBA; channel 0 = gray
  const rgba = png.data as unknown as ArrayLike<number>;
  const data = new Uint16Array(hdr.width * hdr.height);
  for (let k = 0; k < data.length; k++) data[k] = rgba[4 * k];
  return { ...hdr, data };
}

/** A BOP mask as 0/1, plus the set of distinct raw values found (should be {0, 255}). */
export function readMask(path: string): { header: PngHeader; mask: Uint8Array; values: Set<number> } {
  const img = readGrayPng(path);
  const mask = new Uint8Array(img.data.length);
  const values = new Set<number>();
  for (let k = 0; k < mask.length; k++) {
    values.add(img.data[k]);
    mask[k] = img.data[k] !== 0 ? 1 : 0;
  }
  return { header: img, mask, values };
}

// ---------------------------------------------------------------------------------------------
// gt_info conventions

/** bop_toolkit misc.calc_2d_bbox (no clipping): [xmin, ymin, xmax - xmin, ymax - ymin]; -1s when empty. */
export function bopBbox(xs: ArrayLike<number>, ys: ArrayLike<number>): Bbox {
  if (xs.length === 0) return [-1, -1, -1, -1];
  let xmin = Infinity, ymin = Infinity, xmax = -Infinity, ymax = -Infinity;
  for (let k = 0; k < xs.length; k++) {
    xmin = Math.min(xmin, xs[k]); xmax = Math.max(xmax, xs[k]);
    ymin = Math.min(ymin, ys[k]); ymax = Math.max(ymax, ys[k]);
  }
  return [xmin, ymin, xmax - xmin, ymax - ymin];
}

/** Pixel coordinates of a row-major 0/1 mask whose pixel (I, J) is image pixel (I + x0, J + y0). */
export function maskPixels(mask: Uint8Array, w: number, x0 = 0, y0 = 0): { xs: number[]; ys: number[] } {
  const xs: number[] = [], ys: number[] = [];
  for (let k = 0; k < mask.length; k++) {
    if (!mask[k]) continue;
    xs.push((k % w) + x0);
    ys.push(Math.floor(k / w) + y0);
  }
  return { xs, ys };
}
