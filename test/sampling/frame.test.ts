import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMeshFile } from '../../src/geometry/mesh-files.js';
import { sampleSettledFrame } from '../../src/pipeline/render-dataset.js';
import { loadScene } from '../../src/scene/load.js';
import { buildCatalog } from '../../src/scene/models.js';
import { boxObj, tetraObj } from '../scene/obj-text.js';

const scene = loadScene(new URL('../../scenes/tabletop.yaml', import.meta.url).pathname);
const catalog = await buildCatalog(scene, loadMeshFile);
const spec = scene.spec;

describe('frame sampling', () => {
  it('depends on (seed, index) alone', () => {
    const a = sampleSettledFrame(spec, catalog, 5, 17);
    const b = sampleSettledFrame(spec, catalog, 5, 17);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(sampleSettledFrame(spec, catalog, 5, 18))).not.toBe(JSON.stringify(a));
    expect(JSON.stringify(sampleSettledFrame(spec, catalog, 6, 17))).not.toBe(JSON.stringify(a));
  });

  it('keeps counts, camera and settled poses inside the scene file ranges', () => {
    for (let index = 0; index < 12; index++) {
      const frame = sampleSettledFrame(spec, catalog, 1, index);
      spec.objects.forEach((cls) => {
        const n = frame.instances.filter((i) => i.className === cls.class).length;
        const [lo, hi] = typeof cls.count === 'number' ? [cls.count, cls.count] : cls.count;
        expect(n).toBeGreaterThanOrEqual(lo);
        expect(n).toBeLessThanOrEqual(hi);
      });
      const t = frame.camera.pose.t;
      const d = Math.hypot(t[0], t[1], t[2] - 0.03);
      const [dmin, dmax] = spec.camera.pose.distance as [number, number];
      expect(d).toBeGreaterThan(dmin - 0.08);
      expect(d).toBeLessThan(dmax + 0.08);
      for (const instance of frame.instances) {
        const [x, y, z] = instance.pose.t;
        // Settled: resting on the table (its top is z = 0), not below it and not flying.
        expect(z).toBeGreaterThan(0);
        expect(z).toBeLessThan(0.15);
        expect(Math.abs(x)).toBeLessThan(0.6);
        expect(Math.abs(y)).toBeLessThan(0.4);
      }
      expect(new Set(frame.instances.map((i) => i.id)).size).toBe(frame.instances.length);
    }
  });
});

describe('mesh.folder classes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'robosynth-frame-folder-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  write('three/a.obj', boxObj(40, 40, 40));
  write('three/b.obj', tetraObj(60));
  write('three/c.obj', boxObj(20, 30, 50));
  write('one/only.obj', boxObj(30, 20, 40));
  // The default scene with one more class (after its six models: obj_ids 7..), written next to the meshes.
  const bracket = new URL('../../assets/meshes/bracket.obj', import.meta.url).pathname;
  const tabletop = readFileSync(new URL('../../scenes/tabletop.yaml', import.meta.url), 'utf8').replace('../assets/meshes/bracket.obj', bracket);
  const withClass = (name: string, item: string) => loadScene(write(name, tabletop.replace('placement:', `${item}\nplacement:`)));

  it('each instance draws one of the folder\'s models uniformly, every one over many frames, from (seed, index) alone', async () => {
    const loaded = withClass('three.yaml', '  - { class: part, mesh: { folder: three, unit: mm }, count: 3 }');
    const folderCatalog = await buildCatalog(loaded, loadMeshFile);
    const counts = new Map<string, number>();
    for (let index = 0; index < 30; index++) {
      const frame = sampleSettledFrame(loaded.spec, folderCatalog, 9, index);
      const parts = frame.instances.filter((i) => i.className === 'part');
      expect(parts).toHaveLength(3);
      for (const p of parts) counts.set(p.model, (counts.get(p.model) ?? 0) + 1);
      expect(parts.map((p) => p.objId)).toEqual(parts.map((p) => ({ 'part#0': 7, 'part#1': 8, 'part#2': 9 })[p.model]));
    }
    expect([...counts.keys()].sort()).toEqual(['part#0', 'part#1', 'part#2']);
    // 90 draws: about 30 each.
    for (const n of counts.values()) expect(n).toBeGreaterThan(15);
    // Deterministic: again, and with a catalog built anew.
    const again = await buildCatalog(withClass('three-again.yaml', '  - { class: part, mesh: { folder: three, unit: mm }, count: 3 }'), loadMeshFile);
    for (const index of [0, 7]) {
      expect(JSON.stringify(sampleSettledFrame(loaded.spec, again, 9, index))).toBe(JSON.stringify(sampleSettledFrame(loaded.spec, folderCatalog, 9, index)));
    }
  });

  it('a folder of one file samples exactly as `file` of it: the folder draws nothing more', async () => {
    const folder = withClass('one-folder.yaml', '  - { class: part, mesh: { folder: one, unit: mm }, count: 2 }');
    const file = withClass('one-file.yaml', '  - { class: part, mesh: { file: one/only.obj, unit: mm }, count: 2 }');
    const [a, b] = [await buildCatalog(folder, loadMeshFile), await buildCatalog(file, loadMeshFile)];
    for (const index of [0, 1, 2]) {
      expect(JSON.stringify(sampleSettledFrame(folder.spec, a, 3, index))).toBe(JSON.stringify(sampleSettledFrame(file.spec, b, 3, index)));
    }
  });
});
