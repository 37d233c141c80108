/**
 * Authors the project's own robot description, robosynth_arm: a 6-axis arm of the size of a
 * ~5 kg-payload collaborative robot with a parallel-jaw gripper. Every mesh is built here from
 * lathed (revolved) profiles and boxes, so the geometry is ours and byte-for-byte reproducible.
 *
 *   npx tsx scripts/make-robot.ts                      # writes assets/robots/robosynth_arm/
 *   npx tsx scripts/make-robot.ts --out DIR            # writes the same files into DIR
 *   npx tsx scripts/make-robot.ts --preview FILE.png   # also rasterizes a silhouette check picture
 *
 * Written: robosynth_arm.urdf, configurations.json and meshes/*.stl (binary STL, metres, Z up,
 * counter-clockwise winding). README.md next to them is hand-written; its tables are checked
 * against the URDF by test/robot-asset.
 *
 * Conventions: every link frame is axis-aligned with base_link when all joints are 0 (the arm
 * then stands straight up, the "candle" pose), so every arm joint origin is a pure translation and
 * every arm axis is +X, +Y or +Z. Only the flange turns: its Z (the tool axis, as ROS tool0) is
 * wrist_3's +Y. Meshes are authored in their link's frame (visual origins are identity).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { boxMesh } from '../src/geometry/primitives.js';
import { mergeMeshes, transformMesh } from '../src/geometry/mesh-ops.js';
import type { Mat3, Pose, TriMesh, Vec3 } from '../src/geometry/types.js';

// ---------------------------------------------------------------------------------------------
// Kinematic dimensions (metres). DH-like parameters follow from them (see dhTable()).

/** shoulder_pan_joint above the mounting plate: the height of the base housing. */
const BASE_H = 0.09;
/** shoulder_lift axis above shoulder_pan_joint's origin (d1 = BASE_H + SHOULDER_H = 0.162). */
const SHOULDER_H = 0.072;
/** Sideways (+Y) offset of the upper arm's plane from the base axis. */
const SHOULDER_Y = 0.138;
/** Upper arm: shoulder_lift axis to elbow axis (a2). */
const UPPER_ARM = 0.425;
/** Sideways offset of the forearm's plane from the upper arm's plane. */
const ELBOW_Y = -0.115;
/** Forearm: elbow axis to wrist_1 axis (a3). */
const FOREARM = 0.392;
/** wrist_2 axis offset from the forearm's plane (d4 = SHOULDER_Y + ELBOW_Y + WRIST1_Y = 0.133). */
const WRIST1_Y = 0.11;
/** wrist_2_joint's origin along its axis, above the wrist_1 axis. */
const WRIST1_H = 0.05;
/** wrist_3 axis above wrist_2_joint's origin (d5 = WRIST1_H + WRIST2_H = 0.1). */
const WRIST2_H = 0.05;
/** wrist_3_joint's origin along its axis, from the wrist_2 axis. */
const WRIST2_Y = 0.05;
/** Flange face along the wrist_3 axis from wrist_3_joint's origin (d6 = WRIST2_Y + FLANGE_Y = 0.1). */
const FLANGE_Y = 0.05;
/** Finger joints (prismatic) below the flange, on the gripper body's underside. */
const FINGER_Z = 0.072;
/** Finger travel per finger: 0 (closed) to 0.04 m (open, 80 mm between the pads). */
const FINGER_TRAVEL = 0.04;
/** Fingers reach 0.056 below their joint: tips at 0.128 from the flange. */
const FINGER_LEN = 0.056;
/** The tool centre point, between the fingertips, 10 mm back from the tips. */
const TCP_Z = FINGER_Z + FINGER_LEN - 0.01;

const HALF_PI = Math.PI / 2;

// ---------------------------------------------------------------------------------------------
// Mesh building: closed surfaces of revolution ("lathe") and boxes, merged per link.

/** A meridian (r, z) from the bottom pole (r = 0) to the top pole (r = 0). */
type Profile = [number, number][];

/**
 * Revolves a profile about Z. Walking the profile from the bottom pole outwards, up and back in
 * to the top pole puts the outside on its right, so the quads below wind counter-clockwise seen
 * from outside; poles become triangle fans (no degenerate triangles). Closed by construction:
 * each ring's vertices are computed once and shared by both neighbouring bands.
 */
function lathe(profile: Profile, segments: number): TriMesh {
  const positions: number[] = [];
  const indices: number[] = [];
  const start: number[] = [];
  const ring: [number, number][] = [];
  for (let j = 0; j < segments; j++) {
    const a = (2 * Math.PI * j) / segments;
    ring.push([Math.cos(a), Math.sin(a)]);
  }
  for (const [r, z] of profile) {
    start.push(positions.length / 3);
    if (r === 0) positions.push(0, 0, z);
    else for (const [c, s] of ring) positions.push(r * c, r * s, z);
  }
  const at = (k: number, j: number): number => (profile[k][0] === 0 ? start[k] : start[k] + (j % segments));
  for (let k = 0; k + 1 < profile.length; k++) {
    for (let j = 0; j < segments; j++) {
      const a = at(k, j), b = at(k, j + 1), c = at(k + 1, j + 1), d = at(k + 1, j);
      if (profile[k][0] !== 0) indices.push(a, b, c);
      if (profile[k + 1][0] !== 0) indices.push(a, c, d);
    }
  }
  const p = new Float32Array(positions);
  return { positions: p, normals: new Float32Array(p.length), indices: new Uint32Array(indices) };
}

