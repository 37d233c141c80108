/**
 * BOP model writer (models/obj_XXXXXX.ply).
 *
 * The header follows what bop_toolkit's inout.load_ply reads: it parses the header line by line
 * ('\n' endings), takes counts from the last token of 'element' lines, types from the
 * second-to-last token of 'property' lines, and only knows the type names float, double, int and
 * uchar in binary files (so 'int', not 'int32'/'uint', for indices). It reads binary values with
 * Python's struct in native byte order without checking the declared format, which is why only
 * little-endian output is offered. Property names x..nz and the list name vertex_indices are the
 * ones it looks up. This is also the layout BOP's own save_ply writes (in ASCII there).
 */
import type { TriMesh } from '../geometry/types.js';

export interface PlyOptions {
  /** Multiplies positions (not normals). Default 1000: our meshes are metres, BOP models millimetres. */
  scale?: number;
  /**
   * Free text, written as one 'comment' header line per line of text. A line starting with
   * 'TextureFile' would be taken by load_ply as a texture path, so avoid that.
   */
  comment?: string;
}

const VERTEX_BYTES = 6 * 4; // x y z nx ny nz as float32
const FACE_BYTES = 1 + 3 * 4; // uchar count (always 3) + three int32 indices

/** Header text, exported so tests and tools can see exactly what load_ply will parse. */
export function plyHeader(vertexCount: number, faceCount: number, comment?: string): string {
  const lines = ['ply', 'format binary_little_endian 1.0'];
  if (comment !== undefined) {
    // A newline inside a comment would start a header line the parser misreads.
    for (const line of comment.split(/\r?\n|\r/)) lines.push(line === '' ? 'comment' : `comment ${line}`);
  }
  lines.push(
    `element vertex ${vertexCount}`,
    'property float x',
    'property float y',
    'property float z',
    'property float nx',
    'property float ny',
    'property float nz',
    `element face ${faceCount}`,
    'property list uchar int vertex_indices',
    'end_header',
  );
  return lines.join('\n') + '\n';
}

/** Encode a triangle mesh as a binary little-endian PLY with per-vertex normals. */
export function encodePly(mesh: TriMesh, options?: PlyOptions): Buffer {
  const { positions, normals, indices } = mesh;
  const scale = options?.scale ?? 1000;
  if (!Number.isFinite(scale)) throw new RangeError(`encodePly: bad scale ${scale}`);
  if (positions.length % 3 !== 0) throw new RangeError('encodePly: positions length is not a multiple of 3');
  if (normals.length !== positions.length) throw new RangeError('encodePly: normals and positions differ in length');
  if (indices.length % 3 !== 0) throw new RangeError('encodePly: indices length is not a multiple of 3');
  const nv = positions.length / 3;
  const nf = indices.length / 3;
  // Indices are written as signed int32 (the only integer type load_ply reads besides uchar).
  if (nv > 0x7fffffff) throw new RangeError('encodePly: too many vertices for int32 indices');
  for (let i = 0; i < indices.length; i++) {
    if (indices[i] >= nv) throw new RangeError(`encodePly: index ${indices[i]} out of range (${nv} vertices)`);
  }

  const header = Buffer.from(plyHeader(nv, nf, options?.comment), 'utf8');
  const out = Buffer.alloc(header.length + nv * VERTEX_BYTES + nf * FACE_BYTES);
  header.copy(out, 0);
  // DataView with explicit little-endian flags: correct on any host, and face records are 13
  // bytes, so they are unaligned for typed-array views anyway.
  const view = new DataView(out.buffer, out.byteOffset, out.length);
  let o = header.length;
  for (let v = 0; v < nv; v++) {
    const b = 3 * v;
    view.setFloat32(o, positions[b] * scale, true);
    view.setFloat32(o + 4, positions[b + 1] * scale, true);
    view.setFloat32(o + 8, positions[b + 2] * scale, true);
    view.setFloat32(o + 12, normals[b], true);
    view.setFloat32(o + 16, normals[b + 1], true);
    view.setFloat32(o + 20, normals[b + 2], true);
    o += VERTEX_BYTES;
  }
  for (let f = 0; f < nf; f++) {
    const b = 3 * f;
    view.setUint8(o, 3);
    view.setInt32(o + 1, indices[b], true);
    view.setInt32(o + 5, indices[b + 1], true);
    view.setInt32(o + 9, indices[b + 2], true);
    o += FACE_BYTES;
  }
  return out;
}
