import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Document, NodeIO, Primitive } from '@gltf-transform/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { loadMeshFile, type MeshLoadOptions } from '../../src/geometry/mesh-files.js';
import { meshBounds } from '../../src/geometry/mesh-ops.js';
import type { TriMesh, Vec3 } from '../../src/geometry/types.js';
import {
  expectOutwardNormals, expectVec3Close, expectWellFormed, normal, triangleCount, vertex, vertexCount,
  windingAgreement,
} from './mesh-checks.js';

const M: MeshLoadOptions = { unit: 'm', up: 'z', scale: 1 };

// ---------------------------------------------------------------------------------------------
// Test geometry, written to a temp dir.

/** Unit cube corners (OBJ numbering 1..8) and its faces, counter-clockwise seen from outside. */
const CUBE_V: Vec3[] = [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]];
const CUBE_QUADS: { n: Vec3; v: number[] }[] = [
  { n: [0, 0, -1], v: [1, 4, 3, 2] },
  { n: [0, 0, 1], v: [5, 6, 7, 8] },
  { n: [0, -1, 0], v: [1, 2, 6, 5] },
  { n: [0, 1, 0], v: [3, 4, 8, 7] },
  { n: [-1, 0, 0], v: [1, 5, 8, 4] },
  { n: [1, 0, 0], v: [2, 3, 7, 6] },
];

/** Cube with side `side` as OBJ text: quads, `v` only, one face with negative indices, CRLF. */
function cubeObj(side: number): string {
  const lines = [
    '# test cube', 'mtllib cube.mtl', 'o cube',
    ...CUBE_V.map((p) => `v ${p.map((x) => x * side).join(' ')}`),
    'vt 0 0', 'vt 1 0', 's off', 'usemtl none', '',
  ];
  CUBE_QUADS.forEach((q, i) => {
    lines.push(i === CUBE_QUADS.length - 1 ? `f ${q.v.map((v) => v - 9).join(' ')}` : `f ${q.v.join(' ')}`);
  });
  return lines.join('\r\n') + '\r\n';
}

/** Cube triangles (fan of each quad) as [normal, a, b, c]. */
function cubeTriangles(side: number): Vec3[][] {
  const p = (i: number): Vec3 => CUBE_V[i - 1].map((x) => x * side) as Vec3;
  return CUBE_QUADS.flatMap((q) => [[q.n, p(q.v[0]), p(q.v[1]), p(q.v[2])], [q.n, p(q.v[0]), p(q.v[2]), p(q.v[3])]]);
}

function asciiStl(tris: Vec3[][]): string {
  const out = ['solid cube'];
  for (const [n, ...vs] of tris) {
    out.push(`  facet normal ${n.join(' ')}`, '    outer loop');
    for (const v of vs) out.push(`      vertex ${v.map((x) => x.toExponential(6)).join(' ')}`);
    out.push('    endloop', '  endfacet');
  }
  out.push('endsolid cube', '');
  return out.join('\n');
}

/** Binary STL whose 80-byte header starts with "solid", as many exporters write it. */
function binaryStl(tris: Vec3[][]): Buffer {
  const buf = Buffer.alloc(84 + 50 * tris.length);
  buf.write('solid cube (binary, header deliberately starts with "solid")', 0, 'latin1');
  buf.writeUInt32LE(tris.length, 80);
  tris.forEach((tri, t) => tri.flat().forEach((x, k) => buf.writeFloatLE(x, 84 + 50 * t + 4 * k)));
  return buf;
}

/**
 * Tetrahedron in a Y-up file: P1..P4 = origin, +X, +Z, apex at +Y. Faces use the `v//vn` and
 * `v/vt/vn` forms with per-face normals (one not normalised).
 */
const TETRA_OBJ = [
  'v 0 0 0', 'v 1 0 0', 'v 0 0 1', 'v 0 1 0',
  'vt 0 0', 'vt 1 0', 'vt 0 1',
  'vn 0 -1 0', 'vn -1 0 0', 'vn 0 0 -1', 'vn 1 1 1',
  'f 1//1 2//1 3//1',
  'f 1//2 3//2 4//2',
  'f 1//3 4//3 2//3',
  'f 2/1/4 4/2/4 3/3/4',
].join('\n');

