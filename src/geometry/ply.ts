/**
 * PLY (Stanford polygon file) reading, as BOP datasets ship their object models: ASCII and
 * binary (little and big endian), vertex positions, optional normals, vertex colours and texture
 * coordinates, polygon faces, and the MeshLab/BOP `comment TextureFile name.png` texture.
 * http://paulbourke.net/dataformats/ply/
 *
 * mesh-parts.ts turns the result into a part (unit, up axis, scale, texture lookup); this file
 * only decodes the bytes.
 */
import type { TriMesh, Vec3 } from './types.js';

/** Builds the error for the file being read (mesh-parts.ts names the file). */
type Fail = (what: string) => Error;

export interface PlyData {
  /** Positions as written; normals as written, or zero where the file has none. */
  mesh: TriMesh;
  /**
   * The area-weighted mean vertex colour in [0, 1], when the vertices have red/green/blue.
   * TriMesh and MeshPart carry one colour per part, not per vertex, so the mean stands for them.
   */
  meanColor?: Vec3;
  /** The `comment TextureFile ...` name as written (relative to the PLY file). */
  textureFile?: string;
  /** Non-fatal problems (faces with fewer than 3 vertices). */
  warnings: string[];
}

type ScalarType = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';

const TYPES: Record<string, ScalarType> = {
  char: 'int8', int8: 'int8', uchar: 'uint8', uint8: 'uint8',
  short: 'int16', int16: 'int16', ushort: 'uint16', uint16: 'uint16',
  int: 'int32', int32: 'int32', uint: 'uint32', uint32: 'uint32',
  float: 'float32', float32: 'float32', double: 'float64', float64: 'float64',
};
const SIZE: Record<ScalarType, number> = { int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, float32: 4, float64: 8 };
const INTEGER_MAX: Partial<Record<ScalarType, number>> = { int8: 127, uint8: 255, int16: 32767, uint16: 65535, int32: 2147483647, uint32: 4294967295 };

interface Property {
  name: string;
  type: ScalarType;
  /** For list properties: the type of the count that precedes the items. */
  countType?: ScalarType;
}

interface Element {
  name: string;
  count: number;
  properties: Property[];
}

interface Header {
  format: 'ascii' | 'binary_little_endian' | 'binary_big_endian';
  elements: Element[];
  textureFile?: string;
  /** Byte offset of the data after the end_header line. */
  dataStart: number;
}

/** Headers are a few hundred bytes; this bounds the search for end_header in a non-PLY file. */
const MAX_HEADER_BYTES = 1 << 20;

