// End-to-end: every shipped scene renders with the real CLI, and the settled objects are where the
// scene puts them: inside the bin's walls, on the shelf's board. Read with the independent BOP
// reader (test/readers/bop.ts); object centres go from the camera frame back to the world through
// each frame's cam_R_w2c / cam_t_w2c.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { BopDataset, type CameraEntry, type GtEntry } from '../readers/bop.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCENES = ['tabletop', 'bin-picking', 'shelf'] as const;
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
    datasets.set(name, new BopDataset(out));
  }
}, 180_000);

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
    expect(all.length).toBeGreaterThanOrEqual(2 * 12);
    for (const { world: [x, y, z] } of all) {
      expect(Math.abs(x)).toBeLessThan(support.size[0] / 2);
      expect(Math.abs(y)).toBeLessThan(support.size[1] / 2);
      expect(z).toBeGreaterThan(0);
      expect(z).toBeLessThan(support.wall_height!);
    }
    expect(all.some((o) => o.visib < 0.7)).toBe(true);
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
});
