import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Document, NodeIO } from '@gltf-transform/core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { loadMeshFile } from '../../src/geometry/mesh-files.js';
import { clearMeshCache, loadMeshParts, type MeshLoadOptions, type MeshPart } from '../../src/geometry/mesh-parts.js';
import { meshBounds } from '../../src/geometry/mesh-ops.js';
import { expectVec3Close, expectWellFormed, triangleCount, vertexCount, windingAgreement } from './mesh-checks.js';

const M: MeshLoadOptions = { unit: 'm', up: 'z', scale: 1 };

let dir: string;
const file = (name: string): string => join(dir, name);
function write(name: string, data: string | Uint8Array): string {
  writeFileSync(file(name), data);
  return file(name);
}
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'robosynth-mesh-parts-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function load(path: string, options: MeshLoadOptions = M): Promise<{ parts: MeshPart[]; warnings: string[] }> {
  const warnings: string[] = [];
  const parts = await loadMeshParts(path, { ...options, warn: (w) => warnings.push(w) });
  return { parts, warnings };
}

/** Two unit squares in z = 0 (x in [0, 1] and [2, 3]) and one in z = 1, CCW seen from +Z. */
function squaresObj(header: string[], materials: [string | null, string | null, string | null]): string {
  const lines = [...header];
  for (const [x, z] of [[0, 0], [2, 0], [0, 1]]) lines.push(`v ${x} 0 ${z}`, `v ${x + 1} 0 ${z}`, `v ${x + 1} 1 ${z}`, `v ${x} 1 ${z}`);
  materials.forEach((m, i) => {
    if (m !== null) lines.push(`usemtl ${m}`);
    const b = 4 * i + 1;
    lines.push(`f ${b} ${b + 1} ${b + 2} ${b + 3}`);
  });
  return lines.join('\n') + '\n';
}

describe('OBJ with MTL', () => {
  it('gives one part per material with its Kd colour and map_Kd texture (options skipped)', async () => {
    write('two.mtl', [
      '# two materials', 'newmtl red', 'Kd 1 0 0', '', 'newmtl painted wood', 'Ka 1 1 1', 'Kd 0.5',
      'map_Kd -s 1 1 1 -o 0 0 -bm 1 -clamp on textures/wood grain.png',
    ].join('\r\n'));
    writeFileSync(file('wood grain.png'), ''); // not where the MTL says
    rmSync(file('textures'), { recursive: true, force: true });
    const path = write('two.obj', squaresObj(['mtllib two.mtl'], ['red', 'painted wood', 'red']));

    // The texture is missing: the wood part has neither colour (Kd is only the texture's tint) nor texture.
    let { parts, warnings } = await load(path);
    expect(parts.map((p) => [p.color, p.texture])).toEqual([[[1, 0, 0], undefined], [undefined, undefined]]);
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toContain(path);
    expect(warnings[0]).toContain(join(dir, 'textures', 'wood grain.png'));

    // With the texture in place (a new file version, so it is parsed again).
    mkdirSync(file('textures'));
    writeFileSync(file('textures/wood grain.png'), '');
    write('two.obj', squaresObj(['mtllib two.mtl', '# again'], ['red', 'painted wood', 'red']));
    ({ parts, warnings } = await load(path));
    expect(warnings).toEqual([]);
    expect(parts.length).toBe(2);
    expect(parts[0].color).toEqual([1, 0, 0]);
    expect(triangleCount(parts[0].mesh)).toBe(4); // the first and the third square
    expect(meshBounds(parts[0].mesh)).toEqual({ min: [0, 0, 0], max: [1, 1, 1] });
    expect(parts[1].color).toEqual([0.5, 0.5, 0.5]);
    expect(parts[1].texture).toBe(join(dir, 'textures', 'wood grain.png'));
    expect(meshBounds(parts[1].mesh)).toEqual({ min: [2, 0, 0], max: [3, 1, 0] });
    for (const p of parts) {
      expectWellFormed(p.mesh);
      expect(windingAgreement(p.mesh)).toBe(1);
      expect(vertexCount(p.mesh)).toBe(4 * triangleCount(p.mesh) / 2); // only the vertices it uses
    }
    // loadMeshFile merges the parts.
    const merged = await loadMeshFile(path, M);
    expect(triangleCount(merged)).toBe(6);
    expect(meshBounds(merged)).toEqual({ min: [0, 0, 0], max: [3, 1, 1] });
  });

  it('a missing MTL file is one warning, not an error; faces before usemtl have no material', async () => {
    const path = write('lost.obj', squaresObj(['mtllib lost.mtl'], [null, 'red', 'blue']));
    const { parts, warnings } = await load(path);
    expect(parts.length).toBe(1); // no colour anywhere: one part
    expect(parts[0].color).toBeUndefined();
    expect(triangleCount(parts[0].mesh)).toBe(6);
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toMatch(/lost\.obj.*material library ".*lost\.mtl" not found/);
  });

  it('warns about a material the MTL does not define, and about bad Kd lines', async () => {
    write('one.mtl', 'newmtl red\nKd 1 0 zero\nnewmtl blue\nKd 0 0 2\n');
    const path = write('undefined.obj', squaresObj(['mtllib one.mtl'], ['blue', 'green', 'blue']));
    const { parts, warnings } = await load(path);
    expect(parts.map((p) => p.color)).toEqual([[0, 0, 1], undefined]); // clamped to [0, 1]
    expect(warnings.length).toBe(2);
    expect(warnings.join('\n')).toMatch(/one\.mtl: line 2: "Kd" needs 1 or 3 numbers/);
    expect(warnings.join('\n')).toMatch(/material "green" is not defined/);
  });

  it('replays the warnings on every call and hands out fresh arrays (cached parse)', async () => {
    const path = file('lost.obj');
    const a = await load(path);
    a.parts[0].mesh.positions.fill(NaN);
    const b = await load(path, { unit: 'cm', up: 'z', scale: 1 });
    expect(b.warnings).toEqual(a.warnings);
    expectVec3Close(meshBounds(b.parts[0].mesh).max, [0.03, 0.01, 0.01]);
    clearMeshCache();
    expect((await load(path)).warnings).toEqual(a.warnings);
  });

  it('parses a file once for many calls, also concurrent ones', async () => {
    const path = write('many.obj', squaresObj([], [null, null, null]));
    clearMeshCache();
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => loadMeshParts(path, { ...M, scale: i + 1 })));
    results.forEach((parts, i) => expect(meshBounds(parts[0].mesh).max).toEqual([3 * (i + 1), i + 1, i + 1]));
    // A changed file is read again.
    write('many.obj', squaresObj([], [null, null, null]).replace('v 0 0 1', 'v 0 0 2'));
    expect(meshBounds((await loadMeshParts(path, M))[0].mesh).max).toEqual([3, 1, 2]);
  });
});

