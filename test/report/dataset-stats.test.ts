// The report's statistics on a small dataset folder written here with known answers: class counts
// through robosynth.json's obj_id -> class, visibility and distances from scene_gt(_info), camera
// viewpoints from cam_R_w2c / cam_t_w2c (a rotated camera, so a wrong transpose shows), objects
// per image, pixel means and histograms of raw and refined images; then the report it makes, with
// "no data" notes for missing sources, and the clear errors on folders that are not datasets.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { cameraCentre, evenlySpread, pixelStats, readDatasetStats, viewpointOf } from '../../src/report/dataset-stats.js';
import { writeReport } from '../../src/report/report.js';
import { downscale } from '../../src/report/thumbnails.js';
import { encodePngSync } from '../../src/writers/png.js';

const work = mkdtempSync(join(tmpdir(), 'robosynth-report-stats-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type V3 = [number, number, number];
const W = 8, H = 4;

/** Row-major rotation about z by `deg`, then about x by `tilt` (a camera that is neither axis-aligned nor upright). */
function rotation(deg: number, tilt: number): number[] {
  const [c, s] = [Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180)];
  const [ct, st] = [Math.cos((tilt * Math.PI) / 180), Math.sin((tilt * Math.PI) / 180)];
  const rz = [c, -s, 0, s, c, 0, 0, 0, 1];
  const rx = [1, 0, 0, 0, ct, -st, 0, st, ct];
  return [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => rx[3 * i] * rz[j] + rx[3 * i + 1] * rz[3 + j] + rx[3 * i + 2] * rz[6 + j]));
}
const mul = (R: number[], v: number[]) => [0, 1, 2].map((i) => R[3 * i] * v[0] + R[3 * i + 1] * v[1] + R[3 * i + 2] * v[2]);

/** One frame: the camera centre and the objects (obj_id, world position) in metres, their visib_fract. */
interface FrameSpec { centre: V3; objects: { id: number; at: V3; visib: number }[]; rgb: V3; refined?: V3 }

const FRAMES: FrameSpec[] = [
  // Camera at (1, 0, 1) around objects whose mean is the origin: azimuth 0, elevation 45.
  { centre: [1, 0, 1], objects: [{ id: 1, at: [0.1, 0, 0], visib: 1 }, { id: 3, at: [-0.1, 0, 0], visib: 0.05 }], rgb: [200, 100, 50], refined: [100, 100, 100] },
  // Camera at (0, 2, 0.5) around an object and a robot link at (0, 0, 0.5): azimuth 90, elevation 0.
  { centre: [0, 2, 0.5], objects: [{ id: 2, at: [0, 0, 0.5], visib: 0.5 }, { id: 4, at: [0, 0, 0.5], visib: 1 }], rgb: [10, 20, 30] },
  // An empty frame: the world origin is the target; camera at (-1, 0, 0): azimuth 180, elevation 0.
  { centre: [-1, 0, 0], objects: [], rgb: [0, 0, 0] },
  // An object whose obj_id robosynth.json does not know.
  { centre: [0, -3, 3], objects: [{ id: 9, at: [0, 0, 0], visib: 0 }], rgb: [255, 255, 255] },
];

function png(rgb: V3): Buffer {
  const data = new Uint8Array(W * H * 3);
  for (let p = 0; p < W * H; p++) data.set(rgb, p * 3);
  return encodePngSync(data, W, H, 'rgb8');
}

