/**
 * `robosynth render --refine`: refined frames written beside the raw renders by the same run, from
 * the refine worker, with their scores; the raw renders are the bytes a run without --refine
 * writes; mask-aware strength 0 keeps every labeled pixel raw; the shipped default model keeps
 * the masks on the image's edges. Real Chromium, real onnxruntime, files read back.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMask } from '../readers/bop.js';

const root = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'robosynth-render-refine-'));
const tiny = join(root, 'test/fixtures/refiner/pixel-tiny');
const size = ['--width', '160', '--height', '120'];
const cli = (...args: string[]) => execFileSync('node', ['bin/robosynth.js', ...args], { cwd: root, stdio: 'pipe' }).toString();
const summaryOf = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as { frames: number; refine?: { frames: number; flagged: number; kind: string; ms_per_frame: number } };
const chunkOf = (out: string) => join(out, 'train_pbr', '000000');

interface RefineFile {
  model: string;
  steps: number;
  seed: number;
  frames: Record<string, { strength: number; object_strength?: number; structure_sigma: number; structure_flat_sigma: number; attempts: number; ssim: number; edge_alignment: number; edge_alignment_raw: number; flagged: boolean }>;
}

function rgbOf(path: string): Uint8Array {
  const png = PNG.sync.read(readFileSync(path));
  const rgb = new Uint8Array(png.width * png.height * 3);
  for (let i = 0; i < png.width * png.height; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = png.data[i * 4 + c];
  return rgb;
}

/** Union of a frame's visible masks, from the written files. */
function labeledPixels(chunk: string, imId: number): Uint8Array {
  const prefix = `${String(imId).padStart(6, '0')}_`;
  let union: Uint8Array | undefined;
  for (const name of readdirSync(join(chunk, 'mask_visib')).filter((n) => n.startsWith(prefix))) {
    const { mask } = readMask(join(chunk, 'mask_visib', name));
    union ??= new Uint8Array(mask.length);
    for (let i = 0; i < mask.length; i++) union[i] |= mask[i];
  }
  return union!;
}

const plain = join(work, 'plain');
const refined = join(work, 'refined');
let refinedSummary: ReturnType<typeof summaryOf>;

