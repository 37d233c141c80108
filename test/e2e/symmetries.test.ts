/**
 * Declared symmetries reach models_info.json in BOP's form, and they are true of the written
 * models: every discrete symmetry maps each model vertex onto a vertex of the same model, and
 * a continuous axis leaves the model's vertex set invariant under a quarter turn (the cylinder's
 * rings are sampled evenly, so any of their angles would do).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BopDataset, readJson } from '../readers/bop.js';
import { parsePly } from '../readers/ply.js';

const root = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'robosynth-symmetries-'));
const out = join(work, 'ds');

beforeAll(() => {
  execFileSync('node', ['scripts/build.mjs'], { cwd: root });
  execFileSync('node', ['bin/robosynth.js', 'render', 'scenes/tabletop.yaml', '--frames', '1', '--out', out, '--width', '160', '--height', '120'], { cwd: root, stdio: 'pipe' });
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Info { symmetries_discrete?: number[][]; symmetries_continuous?: { axis: number[]; offset: number[] }[] }

/** Largest distance from a transformed vertex to its nearest model vertex (mm). */
function worstMiss(vertices: Float64Array, T: number[]): number {
  let worst = 0;
  for (let i = 0; i < vertices.length; i += 3) {
    const [x, y, z] = [vertices[i], vertices[i + 1], vertices[i + 2]];
    const p = [0, 1, 2].map((r) => T[4 * r] * x + T[4 * r + 1] * y + T[4 * r + 2] * z + T[4 * r + 3]);
    let best = Infinity;
    for (let j = 0; j < vertices.length; j += 3) best = Math.min(best, Math.hypot(p[0] - vertices[j], p[1] - vertices[j + 1], p[2] - vertices[j + 2]));
    worst = Math.max(worst, best);
  }
  return worst;
}

describe('declared symmetries', () => {
  it('are written to models_info.json, and hold for the written models', () => {
    const ds = new BopDataset(out);
    const info = readJson<Record<string, Info>>(join(out, 'models', 'models_info.json'));
    const identity = readJson<{ models: { obj_id: number; class: string }[] }>(join(out, 'robosynth.json'));
    const ofClass = (name: string) => identity.models.filter((m) => m.class === name).map((m) => m.obj_id);
    for (const id of ofClass('crate')) {
      expect(info[id].symmetries_discrete).toHaveLength(3);
      const vertices = parsePly(readFileSync(ds.modelPath(id))).vertices;
      for (const T of info[id].symmetries_discrete!) expect(worstMiss(vertices, T)).toBeLessThan(1e-3);
    }
    for (const id of ofClass('can')) {
      expect(info[id].symmetries_continuous).toEqual([{ axis: [0, 0, 1], offset: [0, 0, 0] }]);
      const vertices = parsePly(readFileSync(ds.modelPath(id))).vertices;
      expect(worstMiss(vertices, [0, -1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])).toBeLessThan(1e-3);
    }
    for (const id of [...ofClass('ball'), ...ofClass('bracket')]) {
      expect(info[id].symmetries_discrete).toBeUndefined();
      expect(info[id].symmetries_continuous).toBeUndefined();
    }
  });
});
