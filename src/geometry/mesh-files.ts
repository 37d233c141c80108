/**
 * Loads mesh files (OBJ, STL, glTF/GLB) into one merged TriMesh in model coordinates: metres,
 * Z up, counter-clockwise front faces, unit normals (see types.ts).
 */
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { Logger, NodeIO, Primitive, type Node } from '@gltf-transform/core';
import { UserError } from '../errors.js';
import { computeNormals, mergeMeshes, transformMesh } from './mesh-ops.js';
import type { Mat3, TriMesh } from './types.js';

export interface MeshLoadOptions {
  /** Length unit of the file's coordinates; converted to metres. */
  unit: 'm' | 'cm' | 'mm';
  /** Up axis of the file; 'y' is rotated to the project's Z up. */
  up: 'z' | 'y';
  /** Extra uniform scale factor (> 0), applied on top of the unit conversion. */
  scale: number;
}

const METRES_PER_UNIT: Record<MeshLoadOptions['unit'], number> = { m: 1, cm: 0.01, mm: 0.001 };

/**
 * Y-up to Z-up: (x, y, z) -> (x, -z, y), a +90 degree rotation about X. It is a proper rotation
 * (det +1, no mirroring), so triangle winding and normal directions are preserved. Row-major.
 */
const Y_UP_TO_Z_UP: Mat3 = [1, 0, 0, 0, 0, -1, 0, 1, 0];
const IDENTITY: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

/** Makes the UserError for this file. Parsers return meshes in file coordinates (unit normals, CCW). */
type Fail = (what: string) => UserError;

/**
 * Reads an OBJ, STL (ASCII or binary) or glTF/GLB file as one triangle mesh, converted to metres
 * and Z up and scaled by `options.scale`. Normals: the file's own where it has them (rotated with
 * the mesh), else area-weighted smooth normals; STL is flat-shaded (no vertex shared by two faces),
 * and so are glTF primitives without normals (as the glTF spec requires).
 * Every problem with the file or the options is a UserError naming the file.
 */
export async function loadMeshFile(path: string, options: MeshLoadOptions): Promise<TriMesh> {
  const fail: Fail = (what) => new UserError(`Cannot load mesh file "${path}": ${what}`);

  if (!Object.hasOwn(METRES_PER_UNIT, options.unit)) {
    throw fail(`unknown unit ${JSON.stringify(options.unit)} (expected "m", "cm" or "mm")`);
  }
  const metres = METRES_PER_UNIT[options.unit];
  if (options.up !== 'z' && options.up !== 'y') {
    throw fail(`unknown up axis ${JSON.stringify(options.up)} (expected "z" or "y")`);
  }
  if (typeof options.scale !== 'number' || !Number.isFinite(options.scale) || options.scale <= 0) {
    throw fail(`scale must be a positive number, got ${String(options.scale)}`);
  }

  try {
    const st = await stat(path);
    if (!st.isFile()) throw fail('not a regular file');
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw fail(code === 'ENOENT' ? 'file not found' : `cannot access file (${code ?? String(err)})`);
  }

  const ext = extname(path).toLowerCase();
  let mesh: TriMesh;
  switch (ext) {
    case '.obj':
      mesh = parseObj((await readBytes(path, fail)).toString('utf8'), fail);
      break;
    case '.stl':
      mesh = parseStl(await readBytes(path, fail), fail);
      break;
    case '.gltf':
    case '.glb':
      mesh = await readGltf(path, fail);
      break;
    default:
      throw fail(`unknown file extension ${JSON.stringify(ext)} (expected .obj, .stl, .gltf or .glb)`);
  }

  if (mesh.indices.length === 0) throw fail('the file contains no triangles');
  for (let i = 0; i < mesh.positions.length; i++) {
    if (!Number.isFinite(mesh.positions[i])) throw fail('it has a vertex coordinate that is not a finite number');
  }

  const k = metres * options.scale;
  const rot = options.up === 'y' ? Y_UP_TO_Z_UP : IDENTITY;
  return transformMesh(mesh, rot.map((r) => r * k), [0, 0, 0]);
}

