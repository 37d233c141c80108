// Independent PLY reader for the end-to-end tests.
// It implements the PLY format from its specification (as used by BOP: bop_toolkit_lib/inout.py load_ply)
// and deliberately imports NOTHING from src/: it must be able to disagree with the product's writer.
//
// Supports `ascii`, `binary_little_endian` and `binary_big_endian`, any scalar property types, list
// properties, and elements other than vertex/face (which are parsed and skipped). Polygons with more
// than three corners are fan-triangulated.

export interface PlyProperty {
  name: string;
  type: string;
  /** For list properties: the type of the count. */
  countType?: string;
}

export interface PlyElement {
  name: string;
  count: number;
  properties: PlyProperty[];
}

export interface PlyMesh {
  format: 'ascii' | 'binary_little_endian' | 'binary_big_endian';
  comments: string[];
  elements: PlyElement[];
  /** x, y, z of every vertex, in the file's units (BOP: millimetres). */
  vertices: Float64Array;
  /** Triangles: three vertex indices each. */
  faces: Uint32Array;
  /** Any other per-vertex scalar properties (nx, ny, nz, red, ...), by name. */
  vertexProps: Record<string, Float64Array>;
}

const SIZES: Record<string, number> = {
  char: 1, int8: 1, uchar: 1, uint8: 1,
  short: 2, int16: 2, ushort: 2, uint16: 2,
  int: 4, int32: 4, uint: 4, uint32: 4,
  float: 4, float32: 4, double: 8, float64: 8,
};

function readScalar(view: DataView, offset: number, type: string, le: boolean): number {
  switch (type) {
    case 'char': case 'int8': return view.getInt8(offset);
    case 'uchar': case 'uint8': return view.getUint8(offset);
    case 'short': case 'int16': return view.getInt16(offset, le);
    case 'ushort': case 'uint16': return view.getUint16(offset, le);
    case 'int': case 'int32': return view.getInt32(offset, le);
    case 'uint': case 'uint32': return view.getUint32(offset, le);
    case 'float': case 'float32': return view.getFloat32(offset, le);
    case 'double': case 'float64': return view.getFloat64(offset, le);
    default: throw new Error(`PLY: unknown property type '${type}'`);
  }
}

