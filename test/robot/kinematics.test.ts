/**
 * Forward kinematics against references derived independently of src/robot/kinematics.ts: the
 * UR5's standard DH table and the Panda's modified (Craig) DH table from Franka's documentation,
 * chained here with plain 4x4 matrices, at zero and at 20 seeded random configurations each.
 * Then the joint-value rules (actuated order, mimics, defaults, mistakes) on hand-made trees.
 */
import { describe, expect, it } from 'vitest';
import type { Pose } from '../../src/geometry/types.js';
import { actuatedJoints, forwardKinematics, jointFramePoses, resolveJointValues } from '../../src/robot/kinematics.js';
import { loadUrdf, parseUrdf } from '../../src/robot/urdf.js';
import { Rng } from '../../src/sampling/rng.js';
import { fixtureTitle, HAVE_FIXTURES, PACKAGES, PANDA_URDF, UR5_URDF, userError } from './fixtures.js';

// ---- An independent reference: 4x4 homogeneous matrices, row-major -----------------------------

type M4 = number[];

function mul(a: M4, b: M4): M4 {
  const r = new Array<number>(16).fill(0);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < 4; k++) r[i * 4 + j] += a[i * 4 + k] * b[k * 4 + j];
  return r;
}

const I4: M4 = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];

/** Standard (distal) DH: Rz(theta) Tz(d) Tx(a) Rx(alpha). */
function standardDh(theta: number, d: number, a: number, alpha: number): M4 {
  const [ct, st, ca, sa] = [Math.cos(theta), Math.sin(theta), Math.cos(alpha), Math.sin(alpha)];
  return [ct, -st * ca, st * sa, a * ct, st, ct * ca, -ct * sa, a * st, 0, sa, ca, d, 0, 0, 0, 1];
}

/** Modified (proximal, Craig) DH: Rx(alpha_{i-1}) Tx(a_{i-1}) Rz(theta_i) Tz(d_i). */
function modifiedDh(a: number, d: number, alpha: number, theta: number): M4 {
  const [ct, st, ca, sa] = [Math.cos(theta), Math.sin(theta), Math.cos(alpha), Math.sin(alpha)];
  return [ct, -st, 0, a, st * ca, ct * ca, -sa, -d * sa, st * sa, ct * sa, ca, d * ca, 0, 0, 0, 1];
}

const origin = (m: M4): number[] => [m[3], m[7], m[11]];
const zAxis = (m: M4): number[] => [m[2], m[6], m[10]];
const rotation = (m: M4): number[] => [m[0], m[1], m[2], m[4], m[5], m[6], m[8], m[9], m[10]];

/** Largest differences seen, reported with FK_REPORT=1. */
const worst = { position: 0, rotation: 0 };

function expectPosition(actual: number[], expected: number[], what: string): void {
  const error = Math.max(...actual.map((v, i) => Math.abs(v - expected[i])));
  worst.position = Math.max(worst.position, error);
  expect(error, `${what}: position ${actual.join(' ')} vs ${expected.join(' ')}`).toBeLessThan(1e-6);
}

function expectRotation(actual: number[], expected: number[], what: string): void {
  const error = Math.max(...actual.map((v, i) => Math.abs(v - expected[i])));
  worst.rotation = Math.max(worst.rotation, error);
  expect(error, `${what}: rotation`).toBeLessThan(1e-6);
}

/** With FK_REPORT=1, prints the largest differences of the test that just ran, then resets them. */
function report(robot: string): void {
  if (process.env.FK_REPORT) console.log(`${robot}: largest FK difference from DH: position ${worst.position.toExponential(2)} m, rotation entry ${worst.rotation.toExponential(2)}`);
  worst.position = 0;
  worst.rotation = 0;
}

function pose(map: Map<string, Pose>, name: string): Pose {
  const p = map.get(name);
  if (!p) throw new Error(`no pose for ${name}`);
  return p;
}

// ---- UR5 ----------------------------------------------------------------------------------------

/** UR5 standard DH parameters as Universal Robots publishes them (metres, radians). */
const UR5_DH = {
  d: [0.089159, 0, 0, 0.10915, 0.09465, 0.0823],
  a: [0, -0.425, -0.39225, 0, 0, 0],
  alpha: [Math.PI / 2, 0, 0, Math.PI / 2, -Math.PI / 2, 0],
};

/** Frames 0..6 of the DH chain: frames[i] = base <- frame i. */
function ur5Frames(q: number[]): M4[] {
  const frames = [I4];
  for (let i = 0; i < 6; i++) frames.push(mul(frames[i], standardDh(q[i], UR5_DH.d[i], UR5_DH.a[i], UR5_DH.alpha[i])));
  return frames;
}

