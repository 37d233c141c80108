/**
 * Collada (.dae) reader: the triangles of every geometry that the file's visual scene places,
 * with their node transforms, in metres and Z up (the file's <unit> and <up_axis> applied), and
 * the diffuse colour or texture of each material.
 *
 * Supported: <library_geometries> <mesh> with <source>/<float_array>/<accessor>, <vertices>,
 * <triangles>, <polylist> (with <vcount>), <polygons> (holes of <ph> ignored), <trifans> and
 * <tristrips> (fan/strip-triangulated, keeping Collada's counter-clockwise front faces);
 * inputs VERTEX (POSITION, and NORMAL if the vertices carry it), NORMAL and any others (their
 * offsets only count towards the shared index stride). <library_visual_scenes> node trees with
 * <matrix>, <translate>, <rotate>, <scale> and <lookat>, <instance_geometry>, <instance_node>;
 * materials through <bind_material>/<instance_material symbol target> → <material> →
 * <instance_effect> → <effect> <profile_COMMON> diffuse <color> or <texture> (→ <image>).
 * Lines, points, cameras, lights and skinned meshes (<instance_controller>) are not geometry here.
 *
 * The XML is parsed by saxes, which expands no DTD entities; DOCTYPE (and so ENTITY) declarations
 * are refused, and callers refuse files over MAX_COLLADA_BYTES unread.
 */
import { fileURLToPath } from 'node:url';
import { childrenNamed, parseXmlTree, type XmlElement } from '../xml.js';
import { transformMesh } from './mesh-ops.js';
import type { Mat3, TriMesh, Vec3 } from './types.js';

/** Largest Collada file read (bytes); the callers check the file size against it. */
export const MAX_COLLADA_BYTES = 64 * 1024 * 1024;

/**
 * Y-up to Z-up: (x, y, z) -> (x, -z, y), a +90 degree rotation about X (row-major, det +1, so
 * winding and normals are preserved). mesh-parts.ts uses the same matrix for `up: 'y'`.
 */
export const Y_UP_TO_Z_UP: Mat3 = [1, 0, 0, 0, 0, -1, 0, 1, 0];
/**
 * Collada X_UP (right = -Y, up = +X, in = +Z) to Z_UP (right = +X, up = +Z, in = -Y):
 * (x, y, z) -> (-y, -z, x), a proper rotation (det +1).
 */
export const X_UP_TO_Z_UP: Mat3 = [0, -1, 0, 0, 0, -1, 1, 0, 0];

export interface ColladaMaterial {
  /** The <material> id. */
  name: string;
  /** Diffuse (or, for <constant> shading, emission) RGB as written, alpha dropped. */
  color?: Vec3;
  /** Diffuse texture: the image's <init_from> as written, URI-decoded (usually relative to the file). */
  image?: string;
}

/** One placed geometry. */
export interface ColladaPiece {
  /** Metres, Z up, counter-clockwise front faces. Normals are zero where the file gives none. */
  mesh: TriMesh;
  /** Per triangle: its index in `materials`, or -1 when it has none. */
  material: Int32Array;
}

export interface ColladaScene {
  pieces: ColladaPiece[];
  materials: ColladaMaterial[];
  /** Things that were skipped (unsupported or dangling references); the file still loaded. */
  warnings: string[];
}

type Fail = (what: string) => Error;

/** Reads a Collada document (the file's text). Every problem is thrown as `fail(what)`. */
export function parseCollada(text: string, fail: Fail): ColladaScene {
  const root = parseXml(text, fail);
  if (root.name !== 'COLLADA') throw fail(`not a Collada file: the root element is <${root.name}>, not <COLLADA>`);
  return new ColladaReader(root, fail).read();
}

// ---------------------------------------------------------------------------------------------
// XML: src/xml.ts's safe parser with Collada's limits and wording.

function parseXml(text: string, fail: Fail): XmlElement {
  return parseXmlTree(text, MAX_COLLADA_BYTES, {
    tooLarge: () => fail(`the file is larger than ${MAX_COLLADA_BYTES / 2 ** 20} MB`),
    doctype: (line) => fail(`DOCTYPE declarations are not allowed (line ${line}): Collada needs none, and entity definitions are refused`),
    malformed: (message, line, column) => {
      const truncated = /unclosed tag|unexpected end/.test(message) ? ' (is the file truncated?)' : '';
      return fail(`malformed XML at line ${line}, column ${column}: ${message}${truncated}`);
    },
    noRoot: () => fail('malformed XML: the document has no root element'),
  });
}

