// End-to-end: render the default scene with the real CLI (in a child process) and check the dataset
// with readers that know only the BOP and COCO formats (test/readers/**, which import nothing from
// src/). Labels are checked against geometry recomputed here from the PLY models, the poses and K.
//
// Set ROBOSYNTH_E2E_DIR=<dir> to keep the rendered datasets there (and to reuse them if <dir>/ds,
// <dir>/ds2 and <dir>/part already exist: handy to run the checks against a hand-corrupted copy).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  BopDataset, bopBbox, maskPixels, missingFiles, pngHeader, readGrayPng, readJson, readMask,
  type CameraEntry, type GtEntry, type GtInfoEntry,
} from '../readers/bop.js';
import { cocoBboxOfMask, decodeRle, rleArea, type CocoFile, type CocoRle } from '../readers/coco-rle.js';
import { parsePly, type PlyMesh } from '../readers/ply.js';
import { intrinsicsFromK, iou, maskStats, rasterize, transformPoints, type Intrinsics, type Raster } from '../readers/raster.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCENE = 'scenes/tabletop.yaml';
const SEED = '7';
const FRAMES = 4;

let work = '';
let keep = false;
let full: BopDataset; // --frames 4
let again: BopDataset; // the same command again
let part: BopDataset; // --start 2 --frames 2

function run(args: string[]): void {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 110_000 });
  if (r.status !== 0) {
    throw new Error(`node ${args.join(' ')} failed (status ${r.status}, signal ${r.signal}):\n${r.stdout}\n${r.stderr}`);
  }
}

beforeAll(() => {
  const fixed = process.env.ROBOSYNTH_E2E_DIR;
  keep = Boolean(fixed);
  work = fixed ?? mkdtempSync(join(tmpdir(), 'robosynth-e2e-'));
  mkdirSync(work, { recursive: true });
  const out = (name: string) => join(work, name);
  if (!(fixed && ['ds', 'ds2', 'part'].every((n) => existsSync(out(n))))) {
    for (const n of ['ds', 'ds2', 'part']) rmSync(out(n), { recursive: true, force: true });
    run(['scripts/build.mjs']);
    const render = ['bin/robosynth.js', 'render', SCENE, '--seed', SEED];
    run([...render, '--frames', String(FRAMES), '--out', out('ds')]);
    run([...render, '--frames', String(FRAMES), '--out', out('ds2')]);
    run([...render, '--start', '2', '--frames', '2', '--out', out('part')]);
  }
  full = new BopDataset(out('ds'));
  again = new BopDataset(out('ds2'));
  part = new BopDataset(out('part'));
}, 120_000);