export function parsePly(buf: Buffer): PlyMesh {
  // --- header (always ASCII, ends with "end_header\n")
  const marker = buf.indexOf('end_header');
  if (buf.subarray(0, 4).toString('latin1') !== 'ply\n' && buf.subarray(0, 5).toString('latin1') !== 'ply\r\n') {
    throw new Error('PLY: missing "ply" magic');
  }
  if (marker < 0) throw new Error('PLY: no end_header');
  let bodyStart = buf.indexOf('\n', marker);
  if (bodyStart < 0) throw new Error('PLY: truncated header');
  bodyStart += 1;
  const lines = buf.subarray(0, bodyStart).toString('latin1').split(/\r?\n/).map((l) => l.trim()).filter((l) => l);

  let format: PlyMesh['format'] | undefined;
  const comments: string[] = [];
  const elements: PlyElement[] = [];
  for (const line of lines.slice(1)) {
    const w = line.split(/\s+/);
    if (w[0] === 'format') {
      if (w[1] !== 'ascii' && w[1] !== 'binary_little_endian' && w[1] !== 'binary_big_endian') throw new Error(`PLY: bad format ${w[1]}`);
      format = w[1];
    } else if (w[0] === 'comment' || w[0] === 'obj_info') {
      comments.push(line.slice(w[0].length).trim());
    } else if (w[0] === 'element') {
      elements.push({ name: w[1], count: Number(w[2]), properties: [] });
    } else if (w[0] === 'property') {
      const el = elements[elements.length - 1];
      if (!el) throw new Error('PLY: property before element');
      if (w[1] === 'list') el.properties.push({ name: w[4], type: w[3], countType: w[2] });
      else el.properties.push({ name: w[2], type: w[1] });
    } else if (w[0] === 'end_header') {
      break;
    } else {
      throw new Error(`PLY: unexpected header line '${line}'`);
    }
  }
  if (!format) throw new Error('PLY: no format line');
  for (const el of elements) {
    if (!Number.isInteger(el.count) || el.count < 0) throw new Error(`PLY: bad count for element ${el.name}`);
    for (const p of el.properties) {
      if (!(p.type in SIZES) || (p.countType !== undefined && !(p.countType in SIZES))) throw new Error(`PLY: bad type in ${el.name}.${p.name}`);
    }
  }

  // --- body: one generic record reader for ascii and binary
  let nextRecord: (props: PlyProperty[]) => (number | number[])[];
  let atEnd: () => boolean;
  if (format === 'ascii') {
    const tokens = buf.subarray(bodyStart).toString('latin1').split(/\s+/).filter((t) => t);
    let t = 0;
    const take = (): number => {
      if (t >= tokens.length) throw new Error('PLY: truncated ascii body');
      return Number(tokens[t++]);
    };
    nextRecord = (props) => props.map((p) => {
      if (p.countType === undefined) return take();
      const n = take();
      return Array.from({ length: n }, take);
    });
    atEnd = () => t === tokens.length;
  } else {
    const le = format === 'binary_little_endian';
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let off = bodyStart;
    const take = (type: string): number => {
      if (off + SIZES[type] > buf.length) throw new Error('PLY: truncated binary body');
      const v = readScalar(view, off, type, le);
      off += SIZES[type];
      return v;
    };
    nextRecord = (props) => props.map((p) => {
      if (p.countType === undefined) return take(p.type);
      const n = take(p.countType);
      return Array.from({ length: n }, () => take(p.type));
    });
    atEnd = () => off === buf.length;
  }

  let vertices = new Float64Array(0);
  const vertexProps: Record<string, Float64Array> = {};
  const faces: number[] = [];
  for (const el of elements) {
    if (el.name === 'vertex') {
      const names = el.properties.map((p) => p.name);
      for (const axis of ['x', 'y', 'z']) if (!names.includes(axis)) throw new Error(`PLY: vertex has no ${axis}`);
      vertices = new Float64Array(el.count * 3);
      for (const p of el.properties) if (p.countType === undefined && !'xyz'.includes(p.name)) vertexProps[p.name] = new Float64Array(el.count);
      for (let i = 0; i < el.count; i++) {
        const rec = nextRecord(el.properties);
        el.properties.forEach((p, k) => {
          const v = rec[k];
          if (typeof v !== 'number') return;
          if (p.name === 'x') vertices[3 * i] = v;
          else if (p.name === 'y') vertices[3 * i + 1] = v;
          else if (p.name === 'z') vertices[3 * i + 2] = v;
          else vertexProps[p.name][i] = v;
        });
      }
    } else if (el.name === 'face') {
      const k = el.properties.findIndex((p) => p.name === 'vertex_indices' || p.name === 'vertex_index');
      if (k < 0 || el.properties[k].countType === undefined) throw new Error('PLY: face has no vertex_indices list');
      for (let i = 0; i < el.count; i++) {
        const idx = nextRecord(el.properties)[k] as number[];
        if (idx.length < 3) throw new Error(`PLY: face ${i} has ${idx.length} corners`);
        for (let c = 1; c + 1 < idx.length; c++) faces.push(idx[0], idx[c], idx[c + 1]);
      }
    } else {
      for (let i = 0; i < el.count; i++) nextRecord(el.properties);
    }
  }
  if (!atEnd()) throw new Error('PLY: trailing data after the last element');
  const nv = vertices.length / 3;
  for (const f of faces) if (!Number.isInteger(f) || f < 0 || f >= nv) throw new Error(`PLY: face index ${f} out of range (${nv} vertices)`);
  return { format, comments, elements, vertices, faces: Uint32Array.from(faces), vertexProps };
}
