// Texture swaps from a folder (materials' `texture` block): the loader lists the folder's images,
// sampling draws one with probability p (per instance or per class), scenes without the block
// keep their streams, and the renderer's view passes the chosen texture on.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMeshFile } from '../../src/geometry/mesh-files.js';
import { rendererTextures, sampleSettledFrame } from '../../src/pipeline/scene-setup.js';
import { frameToPageJob } from '../../src/render/job.js';
import { sampleMaterial } from '../../src/sampling/frame.js';
import { Rng } from '../../src/sampling/rng.js';
import type { Material } from '../../src/scene/frame.js';
import { loadScene, parseScene } from '../../src/scene/load.js';
import { buildCatalog, renderModels } from '../../src/scene/models.js';
import { materialSpec } from '../../src/scene/schema.js';
import { sceneLoadError } from '../scene/scene-errors.js';

const SCENE = `image: { width: 160, height: 120 }
camera:
  intrinsics: { fx: 150, fy: 150, cx: 79.5, cy: 59.5 }
  pose: { distance: [0.6, 0.9], elevation_deg: [40, 60] }
lights: [ { type: hemispheric } ]
support:
  type: table
  material:
    color: [1, 1, 1]
    texture: { folder: tex, scale: [1, 3] }
objects:
  - class: plain
    box: { size: [0.05, 0.05, 0.05] }
    count: 2
  - class: shared
    box: { size: [0.04, 0.04, 0.04] }
    count: 4
    material: { texture: { folder: tex, p: 0.5 }, per: class }
  - class: own
    sphere: { radius: 0.02 }
    count: 4
    material: { texture: { folder: tex, p: 0.5, scale: 2 } }
placement: { region: { x: [-0.2, 0.2], y: [-0.15, 0.15] } }
`;

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'robosynth-textures-'));
  mkdirSync(join(dir, 'tex'));
  mkdirSync(join(dir, 'empty'));
  // Not decoded here (the renderer reads them): the loader only lists them, in name order.
  for (const name of ['c.png', 'a.png', 'b.JPG', 'notes.txt']) writeFileSync(join(dir, 'tex', name), 'x');
  writeFileSync(join(dir, 'empty', 'readme.md'), 'no images');
  writeFileSync(join(dir, 'scene.yaml'), SCENE);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const loadError = (text: string): string => sceneLoadError(dir, text);

describe('texture folders in scene files', () => {
  it('lists the images of each folder, sorted, keyed relative to the scene file', () => {
    const scene = loadScene(join(dir, 'scene.yaml'));
    expect([...scene.textures.folders]).toEqual([['tex', ['tex/a.png', 'tex/b.JPG', 'tex/c.png']]]);
    expect(scene.textures.files.get('tex/a.png')).toBe(join(dir, 'tex', 'a.png'));
    expect(scene.spec.objects[0].material.per).toBe('instance');
    expect(scene.spec.objects[1].material.texture).toEqual({ folder: 'tex', p: 0.5, scale: 1 });
  });

  it('names the file and line of a missing or empty folder', () => {
    const missing = loadError(SCENE.replace('{ folder: tex, scale', '{ folder: nowhere, scale'));
    expect(missing).toBe(`${join(dir, 'bad.yaml')}:10: support.material.texture.folder: no such folder ${join(dir, 'nowhere')}`);
    const empty = loadError(SCENE.replace('{ folder: tex, p: 0.5, scale: 2 }', '{ folder: empty, p: 0.5, scale: 2 }'));
    expect(empty).toBe(`${join(dir, 'bad.yaml')}:22: objects[2].material.texture.folder: the folder ${join(dir, 'empty')} holds no .png, .jpg or .jpeg images`);
    expect(loadError(SCENE.replace('p: 0.5, scale: 2', 'p: 1.5, scale: 2'))).toMatch(/:22: objects\[2\]\.material\.texture\.p: expected a number <= 1, got 1\.5/);
    expect(loadError(SCENE.replace('per: class', 'per: frame'))).toMatch(/:18: objects\[1\]\.material\.per: expected one of "instance", "class", got "frame"/);
  });
});

