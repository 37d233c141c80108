/**
 * Deterministic rigid-body settling with cannon-es: drop objects onto a table or the ground, step
 * with a fixed time step until every body sleeps (or maxSteps), and report anything a sampler
 * should reject (bodies off the support, interpenetration, bodies still moving).
 *
 * Determinism: same input → bit-identical output. No randomness, no wall-clock, a fixed time step
 * (world.step(dt) with one argument, no interpolation), a Gauss-Seidel solver with a fixed
 * iteration count, SAPBroadphase (deterministic: insertion sort of the bodies' AABBs). Every call
 * builds a fresh World.
 *
 * Deviations from a plain cannon-es setup, each needed for bodies to fall asleep (measurements in
 * test/physics/settle.perf.test.ts):
 * - The table top is a cannon Plane at z=0 (like the ground), not a Box. A body whose centre leaves
 *   the table rectangle is off-support at once (it would fall off a real table), so the result is
 *   the same, but plane contacts are far cheaper than box/convex SAT and get the contact margin below.
 * - Plane contacts have a speculative margin (`contactMargin`, see contacts.ts); without it, bodies
 *   resting on an edge or rocking on a cylinder's facets gain energy and never sleep.
 * - Sleep uses the point speed |v| + |ω|·r (m/s) instead of cannon's sqrt(|v|² + |ω|²).
 * - Spheres get a high angular damping (`rollingDamping`): cannon-es has no rolling resistance.
 */
import { Body, GSSolver, Plane, SAPBroadphase, Vec3 as CVec3, World, type ContactEquation } from 'cannon-es';
import type { Pose, Vec3 } from '../geometry/types.js';
import { installPlaneConvexMargin } from './contacts.js';
import { mulMat3Vec, mat3ToQuat, quatToMat3 } from '../geometry/transforms.js';
import { attachShapes, buildShape, type CollisionShape } from './shapes.js';
import { boundingRadius, contactDepth, placedBody, type PlacedShape } from './overlap.js';
import { supportWalls, type WalledSupport } from './support.js';

export type { CollisionShape } from './shapes.js';
export type { BinSupport, ShelfSupport, WalledSupport } from './support.js';

/** Table top at z=0, centred on the origin; `size` = extents along world x and y (metres). */
export interface Support {
  kind: 'table';
  size: [number, number];
  /** Validated (> 0) but not simulated: the top is modelled as a plane, see above. */
  thickness: number;
}

export interface SettleSettings {
  /** Fixed step, seconds. */
  timeStep: number;
  maxSteps: number;
  /** Magnitude of gravity along −Z, m/s². */
  gravity: number;
  friction: number;
  restitution: number;
  /**
   * A body falls asleep once its point speed |v| + |ω|·r (r = bounding radius about its centre of
   * mass; an upper bound of the speed of any of its points) has stayed below sleepSpeed (m/s) for
   * sleepTime (s).
   */
  sleepSpeed: number;
  sleepTime: number;
  /** Deepest allowed contact penetration (metres), checked on the initial and on the final poses. */
  penetrationTolerance: number;
  /** Gauss-Seidel iterations per step. Default 10. */
  solverIterations?: number;
  /** cannon-es damping, fraction of velocity lost per second. Defaults 0.01 and 0.01. */
  linearDamping?: number;
  angularDamping?: number;
  /**
   * Angular damping of spheres instead of angularDamping (stands in for rolling resistance, which
   * cannon-es lacks; a ball would otherwise roll for seconds). Default 0.99999 (time constant ≈ 0.09 s).
   */
  rollingDamping?: number;
  /** Speculative contact margin against the support plane, metres. Default 0.001; 0 disables. */
  contactMargin?: number;
}

export interface SettleInput {
  /**
   * A bin or shelf is the plane z = 0 (as the table) with its walls (support.ts) as static boxes;
   * a centre of mass outside its `size` rectangle is off the support.
   */
  support: Support | { kind: 'ground' } | WalledSupport;
  /** Initial (drop) poses. */
  bodies: { shape: CollisionShape; mass: number; pose: Pose }[];
  /** Static shapes the bodies rest on and collide with but never move (a robot's links). */
  obstacles?: PlacedShape[];
  settings: SettleSettings;
}

export interface SettleResult {
  /** Final model poses, same order as bodies. */
  poses: Pose[];
  /** Steps taken (≤ maxSteps). */
  steps: number;
  allAsleep: boolean;
  /**
   * First problem found, by priority off-support > interpenetration > not-settled; `bodies` are the
   * offending body indices (ascending).
   */
  problem: null | { kind: 'off-support' | 'interpenetration' | 'not-settled'; bodies: number[]; detail: string };
}