/**
 * The constant offset between the URDF and the DH base. This ur_description (kinetic-devel) keeps
 * base_link rotated by 180° about Z relative to the controller's base frame, and says so: its
 * fixed joint "base_link-base_fixed_joint" has rpy="0 0 -pi" into the link "base" (the "UR 'Base'
 * coordinates"), which is the DH base frame. So base_link <- DH base = Rz(pi). At the tool end no
 * offset: tool0 is the "frame coincident with all-zeros TCP on UR controller", the DH frame 6.
 * With joint values equal (same zero, same signs), base_link <- tool0 = Rz(pi) · T06(q).
 */
const UR5_BASE_LINK_FROM_DH_BASE: M4 = [-1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];

/**
 * The UR5's URDF places some joint origins on the DH joint axes but not at the DH frame origins:
 * shoulder_lift_joint sits shoulder_offset = 0.13585 along z1 from DH origin 1, and elbow_joint and
 * wrist_1_joint sit shoulder_offset - elbow_offset = 0.13585 - 0.1197 = 0.01615 along z2 and z3
 * (UR's published link offsets, also listed in the file's comments). The other joint origins are
 * DH frame origins: shoulder_pan_joint = o1, wrist_2_joint = o4, wrist_3_joint = o5, tool0 = o6.
 */
const UR5_JOINT_POINTS: { joint: string; frame: number; along: number }[] = [
  { joint: 'shoulder_pan_joint', frame: 1, along: 0 },
  { joint: 'shoulder_lift_joint', frame: 1, along: 0.13585 },
  { joint: 'elbow_joint', frame: 2, along: 0.13585 - 0.1197 },
  { joint: 'wrist_1_joint', frame: 3, along: 0.13585 - 0.1197 },
  { joint: 'wrist_2_joint', frame: 4, along: 0 },
  { joint: 'wrist_3_joint', frame: 5, along: 0 },
];

const UR5_JOINTS = ['shoulder_pan_joint', 'shoulder_lift_joint', 'elbow_joint', 'wrist_1_joint', 'wrist_2_joint', 'wrist_3_joint'];

// ---- Panda --------------------------------------------------------------------------------------

/**
 * Franka Emika Panda, modified DH (Craig) from Franka's documentation: row i gives a_{i-1},
 * d_i, alpha_{i-1} of joint i; then the flange (d = 0.107, theta = 0).
 */
const PANDA_DH = {
  a: [0, 0, 0, 0.0825, -0.0825, 0, 0.088],
  d: [0.333, 0, 0.316, 0, 0.384, 0, 0],
  alpha: [0, -Math.PI / 2, Math.PI / 2, Math.PI / 2, -Math.PI / 2, Math.PI / 2, Math.PI / 2],
  flange: { a: 0, d: 0.107, alpha: 0 },
};

/** Frames 0..7 and the flange (index 8). With modified DH, frame i sits on joint i's axis. */
function pandaFrames(q: number[]): M4[] {
  const frames = [I4];
  for (let i = 0; i < 7; i++) frames.push(mul(frames[i], modifiedDh(PANDA_DH.a[i], PANDA_DH.d[i], PANDA_DH.alpha[i], q[i])));
  frames.push(mul(frames[7], modifiedDh(PANDA_DH.flange.a, PANDA_DH.flange.d, PANDA_DH.flange.alpha, 0)));
  return frames;
}

// Franka's DH frames are the URDF's link frames: panda_link0 = base, panda_link{i} = frame i,
// panda_link8 = flange. No constant offset at either end.

function configurations(name: string, lower: number[], upper: number[]): number[][] {
  const list = [lower.map(() => 0)];
  for (let i = 0; i < 20; i++) {
    const rng = new Rng('robot-fk-test', name, i);
    list.push(lower.map((lo, j) => rng.uniform(lo, upper[j])));
  }
  return list;
}