const child = (e: XmlElement, name: string): XmlElement | undefined => e.children.find((c) => c.name === name);

// ---------------------------------------------------------------------------------------------
// Number lists, parsed by hand: these texts hold hundreds of thousands of numbers.

/** 10^0 .. 10^22, all exact doubles. */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

/**
 * Whitespace-separated decimal numbers. Short plain numbers (at most 15 significant digits,
 * decimal exponent within +-22) are assembled exactly and rounded once, which gives the same
 * double as Number(); anything else (and NaN, INF, -INF) goes through Number().
 */
function parseFloatList(s: string, capacity: number, fail: Fail, what: string): Float64Array {
  // A declared count is only a hint; there cannot be more numbers than half the characters.
  let out = new Float64Array(Math.max(16, Math.min(capacity, (s.length >> 1) + 1)));
  let n = 0;
  const len = s.length;
  let i = 0;
  for (;;) {
    let c = s.charCodeAt(i);
    while (c <= 32) c = s.charCodeAt(++i);
    if (i >= len) break;
    const start = i;
    let neg = false;
    if (c === 45) { neg = true; c = s.charCodeAt(++i); } else if (c === 43) c = s.charCodeAt(++i);
    let mant = 0, digits = 0, exp = 0;
    while (c >= 48 && c <= 57) { mant = mant * 10 + (c - 48); digits++; c = s.charCodeAt(++i); }
    if (c === 46) {
      c = s.charCodeAt(++i);
      while (c >= 48 && c <= 57) { mant = mant * 10 + (c - 48); digits++; exp--; c = s.charCodeAt(++i); }
    }
    let plain = digits > 0;
    if (plain && (c === 101 || c === 69)) {
      c = s.charCodeAt(++i);
      let eneg = false;
      if (c === 45) { eneg = true; c = s.charCodeAt(++i); } else if (c === 43) c = s.charCodeAt(++i);
      let e = 0, ed = 0;
      while (c >= 48 && c <= 57) { if (e < 1e6) e = e * 10 + (c - 48); ed++; c = s.charCodeAt(++i); }
      if (ed === 0) plain = false;
      exp += eneg ? -e : e;
    }
    let v: number;
    // After a number comes whitespace or the end (charCodeAt gives NaN there).
    if (plain && !(c > 32) && digits <= 15 && exp >= -22 && exp <= 22) {
      v = exp < 0 ? mant / POW10[-exp] : mant * POW10[exp];
      if (neg) v = -v;
    } else {
      while (i < len && s.charCodeAt(i) > 32) i++;
      const token = s.slice(start, i);
      v = token === 'INF' || token === '+INF' ? Infinity : token === '-INF' ? -Infinity : Number(token);
      if (Number.isNaN(v) && token !== 'NaN') throw fail(`${what}: ${JSON.stringify(token.slice(0, 40))} is not a number`);
    }
    if (n === out.length) {
      const grown = new Float64Array(2 * n);
      grown.set(out);
      out = grown;
    }
    out[n++] = v;
  }
  return out.length === n ? out : out.slice(0, n);
}

/** Whitespace-separated non-negative integers (index lists). */
function parseIndexList(s: string, fail: Fail, what: string): Uint32Array {
  let out = new Uint32Array(Math.max(16, s.length >> 1));
  let n = 0;
  const len = s.length;
  let i = 0;
  for (;;) {
    let c = s.charCodeAt(i);
    while (c <= 32) c = s.charCodeAt(++i);
    if (i >= len) break;
    const start = i;
    let v = 0;
    while (c >= 48 && c <= 57) { v = v * 10 + (c - 48); c = s.charCodeAt(++i); }
    if (i === start || c > 32 || v > 0xffffffff) {
      while (i < len && s.charCodeAt(i) > 32) i++;
      throw fail(`${what}: ${JSON.stringify(s.slice(start, i).slice(0, 40))} is not a valid index`);
    }
    if (n === out.length) {
      const grown = new Uint32Array(2 * n);
      grown.set(out);
      out = grown;
    }
    out[n++] = v;
  }
  return out.subarray(0, n);
}

// ---------------------------------------------------------------------------------------------
// 4x4 row-major matrices (Collada writes <matrix> row by row, for column vectors).

type Mat4 = Float64Array;

function identity4(): Mat4 {
  const m = new Float64Array(16);
  m[0] = m[5] = m[10] = m[15] = 1;
  return m;
}

