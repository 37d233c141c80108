/**
 * The model catalog of `mesh.folder` classes: one model per file of the folder (and per subfolder
 * with a model.urdf), in name order, numbered like procedural variants; labeled ones get
 * consecutive BOP obj_ids, unlabeled ones are distractors. Meshes are written to a temp folder.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { loadMeshFile } from '../../src/geometry/mesh-files.js';
import { meshBounds } from '../../src/geometry/mesh-ops.js';
import { loadScene } from '../../src/scene/load.js';
import { buildCatalog, type MeshLoader } from '../../src/scene/models.js';
import { boxObj, tetraObj } from './obj-text.js';

const URDF = `<?xml version="1.0" ?>
<robot name="thing">
  <link name="body">
    <visual><geometry><mesh filename="visual.obj"/></geometry></visual>
    <collision><geometry><box size="20 30 50"/></geometry></collision>
  </link>
</robot>
`;

let dir: string;

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/** A scene with the given object classes (YAML list items). */
function scene(name: string, objects: string): string {
  return write(name, `
image: { width: 160, height: 120 }
camera:
  intrinsics: { fx: 150, fy: 150, cx: 79.5, cy: 59.5 }
  pose: { distance: 0.8, elevation_deg: 50 }
lights: [ { type: hemispheric } ]
support: { type: table }
objects:
${objects}
placement: { region: { x: [-0.2, 0.2], y: [-0.15, 0.15] } }
`);
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'robosynth-models-'));
  // In millimetres: a 40 mm cube, a 60 mm tetrahedron, and a YCB-style object folder.
  write('parts/a_cube.obj', boxObj(40, 40, 40));
  write('parts/b_tetra.obj', tetraObj(60));
  write('parts/c_thing/model.urdf', URDF);
  write('parts/c_thing/visual.obj', boxObj(20, 30, 50));
  write('parts/notes.txt', 'not a mesh');
  write('one/only.obj', boxObj(10, 20, 30));
  write('broken/a_good.obj', boxObj(10, 10, 10));
  write('broken/b_bad.obj', 'v 0 0 0\nv 1 0 0\nf 1 2 7\n');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('a mesh.folder class', () => {
  it('has one model per file, in name order, with consecutive obj_ids after the classes before it', async () => {
    const loaded = loadScene(scene('labeled.yaml', `
  - { class: crate, box: { size: [0.05, 0.05, 0.05] }, variants: 2 }
  - { class: part, mesh: { folder: parts, unit: mm } }
  - { class: single, mesh: { file: one/only.obj, unit: mm } }`));
    const loads: string[] = [];
    const spy: MeshLoader = (file, options) => {
      loads.push(path.relative(dir, file));
      return loadMeshFile(file, options);
    };
    const catalog = await buildCatalog(loaded, spy);
    expect(catalog.models.map((m) => [m.objId, m.key, m.className, m.variant, m.source])).toEqual([
      [1, 'crate#0', 'crate', 0, undefined],
      [2, 'crate#1', 'crate', 1, undefined],
      [3, 'part#0', 'part', 0, 'parts/a_cube.obj'],
      [4, 'part#1', 'part', 1, 'parts/b_tetra.obj'],
      [5, 'part#2', 'part', 2, 'parts/c_thing/model.urdf'],
      [6, 'single', 'single', 0, undefined],
    ]);
    expect(catalog.distractors).toEqual([]);
    expect(catalog.byClass.map((list) => list.length)).toEqual([2, 3, 1]);
    expect(catalog.byClass[1]).toEqual(catalog.models.slice(2, 5));
    // Each file is read once (the URDF through its own loader), in name order.
    expect(loads).toEqual(['parts/a_cube.obj', 'parts/b_tetra.obj', 'one/only.obj']);
    // Each model is its own file's mesh, in metres; the URDF's box collides as one convex piece.
    const size = (i: number) => { const { min, max } = meshBounds(catalog.models[i].mesh); return max.map((v, k) => Number((v - min[k]).toFixed(4))); };
    expect(size(2)).toEqual([0.04, 0.04, 0.04]);
    expect(size(3)).toEqual([0.06, 0.06, 0.06]);
    expect(size(4)).toEqual([0.02, 0.03, 0.05]);
    expect(catalog.models[2].collision?.type).toBe('convex');
    expect(catalog.models[4].halfHeight).toBeCloseTo(0.025, 6);
  });

  it('unlabeled: every file is a distractor model, and the labeled models keep their obj_ids', async () => {
    const loaded = loadScene(scene('unlabeled.yaml', `
  - { class: crate, box: { size: [0.05, 0.05, 0.05] }, variants: 2 }
  - { class: clutter, mesh: { folder: parts, unit: mm }, labeled: false }
  - { class: single, mesh: { file: one/only.obj, unit: mm } }`));
    const catalog = await buildCatalog(loaded, loadMeshFile);
    expect(catalog.models.map((m) => [m.objId, m.key])).toEqual([[1, 'crate#0'], [2, 'crate#1'], [3, 'single']]);
    expect(catalog.distractors.map((m) => [m.objId, m.key, m.source])).toEqual([
      [0, 'clutter#0', 'parts/a_cube.obj'],
      [0, 'clutter#1', 'parts/b_tetra.obj'],
      [0, 'clutter#2', 'parts/c_thing/model.urdf'],
    ]);
    expect(catalog.byClass[1]).toEqual(catalog.distractors);
  });

  it('a folder of one file gives the model that `file` gives, keyed by the class name', async () => {
    const folder = await buildCatalog(loadScene(scene('one-folder.yaml', '  - { class: single, mesh: { folder: one, unit: mm } }')), loadMeshFile);
    const file = await buildCatalog(loadScene(scene('one-file.yaml', '  - { class: single, mesh: { file: one/only.obj, unit: mm } }')), loadMeshFile);
    expect(folder.models).toHaveLength(1);
    expect(folder.models[0].source).toBe('one/only.obj');
    const { source, ...rest } = folder.models[0];
    expect(source).toBeDefined();
    expect(rest).toEqual(file.models[0]);
  });

  it('a corrupt mesh in the folder fails with the error naming that file', async () => {
    const loaded = loadScene(scene('broken.yaml', '  - { class: part, mesh: { folder: broken } }'));
    const error = await buildCatalog(loaded, loadMeshFile).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(`Cannot load mesh file "${path.join(dir, 'broken/b_bad.obj')}": line 3: face vertex index 7 is out of range (2 vertices defined before this line)`);
  });
});