/** Quarter arc of radius f around (cr, cz) from angle a0 to a1, `steps` segments, end points included. */
function arc(cr: number, cz: number, f: number, a0: number, a1: number, steps: number): Profile {
  const out: Profile = [];
  for (let i = 0; i <= steps; i++) {
    const a = a0 + ((a1 - a0) * i) / steps;
    out.push([cr + f * Math.cos(a), cz + f * Math.sin(a)]);
  }
  return out;
}

/**
 * A closed cylinder along Z from z0 to z1, radius r0 at z0 tapering to r1 at z1, with rounded
 * (filleted) edges of radius f0 at the bottom and f1 at the top (0 = sharp).
 */
function cylinderProfile(r0: number, r1: number, z0: number, z1: number, f0 = 0, f1 = 0): Profile {
  const steps = 4;
  const p: Profile = [[0, z0]];
  if (f0 > 0) p.push(...arc(r0 - f0, z0 + f0, f0, -HALF_PI, 0, steps));
  else p.push([r0, z0]);
  if (f1 > 0) p.push(...arc(r1 - f1, z1 - f1, f1, 0, HALF_PI, steps));
  else p.push([r1, z1]);
  p.push([0, z1]);
  return p;
}

/** Rotations taking the lathe's Z axis onto X, Y or Z (exact integer matrices, det +1). */
const ONTO: Record<'x' | 'y' | 'z', Mat3> = {
  x: [0, 0, 1, 0, 1, 0, -1, 0, 0],
  y: [1, 0, 0, 0, 0, 1, 0, -1, 0],
  z: [1, 0, 0, 0, 1, 0, 0, 0, 1],
};

interface CylinderSpec {
  axis: 'x' | 'y' | 'z';
  /** Radius at `from` and at `to` (a number: both). */
  r: number | [number, number];
  /** Extent along the axis. */
  from: number;
  to: number;
  /** The axis line passes through this point (its coordinate along the axis is ignored). */
  at?: Vec3;
  /** Fillet radius at `from` and at `to`. */
  fillet?: [number, number];
  segments?: number;
}

/** A (filleted, possibly tapered) cylinder part of a link mesh. */
function cylinder(s: CylinderSpec): TriMesh {
  const [r0, r1] = typeof s.r === 'number' ? [s.r, s.r] : s.r;
  const [f0, f1] = s.fillet ?? [0, 0];
  const mesh = lathe(cylinderProfile(r0, r1, s.from, s.to, f0, f1), s.segments ?? segmentsFor(Math.max(r0, r1)));
  const at = s.at ?? [0, 0, 0];
  const t: Vec3 = [at[0], at[1], at[2]];
  t['xyz'.indexOf(s.axis)] = 0;
  return transformMesh(mesh, ONTO[s.axis], t);
}

/** About 5 mm chords on the big housings, fewer on small parts: smooth enough, light enough. */
function segmentsFor(r: number): number {
  return r >= 0.05 ? 64 : r >= 0.035 ? 48 : 32;
}

/** An axis-aligned box given by its min and max corners. */
function box(min: Vec3, max: Vec3): TriMesh {
  const size: Vec3 = [max[0] - min[0], max[1] - min[1], max[2] - min[2]];
  const centre: Vec3 = [(min[0] + max[0]) / 2, (min[1] + max[1]) / 2, (min[2] + max[2]) / 2];
  return transformMesh(boxMesh(size), ONTO.z, centre);
}

// ---------------------------------------------------------------------------------------------
// The robot: materials, links (meshes + collision primitives + mass), joints.

const MATERIALS: Record<string, [number, number, number, number]> = {
  housing_grey: [0.82, 0.83, 0.84, 1],
  joint_grey: [0.22, 0.23, 0.25, 1],
  flange_metal: [0.56, 0.57, 0.59, 1],
  finger_black: [0.04, 0.04, 0.04, 1],
};

type Collision =
  | { type: 'cylinder'; radius: number; length: number; xyz: Vec3; rpy: Vec3 }
  | { type: 'box'; size: Vec3; xyz: Vec3; rpy: Vec3 }
  | { type: 'sphere'; radius: number; xyz: Vec3; rpy: Vec3 };

/** A collision cylinder along an axis, from `from` to `to`, through `at`. */
function colCylinder(axis: 'x' | 'y' | 'z', radius: number, from: number, to: number, at: Vec3 = [0, 0, 0]): Collision {
  const xyz: Vec3 = [at[0], at[1], at[2]];
  xyz['xyz'.indexOf(axis)] = (from + to) / 2;
  const rpy: Vec3 = axis === 'x' ? [0, HALF_PI, 0] : axis === 'y' ? [-HALF_PI, 0, 0] : [0, 0, 0];
  return { type: 'cylinder', radius, length: to - from, xyz, rpy };
}

function colBox(min: Vec3, max: Vec3): Collision {
  return {
    type: 'box',
    size: [max[0] - min[0], max[1] - min[1], max[2] - min[2]],
    xyz: [(min[0] + max[0]) / 2, (min[1] + max[1]) / 2, (min[2] + max[2]) / 2],
    rpy: [0, 0, 0],
  };
}

interface Visual { mesh: string; material: string }
export interface LinkDef {
  name: string;
  /** kg; the inertia follows from the collision primitives at uniform density. */
  mass?: number;
  visuals: Visual[];
  collisions: Collision[];
}