function mul4(a: Mat4, b: Mat4): Mat4 {
  const m = new Float64Array(16);
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      m[4 * r + c] = a[4 * r] * b[c] + a[4 * r + 1] * b[4 + c] + a[4 * r + 2] * b[8 + c] + a[4 * r + 3] * b[12 + c];
    }
  }
  return m;
}

function fromMat3(R: Mat3, s = 1): Mat4 {
  const m = identity4();
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) m[4 * r + c] = s * R[3 * r + c];
  return m;
}

const normalize3 = (v: number[]): number[] => {
  const l = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / l, v[1] / l, v[2] / l];
};
const cross3 = (a: number[], b: number[]): number[] => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];

// ---------------------------------------------------------------------------------------------

/** An accessor's view of a float array: element i, component k is data[offset + i*stride + params[k]]. */
interface Source {
  id: string;
  data: Float64Array;
  count: number;
  stride: number;
  offset: number;
  /** Positions within the stride of the named <param>s (unnamed ones are skipped, as the spec says). */
  params: number[];
}

/** A geometry's <mesh> in file coordinates; triangles tagged with their primitive's material symbol. */
interface Geometry {
  id: string;
  mesh: TriMesh;
  symbols: string[];
  /** Per triangle: index in `symbols`, or -1 for a primitive without a material attribute. */
  triSymbol: Int32Array;
}

interface Input {
  semantic: string;
  source: string;
  offset: number;
}

/** Guards against scenes that instantiate nodes combinatorially (a small file, an endless scene). */
const MAX_NODE_VISITS = 100_000;
const MAX_TRIANGLES = 20_000_000;

const SURFACE_PRIMITIVES = new Set(['triangles', 'polylist', 'polygons', 'trifans', 'tristrips']);
const OTHER_PRIMITIVES = new Set(['lines', 'linestrips', 'points']);

class ColladaReader {
  private readonly byId = new Map<string, XmlElement>();
  private readonly sources = new Map<string, Source>();
  private readonly geometries = new Map<XmlElement, Geometry | null>();
  private readonly materialIndex = new Map<string, number>();
  private readonly materials: ColladaMaterial[] = [];
  private readonly warnings: string[] = [];
  private readonly pieces: ColladaPiece[] = [];
  private skippedControllers = 0;
  private placedAny = false;
  private visits = 0;
  private triangles = 0;

  constructor(private readonly root: XmlElement, private readonly fail: Fail) {
    const stack = [root];
    while (stack.length > 0) {
      const e = stack.pop()!;
      const id = e.attributes.id;
      if (id !== undefined && !this.byId.has(id)) this.byId.set(id, e);
      for (let i = e.children.length - 1; i >= 0; i--) stack.push(e.children[i]);
    }
  }

  read(): ColladaScene {
    const { root, fail } = this;
    const allGeometries = childrenNamed(root, 'library_geometries').flatMap((lib) => childrenNamed(lib, 'geometry'));
    if (!allGeometries.some((g) => child(g, 'mesh'))) {
      throw fail('it contains no geometry (no <mesh> in <library_geometries>)');
    }
    const rootMatrix = this.assetMatrix();

    const sceneRef = child(root, 'scene');
    const instance = sceneRef && child(sceneRef, 'instance_visual_scene');
    let visualScene: XmlElement | undefined;
    if (instance) {
      visualScene = this.resolve(instance, 'visual_scene');
      if (!visualScene) throw fail(`<instance_visual_scene url="${instance.attributes.url ?? ''}"> refers to no <visual_scene>`);
    } else {
      visualScene = childrenNamed(root, 'library_visual_scenes').flatMap((lib) => childrenNamed(lib, 'visual_scene'))[0];
    }

    if (visualScene) {
      for (const node of childrenNamed(visualScene, 'node')) this.walk(node, rootMatrix, []);
      if (!this.placedAny) {
        const why = this.skippedControllers > 0
          ? ` (${this.skippedControllers} <instance_controller> skipped: skinned meshes are not supported)`
          : '';
        throw fail(`its visual scene places no geometry${why}`);
      }
    } else {
      // No scene at all: every geometry once, untransformed.
      for (const g of allGeometries) {
        const geometry = this.geometry(g);
        if (geometry) this.place(geometry, rootMatrix, new Map());
      }
    }
    return { pieces: this.pieces, materials: this.materials, warnings: this.warnings };
  }

