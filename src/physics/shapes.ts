/**
 * Collision shapes (plain data) → cannon-es shapes plus mass properties.
 *
 * Body frame convention: the cannon body frame has the same axes as the model frame; its origin is
 * the centre of mass, which sits at `com` in model coordinates (zero for box, cylinder and sphere,
 * the hull's volume centroid for convex shapes, the volume-weighted centroid of the hulls for
 * compound shapes). So, for a model pose (R, t):
 *   body.quaternion = quat(R),  body.position = t + R * com.
 * A body gets its shapes with attachShapes (one cannon shape, or one per compound piece).
 */
import { ConvexPolyhedron, Box, Cylinder, Quaternion, Sphere, Vec3 as CVec3, type Body, type Shape } from 'cannon-es';
import quickhull from 'quickhull3d/dist/quickhull3d.js';
import type { Vec3 } from '../geometry/types.js';

export type CollisionShape =
  | { type: 'box'; size: Vec3 } // full extents along model x,y,z, centred on the model origin
  | { type: 'cylinder'; radius: number; height: number } // axis = model Z, centred on the origin
  | { type: 'sphere'; radius: number }
  // model-frame xyz points; their convex hull is used (collision hull reduced to MAX_HULL_VERTICES;
  // hulls are cached per array, so do not mutate a points array after passing it)
  | { type: 'convex'; points: Float32Array }
  // the union of the convex hulls of each of `parts` (model-frame xyz points each, e.g. the hulls
  // of a V-HACD decomposition), one cannon shape per part; `points` holds all of them (bounding
  // radius). Make it with compoundShape; do not mutate the arrays afterwards (cached as for convex).
  | { type: 'compound'; parts: Float32Array[]; points: Float32Array };

/**
 * The compound shape of convex `parts` (each reduced to MAX_HULL_VERTICES for collisions, as a
 * convex shape is); one part gives a plain convex shape.
 */
export function compoundShape(parts: Float32Array[]): CollisionShape {
  if (parts.length === 0) throw new Error('invalid compound shape: no parts');
  if (parts.length === 1) return { type: 'convex', points: parts[0] };
  const points = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    points.set(p, o);
    o += p.length;
  }
  return { type: 'compound', parts, points };
}

/** Number of sides of the prism that approximates a cylinder. */
export const CYLINDER_SEGMENTS = 16;

/** One cannon shape of a body and where it sits in the body frame. */
export interface PlacedCannonShape {
  shape: Shape;
  /** Position of the shape's origin in the body frame (zero unless the body has several shapes). */
  offset: CVec3;
  /** Orientation of the shape in the body frame (identity unless the engine's shape axes differ). */
  orientation: Quaternion;
}

export interface CannonShapeModel {
  /** The body's shapes: one, or one per piece of a compound shape. Add them with attachShapes. */
  shapes: PlacedCannonShape[];
  /** Centre of mass (= body origin) in model coordinates. */
  com: Vec3;
  /** Diagonal inertia about the centre of mass along the model axes, kg·m². */
  inertia: Vec3;
}

function positive(x: number, what: string): number {
  if (!(Number.isFinite(x) && x > 0)) throw new Error(`invalid collision shape: ${what} must be > 0 (got ${x})`);
  return x;
}

/** Build the cannon shape and the mass properties of a body of the given mass. */
export function buildShape(cs: CollisionShape, mass: number): CannonShapeModel {
  switch (cs.type) {
    case 'box': {
      const [sx, sy, sz] = cs.size.map((v, i) => positive(v, `box size[${i}]`));
      const shape = new Box(new CVec3(sx / 2, sy / 2, sz / 2));
      pruneSatAxes(shape.convexPolyhedronRepresentation);
      return {
        shapes: [single(shape)],
        com: [0, 0, 0],
        inertia: [(mass / 12) * (sy * sy + sz * sz), (mass / 12) * (sx * sx + sz * sz), (mass / 12) * (sx * sx + sy * sy)],
      };
    }
    case 'sphere': {
      const r = positive(cs.radius, 'sphere radius');
      const i = 0.4 * mass * r * r;
      return { shapes: [single(new Sphere(r))], com: [0, 0, 0], inertia: [i, i, i] };
    }
    case 'cylinder': {
      const r = positive(cs.radius, 'cylinder radius');
      const h = positive(cs.height, 'cylinder height');
      // cannon-es builds its Cylinder along the shape's local Y axis; a +90° turn about X maps
      // local +Y onto body +Z, so the body frame equals the model frame (axis = Z).
      const orientation = new Quaternion();
      orientation.setFromAxisAngle(new CVec3(1, 0, 0), Math.PI / 2);
      const ixy = (mass / 12) * (3 * r * r + h * h);
      const shape = new Cylinder(r, r, h, CYLINDER_SEGMENTS);
      pruneSatAxes(shape);
      return {
        shapes: [single(shape, orientation)],
        com: [0, 0, 0],
        inertia: [ixy, ixy, 0.5 * mass * r * r],
      };
    }
    case 'convex':
      return buildConvex(cs.points, mass);
    case 'compound':
      return buildCompound(cs.parts, mass);
    default: {
      const never: never = cs;
      throw new Error(`unknown collision shape ${JSON.stringify(never)}`);
    }
  }
}