let dir: string;
const file = (name: string): string => join(dir, name);
function write(name: string, data: string | Uint8Array): string {
  writeFileSync(file(name), data);
  return file(name);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'robosynth-mesh-files-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Expects loadMeshFile to reject with a UserError that names the file and matches `what`. */
async function expectUserError(path: string, what: RegExp, options: MeshLoadOptions = M): Promise<void> {
  const err = await loadMeshFile(path, options).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(UserError);
  const message = (err as UserError).message;
  expect(message).toContain(path);
  expect(message).toMatch(what);
}

function expectCube(mesh: TriMesh, side: number): void {
  expectWellFormed(mesh);
  expect(triangleCount(mesh)).toBe(12);
  const b = meshBounds(mesh);
  expectVec3Close(b.min, [0, 0, 0]);
  expectVec3Close(b.max, [side, side, side]);
  expectOutwardNormals(mesh);
  expect(windingAgreement(mesh)).toBe(1);
}

// ---------------------------------------------------------------------------------------------

describe('OBJ', () => {
  it('loads a quad cube: fan-triangulated, shared vertices, smooth outward normals, CCW', async () => {
    const mesh = await loadMeshFile(write('cube.obj', cubeObj(1)), M);
    expectCube(mesh, 1);
    expect(vertexCount(mesh)).toBe(8); // no normals in the file: vertices are shared
    // A smooth corner normal leans out of all three faces at the corner (it is not exactly the
    // diagonal: area weighting counts a corner that two fan triangles share twice).
    for (let i = 0; i < 8; i++) {
      const p = vertex(mesh, i);
      const n = normal(mesh, i);
      for (let k = 0; k < 3; k++) expect(n[k] * Math.sign(p[k] - 0.5)).toBeGreaterThan(0.2);
    }
  });

  it('converts mm, cm and applies scale', async () => {
    const path = write('cube20.obj', cubeObj(20));
    expectCube(await loadMeshFile(path, { unit: 'mm', up: 'z', scale: 1 }), 0.02);
    expectCube(await loadMeshFile(path, { unit: 'cm', up: 'z', scale: 1 }), 0.2);
    expectCube(await loadMeshFile(path, { unit: 'cm', up: 'z', scale: 2.5 }), 0.5);
    expectCube(await loadMeshFile(path, { unit: 'm', up: 'z', scale: 0.5 }), 10);
  });

  it('uses the file normals (v//vn and v/vt/vn), normalised, one vertex per position/normal pair', async () => {
    const mesh = await loadMeshFile(write('tetra.obj', TETRA_OBJ), M);
    expectWellFormed(mesh);
    expect(vertexCount(mesh)).toBe(12);
    expect(triangleCount(mesh)).toBe(4);
    expect(windingAgreement(mesh)).toBe(1);
    expectOutwardNormals(mesh);
    // The slanted face's normal was written as "vn 1 1 1".
    const s = 1 / Math.sqrt(3);
    const slanted = mesh.indices[9];
    expectVec3Close(normal(mesh, slanted), [s, s, s]);
  });

  it("converts a Y-up file to Z-up: the file's +Y apex ends at +Z, normals rotate with it", async () => {
    const mesh = await loadMeshFile(write('tetra-y.obj', TETRA_OBJ), { unit: 'm', up: 'y', scale: 1 });
    expectWellFormed(mesh);
    const b = meshBounds(mesh);
    // (x, y, z) -> (x, -z, y): file x, y, z in [0, 1] -> x in [0, 1], y in [-1, 0], z in [0, 1].
    expectVec3Close(b.min, [0, -1, 0]);
    expectVec3Close(b.max, [1, 0, 1]);
    const apex = [...Array(vertexCount(mesh)).keys()].filter((i) => vertex(mesh, i)[2] > 0.5);
    expect(apex.length).toBe(3); // the apex is used by three faces
    for (const i of apex) expectVec3Close(vertex(mesh, i), [0, 0, 1]);
    // The file's bottom face (normal -Y, triangle 0) now faces down.
    expectVec3Close(normal(mesh, mesh.indices[0]), [0, 0, -1]);
    expect(windingAgreement(mesh)).toBe(1);
    expectOutwardNormals(mesh);
  });

  it('fills in smooth normals for faces without them in a file that mixes both', async () => {
    const text = TETRA_OBJ.replace('f 1//1 2//1 3//1', 'f 1 2 3');
    const mesh = await loadMeshFile(write('tetra-mixed.obj', text), M);
    expectWellFormed(mesh);
    expect(windingAgreement(mesh)).toBe(1);
  });

  it('rejects an out-of-range face index with its line number', async () => {
    await expectUserError(write('bad-index.obj', 'v 0 0 0\nv 1 0 0\nv 0 1 0\n\nf 1 2 9\n'), /line 5\b.*vertex index 9 is out of range/);
    await expectUserError(write('bad-neg.obj', 'v 0 0 0\nv 1 0 0\nv 0 1 0\nf -1 -2 -4\n'), /line 4\b.*out of range/);
    await expectUserError(write('bad-zero.obj', 'v 0 0 0\nv 1 0 0\nv 0 1 0\nf 0 1 2\n'), /line 4\b.*invalid vertex index/);
    await expectUserError(write('bad-vn.obj', 'v 0 0 0\nv 1 0 0\nv 0 1 0\nvn 0 0 1\nf 1//1 2//1 3//2\n'), /line 5\b.*normal index 2/);
  });

  it('rejects malformed numbers and an OBJ without triangles', async () => {
    await expectUserError(write('bad-num.obj', 'v 0 0 zero\n'), /line 1\b.*not a number/);
    await expectUserError(write('no-faces.obj', 'v 0 0 0\nv 1 0 0\nv 0 1 0\nl 1 2\n'), /no triangles/);
  });
});

describe('STL', () => {
  const tris = cubeTriangles(10);

  it('loads ASCII STL flat-shaded (no vertex shared by two faces)', async () => {
    const mesh = await loadMeshFile(write('cube-ascii.stl', asciiStl(tris)), { unit: 'mm', up: 'z', scale: 1 });
    expectCube(mesh, 0.01);
    expect(vertexCount(mesh)).toBe(36);
    for (let t = 0; t < 12; t++) {
      const n = tris[t][0];
      for (let c = 0; c < 3; c++) expectVec3Close(normal(mesh, mesh.indices[3 * t + c]), n);
    }
  });

  it('loads binary STL even when its header starts with "solid"', async () => {
    const path = write('cube-binary.stl', binaryStl(tris));
    const mesh = await loadMeshFile(path, { unit: 'mm', up: 'z', scale: 1 });
    expectCube(mesh, 0.01);
    expect(vertexCount(mesh)).toBe(36);
    const ascii = await loadMeshFile(file('cube-ascii.stl'), { unit: 'mm', up: 'z', scale: 1 });
    expect(Array.from(mesh.positions)).toEqual(Array.from(ascii.positions));
    expect(Array.from(mesh.normals)).toEqual(Array.from(ascii.normals));
  });

  it('derives face normals from the winding when the stored normals are zero', async () => {
    const zeroed = tris.map(([, ...vs]) => [[0, 0, 0] as Vec3, ...vs]);
    expectCube(await loadMeshFile(write('cube-zero-normals.stl', asciiStl(zeroed)), M), 10);
  });

  it('rotates Y-up STL to Z-up', async () => {
    const mesh = await loadMeshFile(file('cube-binary.stl'), { unit: 'mm', up: 'y', scale: 1 });
    const b = meshBounds(mesh);
    expectVec3Close(b.min, [0, -0.01, 0]);
    expectVec3Close(b.max, [0.01, 0, 0.01]);
    expect(windingAgreement(mesh)).toBe(1);
    expectOutwardNormals(mesh);
  });

  it('rejects truncated or padded binary STL, naming the sizes', async () => {
    const full = binaryStl(tris);
    await expectUserError(write('truncated.stl', full.subarray(0, full.length - 10)), /truncated.*12 triangles/);
    await expectUserError(write('padded.stl', Buffer.concat([full, Buffer.alloc(7)])), /corrupt.*12 triangles/);
    await expectUserError(write('tiny.stl', Buffer.from([1, 2, 3, 0])), /truncated.*84-byte header/);
  });

  it('rejects STL without triangles and broken ASCII STL', async () => {
    const empty = Buffer.alloc(84);
    empty.write('solid empty', 0, 'latin1');
    await expectUserError(write('empty-binary.stl', empty), /no triangles/);
    await expectUserError(write('empty-ascii.stl', 'solid empty\nendsolid empty\n'), /no triangles/);
    const cut = asciiStl(tris).split('\n').slice(0, 12).join('\n');
    await expectUserError(write('cut-ascii.stl', cut), /ends inside a facet/);
    await expectUserError(write('bad-ascii.stl', asciiStl(tris).replace('vertex', 'vertex 1 two')), /line 4\b.*3 numbers/);
  });
});

// ---------------------------------------------------------------------------------------------
// glTF

/** Tetrahedron corners and CCW-from-outside faces (same shape as TETRA_OBJ, in a Z-up sense). */
const TET_P = [0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0];
const TET_I = [0, 1, 2, 0, 2, 3, 0, 3, 1, 1, 3, 2];

function tetraDoc(): { doc: Document; indexed: Primitive; flat: Primitive } {
  const doc = new Document();
  const buffer = doc.createBuffer();
  const c = 0.25;
  const outward = TET_P.map((x) => x - c);
  const indexed = doc.createPrimitive()
    .setAttribute('POSITION', doc.createAccessor().setType('VEC3').setArray(new Float32Array(TET_P)).setBuffer(buffer))
    .setAttribute('NORMAL', doc.createAccessor().setType('VEC3').setArray(new Float32Array(outward)).setBuffer(buffer))
    .setIndices(doc.createAccessor().setType('SCALAR').setArray(new Uint16Array(TET_I)).setBuffer(buffer));
  const expanded = TET_I.flatMap((i) => TET_P.slice(3 * i, 3 * i + 3));
  const flat = doc.createPrimitive() // non-indexed, no normals
    .setAttribute('POSITION', doc.createAccessor().setType('VEC3').setArray(new Float32Array(expanded)).setBuffer(buffer));
  return { doc, indexed, flat };
}

describe('glTF / GLB', () => {
  const io = new NodeIO();

  /**
   * Scene: node A (indexed + normals) at +10 X; a parent scaled x2 with child B (non-indexed, no
   * normals, plus a LINES primitive that must be skipped) at local +5 Z; node C mirrored in X at -10 Y.
   */
  async function writeScene(name: string): Promise<string> {
    const { doc, indexed, flat } = tetraDoc();
    const buffer = doc.getRoot().listBuffers()[0];
    const lines = doc.createPrimitive().setMode(Primitive.Mode.LINES)
      .setAttribute('POSITION', doc.createAccessor().setType('VEC3').setArray(new Float32Array([0, 0, 0, 5, 5, 5])).setBuffer(buffer));
    const meshA = doc.createMesh('A').addPrimitive(indexed);
    const meshB = doc.createMesh('B').addPrimitive(flat).addPrimitive(lines);
    const a = doc.createNode('A').setMesh(meshA).setTranslation([10, 0, 0]);
    const parent = doc.createNode('parent').setScale([2, 2, 2])
      .addChild(doc.createNode('B').setMesh(meshB).setTranslation([0, 0, 5]));
    const c = doc.createNode('C').setMesh(meshB).setScale([-1, 1, 1]).setTranslation([0, -10, 0]);
    doc.createScene('unused').addChild(doc.createNode('ignored').setMesh(meshA).setTranslation([100, 100, 100]));
    const scene = doc.createScene('main').addChild(a).addChild(parent).addChild(c);
    doc.getRoot().setDefaultScene(scene);
    await io.write(file(name), doc);
    return file(name);
  }

  const CENTRES: Vec3[] = [[10.25, 0.25, 0.25], [0.5, 0.5, 10.5], [-0.25, -9.75, 0.25]];

  function expectScene(mesh: TriMesh): void {
    expectWellFormed(mesh);
    expect(triangleCount(mesh)).toBe(12);
    expect(vertexCount(mesh)).toBe(4 + 12 + 12); // A indexed; B and C flat
    const b = meshBounds(mesh);
    expectVec3Close(b.min, [-1, -10, 0]);
    expectVec3Close(b.max, [11, 2, 12]);
    expect(windingAgreement(mesh)).toBe(1);
    // Outward normals, each vertex against the centre of its own tetrahedron.
    for (let i = 0; i < vertexCount(mesh); i++) {
      const p = vertex(mesh, i);
      const dist = (q: Vec3): number => Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
      const centre = CENTRES.reduce((best, q) => (dist(q) < dist(best) ? q : best));
      const n = normal(mesh, i);
      expect(n[0] * (p[0] - centre[0]) + n[1] * (p[1] - centre[1]) + n[2] * (p[2] - centre[2])).toBeGreaterThan(0);
    }
  }

  it('loads a GLB: default scene only, node world transforms, mirrored node keeps CCW', async () => {
    expectScene(await loadMeshFile(await writeScene('scene.glb'), M));
  });

  it('loads a .gltf with an external .bin', async () => {
    const path = await writeScene('scene.gltf');
    expect(readdirSync(dir).some((f) => f.endsWith('.bin'))).toBe(true);
    expectScene(await loadMeshFile(path, M));
  });

  it('converts Y-up glTF to Z-up', async () => {
    const { doc, indexed } = tetraDoc();
    doc.createScene().addChild(doc.createNode().setMesh(doc.createMesh().addPrimitive(indexed)));
    await io.write(file('tetra.glb'), doc);
    const mesh = await loadMeshFile(file('tetra.glb'), { unit: 'cm', up: 'y', scale: 1 });
    const b = meshBounds(mesh);
    expectVec3Close(b.min, [0, -0.01, 0]);
    expectVec3Close(b.max, [0.01, 0, 0.01]);
    expectVec3Close(vertex(mesh, 3), [0, 0, 0.01]); // the +Y apex
    expectVec3Close(normal(mesh, 3), [-1 / Math.sqrt(11), 1 / Math.sqrt(11), 3 / Math.sqrt(11)]); // file (-1, 3, -1)/sqrt(11)
    expectOutwardNormals(mesh);
    expect(windingAgreement(mesh)).toBe(1);
  });

  it('rejects glTF that fails to parse, or has no triangles', async () => {
    await expectUserError(write('broken.gltf', '{ this is not json'), /cannot parse glTF/);
    await expectUserError(write('broken.glb', Buffer.from('definitely not a GLB file')), /cannot parse glTF/);
    const path = await writeScene('no-bin.gltf');
    for (const f of readdirSync(dir)) if (f.startsWith('no-bin') && f.endsWith('.bin')) unlinkSync(file(f));
    await expectUserError(path, /cannot parse glTF/);

    const doc = new Document();
    const buffer = doc.createBuffer();
    const points = doc.createPrimitive().setMode(Primitive.Mode.POINTS)
      .setAttribute('POSITION', doc.createAccessor().setType('VEC3').setArray(new Float32Array([0, 0, 0])).setBuffer(buffer));
    doc.createScene().addChild(doc.createNode().setMesh(doc.createMesh().addPrimitive(points)));
    await io.write(file('points.glb'), doc);
    await expectUserError(file('points.glb'), /no triangles/);
  });
});

describe('errors common to all formats', () => {
  it('names a missing file', async () => {
    await expectUserError(file('does-not-exist.obj'), /not found/);
    await expectUserError(dir, /not a regular file/);
  });

  it('names an unknown extension', async () => {
    await expectUserError(write('cube.3ds', 'not read'), /unknown file extension ".3ds" \(expected .obj, .stl, .ply, .gltf, .glb or .dae\)/);
    await expectUserError(write('noext', 'v 0 0 0\n'), /unknown file extension/);
  });

  it('accepts upper-case extensions', async () => {
    expectCube(await loadMeshFile(write('CUBE.OBJ', cubeObj(1)), M), 1);
  });

  it('rejects bad options', async () => {
    const path = write('opt.obj', cubeObj(1));
    await expectUserError(path, /scale must be a positive number/, { unit: 'm', up: 'z', scale: 0 });
    await expectUserError(path, /scale must be a positive number/, { unit: 'm', up: 'z', scale: NaN });
    await expectUserError(path, /unknown unit "inch"/, { unit: 'inch' as 'm', up: 'z', scale: 1 });
    await expectUserError(path, /unknown up axis "x"/, { unit: 'm', up: 'x' as 'z', scale: 1 });
  });
});

// ---------------------------------------------------------------------------------------------
// Real third-party assets (read in place from shared/fixtures, never copied).

const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/', import.meta.url));
const YCB = join(FIXTURES, 'ycb');
const ROBOTS = join(FIXTURES, 'example-robot-data', 'robots');
const skipNote = (p: string): string => (existsSync(p) ? '' : ` [SKIPPED: fixture folder ${p} is absent]`);

describe('fixtures', () => {
  it.skipIf(!existsSync(YCB))(`loads the YCB banana OBJ at a plausible size${skipNote(YCB)}`, async () => {
    const mesh = await loadMeshFile(join(YCB, 'YcbBanana', 'textured_simple_reoriented.obj'), M);
    expectWellFormed(mesh);
    expect(triangleCount(mesh)).toBe(15728);
    const { min, max } = meshBounds(mesh);
    const extent = [0, 1, 2].map((k) => max[k] - min[k]).sort((a, b) => b - a);
    expect(extent[0]).toBeGreaterThan(0.15); // a banana is ~0.2 m long
    expect(extent[0]).toBeLessThan(0.25);
    expect(extent[2]).toBeGreaterThan(0.01);
    expect(windingAgreement(mesh)).toBeGreaterThan(0.95);
  });

  it.skipIf(!existsSync(YCB))(`loads the multi-object collision OBJs${skipNote(YCB)}`, async () => {
    for (const obj of ['YcbBanana', 'YcbMustardBottle']) {
      const mesh = await loadMeshFile(join(YCB, obj, 'collision_vhacd.obj'), M);
      expectWellFormed(mesh);
      const { min, max } = meshBounds(mesh);
      const longest = Math.max(...[0, 1, 2].map((k) => max[k] - min[k]));
      expect(longest).toBeGreaterThan(0.1);
      expect(longest).toBeLessThan(0.3);
    }
  });

  it.skipIf(!existsSync(ROBOTS))(`loads every robot STL flat-shaded${skipNote(ROBOTS)}`, async () => {
    const stls = (readdirSync(ROBOTS, { recursive: true }) as string[]).filter((f) => f.toLowerCase().endsWith('.stl'));
    expect(stls.length).toBeGreaterThan(0);
    for (const f of stls) {
      const mesh = await loadMeshFile(join(ROBOTS, f), M);
      expectWellFormed(mesh);
      expect(vertexCount(mesh)).toBe(3 * triangleCount(mesh));
      expect(windingAgreement(mesh)).toBe(1);
      const { min, max } = meshBounds(mesh);
      const longest = Math.max(...[0, 1, 2].map((k) => max[k] - min[k]));
      expect(longest, f).toBeGreaterThan(0.01);
      expect(longest, f).toBeLessThan(1);
    }
  });
});
