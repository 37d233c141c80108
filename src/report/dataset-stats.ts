/**
 * What the dataset report plots, read from a written dataset folder (BOP files plus robosynth's
 * own robosynth.json, robosynth_runs.json, scene_refine.json and scene_sensor.json, all optional
 * except train_pbr/): instances per class, visibility fractions, object distances, camera
 * viewpoints, objects per image, run timings, and per-channel pixel statistics of raw and refined
 * images. Plain numbers only; drawing is src/report/report.ts's business.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { UserError } from '../errors.js';
import { readJson } from '../inspect/overlay.js';
import { RUN_LOG, type RunEntry } from '../writers/run-log.js';

const pad = (n: number) => String(n).padStart(6, '0');

/** One frame of the dataset. */
export interface FrameRef {
  chunk: string;
  im: number;
  /** Dataset frame index: chunk * 1000 + im. */
  frame: number;
  /** Labeled objects (scene_gt entries). */
  objects: number;
  rgb: string;
  /** The refined image, when rgb_refined/ has this frame. */
  refined?: string;
}

export interface Viewpoint {
  frame: number;
  /** Degrees from the world's +x axis, counter-clockwise seen from above, in (-180, 180]. */
  azimuthDeg: number;
  /** Degrees above the horizontal plane through the target. */
  elevationDeg: number;
  /** Camera centre to target (m). */
  distanceM: number;
}

export interface ClassCount {
  name: string;
  /** Every labeled instance (scene_gt entry). */
  instances: number;
  /** Instances with visib_fract >= 0.1 (the BOP evaluation's threshold). */
  visible: number;
}

export interface DatasetStats {
  /** Absolute path of the dataset folder. */
  dataset: string;
  /** Scene file name from robosynth.json; undefined for a BOP dataset robosynth did not write. */
  scene?: string;
  classes: string[];
  robots: string[];
  width?: number;
  height?: number;
  chunks: string[];
  frames: FrameRef[];
  classCounts: ClassCount[];
  /** visib_fract of every instance. */
  visibFract: number[];
  /** |cam_t_m2c| of every instance (m). */
  distancesM: number[];
  /** One per frame whose scene_camera.json entry has the world-to-camera pose. */
  viewpoints: Viewpoint[];
  /** What the viewpoints are measured around. */
  viewpointTarget: 'mean object position' | 'world origin';
  objectsPerImage: number[];
  runs: RunEntry[];
  refinedFrames: number;
  /** scene_refine.json summary, when present. */
  refine?: { frames: number; flagged: number; meanSsim: number; meanEdgeAlignment: number };
  /** scene_sensor.json summary: frames that have a record and how many of them each effect fired in. */
  sensor?: { frames: number; fired: Record<string, number> };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A chunk JSON file keyed by image id, each value checked with `ok`; anything else is a UserError naming the file. */
function readPerImage<T>(path: string, what: string, ok: (value: unknown) => boolean): Record<string, T> {
  const data = readJson<unknown>(path);
  if (!isObject(data)) throw new UserError(`${path}: expected an object keyed by image id`);
  for (const [im, value] of Object.entries(data)) {
    if (!/^\d+$/.test(im) || !ok(value)) throw new UserError(`${path}: image "${im}": expected ${what}`);
  }
  return data as Record<string, T>;
}

const isNumbers = (v: unknown, n: number) => Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && Number.isFinite(x));

interface GtEntry { cam_R_m2c: number[]; cam_t_m2c: number[]; obj_id: number }
interface GtInfo { visib_fract: number }
interface CameraEntry { cam_K: number[]; cam_R_w2c?: number[]; cam_t_w2c?: number[] }
interface Identity { scene?: string; classes?: string[]; robots?: { name: string }[]; models?: { obj_id: number; class: string }[] }

