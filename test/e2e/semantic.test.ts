/**
 * Semantic segmentation, read back from the written files: semantic_classes.json is the COCO
 * category table; each semantic/ image gives, on every pixel, the category of the object whose
 * visible mask covers it (robots: the robot's category over all of its links) and 0 elsewhere.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGrayPng, readJson, readMask } from '../readers/bop.js';

const root = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'robosynth-semantic-'));
const render = (scene: string, out: string) =>
  execFileSync('node', ['bin/robosynth.js', 'render', scene, '--frames', '2', '--out', out, '--width', '200', '--height', '150', '--seed', '5'], { cwd: root, stdio: 'pipe' });

interface Category { id: number; name: string; supercategory: string }

beforeAll(() => {
  execFileSync('node', ['scripts/build.mjs'], { cwd: root });
  render('scenes/tabletop.yaml', join(work, 'tabletop'));
  render('scenes/robot-cell.yaml', join(work, 'cell'));
}, 240_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Expected semantic image from the visible masks and their categories. */
function fromMasks(chunk: string, imId: number, categoryOfGt: (gt: number) => number, size: number): Uint16Array {
  const expected = new Uint16Array(size);
  const prefix = `${String(imId).padStart(6, '0')}_`;
  for (const name of readdirSync(join(chunk, 'mask_visib')).filter((n) => n.startsWith(prefix))) {
    const gt = Number(name.slice(prefix.length, -4));
    const { mask } = readMask(join(chunk, 'mask_visib', name));
    for (let p = 0; p < size; p++) if (mask[p]) expected[p] = categoryOfGt(gt);
  }
  return expected;
}

describe('semantic segmentation', () => {
  for (const [name, scene] of [['tabletop', 'scenes/tabletop.yaml'], ['cell', 'scenes/robot-cell.yaml']] as const) {
    it(`${scene}: the class table is COCO's, and every pixel holds its visible object's category`, () => {
      const out = join(work, name);
      const table = readJson<{ background: number; classes: Category[] }>(join(out, 'semantic_classes.json'));
      const coco = readJson<{ categories: Category[] }>(join(out, 'coco_annotations.json'));
      expect(table.background).toBe(0);
      expect(table.classes).toEqual(coco.categories.map(({ id, name: n, supercategory }) => ({ id, name: n, supercategory })));
      const chunk = join(out, 'train_pbr', '000000');
      const gt = readJson<Record<string, { obj_id: number }[]>>(join(chunk, 'scene_gt.json'));
      const cocoFrame = readJson<{ images: { id: number }[]; annotations: { image_id: number; category_id: number; segmentation: unknown }[] }>(join(chunk, 'scene_gt_coco.json'));
      const robotsFile = name === 'cell' ? readJson<Record<string, { name: string; links: { gt_index: number }[] }[]>>(join(chunk, 'scene_robot.json')) : {};
      // Object classes per obj_id, from the dataset's own identity file.
      const identity = readJson<{ models: { obj_id: number; class: string }[] }>(join(out, 'robosynth.json'));
      for (const imId of Object.keys(gt).map(Number)) {
        const robotOfGt = new Map<number, string>();
        for (const robot of robotsFile[String(imId)] ?? []) for (const link of robot.links) robotOfGt.set(link.gt_index, robot.name);
        const categoryOfGt = (k: number) => {
          const robot = robotOfGt.get(k);
          const className = robot ?? identity.models.find((m) => m.obj_id === gt[String(imId)][k].obj_id)!.class;
          return table.classes.find((c) => c.name === className)!.id;
        };
        const image = readGrayPng(join(chunk, 'semantic', `${String(imId).padStart(6, '0')}.png`));
        expect(image.bitDepth).toBe(8);
        const expected = fromMasks(chunk, imId, categoryOfGt, image.data.length);
        let mismatched = 0;
        for (let p = 0; p < expected.length; p++) if (image.data[p] !== expected[p]) mismatched++;
        expect(mismatched).toBe(0);
        const present = new Set(image.data);
        present.delete(0);
        expect(present.size).toBeGreaterThanOrEqual(name === 'cell' ? 2 : 3);
        // Every category present has a COCO annotation in this image.
        const annotated = new Set(cocoFrame.annotations.filter((a) => a.image_id === imId).map((a) => a.category_id));
        for (const c of present) expect(annotated.has(c)).toBe(true);
      }
      if (name === 'cell') expect(table.classes.some((c) => c.supercategory === 'robot')).toBe(true);
    });
  }
});