describe.skipIf(!HAVE_FIXTURES)(fixtureTitle('forward kinematics against published DH tables'), () => {
  it('UR5: tool0, wrist_3_link and every joint origin match the standard DH chain at zero and 20 random configurations', () => {
    const ur5 = loadUrdf(UR5_URDF, PACKAGES);
    // The DH base offset, as the file states it.
    const zero = forwardKinematics(ur5, {});
    expectRotation(pose(zero, 'base').R, rotation(UR5_BASE_LINK_FROM_DH_BASE), 'base_link <- base');
    expectPosition(pose(zero, 'base_link').t, [0, 0, 0], 'world <- base_link'); // the root "world" coincides with base_link

    // Joint limits are ±2π (elbow ±π); ±π covers every distinct configuration.
    for (const q of configurations('ur5', UR5_JOINTS.map(() => -Math.PI), UR5_JOINTS.map(() => Math.PI))) {
      const values = Object.fromEntries(UR5_JOINTS.map((name, i) => [name, q[i]]));
      const links = forwardKinematics(ur5, values);
      const joints = jointFramePoses(ur5, values);
      const dh = ur5Frames(q).map((frame) => mul(UR5_BASE_LINK_FROM_DH_BASE, frame));
      const what = `q = [${q.map((v) => v.toFixed(3)).join(', ')}]`;

      expectPosition(pose(links, 'tool0').t, origin(dh[6]), `${what} tool0`);
      expectRotation(pose(links, 'tool0').R, rotation(dh[6]), `${what} tool0`);
      expectPosition(pose(links, 'wrist_3_link').t, origin(dh[5]), `${what} wrist_3_link`);
      for (const { joint, frame, along } of UR5_JOINT_POINTS) {
        const o = origin(dh[frame]), z = zAxis(dh[frame]);
        expectPosition(pose(joints, joint).t, o.map((v, k) => v + along * z[k]), `${what} ${joint}`);
      }
    }
    report('UR5');
  });

  it('Panda: every link frame and the flange match the modified DH chain at zero and 20 random configurations', () => {
    const panda = loadUrdf(PANDA_URDF, PACKAGES);
    const arm = actuatedJoints(panda).slice(0, 7);
    expect(arm.map((j) => j.name)).toEqual(['panda_joint1', 'panda_joint2', 'panda_joint3', 'panda_joint4', 'panda_joint5', 'panda_joint6', 'panda_joint7']);
    const lower = arm.map((j) => j.limit?.lower ?? NaN), upper = arm.map((j) => j.limit?.upper ?? NaN);
    // The zero configuration lies outside joint 4's limits but is still a valid pose to compare.
    for (const q of configurations('panda', lower, upper)) {
      const values = Object.fromEntries(arm.map((j, i) => [j.name, q[i]]));
      const links = forwardKinematics(panda, values);
      const joints = jointFramePoses(panda, values);
      const dh = pandaFrames(q);
      const what = `q = [${q.map((v) => v.toFixed(3)).join(', ')}]`;
      for (let i = 1; i <= 7; i++) {
        expectPosition(pose(links, `panda_link${i}`).t, origin(dh[i]), `${what} panda_link${i}`);
        expectRotation(pose(links, `panda_link${i}`).R, rotation(dh[i]), `${what} panda_link${i}`);
        expectPosition(pose(joints, `panda_joint${i}`).t, origin(dh[i]), `${what} panda_joint${i}`);
        expectRotation(pose(joints, `panda_joint${i}`).R, rotation(dh[i]), `${what} panda_joint${i}`);
      }
      expectPosition(pose(links, 'panda_link8').t, origin(dh[8]), `${what} flange`);
      expectRotation(pose(links, 'panda_link8').R, rotation(dh[8]), `${what} flange`);
    }
    report('Panda');
  });

  it('Panda fingers: the prismatic finger moves along its axis and the mimic finger mirrors it', () => {
    const panda = loadUrdf(PANDA_URDF, PACKAGES);
    const values = resolveJointValues(panda, { panda_joint2: 0.4, panda_finger_joint1: 0.03 });
    expect(values.panda_finger_joint2).toBe(0.03);
    const links = forwardKinematics(panda, values);
    const hand = pose(links, 'panda_hand');
    // In the hand frame: both fingers at z = 0.0584, y = +0.03 (axis 0 1 0) and y = -0.03 (axis 0 -1 0).
    for (const [link, y] of [['panda_leftfinger', 0.03], ['panda_rightfinger', -0.03]] as const) {
      const p = pose(links, link).t;
      const d = [p[0] - hand.t[0], p[1] - hand.t[1], p[2] - hand.t[2]];
      // hand^T * d
      const local = [0, 1, 2].map((c) => hand.R[c] * d[0] + hand.R[3 + c] * d[1] + hand.R[6 + c] * d[2]);
      expectPosition(local, [0, y, 0.0584], link);
      expectRotation(pose(links, link).R, hand.R, link);
    }
  });
});

// ---- Joint values on hand-made trees ------------------------------------------------------------

/** A branching tree whose joints are listed out of tree order. */
const TREE = `<?xml version="1.0"?>
<robot name="tree">
  <link name="tip"/><link name="root"/><link name="a"/><link name="b"/><link name="c"/><link name="d"/><link name="e"/>
  <joint name="j_tip" type="prismatic"><parent link="b"/><child link="tip"/><origin xyz="0 0 0.5"/><axis xyz="0 0 2"/><limit lower="0" upper="1"/></joint>
  <joint name="j_c" type="continuous"><parent link="root"/><child link="c"/><origin xyz="0 1 0"/><axis xyz="1 0 0"/><mimic joint="j_a" multiplier="-2" offset="0.5"/></joint>
  <joint name="j_a" type="revolute"><parent link="root"/><child link="a"/><origin xyz="1 0 0"/><axis xyz="0 0 1"/><limit lower="-3" upper="3"/></joint>
  <joint name="j_b" type="continuous"><parent link="a"/><child link="b"/><origin xyz="1 0 0"/><axis xyz="0 0 1"/></joint>
  <joint name="j_d" type="floating"><parent link="c"/><child link="d"/><origin xyz="0 0 1"/></joint>
  <joint name="j_e" type="planar"><parent link="d"/><child link="e"/><origin xyz="0 0 1" rpy="0 0 1.5707963267948966"/><axis xyz="0 0 1"/></joint>
</robot>`;