/** A body whose centre of mass ends below this height (metres) is off the support. */
export const OFF_SUPPORT_Z = -0.01;
/** Stepping stops early once a centre of mass is below this height or outside the table rectangle. */
export const FALLEN_Z = -0.05;

/**
 * Settings for tabletop scenes of ~10 objects of 4–12 cm (measured in
 * test/physics/settle.perf.test.ts: ≈ 11 ms per settle). For a cheaper, slightly less stable
 * variant use timeStep 1/120 with maxSteps 300 (≈ 6 ms; a few % more scenes with a body frozen in
 * a marginal pose).
 */
export const DEFAULT_SETTLE_SETTINGS: Readonly<Required<SettleSettings>> = Object.freeze({
  timeStep: 1 / 240,
  maxSteps: 600,
  gravity: 9.81,
  friction: 0.5,
  restitution: 0.1,
  sleepSpeed: 0.02,
  sleepTime: 0.2,
  penetrationTolerance: 0.001,
  solverIterations: 10,
  linearDamping: 0.01,
  angularDamping: 0.01,
  rollingDamping: 0.99999,
  contactMargin: 0.001,
});

/**
 * Speed measure for sleeping and for `not-settled`: |v| + |ω|·r with r the body's bounding radius,
 * in m/s. cannon-es's own measure sqrt(|v|² + |ω|²) mixes m/s with rad/s and keeps small rolling
 * objects awake for seconds (a 3 cm ball creeping at 1 mm/s still turns at 0.05 rad/s).
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
  const check = (k: keyof SettleSettings, ok: (v: number) => boolean, what: string, optional = false) => {
    const v = s[k];
    if (optional && v === undefined) return;
    if (!(typeof v === 'number' && Number.isFinite(v) && ok(v))) throw new Error(`settle: settings.${k} must be ${what} (got ${v})`);
  };
  check('timeStep', (v) => v > 0, '> 0');
  check('maxSteps', (v) => Number.isInteger(v) && v >= 0, 'an integer ≥ 0');
  for (const k of ['gravity', 'friction', 'restitution', 'sleepSpeed', 'sleepTime', 'penetrationTolerance'] as const) check(k, (v) => v >= 0, '≥ 0');
  check('solverIterations', (v) => Number.isInteger(v) && v > 0, 'a positive integer', true);
  for (const k of ['linearDamping', 'angularDamping', 'rollingDamping'] as const) check(k, (v) => v >= 0 && v < 1, 'in [0, 1)', true);
  check('contactMargin', (v) => v >= 0, '≥ 0', true);
}

function checkPose(p: Pose, i: number): void {
  const finite = (a: unknown, n: number) => Array.isArray(a) && a.length === n && a.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (!finite(p?.R, 9) || !finite(p?.t, 3)) throw new Error(`settle: bodies[${i}].pose must have R (9 numbers) and t (3 numbers)`);
}

/** The cannon-es world built for a SettleInput (exported for diagnostics and tests). */
export interface SettleWorld {
  world: World;
  support: Body;
  /** Static obstacles, same order as input.obstacles (those a body can reach), then a bin's or shelf's walls. */
  obstacles: Body[];
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
  const sup = input.support;
  if (sup.kind === 'table') {
    const [sx, sy] = sup.size;
    if (!(sx > 0 && sy > 0 && sup.thickness > 0)) throw new Error('settle: table size and thickness must be > 0');
  } else if (sup.kind === 'bin' || sup.kind === 'shelf') {
    const sizes = sup.kind === 'bin' ? [...sup.size, sup.wallHeight, sup.wallThickness] : [...sup.size, sup.height, sup.thickness];
    if (!sizes.every((v) => Number.isFinite(v) && v > 0)) throw new Error(`settle: ${sup.kind} sizes must be > 0`);
  } else if (sup.kind !== 'ground') {
    throw new Error(`settle: unknown support kind ${JSON.stringify((sup as { kind: unknown }).kind)}`);
  }

