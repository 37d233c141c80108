/**
 * Loads mesh files (OBJ with its MTL, STL, PLY, glTF/GLB, Collada) as parts, one per material, in
 * model coordinates: metres, Z up, counter-clockwise front faces, unit normals (see types.ts).
 * loadMeshFile (mesh-files.ts) is the same loader with the parts merged into one mesh.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { Logger, NodeIO, Primitive, type Material as GltfMaterial, type Node } from '@gltf-transform/core';
import { UserError } from '../errors.js';
import { MAX_COLLADA_BYTES, parseCollada, Y_UP_TO_Z_UP } from './collada.js';
import { computeNormals, mergeMeshes, transformMesh } from './mesh-ops.js';
import { parsePly } from './ply.js';
import type { Mat3, TriMesh, Vec3 } from './types.js';

export interface MeshLoadOptions {
  /** Length unit of the file's coordinates; converted to metres. */
  unit: 'm' | 'cm' | 'mm';
  /** Up axis of the file; 'y' is rotated to the project's Z up. */
  up: 'z' | 'y';
  /** Extra uniform scale factor (> 0), applied on top of the unit conversion. */
  scale: number;
  /**
   * Receives each non-fatal problem, as one line naming the files involved: a missing MTL file
   * or texture, a material the MTL does not define, parts of a Collada file that were skipped.
   * Every call gets the warnings of its file, also when the file came from the cache.
   * Without it they are dropped.
   */
  warn?: (message: string) => void;
}

/** One material's triangles. */
export interface MeshPart {
  mesh: TriMesh;
  /**
   * Diffuse colour as written in the file (OBJ Kd, Collada diffuse, glTF baseColorFactor; PLY: the
   * area-weighted mean of its vertex colours, as parts carry no per-vertex colour), clamped to [0, 1].
   */
  color?: [number, number, number];
  /**
   * Absolute path of the diffuse texture image (OBJ map_Kd, Collada diffuse texture, PLY
   * `comment TextureFile`, a glTF baseColorTexture image; an embedded one (GLB, data: URI) is
   * written to a content-named file under the system's temp folder); it exists. The renderer
   * draws it with the mesh's `uvs`, on object models and robot links alike.
   */
  texture?: string;
}

const METRES_PER_UNIT: Record<MeshLoadOptions['unit'], number> = { m: 1, cm: 0.01, mm: 0.001 };
const IDENTITY: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

/** Makes the UserError for this file. */
type Fail = (what: string) => UserError;

/** The file extensions loadMeshParts reads, lower case with the dot. */
export const MESH_EXTENSIONS: readonly string[] = ['.obj', '.stl', '.ply', '.gltf', '.glb', '.dae'];

/**
 * The linear map from file coordinates to model coordinates that `unit`, `up` and `scale` ask for
 * (row-major): the unit in metres times `scale`, and the y-up to Z-up turn for `up: 'y'`.
 * Checks the options; a bad one is a UserError naming `path`.
 */
export function fileToModelMatrix(path: string, options: MeshLoadOptions): Mat3 {
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
  const k = metres * options.scale;
  return (options.up === 'y' ? Y_UP_TO_Z_UP : IDENTITY).map((r) => r * k);
}

/**
 * Reads a mesh file as one part per material, converted to metres and Z up and scaled by
 * `options.scale`. Collada files are first converted by their own <unit> and <up_axis>; `unit`
 * and `up` then apply on top (leave them at 'm' and 'z' for a file that declares its own).
 *
 * Parts come in the order their materials are first used; triangles without a material form one
 * part without colour. Normals: the file's own where it has them (rotated with the mesh), else
 * area-weighted smooth normals; STL is flat-shaded, and so are glTF primitives without normals.
 * OBJ: colours from the MTL files its `mtllib` lines name (Kd, map_Kd). A texture's Kd is only
 * its tint, so a part whose texture file is missing falls back to no colour and no texture (the
 * caller's material: the scene's object material, the URDF colour).
 * PLY (ply.ts): ASCII or binary, one part; its colour is the mean vertex colour, its texture the
 * `comment TextureFile` image; a missing texture leaves the mean vertex colour (or no colour).
 * A missing MTL or texture file is a warning (see MeshLoadOptions.warn), not an error; every
 * other problem with the file or the options is a UserError naming the file.
 *
 * Files are parsed once and cached by path, size and modification time (of the mesh file only:
 * a changed MTL or texture alone is not noticed); every call returns new arrays, which the caller
 * may modify.
 */
