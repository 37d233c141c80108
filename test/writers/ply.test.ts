import { describe, expect, it } from 'vitest';
import type { TriMesh } from '../../src/geometry/types.js';
import { encodePly, plyHeader } from '../../src/writers/ply.js';

/** One triangle in metres, with distinct values so any field mix-up shows. */
const tri: TriMesh = {
  positions: Float32Array.from([0, 0, 0, 0.1, 0, 0, 0, 0.2, 0.003]),
  normals: Float32Array.from([0, 0, 1, 0, 0, 1, 0.6, 0, 0.8]),
  indices: Uint32Array.from([0, 1, 2]),
};

const EXPECTED_HEADER = [
  'ply',
  'format binary_little_endian 1.0',
  'element vertex 3',
  'property float x',
  'property float y',
  'property float z',
  'property float nx',
  'property float ny',
  'property float nz',
  'element face 1',
  'property list uchar int vertex_indices',
  'end_header',
  '',
].join('\n');

function splitHeader(buf: Buffer): { header: string; body: Buffer } {
  const marker = Buffer.from('end_header\n');
  const end = buf.indexOf(marker) + marker.length;
  return { header: buf.toString('utf8', 0, end), body: buf.subarray(end) };
}

describe('encodePly', () => {
  it('writes exactly the header bop_toolkit load_ply parses', () => {
    const { header } = splitHeader(encodePly(tri));
    expect(header).toBe(EXPECTED_HEADER);
    expect(plyHeader(3, 1)).toBe(EXPECTED_HEADER);
  });

  it('writes vertices (scaled to mm) and faces little-endian, read back by hand', () => {
    const { body } = splitHeader(encodePly(tri));
    // 3 vertices x 6 float32 + 1 face x (1 uchar + 3 int32)
    expect(body.length).toBe(3 * 24 + 13);
    const f32 = (o: number) => body.readFloatLE(o);
    for (let v = 0; v < 3; v++) {
      for (let k = 0; k < 3; k++) {
        expect(f32(v * 24 + 4 * k)).toBe(Math.fround(tri.positions[3 * v + k] * 1000));
        expect(f32(v * 24 + 12 + 4 * k)).toBe(tri.normals[3 * v + k]);
      }
    }
    expect(f32(24 + 0)).toBeCloseTo(100, 4);
    expect(f32(48 + 8)).toBeCloseTo(3, 4);
    const face = 72;
    expect(body.readUInt8(face)).toBe(3);
    expect([body.readInt32LE(face + 1), body.readInt32LE(face + 5), body.readInt32LE(face + 9)]).toEqual([0, 1, 2]);
  });

  it('applies a custom scale and writes comment lines before the elements', () => {
    const buf = encodePly(tri, { scale: 1, comment: 'made by robosynth\nobj 3' });
    const { header, body } = splitHeader(buf);
    expect(header.split('\n').slice(0, 5)).toEqual([
      'ply',
      'format binary_little_endian 1.0',
      'comment made by robosynth',
      'comment obj 3',
      'element vertex 3',
    ]);
    expect(body.readFloatLE(24)).toBe(Math.fround(0.1));
  });

  it('handles a larger mesh: sizes add up and the last face is where expected', () => {
    const n = 1000;
    const positions = new Float32Array(n * 3).map((_, i) => i * 0.001);
    const normals = new Float32Array(n * 3).fill(0.5);
    const indices = new Uint32Array((n - 2) * 3).map((_, i) => (i * 7) % n);
    const buf = encodePly({ positions, normals, indices });
    const { header, body } = splitHeader(buf);
    expect(header).toContain(`element vertex ${n}\n`);
    expect(header).toContain(`element face ${n - 2}\n`);
    expect(body.length).toBe(n * 24 + (n - 2) * 13);
    const last = n * 24 + (n - 3) * 13;
    expect(body.readUInt8(last)).toBe(3);
    expect(body.readInt32LE(last + 9)).toBe(indices[indices.length - 1]);
  });

  it('rejects inconsistent meshes', () => {
    expect(() => encodePly({ ...tri, normals: new Float32Array(6) })).toThrow(RangeError);
    expect(() => encodePly({ ...tri, indices: Uint32Array.from([0, 1, 3]) })).toThrow(RangeError);
    expect(() => encodePly({ ...tri, indices: Uint32Array.from([0, 1]) })).toThrow(RangeError);
  });
});
