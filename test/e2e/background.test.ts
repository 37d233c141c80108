// The background randomizer end to end (real CLI, headless Chromium, files read back): a gradient
// and an image fill the background pixels (where the depth is 0) of the written colour images
// as asked, every label (masks, depth, semantic, BOP and COCO JSON) is byte-identical to a plain
// colour's, and an image the browser cannot decode is one warning and the plain colour.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BopDataset, readGrayPng } from '../readers/bop.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const W = 200, H = 150, FRAMES = 2;
const COLOR = [0.2, 0.3, 0.4];
const TOP = [1, 0.2, 0.2], BOTTOM = [0.1, 0.1, 0.9];
let work = '';

/** A low camera over a table: the upper part of every frame is background. */
const scene = (background: string) => `image: { width: ${W}, height: ${H} }
camera:
  intrinsics: { fx: 190, fy: 190, cx: 99.5, cy: 74.5 }
  pose: { target: [0, 0, 0.03], distance: [0.8, 0.9], elevation_deg: [20, 30] }
lights: [ { type: directional, intensity: 2, elevation_deg: 60, azimuth_deg: 30 }, { type: hemispheric, intensity: 0.3 } ]
support: { type: table, size: [1.2, 0.8], material: { color: [0.5, 0.5, 0.5], roughness: 0.9, metallic: 0 } }
objects:
  - { class: crate, box: { size: [0.08, 0.08, 0.08] }, count: 3, material: { color: [0.7, 0.7, 0.7], roughness: 0.8, metallic: 0 } }
placement: { region: { x: [-0.15, 0.15], y: [-0.1, 0.1] } }
background:
  color: [${COLOR.join(', ')}]
${background}
`;

/** Quadrants, 2:1 (wider than the frame's 4:3): red top left, green top right, blue bottom left, yellow bottom right. */
const QUADRANTS: Record<string, [number, number, number]> = { tl: [230, 30, 30], tr: [30, 200, 40], bl: [40, 50, 220], br: [240, 220, 30] };
function quadrantPng(): Buffer {
  const png = new PNG({ width: 240, height: 120 });
  for (let y = 0; y < 120; y++) for (let x = 0; x < 240; x++) png.data.set([...QUADRANTS[(y < 60 ? 't' : 'b') + (x < 120 ? 'l' : 'r')], 255], 4 * (y * 240 + x));
  return PNG.sync.write(png);
}

const runs = new Map<string, { ds: BopDataset; stderr: string }>();
function render(name: string, background: string): void {
  // Every scene file has the same name (COCO's info names it), each in its own folder.
  mkdirSync(join(work, name));
  const file = join(work, name, 'scene.yaml');
  writeFileSync(file, scene(background));
  const out = join(work, 'out', name);
  const r = spawnSync(process.execPath, ['bin/robosynth.js', 'render', file, '--frames', String(FRAMES), '--out', out, '--seed', '2'], { cwd: ROOT, encoding: 'utf8', timeout: 170_000 });
  if (r.status !== 0) throw new Error(`render ${name} failed (status ${r.status}):\n${r.stdout}\n${r.stderr}`);
  runs.set(name, { ds: new BopDataset(out), stderr: r.stderr });
}

const rgb = (name: string, im: number) => PNG.sync.read(readFileSync(runs.get(name)!.ds.rgbPath(0, im))).data;
const at = (data: Buffer, x: number, y: number) => [data[4 * (y * W + x)], data[4 * (y * W + x) + 1], data[4 * (y * W + x) + 2]];

/** Pixels whose 3x3 neighbourhood has depth 0 (background, away from antialiased edges), from the written depth image. */
function backgroundPixels(im: number): [number, number][] {
  const depth = readGrayPng(runs.get('plain')!.ds.depthPath(0, im)).data;
  const out: [number, number][] = [];
  for (let y = 1; y < H - 1; y++) {
    for (let x = 1; x < W - 1; x++) {
      let clear = true;
      for (let dy = -1; dy <= 1 && clear; dy++) for (let dx = -1; dx <= 1 && clear; dx++) clear = depth[(y + dy) * W + x + dx] === 0;
      if (clear) out.push([x, y]);
    }
  }
  return out;
}