  /** <asset><unit meter> and <up_axis> (Collada's defaults: 1 metre, Y_UP). */
  private assetMatrix(): Mat4 {
    const asset = child(this.root, 'asset');
    let metres = 1;
    let up = 'Y_UP';
    if (asset) {
      const unit = child(asset, 'unit');
      if (unit?.attributes.meter !== undefined) {
        metres = Number(unit.attributes.meter);
        if (!(metres > 0 && Number.isFinite(metres))) {
          throw this.fail(`<unit meter="${unit.attributes.meter}"> is not a positive number`);
        }
      }
      const axis = child(asset, 'up_axis');
      if (axis) up = axis.text;
    }
    switch (up) {
      case 'Z_UP': return fromMat3([1, 0, 0, 0, 1, 0, 0, 0, 1], metres);
      case 'Y_UP': return fromMat3(Y_UP_TO_Z_UP, metres);
      case 'X_UP': return fromMat3(X_UP_TO_Z_UP, metres);
      default: throw this.fail(`unknown <up_axis> ${JSON.stringify(up)} (expected X_UP, Y_UP or Z_UP)`);
    }
  }

  /** The element a url="#id" (or source="#id") attribute names, if it is a `kind`. */
  private resolve(e: XmlElement, kind: string, attr = 'url'): XmlElement | undefined {
    const url = e.attributes[attr];
    if (url === undefined || !url.startsWith('#')) return undefined;
    const target = this.byId.get(url.slice(1));
    return target?.name === kind ? target : undefined;
  }

  private walk(node: XmlElement, parent: Mat4, path: XmlElement[]): void {
    if (path.includes(node)) throw this.fail(`<node id="${node.attributes.id ?? ''}"> instantiates itself (a cycle of <instance_node>)`);
    if (path.length > 256) throw this.fail('the node hierarchy is more than 256 levels deep');
    if (++this.visits > MAX_NODE_VISITS) throw this.fail(`its scene has more than ${MAX_NODE_VISITS} node instances`);
    const inner = [...path, node];
    const m = mul4(parent, this.localMatrix(node));
    for (const c of node.children) {
      switch (c.name) {
        case 'node':
          this.walk(c, m, inner);
          break;
        case 'instance_node': {
          const target = this.resolve(c, 'node');
          if (target) this.walk(target, m, inner);
          else this.warnings.push(`<instance_node url="${c.attributes.url ?? ''}"> refers to no <node> in the file; skipped`);
          break;
        }
        case 'instance_geometry': {
          const g = this.resolve(c, 'geometry');
          if (!g) {
            this.warnings.push(`<instance_geometry url="${c.attributes.url ?? ''}"> refers to no <geometry> in the file; skipped`);
            break;
          }
          this.placedAny = true;
          const geometry = this.geometry(g);
          if (geometry) this.place(geometry, m, this.bindings(c));
          break;
        }
        case 'instance_controller':
          this.skippedControllers++;
          this.warnings.push(`<instance_controller url="${c.attributes.url ?? ''}"> skipped: skinned meshes are not supported`);
          break;
        default:
          break;
      }
    }
  }

