/**
 * Randomizers, seen in the written data (real Chromium, files read back with the format-only
 * readers): brighter lights raise the mean intensity; a warm colour temperature makes frames
 * redder than a cool one; more lights make frames brighter; intrinsics jitter gives every frame
 * its own K in scene_camera.json, and the models rasterized with that K still match the masks.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BopDataset, readMask } from '../readers/bop.js';
import { parsePly } from '../readers/ply.js';
import { intrinsicsFromK, iou, rasterize, transformPoints } from '../readers/raster.js';

const root = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'robosynth-randomizers-'));
const W = 200, H = 150;

function scene(lights: string, camera = ''): string {
  return `
image: { width: ${W}, height: ${H} }
camera:
  intrinsics: { fx: 190, fy: 190, cx: 99.5, cy: 74.5 }
  pose: { target: [0, 0, 0.03], distance: [0.8, 0.9], elevation_deg: [50, 60] }
${camera}
lights:
${lights}
support: { type: table, size: [1.2, 0.8], material: { color: [0.5, 0.5, 0.5], roughness: 0.9, metallic: 0 } }
objects:
  - { class: crate, box: { size: [0.08, 0.08, 0.08] }, count: 3, material: { color: [0.7, 0.7, 0.7], roughness: 0.8, metallic: 0 } }
  - { class: can, cylinder: { radius: 0.03, height: 0.1 }, count: 2, orientation: upright, material: { color: [0.6, 0.6, 0.6], roughness: 0.6, metallic: 0 } }
placement: { region: { x: [-0.15, 0.15], y: [-0.1, 0.1] } }
`;
}

function render(name: string, lights: string, camera = '', frames = 3): BopDataset {
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, scene(lights, camera));
  const out = join(work, name);
  execFileSync('node', ['bin/robosynth.js', 'render', file, '--frames', String(frames), '--out', out, '--seed', '11'], { cwd: root, stdio: 'pipe' });
  return new BopDataset(out);
}

/** Mean R, G, B over a dataset's frames. */
function meanRgb(ds: BopDataset): [number, number, number] {
  const sum = [0, 0, 0];
  let n = 0;
  for (const im of ds.sceneGt(0).keys()) {
    const png = PNG.sync.read(readFileSync(ds.rgbPath(0, im)));
    for (let p = 0; p < png.width * png.height; p++) for (let c = 0; c < 3; c++) sum[c] += png.data[p * 4 + c];
    n += png.width * png.height;
  }
  return sum.map((s) => s / n) as [number, number, number];
}

