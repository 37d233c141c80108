/**
 * The BOP layout (docs: bop_toolkit docs/bop_datasets_format.md), with COCO annotations beside it:
 *
 *   camera.json
 *   models/models_info.json, models/obj_%06d.ply (mm)
 *   train_pbr/%06d/ (chunks of 1000 frames)
 *     rgb/%06d.png  depth/%06d.png (uint16, depth_scale in scene_camera.json)
 *     mask/%06d_%06d.png  mask_visib/%06d_%06d.png
 *     scene_gt.json  scene_camera.json  scene_gt_info.json  scene_gt_coco.json
 *     semantic/%06d.png (category id per pixel, 0 background; ids as in semantic_classes.json)
 *     scene_sensor.json (with a `sensor` block: per frame the sensor effects its image got)
 *     rgb_refined/%06d.png  scene_refine.json (with `render --refine`: refined images beside the
 *       raw renders, and per frame the refiner's settings and label-preservation scores)
 *   semantic_classes.json (the category table of semantic/ and of COCO: id, name, supercategory)
 *   coco_annotations.json (every chunk in one COCO file, file names relative to the dataset root)
 *
 * A frame is committed by its record (train_pbr/%06d/.frames/%06d.json), written atomically after
 * all of its images; the chunk JSON files are rebuilt from the records, so any set of frame ranges
 * rendered into one folder, in any order, gives the same files as one run.
 */
import { existsSync, mkdirSync, promises as fs, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { invertPose } from '../geometry/transforms.js';
import type { ObjectLabel } from '../labels/bop-gt.js';
import type { FrameRefineRecord, RefinedFrame } from '../refine/checked.js';
import type { RobotLabel } from '../labels/robot.js';
import { computeModelInfo } from '../labels/models-info.js';
import type { FrameImages } from '../labels/pixels.js';
import { semanticClasses, semanticImage } from '../labels/semantic.js';
import { encodeRegionRle } from '../labels/rle.js';
import type { FrameDescription } from '../scene/frame.js';
import type { ModelCatalog } from '../scene/models.js';
import { removeStaleTemps, writeFileAtomic, writeFilesAtomic, type FileToWrite } from './atomic.js';
import { encodePng, encodeRegionMaskPng } from './png.js';
import { encodePly } from './ply.js';

export const CHUNK_SIZE = 1000;
export const SPLIT = 'train_pbr';
const RECORDS = '.frames';

export type Format = 'bop' | 'coco';

const pad = (n: number) => String(n).padStart(6, '0');
const round = (v: number, digits: number) => Number(v.toFixed(digits));

export function chunkOf(frame: number): { chunk: number; imId: number } {
  return { chunk: Math.floor(frame / CHUNK_SIZE), imId: frame % CHUNK_SIZE };
}

/** Everything the chunk files need from one frame. */
export interface FrameRecord {
  frame: number;
  seed: number;
  scene_gt: { cam_R_m2c: number[]; cam_t_m2c: number[]; obj_id: number }[];
  scene_camera: { cam_K: number[]; cam_R_w2c: number[]; cam_t_w2c: number[]; depth_scale: number };
  scene_gt_info: {
    bbox_obj: number[];
    bbox_visib: number[];
    px_count_all: number;
    px_count_valid: number;
    px_count_visib: number;
    visib_fract: number;
  }[];
  scene_robot: {
    name: string;
    joints: Record<string, number>;
    cam_R_b2c: number[];
    cam_t_b2c: number[];
    links: { link: string; obj_id: number; gt_index: number }[];
    keypoints: { name: string; xyz_cam: number[]; uv: number[]; visibility: 0 | 1 | 2 }[];
    bbox_visib: number[];
    px_count_visib: number;
  }[];
  coco: {
    image: { id: number; file_name: string; width: number; height: number };
    annotations: CocoAnnotation[];
  };
  description: FrameDescription;
  /** With `render --refine`: how the refined image was made and scored. */
  refine?: FrameRefineRecord;
}

/** The refiner run's settings, written at the head of each chunk's scene_refine.json. */
export interface RefineRunInfo {
  model: string;
  steps: number;
  seed: number;
}

interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  iscrowd: 0;
  area: number;
  bbox: number[];
  segmentation: { size: [number, number]; counts: string };
  keypoints?: number[];
  num_keypoints?: number;
}