  const world = new World({ gravity: new CVec3(0, 0, -s.gravity), allowSleep: true });
  world.broadphase = new SAPBroadphase(world); // before adding bodies: it tracks them via events
  const solver = new GSSolver();
  solver.iterations = s.solverIterations ?? DEFAULT_SETTLE_SETTINGS.solverIterations;
  world.solver = solver;
  world.quatNormalizeSkip = 0;
  world.quatNormalizeFast = false;
  world.defaultContactMaterial.friction = s.friction;
  world.defaultContactMaterial.restitution = s.restitution;
  world.dt = s.timeStep;
  const margin = s.contactMargin ?? DEFAULT_SETTLE_SETTINGS.contactMargin;
  if (margin > 0) installPlaneConvexMargin(world.narrowphase, margin);

  // Support: the plane z=0 (normal +Z) for both the table top and the ground.
  const support = new Body({ mass: 0, type: Body.STATIC });
  support.addShape(new Plane());
  world.addBody(support);
  // The walls of a bin or shelf: static boxes, checked for contacts like obstacles.
  const walls = sup.kind === 'bin' || sup.kind === 'shelf'
    ? supportWalls(sup).map((w) => {
      const body = placedBody({ shape: { type: 'box', size: w.size }, pose: { R: [1, 0, 0, 0, 1, 0, 0, 0, 1], t: w.center } }, 0, Body.STATIC);
      world.addBody(body);
      return body;
    })
    : [];
  // Static obstacles no body can reach cost contacts checks for nothing: bodies stay below the
  // highest start (they only lose energy) and on the table (leaving it rejects the frame anyway).
  const top = input.bodies.reduce((z, b) => Math.max(z, b.pose.t[2] + boundingRadius(b.shape)), 0);
  const reachable = (o: PlacedShape) => {
    const r = boundingRadius(o.shape), [x, y, z] = o.pose.t;
    if (z - r > top) return false;
    return sup.kind === 'ground' || (Math.abs(x) - r <= sup.size[0] / 2 + top && Math.abs(y) - r <= sup.size[1] / 2 + top);
  };
  const obstacles = (input.obstacles ?? []).filter(reachable).map((o) => {
    const body = placedBody(o, 0, Body.STATIC);
    world.addBody(body);
    return body;
  });
  obstacles.push(...walls);

  // Dynamic bodies; body axes = model axes, body origin = centre of mass (model point `com`).
  const coms: Vec3[] = [];
  const bodies = input.bodies.map((b, i) => {
    if (!(Number.isFinite(b.mass) && b.mass > 0)) throw new Error(`settle: bodies[${i}].mass must be > 0 (got ${b.mass})`);
    checkPose(b.pose, i);
    const model = buildShape(b.shape, b.mass);
    const body = new Body({
      mass: b.mass,
      type: Body.DYNAMIC,
      allowSleep: true,
      sleepSpeedLimit: s.sleepSpeed,
      sleepTimeLimit: s.sleepTime,
      linearDamping: s.linearDamping ?? DEFAULT_SETTLE_SETTINGS.linearDamping,
      angularDamping:
        b.shape.type === 'sphere'
          ? (s.rollingDamping ?? DEFAULT_SETTLE_SETTINGS.rollingDamping)
          : (s.angularDamping ?? DEFAULT_SETTLE_SETTINGS.angularDamping),
    });
    const [qx, qy, qz, qw] = mat3ToQuat(b.pose.R);
    body.quaternion.set(qx, qy, qz, qw);
    const c = mulMat3Vec(quatToMat3([qx, qy, qz, qw]), model.com);
    body.position.set(b.pose.t[0] + c[0], b.pose.t[1] + c[1], b.pose.t[2] + c[2]);
    attachShapes(body, model);
    // addShape sets the inertia of the world AABB (orientation dependent); use the true diagonal.
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
      const c = mulMat3Vec(R, coms[i]);
      return { R, t: [b.position.x - c[0], b.position.y - c[1], b.position.z - c[2]] };
    });
  return { world, support, obstacles, bodies, coms, poses };
}

