/**
 * `robosynth inspect`: overlays drawn from the written labels. The tint sits exactly on the
 * visible masks (pixels outside every mask, box and projected model box are untouched), the
 * refined image is shown beside the raw one, and bad frame lists get a clear error.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMask } from '../readers/bop.js';

const root = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'robosynth-inspect-'));
const out = join(work, 'ds');
const chunk = join(out, 'train_pbr', '000000');
const W = 200, H = 150;
const cli = (...args: string[]) => execFileSync('node', ['bin/robosynth.js', ...args], { cwd: root, stdio: 'pipe' }).toString();

beforeAll(() => {
  execFileSync('node', ['scripts/build.mjs'], { cwd: root });
  cli('render', 'scenes/tabletop.yaml', '--frames', '2', '--out', out, '--width', String(W), '--height', String(H), '--refine', join(root, 'test/fixtures/refiner/pixel-tiny'), '--refine-steps', '1');
}, 180_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('robosynth inspect', () => {
  it('tints exactly the visible masks, raw and refined side by side', () => {
    const summary = JSON.parse(cli('inspect', out, '--frames', '0-1').trim()) as { overlays: number; files: string[] };
    expect(summary.overlays).toBe(2);
    expect(readdirSync(join(out, 'inspect')).sort()).toEqual(['000000_000000.png', '000000_000001.png']);
    const overlay = PNG.sync.read(readFileSync(join(out, 'inspect', '000000_000000.png')));
    expect([overlay.width, overlay.height]).toEqual([2 * W + 4, H]);
    const raw = PNG.sync.read(readFileSync(join(chunk, 'rgb', '000000.png')));
    const masks = readdirSync(join(chunk, 'mask_visib')).filter((n) => n.startsWith('000000_')).map((n) => readMask(join(chunk, 'mask_visib', n)).mask);
    const any = new Uint8Array(W * H);
    for (const m of masks) for (let p = 0; p < any.length; p++) any[p] |= m[p];
    let inside = 0, insideChanged = 0, outside = 0, outsideChanged = 0;
    for (let p = 0; p < W * H; p++) {
      const x = p % W, y = Math.floor(p / W);
      const changed = [0, 1, 2].some((c) => overlay.data[(y * overlay.width + x) * 4 + c] !== raw.data[p * 4 + c]);
      if (any[p]) { inside++; if (changed) insideChanged++; } else { outside++; if (changed) outsideChanged++; }
    }
    // Every mask pixel is tinted; outside the masks only the drawn lines change (a small share).
    expect(insideChanged).toBe(inside);
    expect(inside).toBeGreaterThan(500);
    expect(outsideChanged / outside).toBeLessThan(0.08);
  });

  it('says clearly when a frame is not there', () => {
    const result = spawnSync('node', ['bin/robosynth.js', 'inspect', out, '--frames', '7'], { cwd: root });
    expect(result.status).toBe(2);
    expect(result.stderr.toString()).toMatch(/^robosynth: .*no frame 7 \(it has 0\.\.1\)/);
  });
});