beforeAll(() => {
  execFileSync('node', ['scripts/build.mjs'], { cwd: root });
  cli('render', 'scenes/tabletop.yaml', '--frames', '3', '--out', plain, '--seed', '4', ...size);
  refinedSummary = summaryOf(cli('render', 'scenes/tabletop.yaml', '--frames', '3', '--out', refined, '--seed', '4', ...size, '--refine', tiny, '--refine-steps', '2'));
}, 180_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('robosynth render --refine', () => {
  it('writes a refined image and its scores for every frame, and raw renders identical to a run without --refine', () => {
    const chunk = chunkOf(refined);
    expect(refinedSummary.refine).toMatchObject({ frames: 3, kind: 'pixel' });
    expect(readdirSync(join(chunk, 'rgb_refined')).sort()).toEqual(['000000.png', '000001.png', '000002.png']);
    for (const name of readdirSync(join(chunk, 'rgb'))) {
      expect(readFileSync(join(chunk, 'rgb', name)).equals(readFileSync(join(chunkOf(plain), 'rgb', name)))).toBe(true);
      const raw = rgbOf(join(chunk, 'rgb', name));
      const out = rgbOf(join(chunk, 'rgb_refined', name));
      expect(out.length).toBe(raw.length);
      expect(out.some((v, i) => v !== raw[i])).toBe(true);
    }
    // The labels are the same files as without --refine: refinement never rewrites them.
    for (const file of ['scene_gt.json', 'scene_gt_info.json', 'scene_camera.json']) {
      expect(readFileSync(join(chunk, file), 'utf8')).toBe(readFileSync(join(chunkOf(plain), file), 'utf8'));
    }
    const scores = JSON.parse(readFileSync(join(chunk, 'scene_refine.json'), 'utf8')) as RefineFile;
    expect(scores).toMatchObject({ model: 'pixel-tiny', steps: 2, seed: 4 });
    expect(Object.keys(scores.frames).sort()).toEqual(['0', '1', '2']);
    for (const frame of Object.values(scores.frames)) {
      expect(frame.ssim).toBeGreaterThan(0);
      expect(frame.ssim).toBeLessThanOrEqual(1);
      expect(frame.edge_alignment_raw).toBeGreaterThan(0.8);
      expect(frame.attempts).toBeGreaterThanOrEqual(1);
      expect(frame.strength).toBeCloseTo(0.3 / 2 ** (frame.attempts - 1), 6);
      expect(frame.flagged).toBe(!(frame.edge_alignment >= 0.9 * frame.edge_alignment_raw && frame.ssim >= 0.5));
    }
  });

  it('gives the same bytes as `robosynth refine` on the same dataset, and again for the same seed', () => {
    const chunk = chunkOf(plain);
    cli('refine', plain, '--model', tiny, '--steps', '2', '--seed', '4');
    for (const name of readdirSync(join(chunk, 'rgb_refined'))) {
      expect(readFileSync(join(chunk, 'rgb_refined', name)).equals(readFileSync(join(chunkOf(refined), 'rgb_refined', name)))).toBe(true);
    }
    expect(readFileSync(join(chunk, 'scene_refine.json'), 'utf8')).toBe(readFileSync(join(chunkOf(refined), 'scene_refine.json'), 'utf8'));
  }, 120_000);

  it('with --refine-object-strength 0 leaves every labeled pixel raw and refines the rest', () => {
    const out = join(work, 'objects-raw');
    cli('render', 'scenes/tabletop.yaml', '--frames', '2', '--out', out, '--seed', '4', ...size, '--refine', tiny, '--refine-object-strength', '0', '--refine-steps', '2');
    const chunk = chunkOf(out);
    const scores = JSON.parse(readFileSync(join(chunk, 'scene_refine.json'), 'utf8')) as RefineFile;
    for (const [imId, frame] of Object.entries(scores.frames)) {
      expect(frame.object_strength).toBe(0);
      const name = `${imId.padStart(6, '0')}.png`;
      const raw = rgbOf(join(chunk, 'rgb', name));
      const out = rgbOf(join(chunk, 'rgb_refined', name));
      const labeled = labeledPixels(chunk, Number(imId));
      let objectChanged = 0, objectPixels = 0, backgroundChanged = 0;
      for (let p = 0; p < labeled.length; p++) {
        const changed = out[p * 3] !== raw[p * 3] || out[p * 3 + 1] !== raw[p * 3 + 1] || out[p * 3 + 2] !== raw[p * 3 + 2];
        if (labeled[p]) {
          objectPixels++;
          if (changed) objectChanged++;
        } else if (changed) backgroundChanged++;
      }
      expect(objectPixels).toBeGreaterThan(100);
      expect(objectChanged).toBe(0);
      expect(backgroundChanged).toBeGreaterThan(1000);
    }
  }, 120_000);

  it('with the shipped default model keeps the masks on the image edges (edge alignment >= 0.9 of the raw render)', () => {
    const out = join(work, 'default');
    const summary = summaryOf(cli('render', 'scenes/tabletop.yaml', '--frames', '2', '--out', out, '--seed', '9', '--width', '320', '--height', '240', '--refine'));
    expect(summary.refine).toMatchObject({ model: 'refiner-default', frames: 2, flagged: 0 });
    const scores = JSON.parse(readFileSync(join(chunkOf(out), 'scene_refine.json'), 'utf8')) as RefineFile;
    for (const frame of Object.values(scores.frames)) {
      expect(frame.edge_alignment).toBeGreaterThanOrEqual(0.9 * frame.edge_alignment_raw);
      // The model's refine_defaults: edge-aware structure guidance.
      expect(frame).toMatchObject({ strength: 0.3, attempts: 1, structure_sigma: 1, structure_flat_sigma: 3 });
    }
  }, 180_000);

  it('refuses refine settings without --refine, and a bad model before rendering anything', () => {
    const lone = spawnSync('node', ['bin/robosynth.js', 'render', 'scenes/tabletop.yaml', '--frames', '1', '--out', join(work, 'lone'), '--refine-strength', '0.5'], { cwd: root });
    expect(lone.status).toBe(2);
    expect(lone.stderr.toString()).toMatch(/^robosynth: --refine-strength without --refine/);
    const bad = spawnSync('node', ['bin/robosynth.js', 'render', 'scenes/tabletop.yaml', '--frames', '1', '--out', join(work, 'bad'), '--refine', join(work, 'nowhere')], { cwd: root });
    expect(bad.status).toBe(2);
    expect(bad.stderr.toString()).toMatch(/^robosynth: .*nowhere: no refiner model here/);
    expect(bad.stderr.toString()).not.toMatch(/\n\s+at /);
    expect(existsSync(join(work, 'bad'))).toBe(false);
  });
});