  /** The node's transform elements multiplied in document order. */
  private localMatrix(node: XmlElement): Mat4 {
    let m = identity4();
    for (const c of node.children) {
      const what = `<${c.name}> of node "${node.attributes.id ?? node.attributes.name ?? ''}"`;
      const nums = (count: number): Float64Array => {
        const v = parseFloatList(c.text, count, this.fail, what);
        if (v.length !== count || !v.every(Number.isFinite)) throw this.fail(`${what} needs ${count} finite numbers`);
        return v;
      };
      let t: Mat4 | undefined;
      switch (c.name) {
        case 'matrix':
          t = nums(16);
          break;
        case 'translate': {
          const [x, y, z] = nums(3);
          t = identity4();
          t[3] = x; t[7] = y; t[11] = z;
          break;
        }
        case 'scale': {
          const [x, y, z] = nums(3);
          t = identity4();
          t[0] = x; t[5] = y; t[10] = z;
          break;
        }
        case 'rotate': {
          const [ax, ay, az, deg] = nums(4);
          const l = Math.hypot(ax, ay, az);
          if (!(l > 0)) {
            if (deg % 360 === 0) break;
            throw this.fail(`${what} has a zero rotation axis`);
          }
          const x = ax / l, y = ay / l, z = az / l;
          const a = (deg * Math.PI) / 180, co = Math.cos(a), si = Math.sin(a), k = 1 - co;
          t = fromMat3([
            co + x * x * k, x * y * k - z * si, x * z * k + y * si,
            y * x * k + z * si, co + y * y * k, y * z * k - x * si,
            z * x * k - y * si, z * y * k + x * si, co + z * z * k,
          ]);
          break;
        }
        case 'lookat': {
          // Eye, interest, up: places the node at the eye with its -Z towards the interest point.
          const v = nums(9);
          const eye = [v[0], v[1], v[2]];
          const zAxis = normalize3([v[0] - v[3], v[1] - v[4], v[2] - v[5]]);
          const xAxis = normalize3(cross3([v[6], v[7], v[8]], zAxis));
          const yAxis = cross3(zAxis, xAxis);
          if (![...zAxis, ...xAxis].every(Number.isFinite)) throw this.fail(`${what} is degenerate`);
          t = fromMat3([xAxis[0], yAxis[0], zAxis[0], xAxis[1], yAxis[1], zAxis[1], xAxis[2], yAxis[2], zAxis[2]]);
          t[3] = eye[0]; t[7] = eye[1]; t[11] = eye[2];
          break;
        }
        case 'skew':
          throw this.fail(`${what}: <skew> transforms are not supported`);
        default:
          break;
      }
      if (t) m = mul4(m, t);
    }
    return m;
  }

  /** <bind_material> of an instance: material symbol -> <material> id. */
  private bindings(instance: XmlElement): Map<string, string> {
    const out = new Map<string, string>();
    const bind = child(instance, 'bind_material');
    const common = bind && child(bind, 'technique_common');
    for (const im of common ? childrenNamed(common, 'instance_material') : []) {
      const { symbol, target } = im.attributes;
      if (symbol !== undefined && target !== undefined) out.set(symbol, target.startsWith('#') ? target.slice(1) : target);
    }
    return out;
  }

  private place(geometry: Geometry, m: Mat4, bindings: Map<string, string>): void {
    if (geometry.triSymbol.length === 0) return;
    const R: Mat3 = [m[0], m[1], m[2], m[4], m[5], m[6], m[8], m[9], m[10]];
    const det = R[0] * (R[4] * R[8] - R[5] * R[7]) - R[1] * (R[3] * R[8] - R[5] * R[6]) + R[2] * (R[3] * R[7] - R[4] * R[6]);
    if (!(Math.abs(det) > 0) || !Number.isFinite(det) || ![m[3], m[7], m[11]].every(Number.isFinite)) {
      this.warnings.push(`geometry "${geometry.id}" is placed with a singular or non-finite transform; skipped`);
      return;
    }
    // A primitive's material symbol is bound by the instance; exporters that skip the binding
    // usually name the <material> id itself.
    const table = geometry.symbols.map((symbol) => {
      const id = bindings.get(symbol) ?? symbol;
      return this.material(id, bindings.has(symbol));
    });
    this.triangles += geometry.triSymbol.length;
    if (this.triangles > MAX_TRIANGLES) throw this.fail(`its scene places more than ${MAX_TRIANGLES} triangles`);
    const material = new Int32Array(geometry.triSymbol.length);
    for (let t = 0; t < material.length; t++) {
      const s = geometry.triSymbol[t];
      material[t] = s < 0 ? -1 : table[s];
    }
    this.pieces.push({ mesh: transformMesh(geometry.mesh, R, [m[3], m[7], m[11]]), material });
  }

  // -------------------------------------------------------------------------------------------
  // Materials

  private material(id: string, bound: boolean): number {
    const known = this.materialIndex.get(id);
    if (known !== undefined) return known;
    const el = this.byId.get(id);
    let index = -1;
    if (el?.name === 'material') {
      index = this.materials.length;
      this.materials.push({ name: id, ...this.effectOf(el) });
    } else if (bound) {
      this.warnings.push(`material "${id}" is not in the file; its triangles have no colour`);
    }
    this.materialIndex.set(id, index);
    return index;
  }

