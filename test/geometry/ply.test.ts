/**
 * PLY meshes (BOP object models): ASCII and binary (both byte orders), normals, vertex colours,
 * texture coordinates and `comment TextureFile`, polygon faces, and errors naming the file.
 * Fixtures are written here into a temporary folder.
 */
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { Y_UP_TO_Z_UP } from '../../src/geometry/collada.js';
import { loadMeshFile } from '../../src/geometry/mesh-files.js';
import { meshBounds } from '../../src/geometry/mesh-ops.js';
import { loadMeshParts, MESH_EXTENSIONS, type MeshLoadOptions, type MeshPart } from '../../src/geometry/mesh-parts.js';
import { boxMesh } from '../../src/geometry/primitives.js';
import { encodePly } from '../../src/writers/ply.js';
import { scratchFolder, expectVec3Close, expectWellFormed, normal, triangleCount, vertex, vertexCount, windingAgreement } from './mesh-checks.js';

const M: MeshLoadOptions = { unit: 'm', up: 'z', scale: 1 };
const MM: MeshLoadOptions = { unit: 'mm', up: 'z', scale: 1 };

const scratch = scratchFolder('robosynth-ply-');
const write = scratch.write;
async function load(path: string, options: MeshLoadOptions = M): Promise<{ parts: MeshPart[]; warnings: string[] }> {
  const warnings: string[] = [];
  const parts = await loadMeshParts(path, { ...options, warn: (w) => warnings.push(w) });
  return { parts, warnings };
}

// ---- A small PLY writer for the fixtures ---------------------------------------------------

type T = 'char' | 'uchar' | 'short' | 'ushort' | 'int' | 'uint' | 'float' | 'double';
/** A scalar property, or a list property ([count type, item type]). */
interface Prop { name: string; type: T | [T, T] }
interface El { name: string; props: Prop[]; rows: (number | number[])[][] }
type Format = 'ascii' | 'binary_little_endian' | 'binary_big_endian';

const SIZES: Record<T, number> = { char: 1, uchar: 1, short: 2, ushort: 2, int: 4, uint: 4, float: 4, double: 8 };

function ply(format: Format, elements: El[], comments: string[] = []): Buffer {
  const header = ['ply', `format ${format} 1.0`, ...comments.map((c) => `comment ${c}`)];
  for (const e of elements) {
    header.push(`element ${e.name} ${e.rows.length}`);
    for (const p of e.props) header.push(typeof p.type === 'string' ? `property ${p.type} ${p.name}` : `property list ${p.type[0]} ${p.type[1]} ${p.name}`);
  }
  header.push('end_header');
  const head = Buffer.from(header.join('\n') + '\n', 'latin1');
  if (format === 'ascii') {
    const lines = elements.flatMap((e) => e.rows.map((row) => row.map((v) => (Array.isArray(v) ? [v.length, ...v].join(' ') : String(v))).join(' ')));
    return Buffer.concat([head, Buffer.from(lines.join('\n') + '\n', 'latin1')]);
  }
  const little = format === 'binary_little_endian';
  const chunks: Buffer[] = [head];
  const put = (type: T, value: number) => {
    const b = Buffer.alloc(SIZES[type]);
    const w = {
      char: () => b.writeInt8(value), uchar: () => b.writeUInt8(value),
      short: () => (little ? b.writeInt16LE(value) : b.writeInt16BE(value)), ushort: () => (little ? b.writeUInt16LE(value) : b.writeUInt16BE(value)),
      int: () => (little ? b.writeInt32LE(value) : b.writeInt32BE(value)), uint: () => (little ? b.writeUInt32LE(value) : b.writeUInt32BE(value)),
      float: () => (little ? b.writeFloatLE(value) : b.writeFloatBE(value)), double: () => (little ? b.writeDoubleLE(value) : b.writeDoubleBE(value)),
    };
    w[type]();
    chunks.push(b);
  };
  for (const e of elements) {
    for (const row of e.rows) {
      e.props.forEach((p, k) => {
        const v = row[k];
        if (typeof p.type === 'string') put(p.type, v as number);
        else {
          put(p.type[0], (v as number[]).length);
          for (const x of v as number[]) put(p.type[1], x);
        }
      });
    }
  }
  return Buffer.concat(chunks);
}