export async function loadMeshParts(path: string, options: MeshLoadOptions): Promise<MeshPart[]> {
  const fail: Fail = (what) => new UserError(`Cannot load mesh file "${path}": ${what}`);
  const rot = fileToModelMatrix(path, options);

  let size: number, version: string;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw fail('not a regular file');
    size = st.size;
    version = `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}`;
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw fail(code === 'ENOENT' ? 'file not found' : `cannot access file (${code ?? String(err)})`);
  }

  const ext = extname(path).toLowerCase();
  if (!READERS.has(ext)) {
    throw fail(`unknown file extension ${JSON.stringify(ext)} (expected .obj, .stl, .ply, .gltf, .glb or .dae)`);
  }

  const key = `${resolve(path)}\0${path}\0${version}`;
  let entry = cache.get(key);
  if (entry) {
    cache.delete(key); // most recently used last
  } else {
    entry = readParts(path, ext, size, fail);
  }
  cache.set(key, entry);
  let file: FileParts;
  try {
    file = await entry;
  } catch (err) {
    if (cache.get(key) === entry) cache.delete(key);
    throw err;
  }
  trimCache();

  if (options.warn) for (const w of file.warnings) options.warn(w);
  return file.parts.map(({ mesh, color, texture }) => {
    const part: MeshPart = { mesh: placeMesh(mesh, rot, [0, 0, 0]) };
    if (color) part.color = [color[0], color[1], color[2]];
    if (texture !== undefined) part.texture = texture;
    return part;
  });
}

/**
 * transformMesh, with a fast path for the common case of no rotation (a positive uniform scale
 * and a translation), where normals are only copied. Always returns new arrays.
 */
function placeMesh(mesh: TriMesh, R: Mat3, t: Vec3): TriMesh {
  const k = R[0];
  if (!(k > 0) || R[4] !== k || R[8] !== k || R[1] !== 0 || R[2] !== 0 || R[3] !== 0 || R[5] !== 0 || R[6] !== 0 || R[7] !== 0) {
    return transformMesh(mesh, R, t);
  }
  const positions = new Float32Array(mesh.positions.length);
  const p = mesh.positions;
  for (let i = 0; i < p.length; i += 3) {
    positions[i] = k * p[i] + t[0];
    positions[i + 1] = k * p[i + 1] + t[1];
    positions[i + 2] = k * p[i + 2] + t[2];
  }
  const out: TriMesh = { positions, normals: mesh.normals.slice(), indices: mesh.indices.slice() };
  if (mesh.uvs) out.uvs = mesh.uvs.slice();
  return out;
}

/** The cache keeps at most this many parsed files and bytes of mesh arrays (least recently used dropped first). */
const CACHE_FILES = 64;
const CACHE_BYTES = 256 * 2 ** 20;
const cache = new Map<string, Promise<FileParts>>();
/** Array bytes of each settled cache entry. */
const cachedBytes = new WeakMap<Promise<FileParts>, number>();

function trimCache(): void {
  let bytes = 0;
  for (const entry of cache.values()) bytes += cachedBytes.get(entry) ?? 0;
  for (const [key, entry] of cache) {
    if (cache.size <= 1 || (cache.size <= CACHE_FILES && bytes <= CACHE_BYTES)) break;
    bytes -= cachedBytes.get(entry) ?? 0;
    cache.delete(key);
  }
}

/** Forgets every cached file. */
export function clearMeshCache(): void {
  cache.clear();
}

/** A parsed file: parts in file coordinates (Collada: already in metres and Z up), never handed out. */
interface FileParts {
  parts: MeshPart[];
  warnings: string[];
}

/**
 * What a format reader returns: meshes whose triangles are tagged with a material index
 * (-1: none). Normals may be zero where the file has none; they are filled in afterwards.
 */
