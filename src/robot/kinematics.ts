/**
 * Forward kinematics of a URDF tree. Every pose is in the robot's base frame, the frame of its
 * root link (Pose: p_base = R * p_link + t).
 *
 * A joint's frame is its parent link's frame moved by the joint origin; at position q the child
 * link's frame is the joint frame moved by the joint's motion: a rotation by q about the axis
 * (revolute, continuous), or a translation by q along it (prismatic). The axis is a unit vector in
 * the joint frame. Floating and planar joints have more than one degree of freedom and no single
 * value to set: they are held at their zero position (their origin), as if fixed.
 */
import { UserError } from '../errors.js';
import { axisAngleToMat3, composePoses, IDENTITY3 } from '../geometry/transforms.js';
import type { Pose } from '../geometry/types.js';
import type { Urdf, UrdfJoint } from './types.js';

/** Joints that move with one value: revolute, continuous and prismatic. */
export function isMovable(joint: UrdfJoint): boolean {
  return joint.type === 'revolute' || joint.type === 'continuous' || joint.type === 'prismatic';
}

/**
 * Joints in tree order: depth first from the root, a link's child joints in the order the file
 * lists them. Stable for a given file.
 */
export function jointsInTreeOrder(urdf: Urdf): UrdfJoint[] {
  const children = new Map<string, UrdfJoint[]>();
  for (const joint of urdf.joints) {
    const list = children.get(joint.parent);
    if (list) list.push(joint);
    else children.set(joint.parent, [joint]);
  }
  const order: UrdfJoint[] = [];
  // Iterative depth-first walk (long chains must not overflow the stack).
  const stack = [...(children.get(urdf.root) ?? [])].reverse();
  while (stack.length > 0) {
    const joint = stack.pop() as UrdfJoint;
    order.push(joint);
    const below = children.get(joint.child);
    if (below) for (let i = below.length - 1; i >= 0; i--) stack.push(below[i]);
  }
  return order;
}

/** The joints that take a value: movable and not mimicking another, in tree order. */
export function actuatedJoints(urdf: Urdf): UrdfJoint[] {
  return jointsInTreeOrder(urdf).filter((joint) => isMovable(joint) && !joint.mimic);
}

/**
 * Every movable joint's value from the actuated joints' values: a missing actuated joint is 0,
 * and a mimic joint is `multiplier * q_target + offset` (chains of mimics are followed).
 * A value for an unknown joint, for a joint that takes none (fixed, floating, planar), or for a
 * mimic joint that disagrees with its target is a UserError; so is a value that is not a finite
 * number. Limits are not enforced here. The result holds every movable joint, so it can be passed
 * back in unchanged.
 */
export function resolveJointValues(urdf: Urdf, values: Record<string, number>): Record<string, number> {
  const byName = new Map(urdf.joints.map((joint) => [joint.name, joint]));
  for (const [name, value] of Object.entries(values)) {
    const joint = byName.get(name);
    if (!joint) {
      const names = actuatedJoints(urdf).map((j) => j.name).join(', ');
      throw new UserError(`${urdf.file}: robot "${urdf.name}" has no joint "${name}" (joints that take a value: ${names || 'none'})`);
    }
    if (!isMovable(joint)) throw new UserError(`${urdf.file}: joint "${name}" is a ${joint.type} joint and takes no value`);
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new UserError(`${urdf.file}: joint "${name}": expected a finite number, got ${String(value)}`);
  }

  const resolved: Record<string, number> = {};
  const valueOf = (joint: UrdfJoint, depth: number): number => {
    const known = resolved[joint.name];
    if (known !== undefined) return known;
    // parseUrdf rejects mimic loops; the depth guard keeps hand-built data from looping forever.
    if (depth > urdf.joints.length) throw new UserError(`${urdf.file}: joint "${joint.name}": mimic joints form a loop`);
    let q: number;
    if (joint.mimic) {
      const target = byName.get(joint.mimic.joint);
      if (!target) throw new UserError(`${urdf.file}: joint "${joint.name}" mimics joint "${joint.mimic.joint}", which is not defined`);
      q = joint.mimic.multiplier * valueOf(target, depth + 1) + joint.mimic.offset;
    } else {
      q = Object.hasOwn(values, joint.name) ? values[joint.name] : 0;
    }
    resolved[joint.name] = q;
    return q;
  };
  for (const joint of jointsInTreeOrder(urdf)) {
    if (!isMovable(joint)) continue;
    const q = valueOf(joint, 0);
    if (joint.mimic && Object.hasOwn(values, joint.name) && Math.abs(values[joint.name] - q) > 1e-9 * Math.max(1, Math.abs(q))) {
      throw new UserError(
        `${urdf.file}: joint "${joint.name}" mimics joint "${joint.mimic.joint}" and is ${q} there, but was given ${values[joint.name]}; set "${joint.mimic.joint}" instead`,
      );
    }
  }
  return resolved;
}

/** The motion of a joint at position q: child link frame in the joint frame. */
function jointMotion(joint: UrdfJoint, q: number): Pose {
  switch (joint.type) {
    case 'revolute':
    case 'continuous':
      return { R: axisAngleToMat3(joint.axis, q), t: [0, 0, 0] };
    case 'prismatic':
      return { R: [...IDENTITY3], t: [joint.axis[0] * q, joint.axis[1] * q, joint.axis[2] * q] };
    default:
      // fixed; floating and planar held at their zero position (see the file comment).
      return { R: [...IDENTITY3], t: [0, 0, 0] };
  }
}

/** Link poses and joint frames in one walk down the tree. */
function solve(urdf: Urdf, values: Record<string, number>): { links: Map<string, Pose>; joints: Map<string, Pose> } {
  const q = resolveJointValues(urdf, values);
  const links = new Map<string, Pose>([[urdf.root, { R: [...IDENTITY3], t: [0, 0, 0] }]]);
  const joints = new Map<string, Pose>();
  for (const joint of jointsInTreeOrder(urdf)) {
    const parent = links.get(joint.parent) as Pose; // tree order: the parent is already placed
    const frame = composePoses(composePoses(parent, joint.origin), jointMotion(joint, q[joint.name] ?? 0));
    joints.set(joint.name, frame);
    links.set(joint.child, frame);
  }
  return { links, joints };
}

/**
 * Every link's pose in the base (root link) frame for the given joint values (as for
 * resolveJointValues: missing actuated joints are 0, mimic joints follow their targets).
 */
export function forwardKinematics(urdf: Urdf, values: Record<string, number>): Map<string, Pose> {
  return solve(urdf, values).links;
}

/**
 * Every joint's frame in the base frame after its motion: parent link pose ∘ origin ∘ motion. Its
 * translation is the joint's origin point (a point on a revolute joint's axis), the keypoint of
 * that joint; in URDF this frame is also the child link's frame.
 */
export function jointFramePoses(urdf: Urdf, values: Record<string, number>): Map<string, Pose> {
  return solve(urdf, values).joints;
}