export interface JointDef {
  name: string;
  type: 'revolute' | 'prismatic' | 'fixed';
  parent: string;
  child: string;
  xyz: Vec3;
  rpy: Vec3;
  axis?: Vec3;
  limit?: { lower: number; upper: number; effort: number; velocity: number };
  mimic?: { joint: string; multiplier: number; offset: number };
}

export interface Robot {
  links: LinkDef[];
  joints: JointDef[];
  meshes: Map<string, TriMesh>;
}

/** Builds the whole robot description in memory. */
export function buildRobot(): Robot {
  const meshes = new Map<string, TriMesh>();
  const mesh = (name: string, parts: TriMesh[]): string => {
    meshes.set(name, mergeMeshes(parts));
    return name;
  };
  const links: LinkDef[] = [];
  const link = (name: string, mass: number | undefined, visuals: [string, string][], collisions: Collision[]): void => {
    links.push({ name, mass, visuals: visuals.map(([m, material]) => ({ mesh: m, material })), collisions });
  };
  const R_PLATE = 0.075, R_BASE = 0.064, R_SH = 0.062, R_EL = 0.052, R_WR = 0.043, R_W3 = 0.04, R_FL = 0.0315;

  // base_link: mounting plate (dark) and the base housing up to shoulder_pan_joint.
  link('base_link', 4.0, [
    ['base', 'housing_grey'],
    ['base_caps', 'joint_grey'],
  ], [
    colCylinder('z', R_PLATE, 0, 0.014),
    colCylinder('z', R_BASE, 0.014, BASE_H),
  ]);
  mesh('base', [cylinder({ axis: 'z', r: R_BASE, from: 0.013, to: 0.085, fillet: [0, 0.008] })]);
  mesh('base_caps', [
    cylinder({ axis: 'z', r: R_PLATE, from: 0, to: 0.014, fillet: [0.001, 0.003] }),
    cylinder({ axis: 'z', r: 0.057, from: 0.083, to: BASE_H - 0.0005 }),
  ]);

  // shoulder_link: a column on the base axis turning into the shoulder_lift housing (along Y).
  const sh: Vec3 = [0, 0, SHOULDER_H];
  link('shoulder_link', 3.7, [
    ['shoulder', 'housing_grey'],
    ['shoulder_caps', 'joint_grey'],
  ], [
    colCylinder('z', R_SH, 0, SHOULDER_H),
    colCylinder('y', R_SH, -0.07, 0.075, sh),
  ]);
  mesh('shoulder', [
    cylinder({ axis: 'z', r: R_SH, from: 0.0015, to: SHOULDER_H, fillet: [0.004, 0] }),
    cylinder({ axis: 'y', r: R_SH, from: -0.066, to: 0.07, at: sh, fillet: [0.008, 0.008] }),
  ]);
  mesh('shoulder_caps', [
    cylinder({ axis: 'y', r: 0.048, from: -0.069, to: -0.065, at: sh, fillet: [0.002, 0] }),
    cylinder({ axis: 'y', r: 0.056, from: 0.069, to: SHOULDER_Y - 0.062 - 0.0015, at: sh }),
  ]);

  // upper_arm_link: shoulder housing, tube, elbow housing; the forearm runs in the plane ELBOW_Y.
  const el: Vec3 = [0, 0, UPPER_ARM];
  link('upper_arm_link', 8.4, [
    ['upper_arm', 'housing_grey'],
    ['upper_arm_caps', 'joint_grey'],
  ], [
    colCylinder('y', R_SH, -0.063, 0.064),
    colCylinder('z', 0.044, 0, UPPER_ARM),
    colCylinder('y', R_EL, -0.059, 0.064, el),
  ]);
  mesh('upper_arm', [
    cylinder({ axis: 'y', r: R_SH, from: -0.062, to: 0.06, fillet: [0.008, 0.008] }),
    cylinder({ axis: 'z', r: 0.044, from: 0, to: UPPER_ARM }),
    cylinder({ axis: 'y', r: R_EL, from: -0.058, to: 0.06, at: el, fillet: [0.007, 0.007] }),
  ]);
  mesh('upper_arm_caps', [
    cylinder({ axis: 'y', r: 0.05, from: 0.058, to: 0.0635, fillet: [0, 0.002] }),
    cylinder({ axis: 'y', r: 0.041, from: 0.058, to: 0.0635, at: el, fillet: [0, 0.002] }),
  ]);

  // forearm_link: elbow housing, a tapered tube, the wrist_1 housing.
  const w1: Vec3 = [0, 0, FOREARM];
  link('forearm_link', 2.3, [
    ['forearm', 'housing_grey'],
    ['forearm_caps', 'joint_grey'],
  ], [
    colCylinder('y', R_EL, -0.0545, 0.0555),
    colCylinder('z', 0.038, 0, FOREARM),
    colCylinder('y', R_WR, -0.0465, 0.0445, w1),
  ]);
  mesh('forearm', [
    cylinder({ axis: 'y', r: R_EL, from: -0.05, to: 0.052, fillet: [0.007, 0.007] }),
    cylinder({ axis: 'z', r: [0.038, 0.033], from: 0, to: FOREARM }),
    cylinder({ axis: 'y', r: R_WR, from: -0.043, to: 0.043, at: w1, fillet: [0.006, 0.004] }),
  ]);
  mesh('forearm_caps', [
    cylinder({ axis: 'y', r: 0.041, from: -0.054, to: -0.049, fillet: [0.002, 0] }),
    cylinder({ axis: 'y', r: 0.047, from: 0.051, to: -ELBOW_Y - 0.058 - 0.0015 }),
    cylinder({ axis: 'y', r: 0.033, from: -0.046, to: -0.042, at: w1, fillet: [0.0015, 0] }),
  ]);

  // wrist_1_link: an elbow piece from the wrist_1 axis out to the wrist_2 axis (along Z).
  const w2: Vec3 = [0, WRIST1_Y, 0];
  link('wrist_1_link', 1.2, [
    ['wrist_1', 'housing_grey'],
    ['wrist_1_caps', 'joint_grey'],
  ], [
    colCylinder('y', R_WR, 0.044, WRIST1_Y),
    colCylinder('z', R_WR, -0.0465, WRIST1_H, w2),
  ]);
  mesh('wrist_1', [
    cylinder({ axis: 'y', r: R_WR, from: 0.047, to: WRIST1_Y, fillet: [0.004, 0] }),
    cylinder({ axis: 'z', r: R_WR, from: -0.043, to: 0.046, at: w2, fillet: [0.006, 0.003] }),
  ]);
  mesh('wrist_1_caps', [
    cylinder({ axis: 'y', r: 0.038, from: 0.0445, to: 0.0475 }),
    cylinder({ axis: 'z', r: 0.033, from: -0.046, to: -0.042, at: w2, fillet: [0.0015, 0] }),
    cylinder({ axis: 'z', r: 0.038, from: 0.045, to: WRIST1_H - 0.0005, at: w2 }),
  ]);

  // wrist_2_link: from the wrist_2 joint up into the wrist_3 housing (along Y).
  const w3: Vec3 = [0, 0, WRIST2_H];
  link('wrist_2_link', 1.2, [
    ['wrist_2', 'housing_grey'],
    ['wrist_2_caps', 'joint_grey'],
  ], [
    colCylinder('z', R_WR, 0, WRIST2_H),
    colCylinder('y', R_WR, -0.0465, WRIST2_Y, w3),
  ]);
  mesh('wrist_2', [
    cylinder({ axis: 'z', r: R_WR, from: 0.0015, to: WRIST2_H }),
    cylinder({ axis: 'y', r: R_WR, from: -0.043, to: 0.045, at: w3, fillet: [0.006, 0.003] }),
  ]);
  mesh('wrist_2_caps', [
    cylinder({ axis: 'y', r: 0.033, from: -0.046, to: -0.042, at: w3, fillet: [0.0015, 0] }),
    cylinder({ axis: 'y', r: 0.037, from: 0.044, to: WRIST2_Y - 0.0005, at: w3 }),
  ]);

  // wrist_3_link: the last housing and the flange neck.
  link('wrist_3_link', 0.25, [
    ['wrist_3', 'housing_grey'],
    ['wrist_3_caps', 'joint_grey'],
  ], [colCylinder('y', R_W3, 0, FLANGE_Y - 0.008)]);
  mesh('wrist_3', [cylinder({ axis: 'y', r: R_W3, from: 0.0015, to: 0.038, fillet: [0, 0.004] })]);
  mesh('wrist_3_caps', [cylinder({ axis: 'y', r: 0.033, from: 0.037, to: FLANGE_Y - 0.008 })]);

  // flange: ISO 9409-1-50-4 sized plate (63 mm); its face is the link origin, Z points out.
  link('flange', 0.05, [['flange', 'flange_metal']], [colCylinder('z', R_FL, -0.008, 0)]);
  mesh('flange', [cylinder({ axis: 'z', r: R_FL, from: -0.008, to: 0, fillet: [0, 0.001] })]);

  // hand: coupling and a stadium-shaped gripper body; the fingers ride on its underside.
  const HW = 0.03, HL = 0.035, HB = 0.01; // half width (x), half straight length (y), coupling
  link('hand', 0.7, [
    ['hand', 'housing_grey'],
    ['hand_caps', 'joint_grey'],
  ], [
    colCylinder('z', 0.032, 0, HB),
    colBox([-HW, -HL - HW, HB], [HW, HL + HW, FINGER_Z]),
  ]);
  mesh('hand', [
    box([-HW, -HL, HB], [HW, HL, FINGER_Z]),
    cylinder({ axis: 'z', r: HW, from: HB, to: FINGER_Z, at: [0, HL, 0] }),
    cylinder({ axis: 'z', r: HW, from: HB, to: FINGER_Z, at: [0, -HL, 0] }),
  ]);
  mesh('hand_caps', [cylinder({ axis: 'z', r: 0.032, from: 0, to: HB + 0.001 })]);

  // Fingers: one mesh; the right finger's joint is turned half a turn about Z. The pad faces
  // y = +0.5 mm, so closed fingers leave 1 mm between the pads.
  for (const side of ['left', 'right']) {
    link(`${side}_finger`, 0.03, [['finger', 'finger_black']], [
      colBox([-0.013, 0.003, 0], [0.013, 0.027, 0.013]),
      colBox([-0.01, 0, 0.013], [0.01, 0.0105, FINGER_LEN]),
    ]);
  }
  mesh('finger', [
    box([-0.013, 0.003, 0.001], [0.013, 0.027, 0.013]),
    box([-0.01, 0.0005, 0.0125], [0.01, 0.0105, FINGER_LEN]),
  ]);

  links.push({ name: 'tcp', visuals: [], collisions: [] });

  const TWO_PI = 2 * Math.PI;
  const rev = (name: string, parent: string, child: string, xyz: Vec3, axis: Vec3, range: number, effort: number, velocity: number): JointDef => ({
    name, type: 'revolute', parent, child, xyz, rpy: [0, 0, 0], axis, limit: { lower: -range, upper: range, effort, velocity },
  });
  const fixed = (name: string, parent: string, child: string, xyz: Vec3, rpy: Vec3 = [0, 0, 0]): JointDef => ({
    name, type: 'fixed', parent, child, xyz, rpy,
  });
  const fingerLimit = { lower: 0, upper: FINGER_TRAVEL, effort: 70, velocity: 0.1 };
  const joints: JointDef[] = [
    rev('shoulder_pan_joint', 'base_link', 'shoulder_link', [0, 0, BASE_H], [0, 0, 1], TWO_PI, 150, Math.PI),
    rev('shoulder_lift_joint', 'shoulder_link', 'upper_arm_link', [0, SHOULDER_Y, SHOULDER_H], [0, 1, 0], TWO_PI, 150, Math.PI),
    rev('elbow_joint', 'upper_arm_link', 'forearm_link', [0, ELBOW_Y, UPPER_ARM], [0, 1, 0], Math.PI, 150, Math.PI),
    rev('wrist_1_joint', 'forearm_link', 'wrist_1_link', [0, 0, FOREARM], [0, 1, 0], TWO_PI, 28, Math.PI),
    rev('wrist_2_joint', 'wrist_1_link', 'wrist_2_link', [0, WRIST1_Y, WRIST1_H], [0, 0, 1], TWO_PI, 28, Math.PI),
    rev('wrist_3_joint', 'wrist_2_link', 'wrist_3_link', [0, WRIST2_Y, WRIST2_H], [0, 1, 0], TWO_PI, 28, Math.PI),
    fixed('flange_joint', 'wrist_3_link', 'flange', [0, FLANGE_Y, 0], [-HALF_PI, 0, 0]),
    fixed('hand_joint', 'flange', 'hand', [0, 0, 0]),
    {
      name: 'left_finger_joint', type: 'prismatic', parent: 'hand', child: 'left_finger',
      xyz: [0, 0, FINGER_Z], rpy: [0, 0, 0], axis: [0, 1, 0], limit: fingerLimit,
    },
    {
      name: 'right_finger_joint', type: 'prismatic', parent: 'hand', child: 'right_finger',
      xyz: [0, 0, FINGER_Z], rpy: [0, 0, Math.PI], axis: [0, 1, 0], limit: fingerLimit,
      mimic: { joint: 'left_finger_joint', multiplier: 1, offset: 0 },
    },
    fixed('tcp_joint', 'hand', 'tcp', [0, 0, TCP_Z]),
  ];
  return { links, joints, meshes };
}

