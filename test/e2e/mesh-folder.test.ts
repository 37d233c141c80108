/**
 * `mesh.folder` end to end with the real CLI in headless Chromium: a folder of two different
 * meshes (written here, with a file that is not a mesh next to them) is two models. Labeled, both
 * get a BOP model file and an obj_id (recorded with their file in robosynth.json) and one COCO
 * category for the class; unlabeled, the same frames render byte for byte with no label, model or
 * category for the folder's objects.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BopDataset } from '../readers/bop.js';
import { parsePly } from '../readers/ply.js';
import { boxObj, tetraObj } from '../scene/obj-text.js';

const root = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'robosynth-mesh-folder-'));

const scene = (labeled: boolean) => `
image: { width: 320, height: 240 }
camera:
  intrinsics: { fx: 300, fy: 300, cx: 159.5, cy: 119.5 }
  pose: { target: [0, 0, 0], distance: [0.55, 0.65], elevation_deg: [55, 70] }
lights: [ { type: directional, intensity: 2.5 }, { type: hemispheric } ]
support: { type: table }
objects:
  - { class: crate, box: { size: [0.05, 0.04, 0.03] }, count: 2 }
  - { class: part, mesh: { folder: parts, unit: mm }, count: 4, labeled: ${labeled} }
placement: { region: { x: [-0.12, 0.12], y: [-0.1, 0.1] }, drop_height: [0.02, 0.06] }
`;

function render(name: string, labeled: boolean): BopDataset {
  writeFileSync(join(work, `${name}.yaml`), scene(labeled));
  execFileSync('node', ['bin/robosynth.js', 'render', join(work, `${name}.yaml`), '--frames', '3', '--out', join(work, name), '--seed', '5'], { cwd: root, stdio: 'pipe' });
  return new BopDataset(join(work, name));
}

let labeled: BopDataset;
let unlabeled: BopDataset;

beforeAll(() => {
  mkdirSync(join(work, 'parts'));
  writeFileSync(join(work, 'parts', 'a_cube.obj'), boxObj(40, 40, 40));
  writeFileSync(join(work, 'parts', 'b_tetra.obj'), tetraObj(60));
  writeFileSync(join(work, 'parts', 'readme.txt'), 'not a mesh');
  execFileSync('node', ['scripts/build.mjs'], { cwd: root });
  labeled = render('labeled', true);
  unlabeled = render('unlabeled', false);
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const categories = (ds: BopDataset) =>
  (JSON.parse(readFileSync(join(ds.root, 'coco_annotations.json'), 'utf8')) as { categories: { name: string }[] }).categories.map((c) => c.name);

describe('a mesh.folder class', () => {
  it('labeled: each file of the folder is a BOP model with its own obj_id, and the class one COCO category', () => {
    expect([...labeled.modelsInfo().keys()]).toEqual([1, 2, 3]);
    // obj 2 is the cube (40 mm), obj 3 the tetrahedron (60 mm edges): the files in name order.
    const info = labeled.modelsInfo();
    expect([info.get(2)!.size_x, info.get(2)!.size_y, info.get(2)!.size_z]).toEqual([40, 40, 40]);
    expect([info.get(3)!.size_x, info.get(3)!.size_y, info.get(3)!.size_z]).toEqual([60, 60, 60]);
    const [cube, tetra] = [2, 3].map((id) => parsePly(readFileSync(labeled.modelPath(id))));
    expect([cube.faces.length / 3, tetra.faces.length / 3]).toEqual([12, 4]);
    expect(cube.comments.join(' ')).toContain('part#0 (class part, from parts/a_cube.obj)');
    const identity = JSON.parse(readFileSync(join(labeled.root, 'robosynth.json'), 'utf8')) as { models: unknown[] };
    expect(identity.models).toEqual([
      { obj_id: 1, key: 'crate', class: 'crate' },
      { obj_id: 2, key: 'part#0', class: 'part', file: 'parts/a_cube.obj' },
      { obj_id: 3, key: 'part#1', class: 'part', file: 'parts/b_tetra.obj' },
    ]);
    expect(categories(labeled)).toEqual(['crate', 'part']);
    // Both models are dropped and labeled over the frames.
    const objIds = new Set([...labeled.sceneGt(0).values()].flat().map((gt) => gt.obj_id));
    expect([...objIds].sort()).toEqual([1, 2, 3]);
  });

  it('unlabeled: the folder\'s objects are drawn and occlude, but get no label, model or category', () => {
    expect([...unlabeled.modelsInfo().keys()]).toEqual([1]);
    expect(categories(unlabeled)).toEqual(['crate']);
    const identity = JSON.parse(readFileSync(join(unlabeled.root, 'robosynth.json'), 'utf8')) as { models: unknown[] };
    expect(identity.models).toEqual([{ obj_id: 1, key: 'crate', class: 'crate' }]);
    for (const [im, gts] of unlabeled.sceneGt(0)) {
      // The same frames as the labeled run: the same image, and the crates' labels (first) alike.
      expect(readFileSync(unlabeled.rgbPath(0, im)).equals(readFileSync(labeled.rgbPath(0, im)))).toBe(true);
      expect(gts.map((gt) => gt.obj_id)).toEqual([1, 1]);
      expect(labeled.sceneGt(0).get(im)!.slice(0, 2)).toEqual(gts);
      gts.forEach((_, k) => expect(readFileSync(unlabeled.maskVisibPath(0, im, k)).equals(readFileSync(labeled.maskVisibPath(0, im, k)))).toBe(true));
    }
  });
});