const gtOk = (v: unknown) => Array.isArray(v) && v.every((g) => isObject(g) && isNumbers(g.cam_R_m2c, 9) && isNumbers(g.cam_t_m2c, 3) && Number.isInteger(g.obj_id));
const infoOk = (v: unknown) => Array.isArray(v) && v.every((g) => isObject(g) && typeof g.visib_fract === 'number');
const cameraOk = (v: unknown) => isObject(v) && isNumbers(v.cam_K, 9) && (v.cam_R_w2c === undefined || isNumbers(v.cam_R_w2c, 9)) && (v.cam_t_w2c === undefined || isNumbers(v.cam_t_w2c, 3));

/** The dataset folder, checked: it exists, is a folder, and has train_pbr/. */
export function checkDataset(dataset: string): string {
  if (!existsSync(dataset)) throw new UserError(`${dataset}: no such folder (expected a dataset folder written by robosynth render)`);
  if (!statSync(dataset).isDirectory()) throw new UserError(`${dataset}: not a folder (expected a dataset folder written by robosynth render)`);
  if (!existsSync(join(dataset, 'train_pbr'))) throw new UserError(`${dataset}: not a robosynth/BOP dataset (no train_pbr/ folder)`);
  return resolve(dataset);
}

/** Class name of each obj_id: the model's class, robot links grouped under their robot; obj_NNNNNN without robosynth.json. */
function classOf(identity: Identity): (objId: number) => string {
  const robots = (identity.robots ?? []).map((r) => r.name);
  const classes = new Set(identity.classes ?? []);
  const byId = new Map<number, string>();
  for (const m of identity.models ?? []) {
    const robot = classes.has(m.class) ? undefined : robots.find((r) => m.class.startsWith(`${r}.`));
    byId.set(m.obj_id, robot !== undefined ? `${robot} (links)` : m.class);
  }
  return (objId) => byId.get(objId) ?? `obj_${pad(objId)}`;
}

/** Camera centre in the world (m): C = -Rᵀ t, t in mm. */
export function cameraCentre(R: number[], tMm: number[]): [number, number, number] {
  return [0, 1, 2].map((k) => -(R[k] * tMm[0] + R[3 + k] * tMm[1] + R[6 + k] * tMm[2]) / 1000) as [number, number, number];
}

/** An object's origin in the world (m): x_w = Rᵀ (t_m2c − t_w2c), both in mm. */
export function objectInWorld(R: number[], tW2c: number[], tM2c: number[]): [number, number, number] {
  const d = [0, 1, 2].map((k) => tM2c[k] - tW2c[k]);
  return [0, 1, 2].map((k) => (R[k] * d[0] + R[3 + k] * d[1] + R[6 + k] * d[2]) / 1000) as [number, number, number];
}

/** Azimuth, elevation and distance of a camera centre around a target (world: Z up). */
export function viewpointOf(centre: [number, number, number], target: [number, number, number]): { azimuthDeg: number; elevationDeg: number; distanceM: number } {
  const [dx, dy, dz] = [0, 1, 2].map((k) => centre[k] - target[k]);
  const horizontal = Math.hypot(dx, dy);
  return {
    azimuthDeg: (Math.atan2(dy, dx) * 180) / Math.PI,
    elevationDeg: (Math.atan2(dz, horizontal) * 180) / Math.PI,
    distanceM: Math.hypot(dx, dy, dz),
  };
}