describe('glTF and STL parts', () => {
  it('gives glTF primitives their baseColorFactor, one part per material', async () => {
    const doc = new Document();
    const buffer = doc.createBuffer();
    const tri = (x: number) => doc.createPrimitive()
      .setAttribute('POSITION', doc.createAccessor().setType('VEC3').setArray(new Float32Array([x, 0, 0, x + 1, 0, 0, x, 1, 0])).setBuffer(buffer));
    const green = doc.createMaterial('green').setBaseColorFactor([0, 1, 0, 1]);
    const grey = doc.createMaterial('grey').setBaseColorFactor([0.5, 0.5, 0.5, 0.3]);
    const mesh = doc.createMesh()
      .addPrimitive(tri(0).setMaterial(green))
      .addPrimitive(tri(2).setMaterial(grey))
      .addPrimitive(tri(4).setMaterial(green))
      .addPrimitive(tri(6));
    doc.createScene().addChild(doc.createNode().setMesh(mesh));
    await new NodeIO().write(file('colours.glb'), doc);
    const { parts, warnings } = await load(file('colours.glb'));
    expect(warnings).toEqual([]);
    expect(parts.map((p) => p.color)).toEqual([[0, 1, 0], [0.5, 0.5, 0.5], undefined]);
    expect(parts.map((p) => triangleCount(p.mesh))).toEqual([2, 1, 1]);
    expect(parts.every((p) => p.texture === undefined)).toBe(true);
  });

  it('extracts a GLB-embedded base colour image to a file named by its content', async () => {
    const png = new PNG({ width: 2, height: 2 });
    png.data.set([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 255, 255, 255]);
    const image = PNG.sync.write(png);
    const doc = new Document();
    const buffer = doc.createBuffer();
    const texture = doc.createTexture('checker').setImage(new Uint8Array(image)).setMimeType('image/png');
    const prim = doc.createPrimitive()
      .setAttribute('POSITION', doc.createAccessor().setType('VEC3').setArray(new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0])).setBuffer(buffer))
      .setAttribute('TEXCOORD_0', doc.createAccessor().setType('VEC2').setArray(new Float32Array([0, 0, 1, 0, 0, 1])).setBuffer(buffer))
      .setMaterial(doc.createMaterial('textured').setBaseColorTexture(texture));
    doc.createScene().addChild(doc.createNode().setMesh(doc.createMesh().addPrimitive(prim)));
    await new NodeIO().write(file('embedded.glb'), doc);
    const { parts, warnings } = await load(file('embedded.glb'));
    expect(warnings).toEqual([]);
    expect(parts).toHaveLength(1);
    const extracted = parts[0].texture!;
    expect(extracted).toMatch(/robosynth-textures[/\\][0-9a-f]{32}\.png$/);
    expect(readFileSync(extracted).equals(image)).toBe(true);
    expect(parts[0].mesh.uvs).toBeDefined();
    // The same image from another file is the same file.
    await new NodeIO().write(file('embedded-again.glb'), doc);
    expect((await load(file('embedded-again.glb'))).parts[0].texture).toBe(extracted);
  });

  it('gives an STL file one part without colour', async () => {
    const stl = ['solid t', 'facet normal 0 0 1', 'outer loop', 'vertex 0 0 0', 'vertex 1 0 0', 'vertex 0 1 0', 'endloop', 'endfacet', 'endsolid t'].join('\n');
    const { parts, warnings } = await load(write('t.stl', stl), { unit: 'mm', up: 'y', scale: 1 });
    expect(warnings).toEqual([]);
    expect(parts.length).toBe(1);
    expect(parts[0].color).toBeUndefined();
    expectVec3Close(meshBounds(parts[0].mesh).max, [0.001, 0, 0.001]);
  });

  it('errors are UserErrors naming the file, as for loadMeshFile', async () => {
    const err = await loadMeshParts(write('bad.obj', 'v 0 0 0\nf 1 2 3\n'), M).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/bad\.obj.*line 2/);
    const gone = file('gone.obj');
    if (existsSync(gone)) unlinkSync(gone);
    await expect(loadMeshParts(gone, M)).rejects.toThrow(/gone\.obj.*file not found/);
  });
});