interface Tagged {
  pieces: { mesh: TriMesh; material: number | Int32Array }[];
  materials: { color?: Vec3; texture?: string }[];
  warnings: string[];
}

type Reader = (path: string, fail: Fail, size: number) => Promise<Tagged>;

const READERS = new Map<string, Reader>([
  ['.obj', readObj],
  ['.stl', async (path, fail) => ({ pieces: [{ mesh: parseStl(await readBytes(path, fail), fail), material: -1 }], materials: [], warnings: [] })],
  ['.ply', readPly],
  ['.gltf', readGltf],
  ['.glb', readGltf],
  ['.dae', readCollada],
]);

function readParts(path: string, ext: string, size: number, fail: Fail): Promise<FileParts> {
  const entry = parseParts(path, ext, size, fail);
  entry.then((file) => {
    let bytes = 0;
    for (const { mesh } of file.parts) bytes += mesh.positions.byteLength + mesh.normals.byteLength + mesh.indices.byteLength + (mesh.uvs?.byteLength ?? 0);
    cachedBytes.set(entry, bytes);
  }, () => undefined);
  return entry;
}

async function parseParts(path: string, ext: string, size: number, fail: Fail): Promise<FileParts> {
  const { pieces, materials, warnings } = await READERS.get(ext)!(path, fail, size);

  let triangles = 0;
  for (const { mesh } of pieces) {
    triangles += mesh.indices.length / 3;
  }
  if (triangles === 0) throw fail('the file contains no triangles');
  for (const { mesh } of pieces) {
    const p = mesh.positions;
    for (let i = 0; i < p.length; i++) {
      if (!Number.isFinite(p[i])) throw fail('it has a vertex coordinate that is not a finite number');
    }
  }

  // Group the triangles by appearance (materials that look the same share a part), in order of
  // first use.
  const appearance = (m: number): string => {
    const mat = m >= 0 ? materials[m] : undefined;
    const color = mat?.color && sanitizeColor(mat.color);
    return JSON.stringify([color ?? null, mat?.texture ?? null]);
  };
  const groups = new Map<string, TriMesh[]>();
  for (const { mesh, material } of pieces) {
    if (mesh.indices.length === 0) continue;
    fillMissingNormals(mesh.positions, mesh.normals, mesh.indices);
    for (const [m, sub] of splitByMaterial(mesh, material)) {
      const key = appearance(m);
      let list = groups.get(key);
      if (!list) groups.set(key, (list = []));
      list.push(sub);
    }
  }
  const parts: MeshPart[] = [];
  for (const [key, meshes] of groups) {
    const [color, texture] = JSON.parse(key) as [[number, number, number] | null, string | null];
    const part: MeshPart = { mesh: meshes.length === 1 ? meshes[0] : mergeMeshes(meshes) };
    if (color) part.color = color;
    if (texture !== null) part.texture = texture;
    parts.push(part);
  }
  return { parts, warnings };
}

function sanitizeColor(c: Vec3): [number, number, number] | undefined {
  if (!c.every(Number.isFinite)) return undefined;
  return [0, 1, 2].map((k) => Math.min(1, Math.max(0, c[k]))) as [number, number, number];
}

/** The mesh's triangles per material tag, each with only the vertices it uses. */
function splitByMaterial(mesh: TriMesh, material: number | Int32Array): [number, TriMesh][] {
  if (typeof material === 'number') return [[material, mesh]];
  const first = material[0];
  if (material.every((m) => m === first)) return [[first, mesh]];
  const triangles = new Map<number, number[]>();
  for (let t = 0; t < material.length; t++) {
    let list = triangles.get(material[t]);
    if (!list) triangles.set(material[t], (list = []));
    list.push(t);
  }
  const remap = new Int32Array(mesh.positions.length / 3);
  const out: [number, TriMesh][] = [];
  for (const [m, tris] of triangles) {
    remap.fill(-1);
    const indices = new Uint32Array(3 * tris.length);
    let n = 0;
    for (let k = 0; k < tris.length; k++) {
      for (let c = 0; c < 3; c++) {
        const v = mesh.indices[3 * tris[k] + c];
        if (remap[v] < 0) remap[v] = n++;
        indices[3 * k + c] = remap[v];
      }
    }
    const positions = new Float32Array(3 * n);
    const normals = new Float32Array(3 * n);
    const uvs = mesh.uvs ? new Float32Array(2 * n) : undefined;
    for (let v = 0; v < remap.length; v++) {
      const r = remap[v];
      if (r < 0) continue;
      for (let k = 0; k < 3; k++) {
        positions[3 * r + k] = mesh.positions[3 * v + k];
        normals[3 * r + k] = mesh.normals[3 * v + k];
      }
      if (uvs) { uvs[2 * r] = mesh.uvs![2 * v]; uvs[2 * r + 1] = mesh.uvs![2 * v + 1]; }
    }
    out.push([m, uvs ? { positions, normals, indices, uvs } : { positions, normals, indices }]);
  }
  return out;
}