function parseHeader(buf: Buffer, fail: Fail): Header {
  const head = buf.subarray(0, Math.min(buf.length, MAX_HEADER_BYTES)).toString('latin1');
  if (!/^ply[ \t]*(\r\n|\n|\r)/.test(head)) throw fail('not a PLY file (it does not begin with a "ply" line)');
  const end = /(^|\n|\r)end_header[ \t]*(\r\n|\n|\r)/.exec(head);
  if (!end) throw fail('the PLY header has no "end_header" line (truncated or not a PLY file)');
  const dataStart = end.index + end[0].length;
  const lines = head.slice(0, end.index + end[1].length).split(/\r\n|\n|\r/);

  let format: Header['format'] | undefined;
  let textureFile: string | undefined;
  const elements: Element[] = [];
  for (let li = 1; li < lines.length; li++) {
    const line = lines[li].trim();
    if (line === '') continue;
    const tok = line.split(/\s+/);
    const at = `PLY header line ${li + 1}`;
    const type = (name: string | undefined): ScalarType => {
      const t = name === undefined ? undefined : TYPES[name];
      if (!t) throw fail(`${at}: unknown property type ${JSON.stringify(name ?? '')} (expected char, uchar, short, ushort, int, uint, float, double or int8 ... float64)`);
      return t;
    };
    switch (tok[0]) {
      case 'format':
        if (tok[1] !== 'ascii' && tok[1] !== 'binary_little_endian' && tok[1] !== 'binary_big_endian') {
          throw fail(`${at}: unknown format ${JSON.stringify(tok[1] ?? '')} (expected ascii, binary_little_endian or binary_big_endian)`);
        }
        format = tok[1];
        break;
      case 'comment': {
        // MeshLab and BOP: "comment TextureFile name.png" (the name may contain spaces).
        const m = /^comment\s+texturefile\s+(.+)$/i.exec(line);
        if (m) textureFile = m[1].trim();
        break;
      }
      case 'obj_info':
        break;
      case 'element': {
        const count = Number(tok[2]);
        if (tok.length !== 3 || !Number.isSafeInteger(count) || count < 0) {
          throw fail(`${at}: expected "element NAME COUNT" with a non-negative integer count, got ${JSON.stringify(line)}`);
        }
        elements.push({ name: tok[1], count, properties: [] });
        break;
      }
      case 'property': {
        const element = elements[elements.length - 1];
        if (!element) throw fail(`${at}: "property" before any "element"`);
        if (tok[1] === 'list') {
          if (tok.length !== 5) throw fail(`${at}: expected "property list COUNT_TYPE ITEM_TYPE NAME", got ${JSON.stringify(line)}`);
          const countType = type(tok[2]);
          if (countType === 'float32' || countType === 'float64') throw fail(`${at}: a list count must have an integer type, not ${tok[2]}`);
          element.properties.push({ name: tok[4], type: type(tok[3]), countType });
        } else {
          if (tok.length !== 3) throw fail(`${at}: expected "property TYPE NAME", got ${JSON.stringify(line)}`);
          element.properties.push({ name: tok[2], type: type(tok[1]) });
        }
        break;
      }
      default:
        throw fail(`${at}: unknown header keyword ${JSON.stringify(tok[0])}`);
    }
  }
  if (!format) throw fail('the PLY header has no "format" line');
  return { format, elements, textureFile, dataStart };
}

/** Reads the rows of each element, one value array per property (lists: counts and items). */
interface Sink {
  /** Called once per row, with a function that returns the next value of the row. */
  row(element: Element, index: number, next: NextValue): void;
}
type NextValue = (property: Property, list: 'count' | 'item' | 'scalar') => number;

function readBinary(buf: Buffer, header: Header, sink: Sink, fail: Fail): void {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const little = header.format === 'binary_little_endian';
  let offset = header.dataStart;
  let current = { element: '', row: 0, count: 0 };
  const truncated = (): Error =>
    fail(
      `truncated binary PLY: the data ends inside element "${current.element}" (row ${current.row + 1} of ${current.count}); ` +
        `the header declares more data than the file's ${buf.length} bytes hold`,
    );
  const read = (type: ScalarType): number => {
    if (offset + SIZE[type] > buf.length) throw truncated();
    const o = offset;
    offset += SIZE[type];
    switch (type) {
      case 'int8': return view.getInt8(o);
      case 'uint8': return view.getUint8(o);
      case 'int16': return view.getInt16(o, little);
      case 'uint16': return view.getUint16(o, little);
      case 'int32': return view.getInt32(o, little);
      case 'uint32': return view.getUint32(o, little);
      case 'float32': return view.getFloat32(o, little);
      case 'float64': return view.getFloat64(o, little);
    }
  };
  const next: NextValue = (property, list) => read(list === 'count' ? property.countType! : property.type);
  for (const element of header.elements) {
    current = { element: element.name, row: 0, count: element.count };
    // Rows without lists have a fixed size: a count the file cannot hold fails before allocating.
    if (element.properties.every((p) => !p.countType)) {
      const size = element.properties.reduce((s, p) => s + SIZE[p.type], 0);
      if (offset + size * element.count > buf.length) {
        current.row = Math.floor((buf.length - offset) / Math.max(size, 1));
        throw truncated();
      }
    } else if (offset + element.count > buf.length) {
      // Every row holds at least one byte (a list count).
      current.row = buf.length - offset;
      throw truncated();
    }
    for (let i = 0; i < element.count; i++) {
      current.row = i;
      sink.row(element, i, next);
    }
  }
}

