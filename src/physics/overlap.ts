/**
 * Static overlap tests between placed collision shapes (and the support plane z = 0), with
 * cannon-es's narrowphase and no simulation: used to reject robot configurations that hit
 * themselves or the table. Bodies are made dynamic only because cannon skips contact generation
 * between kinematic or static pairs.
 */
import { Body, Plane, World, type ContactEquation } from 'cannon-es';
import type { Pose } from '../geometry/types.js';
import { mulMat3Vec, mat3ToQuat } from '../geometry/transforms.js';
import { attachShapes, buildShape, type CollisionShape } from './shapes.js';

export interface PlacedShape {
  shape: CollisionShape;
  pose: Pose;
}

export interface Overlap {
  a: number;
  /** -1 is the support plane. */
  b: number;
  depth: number;
}

/** Build a cannon body whose model frame sits at `pose` (shapes.ts: body origin = centre of mass). */
export function placedBody(placed: PlacedShape, mass: number, type: typeof Body.DYNAMIC | typeof Body.STATIC): Body {
  const model = buildShape(placed.shape, Math.max(mass, 1e-6));
  const body = new Body({ mass: type === Body.STATIC ? 0 : mass, type });
  const [qx, qy, qz, qw] = mat3ToQuat(placed.pose.R);
  body.quaternion.set(qx, qy, qz, qw);
  const c = mulMat3Vec(placed.pose.R, model.com);
  body.position.set(placed.pose.t[0] + c[0], placed.pose.t[1] + c[1], placed.pose.t[2] + c[2]);
  attachShapes(body, model);
  body.updateAABB();
  return body;
}

/** Depth of a contact, positive when the shapes penetrate. */
export function contactDepth(c: ContactEquation): number {
  const dx = c.bj.position.x + c.rj.x - c.bi.position.x - c.ri.x;
  const dy = c.bj.position.y + c.rj.y - c.bi.position.y - c.ri.y;
  const dz = c.bj.position.z + c.rj.z - c.bi.position.z - c.ri.z;
  return -(c.ni.x * dx + c.ni.y * dy + c.ni.z * dz);
}

/**
 * Pairs deeper than `tolerance`. `checkPair(i, j)` says which shape pairs count (i < j), and
 * `checkPlane(i)` which shapes are tested against the plane z = 0.
 */
export function findOverlaps(
  shapes: PlacedShape[],
  tolerance: number,
  checkPair: (i: number, j: number) => boolean,
  checkPlane: (i: number) => boolean = () => false,
): Overlap[] {
  // Bounding spheres first: most pairs are far apart, and building cannon bodies is what costs.
  const spheres = shapes.map((s) => ({ c: s.pose.t, r: boundingRadius(s.shape) }));
  const pairs: [number, number][] = [];
  for (let i = 0; i < shapes.length; i++) {
    if (checkPlane(i) && spheres[i].c[2] - spheres[i].r < tolerance) pairs.push([i, -1]);
    for (let j = i + 1; j < shapes.length; j++) {
      const a = spheres[i], b = spheres[j];
      const reach = a.r + b.r + tolerance;
      const dx = a.c[0] - b.c[0], dy = a.c[1] - b.c[1], dz = a.c[2] - b.c[2];
      if (dx * dx + dy * dy + dz * dz < reach * reach && checkPair(i, j)) pairs.push([i, j]);
    }
  }
  if (pairs.length === 0) return [];
  const world = new World();
  const bodies = new Map<number, Body>();
  const bodyOf = (i: number) => {
    let body = bodies.get(i);
    if (!body) bodies.set(i, (body = placedBody(shapes[i], 1, Body.DYNAMIC)));
    return body;
  };
  const plane = new Body({ mass: 0, type: Body.STATIC });
  plane.addShape(new Plane());
  const p1: Body[] = [], p2: Body[] = [];
  for (const [i, j] of pairs) {
    const a = bodyOf(i), b = j < 0 ? plane : bodyOf(j);
    if (j < 0 ? a.aabb.lowerBound.z < tolerance : a.aabb.overlaps(b.aabb)) { p1.push(a); p2.push(b); }
  }
  if (p1.length === 0) return [];
  const index = new Map<Body, number>([...bodies].map(([i, b]) => [b, i]));
  index.set(plane, -1);
  const contacts: ContactEquation[] = [];
  world.narrowphase.getContacts(p1, p2, world, contacts, [], [], []);
  const deepest = new Map<string, Overlap>();
  for (const c of contacts) {
    const depth = contactDepth(c);
    if (!(depth > tolerance)) continue;
    let a = index.get(c.bi)!, b = index.get(c.bj)!;
    if (b >= 0 && (a < 0 || b < a)) [a, b] = [b, a];
    const key = `${a},${b}`;
    if (!deepest.has(key) || deepest.get(key)!.depth < depth) deepest.set(key, { a, b, depth });
  }
  return [...deepest.values()];
}

/** The world-aligned bounding box of a placed shape. */
export function shapeBox(placed: PlacedShape): { min: [number, number, number]; max: [number, number, number] } {
  const { lowerBound: lo, upperBound: hi } = placedBody(placed, 1, Body.DYNAMIC).aabb;
  return { min: [lo.x, lo.y, lo.z], max: [hi.x, hi.y, hi.z] };
}

const radii = new WeakMap<CollisionShape, number>();

/** Largest distance of the shape from its frame's origin. */
export function boundingRadius(shape: CollisionShape): number {
  let r = radii.get(shape);
  if (r === undefined) {
    if (shape.type === 'box') r = Math.hypot(...shape.size) / 2;
    else if (shape.type === 'cylinder') r = Math.hypot(shape.radius, shape.height / 2);
    else if (shape.type === 'sphere') r = shape.radius;
    else {
      r = 0;
      const p = shape.points;
      for (let i = 0; i < p.length; i += 3) r = Math.max(r, Math.hypot(p[i], p[i + 1], p[i + 2]));
    }
    radii.set(shape, r);
  }
  return r;
}
