// End-to-end: every shipped scene renders with the real CLI, and the settled objects are where the
// scene puts them: inside the bin's walls, on the shelf's board. Read with the independent BOP
// reader (test/readers/bop.ts); object centres go from the camera frame back to the world through
// each frame's cam_R_w2c / cam_t_w2c. `robosynth inspect` draws each frame's labels over its image,
// and the labels sit on the rendered objects: tints cover the visible masks, and each pose
// projects its model's centre into the object's visible box. `robosynth report` writes each
// dataset's HTML report, and a screenshot in headless Chromium (one browser for all) shows every
// plot drawn (test/e2e/report-check.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { parse as parseYaml } from 'yaml';
import { BopDataset, readMask, type CameraEntry, type GtEntry } from '../readers/bop.js';
import { launchBrowser, type LaunchedBrowser } from '../../src/render/browser.js';
import { checkReport, expectReportDrew } from './report-check.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCENES = ['tabletop', 'bin-picking', 'shelf', 'tabletop-randomized'] as const;
let work = '';
const datasets = new Map<string, BopDataset>();

function run(args: string[]): void {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 170_000 });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed (status ${r.status}, signal ${r.signal}):\n${r.stdout}\n${r.stderr}`);
}

interface SceneFile {
  support: { type: string; size: [number, number]; wall_height?: number; height?: number; top?: boolean };
  objects: { class: string; count: number | [number, number]; labeled?: boolean; box?: unknown; cylinder?: unknown; sphere?: unknown; variants?: number }[];
}
const sceneFile = (name: string): SceneFile => parseYaml(readFileSync(join(ROOT, 'scenes', `${name}.yaml`), 'utf8')) as SceneFile;

/** World position (m) of an object's origin: x_w = R_w2cᵀ (t_m2c − t_w2c), from mm. */
function worldCentre(gt: GtEntry, cam: CameraEntry): [number, number, number] {
  const R = cam.cam_R_w2c!, t = cam.cam_t_w2c!;
  const d = [0, 1, 2].map((k) => gt.cam_t_m2c[k] - t[k]);
  return [0, 1, 2].map((k) => (R[k] * d[0] + R[3 + k] * d[1] + R[6 + k] * d[2]) / 1000) as [number, number, number];
}

/** Every (frame, object centre in the world, visib_fract) of a dataset. */
function objects(ds: BopDataset): { im: number; gt: GtEntry; world: [number, number, number]; visib: number }[] {
  const out: { im: number; gt: GtEntry; world: [number, number, number]; visib: number }[] = [];
  for (const s of ds.scenes()) {
    const cams = ds.sceneCamera(s), infos = ds.sceneGtInfo(s);
    for (const [im, gts] of ds.sceneGt(s)) {
      gts.forEach((gt, g) => out.push({ im, gt, world: worldCentre(gt, cams.get(im)!), visib: infos.get(im)![g].visib_fract }));
    }
  }
  return out;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'robosynth-scenes-'));
  run(['scripts/build.mjs']);
  for (const name of SCENES) {
    const out = join(work, name);
    run(['bin/robosynth.js', 'render', `scenes/${name}.yaml`, '--frames', '2', '--width', '320', '--height', '240', '--out', out]);
    run(['bin/robosynth.js', 'inspect', out, '--frames', '0-1']);
    run(['bin/robosynth.js', 'report', out]);
    datasets.set(name, new BopDataset(out));
  }
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('shipped scenes', () => {
  it.each(SCENES)('%s renders 2 frames with labeled objects', (name) => {
    const ds = datasets.get(name)!;
    const frames = [...ds.sceneGt(0).keys()];
    expect(frames).toEqual([0, 1]);
    for (const gts of ds.sceneGt(0).values()) expect(gts.length).toBeGreaterThan(0);
  });

  it.each(SCENES)('%s: the run log has the run, with time in every stage it used', (name) => {
    const runs = JSON.parse(readFileSync(join(datasets.get(name)!.root, 'robosynth_runs.json'), 'utf8')) as { runs: { frames: number; width: number; stage_ms: Record<string, number> }[] };
    expect(runs.runs).toHaveLength(1);
    const [run] = runs.runs;
    expect([run.frames, run.width]).toEqual([2, 320]);
    for (const stage of ['sample_settle', 'render', 'labels', 'write']) expect(run.stage_ms[stage]).toBeGreaterThan(0);
    // Only the randomized tabletop has a sensor block.
    expect(run.stage_ms.sensor > 0).toBe(name === 'tabletop-randomized');
    expect(run.stage_ms.refine).toBe(0);
  });

  it.each(SCENES)('%s: only object classes are labeled, never the support or its walls', (name) => {
    const ds = datasets.get(name)!;
    const scene = sceneFile(name);
    // One model per labeled mesh class or procedural variant; nothing else has an obj_id.
    const labeledModels = scene.objects.filter((c) => c.labeled !== false)
      .reduce((n, c) => n + (c.box || c.cylinder || c.sphere ? (c.variants ?? 1) : 1), 0);
    expect([...ds.modelsInfo().keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: labeledModels }, (_, i) => i + 1));
    const maxLabeled = scene.objects.filter((c) => c.labeled !== false).reduce((n, c) => n + (Array.isArray(c.count) ? c.count[1] : c.count), 0);
    for (const gts of ds.sceneGt(0).values()) {
      expect(gts.length).toBeLessThanOrEqual(maxLabeled);
      for (const gt of gts) expect(gt.obj_id).toBeGreaterThanOrEqual(1);
    }
  });

  it('bin picking: every object settled inside the bin walls, and the pile occludes', () => {
    const { support } = sceneFile('bin-picking');
    expect(support.type).toBe('bin');
    const all = objects(datasets.get('bin-picking')!);
    expect(all.length).toBeGreaterThanOrEqual(2 * 15);
    for (const { world: [x, y, z] } of all) {
      expect(Math.abs(x)).toBeLessThan(support.size[0] / 2);
      expect(Math.abs(y)).toBeLessThan(support.size[1] / 2);
      expect(z).toBeGreaterThan(0);
      expect(z).toBeLessThan(support.wall_height!);
    }
    // Heavy occlusion: a good share of the pile is mostly hidden (about 30% below 0.7 over many frames).
    expect(all.filter((o) => o.visib < 0.7).length / all.length).toBeGreaterThan(0.15);
  });

  it('shelf: every object stands on the board, between the walls and under the board above', () => {
    const { support } = sceneFile('shelf');
    expect(support.type).toBe('shelf');
    const all = objects(datasets.get('shelf')!);
    expect(all.length).toBeGreaterThanOrEqual(2 * 6);
    for (const { world: [x, y, z] } of all) {
      expect(Math.abs(x)).toBeLessThan(support.size[0] / 2);
      expect(Math.abs(y)).toBeLessThan(support.size[1] / 2);
      expect(z).toBeGreaterThan(0);
      expect(z).toBeLessThan(support.height!);
    }
  });

  it.each(SCENES)('%s: inspect overlays tint every visible mask pixel, and poses project into the visible boxes', (name) => {
    const ds = datasets.get(name)!;
    const info = ds.modelsInfo(), cams = ds.sceneCamera(0), infos = ds.sceneGtInfo(0);
    let checkedPoses = 0;
    for (const [im, gts] of ds.sceneGt(0)) {
      const overlayPath = join(ds.root, 'inspect', `000000_${String(im).padStart(6, '0')}.png`);
      expect(existsSync(overlayPath)).toBe(true);
      const overlay = PNG.sync.read(readFileSync(overlayPath));
      const raw = PNG.sync.read(readFileSync(ds.rgbPath(0, im)));
      const W = raw.width;
      gts.forEach((gt, g) => {
        // The overlay's tint covers the object's visible pixels, every one of them.
        const { mask } = readMask(ds.maskVisibPath(0, im, g));
        let pixels = 0, tinted = 0;
        for (let p = 0; p < mask.length; p++) {
          if (!mask[p]) continue;
          pixels++;
          const o = ((Math.floor(p / W) * overlay.width) + (p % W)) * 4;
          if ([0, 1, 2].some((c) => overlay.data[o + c] !== raw.data[p * 4 + c])) tinted++;
        }
        expect(tinted).toBe(pixels);
        // The pose puts the model's box centre (model frame, mm) inside the rendered visible box:
        // labels from the description, pixels from the renderer, with this frame's own K.
        const giv = infos.get(im)![g];
        if (giv.visib_fract < 0.9) return;
        const m = info.get(gt.obj_id)!;
        const c = [m.min_x + m.size_x / 2, m.min_y + m.size_y / 2, m.min_z + m.size_z / 2];
        const R = gt.cam_R_m2c, t = gt.cam_t_m2c, K = cams.get(im)!.cam_K;
        const X = [0, 1, 2].map((r) => R[3 * r] * c[0] + R[3 * r + 1] * c[1] + R[3 * r + 2] * c[2] + t[r]);
        const u = K[0] * X[0] / X[2] + K[2], v = K[4] * X[1] / X[2] + K[5];
        const [bx, by, bw, bh] = giv.bbox_visib;
        expect(u).toBeGreaterThan(bx - 1);
        expect(u).toBeLessThan(bx + bw + 1);
        expect(v).toBeGreaterThan(by - 1);
        expect(v).toBeLessThan(by + bh + 1);
        checkedPoses++;
      });
    }
    expect(checkedPoses).toBeGreaterThan(0);
  });

  describe('reports', () => {
    let browser: LaunchedBrowser | undefined;
    beforeAll(async () => {
      browser = await launchBrowser('gl-egl');
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
    });

    it.each(SCENES)('%s: the report draws every plot in headless Chromium, with nothing fetched', async (name) => {
      const check = await checkReport(browser!.browser, join(datasets.get(name)!.root, 'report.html'));
      // Two frames on the contact sheet (no refined images) and the two inspect overlays.
      expectReportDrew(check, { thumbnails: 4 });
    }, 60_000);
  });
});