describe('sampling textured materials', () => {
  const folders = new Map([['tex', ['tex/a.png', 'tex/b.png', 'tex/c.png']]]);
  const spec = (texture: object | undefined) => materialSpec.parse({ color: [1, 1, 1], roughness: [0.2, 0.8], ...(texture ? { texture } : {}) });

  it('textures with probability p, every image of the folder, at the drawn scale', () => {
    const count = (p: number) => {
      const rng = new Rng(3, 'p', p);
      const draws = Array.from({ length: 3000 }, () => sampleMaterial(rng, spec({ folder: 'tex', p, scale: [1, 4] }), folders));
      return draws;
    };
    for (const p of [0, 0.25, 0.5, 1]) {
      const draws = count(p);
      const textured = draws.filter((m) => m.texture !== undefined);
      expect(Math.abs(textured.length / draws.length - p)).toBeLessThan(0.03);
      if (p === 0) continue;
      expect(new Set(textured.map((m) => m.texture))).toEqual(new Set(folders.get('tex')));
      for (const m of textured) {
        expect(m.textureScale).toBeGreaterThanOrEqual(1);
        expect(m.textureScale).toBeLessThanOrEqual(4);
      }
      expect(draws.filter((m) => m.texture === undefined).every((m) => m.textureScale === undefined)).toBe(true);
    }
  });

  it('draws nothing more without a texture block: the stream goes on as before', () => {
    const a = new Rng(7, 1, 'support');
    const material = sampleMaterial(a, spec(undefined), folders);
    expect(material).toEqual({ color: [1, 1, 1], roughness: expect.any(Number) as number, metallic: 0 });
    expect(Object.keys(material)).toEqual(['color', 'roughness', 'metallic']);
    const b = new Rng(7, 1, 'support');
    b.next(); // roughness, the only draw (a fixed colour and metallic draw nothing)
    expect(a.next()).toBe(b.next());
    // With the block, exactly three more draws, whether or not the texture is taken.
    for (const p of [0, 1]) {
      const c = new Rng(7, 1, 'support');
      sampleMaterial(c, spec({ folder: 'tex', p, scale: [1, 2] }), folders);
      const d = new Rng(7, 1, 'support');
      for (let k = 0; k < 4; k++) d.next();
      expect(c.next()).toBe(d.next());
    }
  });

  it('keeps the frames of scenes without textures as they were', async () => {
    // The scene without any texture block: no texture key anywhere, and writing the default
    // `per: instance` out changes no draw.
    const plainText = SCENE.replace(/\n {4}texture: \{ folder: tex, scale: \[1, 3\] \}/, '')
      .replace('material: { texture: { folder: tex, p: 0.5 }, per: class }', 'count: 4')
      .replace('material: { texture: { folder: tex, p: 0.5, scale: 2 } }', 'count: 4')
      .replace(/count: 4\n {4}count: 4/g, 'count: 4');
    const plain = parseScene(plainText, join(dir, 'plain.yaml'));
    expect(plain.textures.folders.size).toBe(0);
    const catalog = await buildCatalog(plain, loadMeshFile);
    const frame = sampleSettledFrame(plain.spec, catalog, 4, 2);
    expect(JSON.stringify(frame)).not.toMatch(/texture/);
    const explicit = parseScene(plainText.replace('  - class: plain\n', '  - class: plain\n    material: { per: instance }\n'), join(dir, 'explicit.yaml'));
    expect(JSON.stringify(sampleSettledFrame(explicit.spec, await buildCatalog(explicit, loadMeshFile), 4, 2))).toBe(JSON.stringify(frame));
  });

  it('shares one draw among a per-class class, draws one per instance otherwise, and textures the table', async () => {
    const scene = loadScene(join(dir, 'scene.yaml'));
    const catalog = await buildCatalog(scene, loadMeshFile);
    const keys = folders.get('tex')!.map((k) => k.replace('b.png', 'b.JPG'));
    const sharedTextures = new Set<string | undefined>();
    const ownTextured: boolean[] = [];
    for (let index = 0; index < 8; index++) {
      const frame = sampleSettledFrame(scene.spec, catalog, 1, index);
      const of = (cls: string) => frame.instances.filter((i) => i.className.startsWith(cls)).map((i) => i.material);
      const shared = of('shared');
      expect(shared).toHaveLength(4);
      for (const m of shared) expect(m).toEqual(shared[0]);
      sharedTextures.add(shared[0].texture);
      const own = of('own');
      expect(new Set(own.map((m) => m.color.join())).size).toBe(own.length);
      for (const m of own) {
        ownTextured.push(m.texture !== undefined);
        if (m.texture !== undefined) expect(m.textureScale).toBe(2);
      }
      for (const m of of('plain')) expect(m.texture).toBeUndefined();
      // The table: p = 1, so always textured, from the folder, scale in [1, 3].
      expect(keys).toContain(frame.support.material.texture);
      expect(frame.support.material.textureScale).toBeGreaterThanOrEqual(1);
      expect(frame.support.material.textureScale).toBeLessThanOrEqual(3);
    }
    expect(sharedTextures.size).toBeGreaterThan(1);
    expect(ownTextured).toContain(true);
    expect(ownTextured).toContain(false);
    // Every folder image is in the renderer's texture map, once, by its key.
    const textures = rendererTextures(catalog);
    for (const key of keys) expect(textures.get(key)).toBe(join(dir, key));
  });
});

describe('textures in the renderer view of a frame', () => {
  it('passes the material texture and scale; it wins over a part\'s own texture', async () => {
    const scene = loadScene(join(dir, 'scene.yaml'));
    const catalog = await buildCatalog(scene, loadMeshFile);
    const frame = sampleSettledFrame(scene.spec, catalog, 1, 0);
    const textured: Material = { color: [1, 1, 1], roughness: 0.5, metallic: 0, texture: 'tex/c.png', textureScale: 2.5 };
    const plain: Material = { color: [1, 1, 1], roughness: 0.5, metallic: 0 };
    const model = frame.instances[0].model;
    frame.instances = [
      { ...frame.instances[0], id: 1, material: textured },
      { ...frame.instances[0], id: 2, material: plain },
    ];
    const models = new Map(renderModels(catalog));
    models.set(model, { radius: 0.05, parts: [{ key: `${model}#part0`, texture: '/abs/own.png' }] });
    const job = frameToPageJob(frame, models);
    const [a, b, support] = job.items;
    expect([a.texture, a.textureScale]).toEqual(['tex/c.png', [2.5, 2.5]]);
    expect([b.texture, b.textureScale]).toEqual(['/abs/own.png', undefined]);
    expect(support.mesh).toBe(catalog.support.key);
    expect(support.texture).toBe(frame.support.material.texture);
    expect(support.textureScale).toEqual([frame.support.material.textureScale, frame.support.material.textureScale]);
  });
});