// ---------------------------------------------------------------------------------------------
// YCB objects (read in place from shared/fixtures, never copied).

const YCB = fileURLToPath(new URL('../../../shared/fixtures/ycb/', import.meta.url));
const skipNote = existsSync(YCB) ? '' : ` [SKIPPED: fixture folder ${YCB} is absent]`;

describe('YCB OBJ + MTL fixtures', () => {
  it.skipIf(!existsSync(YCB))(`the banana: its Kd tint and its texture${skipNote}`, async () => {
    const path = join(YCB, 'YcbBanana', 'textured_simple_reoriented.obj');
    const { parts, warnings } = await load(path);
    expect(warnings).toEqual([]);
    expect(parts.length).toBe(1);
    expect(triangleCount(parts[0].mesh)).toBe(15728);
    expect(parts[0].color).toEqual([0.639216, 0.639216, 0.639216]);
    expect(parts[0].texture).toBe(join(YCB, 'YcbBanana', 'texture_map.png'));
  });

  it.skipIf(!existsSync(YCB))(`the mustard bottle, whose texture is missing: one warning, no colour${skipNote}`, async () => {
    const path = join(YCB, 'YcbMustardBottle', 'textured_simple_reoriented.obj');
    const { parts, warnings } = await load(path);
    expect(parts.length).toBe(1);
    expect(parts[0].color).toBeUndefined();
    expect(parts[0].texture).toBeUndefined();
    expectWellFormed(parts[0].mesh);
    const { min, max } = meshBounds(parts[0].mesh);
    const longest = Math.max(...[0, 1, 2].map((k) => max[k] - min[k]));
    expect(longest).toBeGreaterThan(0.15); // the bottle is about 0.19 m tall
    expect(longest).toBeLessThan(0.25);
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toContain(path);
    expect(warnings[0]).toContain(join(YCB, 'YcbMustardBottle', 'texture_map.png'));
  });

  it.skipIf(!existsSync(YCB))(`the collision meshes: many objects, one material${skipNote}`, async () => {
    const { parts, warnings } = await load(join(YCB, 'YcbBanana', 'collision_vhacd.obj'));
    expect(warnings).toEqual([]);
    expect(parts.length).toBe(1);
    expect(parts[0].color).toEqual([0.8, 0.8, 0.8]);
  });
});
