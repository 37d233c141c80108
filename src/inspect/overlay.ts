/**
 * Label overlays, drawn from the written dataset alone (BOP files and models_info.json), so that
 * an overlay that sits right is a visual check of the labels themselves: each visible mask tinted
 * in its instance's colour, its visible box (solid) and amodal box (dashed), the model's 3D
 * bounding box and pose axes projected with the label's pose and the frame's own K (x red, y
 * green, z blue), and robot keypoints with their skeleton when scene_robot.json is there.
 * Written as inspect/<chunk>_<image>.png; with rgb_refined/ the refined image goes beside the raw.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../writers/atomic.js';
import { encodePng } from '../writers/png.js';

type RGB = [number, number, number];

/** An 8-bit RGB canvas with the few drawing primitives overlays need. */
export class Canvas {
  readonly data: Uint8Array;
  constructor(readonly width: number, readonly height: number, data?: Uint8Array) {
    this.data = data ?? new Uint8Array(width * height * 3);
  }

  blend(x: number, y: number, color: RGB, alpha: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const o = (y * this.width + x) * 3;
    for (let c = 0; c < 3; c++) this.data[o + c] = Math.round(this.data[o + c] * (1 - alpha) + color[c] * alpha);
  }

  /** A line from (x0, y0) to (x1, y1), `dash` px on and off when given (0: solid). */
  line(x0: number, y0: number, x1: number, y1: number, color: RGB, dash = 0): void {
    const n = Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0)));
    if (!Number.isFinite(n) || n > 4 * (this.width + this.height)) return;
    for (let k = 0; k <= n; k++) {
      if (dash && Math.floor(k / dash) % 2 === 1) continue;
      const t = n ? k / n : 0;
      this.blend(Math.round(x0 + (x1 - x0) * t), Math.round(y0 + (y1 - y0) * t), color, 1);
    }
  }

  rect(x: number, y: number, w: number, h: number, color: RGB, dash = 0): void {
    this.line(x, y, x + w, y, color, dash);
    this.line(x + w, y, x + w, y + h, color, dash);
    this.line(x + w, y + h, x, y + h, color, dash);
    this.line(x, y + h, x, y, color, dash);
  }

  dot(x: number, y: number, r: number, color: RGB): void {
    for (let v = -r; v <= r; v++) for (let u = -r; u <= r; u++) if (u * u + v * v <= r * r) this.blend(Math.round(x) + u, Math.round(y) + v, color, 1);
  }
}

/** Well-separated colours for instances (golden-angle hues). */
export function instanceColor(k: number): RGB {
  const h = (k * 137.508) % 360;
  const f = (n: number) => {
    const q = (n + h / 60) % 6;
    return Math.round(255 * (1 - 0.75 * Math.max(0, Math.min(q, 4 - q, 1))));
  };
  return [f(5), f(3), f(1)];
}

interface GtEntry { cam_R_m2c: number[]; cam_t_m2c: number[]; obj_id: number }
interface GtInfo { bbox_obj: number[]; bbox_visib: number[]; px_count_visib: number }
interface ModelInfo { min_x: number; min_y: number; min_z: number; size_x: number; size_y: number; size_z: number; diameter: number }
interface RobotEntry { keypoints: { uv: number[]; visibility: number }[] }

/** A JSON file of the dataset; missing or malformed is a UserError naming the file. */
export function readJson<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (error) {
    throw new UserError(`${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `not valid JSON (${(error as Error).message})`}`);
  }
}

function readRgb(path: string): Canvas {
  const png = PNG.sync.read(readFileSync(path));
  const canvas = new Canvas(png.width, png.height);
  for (let p = 0; p < png.width * png.height; p++) for (let c = 0; c < 3; c++) canvas.data[p * 3 + c] = png.data[p * 4 + c];
  return canvas;
}

/** Project a point in the camera frame (mm) with K (row-major 3x3); null behind the camera. */
function project(p: number[], K: number[]): [number, number] | null {
  if (p[2] <= 1e-6) return null;
  return [K[0] * p[0] / p[2] + K[2], K[4] * p[1] / p[2] + K[5]];
}

const toCamera = (R: number[], t: number[], x: number[]) => [0, 1, 2].map((i) => R[3 * i] * x[0] + R[3 * i + 1] * x[1] + R[3 * i + 2] * x[2] + t[i]);