/** A 40 x 20 x 10 mm box centred at (0, 0, 5) mm (resting on z = 0), as 6 quads, CCW from outside. */
const BOX_CORNERS = [[-20, -10, 0], [20, -10, 0], [20, 10, 0], [-20, 10, 0], [-20, -10, 10], [20, -10, 10], [20, 10, 10], [-20, 10, 10]];
const BOX_QUADS = [[0, 3, 2, 1], [4, 5, 6, 7], [0, 1, 5, 4], [1, 2, 6, 5], [2, 3, 7, 6], [3, 0, 4, 7]];
const XYZ: Prop[] = [{ name: 'x', type: 'float' }, { name: 'y', type: 'float' }, { name: 'z', type: 'float' }];
const RGB: Prop[] = [{ name: 'red', type: 'uchar' }, { name: 'green', type: 'uchar' }, { name: 'blue', type: 'uchar' }];
const FACES = (name = 'vertex_indices', type: [T, T] = ['uchar', 'int']): Prop[] => [{ name, type }];

/** The box with vertex colours: the bottom four red, the top four blue. */
function colouredBox(format: Format, comments: string[] = []): Buffer {
  return ply(format, [
    { name: 'vertex', props: [...XYZ, ...RGB], rows: BOX_CORNERS.map((c, i) => [...c, ...(i < 4 ? [255, 0, 0] : [0, 0, 255])]) },
    { name: 'face', props: FACES(), rows: BOX_QUADS.map((q) => [q]) },
  ], comments);
}

function expectBox(part: MeshPart): void {
  expectWellFormed(part.mesh);
  expect(triangleCount(part.mesh)).toBe(12); // 6 quads, fan-triangulated
  const { min, max } = meshBounds(part.mesh);
  expectVec3Close(min, [-0.02, -0.01, 0], 1e-7);
  expectVec3Close(max, [0.02, 0.01, 0.01], 1e-7);
  expect(windingAgreement(part.mesh)).toBe(1); // every face still faces outwards
}