function writeDataset(root: string, options: { runs?: boolean } = {}): void {
  const chunk = join(root, 'train_pbr', '000000');
  mkdirSync(join(chunk, 'rgb'), { recursive: true });
  mkdirSync(join(chunk, 'rgb_refined'), { recursive: true });
  writeFileSync(join(root, 'camera.json'), JSON.stringify({ fx: 10, fy: 10, cx: 3.5, cy: 1.5, width: W, height: H, depth_scale: 0.1 }));
  writeFileSync(join(root, 'robosynth.json'), JSON.stringify({
    scene: 'synthetic.yaml', classes: ['crate', 'can', 'empty-class'], robots: [{ name: 'arm', keypoints: [], skeleton: [] }],
    models: [{ obj_id: 1, key: 'crate#0', class: 'crate' }, { obj_id: 2, key: 'crate#1', class: 'crate' }, { obj_id: 3, key: 'can', class: 'can' }, { obj_id: 4, key: 'arm.base_link', class: 'arm.base_link' }], width: W, height: H,
  }));
  const gt: Record<string, unknown> = {}, info: Record<string, unknown> = {}, cams: Record<string, unknown> = {};
  FRAMES.forEach((f, im) => {
    const R = rotation(30 + 70 * im, 110);
    const t = mul(R, f.centre).map((v) => -v * 1000);
    cams[im] = { cam_K: [10, 0, 3.5, 0, 10, 1.5, 0, 0, 1], cam_R_w2c: R, cam_t_w2c: t, depth_scale: 0.1 };
    gt[im] = f.objects.map((o) => ({ cam_R_m2c: R, cam_t_m2c: mul(R, o.at).map((v, k) => v * 1000 + t[k]), obj_id: o.id }));
    info[im] = f.objects.map((o) => ({ bbox_obj: [0, 0, 1, 1], bbox_visib: [0, 0, 1, 1], px_count_all: 1, px_count_valid: 1, px_count_visib: 1, visib_fract: o.visib }));
    writeFileSync(join(chunk, 'rgb', `${String(im).padStart(6, '0')}.png`), png(f.rgb));
    if (f.refined) writeFileSync(join(chunk, 'rgb_refined', `${String(im).padStart(6, '0')}.png`), png(f.refined));
  });
  writeFileSync(join(chunk, 'scene_gt.json'), JSON.stringify(gt));
  writeFileSync(join(chunk, 'scene_gt_info.json'), JSON.stringify(info));
  writeFileSync(join(chunk, 'scene_camera.json'), JSON.stringify(cams));
  writeFileSync(join(chunk, 'scene_refine.json'), JSON.stringify({ model: 'm', frames: { 0: { ssim: 0.8, edge_alignment: 0.9, flagged: true } } }));
  writeFileSync(join(chunk, 'scene_sensor.json'), JSON.stringify({ 0: { noise: { gaussian_sigma: 1, shot_gain: 0 } }, 1: {}, 2: { noise: { gaussian_sigma: 2, shot_gain: 0 }, jpeg: { quality: 80 } }, 3: {} }));
  if (options.runs !== false) {
    const stage_ms = { sample_settle: 10, render: 40, labels: 5, sensor: 1, refine: 0, write: 8 };
    const run = { started_at: '2026-01-01T00:00:00Z', seconds: 1, frames: 2, first_frame: 0, seed: 0, width: W, height: H, frames_per_second: 2, gl_renderer: 'test', stage_ms };
    writeFileSync(join(root, 'robosynth_runs.json'), JSON.stringify({ runs: [run, { ...run, first_frame: 2, frames_per_second: 3 }] }));
  }
}

const ds = join(work, 'ds');
beforeAll(() => writeDataset(ds));

describe('dataset statistics', () => {
  it('counts instances per class through obj_id, robots and unknown ids included', () => {
    const s = readDatasetStats(ds);
    expect(s.scene).toBe('synthetic.yaml');
    expect([s.width, s.height]).toEqual([W, H]);
    expect(s.frames.map((f) => f.frame)).toEqual([0, 1, 2, 3]);
    expect(s.classCounts).toEqual([
      { name: 'crate', instances: 2, visible: 2 },
      { name: 'can', instances: 1, visible: 0 },
      { name: 'empty-class', instances: 0, visible: 0 },
      { name: 'arm (links)', instances: 1, visible: 1 },
      { name: 'obj_000009', instances: 1, visible: 0 },
    ]);
    expect(s.objectsPerImage).toEqual([2, 2, 0, 1]);
    expect(s.visibFract).toEqual([1, 0.05, 0.5, 1, 0]);
    expect(s.robots).toEqual(['arm']);
  });

  it('distances are |cam_t_m2c| in metres', () => {
    const s = readDatasetStats(ds);
    const expected = FRAMES.flatMap((f) => f.objects.map((o) => Math.hypot(...[0, 1, 2].map((k) => o.at[k] - f.centre[k]))));
    expect(s.distancesM).toHaveLength(expected.length);
    s.distancesM.forEach((d, k) => expect(d).toBeCloseTo(expected[k], 6));
  });

  it('viewpoints: camera centre -Rᵀt around the mean object position (or the origin), Z up', () => {
    const s = readDatasetStats(ds);
    const got = s.viewpoints.map((v) => [v.azimuthDeg, v.elevationDeg, v.distanceM]);
    const want = [[0, 45, Math.SQRT2], [90, 0, 2], [180, 0, 1], [-90, 45, Math.hypot(3, 3)]];
    got.forEach((g, k) => g.forEach((v, i) => expect(v).toBeCloseTo(want[k][i], 6)));
    expect(cameraCentre([1, 0, 0, 0, 1, 0, 0, 0, 1], [0, 0, -2000])).toEqual([-0, -0, 2]);
    expect(viewpointOf([0, 0, 5], [0, 0, 0]).elevationDeg).toBe(90);
  });

  it('refine and sensor logs and the run log are summarized', () => {
    const s = readDatasetStats(ds);
    expect(s.refinedFrames).toBe(1);
    expect(s.refine).toEqual({ frames: 1, flagged: 1, meanSsim: 0.8, meanEdgeAlignment: 0.9 });
    expect(s.sensor).toEqual({ frames: 4, fired: { noise: 2, jpeg: 1 } });
    expect(s.runs.map((r) => r.frames_per_second)).toEqual([2, 3]);
  });

  it('pixel statistics: per-channel histograms, means and spreads over every step-th pixel', () => {
    const s = readDatasetStats(ds);
    const raw = pixelStats(s.frames.slice(0, 2).map((f) => f.rgb), 4);
    expect(raw.pixels).toBe(2 * (W * H) / 4);
    expect(raw.histogram.map((h) => h.reduce((a, c) => a + c, 0))).toEqual([16, 16, 16]);
    expect(raw.histogram[0][200]).toBe(8);
    expect(raw.histogram[0][10]).toBe(8);
    expect(raw.mean).toEqual([105, 60, 40]);
    expect(raw.std).toEqual([95, 40, 10]);
    const refined = pixelStats([s.frames[0].refined!], 1);
    expect([refined.pixels, ...refined.mean, ...refined.std]).toEqual([W * H, 100, 100, 100, 0, 0, 0]);
  });

  it('evenlySpread keeps the ends and spreads the rest', () => {
    expect(evenlySpread([0, 1, 2, 3, 4, 5, 6, 7, 8], 3)).toEqual([0, 4, 8]);
    expect(evenlySpread([1, 2], 5)).toEqual([1, 2]);
    expect(evenlySpread([1, 2], 0)).toEqual([]);
  });

  it('thumbnails average areas: a 2x2 checker shrinks to its mean', () => {
    const image = { width: 4, height: 2, data: Uint8Array.from([0, 0, 0, 255, 255, 255, 0, 0, 0, 255, 255, 255, 255, 255, 255, 0, 0, 0, 255, 255, 255, 0, 0, 0]) };
    const small = downscale(image, 2);
    expect([small.width, small.height]).toEqual([2, 1]);
    expect([...small.data]).toEqual([128, 128, 128, 128, 128, 128]);
  });
});