async function readBytes(path: string, fail: Fail): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw fail(`cannot read file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/** Whether a regular file exists at `path`. */
async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
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
// Collada

async function readCollada(path: string, fail: Fail, size: number): Promise<Tagged> {
  if (size > MAX_COLLADA_BYTES) {
    throw fail(`the file has ${size} bytes; Collada files over ${MAX_COLLADA_BYTES / 2 ** 20} MB are not read`);
  }
  const scene = parseCollada((await readBytes(path, fail)).toString('utf8'), fail);
  const warnings = scene.warnings.map((w) => `Mesh file "${path}": ${w}`);
  const dir = dirname(path);
  const materials = await Promise.all(scene.materials.map(async ({ name, color, image }) => {
    if (image === undefined) return { color };
    // Exporters often write the author's absolute path: then try the file name beside the mesh.
    const candidates = [...new Set([resolve(dir, image), resolve(dir, basename(image.replace(/\\/g, '/')))])];
    for (const c of candidates) if (await isFile(c)) return { color, texture: c };
    warnings.push(`Mesh file "${path}": texture "${image}" of material "${name}" not found (looked for ${candidates[0]}); the part has no texture`);
    return { color };
  }));
  return { pieces: scene.pieces, materials, warnings };
}

// ---------------------------------------------------------------------------------------------
// PLY

async function readPly(path: string, fail: Fail): Promise<Tagged> {
  const ply = parsePly(await readBytes(path, fail), fail);
  const warnings = ply.warnings.map((w) => `Mesh file "${path}": ${w}`);
  const material: Tagged['materials'][number] = {};
  if (ply.meanColor) material.color = ply.meanColor;
  if (ply.textureFile !== undefined) {
    const texture = resolve(dirname(path), ply.textureFile.replace(/\\/g, '/'));
    if (await isFile(texture)) {
      material.texture = texture;
    } else {
      const fallback = ply.meanColor ? 'its mean vertex colour' : 'an untextured material with no colour of its own';
      warnings.push(`Mesh file "${path}": texture "${texture}" (comment TextureFile) not found; the part falls back to ${fallback}`);
    }
  }
  return { pieces: [{ mesh: ply.mesh, material: 0 }], materials: [material], warnings };
}

// ---------------------------------------------------------------------------------------------
// OBJ and MTL

interface ObjData {
  mesh: TriMesh;
  /** Per triangle: index in `materialNames`, or -1 before the first usemtl. */
  material: Int32Array;
  materialNames: string[];
  /** The arguments of each mtllib line. */
  mtllibs: string[];
}

async function readObj(path: string, fail: Fail): Promise<Tagged> {
  const obj = parseObj((await readBytes(path, fail)).toString('utf8'), fail);
  const warnings: string[] = [];
  const warn = (what: string): void => { warnings.push(`Mesh file "${path}": ${what}`); };

  // Later definitions of a name win, as in most readers.
  const defs = new Map<string, { def: MtlMaterial; file: string }>();
  let libraries = 0;
  for (const file of await mtlFiles(path, obj.mtllibs, warn)) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) {
      warn(`cannot read material library "${file}"; its materials have no colour`);
      continue;
    }
    libraries++;
    for (const [name, def] of parseMtl(text, (w) => warn(`${file}: ${w}`))) defs.set(name, { def, file });
  }

  const used = new Set(obj.material);
  const materials = await Promise.all(obj.materialNames.map(async (name, i) => {
    if (!used.has(i)) return {};
    const found = defs.get(name);
    if (!found) {
      if (obj.mtllibs.length === 0) warn(`material "${name}" is used but no mtllib line names a material library; it has no colour`);
      else if (libraries > 0) warn(`material "${name}" is not defined in its material libraries; it has no colour`);
      return {};
    }
    const { def, file } = found;
    if (def.texture === undefined) return { color: def.color };
    const texture = resolve(dirname(file), def.texture);
    if (await isFile(texture)) return { color: def.color, texture };
    // Kd is the texture's tint: without the texture the part's colour is unknown.
    warn(`texture "${texture}" (map_Kd of material "${name}" in "${file}") not found; the part falls back to an untextured material with no colour of its own`);
    return {};
  }));
  return { pieces: [{ mesh: obj.mesh, material: obj.material }], materials, warnings };
}

/**
 * The MTL files of the mtllib lines, relative to the OBJ. A line may name several files separated
 * by spaces, or one whose name contains spaces: the whole line is tried first. A missing file is
 * a warning.
 */
async function mtlFiles(objPath: string, mtllibs: string[], warn: (what: string) => void): Promise<string[]> {
  const dir = dirname(objPath);
  const files: string[] = [];
  for (const arg of mtllibs) {
    const name = arg.replace(/\\/g, '/');
    const whole = resolve(dir, name);
    if (await isFile(whole)) {
      files.push(whole);
      continue;
    }
    for (const part of name.split(/\s+/)) {
      const file = resolve(dir, part);
      if (await isFile(file)) files.push(file);
      else warn(`material library "${file}" not found; its materials have no colour`);
    }
  }
  return [...new Set(files)];
}

interface MtlMaterial {
  color?: Vec3;
  /** map_Kd file name as written (options removed), relative to the MTL file. */
  texture?: string;
}

/** map_Kd options and how many arguments they take ([min, max]). */
const MAP_OPTIONS: Record<string, [number, number]> = {
  '-blendu': [1, 1], '-blendv': [1, 1], '-bm': [1, 1], '-boost': [1, 1], '-cc': [1, 1], '-clamp': [1, 1],
  '-imfchan': [1, 1], '-texres': [1, 1], '-type': [1, 1], '-mm': [2, 2], '-o': [1, 3], '-s': [1, 3], '-t': [1, 3],
};

/** newmtl, Kd and map_Kd of an MTL file; everything else is ignored. */
function parseMtl(text: string, warn: (what: string) => void): Map<string, MtlMaterial> {
  const out = new Map<string, MtlMaterial>();
  let current: MtlMaterial | undefined;
  const lines = text.split(/\r\n|\n|\r/);
  for (let li = 0; li < lines.length; li++) {
    const line = lines[li].trim();
    if (line === '' || line.startsWith('#')) continue;
    const tok = line.split(/\s+/);
    const key = tok[0].toLowerCase();
    const rest = line.slice(tok[0].length).trim();
    if (key === 'newmtl') {
      current = {};
      out.set(rest, current);
    } else if (key === 'kd' && current) {
      if (tok[1] === 'spectral' || tok[1] === 'xyz') continue;
      const v = tok.slice(1, 4).map(Number);
      if ((v.length === 1 || v.length === 3) && v.every(Number.isFinite)) {
        current.color = v.length === 1 ? [v[0], v[0], v[0]] : [v[0], v[1], v[2]];
      } else {
        warn(`line ${li + 1}: "Kd" needs 1 or 3 numbers; ignored`);
      }
    } else if (key === 'map_kd' && current) {
      let i = 1;
      while (i < tok.length && Object.hasOwn(MAP_OPTIONS, tok[i])) {
        const [min, max] = MAP_OPTIONS[tok[i]];
        let n = 0;
        i++;
        while (n < max && i < tok.length - 1 && (n < min || Number.isFinite(Number(tok[i])))) { i++; n++; }
      }
      const file = tok.slice(i).join(' ');
      if (file !== '') current.texture = file.replace(/\\/g, '/');
    }
  }
  return out;
}

function parseObj(text: string, fail: Fail): ObjData {
  const v: number[] = [];
  const vn: number[] = [];
  const vt: number[] = [];
  const corner = new Map<string, number>(); // "vi/ti/ni" -> output vertex
  const positions: number[] = [];
  const normals: number[] = [];
  const uvs: number[] = [];
  let hasUvs = false;
  const indices: number[] = [];
  const triMaterial: number[] = [];
  const materialNames: string[] = [];
  const mtllibs: string[] = [];
  let material = -1;
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
        throw fail(`${at}: face ${what} index ${n} is out of range (${count} ${what === 'vertex' ? 'vertices' : `${what}s`} defined before this line)`);
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
      case 'vt': {
        // u [v [w]]: v defaults to 0, w is not needed.
        const uv = numbers(1, 'a texture coordinate');
        const second = tok.length > 2 ? Number(tok[2]) : 0;
        if (!Number.isFinite(second)) throw fail(`${at}: ${JSON.stringify(tok[2])} is not a number`);
        vt.push(uv[0], second);
        break;
      }
      case 'f': {
        if (tok.length < 4) throw fail(`${at}: a face needs at least 3 vertices`);
        const face: number[] = [];
        for (let i = 1; i < tok.length; i++) {
          const parts = tok[i].split('/');
          if (parts.length > 3) throw fail(`${at}: malformed face vertex ${JSON.stringify(tok[i])}`);
          const vi = reference(parts[0], v.length / 3, 'vertex');
          const ni = parts.length === 3 && parts[2] !== '' ? reference(parts[2], vn.length / 3, 'normal') : -1;
          const ti = parts.length >= 2 && parts[1] !== '' ? reference(parts[1], vt.length / 2, 'texture coordinate') : -1;
          const key = `${vi}/${ti}/${ni}`;
          let out = corner.get(key);
          if (out === undefined) {
            out = positions.length / 3;
            corner.set(key, out);
            positions.push(v[3 * vi], v[3 * vi + 1], v[3 * vi + 2]);
            if (ni >= 0) normals.push(vn[3 * ni], vn[3 * ni + 1], vn[3 * ni + 2]);
            else normals.push(0, 0, 0); // filled in later
            if (ti >= 0) { uvs.push(vt[2 * ti], vt[2 * ti + 1]); hasUvs = true; } else uvs.push(0, 0);
          }
          face.push(out);
        }
        // Fan triangulation keeps the polygon's (counter-clockwise) orientation.
        for (let i = 1; i + 1 < face.length; i++) {
          indices.push(face[0], face[i], face[i + 1]);
          triMaterial.push(material);
        }
        break;
      }
      case 'usemtl':
      case 'mtllib': {
        // The rest of the line, as names may contain spaces.
        const arg = line.trim().slice(tok[0].length).trim();
        if (tok[0] === 'mtllib') {
          if (arg !== '') mtllibs.push(arg);
        } else {
          material = materialNames.indexOf(arg);
          if (material < 0) material = materialNames.push(arg) - 1;
        }
        break;
      }
      default:
        // vp, o, g, s, l, p, ...: not needed for geometry.
        break;
    }
  }

  const mesh: TriMesh = { positions: new Float32Array(positions), normals: new Float32Array(normals), indices: new Uint32Array(indices) };
  if (hasUvs) mesh.uvs = new Float32Array(uvs);
  return {
    mesh,
    material: new Int32Array(triMaterial),
    materialNames,
    mtllibs,
  };
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

const IMAGE_EXTENSIONS: Record<string, string> = { 'image/png': '.png', 'image/jpeg': '.jpg' };

/** A file holding `bytes`, named by their SHA-256 under the system's temp folder; written once. */
async function cachedImageFile(bytes: Uint8Array, ext: string): Promise<string> {
  const dir = join(tmpdir(), 'robosynth-textures');
  const file = join(dir, createHash('sha256').update(bytes).digest('hex').slice(0, 32) + ext);
  if (await isFile(file)) return file;
  await mkdir(dir, { recursive: true });
  // Atomic: a concurrent run never sees half an image.
  const partial = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(partial, bytes);
  await rename(partial, file);
  return file;
}

async function readGltf(path: string, fail: Fail): Promise<Tagged> {
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
  const pieces: Tagged['pieces'] = [];
  const materials: Tagged['materials'] = [];
  const materialIndex = new Map<GltfMaterial, number>();
  let skipped = 0;
  const warnings: string[] = [];
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
      // TEXCOORD_0, with glTF's top-down v turned into the bottom-up v of TriMesh.
      const texcoord = prim.getAttribute('TEXCOORD_0');
      let uvs: Float32Array | undefined;
      if (texcoord && texcoord.getCount() === n && texcoord.getElementSize() === 2) {
        uvs = new Float32Array(2 * n);
        const t2 = [0, 0];
        for (let i = 0; i < n; i++) {
          texcoord.getElement(i, t2);
          uvs[2 * i] = t2[0];
          uvs[2 * i + 1] = 1 - t2[1];
        }
      }
      let part: TriMesh;
      if (normal && normal.getCount() === n) {
        const normals = new Float32Array(3 * n);
        for (let i = 0; i < n; i++) normals.set(normal.getElement(i, el), 3 * i);
        fillMissingNormals(positions, normals, indices);
        part = { positions, normals, indices };
        if (uvs) part.uvs = uvs;
      } else {
        part = flatten(positions, indices, uvs); // glTF spec: without normals, shading is flat
      }
      let material = -1;
      const mat = prim.getMaterial();
      if (mat) {
        material = materialIndex.get(mat) ?? -1;
        if (material < 0) {
          const entry: Tagged['materials'][number] = { color: mat.getBaseColorFactor().slice(0, 3) as Vec3 };
          const texture = mat.getBaseColorTexture();
          const uri = texture?.getURI() ?? '';
          if (uri !== '' && !uri.startsWith('data:') && extname(path).toLowerCase() === '.gltf') {
            // A base colour image in its own file.
            const file = resolve(dirname(path), decodeURIComponent(uri));
            if (await isFile(file)) entry.texture = file;
            else warnings.push(`Mesh file "${path}": texture "${file}" (baseColorTexture) not found; the part is untextured`);
          } else if (texture) {
            // Embedded (a GLB buffer view or a data: URI): the renderer loads textures from files,
            // so the image goes to a file named by its content, shared by every run.
            const image = texture.getImage();
            const ext = IMAGE_EXTENSIONS[texture.getMimeType()];
            if (image && ext) entry.texture = await cachedImageFile(image, ext);
            else warnings.push(`Mesh file "${path}": embedded baseColorTexture of type "${texture.getMimeType()}" is not a PNG or JPEG; the part is untextured`);
          }
          material = materials.push(entry) - 1;
          materialIndex.set(mat, material);
        }
      }
      // transformMesh uses the inverse transpose for normals and re-winds mirrored nodes (det < 0).
      pieces.push({ mesh: transformMesh(part, R, [m[12], m[13], m[14]]), material });
    }
  }
  if (pieces.every((p) => p.mesh.indices.length === 0) && skipped > 0) {
    throw fail(`the glTF file contains no triangles (${skipped} primitive(s) are not TRIANGLES mode or lack positions)`);
  }
  return { pieces, materials, warnings };
}

/** Unshares vertices so every triangle gets its own three, with its face normal (and its UVs). */
function flatten(positions: Float32Array, indices: Uint32Array, uvs?: Float32Array): TriMesh {
  const tri = new Float32Array((indices.length / 3) * 12);
  for (let t = 0; t < indices.length / 3; t++) {
    for (let c = 0; c < 3; c++) {
      const v = 3 * indices[3 * t + c];
      tri.set(positions.subarray(v, v + 3), 12 * t + 3 + 3 * c);
    }
  }
  const mesh = flatStl(tri);
  if (uvs) {
    // flatStl gives corner k of the triangles its own vertex k.
    mesh.uvs = new Float32Array(2 * indices.length);
    for (let k = 0; k < indices.length; k++) {
      mesh.uvs[2 * k] = uvs[2 * indices[k]];
      mesh.uvs[2 * k + 1] = uvs[2 * indices[k] + 1];
    }
  }
  return mesh;
}