async function readBytes(path: string, fail: Fail): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw fail(`cannot read file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/** Gives each vertex whose normal is missing or zero the area-weighted smooth normal. */
function fillMissingNormals(positions: Float32Array, normals: Float32Array, indices: Uint32Array): void {
  let computed: Float32Array | undefined;
  for (let i = 0; i < normals.length; i += 3) {
    const len = Math.hypot(normals[i], normals[i + 1], normals[i + 2]);
    if (len > 0 && Number.isFinite(len)) {
      normals[i] /= len; normals[i + 1] /= len; normals[i + 2] /= len;
    } else {
      computed ??= computeNormals(positions, indices);
      normals[i] = computed[i]; normals[i + 1] = computed[i + 1]; normals[i + 2] = computed[i + 2];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// OBJ

function parseObj(text: string, fail: Fail): TriMesh {
  const v: number[] = [];
  const vn: number[] = [];
  const corner = new Map<string, number>(); // "vi/ni" -> output vertex
  const positions: number[] = [];
  const normals: number[] = [];
  const indices: number[] = [];
  const lines = text.split(/\r\n|\n|\r/);

  for (let li = 0; li < lines.length; li++) {
    const lineNo = li + 1;
    let line = lines[li];
    while (line.endsWith('\\') && li + 1 < lines.length) line = line.slice(0, -1) + ' ' + lines[++li];
    const hash = line.indexOf('#');
    if (hash >= 0) line = line.slice(0, hash);
    const tok = line.trim().split(/\s+/);
    const at = `line ${lineNo}`;

    const numbers = (count: number, what: string): number[] => {
      if (tok.length < count + 1) throw fail(`${at}: "${tok[0]}" needs ${count} numbers for ${what}`);
      const out: number[] = [];
      for (let i = 1; i <= count; i++) {
        const x = Number(tok[i]);
        if (!Number.isFinite(x)) throw fail(`${at}: ${JSON.stringify(tok[i])} is not a number`);
        out.push(x);
      }
      return out;
    };
    const reference = (s: string, count: number, what: string): number => {
      const n = Number(s);
      if (!Number.isInteger(n) || n === 0) throw fail(`${at}: invalid ${what} index ${JSON.stringify(s)}`);
      const i = n > 0 ? n - 1 : count + n;
      if (i < 0 || i >= count) {
        throw fail(`${at}: face ${what} index ${n} is out of range (${count} ${what}s defined before this line)`);
      }
      return i;
    };

    switch (tok[0]) {
      case 'v':
        v.push(...numbers(3, 'a vertex'));
        break;
      case 'vn':
        vn.push(...numbers(3, 'a normal'));
        break;
      case 'f': {
        if (tok.length < 4) throw fail(`${at}: a face needs at least 3 vertices`);
        const face: number[] = [];
        for (let i = 1; i < tok.length; i++) {
          const parts = tok[i].split('/');
          if (parts.length > 3) throw fail(`${at}: malformed face vertex ${JSON.stringify(tok[i])}`);
          const vi = reference(parts[0], v.length / 3, 'vertex');
          const ni = parts.length === 3 && parts[2] !== '' ? reference(parts[2], vn.length / 3, 'normal') : -1;
          const key = `${vi}/${ni}`;
          let out = corner.get(key);
          if (out === undefined) {
            out = positions.length / 3;
            corner.set(key, out);
            positions.push(v[3 * vi], v[3 * vi + 1], v[3 * vi + 2]);
            if (ni >= 0) normals.push(vn[3 * ni], vn[3 * ni + 1], vn[3 * ni + 2]);
            else normals.push(0, 0, 0); // filled in below
          }
          face.push(out);
        }
        // Fan triangulation keeps the polygon's (counter-clockwise) orientation.
        for (let i = 1; i + 1 < face.length; i++) indices.push(face[0], face[i], face[i + 1]);
        break;
      }
      default:
        // vt, vp, o, g, s, usemtl, mtllib, l, p, ...: not needed for geometry.
        break;
    }
  }

  const mesh: TriMesh = {
    positions: new Float32Array(positions),
    normals: new Float32Array(normals),
    indices: new Uint32Array(indices),
  };
  fillMissingNormals(mesh.positions, mesh.normals, mesh.indices);
  return mesh;
}

// ---------------------------------------------------------------------------------------------
// STL

/**
 * STL: binary (80-byte header, uint32 count, 50 bytes per triangle) or ASCII ("solid ...").
 * Some binary files also begin with "solid", so text is only assumed when the file has no NUL
 * byte (a binary STL virtually always has some, e.g. in the count or attribute bytes); if such a
 * file still fails to parse as text but has exactly the binary size, it is read as binary.
 */
function parseStl(buf: Buffer, fail: Fail): TriMesh {
  const startsWithSolid = /^\s*solid(\s|$)/.test(buf.subarray(0, 512).toString('latin1'));
  if (startsWithSolid && !buf.includes(0)) {
    try {
      return parseAsciiStl(buf.toString('latin1'), fail);
    } catch (err) {
      if (!(buf.length >= 84 && buf.length === 84 + 50 * buf.readUInt32LE(80))) throw err;
    }
  }
  if (buf.length < 84) {
    throw fail(`truncated binary STL: ${buf.length} bytes, shorter than the 84-byte header`);
  }
  const count = buf.readUInt32LE(80);
  const expected = 84 + 50 * count;
  if (buf.length !== expected) {
    throw fail(
      `corrupt or truncated binary STL: the header declares ${count} triangles (${expected} bytes) ` +
        `but the file has ${buf.length} bytes`,
    );
  }
  const tri = new Float32Array(12 * count); // normal + 3 vertices per triangle
  for (let t = 0; t < count; t++) {
    const o = 84 + 50 * t;
    for (let k = 0; k < 12; k++) tri[12 * t + k] = buf.readFloatLE(o + 4 * k);
  }
  return flatStl(tri);
}

function parseAsciiStl(text: string, fail: Fail): TriMesh {
  const tri: number[] = [];
  const lines = text.split(/\r\n|\n|\r/);
  let normal: number[] | null = null;
  let loop: number[][] | null = null;
  for (let li = 0; li < lines.length; li++) {
    const tok = lines[li].trim().split(/\s+/);
    const at = `line ${li + 1}`;
    const nums = (from: number): number[] => {
      const out = tok.slice(from, from + 3).map(Number);
      if (out.length !== 3 || !out.every(Number.isFinite)) throw fail(`${at}: expected 3 numbers after "${tok.slice(0, from).join(' ')}"`);
      return out;
    };
    switch (tok[0].toLowerCase()) {
      case 'facet':
        if (normal) throw fail(`${at}: "facet" inside another facet`);
        normal = tok[1]?.toLowerCase() === 'normal' ? nums(2) : [0, 0, 0];
        break;
      case 'outer':
        if (!normal) throw fail(`${at}: "outer loop" outside a facet`);
        loop = [];
        break;
      case 'vertex':
        if (!loop) throw fail(`${at}: "vertex" outside a loop`);
        loop.push(nums(1));
        break;
      case 'endloop':
        if (!loop || !normal) throw fail(`${at}: "endloop" without a loop`);
        if (loop.length < 3) throw fail(`${at}: a facet needs at least 3 vertices, has ${loop.length}`);
        for (let i = 1; i + 1 < loop.length; i++) tri.push(...normal, ...loop[0], ...loop[i], ...loop[i + 1]);
        loop = null;
        break;
      case 'endfacet':
        if (loop) throw fail(`${at}: "endfacet" before "endloop"`);
        normal = null;
        break;
      default:
        // solid, endsolid, blank lines.
        break;
    }
  }
  if (normal || loop) throw fail('ASCII STL ends inside a facet (truncated file?)');
  return flatStl(new Float32Array(tri));
}

/**
 * Flat-shaded mesh from STL triangles (12 floats each: normal, v0, v1, v2). The face normal comes
 * from the vertex order (counter-clockwise seen from outside, as STL requires), which is what
 * the winding means; the stored normal, often zero or stale in real files, is only used for a
 * degenerate triangle.
 */
function flatStl(tri: Float32Array): TriMesh {
  const count = tri.length / 12;
  const positions = new Float32Array(9 * count);
  const normals = new Float32Array(9 * count);
  const indices = new Uint32Array(3 * count);
  for (let t = 0; t < count; t++) {
    const s = 12 * t;
    for (let k = 0; k < 9; k++) positions[9 * t + k] = tri[s + 3 + k];
    const ux = tri[s + 6] - tri[s + 3], uy = tri[s + 7] - tri[s + 4], uz = tri[s + 8] - tri[s + 5];
    const vx = tri[s + 9] - tri[s + 3], vy = tri[s + 10] - tri[s + 4], vz = tri[s + 11] - tri[s + 5];
    let n = [uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx];
    let len = Math.hypot(n[0], n[1], n[2]);
    if (!(len > 0 && Number.isFinite(len))) {
      n = [tri[s], tri[s + 1], tri[s + 2]];
      len = Math.hypot(n[0], n[1], n[2]);
      if (!(len > 0 && Number.isFinite(len))) { n = [0, 0, 1]; len = 1; }
    }
    for (let c = 0; c < 3; c++) {
      normals[9 * t + 3 * c] = n[0] / len;
      normals[9 * t + 3 * c + 1] = n[1] / len;
      normals[9 * t + 3 * c + 2] = n[2] / len;
      indices[3 * t + c] = 3 * t + c;
    }
  }
  return { positions, normals, indices };
}

// ---------------------------------------------------------------------------------------------
// glTF / GLB

async function readGltf(path: string, fail: Fail): Promise<TriMesh> {
  const io = new NodeIO().setLogger(new Logger(Logger.Verbosity.ERROR));
  let doc;
  try {
    doc = await io.read(path);
  } catch (err) {
    throw fail(`cannot parse glTF: ${err instanceof Error ? err.message : String(err)}`);
  }
  const root = doc.getRoot();
  const scene = root.getDefaultScene() ?? root.listScenes()[0];
  if (!scene) throw fail('the glTF file has no scene');

  const nodes: Node[] = [];
  scene.traverse((node) => { nodes.push(node); });
  const parts: TriMesh[] = [];
  let skipped = 0;
  for (const node of nodes) {
    const mesh = node.getMesh();
    if (!mesh) continue;
    const m = node.getWorldMatrix(); // column-major 4x4
    const R: Mat3 = [m[0], m[4], m[8], m[1], m[5], m[9], m[2], m[6], m[10]];
    const det = R[0] * (R[4] * R[8] - R[5] * R[7]) - R[1] * (R[3] * R[8] - R[5] * R[6]) + R[2] * (R[3] * R[7] - R[4] * R[6]);
    for (const prim of mesh.listPrimitives()) {
      const position = prim.getAttribute('POSITION');
      if (prim.getMode() !== Primitive.Mode.TRIANGLES || !position) { skipped++; continue; }
      if (!(Math.abs(det) > 0)) continue; // zero-scaled node: nothing visible
      const n = position.getCount();
      const positions = new Float32Array(3 * n);
      const el = [0, 0, 0];
      for (let i = 0; i < n; i++) positions.set(position.getElement(i, el), 3 * i);
      const idx = prim.getIndices();
      let indices: Uint32Array;
      if (idx) {
        const arr = idx.getArray();
        indices = arr ? Uint32Array.from(arr) : new Uint32Array(0);
      } else {
        indices = new Uint32Array(n);
        for (let i = 0; i < n; i++) indices[i] = i;
      }
      indices = indices.subarray(0, indices.length - (indices.length % 3));
      for (const i of indices) {
        if (i >= n) throw fail(`glTF mesh "${mesh.getName()}" has vertex index ${i} out of range (${n} vertices)`);
      }
      const normal = prim.getAttribute('NORMAL');
      let part: TriMesh;
      if (normal && normal.getCount() === n) {
        const normals = new Float32Array(3 * n);
        for (let i = 0; i < n; i++) normals.set(normal.getElement(i, el), 3 * i);
        fillMissingNormals(positions, normals, indices);
        part = { positions, normals, indices };
      } else {
        part = flatten(positions, indices); // glTF spec: without normals, shading is flat
      }
      // transformMesh uses the inverse transpose for normals and re-winds mirrored nodes (det < 0).
      parts.push(transformMesh(part, R, [m[12], m[13], m[14]]));
    }
  }
  const merged = mergeMeshes(parts);
  if (merged.indices.length === 0 && skipped > 0) {
    throw fail(`the glTF file contains no triangles (${skipped} primitive(s) are not TRIANGLES mode or lack positions)`);
  }
  return merged;
}

/** Unshares vertices so every triangle gets its own three, with its face normal. */
function flatten(positions: Float32Array, indices: Uint32Array): TriMesh {
  const tri = new Float32Array((indices.length / 3) * 12);
  for (let t = 0; t < indices.length / 3; t++) {
    for (let c = 0; c < 3; c++) {
      const v = 3 * indices[3 * t + c];
      tri.set(positions.subarray(v, v + 3), 12 * t + 3 + 3 * c);
    }
  }
  return flatStl(tri);
}