/** Reads everything the report plots except pixels (see {@link pixelStats}). */
export function readDatasetStats(datasetPath: string): DatasetStats {
  const dataset = checkDataset(datasetPath);
  const split = join(dataset, 'train_pbr');
  const identityFile = join(dataset, 'robosynth.json');
  const identityJson = existsSync(identityFile) ? readJson<unknown>(identityFile) : {};
  if (!isObject(identityJson) || !['classes', 'models', 'robots'].every((key) => identityJson[key] === undefined || Array.isArray(identityJson[key]))) {
    throw new UserError(`${identityFile}: expected an object with scene, classes, robots and models lists`);
  }
  const identity = identityJson as Identity;
  const camera = existsSync(join(dataset, 'camera.json')) ? readJson<{ width?: number; height?: number }>(join(dataset, 'camera.json')) : {};
  const className = classOf(identity);
  const chunks = readdirSync(split).filter((d) => /^\d{6}$/.test(d) && existsSync(join(split, d, 'scene_gt.json'))).sort();
  if (!chunks.length) throw new UserError(`${datasetPath}: no frames (no train_pbr/<chunk>/scene_gt.json)`);

  const frames: FrameRef[] = [];
  const counts = new Map<string, ClassCount>();
  for (const name of identity.classes ?? []) counts.set(name, { name, instances: 0, visible: 0 });
  const visibFract: number[] = [];
  const distancesM: number[] = [];
  const viewpoints: Viewpoint[] = [];
  let targetKind: DatasetStats['viewpointTarget'] = 'mean object position';
  const refineScores = { frames: 0, flagged: 0, ssim: 0, edge: 0 };
  let sensor: DatasetStats['sensor'];

  for (const chunk of chunks) {
    const dir = join(split, chunk);
    const gt = readPerImage<GtEntry[]>(join(dir, 'scene_gt.json'), 'a list of {cam_R_m2c, cam_t_m2c, obj_id}', gtOk);
    const info = existsSync(join(dir, 'scene_gt_info.json')) ? readPerImage<GtInfo[]>(join(dir, 'scene_gt_info.json'), 'a list of {visib_fract, ...}', infoOk) : {};
    const cams = existsSync(join(dir, 'scene_camera.json')) ? readPerImage<CameraEntry>(join(dir, 'scene_camera.json'), 'an object with cam_K (and cam_R_w2c, cam_t_w2c)', cameraOk) : {};
    for (const im of Object.keys(gt).map(Number).sort((a, b) => a - b)) {
      const gts = gt[String(im)];
      const infos = info[String(im)] ?? [];
      const refined = join(dir, 'rgb_refined', `${pad(im)}.png`);
      frames.push({ chunk, im, frame: Number(chunk) * 1000 + im, objects: gts.length, rgb: join(dir, 'rgb', `${pad(im)}.png`), ...(existsSync(refined) ? { refined } : {}) });
      gts.forEach((g, k) => {
        const name = className(g.obj_id);
        const count = counts.get(name) ?? { name, instances: 0, visible: 0 };
        counts.set(name, count);
        count.instances++;
        const v = infos[k]?.visib_fract;
        if (v !== undefined) {
          visibFract.push(v);
          if (v >= 0.1) count.visible++;
        }
        distancesM.push(Math.hypot(g.cam_t_m2c[0], g.cam_t_m2c[1], g.cam_t_m2c[2]) / 1000);
      });
      const cam = cams[String(im)];
      if (cam?.cam_R_w2c && cam.cam_t_w2c) {
        const R = cam.cam_R_w2c, t = cam.cam_t_w2c;
        const world = gts.map((g) => objectInWorld(R, t, g.cam_t_m2c));
        const target: [number, number, number] = world.length ? [0, 1, 2].map((k) => world.reduce((s, p) => s + p[k], 0) / world.length) as [number, number, number] : [0, 0, 0];
        if (!world.length) targetKind = 'world origin';
        viewpoints.push({ frame: Number(chunk) * 1000 + im, ...viewpointOf(cameraCentre(R, t), target) });
      }
    }
    const refinePath = join(dir, 'scene_refine.json');
    if (existsSync(refinePath)) {
      const log = readJson<{ frames?: Record<string, { ssim?: number; edge_alignment?: number; flagged?: boolean }> }>(refinePath);
      for (const entry of Object.values(isObject(log) && isObject(log.frames) ? log.frames : {})) {
        if (!isObject(entry)) continue;
        refineScores.frames++;
        if (entry.flagged) refineScores.flagged++;
        refineScores.ssim += typeof entry.ssim === 'number' ? entry.ssim : 0;
        refineScores.edge += typeof entry.edge_alignment === 'number' ? entry.edge_alignment : 0;
      }
    }
    const sensorPath = join(dir, 'scene_sensor.json');
    if (existsSync(sensorPath)) {
      const records = readJson<Record<string, unknown>>(sensorPath);
      sensor ??= { frames: 0, fired: {} };
      for (const record of Object.values(isObject(records) ? records : {})) {
        if (!isObject(record)) continue;
        sensor.frames++;
        for (const [effect, params] of Object.entries(record)) if (params !== undefined && params !== null) sensor.fired[effect] = (sensor.fired[effect] ?? 0) + 1;
      }
    }
  }
  if (!frames.length) throw new UserError(`${datasetPath}: no frames (every train_pbr/<chunk>/scene_gt.json is empty)`);

  let runs: RunEntry[] = [];
  if (existsSync(join(dataset, RUN_LOG))) {
    const log = readJson<{ runs?: unknown }>(join(dataset, RUN_LOG));
    if (!isObject(log) || !Array.isArray(log.runs)) throw new UserError(`${join(dataset, RUN_LOG)}: expected {"runs": [...]}`);
    runs = (log.runs as unknown[]).filter((r): r is RunEntry => isObject(r) && typeof r.frames_per_second === 'number' && isObject(r.stage_ms));
  }

  return {
    dataset,
    ...(typeof identity.scene === 'string' ? { scene: identity.scene } : {}),
    classes: identity.classes ?? [],
    robots: (identity.robots ?? []).map((r) => r.name),
    ...(typeof camera.width === 'number' && typeof camera.height === 'number' ? { width: camera.width, height: camera.height } : {}),
    chunks,
    frames,
    classCounts: [...counts.values()],
    visibFract,
    distancesM,
    viewpoints,
    viewpointTarget: targetKind,
    objectsPerImage: frames.map((f) => f.objects),
    runs,
    refinedFrames: frames.filter((f) => f.refined).length,
    ...(refineScores.frames
      ? { refine: { frames: refineScores.frames, flagged: refineScores.flagged, meanSsim: refineScores.ssim / refineScores.frames, meanEdgeAlignment: refineScores.edge / refineScores.frames } }
      : {}),
    ...(sensor ? { sensor } : {}),
  };
}