export interface DatasetIdentity {
  scene: string;
  classes: string[];
  /** Robots: COCO keypoint categories after the object classes. */
  robots: { name: string; keypoints: string[]; skeleton: [number, number][] }[];
  /** `file`: a `mesh.folder` model's file, relative to the scene file. */
  models: { obj_id: number; key: string; class: string; file?: string }[];
  width: number;
  height: number;
}

export class BopWriter {
  private readonly touchedChunks = new Set<number>();
  constructor(
    readonly root: string,
    private readonly catalog: ModelCatalog,
    private readonly identity: DatasetIdentity,
    private readonly formats: ReadonlySet<Format>,
    private readonly refineRun?: RefineRunInfo,
    /** Declared symmetries of each object class (by class index), for models_info.json. */
    private readonly classSymmetries: readonly (ClassSymmetries | undefined)[] = [],
  ) {}

  /** Create the folder, or check that an existing one holds the same scene's models. */
  async prepare(camera: { fx: number; fy: number; cx: number; cy: number; width: number; height: number; depthScale: number }): Promise<void> {
    const marker = join(this.root, 'robosynth.json');
    if (existsSync(marker)) {
      const existing = JSON.parse(readFileSync(marker, 'utf8')) as DatasetIdentity;
      if (JSON.stringify(existing) !== JSON.stringify(this.identity)) {
        throw new UserError(`${this.root} already holds a dataset of another scene, models or image size (see ${marker}); choose another --out`);
      }
    } else if (existsSync(this.root) && readdirSync(this.root).length > 0) {
      throw new UserError(`${this.root} exists and is not a robosynth dataset; choose an empty or new --out folder`);
    }
    mkdirSync(join(this.root, 'models'), { recursive: true });
    await removeStaleTemps(this.root);
    const files: FileToWrite[] = [
      { path: marker, data: JSON.stringify(this.identity, null, 2) + '\n' },
      {
        path: join(this.root, 'camera.json'),
        data: JSON.stringify({ cx: camera.cx, cy: camera.cy, depth_scale: camera.depthScale, fx: camera.fx, fy: camera.fy, height: camera.height, width: camera.width }, null, 2) + '\n',
      },
    ];
    const info: Record<string, unknown> = {};
    for (const model of this.catalog.models) {
      const from = model.source !== undefined ? `, from ${model.source}` : '';
      const ply = encodePly(model.mesh, { scale: 1000, comment: `robosynth model ${model.key} (class ${model.className}${from}), millimetres` });
      files.push({ path: join(this.root, 'models', `obj_${pad(model.objId)}.ply`), data: ply });
      const mm = model.mesh.positions.map((v) => v * 1000);
      info[String(model.objId)] = { ...computeModelInfo(mm), ...bopSymmetries(this.classSymmetries[model.classIndex]) };
    }
    files.push({ path: join(this.root, 'models', 'models_info.json'), data: JSON.stringify(info, null, 2) + '\n' });
    const classes = semanticClasses(this.identity.classes, this.identity.robots.map((r) => r.name));
    files.push({ path: join(this.root, 'semantic_classes.json'), data: JSON.stringify({ background: 0, classes }, null, 2) + '\n' });
    await writeFilesAtomic(files);
  }