function single(shape: Shape, orientation = new Quaternion()): PlacedCannonShape {
  return { shape, offset: new CVec3(0, 0, 0), orientation };
}

/** Adds the model's shapes to a body whose origin is the model's centre of mass (see above). */
export function attachShapes(body: Body, model: CannonShapeModel): void {
  for (const s of model.shapes) body.addShape(s.shape, s.offset, s.orientation);
}

interface HullData {
  /** Hull vertices relative to the centroid. */
  vertices: Vec3[];
  /** Polygon faces (CCW seen from outside), indices into `vertices`. */
  faces: number[][];
  /** Outward unit face normals. */
  normals: Vec3[];
  centroid: Vec3;
  volume: number;
  /** Second moment of volume about the centroid, ∫ x xᵀ dV, row-major. */
  secondMoment: number[];
}

/** Convex hull of model-frame points (xyz triples) with its volume properties (uniform density). */
export function convexHull(points: Float32Array): HullData {
  if (points.length % 3 !== 0 || points.length < 12) {
    throw new Error(`invalid convex shape: need ≥ 4 xyz points, got ${points.length} numbers`);
  }
  const pts: Vec3[] = [];
  for (let i = 0; i < points.length; i += 3) {
    const p: Vec3 = [points[i], points[i + 1], points[i + 2]];
    if (!p.every(Number.isFinite)) throw new Error(`invalid convex shape: non-finite point ${i / 3}`);
    pts.push(p);
  }
  return hullOf(pts);
}

function hullOf(pts: Vec3[]): HullData {
  const rawFaces = quickhull(pts, { skipTriangulation: true });

  // Keep only hull vertices, numbered in order of first use (deterministic).
  const remap = new Map<number, number>();
  const used: Vec3[] = [];
  const faces = rawFaces.map((f) =>
    f.map((idx) => {
      let k = remap.get(idx);
      if (k === undefined) {
        k = used.length;
        remap.set(idx, k);
        used.push(pts[idx]);
      }
      return k;
    }),
  );

  // Volume, centroid and second moment by summing tetrahedra (ref, a, b, c) over a fan
  // triangulation of every face; ref = mean of the hull vertices (inside the hull).
  const ref: Vec3 = [0, 0, 0];
  for (const v of used) for (let k = 0; k < 3; k++) ref[k] += v[k] / used.length;
  let volume = 0;
  const c: Vec3 = [0, 0, 0];
  const S = [0, 0, 0, 0, 0, 0, 0, 0, 0]; // ∫ y yᵀ dV with y = x - ref
  for (const f of faces) {
    const a = sub(used[f[0]], ref);
    for (let k = 1; k + 1 < f.length; k++) {
      const b = sub(used[f[k]], ref);
      const d = sub(used[f[k + 1]], ref);
      const det = dot(a, cross(b, d)); // 6 × signed tetra volume
      volume += det / 6;
      for (let m = 0; m < 3; m++) c[m] += (det / 24) * (a[m] + b[m] + d[m]);
      // ∫ over the tetra (0, a, b, d) of y yᵀ = det/120 · (Σ_i v_i v_iᵀ + (Σ v_i)(Σ v_i)ᵀ)
      const s: Vec3 = [a[0] + b[0] + d[0], a[1] + b[1] + d[1], a[2] + b[2] + d[2]];
      for (let r = 0; r < 3; r++) {
        for (let q = 0; q < 3; q++) {
          S[3 * r + q] += (det / 120) * (a[r] * a[q] + b[r] * b[q] + d[r] * d[q] + s[r] * s[q]);
        }
      }
    }
  }
  let ext = 0;
  for (const v of used) ext = Math.max(ext, Math.hypot(v[0] - ref[0], v[1] - ref[1], v[2] - ref[2]));
  if (!(volume > 1e-9 * ext * ext * ext) || faces.length < 4) {
    throw new Error('invalid convex shape: points are (nearly) coplanar, the hull has no volume');
  }
  const cr: Vec3 = [c[0] / volume, c[1] / volume, c[2] / volume]; // centroid relative to ref
  const centroid: Vec3 = [ref[0] + cr[0], ref[1] + cr[1], ref[2] + cr[2]];
  const secondMoment = S.map((v, idx) => v - volume * cr[Math.floor(idx / 3)] * cr[idx % 3]);

  const vertices = used.map((v) => sub(v, centroid));
  const normals = faces.map((f) => {
    // Newell's method: robust for (slightly non-planar) polygons.
    const n: Vec3 = [0, 0, 0];
    for (let k = 0; k < f.length; k++) {
      const p = vertices[f[k]];
      const q = vertices[f[(k + 1) % f.length]];
      n[0] += (p[1] - q[1]) * (p[2] + q[2]);
      n[1] += (p[2] - q[2]) * (p[0] + q[0]);
      n[2] += (p[0] - q[0]) * (p[1] + q[1]);
    }
    const len = Math.hypot(n[0], n[1], n[2]);
    return [n[0] / len, n[1] / len, n[2] / len] as Vec3;
  });
  return { vertices, faces, normals, centroid, volume, secondMoment };
}

