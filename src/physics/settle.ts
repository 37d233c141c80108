/**
 * Deterministic rigid-body settling with cannon-es: drop objects onto a table or the ground, step
 * with a fixed time step until every body sleeps (or maxSteps), and report anything a sampler
 * should reject (bodies off the support, interpenetration, bodies still moving).
 *
 * Determinism: same input → bit-identical output. No randomness, no wall-clock, a fixed time step
 * (world.step(dt) with one argument), a fixed-iteration Gauss-Seidel solver and the
 * order-preserving NaiveBroadphase. Every call builds a fresh World.
 */
import { Body, Box, GSSolver, NaiveBroadphase, Plane, Vec3 as CVec3, World, type ContactEquation } from 'cannon-es';
import type { Pose, Vec3 } from '../geometry/types.js';
import { mat3MulVec3, mat3ToQuat, quatToMat3 } from './convert.js';
import { installPlaneConvexMargin } from './contacts.js';
import { buildShape, type CollisionShape } from './shapes.js';

export type { CollisionShape } from './shapes.js';

export interface Support {
  kind: 'table';
  /** Table top extents along world x and y, metres; centred on the origin. */
  size: [number, number];
  thickness: number;
} // top surface at z=0; or { kind: 'ground' }: infinite plane at z=0

export interface SettleSettings {
  timeStep: number;
  maxSteps: number;
  /** Magnitude of gravity along −Z, m/s². */
  gravity: number;
  friction: number;
  restitution: number;
  /** A body may sleep once sqrt(|v|² + |ω|²) stays below this (m/s, rad/s) for sleepTime seconds. */
  sleepSpeed: number;
  sleepTime: number;
  /** Deepest allowed contact penetration (metres) in the initial and the final state. */
  penetrationTolerance: number;
  /** Gauss-Seidel iterations per step (default 10). */
  solverIterations?: number;
  /** cannon-es velocity damping: fraction of velocity lost per second (defaults 0.01 / 0.01). */
  linearDamping?: number;
  angularDamping?: number;
}

export interface SettleInput {
  support: Support | { kind: 'ground' };
  bodies: { shape: CollisionShape; mass: number; pose: Pose }[]; // initial (drop) poses
  settings: SettleSettings;
}

export interface SettleResult {
  poses: Pose[]; // final poses, same order as bodies
  steps: number; // steps taken (≤ maxSteps)
  allAsleep: boolean;
  problem: null | { kind: 'off-support' | 'interpenetration' | 'not-settled'; bodies: number[]; detail: string };
}

/** A body whose centre ends below this height (metres) is off the support. */
export const OFF_SUPPORT_Z = -0.01;
/** Stepping stops early once any body's centre falls below this height: it has left the support. */
export const FALLEN_Z = -0.05;

/**
 * Settings tuned for tabletop scenes of 10–40 objects of a few centimetres (see
 * test/physics/settle.bench.test.ts): 1/120 s steps with 20 solver iterations are as stable as
 * 1/240 s with 10, at roughly half the cost.
 */
export const DEFAULT_SETTLE_SETTINGS: Readonly<SettleSettings> = Object.freeze({
  timeStep: 1 / 120,
  maxSteps: 300,
  gravity: 9.81,
  friction: 0.5,
  restitution: 0.1,
  sleepSpeed: 0.05,
  sleepTime: 0.1,
  penetrationTolerance: 0.003,
  solverIterations: 20,
  linearDamping: 0.01,
  angularDamping: 0.01,
});

/**
 * Speed measure for sleeping and for `not-settled`: an upper bound of the speed of any point of
 * the body, |v| + |ω|·r (r = bounding radius about the centre of mass), in m/s. cannon-es's own
 * measure sqrt(|v|² + |ω|²) mixes m/s with rad/s, which keeps small rolling objects (a 3 cm ball
 * creeping at 1 mm/s still turns at 0.05 rad/s) awake for seconds.
 */
export function pointSpeed(body: Body): number {
  return body.velocity.length() + body.angularVelocity.length() * body.boundingRadius;
}