  private effectOf(material: XmlElement): { color?: Vec3; image?: string } {
    const ie = child(material, 'instance_effect');
    const effect = ie && this.resolve(ie, 'effect');
    if (!effect) return {};
    const profile = child(effect, 'profile_COMMON');
    const technique = profile && child(profile, 'technique');
    if (!technique) return {};
    for (const shading of technique.children) {
      const slot = child(shading, shading.name === 'constant' ? 'emission' : 'diffuse');
      if (!slot) continue;
      const color = child(slot, 'color');
      if (color) {
        const what = `<${slot.name}><color> of effect "${effect.attributes.id ?? ''}"`;
        const v = parseFloatList(color.text, 4, this.fail, what);
        if (v.length >= 3 && v.length <= 4 && [v[0], v[1], v[2]].every(Number.isFinite)) {
          return { color: [v[0], v[1], v[2]] };
        }
        this.warnings.push(`${what} is not 3 or 4 finite numbers; its triangles have no colour`);
        return {};
      }
      const texture = child(slot, 'texture');
      if (texture?.attributes.texture !== undefined) {
        const image = this.imageOf(effect, texture.attributes.texture);
        return image === undefined ? {} : { image };
      }
    }
    return {};
  }

  /** Follows <texture texture> through sampler and surface <newparam>s (1.4) or <instance_image> (1.5). */
  private imageOf(effect: XmlElement, ref: string): string | undefined {
    const newparams = new Map<string, XmlElement>();
    const collect = (e: XmlElement): void => {
      for (const c of e.children) {
        if (c.name === 'newparam' && c.attributes.sid !== undefined) newparams.set(c.attributes.sid, c);
        else if (c.name.startsWith('profile_') || c.name === 'technique') collect(c);
      }
    };
    collect(effect);
    let image: XmlElement | undefined;
    const sampler = newparams.get(ref);
    const sampler2D = sampler && child(sampler, 'sampler2D');
    if (sampler2D) {
      const instanceImage = child(sampler2D, 'instance_image');
      const surfaceRef = child(sampler2D, 'source')?.text;
      if (instanceImage) {
        image = this.resolve(instanceImage, 'image');
      } else if (surfaceRef !== undefined) {
        const surface = newparams.get(surfaceRef);
        const initFrom = surface && child(surface, 'surface') && child(child(surface, 'surface')!, 'init_from')?.text;
        if (initFrom) image = this.byId.get(initFrom);
      }
    } else {
      image = this.byId.get(ref); // some exporters name the <image> directly
    }
    if (image?.name !== 'image') return undefined;
    const initFrom = child(image, 'init_from');
    const raw = initFrom && (child(initFrom, 'ref')?.text ?? initFrom.text);
    if (!raw) return undefined;
    return decodeUri(raw);
  }

  // -------------------------------------------------------------------------------------------
  // Geometry

  private geometry(g: XmlElement): Geometry | null {
    let out = this.geometries.get(g);
    if (out === undefined) {
      out = this.readGeometry(g);
      this.geometries.set(g, out);
    }
    return out;
  }

  private source(ref: string, where: string, minParams: number): Source {
    const id = ref.startsWith('#') ? ref.slice(1) : ref;
    const cached = this.sources.get(id);
    if (cached) {
      if (cached.params.length < minParams) throw this.fail(`${where}: source "${id}" has fewer than ${minParams} components`);
      return cached;
    }
    const el = this.byId.get(id);
    if (el?.name !== 'source') throw this.fail(`${where} refers to no <source> "${id}"`);
    const what = `source "${id}"`;
    const common = child(el, 'technique_common');
    const accessor = common && child(common, 'accessor');
    if (!accessor) throw this.fail(`${what} has no <technique_common><accessor>`);
    const intAttr = (name: string, dflt?: number): number => {
      const s = accessor.attributes[name];
      if (s === undefined && dflt !== undefined) return dflt;
      const v = Number(s);
      if (s === undefined || !Number.isInteger(v) || v < 0) throw this.fail(`${what}: <accessor ${name}="${s ?? ''}"> is not a non-negative integer`);
      return v;
    };
    const count = intAttr('count');
    const stride = intAttr('stride', 1);
    const offset = intAttr('offset', 0);
    const arrayEl = (accessor.attributes.source?.startsWith('#') ? this.byId.get(accessor.attributes.source.slice(1)) : undefined)
      ?? child(el, 'float_array');
    if (arrayEl?.name !== 'float_array') throw this.fail(`${what}: its accessor reads no <float_array>`);
    const declared = Number(arrayEl.attributes.count);
    const data = parseFloatList(arrayEl.text, Number.isInteger(declared) && declared > 0 ? declared : 0, this.fail, `<float_array> of ${what}`);
    const params: number[] = [];
    const paramEls = childrenNamed(accessor, 'param');
    paramEls.forEach((p, k) => { if (p.attributes.name !== undefined && p.attributes.name !== '') params.push(k); });
    if (paramEls.length === 0) for (let k = 0; k < stride; k++) params.push(k);
    if (params.length > 0 && params[params.length - 1] >= stride) throw this.fail(`${what}: its accessor has more params than its stride ${stride}`);
    if (count > 0 && offset + (count - 1) * stride + (params[params.length - 1] ?? 0) >= data.length) {
      throw this.fail(`${what}: its accessor reads ${count} elements of stride ${stride} but the array has only ${data.length} numbers`);
    }
    const src: Source = { id, data, count, stride, offset, params };
    this.sources.set(id, src);
    if (params.length < minParams) throw this.fail(`${where}: source "${id}" has fewer than ${minParams} components`);
    return src;
  }