/** Named configurations (radians, metres); the mimic joint follows left_finger_joint. */
export const CONFIGURATIONS: Record<string, Record<string, number>> = {
  zero: {
    shoulder_pan_joint: 0, shoulder_lift_joint: 0, elbow_joint: 0,
    wrist_1_joint: 0, wrist_2_joint: 0, wrist_3_joint: 0, left_finger_joint: 0,
  },
  // Upper arm leaning back 45 degrees, forearm folded forward to horizontal above the base,
  // tool pointing straight down, gripper half open.
  home: {
    shoulder_pan_joint: 0, shoulder_lift_joint: -Math.PI / 4, elbow_joint: (3 * Math.PI) / 4,
    wrist_1_joint: 0, wrist_2_joint: -HALF_PI, wrist_3_joint: 0, left_finger_joint: 0.02,
  },
};

/** Standard DH rows [theta offset, d, a, alpha] for joints 1..6 and the flange (derived in README.md). */
export function dhTable(): { theta: number; d: number; a: number; alpha: number }[] {
  return [
    { theta: 0, d: BASE_H + SHOULDER_H, a: 0, alpha: -HALF_PI },
    { theta: -HALF_PI, d: 0, a: UPPER_ARM, alpha: 0 },
    { theta: 0, d: 0, a: FOREARM, alpha: 0 },
    { theta: HALF_PI, d: SHOULDER_Y + ELBOW_Y + WRIST1_Y, a: 0, alpha: HALF_PI },
    { theta: 0, d: WRIST1_H + WRIST2_H, a: 0, alpha: -HALF_PI },
    { theta: 0, d: WRIST2_Y + FLANGE_Y, a: 0, alpha: 0 },
  ];
}