const sets: Record<string, BopDataset> = {};
beforeAll(() => {
  execFileSync('node', ['scripts/build.mjs'], { cwd: root });
  sets.dim = render('dim', '  - { type: directional, intensity: 0.8, elevation_deg: 60, azimuth_deg: 30 }\n  - { type: hemispheric, intensity: 0.2 }');
  sets.bright = render('bright', '  - { type: directional, intensity: 2.4, elevation_deg: 60, azimuth_deg: 30 }\n  - { type: hemispheric, intensity: 0.2 }');
  sets.more = render('more', '  - { type: directional, count: 3, intensity: 0.8, elevation_deg: 60, azimuth_deg: [0, 360] }\n  - { type: hemispheric, intensity: 0.2 }');
  sets.warm = render('warm', '  - { type: directional, intensity: 2, temperature_k: 2500, elevation_deg: 60 }\n  - { type: hemispheric, intensity: 0.3, temperature_k: 2500 }');
  sets.cool = render('cool', '  - { type: directional, intensity: 2, temperature_k: 11000, elevation_deg: 60 }\n  - { type: hemispheric, intensity: 0.3, temperature_k: 11000 }');
  sets.jitter = render('jitter', '  - { type: directional, intensity: 2 }\n  - { type: hemispheric }', '  intrinsics_jitter: { focal: 0.1, principal_px: 6 }', 4);
}, 300_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('randomizers in the written data', () => {
  it('brighter lights and more lights raise the mean intensity', () => {
    const mean = (ds: BopDataset) => meanRgb(ds).reduce((a, b) => a + b) / 3;
    // Measured: dim 105.7, bright 143.6 (tone mapping compresses the 3x intensity), 3 lights 144.3.
    expect(mean(sets.bright)).toBeGreaterThan(mean(sets.dim) * 1.25);
    expect(mean(sets.more)).toBeGreaterThan(mean(sets.dim) * 1.25);
  });

  it('a warm colour temperature gives redder frames than a cool one', () => {
    const [wr, , wb] = meanRgb(sets.warm);
    const [cr, , cb] = meanRgb(sets.cool);
    expect(wr / wb).toBeGreaterThan(1.3);
    expect(cr / cb).toBeLessThan(1);
  });

  it('intrinsics jitter: each frame has its own K, and the models drawn with it match the masks', () => {
    const ds = sets.jitter;
    const cameras = ds.sceneCamera(0);
    const ks = [...cameras.values()].map((c) => c.cam_K);
    expect(new Set(ks.map((k) => k[0])).size).toBe(ks.length);
    for (const k of ks) {
      expect(Math.abs(k[0] / 190 - 1)).toBeLessThanOrEqual(0.1 + 1e-9);
      expect(Math.abs(k[2] - 99.5)).toBeLessThanOrEqual(6 + 1e-9);
    }
    let compared = 0;
    for (const [im, gts] of ds.sceneGt(0)) {
      const K = intrinsicsFromK(cameras.get(im)!.cam_K);
      gts.forEach((gt, k) => {
        const ply = parsePly(readFileSync(ds.modelPath(gt.obj_id)));
        const raster = rasterize(transformPoints(ply.vertices, gt.cam_R_m2c, gt.cam_t_m2c), ply.faces, K, W, H);
        const amodal = readMask(ds.maskPath(0, im, k)).mask;
        if (amodal.reduce((a, b) => a + b, 0) < 100) return;
        expect(iou(raster.mask, amodal), `frame ${im} object ${k}`).toBeGreaterThan(0.97);
        compared++;
      });
    }
    expect(compared).toBeGreaterThan(8);
  });
});

describe('distractors (labeled: false)', () => {
  it('are drawn and occlude exactly as labeled objects would, but get no label, model or category', () => {
    const text = (labeled: boolean) => scene('  - { type: directional, intensity: 2 }\n  - { type: hemispheric }')
      .replace('placement:', `  - { class: clutter, box: { size: [[0.03, 0.1], [0.03, 0.1], [0.02, 0.06]] }, variants: 3, count: 4, labeled: ${labeled} }\nplacement:`);
    const run = (name: string, labeled: boolean) => {
      const file = join(work, `${name}.yaml`);
      writeFileSync(file, text(labeled));
      execFileSync('node', ['bin/robosynth.js', 'render', file, '--frames', '2', '--out', join(work, name), '--seed', '4'], { cwd: root, stdio: 'pipe' });
      return new BopDataset(join(work, name));
    };
    const labeled = run('clutter-labeled', true);
    const unlabeled = run('clutter-unlabeled', false);
    // Only the labeled models are in models/ and in COCO.
    expect([...unlabeled.modelsInfo().keys()]).toEqual([1, 2]);
    expect([...labeled.modelsInfo().keys()]).toEqual([1, 2, 3, 4, 5]);
    const categories = (ds: BopDataset) => (JSON.parse(readFileSync(join(ds.root, 'coco_annotations.json'), 'utf8')) as { categories: { name: string }[] }).categories.map((c) => c.name);
    expect(categories(unlabeled)).toEqual(['crate', 'can']);
    expect(categories(labeled)).toEqual(['crate', 'can', 'clutter']);
    for (const [im, gts] of unlabeled.sceneGt(0)) {
      const all = labeled.sceneGt(0).get(im)!;
      // Same frame: the same images, the same labeled objects, first in the same order.
      expect(readFileSync(unlabeled.rgbPath(0, im)).equals(readFileSync(labeled.rgbPath(0, im)))).toBe(true);
      expect(gts).toHaveLength(5);
      expect(all).toHaveLength(9);
      expect(all.slice(0, 5)).toEqual(gts);
      // Occlusion by the distractors is the same: identical visible masks.
      gts.forEach((_, k) => expect(readFileSync(unlabeled.maskVisibPath(0, im, k)).equals(readFileSync(labeled.maskVisibPath(0, im, k)))).toBe(true));
    }
  }, 120_000);
});

describe('sensor effects', () => {
  it('change the colour image as configured, record their parameters, and leave every label alone', () => {
    const lights = '  - { type: directional, intensity: 2 }\n  - { type: hemispheric }';
    const run = (name: string, sensor: string) => {
      const file = join(work, `${name}.yaml`);
      writeFileSync(file, scene(lights) + sensor);
      execFileSync('node', ['bin/robosynth.js', 'render', file, '--frames', '2', '--out', join(work, name), '--seed', '8'], { cwd: root, stdio: 'pipe' });
      return new BopDataset(join(work, name));
    };
    const clean = run('sensor-off', '');
    const low = run('sensor-low', 'sensor: { noise: { gaussian_sigma: 2, shot_gain: 0 } }\n');
    const high = run('sensor-high', 'sensor: { noise: { gaussian_sigma: 6, shot_gain: 0 }, jpeg: { quality: 70 } }\n');
    const residualStd = (a: BopDataset, b: BopDataset, im: number) => {
      const pa = PNG.sync.read(readFileSync(a.rgbPath(0, im))), pb = PNG.sync.read(readFileSync(b.rgbPath(0, im)));
      let s = 0, s2 = 0, n = 0;
      // Mid-tones only: in the dark background the sRGB curve amplifies read noise ~13x and 0 clips it.
      for (let p = 0; p < W * H; p++) for (let c = 0; c < 3; c++) {
        if (pb.data[p * 4 + c] < 60 || pb.data[p * 4 + c] > 200) continue;
        const d = pa.data[p * 4 + c] - pb.data[p * 4 + c];
        s += d; s2 += d * d; n++;
      }
      return Math.sqrt(s2 / n - (s / n) ** 2);
    };
    for (const im of clean.sceneGt(0).keys()) {
      const lowStd = residualStd(low, clean, im), highStd = residualStd(high, clean, im);
      // Measured: 1.31 and 3.09, 1.44 and 3.31 (read noise is added in linear light; the sRGB curve
      // scales it by ~0.6-1.1 over these tones; JPEG at 70 smooths a little of the stronger one).
      expect(lowStd).toBeGreaterThan(0.8);
      expect(highStd / lowStd).toBeGreaterThan(1.8);
      expect(highStd / lowStd).toBeLessThan(4);
    }
    const recorded = JSON.parse(readFileSync(join(high.sceneDir(0), 'scene_sensor.json'), 'utf8')) as Record<string, { noise: { gaussian_sigma: number }; jpeg: { quality: number } }>;
    expect(Object.keys(recorded).sort()).toEqual(['0', '1']);
    for (const effects of Object.values(recorded)) expect(effects).toMatchObject({ noise: { gaussian_sigma: 6 }, jpeg: { quality: 70 } });
    // No effects, no file; labels byte-identical whatever the sensor did.
    expect(existsSync(join(clean.sceneDir(0), 'scene_sensor.json'))).toBe(false);
    for (const file of ['scene_gt.json', 'scene_gt_info.json', 'scene_camera.json']) {
      expect(readFileSync(join(high.sceneDir(0), file), 'utf8')).toBe(readFileSync(join(clean.sceneDir(0), file), 'utf8'));
    }
  }, 120_000);
});