/** Body.sleepTick of cannon-es 0.20 with `pointSpeed` as the speed measure. */
function pointSpeedSleepTick(body: Body): (time: number) => void {
  return (time: number) => {
    if (!body.allowSleep) return;
    const speed = pointSpeed(body);
    const limit = body.sleepSpeedLimit;
    if (body.sleepState === Body.AWAKE && speed < limit) {
      body.sleepState = Body.SLEEPY;
      body.timeLastSleepy = time;
      body.dispatchEvent(Body.sleepyEvent);
    } else if (body.sleepState === Body.SLEEPY && speed > limit) {
      body.wakeUp();
    } else if (body.sleepState === Body.SLEEPY && time - body.timeLastSleepy > body.sleepTimeLimit) {
      body.sleep();
      body.dispatchEvent(Body.sleepEvent);
    }
  };
}

function checkSettings(s: SettleSettings): void {
  const pos = (k: keyof SettleSettings) => {
    const v = s[k];
    if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) throw new Error(`settle: settings.${k} must be > 0 (got ${v})`);
  };
  const nonneg = (k: keyof SettleSettings) => {
    const v = s[k];
    if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw new Error(`settle: settings.${k} must be ≥ 0 (got ${v})`);
  };
  pos('timeStep');
  nonneg('gravity');
  nonneg('friction');
  nonneg('restitution');
  nonneg('sleepSpeed');
  nonneg('sleepTime');
  nonneg('penetrationTolerance');
  if (!(Number.isInteger(s.maxSteps) && s.maxSteps >= 0)) throw new Error(`settle: settings.maxSteps must be an integer ≥ 0 (got ${s.maxSteps})`);
  if (s.solverIterations !== undefined && !(Number.isInteger(s.solverIterations) && s.solverIterations > 0)) {
    throw new Error(`settle: settings.solverIterations must be a positive integer (got ${s.solverIterations})`);
  }
  for (const k of ['linearDamping', 'angularDamping'] as const) {
    const v = s[k];
    if (v !== undefined && !(v >= 0 && v < 1)) throw new Error(`settle: settings.${k} must be in [0, 1) (got ${v})`);
  }
}

/** The cannon-es world built for a SettleInput (exposed for diagnostics and tests). */
export interface SettleWorld {
  world: World;
  support: Body;
  /** Dynamic bodies, same order as input.bodies. */
  bodies: Body[];
  /** Centre of mass (= body origin) of each body in model coordinates. */
  coms: Vec3[];
  /** Current model poses of the bodies. */
  poses(): Pose[];
}