// ---------------------------------------------------------------------------------------------
// Writing: URDF text, binary STL, configurations.

/** Numbers in the URDF and JSON: 12 significant digits (float noise below 1e-12 is 0), no exponent. */
function num(x: number): string {
  if (Math.abs(x) < 1e-12) return '0';
  const r = Number(x.toPrecision(12));
  const s = String(r);
  return s.includes('e') ? r.toFixed(15).replace(/0+$/, '') : s;
}
const vec = (v: number[]): string => v.map(num).join(' ');

function rpyToMat3([r, p, y]: Vec3): Mat3 {
  const cr = Math.cos(r), sr = Math.sin(r), cp = Math.cos(p), sp = Math.sin(p), cy = Math.cos(y), sy = Math.sin(y);
  return [
    cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr,
    sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr,
    -sp, cp * sr, cp * cr,
  ];
}

/** Mass, centre of mass and inertia about it, from the collision primitives at uniform density. */
function inertial(l: LinkDef): { com: Vec3; I: number[] } {
  const parts = l.collisions.map((c) => {
    let V: number, Ic: [number, number, number]; // volume, principal inertia per unit mass
    if (c.type === 'cylinder') {
      V = Math.PI * c.radius ** 2 * c.length;
      const rr = c.radius ** 2, ll = c.length ** 2;
      Ic = [(3 * rr + ll) / 12, (3 * rr + ll) / 12, rr / 2];
    } else if (c.type === 'box') {
      const [x, y, z] = c.size;
      V = x * y * z;
      Ic = [(y * y + z * z) / 12, (x * x + z * z) / 12, (x * x + y * y) / 12];
    } else {
      V = (4 / 3) * Math.PI * c.radius ** 3;
      Ic = [0.4 * c.radius ** 2, 0.4 * c.radius ** 2, 0.4 * c.radius ** 2];
    }
    return { V, Ic, R: rpyToMat3(c.rpy), t: c.xyz };
  });
  const Vt = parts.reduce((s, p) => s + p.V, 0);
  const m = l.mass ?? 0;
  const com: Vec3 = [0, 0, 0];
  for (const p of parts) for (let k = 0; k < 3; k++) com[k] += (p.V / Vt) * p.t[k];
  const I = new Array<number>(9).fill(0);
  for (const p of parts) {
    const mi = (m * p.V) / Vt;
    const d = [p.t[0] - com[0], p.t[1] - com[1], p.t[2] - com[2]];
    const dd = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let rir = 0; // (R diag(Ic) R^T)_ij
        for (let k = 0; k < 3; k++) rir += p.R[i * 3 + k] * p.Ic[k] * p.R[j * 3 + k];
        I[i * 3 + j] += mi * (rir + (i === j ? dd : 0) - d[i] * d[j]);
      }
    }
  }
  return { com, I };
}