  /** Encode and write one frame; its record goes last, so a frame without a record never counts. */
  async writeFrame(frame: FrameDescription, images: FrameImages, labels: ObjectLabel[], robots: RobotLabel[] = [], refined?: RefinedFrame): Promise<void> {
    const { chunk, imId } = chunkOf(frame.index);
    const dir = join(this.root, SPLIT, pad(chunk));
    for (const sub of ['rgb', 'depth', 'mask', 'mask_visib', 'semantic', RECORDS, ...(refined ? ['rgb_refined'] : [])]) mkdirSync(join(dir, sub), { recursive: true });
    const { width: W, height: H } = images;
    const record = buildRecord(frame, images, labels, robots, this.identity);
    if (refined) record.refine = refined.record;
    const encodes: Promise<FileToWrite>[] = [
      encodePng(images.rgb, W, H, 'rgb8').then((data) => ({ path: join(dir, 'rgb', `${pad(imId)}.png`), data })),
      encodePng(images.depth, W, H, 'gray16').then((data) => ({ path: join(dir, 'depth', `${pad(imId)}.png`), data })),
    ];
    if (refined) encodes.push(encodePng(refined.rgb, W, H, 'rgb8').then((data) => ({ path: join(dir, 'rgb_refined', `${pad(imId)}.png`), data })));
    const semantic = semanticImage(frame, images.ids, this.identity.classes, this.identity.robots.map((r) => r.name));
    encodes.push(encodePng(semantic, W, H, semantic instanceof Uint16Array ? 'gray16' : 'gray8').then((data) => ({ path: join(dir, 'semantic', `${pad(imId)}.png`), data })));
    if (this.formats.has('bop')) {
      labels.forEach((label, k) => {
        encodes.push(encodeRegionMaskPng(label.mask).then((data) => ({ path: join(dir, 'mask', `${pad(imId)}_${pad(k)}.png`), data })));
        encodes.push(encodeRegionMaskPng(label.maskVisib).then((data) => ({ path: join(dir, 'mask_visib', `${pad(imId)}_${pad(k)}.png`), data })));
      });
    }
    await writeFilesAtomic(await Promise.all(encodes));
    await writeFileAtomic(join(dir, RECORDS, `${pad(imId)}.json`), JSON.stringify(record));
    this.touchedChunks.add(chunk);
  }

  /** Rebuild the JSON files of every chunk this run touched, and the dataset-wide COCO file. */
  async finish(): Promise<{ chunks: number; frames: number }> {
    let frames = 0;
    const chunkDirs = existsSync(join(this.root, SPLIT)) ? readdirSync(join(this.root, SPLIT)).filter((d) => /^\d{6}$/.test(d)).sort() : [];
    const cocoImages: FrameRecord['coco']['image'][] = [];
    const cocoAnnotations: FrameRecord['coco']['annotations'] = [];
    for (const name of chunkDirs) {
      const dir = join(this.root, SPLIT, name);
      const records = await readRecords(dir);
      frames += records.length;
      for (const record of records) {
        cocoImages.push({ ...record.coco.image, file_name: `${SPLIT}/${name}/${record.coco.image.file_name}` });
        cocoAnnotations.push(...record.coco.annotations);
      }
      if (!this.touchedChunks.has(Number(name))) continue;
      const files: FileToWrite[] = [];
      const byIm = <T>(pick: (r: FrameRecord) => T) => Object.fromEntries(records.map((r) => [String(chunkOf(r.frame).imId), pick(r)]));
      files.push({ path: join(dir, 'scene_camera.json'), data: jsonLines(byIm((r) => r.scene_camera)) });
      if (this.formats.has('bop')) {
        files.push({ path: join(dir, 'scene_gt.json'), data: jsonLines(byIm((r) => r.scene_gt)) });
        files.push({ path: join(dir, 'scene_gt_info.json'), data: jsonLines(byIm((r) => r.scene_gt_info)) });
        if (this.identity.robots.length > 0) files.push({ path: join(dir, 'scene_robot.json'), data: jsonLines(byIm((r) => r.scene_robot)) });
      }
      const sensed = records.filter((r) => r.description.sensor && Object.keys(r.description.sensor).length > 0);
      if (sensed.length) files.push({ path: join(dir, 'scene_sensor.json'), data: jsonLines(Object.fromEntries(sensed.map((r) => [String(chunkOf(r.frame).imId), r.description.sensor]))) });
      const refinedRecords = records.filter((r) => r.refine);
      if (this.refineRun && refinedRecords.length) {
        const frames = Object.fromEntries(refinedRecords.map((r) => [String(chunkOf(r.frame).imId), r.refine!]));
        files.push({ path: join(dir, 'scene_refine.json'), data: sceneRefineJson(this.refineRun, frames) });
      }
      if (this.formats.has('coco')) {
        files.push({ path: join(dir, 'scene_gt_coco.json'), data: JSON.stringify(cocoFile(this.identity, records.map((r) => r.coco.image), records.flatMap((r) => r.coco.annotations))) });
      }
      await writeFilesAtomic(files);
    }
    if (this.formats.has('coco')) {
      await writeFileAtomic(join(this.root, 'coco_annotations.json'), JSON.stringify(cocoFile(this.identity, cocoImages, cocoAnnotations)));
    }
    return { chunks: chunkDirs.length, frames };
  }
}