export function buildSettleWorld(input: SettleInput): SettleWorld {
  const s = input.settings;
  checkSettings(s);
  const dt = s.timeStep;

  const world = new World({ gravity: new CVec3(0, 0, -s.gravity), allowSleep: true });
  world.broadphase = new NaiveBroadphase();
  const solver = new GSSolver();
  solver.iterations = s.solverIterations ?? 10;
  world.solver = solver;
  world.quatNormalizeSkip = 0;
  world.quatNormalizeFast = false;
  world.defaultContactMaterial.friction = s.friction;
  world.defaultContactMaterial.restitution = s.restitution;
  world.dt = dt;

  // Support.
  const support = new Body({ mass: 0, type: Body.STATIC });
  const sup = input.support;
  const X = s as unknown as { contactMargin?: number; tableAsPlane?: boolean };
  if (X.contactMargin) installPlaneConvexMargin(world.narrowphase, X.contactMargin);
  if (sup.kind === 'table' && X.tableAsPlane) {
    support.addShape(new Plane());
  } else if (sup.kind === 'table') {
    const [sx, sy] = sup.size;
    if (!(sx > 0 && sy > 0 && sup.thickness > 0)) throw new Error('settle: table size and thickness must be > 0');
    support.addShape(new Box(new CVec3(sx / 2, sy / 2, sup.thickness / 2)));
    support.position.set(0, 0, -sup.thickness / 2);
  } else if (sup.kind === 'ground') {
    support.addShape(new Plane()); // normal = local +Z
  } else {
    throw new Error(`settle: unknown support kind ${JSON.stringify((sup as { kind: unknown }).kind)}`);
  }
  world.addBody(support);

  // Dynamic bodies; body frame axes = model axes, origin at the centre of mass (model point `com`).
  const coms: Vec3[] = [];
  const bodies: Body[] = input.bodies.map((b, i) => {
    if (!(Number.isFinite(b.mass) && b.mass > 0)) throw new Error(`settle: bodies[${i}].mass must be > 0 (got ${b.mass})`);
    const model = buildShape(b.shape, b.mass);
    const body = new Body({
      mass: b.mass,
      type: Body.DYNAMIC,
      allowSleep: true,
      sleepSpeedLimit: s.sleepSpeed,
      sleepTimeLimit: s.sleepTime,
      linearDamping: s.linearDamping ?? 0.01,
      angularDamping: b.shape.type === 'sphere' ? ((s as unknown as { rollingDamping?: number }).rollingDamping ?? s.angularDamping ?? 0.01) : (s.angularDamping ?? 0.01),
    });
    const [qx, qy, qz, qw] = mat3ToQuat(b.pose.R);
    body.quaternion.set(qx, qy, qz, qw);
    const c = mat3MulVec3(b.pose.R, model.com);
    body.position.set(b.pose.t[0] + c[0], b.pose.t[1] + c[1], b.pose.t[2] + c[2]);
    body.addShape(model.shape, new CVec3(0, 0, 0), model.orientation);
    // cannon approximates inertia by the world AABB at addShape time; use the true diagonal.
    const [ix, iy, iz] = model.inertia;
    body.inertia.set(ix, iy, iz);
    body.invInertia.set(1 / ix, 1 / iy, 1 / iz);
    body.updateInertiaWorld(true);
    body.previousPosition.copy(body.position);
    body.interpolatedPosition.copy(body.position);
    body.previousQuaternion.copy(body.quaternion);
    body.interpolatedQuaternion.copy(body.quaternion);
    body.sleepTick = pointSpeedSleepTick(body);
    coms.push(model.com);
    world.addBody(body);
    return body;
  });
  const poses = (): Pose[] =>
    bodies.map((b, i) => {
      const R = quatToMat3([b.quaternion.x, b.quaternion.y, b.quaternion.z, b.quaternion.w]);
      const c = mat3MulVec3(R, coms[i]);
      return { R, t: [b.position.x - c[0], b.position.y - c[1], b.position.z - c[2]] };
    });
  return { world, support, bodies, coms, poses };
}