function geometryXml(c: Collision): string {
  switch (c.type) {
    case 'cylinder': return `<cylinder radius="${num(c.radius)}" length="${num(c.length)}"/>`;
    case 'box': return `<box size="${vec(c.size)}"/>`;
    case 'sphere': return `<sphere radius="${num(c.radius)}"/>`;
  }
}

export function urdfText(robot: Robot): string {
  const L: string[] = [];
  L.push('<?xml version="1.0" encoding="utf-8"?>');
  L.push('<!-- robosynth_arm: the robosynth project\'s own 6-axis arm with a parallel-jaw gripper.');
  L.push('     Generated by scripts/make-robot.ts (npx tsx scripts/make-robot.ts); edit the script, not this file.');
  L.push('     Metres, radians, Z up; see README.md. Licence: MIT, as the robosynth project. -->');
  L.push('<robot name="robosynth_arm">');
  for (const [name, rgba] of Object.entries(MATERIALS)) {
    L.push(`  <material name="${name}">`, `    <color rgba="${vec(rgba)}"/>`, '  </material>');
  }
  for (const l of robot.links) {
    if (l.visuals.length === 0 && l.collisions.length === 0) {
      L.push(`  <link name="${l.name}"/>`);
      continue;
    }
    L.push(`  <link name="${l.name}">`);
    for (const v of l.visuals) {
      L.push(
        `    <visual name="${v.mesh}">`,
        '      <origin xyz="0 0 0" rpy="0 0 0"/>',
        `      <geometry><mesh filename="package://robosynth_arm/meshes/${v.mesh}.stl"/></geometry>`,
        `      <material name="${v.material}"/>`,
        '    </visual>',
      );
    }
    for (const c of l.collisions) {
      L.push(
        '    <collision>',
        `      <origin xyz="${vec(c.xyz)}" rpy="${vec(c.rpy)}"/>`,
        `      <geometry>${geometryXml(c)}</geometry>`,
        '    </collision>',
      );
    }
    if (l.mass !== undefined) {
      const { com, I } = inertial(l);
      L.push(
        '    <inertial>',
        `      <origin xyz="${vec(com)}" rpy="0 0 0"/>`,
        `      <mass value="${num(l.mass)}"/>`,
        `      <inertia ixx="${num(I[0])}" ixy="${num(I[1])}" ixz="${num(I[2])}" iyy="${num(I[4])}" iyz="${num(I[5])}" izz="${num(I[8])}"/>`,
        '    </inertial>',
      );
    }
    L.push('  </link>');
  }
  for (const j of robot.joints) {
    L.push(`  <joint name="${j.name}" type="${j.type}">`);
    L.push(`    <parent link="${j.parent}"/>`, `    <child link="${j.child}"/>`);
    L.push(`    <origin xyz="${vec(j.xyz)}" rpy="${vec(j.rpy)}"/>`);
    if (j.axis) L.push(`    <axis xyz="${vec(j.axis)}"/>`);
    if (j.limit) {
      const { lower, upper, effort, velocity } = j.limit;
      L.push(`    <limit lower="${num(lower)}" upper="${num(upper)}" effort="${num(effort)}" velocity="${num(velocity)}"/>`);
    }
    if (j.mimic) L.push(`    <mimic joint="${j.mimic.joint}" multiplier="${num(j.mimic.multiplier)}" offset="${num(j.mimic.offset)}"/>`);
    L.push('  </joint>');
  }
  L.push('</robot>');
  return L.join('\n') + '\n';
}