/** A class's declared symmetries, as the scene file gives them (BOP's units: mm). */
export interface ClassSymmetries {
  discrete: number[][];
  continuous: { axis: number[]; offset: number[] }[];
}

/** models_info.json's symmetry fields (BOP): only those declared. */
function bopSymmetries(symmetries: ClassSymmetries | undefined): Record<string, unknown> {
  if (!symmetries) return {};
  return {
    ...(symmetries.discrete.length ? { symmetries_discrete: symmetries.discrete } : {}),
    ...(symmetries.continuous.length ? { symmetries_continuous: symmetries.continuous } : {}),
  };
}

/** scene_refine.json: the run's settings, then one frame per line. */
export function sceneRefineJson(run: RefineRunInfo, frames: Record<string, FrameRefineRecord>): string {
  const head = Object.entries(run).map(([key, value]) => `  ${JSON.stringify(key)}: ${JSON.stringify(value)},`);
  const body = jsonLines(frames).trimEnd().split('\n').map((line) => `  ${line}`).join('\n').trimStart();
  return `{\n${head.join('\n')}\n  "frames": ${body}\n}\n`;
}

/** One key per line: readable, diffable and still plain JSON. */
function jsonLines(object: Record<string, unknown>): string {
  const entries = Object.entries(object).map(([key, value]) => `  ${JSON.stringify(key)}: ${JSON.stringify(value)}`);
  return `{\n${entries.join(',\n')}\n}\n`;
}

async function readRecords(dir: string): Promise<FrameRecord[]> {
  const folder = join(dir, RECORDS);
  if (!existsSync(folder)) return [];
  const names = (await fs.readdir(folder)).filter((n) => /^\d{6}\.json$/.test(n)).sort();
  return Promise.all(names.map(async (n) => JSON.parse(await fs.readFile(join(folder, n), 'utf8')) as FrameRecord));
}

function cocoFile(identity: DatasetIdentity, images: unknown[], annotations: unknown[]) {
  return {
    info: { description: `robosynth synthetic dataset of ${identity.scene}`, version: '1.0' },
    licenses: [],
    // One category table for COCO and semantic/; robots are COCO keypoint categories (skeleton edges 1-based).
    categories: semanticClasses(identity.classes, identity.robots.map((r) => r.name)).map((c) => {
      const robot = identity.robots.find((r) => c.supercategory === 'robot' && r.name === c.name);
      return robot ? { ...c, keypoints: robot.keypoints, skeleton: robot.skeleton.map(([a, b]) => [a + 1, b + 1]) } : c;
    }),
    images,
    annotations,
  };
}