  private inputs(e: XmlElement, where: string, shared: boolean): Input[] {
    return childrenNamed(e, 'input').map((i) => {
      const semantic = i.attributes.semantic ?? '';
      const source = i.attributes.source ?? '';
      let offset = 0;
      if (shared) {
        offset = Number(i.attributes.offset ?? '0');
        if (!Number.isInteger(offset) || offset < 0 || offset > 64) throw this.fail(`${where}: <input semantic="${semantic}"> has a bad offset "${i.attributes.offset ?? ''}"`);
      }
      return { semantic, source, offset };
    });
  }

  private readGeometry(g: XmlElement): Geometry | null {
    const mesh = child(g, 'mesh');
    if (!mesh) return null; // <convex_mesh>, <spline>, <brep>: not triangle geometry
    const gid = g.attributes.id ?? g.attributes.name ?? '';
    const at = `geometry "${gid}"`;
    const vertices = child(mesh, 'vertices');
    if (!vertices) throw this.fail(`${at} has no <vertices>`);
    const vInputs = this.inputs(vertices, `<vertices> of ${at}`, false);
    const posInput = vInputs.find((i) => i.semantic === 'POSITION');
    if (!posInput) throw this.fail(`<vertices> of ${at} has no POSITION input`);
    const pos = this.source(posInput.source, `POSITION input of ${at}`, 3);
    const vNormalInput = vInputs.find((i) => i.semantic === 'NORMAL');
    const vNormal = vNormalInput && this.source(vNormalInput.source, `NORMAL input of ${at}`, 3);
    if (vNormal && vNormal.count < pos.count) throw this.fail(`${at}: its vertex NORMAL source has fewer elements than POSITION`);

    const P = pos.count;
    const outPos: number[] = [];
    const outNrm: number[] = [];
    const vNext: number[] = [];
    const vNrm: number[] = [];
    const heads = new Map<Source | null, Int32Array>();
    const tri: number[] = [];
    const triSymbol: number[] = [];
    const symbols: string[] = [];

    const pd = pos.data, po = pos.offset, ps = pos.stride, [px, py, pz] = pos.params;

    for (const prim of mesh.children) {
      if (!SURFACE_PRIMITIVES.has(prim.name)) {
        if (!OTHER_PRIMITIVES.has(prim.name) && !['source', 'vertices', 'extra'].includes(prim.name)) {
          this.warnings.push(`<${prim.name}> in ${at} is not supported; skipped`);
        }
        continue;
      }
      const where = `<${prim.name}> of ${at}`;
      const inputs = this.inputs(prim, where, true);
      const stride = inputs.reduce((s, i) => Math.max(s, i.offset + 1), 1);
      const vertex = inputs.find((i) => i.semantic === 'VERTEX');
      if (!vertex) throw this.fail(`${where} has no VERTEX input`);
      const nIn = inputs.find((i) => i.semantic === 'NORMAL');
      const nrm = nIn ? this.source(nIn.source, `NORMAL input of ${where}`, 3) : vNormal ?? null;
      const nOffset = nIn ? nIn.offset : vertex.offset;
      let head = heads.get(nrm);
      if (!head) {
        head = new Int32Array(P).fill(-1);
        heads.set(nrm, head);
      }
      const symbolName = prim.attributes.material;
      let symbol = -1;
      if (symbolName !== undefined) {
        symbol = symbols.indexOf(symbolName);
        if (symbol < 0) symbol = symbols.push(symbolName) - 1;
      }

      const vOffset = vertex.offset;
      const N = nrm ? nrm.count : 0;
      const nd = nrm?.data, no = nrm?.offset ?? 0, ns = nrm?.stride ?? 0;
      const [nx, ny, nz] = nrm?.params ?? [0, 0, 0];
      /** Output vertex of each corner of one <p>. */
      const corners = (p: XmlElement): Int32Array => {
        const idx = parseIndexList(p.text, this.fail, `<p> of ${where}`);
        if (idx.length % stride !== 0) {
          throw this.fail(`${where}: <p> has ${idx.length} indices, not a multiple of the ${stride} inputs per corner`);
        }
        const out = new Int32Array(idx.length / stride);
        for (let c = 0, k = 0; c < out.length; c++, k += stride) {
          const pi = idx[k + vOffset];
          if (pi >= P) throw this.fail(`${where}: vertex index ${pi} is out of range (source "${pos.id}" has ${P} elements)`);
          let ni = -1;
          if (nrm) {
            ni = idx[k + nOffset];
            if (ni >= N) throw this.fail(`${where}: normal index ${ni} is out of range (source "${nrm.id}" has ${N} elements)`);
          }
          let v = head[pi];
          while (v >= 0 && vNrm[v] !== ni) v = vNext[v];
          if (v < 0) {
            v = vNrm.length;
            const a = po + pi * ps;
            outPos.push(pd[a + px], pd[a + py], pd[a + pz]);
            if (nd) {
              const b = no + ni * ns;
              outNrm.push(nd[b + nx], nd[b + ny], nd[b + nz]);
            } else {
              outNrm.push(0, 0, 0);
            }
            vNrm.push(ni);
            vNext.push(head[pi]);
            head[pi] = v;
          }
          out[c] = v;
        }
        return out;
      };
      const fan = (cv: Int32Array, from: number, n: number): void => {
        for (let k = 1; k + 1 < n; k++) {
          tri.push(cv[from], cv[from + k], cv[from + k + 1]);
          triSymbol.push(symbol);
        }
      };

      switch (prim.name) {
        case 'triangles': {
          const p = child(prim, 'p');
          if (!p) break;
          const cv = corners(p);
          if (cv.length % 3 !== 0) throw this.fail(`${where}: <p> has ${cv.length} corners, not a multiple of 3`);
          for (let k = 0; k < cv.length; k++) tri.push(cv[k]);
          for (let t = 0; t < cv.length / 3; t++) triSymbol.push(symbol);
          break;
        }
        case 'polylist': {
          const p = child(prim, 'p');
          if (!p) break;
          const cv = corners(p);
          const vc = child(prim, 'vcount');
          const vcount = parseIndexList(vc?.text ?? '', this.fail, `<vcount> of ${where}`);
          let at2 = 0;
          for (const n of vcount) {
            if (at2 + n > cv.length) break;
            fan(cv, at2, n);
            at2 += n;
          }
          if (at2 !== cv.length || vcount.length === 0) {
            const sum = vcount.reduce((a, b) => a + b, 0);
            throw this.fail(`${where}: <vcount> adds up to ${sum} corners but <p> has ${cv.length}`);
          }
          break;
        }
        case 'polygons':
        case 'trifans':
          for (const c of prim.children) {
            const p = c.name === 'p' ? c : c.name === 'ph' ? child(c, 'p') : undefined; // <ph>: outer loop, holes ignored
            if (!p) continue;
            const cv = corners(p);
            fan(cv, 0, cv.length);
          }
          break;
        case 'tristrips':
          for (const p of childrenNamed(prim, 'p')) {
            const cv = corners(p);
            for (let k = 0; k + 2 < cv.length; k++) {
              if (k % 2 === 0) tri.push(cv[k], cv[k + 1], cv[k + 2]);
              else tri.push(cv[k + 1], cv[k], cv[k + 2]);
              triSymbol.push(symbol);
            }
          }
          break;
      }
    }
    return {
      id: gid,
      mesh: { positions: new Float32Array(outPos), normals: new Float32Array(outNrm), indices: new Uint32Array(tri) },
      symbols,
      triSymbol: new Int32Array(triSymbol),
    };
  }
}

/** An image reference: file: URLs become paths; %-escapes are decoded. */
function decodeUri(ref: string): string {
  if (/^file:/i.test(ref)) {
    try {
      return fileURLToPath(ref);
    } catch {
      return ref.replace(/^file:(\/\/)?/i, '');
    }
  }
  if (!ref.includes('%')) return ref;
  try {
    return decodeURIComponent(ref);
  } catch {
    return ref;
  }
}