afterAll(() => {
  if (work && !keep) rmSync(work, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Shared loading (memoized: several tests look at the same objects)

interface Frame {
  scene: number;
  im: number;
  gts: GtEntry[];
  infos: GtInfoEntry[];
  cam: CameraEntry;
  K: Intrinsics;
}

function frames(ds: BopDataset): Frame[] {
  const out: Frame[] = [];
  for (const scene of ds.scenes()) {
    const gt = ds.sceneGt(scene), info = ds.sceneGtInfo(scene), cams = ds.sceneCamera(scene);
    for (const [im, gts] of [...gt].sort((a, b) => a[0] - b[0])) {
      const cam = cams.get(im), infos = info.get(im);
      if (!cam || !infos) throw new Error(`scene ${scene} image ${im}: missing scene_camera or scene_gt_info entry`);
      out.push({ scene, im, gts, infos, cam, K: intrinsicsFromK(cam.cam_K) });
    }
  }
  return out;
}

const models = new Map<string, PlyMesh>();
function model(ds: BopDataset, objId: number): PlyMesh {
  const path = ds.modelPath(objId);
  let m = models.get(path);
  if (!m) models.set(path, (m = parsePly(readFileSync(path))));
  return m;
}

interface ObjectView {
  where: string; // "scene 0 im 1 gt 3 (obj 2)" for messages
  f: Frame;
  g: number;
  info: GtInfoEntry;
  W: number;
  H: number;
  mask: Uint8Array; // mask/ (amodal, in image)
  visib: Uint8Array; // mask_visib/
  raster: Raster; // our rendering of the model, image-sized
  big: Raster; // our rendering on a 3x canvas (x0 = -W, y0 = -H)
}

const views = new Map<string, ObjectView>();
function objectView(ds: BopDataset, f: Frame, g: number): ObjectView {
  const key = `${ds.root}|${f.scene}|${f.im}|${g}`;
  const hit = views.get(key);
  if (hit) return hit;
  const { width: W, height: H } = ds.camera();
  const gt = f.gts[g];
  const m = model(ds, gt.obj_id);
  const cam = transformPoints(m.vertices, gt.cam_R_m2c, gt.cam_t_m2c);
  const v: ObjectView = {
    where: `scene ${f.scene} im ${f.im} gt ${g} (obj ${gt.obj_id})`,
    f, g, info: f.infos[g], W, H,
    mask: readMask(ds.maskPath(f.scene, f.im, g)).mask,
    visib: readMask(ds.maskVisibPath(f.scene, f.im, g)).mask,
    raster: rasterize(cam, m.faces, f.K, W, H),
    big: rasterize(cam, m.faces, f.K, 3 * W, 3 * H, { x0: -W, y0: -H }),
  };
  views.set(key, v);
  return v;
}

function allViews(ds: BopDataset): ObjectView[] {
  return frames(ds).flatMap((f) => f.gts.map((_, g) => objectView(ds, f, g)));
}

const count = (m: Uint8Array): number => m.reduce((a, b) => a + (b ? 1 : 0), 0);
const fmt = (x: number, d = 4): string => x.toFixed(d);

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** For a failure message: how two PNGs of the same size differ, pixel-wise. */
function pngDifference(a: string, b: string): string {
  if (!a.endsWith('.png')) return 'bytes differ';
  const x = PNG.sync.read(readFileSync(a), { skipRescale: true }), y = PNG.sync.read(readFileSync(b), { skipRescale: true });
  if (x.width !== y.width || x.height !== y.height) return `sizes ${x.width}x${x.height} vs ${y.width}x${y.height}`;
  const dx = x.data as unknown as ArrayLike<number>, dy = y.data as unknown as ArrayLike<number>;
  let px = 0, max = 0;
  for (let k = 0; k < x.width * x.height; k++) {
    let d = 0;
    for (let c = 0; c < 4; c++) d = Math.max(d, Math.abs(dx[4 * k + c] - dy[4 * k + c]));
    if (d) px++;
    max = Math.max(max, d);
  }
  return px ? `${px} pixels differ, max |difference| ${max}` : 'same pixels, bytes differ';
}

function isRotation(R: number[], tol = 1e-5): boolean {
  if (R.length !== 9) return false;
  for (let a = 0; a < 3; a++) {
    for (let b = 0; b < 3; b++) {
      const dot = R[3 * a] * R[3 * b] + R[3 * a + 1] * R[3 * b + 1] + R[3 * a + 2] * R[3 * b + 2];
      if (Math.abs(dot - (a === b ? 1 : 0)) > tol) return false;
    }
  }
  const det = R[0] * (R[4] * R[8] - R[5] * R[7]) - R[1] * (R[3] * R[8] - R[5] * R[6]) + R[2] * (R[3] * R[7] - R[4] * R[6]);
  return Math.abs(det - 1) < tol;
}

const UNOCCLUDED = 0.98;

// ---------------------------------------------------------------------------------------------

describe('robosynth render → BOP/COCO dataset (tabletop.yaml, seed 7)', () => {
  it('1. layout: every file the BOP format names exists and decodes as specified', () => {
    const problems: string[] = [];
    const missing = missingFiles(full.requiredFiles());
    expect(missing, 'missing files').toEqual([]);

    const camera = full.camera();
    const { width: W, height: H } = camera;
    expect(W).toBeGreaterThan(0);
    expect(H).toBeGreaterThan(0);
    const fs = frames(full);
    expect(fs.map((f) => f.im), 'image ids').toEqual([...Array(FRAMES).keys()]);

    const info = full.modelsInfo();
    for (const [objId, mi] of info) {
      const m = model(full, objId);
      if (m.format !== 'binary_little_endian') problems.push(`obj ${objId}: PLY format ${m.format}`);
      if (m.faces.length === 0) problems.push(`obj ${objId}: PLY has no faces`);
      // models_info (mm) must describe the PLY's vertices: bbox and diameter (max vertex distance).
      const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
      for (let i = 0; i < m.vertices.length; i++) {
        lo[i % 3] = Math.min(lo[i % 3], m.vertices[i]);
        hi[i % 3] = Math.max(hi[i % 3], m.vertices[i]);
      }
      const want = [mi.min_x, mi.min_y, mi.min_z, mi.size_x, mi.size_y, mi.size_z];
      const got = [lo[0], lo[1], lo[2], hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]];
      if (want.some((x, k) => Math.abs(x - got[k]) > 1e-3)) problems.push(`obj ${objId}: models_info bbox ${want} vs PLY ${got}`);
      let diam = 0;
      for (let a = 0; a < m.vertices.length; a += 3) {
        for (let b = a + 3; b < m.vertices.length; b += 3) {
          diam = Math.max(diam, Math.hypot(m.vertices[a] - m.vertices[b], m.vertices[a + 1] - m.vertices[b + 1], m.vertices[a + 2] - m.vertices[b + 2]));
        }
      }
      if (Math.abs(diam - mi.diameter) > 1e-3 * diam) problems.push(`obj ${objId}: diameter ${mi.diameter} vs PLY ${diam}`);
      // Units: the scene's objects are 3-15 cm, so a model in mm has a diameter of tens of mm.
      if (diam < 10 || diam > 500) problems.push(`obj ${objId}: diameter ${diam} is not in mm`);
    }

    for (const f of fs) {
      const at = `scene ${f.scene} im ${f.im}`;
      const K = f.cam.cam_K;
      if (K.length !== 9 || K[1] !== 0 || K[3] !== 0 || K[6] !== 0 || K[7] !== 0 || K[8] !== 1) problems.push(`${at}: cam_K ${K} is not [fx,0,cx,0,fy,cy,0,0,1]`);
      if (f.K.fx !== camera.fx || f.K.fy !== camera.fy || f.K.cx !== camera.cx || f.K.cy !== camera.cy) {
        problems.push(`${at}: cam_K ${K} disagrees with camera.json ${JSON.stringify(camera)}`);
      }
      if (!(f.cam.depth_scale > 0)) problems.push(`${at}: depth_scale ${f.cam.depth_scale}`);
      if (camera.depth_scale !== undefined && camera.depth_scale !== f.cam.depth_scale) problems.push(`${at}: depth_scale differs from camera.json`);
      if (f.cam.cam_R_w2c && !isRotation(f.cam.cam_R_w2c)) problems.push(`${at}: cam_R_w2c is not a rotation`);
      if (f.infos.length !== f.gts.length) problems.push(`${at}: ${f.gts.length} gt entries but ${f.infos.length} gt_info entries`);

      const rgb = readFileSync(full.rgbPath(f.scene, f.im));
      const rh = pngHeader(rgb);
      const decoded = PNG.sync.read(rgb);
      if (decoded.width !== W || decoded.height !== H || rh.bitDepth !== 8 || (rh.colorType !== 2 && rh.colorType !== 6)) {
        problems.push(`${at}: rgb ${decoded.width}x${decoded.height} depth ${rh.bitDepth} type ${rh.colorType}`);
      }
      const depth = readGrayPng(full.depthPath(f.scene, f.im));
      if (depth.bitDepth !== 16 || depth.width !== W || depth.height !== H) problems.push(`${at}: depth ${depth.width}x${depth.height} ${depth.bitDepth}-bit`);

      f.gts.forEach((gt, g) => {
        if (!info.has(gt.obj_id)) problems.push(`${at} gt ${g}: obj_id ${gt.obj_id} not in models_info`);
        if (!isRotation(gt.cam_R_m2c)) problems.push(`${at} gt ${g}: cam_R_m2c is not a rotation`);
        if (gt.cam_t_m2c.length !== 3 || !(gt.cam_t_m2c[2] > 0)) problems.push(`${at} gt ${g}: cam_t_m2c ${gt.cam_t_m2c}`);
        for (const p of [full.maskPath(f.scene, f.im, g), full.maskVisibPath(f.scene, f.im, g)]) {
          const { header, values } = readMask(p);
          const bad = [...values].filter((x) => x !== 0 && x !== 255);
          if (header.bitDepth !== 8 || header.width !== W || header.height !== H) problems.push(`${relative(full.root, p)}: ${header.width}x${header.height} ${header.bitDepth}-bit`);
          if (bad.length) problems.push(`${relative(full.root, p)}: values other than 0/255: ${bad.slice(0, 5)}`);
        }
      });
      // No stray masks: exactly one per gt entry.
      for (const sub of ['mask', 'mask_visib']) {
        const prefix = `${String(f.im).padStart(6, '0')}_`;
        const n = readdirSync(join(full.sceneDir(f.scene), sub)).filter((x) => x.startsWith(prefix)).length;
        if (n !== f.gts.length) problems.push(`${at}: ${n} files in ${sub}/ for ${f.gts.length} gt entries`);
      }
    }
    expect(problems).toEqual([]);
  }, 60_000);

  it('2. label geometry: masks, px_count_all and bbox_obj agree with the rasterized PLY model', () => {
    const problems: string[] = [];
    const stats = { iouVisib: [] as number[], iouMask: [] as number[], centroid: [] as number[], pxAll: [] as number[], bbox: [] as number[] };
    for (const v of allViews(full)) {
      const r = maskStats(v.raster.mask, v.W), m = maskStats(v.mask, v.W);
      const iMask = iou(v.raster.mask, v.mask);
      stats.iouMask.push(iMask);
      if (iMask < 0.95) problems.push(`${v.where}: IoU(model, mask/) = ${fmt(iMask)} (${r.count} vs ${m.count} px)`);
      if (v.info.visib_fract >= UNOCCLUDED) {
        const iVis = iou(v.raster.mask, v.visib);
        stats.iouVisib.push(iVis);
        if (iVis < 0.95) problems.push(`${v.where}: unoccluded (visib_fract ${v.info.visib_fract}) but IoU(model, mask_visib/) = ${fmt(iVis)}`);
      }
      if (r.count > 0 && m.count > 0) {
        const d = Math.hypot(r.cu - m.cu, r.cv - m.cv);
        stats.centroid.push(d);
        if (d > 1) problems.push(`${v.where}: centroid model (${fmt(r.cu, 2)}, ${fmt(r.cv, 2)}) vs mask/ (${fmt(m.cu, 2)}, ${fmt(m.cv, 2)}): ${fmt(d, 2)} px`);
      } else if (r.count !== m.count) {
        problems.push(`${v.where}: model covers ${r.count} px in the image, mask/ ${m.count}`);
      }
      // px_count_all and bbox_obj count the whole silhouette, including what falls outside the image.
      const all = count(v.big.mask);
      const rel = Math.abs(all - v.info.px_count_all) / Math.max(all, 1);
      stats.pxAll.push(rel);
      if (rel > 0.02) problems.push(`${v.where}: px_count_all ${v.info.px_count_all}, model silhouette on a 3x canvas ${all} (${fmt(100 * rel, 2)} %)`);
      if (v.info.px_count_visib > 0) {
        const { xs, ys } = maskPixels(v.big.mask, v.big.width, v.big.x0, v.big.y0);
        const want = bopBbox(xs, ys);
        const err = Math.max(...want.map((x, k) => Math.abs(x - v.info.bbox_obj[k])));
        stats.bbox.push(err);
        if (err > 2) problems.push(`${v.where}: bbox_obj ${v.info.bbox_obj}, model silhouette ${want}`);
      }
    }
    const lo = (a: number[]) => Math.min(...a), hi = (a: number[]) => Math.max(...a);
    console.log(`[e2e] geometry over ${stats.iouMask.length} objects: IoU(model, mask/) min ${fmt(lo(stats.iouMask))}; ` +
      `IoU(model, mask_visib/) over ${stats.iouVisib.length} unoccluded min ${fmt(lo(stats.iouVisib))}; ` +
      `centroid error max ${fmt(hi(stats.centroid), 3)} px; px_count_all error max ${fmt(100 * hi(stats.pxAll), 2)} %; bbox_obj error max ${hi(stats.bbox)} px`);
    expect(stats.iouVisib.length, 'no unoccluded object to check').toBeGreaterThan(0);
    expect(problems).toEqual([]);
  }, 60_000);

  it('3. counts: px_count_*, visib_fract and bbox_visib agree with the masks and the depth image', () => {
    const problems: string[] = [];
    for (const f of frames(full)) {
      const depth = readGrayPng(full.depthPath(f.scene, f.im)).data;
      const owner = new Int32Array(depth.length).fill(-1);
      f.gts.forEach((_, g) => {
        const v = objectView(full, f, g), info = v.info;
        const nVis = count(v.visib), nMask = count(v.mask);
        if (info.px_count_visib !== nVis) problems.push(`${v.where}: px_count_visib ${info.px_count_visib}, mask_visib has ${nVis}`);
        let outside = 0, valid = 0, noDepth = 0, overlap = 0;
        for (let k = 0; k < depth.length; k++) {
          if (v.visib[k] && !v.mask[k]) outside++;
          if (v.mask[k] && depth[k] > 0) valid++;
          if (v.visib[k]) {
            if (depth[k] === 0) noDepth++;
            if (owner[k] >= 0) overlap++;
            owner[k] = g;
          }
        }
        if (outside) problems.push(`${v.where}: ${outside} mask_visib pixels outside mask/`);
        if (noDepth) problems.push(`${v.where}: ${noDepth} visible pixels without depth`);
        if (overlap) problems.push(`${v.where}: ${overlap} mask_visib pixels also visible for another object`);
        if (info.px_count_valid !== valid) problems.push(`${v.where}: px_count_valid ${info.px_count_valid}, mask/ pixels with depth > 0: ${valid}`);
        if (info.px_count_all < nMask) problems.push(`${v.where}: px_count_all ${info.px_count_all} < ${nMask} pixels of mask/`);
        const fract = info.px_count_all > 0 ? info.px_count_visib / info.px_count_all : 0;
        if (Math.abs(info.visib_fract - fract) > 1e-5) problems.push(`${v.where}: visib_fract ${info.visib_fract}, px_count_visib/px_count_all = ${fract}`);
        const vis = maskPixels(v.visib, v.W);
        const bv = bopBbox(vis.xs, vis.ys);
        if (bv.some((x, k) => x !== info.bbox_visib[k])) problems.push(`${v.where}: bbox_visib ${info.bbox_visib}, mask_visib pixels ${bv}`);
        // A silhouette whose bbox_obj lies inside the image is entirely in mask/: exact agreement.
        const [bx, by, bw, bh] = info.bbox_obj;
        if (info.px_count_visib > 0 && bx >= 0 && by >= 0 && bx + bw < v.W && by + bh < v.H) {
          const mp = maskPixels(v.mask, v.W);
          const bm = bopBbox(mp.xs, mp.ys);
          if (bm.some((x, k) => x !== info.bbox_obj[k])) problems.push(`${v.where}: bbox_obj ${info.bbox_obj} inside the image, mask/ pixels ${bm}`);
          if (nMask !== info.px_count_all) problems.push(`${v.where}: untruncated, px_count_all ${info.px_count_all} but mask/ has ${nMask}`);
        }
      });
    }
    expect(problems).toEqual([]);
  }, 60_000);

  it('4. depth agrees with the pose: visible pixels of unoccluded objects lie on the model surface', () => {
    const problems: string[] = [];
    const summary: string[] = [];
    let worstMedian = 0, worstP95 = 0, checked = 0, uncovered = 0, total = 0;
    for (const f of frames(full)) {
      const depth = readGrayPng(full.depthPath(f.scene, f.im)).data;
      f.gts.forEach((_, g) => {
        const v = objectView(full, f, g);
        if (v.info.visib_fract < UNOCCLUDED) return;
        const errs: number[] = [];
        for (let k = 0; k < depth.length; k++) {
          if (!v.visib[k]) continue;
          total++;
          const zModel = v.raster.depth[k];
          if (!Number.isFinite(zModel)) { uncovered++; continue; } // silhouette edge disagreement
          errs.push(Math.abs(depth[k] * f.cam.depth_scale - zModel));
        }
        if (errs.length === 0) return;
        errs.sort((a, b) => a - b);
        const median = errs[Math.floor(errs.length / 2)], p95 = errs[Math.min(errs.length - 1, Math.floor(0.95 * errs.length))];
        worstMedian = Math.max(worstMedian, median);
        worstP95 = Math.max(worstP95, p95);
        checked++;
        summary.push(`${v.where} med ${fmt(median, 3)} p95 ${fmt(p95, 3)}`);
        if (median >= 1 || p95 >= 3) problems.push(`${v.where}: |depth - model Z| median ${fmt(median, 3)} mm, p95 ${fmt(p95, 3)} mm, max ${fmt(errs[errs.length - 1], 2)} mm over ${errs.length} px`);
      });
    }
    console.log(`[e2e] depth over ${checked} unoccluded objects: worst median ${fmt(worstMedian, 3)} mm, worst p95 ${fmt(worstP95, 3)} mm; ` +
      `${uncovered}/${total} visible pixels outside our rasterization`);
    expect(checked, 'no unoccluded object to check').toBeGreaterThan(0);
    expect(uncovered / Math.max(total, 1), 'share of mask_visib pixels our rasterizer does not cover').toBeLessThan(0.05);
    expect(problems).toEqual([]);
  }, 60_000);

  it('5. COCO: RLE decodes to mask_visib; area, bbox, categories, images and the root file are consistent', () => {
    const problems: string[] = [];
    const { width: W, height: H } = full.camera();
    // The link BOP obj_id → class is in neither format: take it from the product's manifest.
    const manifest = readJson<{ models: { obj_id: number; class: string }[] }>(join(full.root, 'robosynth.json'));
    const classOf = new Map(manifest.models.map((m) => [m.obj_id, m.class]));
    const scene = parseYaml(readFileSync(join(ROOT, SCENE), 'utf8')) as { objects: { class: string }[] };
    const classes = [...new Set(scene.objects.map((o) => o.class))].sort();
    expect(classes.length, 'classes in the scene file').toBeGreaterThan(0);

    const root = readJson<CocoFile>(join(full.root, 'coco_annotations.json'));
    const rootImages: CocoFile['images'] = [];
    const rootAnns: CocoFile['annotations'] = [];
    let annotations = 0;
    for (const s of full.scenes()) {
      const dir = full.sceneDir(s);
      const prefix = relative(full.root, dir).split('\\').join('/');
      const coco = readJson<CocoFile>(join(dir, 'scene_gt_coco.json'));
      const catName = new Map(coco.categories.map((c) => [c.id, c.name]));
      if (catName.size !== coco.categories.length) problems.push(`scene ${s}: duplicate category ids`);
      if ([...catName.values()].sort().join() !== classes.join()) problems.push(`scene ${s}: categories ${[...catName.values()]}, scene classes ${classes}`);
      expect(coco.categories, 'chunk and root categories').toEqual(root.categories);

      const bopFrames = frames(full).filter((f) => f.scene === s);
      const imgIds = coco.images.map((i) => i.id);
      if (imgIds.join() !== bopFrames.map((f) => f.im).join()) problems.push(`scene ${s}: COCO images ${imgIds}, BOP images ${bopFrames.map((f) => f.im)}`);
      for (const img of coco.images) {
        const p = join(dir, img.file_name);
        if (!existsSync(p)) { problems.push(`scene ${s}: image ${img.id} file ${img.file_name} missing`); continue; }
        const h = pngHeader(readFileSync(p));
        if (h.width !== img.width || h.height !== img.height || img.width !== W || img.height !== H) problems.push(`scene ${s}: image ${img.id} is ${h.width}x${h.height}, says ${img.width}x${img.height}`);
        if (p !== full.rgbPath(s, img.id)) problems.push(`scene ${s}: image ${img.id} file_name ${img.file_name} is not its rgb/ image`);
        rootImages.push({ ...img, file_name: `${prefix}/${img.file_name}` });
      }
      const annIds = new Set(coco.annotations.map((a) => a.id));
      if (annIds.size !== coco.annotations.length) problems.push(`scene ${s}: duplicate annotation ids`);
      rootAnns.push(...coco.annotations);

      const catOfObj = new Map<number, number>();
      for (const f of bopFrames) {
        const anns = coco.annotations.filter((a) => a.image_id === f.im);
        // One annotation per gt entry with visible pixels, in gt order.
        const visible = f.gts.map((_, g) => g).filter((g) => f.infos[g].px_count_visib > 0);
        if (anns.length !== visible.length) {
          problems.push(`scene ${s} im ${f.im}: ${anns.length} annotations for ${visible.length} visible gt entries`);
          continue;
        }
        anns.forEach((a, n) => {
          const g = visible[n], v = objectView(full, f, g), objId = f.gts[g].obj_id;
          annotations++;
          const at = `${v.where} ann ${a.id}`;
          if (catName.get(a.category_id) !== classOf.get(objId)) problems.push(`${at}: category ${catName.get(a.category_id)}, obj ${objId} is a ${classOf.get(objId)}`);
          if (catOfObj.has(objId) && catOfObj.get(objId) !== a.category_id) problems.push(`${at}: obj ${objId} has two categories`);
          catOfObj.set(objId, a.category_id);
          if (a.iscrowd !== 0) problems.push(`${at}: iscrowd ${a.iscrowd}`);
          const seg = a.segmentation as CocoRle;
          if (Array.isArray(seg) || typeof seg.counts !== 'string' || seg.size?.[0] !== H || seg.size?.[1] !== W) {
            problems.push(`${at}: segmentation is not compressed RLE of size [${H}, ${W}]`);
            return;
          }
          let m: Uint8Array;
          try { m = decodeRle(seg); } catch (e) { problems.push(`${at}: ${(e as Error).message}`); return; }
          let diff = 0;
          for (let k = 0; k < m.length; k++) if (m[k] !== v.visib[k]) diff++;
          if (diff) problems.push(`${at}: RLE differs from mask_visib in ${diff} pixels`);
          const n1 = count(m);
          if (a.area !== n1 || rleArea(seg) !== n1 || n1 !== v.info.px_count_visib) problems.push(`${at}: area ${a.area}, RLE has ${n1} px, px_count_visib ${v.info.px_count_visib}`);
          const bb = cocoBboxOfMask(m, W);
          if (bb.some((x, k) => x !== a.bbox[k])) problems.push(`${at}: bbox ${a.bbox}, RLE pixels give ${bb}`);
          const [x, y, w, h] = v.info.bbox_visib;
          if (a.bbox.join() !== [x, y, w + 1, h + 1].join()) problems.push(`${at}: COCO bbox ${a.bbox} vs BOP bbox_visib ${v.info.bbox_visib} (expect w, h one larger)`);
        });
      }
      const orphans = coco.annotations.filter((a) => !imgIds.includes(a.image_id) || !catName.has(a.category_id));
      if (orphans.length) problems.push(`scene ${s}: ${orphans.length} annotations with unknown image or category`);
    }
    // The dataset-wide file: every frame of every chunk, file names relative to the root.
    if (root.images.length !== FRAMES) problems.push(`coco_annotations.json has ${root.images.length} images, expected ${FRAMES}`);
    if (new Set(root.images.map((i) => i.id)).size !== root.images.length) problems.push('coco_annotations.json: duplicate image ids');
    for (const img of root.images) if (!existsSync(join(full.root, img.file_name))) problems.push(`coco_annotations.json: ${img.file_name} missing`);
    console.log(`[e2e] COCO: ${annotations} annotations decoded and compared pixel by pixel`);
    expect(annotations).toBeGreaterThan(0);
    expect(problems).toEqual([]);
    expect(root.images, 'root images = chunk images with the chunk prefix').toEqual(rootImages);
    expect(root.annotations, 'root annotations = chunk annotations').toEqual(rootAnns);
  }, 60_000);

  it('6. determinism: same seed → byte-identical files; --start 2 --frames 2 reproduces frames 2 and 3', () => {
    const a = listFiles(full.root), b = listFiles(again.root);
    expect(b, 'same file list').toEqual(a);
    // The run log holds timings, which differ from run to run; everything else is reproducible.
    const differ = a.filter((p) => p !== 'robosynth_runs.json' && !readFileSync(join(full.root, p)).equals(readFileSync(join(again.root, p))))
      .map((p) => `${p}: ${pngDifference(join(full.root, p), join(again.root, p))}`);
    expect(differ, 'files that differ between two runs with the same seed').toEqual([]);

    const differPart: string[] = [];
    const same = (p: string) => {
      const x = join(full.root, p), y = join(part.root, p);
      if (!existsSync(y)) differPart.push(`${p}: missing`);
      else if (!readFileSync(x).equals(readFileSync(y))) differPart.push(`${p}: ${pngDifference(x, y)}`);
    };
    const ims = [2, 3];
    same('camera.json');
    for (const p of listFiles(join(full.root, 'models'))) same(join('models', p));
    expect(part.scenes()).toEqual(full.scenes());
    for (const s of full.scenes()) {
      const rel = (p: string) => relative(full.root, p);
      const gt = full.sceneGt(s), gtP = part.sceneGt(s);
      expect([...gtP.keys()].sort(), `scene ${s} image ids of the partial run`).toEqual(ims);
      for (const im of ims) {
        same(rel(full.rgbPath(s, im)));
        same(rel(full.depthPath(s, im)));
        gt.get(im)?.forEach((_, g) => { same(rel(full.maskPath(s, im, g))); same(rel(full.maskVisibPath(s, im, g))); });
        expect(gtP.get(im), `scene_gt[${im}]`).toEqual(gt.get(im));
        expect(part.sceneCamera(s).get(im), `scene_camera[${im}]`).toEqual(full.sceneCamera(s).get(im));
        expect(part.sceneGtInfo(s).get(im), `scene_gt_info[${im}]`).toEqual(full.sceneGtInfo(s).get(im));
      }
      for (const im of [0, 1]) expect(existsSync(part.rgbPath(s, im)), `partial run wrote frame ${im}`).toBe(false);
      const c = readJson<CocoFile>(join(full.sceneDir(s), 'scene_gt_coco.json'));
      const cP = readJson<CocoFile>(join(part.sceneDir(s), 'scene_gt_coco.json'));
      expect(cP.images, 'chunk COCO images').toEqual(c.images.filter((i) => ims.includes(i.id)));
      expect(cP.annotations, 'chunk COCO annotations').toEqual(c.annotations.filter((x) => ims.includes(x.image_id)));
      expect(cP.categories).toEqual(c.categories);
    }
    const r = readJson<CocoFile>(join(full.root, 'coco_annotations.json'));
    const rP = readJson<CocoFile>(join(part.root, 'coco_annotations.json'));
    expect(rP.images, 'root COCO images').toEqual(r.images.filter((i) => ims.includes(i.id)));
    expect(rP.annotations, 'root COCO annotations').toEqual(r.annotations.filter((x) => ims.includes(x.image_id)));
    expect(differPart, 'files of frames 2-3 that differ from the full run').toEqual([]);
  }, 60_000);
});