/** Binary STL: 80-byte header, triangle count, then normal + 3 vertices + 2 attribute bytes each. */
export function stlBytes(name: string, m: TriMesh): Buffer {
  const count = m.indices.length / 3;
  const out = Buffer.alloc(84 + 50 * count);
  out.write(`robosynth_arm ${name}: metres, Z up (scripts/make-robot.ts)`.slice(0, 80), 0, 'latin1');
  out.writeUInt32LE(count, 80);
  const p = m.positions;
  for (let t = 0; t < count; t++) {
    const o = 84 + 50 * t;
    const [a, b, c] = [3 * m.indices[3 * t], 3 * m.indices[3 * t + 1], 3 * m.indices[3 * t + 2]];
    const u = [p[b] - p[a], p[b + 1] - p[a + 1], p[b + 2] - p[a + 2]];
    const v = [p[c] - p[a], p[c + 1] - p[a + 1], p[c + 2] - p[a + 2]];
    const n = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
    const len = Math.hypot(n[0], n[1], n[2]) || 1;
    for (let k = 0; k < 3; k++) out.writeFloatLE(n[k] / len, o + 4 * k);
    [a, b, c].forEach((vi, i) => {
      for (let k = 0; k < 3; k++) out.writeFloatLE(p[vi + k], o + 12 + 12 * i + 4 * k);
    });
  }
  return out;
}

/** Writes the URDF, the meshes and configurations.json into `dir`; returns triangle counts per mesh. */
export function writeRobot(dir: string): Map<string, number> {
  const robot = buildRobot();
  mkdirSync(join(dir, 'meshes'), { recursive: true });
  const counts = new Map<string, number>();
  for (const [name, m] of robot.meshes) {
    writeFileSync(join(dir, 'meshes', `${name}.stl`), stlBytes(name, m));
    counts.set(name, m.indices.length / 3);
  }
  writeFileSync(join(dir, 'robosynth_arm.urdf'), urdfText(robot));
  const rounded = Object.fromEntries(
    Object.entries(CONFIGURATIONS).map(([k, q]) => [k, Object.fromEntries(Object.entries(q).map(([j, v]) => [j, Number(num(v))]))]),
  );
  writeFileSync(join(dir, 'configurations.json'), JSON.stringify(rounded, null, 2) + '\n');
  return counts;
}

// ---------------------------------------------------------------------------------------------
// Forward kinematics from the joint table (for the preview; the tests use the URDF itself).

function mul(a: Pose, b: Pose): Pose {
  const R = new Array<number>(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) R[i * 3 + j] = a.R[i * 3] * b.R[j] + a.R[i * 3 + 1] * b.R[3 + j] + a.R[i * 3 + 2] * b.R[6 + j];
  const t: Vec3 = [0, 0, 0];
  for (let i = 0; i < 3; i++) t[i] = a.R[i * 3] * b.t[0] + a.R[i * 3 + 1] * b.t[1] + a.R[i * 3 + 2] * b.t[2] + a.t[i];
  return { R, t };
}

function axisAngle([x, y, z]: Vec3, q: number): Mat3 {
  const c = Math.cos(q), s = Math.sin(q), C = 1 - c;
  return [
    c + x * x * C, x * y * C - z * s, x * z * C + y * s,
    y * x * C + z * s, c + y * y * C, y * z * C - x * s,
    z * x * C - y * s, z * y * C + x * s, c + z * z * C,
  ];
}

/** World (base_link) pose of every link for joint values q (missing joints: 0; mimics follow). */
export function linkPoses(robot: Robot, q: Record<string, number>): Map<string, Pose> {
  const poses = new Map<string, Pose>([['base_link', { R: [1, 0, 0, 0, 1, 0, 0, 0, 1], t: [0, 0, 0] }]]);
  const value = (j: JointDef): number => (j.mimic ? j.mimic.multiplier * (q[j.mimic.joint] ?? 0) + j.mimic.offset : q[j.name] ?? 0);
  for (const j of robot.joints) { // listed parent before child
    const parent = poses.get(j.parent);
    if (!parent) throw new Error(`joint ${j.name}: parent ${j.parent} has no pose yet`);
    let pose = mul(parent, { R: rpyToMat3(j.rpy), t: j.xyz });
    const v = value(j);
    if (j.type === 'revolute') pose = mul(pose, { R: axisAngle(j.axis!, v), t: [0, 0, 0] });
    if (j.type === 'prismatic') pose = mul(pose, { R: [1, 0, 0, 0, 1, 0, 0, 0, 1], t: [j.axis![0] * v, j.axis![1] * v, j.axis![2] * v] });
    poses.set(j.child, pose);
  }
  return poses;
}

// ---------------------------------------------------------------------------------------------
// Preview: per-visual silhouettes (src/labels/silhouette.ts) painted far to near, flat colours.

