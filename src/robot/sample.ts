/**
 * A robot's state for one frame: base pose and joint values drawn from the scene file's joint
 * sampling, forward kinematics to world poses, and rejection of configurations whose collision
 * geometry hits itself (links joined by a joint excepted, and pairs that already touch in the
 * zero configuration, as MoveIt's setup assistant disables them) or the support.
 */
import { axisAngleToMat3, composePoses } from '../geometry/transforms.js';
import type { Pose, Vec3 } from '../geometry/types.js';
import { findOverlaps, type PlacedShape } from '../physics/overlap.js';
import { UserError } from '../errors.js';
import type { Rng } from '../sampling/rng.js';
import { forwardKinematics, jointFramePoses, resolveJointValues } from './kinematics.js';
import { pairKey, type RobotModel } from './robot-model.js';

export interface RobotState {
  base: Pose;
  /** Every joint's value (rad or m), mimic joints included. */
  joints: Record<string, number>;
  /** World <- link. */
  links: Map<string, Pose>;
  /** World <- joint frame. */
  jointFrames: Map<string, Pose>;
}

/** Depth a collision must exceed to count (m): shapes resting against each other are fine. */
const COLLISION_TOLERANCE = 0.002;

function configuration(model: RobotModel): Record<string, number> {
  const { configuration: c, configurations } = model.spec.joints;
  if (c === undefined) return {};
  if (typeof c === 'string') {
    const named = configurations[c];
    if (!named) throw new UserError(`robot "${model.name}": joints.configuration "${c}" is not among the named configurations (${Object.keys(configurations).join(', ') || 'none defined'})`);
    return named;
  }
  return c;
}

/** Check once per batch that every joint the scene names exists. */
export function checkJointNames(model: RobotModel): void {
  const known = new Set(model.urdf.joints.map((j) => j.name));
  const named = [
    ...Object.keys(model.spec.joints.override),
    ...Object.values(model.spec.joints.configurations).flatMap((c) => Object.keys(c)),
    ...(typeof model.spec.joints.configuration === 'object' ? Object.keys(model.spec.joints.configuration) : []),
  ];
  for (const name of named) {
    if (!known.has(name)) throw new UserError(`robot "${model.name}": no joint "${name}" in ${model.urdf.file} (joints: ${[...known].join(', ')})`);
  }
  configuration(model);
}

export function sampleJointValues(rng: Rng, model: RobotModel): Record<string, number> {
  const { sample, fraction, override, continuous_range: continuous } = model.spec.joints;
  const centre = configuration(model);
  const values: Record<string, number> = {};
  for (const joint of model.actuated) {
    const [lo, hi] = joint.type === 'continuous' || !joint.limit ? continuous : [joint.limit.lower, joint.limit.upper];
    const c = centre[joint.name] ?? 0;
    let q: number;
    if (sample === 'uniform') q = rng.uniform(lo, hi);
    else if (sample === 'fixed') q = c;
    else {
      const half = (fraction * (hi - lo)) / 2;
      q = rng.uniform(Math.max(lo, c - half), Math.min(hi, c + half));
    }
    const o = override[joint.name];
    if (o !== undefined) q = typeof o === 'number' ? o : rng.uniform(o[0], o[1]);
    values[joint.name] = q;
  }
  return resolveJointValues(model.urdf, values);
}

export function robotState(model: RobotModel, base: Pose, joints: Record<string, number>): RobotState {
  const links = new Map<string, Pose>();
  for (const [link, pose] of forwardKinematics(model.urdf, joints)) links.set(link, composePoses(base, pose));
  const jointFrames = new Map<string, Pose>();
  for (const [joint, pose] of jointFramePoses(model.urdf, joints)) jointFrames.set(joint, composePoses(base, pose));
  return { base, joints, links, jointFrames };
}

/** Every collision shape of the robot placed in the world. */
export function placedColliders(model: RobotModel, state: RobotState): PlacedShape[] {
  return model.colliders.map((c) => ({ shape: c.shape, pose: composePoses(state.links.get(c.link)!, c.origin) }));
}

/**
 * Links rigidly attached to the root (through fixed joints) stand on the support by design and
 * are not tested against it.
 */
function groundedLinks(model: RobotModel): Set<string> {
  const grounded = new Set([model.urdf.root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const j of model.urdf.joints) {
      if (j.type === 'fixed' && grounded.has(j.parent) && !grounded.has(j.child)) { grounded.add(j.child); grew = true; }
    }
  }
  return grounded;
}

export interface CollisionRules {
  ignoredPairs: Set<string>;
  grounded: Set<string>;
}

/** Pairs to ignore: joined by a joint, or already touching in the zero configuration. */
export function collisionRules(model: RobotModel): CollisionRules {
  const ignoredPairs = new Set(model.adjacent);
  const zero = robotState(model, { R: [1, 0, 0, 0, 1, 0, 0, 0, 1], t: [0, 0, 0] }, resolveJointValues(model.urdf, {}));
  const placed = placedColliders(model, zero);
  for (const o of findOverlaps(placed, COLLISION_TOLERANCE, (i, j) => model.colliders[i].link !== model.colliders[j].link)) {
    ignoredPairs.add(pairKey(model.colliders[o.a].link, model.colliders[o.b].link));
  }
  return { ignoredPairs, grounded: groundedLinks(model) };
}

/** The first collision of a state, described, or null when it is clean. */
export function stateCollision(model: RobotModel, rules: CollisionRules, state: RobotState): string | null {
  const placed = placedColliders(model, state);
  const linkOf = (i: number) => model.colliders[i].link;
  const overlaps = findOverlaps(
    placed,
    COLLISION_TOLERANCE,
    (i, j) => linkOf(i) !== linkOf(j) && !rules.ignoredPairs.has(pairKey(linkOf(i), linkOf(j))),
    (i) => !rules.grounded.has(linkOf(i)),
  );
  if (overlaps.length === 0) return null;
  const o = overlaps[0];
  return `${linkOf(o.a)} hits ${o.b < 0 ? 'the support' : linkOf(o.b)} (${(o.depth * 1000).toFixed(1)} mm)`;
}

export function sampleBase(rng: Rng, model: RobotModel): Pose {
  const { position, yaw_deg } = model.spec.base;
  const t = position.map((r) => rng.range(r)) as Vec3;
  return { R: axisAngleToMat3([0, 0, 1], (rng.range(yaw_deg) * Math.PI) / 180), t };
}

/** Draw configurations until one is collision-free. */
export function sampleRobotState(rng: Rng, model: RobotModel, rules: CollisionRules): RobotState {
  let last = '';
  for (let attempt = 0; attempt < model.spec.max_attempts; attempt++) {
    const state = robotState(model, sampleBase(rng, model), sampleJointValues(rng, model));
    const hit = stateCollision(model, rules, state);
    if (!hit) return state;
    last = hit;
  }
  throw new UserError(`robot "${model.name}": no collision-free configuration in ${model.spec.max_attempts} attempts (last: ${last}); narrow joints.override or use joints.sample: around`);
}