export function settle(input: SettleInput): SettleResult {
  const s = input.settings;
  const sup = input.support;
  const dt = s.timeStep;
  const { world, support, bodies, poses: posesNow } = buildSettleWorld(input);
  const indexOf = new Map<Body, number>(bodies.map((b, i) => [b, i]));

  // Reject overlapping drop poses up front: cannon would resolve them with a violent push-out.
  const initial = deepestContacts(world, bodies, support, indexOf, s.penetrationTolerance);
  if (initial.bodies.length > 0) {
    return {
      poses: input.bodies.map((b) => ({ R: b.pose.R.slice(), t: [b.pose.t[0], b.pose.t[1], b.pose.t[2]] })),
      steps: 0,
      allAsleep: false,
      problem: { kind: 'interpenetration', bodies: initial.bodies, detail: `initial poses overlap: ${initial.detail}` },
    };
  }

  const sleeping = () => bodies.every((b) => b.sleepState === Body.SLEEPING);
  let steps = 0;
  let allAsleep = sleeping();
  let fell = false;
  while (!allAsleep && steps < s.maxSteps) {
    world.step(dt);
    steps++;
    allAsleep = sleeping();
    if (bodies.some((b) => b.position.z < FALLEN_Z || (sup.kind === 'table' && (Math.abs(b.position.x) > sup.size[0] / 2 || Math.abs(b.position.y) > sup.size[1] / 2)))) {
      fell = true;
      break;
    }
  }

  const poses = posesNow();
  const result = (problem: SettleResult['problem']): SettleResult => ({ poses, steps, allAsleep, problem });

  // 1. Off the support.
  const off: number[] = [];
  const offWhy: string[] = [];
  bodies.forEach((b, i) => {
    const p = b.position;
    const outside = sup.kind === 'table' && (Math.abs(p.x) > sup.size[0] / 2 || Math.abs(p.y) > sup.size[1] / 2);
    if (p.z < OFF_SUPPORT_Z || outside) {
      off.push(i);
      offWhy.push(`#${i} centre (${p.x.toFixed(3)}, ${p.y.toFixed(3)}, ${p.z.toFixed(3)})`);
    }
  });
  if (off.length > 0) {
    return result({ kind: 'off-support', bodies: off, detail: `${offWhy.join('; ')}${fell ? ` (stopped early at step ${steps})` : ''}` });
  }

  // 2. Interpenetration in the final state.
  const final = deepestContacts(world, bodies, support, indexOf, s.penetrationTolerance);
  if (final.bodies.length > 0) return result({ kind: 'interpenetration', bodies: final.bodies, detail: final.detail });

  // 3. Still moving.
  if (!allAsleep) {
    const limit = 2 * s.sleepSpeed;
    const moving: number[] = [];
    const movingWhy: string[] = [];
    bodies.forEach((b, i) => {
      const speed = pointSpeed(b);
      if (speed > limit) {
        moving.push(i);
        movingWhy.push(`#${i} ${speed.toFixed(3)}`);
      }
    });
    if (moving.length > 0) {
      return result({
        kind: 'not-settled',
        bodies: moving,
        detail: `after ${steps} steps, point speed |v|+|ω|r > ${limit}: ${movingWhy.join('; ')}`,
      });
    }
  }
  return result(null);
}

/**
 * Run a narrowphase over every pair of bodies (and body/support) with overlapping AABBs at the
 * current poses and collect the bodies in contacts deeper than `tolerance`.
 * Depth of a ContactEquation c: −n̂ᵢ · ((xⱼ + rⱼ) − (xᵢ + rᵢ)), positive when penetrating.
 */
function deepestContacts(
  world: World,
  bodies: Body[],
  support: Body,
  indexOf: Map<Body, number>,
  tolerance: number,
): { bodies: number[]; detail: string } {
  const all = [...bodies, support];
  for (const b of all) b.updateAABB();
  const p1: Body[] = [];
  const p2: Body[] = [];
  for (let i = 0; i < bodies.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      if (bodies[i].aabb.overlaps(all[j].aabb)) {
        p1.push(bodies[i]);
        p2.push(all[j]);
      }
    }
  }
  const contacts: ContactEquation[] = [];
  world.narrowphase.getContacts(p1, p2, world, contacts, [], [], []);

  // Deepest penetration per pair, keyed "i,j" with the support as index -1.
  const deepest = new Map<string, number>();
  const offenders = new Set<number>();
  for (const c of contacts) {
    const dx = c.bj.position.x + c.rj.x - c.bi.position.x - c.ri.x;
    const dy = c.bj.position.y + c.rj.y - c.bi.position.y - c.ri.y;
    const dz = c.bj.position.z + c.rj.z - c.bi.position.z - c.ri.z;
    const depth = -(c.ni.x * dx + c.ni.y * dy + c.ni.z * dz);
    if (!(depth > tolerance)) continue;
    const a = indexOf.get(c.bi) ?? -1;
    const b = indexOf.get(c.bj) ?? -1;
    const key = a < b ? `${a},${b}` : `${b},${a}`;
    deepest.set(key, Math.max(deepest.get(key) ?? 0, depth));
    if (a >= 0) offenders.add(a);
    if (b >= 0) offenders.add(b);
  }
  const detail = [...deepest.entries()]
    .map(([key, d]) => {
      const [a, b] = key.split(',').map(Number);
      const name = (k: number) => (k < 0 ? 'support' : `#${k}`);
      return `${name(a)}–${name(b)} ${(d * 1000).toFixed(2)} mm`;
    })
    .join('; ');
  return { bodies: [...offenders].sort((x, y) => x - y), detail: detail ? `penetration > ${tolerance} m: ${detail}` : '' };
}