/** `n` items spread evenly over `items`, first and last included (all of them when n >= length). */
export function evenlySpread<T>(items: readonly T[], n: number): T[] {
  if (n >= items.length) return [...items];
  if (n <= 0) return [];
  if (n === 1) return [items[0]];
  return Array.from({ length: n }, (_, k) => items[Math.round((k * (items.length - 1)) / (n - 1))]);
}

export interface PixelStats {
  images: number;
  /** Pixels sampled per channel. */
  pixels: number;
  /** Per channel (R, G, B) the count of each 8-bit level. */
  histogram: [number[], number[], number[]];
  mean: [number, number, number];
  std: [number, number, number];
}

/** Decode a PNG, a UserError naming it when it cannot be read. */
export function readPng(path: string): PNG {
  try {
    return PNG.sync.read(readFileSync(path));
  } catch (error) {
    throw new UserError(`${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `not a readable PNG (${(error as Error).message})`}`);
  }
}

/** Per-channel histograms, means and standard deviations over every `step`-th pixel of the images. */
export function pixelStats(paths: readonly string[], step = 4): PixelStats {
  const histogram: [number[], number[], number[]] = [new Array<number>(256).fill(0), new Array<number>(256).fill(0), new Array<number>(256).fill(0)];
  let pixels = 0;
  for (const path of paths) {
    const png = readPng(path);
    const n = png.width * png.height;
    for (let p = 0; p < n; p += step) {
      const o = p * 4;
      histogram[0][png.data[o]]++;
      histogram[1][png.data[o + 1]]++;
      histogram[2][png.data[o + 2]]++;
      pixels++;
    }
  }
  const mean = [0, 1, 2].map((c) => (pixels ? histogram[c].reduce((s, count, level) => s + count * level, 0) / pixels : 0)) as [number, number, number];
  const std = [0, 1, 2].map((c) => (pixels ? Math.sqrt(histogram[c].reduce((s, count, level) => s + count * (level - mean[c]) ** 2, 0) / pixels) : 0)) as [number, number, number];
  return { images: paths.length, pixels, histogram, mean, std };
}