/** Draw one frame's labels over its image (see the module comment). */
export function drawOverlay(image: Canvas, chunk: string, imId: number, gts: GtEntry[], infos: GtInfo[], K: number[], models: Record<string, ModelInfo>, robots: RobotEntry[], skeletons: [number, number][][]): Canvas {
  const pad = (n: number) => String(n).padStart(6, '0');
  gts.forEach((gt, k) => {
    const color = instanceColor(k);
    const maskPath = join(chunk, 'mask_visib', `${pad(imId)}_${pad(k)}.png`);
    if (existsSync(maskPath)) {
      const mask = PNG.sync.read(readFileSync(maskPath));
      for (let p = 0; p < mask.width * mask.height; p++) if (mask.data[p * 4]) image.blend(p % mask.width, Math.floor(p / mask.width), color, 0.45);
    }
    const info = infos[k];
    if (info && info.px_count_visib > 0) {
      const [x, y, w, h] = info.bbox_visib;
      image.rect(x, y, w, h, color);
      const [ax, ay, aw, ah] = info.bbox_obj;
      image.rect(ax, ay, aw, ah, color, 3);
    }
    const model = models[String(gt.obj_id)];
    if (!model) return;
    const lo = [model.min_x, model.min_y, model.min_z];
    const size = [model.size_x, model.size_y, model.size_z];
    const corners = [0, 1, 2, 3, 4, 5, 6, 7].map((c) => project(toCamera(gt.cam_R_m2c, gt.cam_t_m2c, [0, 1, 2].map((a) => lo[a] + ((c >> a) & 1) * size[a])), K));
    for (let a = 0; a < 8; a++) {
      for (let axis = 0; axis < 3; axis++) {
        const b = a | (1 << axis);
        const [pa, pb] = [corners[a], corners[b]];
        if (b !== a && pa && pb) image.line(pa[0], pa[1], pb[0], pb[1], color);
      }
    }
    const origin = project(gt.cam_t_m2c, K);
    const axisLength = model.diameter / 3;
    ([[255, 40, 40], [40, 220, 40], [60, 90, 255]] as RGB[]).forEach((axisColor, axis) => {
      const tip = project(toCamera(gt.cam_R_m2c, gt.cam_t_m2c, [0, 1, 2].map((i) => (i === axis ? axisLength : 0))), K);
      if (origin && tip) image.line(origin[0], origin[1], tip[0], tip[1], axisColor);
    });
  });
  robots.forEach((robot, r) => {
    for (const [a, b] of skeletons[r] ?? []) {
      const [ka, kb] = [robot.keypoints[a], robot.keypoints[b]];
      if (ka && kb && ka.visibility && kb.visibility) image.line(ka.uv[0], ka.uv[1], kb.uv[0], kb.uv[1], [255, 255, 255]);
    }
    for (const k of robot.keypoints) if (k.visibility) image.dot(k.uv[0], k.uv[1], 2, k.visibility === 2 ? [255, 230, 0] : [160, 160, 160]);
  });
  return image;
}

export interface InspectOptions {
  dataset: string;
  /** Dataset frame indices; default: the first 8. */
  frames?: number[];
  out?: string;
}

/** Writes overlays for the chosen frames; returns the files written. */
export async function inspectDataset(options: InspectOptions): Promise<string[]> {
  const split = join(options.dataset, 'train_pbr');
  if (!existsSync(split)) throw new UserError(`${options.dataset}: not a robosynth/BOP dataset (no train_pbr/ folder)`);
  const models = readJson<Record<string, ModelInfo>>(join(options.dataset, 'models', 'models_info.json'));
  const identity = existsSync(join(options.dataset, 'robosynth.json')) ? readJson<{ robots?: { skeleton: [number, number][] }[] }>(join(options.dataset, 'robosynth.json')) : {};
  const skeletons = (identity.robots ?? []).map((r) => r.skeleton);
  const out = options.out ?? join(options.dataset, 'inspect');
  mkdirSync(out, { recursive: true });
  const available = readdirSync(split).filter((d) => /^\d{6}$/.test(d)).sort().flatMap((chunk) => {
    const gt = existsSync(join(split, chunk, 'scene_gt.json')) ? readJson<Record<string, unknown>>(join(split, chunk, 'scene_gt.json')) : {};
    return Object.keys(gt).map((im) => Number(chunk) * 1000 + Number(im));
  }).sort((a, b) => a - b);
  const wanted = options.frames ?? available.slice(0, 8);
  const missing = wanted.filter((f) => !available.includes(f));
  if (missing.length) throw new UserError(`${options.dataset}: no frame ${missing.join(', ')} (it has ${available.length ? `${available[0]}..${available[available.length - 1]}` : 'none'})`);
  const written: string[] = [];
  const pad = (n: number) => String(n).padStart(6, '0');
  for (const frame of wanted) {
    const chunk = join(split, pad(Math.floor(frame / 1000)));
    const imId = frame % 1000;
    const gts = readJson<Record<string, GtEntry[]>>(join(chunk, 'scene_gt.json'))[String(imId)];
    const infos = readJson<Record<string, GtInfo[]>>(join(chunk, 'scene_gt_info.json'))[String(imId)];
    const K = readJson<Record<string, { cam_K: number[] }>>(join(chunk, 'scene_camera.json'))[String(imId)].cam_K;
    const robots = existsSync(join(chunk, 'scene_robot.json')) ? readJson<Record<string, RobotEntry[]>>(join(chunk, 'scene_robot.json'))[String(imId)] ?? [] : [];
    const images = [join(chunk, 'rgb', `${pad(imId)}.png`), join(chunk, 'rgb_refined', `${pad(imId)}.png`)].filter((p) => existsSync(p));
    const panels = images.map((path) => drawOverlay(readRgb(path), chunk, imId, gts, infos, K, models, robots, skeletons));
    // Raw and refined side by side, 4 px apart.
    const width = panels.reduce((w, p) => w + p.width, 0) + 4 * (panels.length - 1);
    const sheet = new Canvas(width, panels[0].height);
    let x0 = 0;
    for (const panel of panels) {
      for (let y = 0; y < panel.height; y++) sheet.data.set(panel.data.subarray(y * panel.width * 3, (y + 1) * panel.width * 3), (y * width + x0) * 3);
      x0 += panel.width + 4;
    }
    const file = join(out, `${pad(Math.floor(frame / 1000))}_${pad(imId)}.png`);
    await writeFileAtomic(file, await encodePng(sheet.data, sheet.width, sheet.height, 'rgb8'));
    written.push(file);
  }
  return written;
}
