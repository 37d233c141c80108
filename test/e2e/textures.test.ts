// End-to-end texture swaps (materials' `texture.folder`) with the real CLI in headless Chromium:
// a table textured from a folder looks different from the plain colour, frames that drew
// different images differ, and a missing folder is one clear line with exit status 2.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareScene, sampleSettledFrame } from '../../src/pipeline/scene-setup.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FRAMES = 6;
let work = '';

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, ['bin/robosynth.js', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 170_000 });
}

/** The table seen from straight above, filling the image; one small box off to a corner, fixed lighting. */
const scene = (material: string) => `image: { width: 96, height: 72 }
camera:
  intrinsics: { fx: 120, fy: 120, cx: 47.5, cy: 35.5 }
  pose: { target: [0, 0, 0], distance: 0.6, elevation_deg: 89, azimuth_deg: 0 }
lights: [ { type: hemispheric, intensity: 1.0, ground_color: [1, 1, 1] } ]
support:
  type: table
  size: [1.2, 0.8]
  material: ${material}
objects:
  - { class: cube, box: { size: [0.02, 0.02, 0.02] }, count: 1 }
placement: { region: { x: [0.5, 0.55], y: [0.33, 0.36] }, drop_height: 0.01 }
`;

const readRgb = (dataset: string, frame: number) =>
  PNG.sync.read(readFileSync(join(dataset, 'train_pbr', '000000', 'rgb', `${String(frame).padStart(6, '0')}.png`))).data;

/** Mean absolute difference per channel (0-255) over the image. */
function meanDiff(a: Buffer, b: Buffer): number {
  let sum = 0, n = 0;
  for (let i = 0; i < a.length; i += 4) for (let c = 0; c < 3; c++, n++) sum += Math.abs(a[i + c] - b[i + c]);
  return sum / n;
}

/** Standard deviation of the green channel: a textured table varies, a plain one barely. */
function spread(a: Buffer): number {
  const g: number[] = [];
  for (let i = 1; i < a.length; i += 4) g.push(a[i]);
  const mean = g.reduce((s, v) => s + v, 0) / g.length;
  return Math.sqrt(g.reduce((s, v) => s + (v - mean) ** 2, 0) / g.length);
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'robosynth-textures-e2e-'));
  mkdirSync(join(work, 'tex'));
  for (const name of ['checker.png', 'wood.png']) copyFileSync(join(ROOT, 'assets/textures', name), join(work, 'tex', name));
  writeFileSync(join(work, 'plain.yaml'), scene('{ color: [1, 1, 1], roughness: 1 }'));
  writeFileSync(join(work, 'textured.yaml'), scene('{ color: [1, 1, 1], roughness: 1, texture: { folder: tex, scale: [1, 2] } }'));
  writeFileSync(join(work, 'missing.yaml'), scene('{ color: [1, 1, 1], texture: { folder: no-such-folder } }'));
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed:\n${build.stderr}`);
  for (const name of ['plain', 'textured']) {
    const r = run(['render', join(work, `${name}.yaml`), '--frames', String(FRAMES), '--out', join(work, name), '--seed', '3']);
    if (r.status !== 0) throw new Error(`render ${name} failed (status ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
}, 180_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('texture folders, rendered', () => {
  it('draws the table textured, unlike the plain colour', () => {
    for (let frame = 0; frame < FRAMES; frame++) {
      const plain = readRgb(join(work, 'plain'), frame);
      const textured = readRgb(join(work, 'textured'), frame);
      expect(meanDiff(plain, textured)).toBeGreaterThan(8);
      expect(spread(textured)).toBeGreaterThan(spread(plain) + 5);
    }
  });

  it('gives frames that drew different images different pixels', async () => {
    // Which image each frame drew, from the same (seed, index) the CLI used.
    const { spec, catalog } = await prepareScene(join(work, 'textured.yaml'));
    const chosen = Array.from({ length: FRAMES }, (_, i) => sampleSettledFrame(spec, catalog, 3, i).support.material.texture);
    expect(new Set(chosen)).toEqual(new Set(['tex/checker.png', 'tex/wood.png']));
    const checker = chosen.indexOf('tex/checker.png'), wood = chosen.indexOf('tex/wood.png');
    const a = readRgb(join(work, 'textured'), checker), b = readRgb(join(work, 'textured'), wood);
    expect(meanDiff(a, b)).toBeGreaterThan(8);
    // The checker is grey, the wood warm: the wood frame is redder than blue, the checker not.
    const redMinusBlue = (x: Buffer) => { let s = 0; for (let i = 0; i < x.length; i += 4) s += x[i] - x[i + 2]; return s / (x.length / 4); };
    expect(redMinusBlue(b)).toBeGreaterThan(redMinusBlue(a) + 20);
  });

  it('stops with one line naming the file and line of a missing folder', () => {
    const r = run(['render', join(work, 'missing.yaml'), '--frames', '1', '--out', join(work, 'missing')]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`robosynth: ${join(work, 'missing.yaml')}:9: support.material.texture.folder: no such folder ${join(work, 'no-such-folder')}`);
  });
});