function readAscii(buf: Buffer, header: Header, sink: Sink, fail: Fail): void {
  const text = buf.subarray(header.dataStart).toString('latin1');
  const headerLines = buf.subarray(0, header.dataStart).toString('latin1').split(/\r\n|\n|\r/).length - 1;
  const lines = text.split(/\r\n|\n|\r/);
  let li = 0;
  let tok: string[] = [];
  let ti = 0;
  let lineNo = 0;
  const next: NextValue = (property, list) => {
    if (ti >= tok.length) throw fail(`line ${lineNo}: too few values for element row (property "${property.name}" is missing)`);
    const s = tok[ti++];
    const x = Number(s);
    const type = list === 'count' ? property.countType! : property.type;
    if (!Number.isFinite(x) || (type !== 'float32' && type !== 'float64' && !Number.isInteger(x))) {
      throw fail(`line ${lineNo}: ${JSON.stringify(s)} is not ${type.startsWith('float') ? 'a number' : 'an integer'} (property "${property.name}")`);
    }
    return x;
  };
  for (const element of header.elements) {
    for (let i = 0; i < element.count; i++) {
      // One row per line (blank lines are skipped).
      do {
        if (li >= lines.length) {
          throw fail(`truncated ASCII PLY: the header declares ${element.count} "${element.name}" rows, the file ends after ${i}`);
        }
        lineNo = headerLines + li + 1;
        tok = lines[li++].trim().split(/\s+/);
      } while (tok.length === 1 && tok[0] === '');
      ti = 0;
      sink.row(element, i, next);
      if (ti !== tok.length) throw fail(`line ${lineNo}: ${tok.length} values, but a "${element.name}" row has ${ti}`);
    }
  }
}

/** Names under which writers store vertex colours, and per-vertex texture coordinates. */
const COLOR_NAMES = [['red', 'green', 'blue'], ['r', 'g', 'b'], ['diffuse_red', 'diffuse_green', 'diffuse_blue']];
const UV_NAMES = [['u', 'v'], ['s', 't'], ['texture_u', 'texture_v'], ['texture_s', 'texture_t']];
const FACE_INDEX_NAMES = ['vertex_indices', 'vertex_index'];

/**
 * Decodes a PLY file. The `vertex` element needs x, y and z; the `face` element a list
 * `vertex_indices` (or `vertex_index`) of 3 or more indices per face, fan-triangulated in the
 * written (counter-clockwise) order. Normals nx ny nz are used when present; colours red green
 * blue (integer types scaled by their maximum, floats taken as written) give `meanColor`.
 * Per-vertex texture coordinates (u v, s t, texture_u texture_v, texture_s texture_t; bottom-up v
 * as MeshLab and BOP write them) become the mesh's `uvs`. Per-corner face `texcoord` lists and
 * other elements are read past. Every problem is `fail(...)`.
 */