describe('joint values and kinematics on a hand-made tree', () => {
  const tree = parseUrdf(TREE, 'tree.urdf', {});

  it('actuated joints are the movable, non-mimic ones in tree order from the root', () => {
    expect(actuatedJoints(tree).map((j) => j.name)).toEqual(['j_a', 'j_b', 'j_tip']);
  });

  it('fills missing values with 0 and mimic joints from their targets; the result can be passed back', () => {
    const values = resolveJointValues(tree, { j_a: 0.25 });
    expect(values).toEqual({ j_a: 0.25, j_b: 0, j_tip: 0, j_c: -2 * 0.25 + 0.5 });
    expect(resolveJointValues(tree, values)).toEqual(values);
    expect(resolveJointValues(tree, {})).toEqual({ j_a: 0, j_b: 0, j_tip: 0, j_c: 0.5 });
  });

  it('refuses unknown joints, values for joints that take none, inconsistent mimics and non-numbers', () => {
    expect(userError(() => resolveJointValues(tree, { j_x: 1 }))).toMatch(/robot "tree" has no joint "j_x" \(joints that take a value: j_a, j_b, j_tip\)$/);
    expect(userError(() => resolveJointValues(tree, { j_d: 1 }))).toMatch(/joint "j_d" is a floating joint and takes no value$/);
    expect(userError(() => resolveJointValues(tree, { j_a: 1, j_c: 1 }))).toMatch(/joint "j_c" mimics joint "j_a" and is -1.5 there, but was given 1; set "j_a" instead$/);
    expect(userError(() => resolveJointValues(tree, { j_a: NaN }))).toMatch(/joint "j_a": expected a finite number, got NaN$/);
  });

  it('revolute and continuous joints rotate about their axis, prismatic ones translate along their unit axis', () => {
    const links = forwardKinematics(tree, { j_a: Math.PI / 2, j_b: Math.PI / 2, j_tip: 0.3 });
    expect(pose(links, 'root')).toEqual({ R: [1, 0, 0, 0, 1, 0, 0, 0, 1], t: [0, 0, 0] });
    // a at (1,0,0) turned 90° about Z; b one unit along a's x = world y, turned another 90°.
    expectPosition(pose(links, 'a').t, [1, 0, 0], 'a');
    expectPosition(pose(links, 'b').t, [1, 1, 0], 'b');
    expectRotation(pose(links, 'b').R, [-1, 0, 0, 0, -1, 0, 0, 0, 1], 'b');
    // tip: 0.5 (origin) + 0.3 (q along the normalized axis 0 0 2) above b.
    expectPosition(pose(links, 'tip').t, [1, 1, 0.8], 'tip');
  });

  it('mimic joints move with their target; floating and planar joints stay at their origin', () => {
    const links = forwardKinematics(tree, { j_a: 1 });
    const angle = -2 * 1 + 0.5; // j_c = -2 j_a + 0.5, about X
    expectRotation(pose(links, 'c').R, [1, 0, 0, 0, Math.cos(angle), -Math.sin(angle), 0, Math.sin(angle), Math.cos(angle)], 'c');
    // d: 1 along c's z; e: 1 further along d's z, rotated 90° about Z by its origin only.
    const cz = [0, -Math.sin(angle), Math.cos(angle)];
    expectPosition(pose(links, 'd').t, [0, 1 + cz[1], cz[2]], 'd');
    expectPosition(pose(links, 'e').t, [0, 1 + 2 * cz[1], 2 * cz[2]], 'e');
  });

  it('joint frames are parent pose ∘ origin ∘ motion: the joint origin point, oriented as the child link', () => {
    const values = { j_a: 0.7, j_b: -1.2, j_tip: 0.4 };
    const links = forwardKinematics(tree, values);
    const joints = jointFramePoses(tree, values);
    expect([...joints.keys()].sort()).toEqual(tree.joints.map((j) => j.name).sort());
    for (const joint of tree.joints) expect(pose(joints, joint.name)).toEqual(pose(links, joint.child));
    // j_b's origin point: one unit along a's x axis from a.
    expectPosition(pose(joints, 'j_b').t, [1 + Math.cos(0.7), Math.sin(0.7), 0], 'j_b');
  });
});
