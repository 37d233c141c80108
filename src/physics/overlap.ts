/**
 * Static overlap tests between placed collision shapes (and the support plane z = 0), with
 * cannon-es's narrowphase and no simulation: used to reject robot configurations that hit
 * themselves or the table. Bodies are made dynamic only because cannon skips contact generation
 * between kinematic or static pairs.
 */
import { Body, Plane, Vec3 as CVec3, World, type ContactEquation } from 'cannon-es';
import type { Pose } from '../geometry/types.js';
import { mat3MulVec3, mat3ToQuat } from './convert.js';
import { buildShape, type CollisionShape } from './shapes.js';

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
  const c = mat3MulVec3(placed.pose.R, model.com);
  body.position.set(placed.pose.t[0] + c[0], placed.pose.t[1] + c[1], placed.pose.t[2] + c[2]);
  body.addShape(model.shape, new CVec3(0, 0, 0), model.orientation);
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
  const world = new World();
  const bodies = shapes.map((s) => placedBody(s, 1, Body.DYNAMIC));
  const plane = new Body({ mass: 0, type: Body.STATIC });
  plane.addShape(new Plane());
  const index = new Map<Body, number>(bodies.map((b, i) => [b, i]));
  index.set(plane, -1);
  const p1: Body[] = [], p2: Body[] = [];
  for (let i = 0; i < bodies.length; i++) {
    if (checkPlane(i) && bodies[i].aabb.lowerBound.z < tolerance) { p1.push(bodies[i]); p2.push(plane); }
    for (let j = i + 1; j < bodies.length; j++) {
      if (checkPair(i, j) && bodies[i].aabb.overlaps(bodies[j].aabb)) { p1.push(bodies[i]); p2.push(bodies[j]); }
    }
  }
  if (p1.length === 0) return [];
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