describe('PLY: ASCII and binary', () => {
  it('is a registered mesh extension', () => {
    expect(MESH_EXTENSIONS).toContain('.ply');
  });

  it('ASCII: millimetres to metres, quads fan-triangulated, the mean vertex colour as the part colour', async () => {
    const { parts, warnings } = await load(write('box-ascii.ply', colouredBox('ascii')), MM);
    expect(warnings).toEqual([]);
    expect(parts.length).toBe(1);
    expectBox(parts[0]);
    // Red bottom, blue top, the sides half and half: by area, (top + bottom + sides) / total.
    const area = { tb: 2 * 40 * 20, sides: 2 * (40 * 10 + 20 * 10) };
    const red = (area.tb / 2 + area.sides / 2) / (area.tb + area.sides);
    expectVec3Close(parts[0].color!, [red, 0, 1 - red], 1e-6);
    expect(parts[0].texture).toBeUndefined();
  });

  it('binary little and big endian give the same mesh as ASCII', async () => {
    const ascii = await load(write('box-a.ply', colouredBox('ascii')), MM);
    for (const format of ['binary_little_endian', 'binary_big_endian'] as const) {
      const { parts, warnings } = await load(write(`box-${format}.ply`, colouredBox(format)), MM);
      expect(warnings).toEqual([]);
      expectBox(parts[0]);
      expect(parts[0].mesh.positions).toEqual(ascii.parts[0].mesh.positions);
      expect(parts[0].mesh.indices).toEqual(ascii.parts[0].mesh.indices);
      expect(parts[0].color).toEqual(ascii.parts[0].color);
    }
  });

  it('every scalar type, vertex_index as the list name, other elements and list properties read past', async () => {
    const types: T[] = ['char', 'uchar', 'short', 'ushort', 'int', 'uint', 'float', 'double'];
    for (const format of ['ascii', 'binary_little_endian', 'binary_big_endian'] as const) {
      const buf = ply(format, [
        { name: 'vertex', props: [{ name: 'x', type: 'short' }, { name: 'y', type: 'double' }, { name: 'z', type: 'char' }, { name: 'flags', type: ['uchar', 'ushort'] }, ...types.map((t) => ({ name: `extra_${t}`, type: t }))],
          rows: BOX_CORNERS.map((c) => [c[0], c[1], c[2], [1, 2], ...types.map(() => 7)]) },
        { name: 'material', props: [{ name: 'name', type: ['int', 'uchar'] }], rows: [[[65, 66]]] },
        { name: 'face', props: [{ name: 'quality', type: 'float' }, ...FACES('vertex_index', ['int', 'uint']), { name: 'texcoord', type: ['uchar', 'float'] }], rows: BOX_QUADS.map((q) => [0.5, q, [0, 0, 1, 0, 1, 1, 0, 1]]) },
        { name: 'edge', props: [{ name: 'vertex1', type: 'int' }, { name: 'vertex2', type: 'int' }], rows: [[0, 1]] },
      ]);
      const { parts, warnings } = await load(write(`types-${format}.ply`, buf), MM);
      expect(warnings).toEqual([]);
      expectBox(parts[0]);
      expect(parts[0].color).toBeUndefined();
    }
  });

  it('normals as written (rotated with up: y), smooth normals where the file has none', async () => {
    const rows = BOX_CORNERS.map((c) => [...c, 0, 0, c[2] === 0 ? -1 : 1]);
    const props = [...XYZ, { name: 'nx', type: 'float' }, { name: 'ny', type: 'float' }, { name: 'nz', type: 'float' }] as Prop[];
    const path = write('normals.ply', ply('binary_little_endian', [{ name: 'vertex', props, rows }, { name: 'face', props: FACES(), rows: BOX_QUADS.map((q) => [q]) }]));
    const z = (await load(path, MM)).parts[0].mesh;
    for (let i = 0; i < vertexCount(z); i++) expectVec3Close(normal(z, i), [0, 0, vertex(z, i)[2] === 0 ? -1 : 1], 1e-6);
    const y = (await load(path, { unit: 'mm', up: 'y', scale: 2 })).parts[0].mesh;
    for (let i = 0; i < vertexCount(y); i++) {
      const p = vertex(z, i);
      const R = Y_UP_TO_Z_UP;
      expectVec3Close(vertex(y, i), [0, 1, 2].map((r) => 2 * (R[3 * r] * p[0] + R[3 * r + 1] * p[1] + R[3 * r + 2] * p[2])) as [number, number, number], 1e-7);
      expectVec3Close(normal(y, i), [0, vertex(z, i)[2] === 0 ? 1 : -1, 0], 1e-6); // file +z becomes model -y
    }
    const smooth = (await load(write('no-normals.ply', colouredBox('binary_little_endian')), MM)).parts[0].mesh;
    expectWellFormed(smooth);
    const c = vertex(smooth, 6); // the (+x, +y, top) corner: its smooth normal points out of that corner
    expect(c).toEqual([0.02, 0.01, 0.01].map(Math.fround));
    const n = normal(smooth, 6);
    expect(n.every((v) => v > 0)).toBe(true);
  });

  it('pentagons and hexagons are fans; faces with fewer than 3 vertices are skipped with one warning', async () => {
    const hexagon = Array.from({ length: 6 }, (_, i) => [Math.cos((i * Math.PI) / 3), Math.sin((i * Math.PI) / 3), 0]);
    const path = write('polys.ply', ply('ascii', [
      { name: 'vertex', props: XYZ, rows: hexagon },
      { name: 'face', props: FACES(), rows: [[[0, 1, 2, 3, 4, 5]], [[0, 1]], [[2, 3, 4, 5, 0]], [[]]] },
    ]));
    const { parts, warnings } = await load(path);
    expect(Array.from(parts[0].mesh.indices)).toEqual([0, 1, 2, 0, 2, 3, 0, 3, 4, 0, 4, 5, 2, 3, 4, 2, 4, 5, 2, 5, 0]);
    for (let i = 0; i < vertexCount(parts[0].mesh); i++) expectVec3Close(normal(parts[0].mesh, i), [0, 0, 1], 1e-6);
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toContain(path);
    expect(warnings[0]).toMatch(/2 face\(s\) with fewer than 3 vertices skipped/);
  });

  it('CRLF headers and blank lines between ASCII rows are read', async () => {
    const text = colouredBox('ascii').toString('latin1').replace(/\n/g, '\r\n').replace('end_header\r\n', 'end_header\r\n\r\n');
    const { parts } = await load(write('crlf.ply', text), MM);
    expectBox(parts[0]);
  });

  it('loadMeshFile reads PLY too', async () => {
    const mesh = await loadMeshFile(write('via-files.ply', colouredBox('binary_big_endian')), MM);
    expect(triangleCount(mesh)).toBe(12);
  });
});