export function parsePly(buf: Buffer, fail: Fail): PlyData {
  const header = parseHeader(buf, fail);
  const warnings: string[] = [];
  const vertexElement = header.elements.find((e) => e.name === 'vertex');
  if (!vertexElement) throw fail('the PLY file has no "vertex" element');
  const props = vertexElement.properties;
  const find = (name: string) => props.findIndex((p) => p.name === name && !p.countType);
  const xyz = ['x', 'y', 'z'].map(find);
  if (xyz.some((i) => i < 0)) throw fail('the "vertex" element needs the properties x, y and z');
  const nxyz = ['nx', 'ny', 'nz'].map(find);
  const hasNormals = nxyz.every((i) => i >= 0);
  const rgb = COLOR_NAMES.map((names) => names.map(find)).find((idx) => idx.every((i) => i >= 0));
  const colorScale = rgb?.map((i) => 1 / (INTEGER_MAX[props[i].type] ?? 1));
  const uv = UV_NAMES.map((names) => names.map(find)).find((idx) => idx.every((i) => i >= 0));

  const faceElement = header.elements.find((e) => e.name === 'face');
  const indexProperty = faceElement?.properties.find((p) => FACE_INDEX_NAMES.includes(p.name) && p.countType);
  if (faceElement && faceElement.count > 0 && !indexProperty) {
    throw fail('the "face" element has no vertex_indices (or vertex_index) list property');
  }
  if (indexProperty && (indexProperty.type === 'float32' || indexProperty.type === 'float64')) {
    throw fail(`the face list "${indexProperty.name}" must have an integer type, not ${indexProperty.type === 'float32' ? 'float' : 'double'}`);
  }

  const n = vertexElement.count;
  const positions = new Float32Array(3 * n);
  const normals = new Float32Array(3 * n);
  const colors = rgb ? new Float32Array(3 * n) : undefined;
  const uvs = uv ? new Float32Array(2 * n) : undefined;
  const indices: number[] = [];
  let shortFaces = 0;
  const row = new Float64Array(props.length);
  const face: number[] = [];

  const sink: Sink = {
    row(element, index, next) {
      if (element === vertexElement) {
        props.forEach((p, k) => {
          if (p.countType) {
            const count = next(p, 'count');
            for (let c = 0; c < count; c++) next(p, 'item');
            row[k] = 0;
          } else {
            row[k] = next(p, 'scalar');
          }
        });
        for (let k = 0; k < 3; k++) positions[3 * index + k] = row[xyz[k]];
        if (hasNormals) for (let k = 0; k < 3; k++) normals[3 * index + k] = row[nxyz[k]];
        if (colors && rgb && colorScale) for (let k = 0; k < 3; k++) colors[3 * index + k] = row[rgb[k]] * colorScale[k];
        if (uvs && uv) { uvs[2 * index] = row[uv[0]]; uvs[2 * index + 1] = row[uv[1]]; }
        return;
      }
      for (const p of element.properties) {
        if (!p.countType) {
          next(p, 'scalar');
          continue;
        }
        const count = next(p, 'count');
        if (count < 0) throw fail(`"${element.name}" row ${index}: list "${p.name}" has a negative length ${count}`);
        if (element !== faceElement || p !== indexProperty) {
          for (let c = 0; c < count; c++) next(p, 'item');
          continue;
        }
        face.length = 0;
        for (let c = 0; c < count; c++) {
          const v = next(p, 'item');
          if (!(v >= 0 && v < n)) throw fail(`face ${index}: vertex index ${v} is out of range (the file has ${n} vertices)`);
          face.push(v);
        }
        if (count < 3) {
          shortFaces++;
          continue;
        }
        // Fan triangulation keeps the polygon's (counter-clockwise) orientation.
        for (let c = 1; c + 1 < count; c++) indices.push(face[0], face[c], face[c + 1]);
      }
    },
  };
  if (header.format === 'ascii') readAscii(buf, header, sink, fail);
  else readBinary(buf, header, sink, fail);

  if (shortFaces > 0) warnings.push(`${shortFaces} face(s) with fewer than 3 vertices skipped`);
  const mesh: TriMesh = { positions, normals, indices: new Uint32Array(indices) };
  if (uvs) mesh.uvs = uvs;
  const data: PlyData = { mesh, warnings };
  if (colors) data.meanColor = meanColor(mesh, colors);
  if (header.textureFile !== undefined && header.textureFile !== '') data.textureFile = header.textureFile;
  return data;
}

/** Area-weighted mean of the corner colours over all triangles (the vertex mean if they have no area). */
function meanColor(mesh: TriMesh, colors: Float32Array): Vec3 {
  const p = mesh.positions;
  const sum: Vec3 = [0, 0, 0];
  let total = 0;
  const idx = mesh.indices;
  for (let t = 0; t < idx.length; t += 3) {
    const a = 3 * idx[t], b = 3 * idx[t + 1], c = 3 * idx[t + 2];
    const ux = p[b] - p[a], uy = p[b + 1] - p[a + 1], uz = p[b + 2] - p[a + 2];
    const vx = p[c] - p[a], vy = p[c + 1] - p[a + 1], vz = p[c + 2] - p[a + 2];
    const area = Math.hypot(uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx);
    if (!(area > 0) || !Number.isFinite(area)) continue;
    total += area;
    for (let k = 0; k < 3; k++) sum[k] += (area * (colors[a + k] + colors[b + k] + colors[c + k])) / 3;
  }
  if (total > 0) return [sum[0] / total, sum[1] / total, sum[2] / total];
  const n = colors.length / 3;
  const mean: Vec3 = [0, 0, 0];
  for (let v = 0; v < n; v++) for (let k = 0; k < 3; k++) mean[k] += colors[3 * v + k] / Math.max(n, 1);
  return mean;
}