/**
 * Keep the first of every set of parallel or anti-parallel directions. cannon-es's SAT
 * (findSeparatingAxis) tests every face axis and every cross product of edge directions, and
 * orients the winning axis itself, so ±d are the same test: dropping the repeats gives the same
 * contacts (ties still go to the first) with ~4× fewer edge pairs.
 */
export function uniqueDirections(dirs: CVec3[]): CVec3[] {
  const out: CVec3[] = [];
  for (const d of dirs) {
    const len = d.length();
    if (!(len > 0)) continue;
    if (!out.some((o) => Math.abs(o.dot(d)) > len * o.length() * (1 - 1e-9))) out.push(d);
  }
  return out;
}

/** Reduce a cannon convex polyhedron's SAT axes and edge directions to unique ± directions. */
export function pruneSatAxes(shape: ConvexPolyhedron): void {
  shape.uniqueAxes = uniqueDirections(shape.uniqueAxes ?? shape.faceNormals);
  shape.uniqueEdges = uniqueDirections(shape.uniqueEdges);
}

/**
 * At most this many vertices in a convex collision hull; larger hulls are reduced (simplifyHull).
 * cannon-es's convex/convex test (SAT over all pairs of edge directions) costs about
 * E_A·E_B·(V_A+V_B), i.e. ~V³ per touching pair and step. Measured, 10 convex bodies vs 10
 * boxes/cylinders/spheres (12.5 ms): 1.2× the time with 12 hull vertices, 1.8× with 16, 3.6× with
 * 20, 7.5× with 24. Primitives are cheap (a box has 3 edge directions, a 16-sided cylinder 9).
 */
export const MAX_HULL_VERTICES = 16;

/**
 * Choose `max` of the hull vertices: the extreme points along ±x, ±y, ±z first (keeps the bounding
 * box, so a flat base stays at the same height), then farthest-point sampling. Deterministic
 * (ties → lowest index). The hull of the subset is an inner approximation of the original.
 */
export function simplifyHull(vertices: Vec3[], max: number): Vec3[] {
  if (vertices.length <= max) return vertices;
  const chosen: number[] = [];
  for (let axis = 0; axis < 3; axis++) {
    let lo = 0;
    let hi = 0;
    vertices.forEach((v, i) => {
      if (v[axis] < vertices[lo][axis]) lo = i;
      if (v[axis] > vertices[hi][axis]) hi = i;
    });
    for (const i of [lo, hi]) if (!chosen.includes(i) && chosen.length < max) chosen.push(i);
  }
  const dist = vertices.map((v) => Math.min(...chosen.map((c) => dist2(v, vertices[c]))));
  while (chosen.length < max) {
    let best = 0;
    for (let i = 1; i < vertices.length; i++) if (dist[i] > dist[best]) best = i;
    if (!(dist[best] > 0)) break;
    chosen.push(best);
    vertices.forEach((v, i) => (dist[i] = Math.min(dist[i], dist2(v, vertices[best]))));
  }
  return chosen.sort((a, b) => a - b).map((i) => vertices[i]);
}