export function settle(input: SettleInput): SettleResult {
  const { world, support, obstacles, bodies, poses } = buildSettleWorld(input);
  const s = input.settings;
  const sup = input.support;
  const indexOf = new Map<Body, number>(bodies.map((b, i) => [b, i]));
  const outsideTable = (b: Body) =>
    (sup.kind !== 'ground' && (Math.abs(b.position.x) > sup.size[0] / 2 || Math.abs(b.position.y) > sup.size[1] / 2)) ||
    // On a shelf, above the board above (dropped there, or stacked through): not on this board.
    (sup.kind === 'shelf' && sup.top && b.position.z > sup.height);
  const fallen = (b: Body) => b.position.z < FALLEN_Z || outsideTable(b);

  // Reject overlapping drop poses up front: cannon would resolve them with a violent push-out.
  // (A body that starts off the support is reported as off-support instead, below.)
  let stoppedEarly = bodies.some(fallen);
  const initial = stoppedEarly ? null : penetratingContacts(world, bodies, [support, ...obstacles], indexOf, s.penetrationTolerance);
  if (initial && initial.bodies.length > 0) {
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
  while (!allAsleep && !stoppedEarly && steps < s.maxSteps) {
    world.step(s.timeStep); // fixed step, no interpolation
    steps++;
    allAsleep = sleeping();
    stoppedEarly = bodies.some(fallen);
  }

  const result = (problem: SettleResult['problem']): SettleResult => ({ poses: poses(), steps, allAsleep, problem });

  // 1. Off the support.
  const off: number[] = [];
  const offWhy: string[] = [];
  bodies.forEach((b, i) => {
    if (b.position.z < OFF_SUPPORT_Z || outsideTable(b)) {
      off.push(i);
      const p = b.position;
      offWhy.push(`#${i} centre (${p.x.toFixed(3)}, ${p.y.toFixed(3)}, ${p.z.toFixed(3)})`);
    }
  });
  if (off.length > 0) {
    const where = sup.kind !== 'ground' ? `outside the ${sup.size[0]}×${sup.size[1]} m ${sup.kind === 'bin' ? 'bin floor' : sup.kind === 'shelf' ? `shelf board${sup.top ? ` (or above z=${sup.height})` : ''}` : 'table'} or ` : '';
    const detail = `centre ${where}below z=${OFF_SUPPORT_Z}: ${offWhy.join('; ')}${stoppedEarly ? ` (stopped at step ${steps})` : ''}`;
    return result({ kind: 'off-support', bodies: off, detail });
  }

  // 2. Interpenetration in the final state.
  const final = penetratingContacts(world, bodies, [support, ...obstacles], indexOf, s.penetrationTolerance);
  if (final.bodies.length > 0) return result({ kind: 'interpenetration', bodies: final.bodies, detail: final.detail });

  // 3. Still moving at maxSteps.
  if (!allAsleep) {
    const limit = 2 * s.sleepSpeed;
    const moving: number[] = [];
    const movingWhy: string[] = [];
    bodies.forEach((b, i) => {
      const speed = pointSpeed(b);
      if (speed > limit) {
        moving.push(i);
        movingWhy.push(`#${i} ${speed.toFixed(3)} m/s`);
      }
    });
    if (moving.length > 0) {
      const detail = `after ${steps} steps, point speed |v|+|ω|r > ${limit} m/s: ${movingWhy.join('; ')}`;
      return result({ kind: 'not-settled', bodies: moving, detail });
    }
  }
  return result(null);
}

/**
 * Run the narrowphase over every body pair (and body/support pair) whose AABBs overlap, at the
 * current poses, and collect the bodies in contacts deeper than `tolerance`. The depth of a
 * ContactEquation c is −n̂ᵢ · ((xⱼ + rⱼ) − (xᵢ + rᵢ)), positive when penetrating.
 */
function penetratingContacts(
  world: World,
  bodies: Body[],
  fixed: Body[],
  indexOf: Map<Body, number>,
  tolerance: number,
): { bodies: number[]; detail: string } {
  const all = [...bodies, ...fixed];
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

  const deepest = new Map<string, number>(); // "i,j" (support = -1) → deepest penetration
  const offenders = new Set<number>();
  for (const c of contacts) {
    const depth = contactDepth(c);
    if (!(depth > tolerance)) continue;
    const a = indexOf.get(c.bi) ?? -1;
    const b = indexOf.get(c.bj) ?? -1;
    const key = a < b ? `${a},${b}` : `${b},${a}`;
    deepest.set(key, Math.max(deepest.get(key) ?? 0, depth));
    if (a >= 0) offenders.add(a);
    if (b >= 0) offenders.add(b);
  }
  const name = (k: number) => (k < 0 ? 'support or obstacle' : `#${k}`);
  const pairs = [...deepest.entries()].map(([key, d]) => {
    const [a, b] = key.split(',').map(Number);
    return `${name(a)}–${name(b)} ${(d * 1000).toFixed(2)} mm`;
  });
  return {
    bodies: [...offenders].sort((x, y) => x - y),
    detail: pairs.length ? `penetration > ${tolerance} m: ${pairs.join('; ')}` : '',
  };
}