async function preview(dir: string, file: string): Promise<void> {
  const { loadMeshFile } = await import('../src/geometry/mesh-files.js');
  const { rasterizeSilhouette } = await import('../src/labels/silhouette.js');
  const { encodePngSync } = await import('../src/writers/png.js');
  const robot = buildRobot();
  const meshes = new Map<string, TriMesh>();
  for (const name of robot.meshes.keys()) {
    meshes.set(name, await loadMeshFile(join(dir, 'meshes', `${name}.stl`), { unit: 'm', up: 'z', scale: 1 }));
  }
  const PW = 420, PH = 640, D = 6; // panel size (px), camera distance (m)
  // Camera orientations (rows: camera x right, y down, z forward, in world coordinates).
  const side: Mat3 = [1, 0, 0, 0, 0, -1, 0, 1, 0];
  const front: Mat3 = [0, 1, 0, 0, 0, -1, -1, 0, 0];
  const views: { title: string; q: Record<string, number>; R: Mat3; F: number; target: Vec3 }[] = [
    { title: 'home, side (looking +Y)', q: CONFIGURATIONS.home, R: side, F: 2600, target: [0, 0, 0.6] },
    { title: 'home, front (looking -X)', q: CONFIGURATIONS.home, R: front, F: 2600, target: [0, 0, 0.6] },
    { title: 'zero, side (looking +Y)', q: CONFIGURATIONS.zero, R: side, F: 2600, target: [0, 0, 0.6] },
    { title: 'home, wrist and gripper (side, 3x)', q: CONFIGURATIONS.home, R: side, F: 7800, target: [0.15, 0, 0.33] },
  ];
  const W = PW * views.length;
  const img = new Uint8Array(W * PH * 3).fill(255);
  views.forEach((view, vi) => {
    const { target, F } = view;
    // Camera centre D metres back from the target along the view direction (row 2).
    const c: Vec3 = [target[0] - D * view.R[6], target[1] - D * view.R[7], target[2] - D * view.R[8]];
    const t: Vec3 = [0, 0, 0];
    for (let i = 0; i < 3; i++) t[i] = -(view.R[i * 3] * c[0] + view.R[i * 3 + 1] * c[1] + view.R[i * 3 + 2] * c[2]);
    const cam: Pose = { R: view.R, t };
    const K = { fx: F, fy: F, cx: PW / 2, cy: PH / 2, width: PW, height: PH };
    const put = (x: number, y: number, rgb: number[]): void => {
      if (x < 0 || y < 0 || x >= PW || y >= PH) return;
      const o = (y * W + vi * PW + x) * 3;
      img[o] = rgb[0]; img[o + 1] = rgb[1]; img[o + 2] = rgb[2];
    };
    // A 0.1 m grid in the view plane through the target, and the floor line.
    const project = (p: Vec3): [number, number] => {
      const X = view.R[0] * p[0] + view.R[1] * p[1] + view.R[2] * p[2] + t[0];
      const Y = view.R[3] * p[0] + view.R[4] * p[1] + view.R[5] * p[2] + t[1];
      const Z = view.R[6] * p[0] + view.R[7] * p[1] + view.R[8] * p[2] + t[2];
      return [Math.round((F * X) / Z + K.cx), Math.round((F * Y) / Z + K.cy)];
    };
    const right: Vec3 = [view.R[0], view.R[1], view.R[2]];
    for (let k = -10; k <= 10; k++) {
      const [x] = project([right[0] * k * 0.1, right[1] * k * 0.1, 0]);
      for (let y = 0; y < PH; y++) put(x, y, [225, 232, 240]);
    }
    for (let k = 0; k <= 14; k++) {
      const [, y] = project([0, 0, k * 0.1]);
      for (let x = 0; x < PW; x++) put(x, y, k === 0 ? [120, 120, 120] : [225, 232, 240]);
    }
    const poses = linkPoses(robot, view.q);
    const items: { depth: number; mesh: TriMesh; pose: Pose; rgba: number[]; shade: number }[] = [];
    robot.links.forEach((l, li) => {
      const pose = poses.get(l.name)!;
      for (const v of l.visuals) {
        const m = meshes.get(v.mesh)!;
        const cp = mul(cam, pose);
        let depth = 0;
        for (let i = 0; i < m.positions.length; i += 3) {
          depth += cp.R[6] * m.positions[i] + cp.R[7] * m.positions[i + 1] + cp.R[8] * m.positions[i + 2] + cp.t[2];
        }
        depth /= m.positions.length / 3;
        items.push({ depth, mesh: m, pose: cp, rgba: MATERIALS[v.material], shade: li % 2 ? 0.9 : 1 });
      }
    });
    items.sort((a, b) => b.depth - a.depth);
    for (const it of items) {
      const s = rasterizeSilhouette(it.mesh, it.pose, K);
      const { x0, y0, w, h, data } = s.mask;
      const rgb = it.rgba.slice(0, 3).map((c) => Math.round(255 * Math.min(1, c * it.shade)));
      for (let j = 0; j < h; j++) {
        for (let i = 0; i < w; i++) {
          if (!data[j * w + i]) continue;
          // Darken the silhouette's own border so overlapping parts stay apart.
          const edge = !data[j * w + i - 1] || !data[j * w + i + 1] || !data[(j - 1) * w + i] || !data[(j + 1) * w + i] ||
            i === 0 || j === 0 || i === w - 1 || j === h - 1;
          put(x0 + i, y0 + j, edge ? rgb.map((c) => c * 0.45) : rgb);
        }
      }
    }
    for (let y = 0; y < PH; y++) put(PW - 1, y, [0, 0, 0]);
    console.log(`preview panel ${vi + 1}: ${view.title}; grid 0.1 m`);
  });
  writeFileSync(file, encodePngSync(img, W, PH, 'rgb8'));
  console.log(`preview: ${file}`);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let out = fileURLToPath(new URL('../assets/robots/robosynth_arm', import.meta.url));
  let previewFile: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--out' && args[i + 1]) out = resolve(args[++i]);
    else if (args[i] === '--preview' && args[i + 1]) previewFile = resolve(args[++i]);
    else throw new Error(`usage: make-robot.ts [--out DIR] [--preview FILE.png] (got ${args[i]})`);
  }
  const counts = writeRobot(out);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  console.log(`robosynth_arm written to ${out}: ${counts.size} meshes, ${total} triangles`);
  for (const [name, n] of counts) console.log(`  ${name}.stl ${n}`);
  if (previewFile) await preview(out, previewFile);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
