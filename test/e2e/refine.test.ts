/**
 * `robosynth refine` on a dataset written by `robosynth render`, with a hand-written ONNX model
 * (test/refine/onnx-fixture.ts): refined images land in rgb_refined/, raw renders stay untouched,
 * scores go to scene_refine.json, strength 0 reproduces the raw bytes.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pixelUnetOnnx } from '../refine/onnx-fixture.js';

const root = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'robosynth-refine-e2e-'));
const model = join(work, 'model');
const out = join(work, 'ds');
const chunk = join(out, 'train_pbr', '000000');
const cli = (...args: string[]) => execFileSync('node', ['bin/robosynth.js', ...args], { cwd: root, stdio: 'pipe' }).toString();

beforeAll(() => {
  mkdirSync(model);
  writeFileSync(join(model, 'model.onnx'), pixelUnetOnnx(16));
  writeFileSync(join(model, 'model.json'), JSON.stringify({ prediction: 'epsilon', schedule: { type: 'scaled_linear', num_train_timesteps: 1000, beta_start: 0.00085, beta_end: 0.012 } }));
  execFileSync('node', ['scripts/build.mjs'], { cwd: root });
  cli('render', 'scenes/tabletop.yaml', '--frames', '2', '--out', out, '--width', '160', '--height', '120');
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('robosynth refine', () => {
  it('writes refined frames beside the raw ones with their scores, and keeps the raw renders', () => {
    const raw = readdirSync(join(chunk, 'rgb')).map((n) => readFileSync(join(chunk, 'rgb', n)));
    const summary = JSON.parse(cli('refine', out, '--model', model, '--strength', '0.3', '--steps', '2').trim().split('\n').at(-1)!);
    expect(summary.frames).toBe(2);
    expect(readdirSync(join(chunk, 'rgb_refined')).sort()).toEqual(['000000.png', '000001.png']);
    readdirSync(join(chunk, 'rgb')).forEach((n, i) => expect(readFileSync(join(chunk, 'rgb', n)).equals(raw[i])).toBe(true));
    const scores = JSON.parse(readFileSync(join(chunk, 'scene_refine.json'), 'utf8')) as { frames: Record<string, { ssim: number; edge_alignment: number; edge_alignment_raw: number; strength: number; flagged: boolean }> };
    for (const frame of Object.values(scores.frames)) {
      expect(frame.ssim).toBeGreaterThan(0);
      expect(frame.ssim).toBeLessThanOrEqual(1);
      expect(frame.edge_alignment_raw).toBeGreaterThan(0.8);
      expect(frame.strength).toBeLessThanOrEqual(0.3);
    }
  }, 120_000);

  it('reproduces the raw render at strength 0', () => {
    cli('refine', out, '--model', model, '--strength', '0');
    for (const name of readdirSync(join(chunk, 'rgb'))) {
      // Same pixels; the PNG bytes may differ only if the encoders differ, and both are ours.
      expect(readFileSync(join(chunk, 'rgb_refined', name)).equals(readFileSync(join(chunk, 'rgb', name)))).toBe(true);
    }
  }, 120_000);

  it('says clearly when there is no model', () => {
    let stderr = '';
    try { cli('refine', out, '--model', join(work, 'nowhere')); } catch (error) { stderr = (error as { stderr: Buffer }).stderr.toString(); }
    expect(stderr).toMatch(/^robosynth: .*nowhere: no refiner model here/);
  });
});
