/**
 * Interrupting a run loses nothing: after Ctrl-C every frame the dataset indexes is complete,
 * no temporary file is left, and a later run fills in the rest. A broken run of a bad scene
 * writes nothing at all.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const cli = join(root, 'bin/robosynth.js');
const work = mkdtempSync(join(tmpdir(), 'robosynth-interrupt-'));

function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? allFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

beforeAll(() => {
  execFileSync('node', ['scripts/build.mjs'], { cwd: root });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('an interrupted run', () => {
  it('leaves only whole frames, all of them indexed, and resumes', async () => {
    const out = join(work, 'ds');
    const child = spawn('node', [cli, 'render', 'scenes/tabletop.yaml', '--frames', '40', '--out', out, '--seed', '3'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // Wait until a few frames are on disk, then press Ctrl-C.
    const chunk = join(out, 'train_pbr', '000000');
    for (let i = 0; i < 600 && !(existsSync(join(chunk, 'rgb')) && readdirSync(join(chunk, 'rgb')).length >= 3); i++) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, stderr).toBe(130);

    expect(allFiles(out).filter((f) => /\.tmp-\d+-\d+$/.test(f))).toEqual([]);
    const gt = JSON.parse(readFileSync(join(chunk, 'scene_gt.json'), 'utf8')) as Record<string, unknown[]>;
    const ids = Object.keys(gt).map(Number);
    expect(ids.length).toBeGreaterThanOrEqual(3);
    expect(ids.length).toBeLessThan(40);
    // Every indexed frame has all of its files.
    for (const id of ids) {
      const name = String(id).padStart(6, '0');
      expect(existsSync(join(chunk, 'rgb', `${name}.png`))).toBe(true);
      expect(existsSync(join(chunk, 'depth', `${name}.png`))).toBe(true);
      gt[String(id)].forEach((_, k) => {
        expect(existsSync(join(chunk, 'mask', `${name}_${String(k).padStart(6, '0')}.png`))).toBe(true);
        expect(existsSync(join(chunk, 'mask_visib', `${name}_${String(k).padStart(6, '0')}.png`))).toBe(true);
      });
    }
    const coco = JSON.parse(readFileSync(join(out, 'coco_annotations.json'), 'utf8')) as { images: unknown[] };
    expect(coco.images).toHaveLength(ids.length);

    // Rendering the missing range into the same folder completes the index.
    const first = Math.max(...ids) + 1;
    execFileSync('node', [cli, 'render', 'scenes/tabletop.yaml', '--frames', String(45 - first), '--start', String(first), '--out', out, '--seed', '3'], { cwd: root, stdio: 'pipe' });
    const after = JSON.parse(readFileSync(join(chunk, 'scene_gt.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(after).map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 45 }, (_, i) => i).filter((i) => ids.includes(i) || i >= first));
  }, 240_000);

  it('with --refine, stops the worker too, and every indexed frame has its refined image and scores', async () => {
    const out = join(work, 'refined');
    const tiny = join(root, 'test/fixtures/refiner/pixel-tiny');
    const child = spawn('node', [cli, 'render', 'scenes/tabletop.yaml', '--frames', '40', '--out', out, '--seed', '3', '--width', '320', '--height', '240', '--refine', tiny], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const chunk = join(out, 'train_pbr', '000000');
    for (let i = 0; i < 600 && !(existsSync(join(chunk, 'rgb_refined')) && readdirSync(join(chunk, 'rgb_refined')).length >= 2); i++) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, stderr).toBe(130);
    expect(allFiles(out).filter((f) => /\.tmp-\d+-\d+$/.test(f))).toEqual([]);
    const gt = JSON.parse(readFileSync(join(chunk, 'scene_gt.json'), 'utf8')) as Record<string, unknown>;
    const scores = JSON.parse(readFileSync(join(chunk, 'scene_refine.json'), 'utf8')) as { frames: Record<string, unknown> };
    expect(Object.keys(gt).length).toBeGreaterThanOrEqual(2);
    expect(Object.keys(gt).length).toBeLessThan(40);
    expect(Object.keys(scores.frames).sort()).toEqual(Object.keys(gt).sort());
    expect(readdirSync(join(chunk, 'rgb_refined')).sort()).toEqual(Object.keys(gt).map((id) => `${id.padStart(6, '0')}.png`).sort());
  }, 240_000);

  it('refuses a folder that holds something else, and a bad scene writes nothing', () => {
    const foreign = join(work, 'foreign');
    execFileSync('mkdir', ['-p', foreign]);
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    const refuse = () => execFileSync('node', [cli, 'render', 'scenes/tabletop.yaml', '--frames', '1', '--out', foreign], { cwd: root, stdio: 'pipe' });
    expect(refuse).toThrow(/not a robosynth dataset/);
    expect(readdirSync(foreign)).toEqual(['notes.txt']);

    const bad = join(work, 'bad.yaml');
    writeFileSync(bad, readFileSync(join(root, 'scenes/tabletop.yaml'), 'utf8').replace('count: 3', 'count: many'));
    const badOut = join(work, 'bad-out');
    let stderr = '';
    try {
      execFileSync('node', [cli, 'render', bad, '--frames', '1', '--out', badOut], { cwd: root, stdio: 'pipe' });
    } catch (error) {
      const e = error as { status: number; stderr: Buffer };
      expect(e.status).toBe(2);
      stderr = e.stderr.toString();
    }
    expect(stderr).toMatch(/^robosynth: .*bad\.yaml:\d+: objects\[0\]\.count: /);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(badOut)).toBe(false);
  });
});