describe('PLY textures', () => {
  it('comment TextureFile: the image next to the PLY becomes the part texture (BOP YCB-V layout: texture_u/v, no colours)', async () => {
    write('obj_000001.png', 'not really a png; only its existence is checked');
    const uv: Prop[] = [{ name: 'texture_u', type: 'float' }, { name: 'texture_v', type: 'float' }];
    const normals: Prop[] = [{ name: 'nx', type: 'float' }, { name: 'ny', type: 'float' }, { name: 'nz', type: 'float' }];
    const path = write('obj_000001.ply', ply('binary_little_endian', [
      { name: 'vertex', props: [...XYZ, ...normals, ...uv], rows: BOX_CORNERS.map((c, i) => [...c, 0, 0, 1, (i % 4) / 4, c[2] / 10]) },
      { name: 'face', props: FACES(), rows: BOX_QUADS.flatMap((q) => [[[q[0], q[1], q[2]]], [[q[0], q[2], q[3]]]]) },
    ], ['TextureFile obj_000001.png']));
    const { parts, warnings } = await load(path, MM);
    expect(warnings).toEqual([]);
    expect(parts[0].texture).toBe(scratch.path('obj_000001.png'));
    expect(parts[0].color).toBeUndefined();
    expect(triangleCount(parts[0].mesh)).toBe(12);
  });

  it('u v and s t names are read past as texture coordinates as well', async () => {
    for (const [u, v] of [['u', 'v'], ['s', 't']]) {
      const path = write(`uv-${u}.ply`, ply('ascii', [
        { name: 'vertex', props: [...XYZ, { name: u, type: 'float' }, { name: v, type: 'float' }], rows: BOX_CORNERS.map((c) => [...c, 0.25, 0.75]) },
        { name: 'face', props: FACES(), rows: BOX_QUADS.map((q) => [q]) },
      ]));
      expectBox((await load(path, MM)).parts[0]);
    }
  });

  it('a missing texture is one warning naming both files; the part falls back to its mean vertex colour', async () => {
    const path = write('lost-texture.ply', colouredBox('binary_little_endian', ['TextureFile textures/gone.png']));
    const { parts, warnings } = await load(path, MM);
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toContain(path);
    expect(warnings[0]).toContain(scratch.path('textures', 'gone.png'));
    expect(warnings[0]).toContain('falls back to its mean vertex colour');
    expect(parts[0].texture).toBeUndefined();
    expect(parts[0].color).toBeDefined();
    // Without vertex colours: an untextured material with no colour of its own.
    const plain = write('lost-texture-plain.ply', ply('ascii', [
      { name: 'vertex', props: XYZ, rows: BOX_CORNERS },
      { name: 'face', props: FACES(), rows: BOX_QUADS.map((q) => [q]) },
    ], ['TextureFile gone.png']));
    const second = await load(plain, MM);
    expect(second.warnings.length).toBe(1);
    expect(second.warnings[0]).toContain('untextured material with no colour of its own');
    expect(second.parts[0].color).toBeUndefined();
    expect(second.parts[0].texture).toBeUndefined();
    // From the cache, the warning comes again (one per load).
    expect((await load(plain, MM)).warnings.length).toBe(1);
  });
});

describe('PLY written by robosynth\'s own BOP model writer', () => {
  it('round-trips models/obj_*.ply (binary, millimetres, normals) back to metres', async () => {
    const box = boxMesh([0.06, 0.04, 0.02]);
    const path = write('obj_000007.ply', encodePly(box, { comment: 'robosynth test model' }));
    const { parts, warnings } = await load(path, MM);
    expect(warnings).toEqual([]);
    const mesh = parts[0].mesh;
    expect(mesh.indices).toEqual(box.indices);
    for (let i = 0; i < box.positions.length; i++) expect(mesh.positions[i]).toBeCloseTo(box.positions[i], 6);
    for (let i = 0; i < box.normals.length; i++) expect(mesh.normals[i]).toBeCloseTo(box.normals[i], 6);
  });
});