export function buildRecord(frame: FrameDescription, images: FrameImages, labels: ObjectLabel[], robots: RobotLabel[], identity: DatasetIdentity): FrameRecord {
  const { camera } = frame;
  const { imId } = chunkOf(frame.index);
  const w2c = invertPose(camera.pose);
  const imageId = frame.index;
  return {
    frame: frame.index,
    seed: frame.seed,
    scene_gt: labels.map((l) => ({ cam_R_m2c: l.camRm2c.map((v) => round(v, 9)), cam_t_m2c: l.camTm2c.map((v) => round(v, 6)), obj_id: l.objId })),
    scene_camera: {
      cam_K: [camera.fx, 0, camera.cx, 0, camera.fy, camera.cy, 0, 0, 1],
      cam_R_w2c: w2c.R.map((v) => round(v, 9)),
      cam_t_w2c: w2c.t.map((v) => round(v * 1000, 6)),
      // depth_mm = value * depth_scale
      depth_scale: images.depthUnitM * 1000,
    },
    scene_gt_info: labels.map((l) => ({
      bbox_obj: l.bboxObj,
      bbox_visib: l.bboxVisib,
      px_count_all: l.pxCountAll,
      px_count_valid: l.pxCountValid,
      px_count_visib: l.pxCountVisib,
      visib_fract: round(l.visibFract, 6),
    })),
    coco: {
      image: { id: imageId, file_name: `rgb/${pad(imId)}.png`, width: images.width, height: images.height },
      annotations: [
        ...labels
          .map((l, k) => ({ l, k }))
          .filter(({ l }) => l.pxCountVisib > 0 && identity.classes.includes(l.className))
          .map(({ l, k }): CocoAnnotation => ({
            id: imageId * 1000 + k + 1,
            image_id: imageId,
            category_id: identity.classes.indexOf(l.className) + 1,
            iscrowd: 0,
            area: l.pxCountVisib,
            bbox: cocoBox(l.bboxVisib),
            segmentation: encodeRegionRle(l.maskVisib),
          })),
        ...robots
          .filter((r) => r.mask.count > 0)
          .map((r): CocoAnnotation => ({
            id: imageId * 1000 + 900 + identity.robots.findIndex((x) => x.name === r.name),
            image_id: imageId,
            category_id: identity.classes.length + identity.robots.findIndex((x) => x.name === r.name) + 1,
            iscrowd: 0,
            area: r.mask.count,
            bbox: cocoBox(r.bboxVisib),
            segmentation: encodeRegionRle(r.mask),
            // COCO: x, y, v per keypoint, and x = y = 0 for unlabeled (outside) points.
            keypoints: r.keypoints.flatMap((k) => (k.visibility === 0 ? [0, 0, 0] : [round(k.uv[0], 3), round(k.uv[1], 3), k.visibility])),
            num_keypoints: r.keypoints.filter((k) => k.visibility > 0).length,
          })),
      ],
    },
    scene_robot: robots.map((r) => ({
      name: r.name,
      joints: Object.fromEntries(Object.entries(r.joints).map(([k, v]) => [k, round(v, 9)])),
      cam_R_b2c: r.baseCamR.map((v) => round(v, 9)),
      cam_t_b2c: r.baseCamT.map((v) => round(v, 6)),
      links: r.links.map((l) => ({ link: l.link, obj_id: l.objId, gt_index: l.gtIndex })),
      keypoints: r.keypoints.map((k) => ({ name: k.name, xyz_cam: k.xyzCam.map((v) => round(v, 6)), uv: k.uv.map((v) => round(v, 4)), visibility: k.visibility })),
      bbox_visib: r.bboxVisib,
      px_count_visib: r.mask.count,
    })),
    description: frame,
  };
}

/** COCO boxes cover whole pixels: [x, y, width, height] with width = xmax - xmin + 1. */
function cocoBox([x, y, w, h]: number[]): number[] {
  return [x, y, w + 1, h + 1];
}