/** Every label file of a dataset (everything but the colour images, the frame records, the run's own summary and its timings), by path. */
function labelFiles(name: string): Map<string, Buffer> {
  const root = runs.get(name)!.ds.root;
  const files = new Map<string, Buffer>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'rgb' && entry.name !== '.frames') walk(path);
      } else if (entry.name !== 'robosynth.json' && entry.name !== 'robosynth_runs.json') files.set(relative(root, path), readFileSync(path));
    }
  };
  walk(root);
  return files;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'robosynth-background-e2e-'));
  mkdirSync(join(work, 'bg-images'));
  mkdirSync(join(work, 'bg-broken'));
  mkdirSync(join(work, 'out'));
  writeFileSync(join(work, 'bg-images', 'quadrants.png'), quadrantPng());
  writeFileSync(join(work, 'bg-broken', 'broken.png'), 'not a png at all');
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed:\n${build.stderr}`);
  render('plain', '');
  render('gradient', `  gradient: { top: [${TOP.join(', ')}], bottom: [${BOTTOM.join(', ')}] }`);
  render('image', '  gradient: { p: 1 }\n  images: { folder: ../bg-images, p: 1 }');
  render('broken', '  images: { folder: ../bg-broken, p: 1 }');
}, 300_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('backgrounds in the written data', () => {
  it('a plain colour is the background pixels\' value', () => {
    for (let im = 0; im < FRAMES; im++) {
      const pixels = backgroundPixels(im);
      expect(pixels.length).toBeGreaterThan(W * H * 0.15);
      const data = rgb('plain', im);
      // The clear colour as GL rounds it (0.3 * 255 = 76.5 comes out 76 or 77).
      for (const [x, y] of pixels) at(data, x, y).forEach((v, c) => expect(Math.abs(v - COLOR[c] * 255)).toBeLessThanOrEqual(0.5));
    }
  });

  it('a vertical gradient runs from the top colour down to the bottom colour behind the objects', () => {
    for (let im = 0; im < FRAMES; im++) {
      const data = rgb('gradient', im);
      const pixels = backgroundPixels(im);
      let worst = 0;
      for (const [x, y] of pixels) {
        // Window row H - 1 - y, its centre half a pixel up: t = 0.5 + (row + 0.5 - H/2) / H.
        const t = 0.5 + (H - 1 - y + 0.5 - H / 2) / H;
        const want = BOTTOM.map((b, c) => 255 * (b + (TOP[c] - b) * t));
        worst = Math.max(worst, ...at(data, x, y).map((v, c) => Math.abs(v - want[c])));
      }
      expect(worst).toBeLessThanOrEqual(1.5);
      // So the top rows differ from the lowest background rows: red above, bluer below.
      const rows = [...new Set(pixels.map(([, y]) => y))].sort((a, b) => a - b);
      // Red over blue, summed over a row's background pixels.
      const redness = (y: number) => {
        const row = pixels.filter(([, py]) => py === y).map(([x]) => at(data, x, y));
        return row.reduce((s, p) => s + p[0], 0) / row.reduce((s, p) => s + p[2], 0);
      };
      expect(rows.at(-1)! - rows[0]).toBeGreaterThan(H / 4);
      expect(redness(rows[0])).toBeGreaterThan(redness(rows.at(-1)!) + 0.3);
    }
  });

  it('an image covers the background (aspect kept, centre-cropped), over a gradient that also fired', () => {
    for (let im = 0; im < FRAMES; im++) {
      const data = rgb('image', im);
      let checked = 0;
      for (const [x, y] of backgroundPixels(im)) {
        // The frame shows the image's middle 2/3 across (4:3 of a 2:1 image) and all of it down: the
        // quadrant seams fall on the frame's centre lines; skip the pixels next to them.
        if (Math.abs(x + 0.5 - W / 2) < 2 || Math.abs(y + 0.5 - H / 2) < 2) continue;
        const want = QUADRANTS[(y < H / 2 ? 't' : 'b') + (x < W / 2 ? 'l' : 'r')];
        at(data, x, y).forEach((v, c) => expect(Math.abs(v - want[c]), `frame ${im} pixel ${x}, ${y}`).toBeLessThanOrEqual(2));
        checked++;
      }
      expect(checked).toBeGreaterThan(W * H * 0.15);
    }
  });

  it('labels are byte-identical to the plain colour\'s whatever the background', () => {
    const plain = labelFiles('plain');
    expect([...plain.keys()].filter((p) => p.includes('depth/') || p.includes('mask_visib/')).length).toBeGreaterThan(FRAMES);
    for (const name of ['gradient', 'image', 'broken']) {
      const other = labelFiles(name);
      expect([...other.keys()].sort()).toEqual([...plain.keys()].sort());
      for (const [path, bytes] of plain) expect(other.get(path)!.equals(bytes), `${name}: ${path}`).toBe(true);
    }
    // The colour images themselves do differ.
    expect(rgb('gradient', 0).equals(rgb('plain', 0))).toBe(false);
    expect(rgb('image', 0).equals(rgb('plain', 0))).toBe(false);
  });

  it('records what each frame got in its description', () => {
    const record = (name: string, im: number) =>
      JSON.parse(readFileSync(join(runs.get(name)!.ds.sceneDir(0), '.frames', `${String(im).padStart(6, '0')}.json`), 'utf8')) as { description: { background: number[]; backdrop?: unknown } };
    expect(record('plain', 0).description.background).toEqual(COLOR);
    expect('backdrop' in record('plain', 0).description).toBe(false);
    expect(record('gradient', 0).description.backdrop).toEqual({ gradient: { top: TOP, bottom: BOTTOM, angleDeg: 0 } });
    expect(record('image', 0).description.backdrop).toEqual({ image: '../bg-images/quadrants.png' });
  });

  it('an image the browser cannot decode is one warning naming it, and the frames show the colour', () => {
    const { stderr } = runs.get('broken')!;
    const warnings = stderr.split('\n').filter((line) => line.includes('warning'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(join(work, 'bg-broken', 'broken.png'));
    expect(warnings[0]).toContain('the background colour');
    for (let im = 0; im < FRAMES; im++) expect(rgb('broken', im).equals(rgb('plain', im))).toBe(true);
  });
});
