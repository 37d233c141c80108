// Texture coordinates: OBJ vt, glTF TEXCOORD_0 (v flipped to bottom-up), PLY u v, primitives.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Document, NodeIO } from '@gltf-transform/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMeshParts, type MeshLoadOptions } from '../../src/geometry/mesh-parts.js';
import { mergeMeshes, transformMesh } from '../../src/geometry/mesh-ops.js';
import { boxMesh, cylinderMesh, sphereMesh } from '../../src/geometry/primitives.js';
import type { TriMesh } from '../../src/geometry/types.js';

const M: MeshLoadOptions = { unit: 'm', up: 'z', scale: 1 };
let dir = '';
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'robosynth-uvs-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

/** The UV of the vertex at position p. */
function uvAt(mesh: TriMesh, p: number[]): number[] {
  for (let i = 0; i < mesh.positions.length / 3; i++) {
    if ([0, 1, 2].every((k) => Math.abs(mesh.positions[3 * i + k] - p[k]) < 1e-6)) return [mesh.uvs![2 * i], mesh.uvs![2 * i + 1]];
  }
  throw new Error(`no vertex at ${p.join(' ')}`);
}

describe('texture coordinates from files', () => {
  it('OBJ: vt per face corner; vertices split where a position has two UVs', async () => {
    const path = join(dir, 'quad.obj');
    writeFileSync(path, 'v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 1 1\nvt 0 1 0\nvt 0.5\nf 1/1 2/2 3/3\nf 1/5 3/3 4/4\n');
    const [part] = await loadMeshParts(path, M);
    expect(part.mesh.uvs).toHaveLength(2 * part.mesh.positions.length / 3);
    expect(part.mesh.positions.length / 3).toBe(5); // vertex 1 twice: vt 1 and vt 5
    expect(uvAt(part.mesh, [1, 1, 0])).toEqual([1, 1]);
    expect(uvAt(part.mesh, [0, 1, 0])).toEqual([0, 1]);
  });

  it('OBJ without vt and STL: no uvs, as before', async () => {
    const path = join(dir, 'plain.obj');
    writeFileSync(path, 'v 0 0 0\nv 1 0 0\nv 1 1 0\nf 1 2 3\n');
    const [part] = await loadMeshParts(path, M);
    expect(part.mesh.uvs).toBeUndefined();
    expect(part.mesh.positions.length).toBe(9);
  });

  it('glTF: TEXCOORD_0 with v turned bottom-up, also for flat-shaded primitives', async () => {
    const doc = new Document();
    const buffer = doc.createBuffer();
    const pos = doc.createAccessor().setType('VEC3').setBuffer(buffer).setArray(new Float32Array([0, 0, 0, 1, 0, 0, 1, 1, 0]));
    const tex = doc.createAccessor().setType('VEC2').setBuffer(buffer).setArray(new Float32Array([0, 1, 1, 1, 1, 0.25]));
    const prim = doc.createPrimitive().setAttribute('POSITION', pos).setAttribute('TEXCOORD_0', tex);
    doc.createScene().addChild(doc.createNode().setMesh(doc.createMesh().addPrimitive(prim)));
    const path = join(dir, 'tri.glb');
    writeFileSync(path, await new NodeIO().writeBinary(doc));
    const [part] = await loadMeshParts(path, M);
    expect(uvAt(part.mesh, [0, 0, 0])).toEqual([0, 0]);
    expect(uvAt(part.mesh, [1, 1, 0])).toEqual([1, 0.75]);
  });

  it('PLY: per-vertex u v (and s t)', async () => {
    const path = join(dir, 'tri.ply');
    writeFileSync(path, ['ply', 'format ascii 1.0', 'element vertex 3', 'property float x', 'property float y', 'property float z',
      'property float s', 'property float t', 'element face 1', 'property list uchar int vertex_indices', 'end_header',
      '0 0 0 0 0', '1 0 0 1 0', '1 1 0 1 0.5', '3 0 1 2', ''].join('\n'));
    const [part] = await loadMeshParts(path, M);
    expect(Array.from(part.mesh.uvs!)).toEqual([0, 0, 1, 0, 1, 0.5]);
  });

  it('YCB banana: the textured OBJ part has UVs in [0, 1] and its texture', async () => {
    const banana = new URL('../../../shared/fixtures/ycb/YcbBanana/textured_simple_reoriented.obj', import.meta.url).pathname;
    const parts = await loadMeshParts(banana, M);
    const textured = parts.find((p) => p.texture);
    expect(textured?.texture).toMatch(/texture_map\.png$/);
    const uvs = textured!.mesh.uvs!;
    expect(uvs.length).toBe((2 * textured!.mesh.positions.length) / 3);
    expect(uvs.every((x) => x >= 0 && x <= 1)).toBe(true);
  });
});

describe('texture coordinates of primitives and mesh operations', () => {
  it('box, cylinder and sphere have UVs in [0, 1]; the box top maps u to +X and v to +Y', () => {
    for (const mesh of [boxMesh([1, 2, 3]), cylinderMesh(0.5, 1), sphereMesh(1)]) {
      expect(mesh.uvs).toHaveLength((2 * mesh.positions.length) / 3);
      expect(mesh.uvs!.every((x) => x >= 0 && x <= 1)).toBe(true);
    }
    const box = boxMesh([2, 2, 2]);
    // Top face vertices (normal +Z).
    const top = (p: number[]) => {
      for (let i = 0; i < box.positions.length / 3; i++) {
        if (box.normals[3 * i + 2] === 1 && [0, 1, 2].every((k) => box.positions[3 * i + k] === p[k])) return [box.uvs![2 * i], box.uvs![2 * i + 1]];
      }
      throw new Error('missing');
    };
    expect(top([-1, -1, 1])).toEqual([0, 0]);
    expect(top([1, -1, 1])).toEqual([1, 0]);
    expect(top([-1, 1, 1])).toEqual([0, 1]);
  });

  it('transformMesh and mergeMeshes carry UVs (zeros for a mesh without)', () => {
    const box = boxMesh([1, 1, 1]);
    expect(transformMesh(box, [0, 1, 0, 1, 0, 0, 0, 0, 1]).uvs).toEqual(box.uvs);
    const plain: TriMesh = { positions: new Float32Array(9), normals: new Float32Array(9), indices: new Uint32Array([0, 1, 2]) };
    const merged = mergeMeshes([box, plain]);
    expect(merged.uvs).toHaveLength((2 * merged.positions.length) / 3);
    expect(Array.from(merged.uvs!.slice(-6))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(mergeMeshes([plain, plain]).uvs).toBeUndefined();
  });
});