describe('the report file', () => {
  it('has every chart, the contact sheet, and nothing to fetch', async () => {
    const out = join(work, 'reports', 'r.html');
    const summary = await writeReport({ dataset: ds, out, sheet: 3 });
    expect(summary.report).toBe(out);
    expect(summary.plots).toEqual(['instances-per-class', 'visibility', 'distance', 'viewpoint', 'objects-per-image', 'pixel-stats', 'timing-fps', 'timing-stages']);
    expect(summary.empty).toEqual([]);
    expect(summary.thumbnails).toBe(3 + 1);
    const html = readFileSync(out, 'utf8');
    for (const name of summary.plots) expect(html).toMatch(new RegExp(`data-plot="${name}"><h2>[^<]+</h2><div class="chart-box"><svg`));
    expect(html.match(/<figure>/g)).toHaveLength(3);
    expect(html).toContain('000000/000003 · 1 object<');
    expect(html).toContain('synthetic.yaml');
    expect(html).not.toMatch(/<script|<link|@import|@font-face|url\(|https?:\/\/|src="(?!data:image\/png;base64,)/i);
  });

  it('shows "no data" instead of empty charts when a source is missing', async () => {
    const bare = join(work, 'bare');
    writeDataset(bare, { runs: false });
    rmSync(join(bare, 'train_pbr', '000000', 'rgb_refined'), { recursive: true });
    const summary = await writeReport({ dataset: bare, sheet: 0 });
    expect(summary.report).toBe(join(bare, 'report.html'));
    expect(summary.empty).toEqual(['timing-fps', 'timing-stages']);
    const html = readFileSync(summary.report, 'utf8');
    expect(html).toMatch(/data-plot="timing-fps" data-empty="true"><h2>[^<]+<\/h2><p class="nodata">No data: no robosynth_runs.json/);
    expect(html).toContain('No refined images (train_pbr/*/rgb_refined/) in this dataset: raw only.');
    expect(html).toContain('No frames on the contact sheet (--sheet 0).');
  });

  it('names the path and what was expected when the folder is not a dataset', () => {
    const notDataset = join(work, 'plain');
    mkdirSync(notDataset);
    expect(() => readDatasetStats(notDataset)).toThrow(new UserError(`${notDataset}: not a robosynth/BOP dataset (no train_pbr/ folder)`));
    expect(() => readDatasetStats(join(work, 'nothing'))).toThrow(/nothing: no such folder \(expected a dataset folder/);
    writeFileSync(join(work, 'file.txt'), 'x');
    expect(() => readDatasetStats(join(work, 'file.txt'))).toThrow(/file\.txt: not a folder/);
    mkdirSync(join(notDataset, 'train_pbr'));
    expect(() => readDatasetStats(notDataset)).toThrow(/no frames \(no train_pbr\/<chunk>\/scene_gt\.json\)/);
    const broken = join(work, 'broken');
    writeDataset(broken);
    const gtPath = join(broken, 'train_pbr', '000000', 'scene_gt.json');
    writeFileSync(gtPath, JSON.stringify({ 0: [{ obj_id: 1 }] }));
    expect(() => readDatasetStats(broken)).toThrow(new UserError(`${gtPath}: image "0": expected a list of {cam_R_m2c, cam_t_m2c, obj_id}`));
    writeFileSync(gtPath, '{ "0": [');
    expect(() => readDatasetStats(broken)).toThrow(UserError);
    expect(() => readDatasetStats(broken)).toThrow(/scene_gt\.json: not valid JSON/);
  });
});
