/**
 * Mesh-file object classes (OBJ, STL, glTF) on a ground plane, end to end in real headless
 * Chromium: every format loads, settles, renders into the instance pass and gets its BOP model.
 * The OBJ is the YCB banana from the shared test fixtures (read in place, never copied).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Document, NodeIO } from '@gltf-transform/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const banana = new URL('../../../shared/fixtures/ycb/YcbBanana/textured_simple_reoriented.obj', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'robosynth-assets-'));

/** A 4 x 4 x 4 cm tetrahedron-ish wedge as binary STL, millimetres. */
function wedgeStl(): Buffer {
  const v = [[0, 0, 0], [40, 0, 0], [0, 40, 0], [0, 0, 40]];
  const faces = [[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]];
  const out = Buffer.alloc(84 + faces.length * 50);
  out.writeUInt32LE(faces.length, 80);
  faces.forEach((f, i) => {
    const o = 84 + i * 50 + 12;
    f.forEach((vi, k) => v[vi].forEach((c, a) => out.writeFloatLE(c - 10, o + k * 12 + a * 4)));
  });
  return out;
}

/** A y-up glTF box (6 x 3 x 4 cm), built with glTF-Transform's document API. */
async function boxGlb(): Promise<Uint8Array> {
  const doc = new Document();
  const buffer = doc.createBuffer();
  const [x, y, z] = [0.03, 0.015, 0.02];
  const p: number[] = [];
  const idx: number[] = [];
  const corners = (sx: number, sy: number, sz: number) => [sx * x, sy * y, sz * z];
  const quads = [
    [[1, -1, -1], [1, 1, -1], [1, 1, 1], [1, -1, 1]], [[-1, -1, 1], [-1, 1, 1], [-1, 1, -1], [-1, -1, -1]],
    [[-1, 1, -1], [-1, 1, 1], [1, 1, 1], [1, 1, -1]], [[-1, -1, 1], [-1, -1, -1], [1, -1, -1], [1, -1, 1]],
    [[-1, -1, 1], [1, -1, 1], [1, 1, 1], [-1, 1, 1]], [[1, -1, -1], [-1, -1, -1], [-1, 1, -1], [1, 1, -1]],
  ];
  for (const q of quads) {
    const base = p.length / 3;
    for (const c of q) p.push(...corners(c[0], c[1], c[2]));
    idx.push(base, base + 1, base + 2, base, base + 2, base + 3);
  }
  const position = doc.createAccessor().setType('VEC3').setArray(new Float32Array(p)).setBuffer(buffer);
  const indices = doc.createAccessor().setType('SCALAR').setArray(new Uint32Array(idx)).setBuffer(buffer);
  const prim = doc.createPrimitive().setAttribute('POSITION', position).setIndices(indices);
  const mesh = doc.createMesh('box').addPrimitive(prim);
  doc.createScene('s').addChild(doc.createNode('box').setMesh(mesh));
  return new NodeIO().writeBinary(doc);
}

const out = join(work, 'ds');

beforeAll(async () => {
  writeFileSync(join(work, 'wedge.stl'), wedgeStl());
  writeFileSync(join(work, 'box.glb'), await boxGlb());
  const scene = `
image: { width: 320, height: 240 }
camera:
  intrinsics: { fx: 300, fy: 300, cx: 159.5, cy: 119.5 }
  pose: { target: [0, 0, 0], distance: [0.55, 0.65], elevation_deg: [55, 70] }
lights: [ { type: directional, intensity: 2.5 }, { type: hemispheric } ]
support: { type: ground }
objects:
  - { class: banana, mesh: { file: ${JSON.stringify(banana)} }, count: 2 }
  - { class: wedge, mesh: { file: wedge.stl, unit: mm }, count: 2 }
  - { class: gltf_box, mesh: { file: box.glb, up: y }, count: 2 }
placement: { region: { x: [-0.12, 0.12], y: [-0.1, 0.1] }, drop_height: [0.02, 0.06] }
`;
  writeFileSync(join(work, 'assets.yaml'), scene);
  execFileSync('node', ['scripts/build.mjs'], { cwd: root });
  execFileSync('node', ['bin/robosynth.js', 'render', join(work, 'assets.yaml'), '--frames', '3', '--out', out, '--seed', '2'], { cwd: root, stdio: 'pipe' });
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!existsSync(banana))('mesh files as object classes', () => {
  it('writes a BOP model per mesh class, in millimetres, sized as the file says', () => {
    const info = JSON.parse(readFileSync(join(out, 'models', 'models_info.json'), 'utf8')) as Record<string, { diameter: number; size_x: number; size_y: number; size_z: number }>;
    expect(Object.keys(info)).toEqual(['1', '2', '3']);
    // The banana is about 20 cm long; the wedge's edges are 4 cm; the y-up glTF box is 6 x 3 x 4 cm
    // and ends up z-up: 6 x 4 x 3 cm.
    expect(info['1'].diameter).toBeGreaterThan(180);
    expect(info['1'].diameter).toBeLessThan(230);
    expect([info['2'].size_x, info['2'].size_y, info['2'].size_z].map(Math.round)).toEqual([40, 40, 40]);
    expect([info['3'].size_x, info['3'].size_y, info['3'].size_z].map(Math.round)).toEqual([60, 40, 30]);
  });

  it('renders every mesh class into the labels, resting on the ground', () => {
    const gt = JSON.parse(readFileSync(join(out, 'train_pbr/000000/scene_gt.json'), 'utf8')) as Record<string, { obj_id: number; cam_t_m2c: number[] }[]>;
    const info = JSON.parse(readFileSync(join(out, 'train_pbr/000000/scene_gt_info.json'), 'utf8')) as Record<string, { px_count_visib: number }[]>;
    const seen = new Set<number>();
    for (const [im, objects] of Object.entries(gt)) {
      expect(objects).toHaveLength(6);
      objects.forEach((o, k) => { if (info[im][k].px_count_visib > 50) seen.add(o.obj_id); });
    }
    expect([...seen].sort()).toEqual([1, 2, 3]);
    const camera = JSON.parse(readFileSync(join(out, 'train_pbr/000000/scene_camera.json'), 'utf8')) as Record<string, { cam_R_w2c: number[]; cam_t_w2c: number[] }>;
    // Back in the world frame every object centre sits just above the ground plane z = 0.
    for (const [im, objects] of Object.entries(gt)) {
      const { cam_R_w2c: R, cam_t_w2c: t } = camera[im];
      for (const o of objects) {
        const d = [0, 1, 2].map((i) => o.cam_t_m2c[i] - t[i]);
        const zWorld = R[2] * d[0] + R[5] * d[1] + R[8] * d[2];
        expect(zWorld).toBeGreaterThan(0);
        expect(zWorld).toBeLessThan(60);
      }
    }
  });
});