describe('PLY errors name the file and what is wrong', () => {
  async function error(name: string, data: string | Buffer): Promise<string> {
    const path = write(name, data);
    const err = await loadMeshParts(path, M).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    const message = (err as UserError).message;
    expect(message).toContain(path);
    return message;
  }

  it('truncated binary data', async () => {
    const full = colouredBox('binary_little_endian');
    expect(await error('cut-faces.ply', full.subarray(0, full.length - 5))).toMatch(/truncated binary PLY: the data ends inside element "face" \(row 6 of 6\)/);
    const header = full.indexOf('end_header\n') + 'end_header\n'.length;
    expect(await error('cut-vertices.ply', full.subarray(0, header + 20))).toMatch(/truncated binary PLY: .*element "vertex" \(row 2 of 8\)/);
    // A count the file could never hold fails before anything is allocated.
    const huge = Buffer.from(full.toString('latin1').replace('element vertex 8', 'element vertex 999999999'), 'latin1');
    expect(await error('huge.ply', huge)).toMatch(/truncated binary PLY/);
  });

  it('truncated ASCII data', async () => {
    const text = colouredBox('ascii').toString('latin1').split('\n');
    expect(await error('cut.ply', text.slice(0, -4).join('\n'))).toMatch(/truncated ASCII PLY: the header declares 6 "face" rows, the file ends after 3/);
  });

  it('unknown format, type or keyword; not a PLY; no end_header', async () => {
    expect(await error('fmt.ply', 'ply\nformat binary_middle_endian 1.0\nend_header\n')).toMatch(/unknown format "binary_middle_endian"/);
    expect(await error('type.ply', 'ply\nformat ascii 1.0\nelement vertex 1\nproperty float3 x\nend_header\n')).toMatch(/line 4: unknown property type "float3"/);
    expect(await error('kw.ply', 'ply\nformat ascii 1.0\nelemnt vertex 1\nend_header\n')).toMatch(/line 3: unknown header keyword "elemnt"/);
    expect(await error('notply.ply', 'solid cube\nendsolid\n')).toMatch(/not a PLY file/);
    expect(await error('nohead.ply', 'ply\nformat ascii 1.0\nelement vertex 3\n')).toMatch(/no "end_header" line/);
    expect(await error('noformat.ply', 'ply\nelement vertex 0\nend_header\n')).toMatch(/no "format" line/);
  });

  it('a face index out of range, a bad ASCII value, a row of the wrong length', async () => {
    const bad = ply('binary_big_endian', [{ name: 'vertex', props: XYZ, rows: BOX_CORNERS }, { name: 'face', props: FACES(), rows: [[[0, 1, 2]], [[0, 8, 2]]] }]);
    expect(await error('index.ply', bad)).toMatch(/face 1: vertex index 8 is out of range \(the file has 8 vertices\)/);
    const negative = ply('ascii', [{ name: 'vertex', props: XYZ, rows: BOX_CORNERS }, { name: 'face', props: FACES(), rows: [[[0, -1, 2]]] }]);
    expect(await error('negative.ply', negative)).toMatch(/vertex index -1 is out of range/);
    const text = colouredBox('ascii').toString('latin1');
    expect(await error('value.ply', text.replace('-20 -10 0 255 0 0', '-20 -10 zero 255 0 0'))).toMatch(/line 13: "zero" is not a number \(property "z"\)/);
    expect(await error('int.ply', text.replace('-20 -10 0 255 0 0', '-20 -10 0 25.5 0 0'))).toMatch(/line 13: "25.5" is not an integer \(property "red"\)/);
    expect(await error('long.ply', text.replace('-20 -10 0 255 0 0', '-20 -10 0 255 0 0 9'))).toMatch(/line 13: 7 values, but a "vertex" row has 6/);
  });

  it('no vertex positions, no face indices, no triangles, non-finite coordinates', async () => {
    expect(await error('nov.ply', 'ply\nformat ascii 1.0\nelement face 0\nproperty list uchar int vertex_indices\nend_header\n')).toMatch(/no "vertex" element/);
    expect(await error('noxyz.ply', 'ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nend_header\n0 0\n')).toMatch(/needs the properties x, y and z/);
    expect(await error('nofi.ply', 'ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uchar int corners\nend_header\n0 0 0\n3 0 0 0\n')).toMatch(/no vertex_indices \(or vertex_index\) list property/);
    expect(await error('cloud.ply', 'ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\nend_header\n0 0 0\n1 0 0\n0 1 0\n')).toMatch(/no triangles/);
    const nan = ply('binary_little_endian', [{ name: 'vertex', props: XYZ, rows: [[0, 0, 0], [1, 0, 0], [NaN, 1, 0]] }, { name: 'face', props: FACES(), rows: [[[0, 1, 2]]] }]);
    expect(await error('nan.ply', nan)).toMatch(/not a finite number/);
  });

  it('a missing file', async () => {
    await expect(loadMeshParts(scratch.path('nowhere.ply'), M)).rejects.toThrow(/nowhere\.ply.*file not found/);
  });
});