function dist2(a: Vec3, b: Vec3): number {
  return (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2 + (a[2] - b[2]) ** 2;
}

/** Collision geometry and mass properties per unit mass of a convex shape. */
interface ConvexGeometry {
  vertices: Vec3[]; // relative to the centre of mass
  faces: number[][];
  normals: Vec3[];
  com: Vec3;
  unitInertia: Vec3;
  /** Volume of the full hull and its second moment about `com` (compound shapes sum these). */
  volume: number;
  secondMoment: number[];
}

/**
 * Hulls by points array: a batch passes the same mesh arrays for every frame, and the hull of a
 * few thousand points costs milliseconds. Point arrays must not be mutated after first use.
 */
const convexCache = new WeakMap<Float32Array, ConvexGeometry>();

function convexGeometry(points: Float32Array): ConvexGeometry {
  const cached = convexCache.get(points);
  if (cached) return cached;
  // Mass properties from the full hull, collision geometry from a hull of at most MAX_HULL_VERTICES.
  const hull = convexHull(points);
  let collision = hull;
  if (hull.vertices.length > MAX_HULL_VERTICES) {
    const reduced = hullOf(simplifyHull(hull.vertices, MAX_HULL_VERTICES));
    const c = reduced.centroid; // reduced.vertices are relative to c, c is relative to hull.centroid
    collision = { ...reduced, vertices: reduced.vertices.map((v) => [v[0] + c[0], v[1] + c[1], v[2] + c[2]] as Vec3) };
  }
  // Inertia tensor I = tr(C)·Id − C per unit mass; cannon only takes a diagonal inertia, so the
  // products of inertia are dropped (exact when the model axes are principal axes).
  const C = hull.secondMoment;
  const tr = C[0] + C[4] + C[8];
  const geometry: ConvexGeometry = {
    vertices: collision.vertices,
    faces: collision.faces,
    normals: collision.normals,
    com: hull.centroid,
    unitInertia: [(tr - C[0]) / hull.volume, (tr - C[4]) / hull.volume, (tr - C[8]) / hull.volume],
    volume: hull.volume,
    secondMoment: C,
  };
  convexCache.set(points, geometry);
  return geometry;
}

function polyhedron(g: { vertices: Vec3[]; faces: number[][]; normals: Vec3[] }): ConvexPolyhedron {
  const shape = new ConvexPolyhedron({
    vertices: g.vertices.map((v) => new CVec3(v[0], v[1], v[2])),
    faces: g.faces.map((f) => f.slice()),
    normals: g.normals.map((n) => new CVec3(n[0], n[1], n[2])),
  });
  pruneSatAxes(shape);
  return shape;
}

function buildConvex(points: Float32Array, mass: number): CannonShapeModel {
  const g = convexGeometry(points);
  return {
    shapes: [single(polyhedron(g))],
    com: [g.com[0], g.com[1], g.com[2]],
    inertia: [mass * g.unitInertia[0], mass * g.unitInertia[1], mass * g.unitInertia[2]],
  };
}

/** A compound's pieces (each centred on its own hull centroid, placed at `offset` from the compound's com) and mass properties per unit mass. */
interface CompoundGeometry {
  pieces: { hull: ConvexGeometry; offset: Vec3 }[];
  com: Vec3;
  unitInertia: Vec3;
}

const compoundCache = new WeakMap<Float32Array[], CompoundGeometry>();

/**
 * Mass properties of a uniform-density union of convex hulls, summed over the hulls (overlaps,
 * small in a convex decomposition, count twice). A piece whose points span no volume (a stray
 * triangle) is left out; when every piece is flat, the hull of all points stands in.
 */
function compoundGeometry(parts: Float32Array[]): CompoundGeometry {
  const cached = compoundCache.get(parts);
  if (cached) return cached;
  const hulls: ConvexGeometry[] = [];
  for (const points of parts) {
    try {
      hulls.push(convexGeometry(points));
    } catch {
      // Coplanar or too few points: no volume, nothing to collide with.
    }
  }
  if (hulls.length === 0) {
    const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) { all.set(p, o); o += p.length; }
    hulls.push(convexGeometry(all));
  }
  let volume = 0;
  const com: Vec3 = [0, 0, 0];
  for (const hull of hulls) {
    volume += hull.volume;
    for (let k = 0; k < 3; k++) com[k] += hull.volume * hull.com[k];
  }
  for (let k = 0; k < 3; k++) com[k] /= volume;
  // Second moment about the compound's com: each hull's own plus the parallel-axis term.
  const C = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (const hull of hulls) {
    const d = sub(hull.com, com);
    for (let r = 0; r < 3; r++) for (let q = 0; q < 3; q++) C[3 * r + q] += hull.secondMoment[3 * r + q] + hull.volume * d[r] * d[q];
  }
  const tr = C[0] + C[4] + C[8];
  const geometry: CompoundGeometry = {
    pieces: hulls.map((g) => ({ hull: g, offset: sub(g.com, com) })),
    com,
    unitInertia: [(tr - C[0]) / volume, (tr - C[4]) / volume, (tr - C[8]) / volume],
  };
  compoundCache.set(parts, geometry);
  return geometry;
}

function buildCompound(parts: Float32Array[], mass: number): CannonShapeModel {
  const g = compoundGeometry(parts);
  return {
    shapes: g.pieces.map(({ hull, offset }) => ({ shape: polyhedron(hull), offset: new CVec3(offset[0], offset[1], offset[2]), orientation: new Quaternion() })),
    com: [g.com[0], g.com[1], g.com[2]],
    inertia: [mass * g.unitInertia[0], mass * g.unitInertia[1], mass * g.unitInertia[2]],
  };
}

function sub(a: Vec3, b: Vec3): Vec3 {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
}
function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}
