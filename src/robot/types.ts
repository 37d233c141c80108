/**
 * A robot description as robosynth holds it after reading a URDF: plain data, metres and radians,
 * every pose a rigid transform parent <- child (Pose: p_parent = R * p_child + t).
 */
import type { Pose, Vec3 } from '../geometry/types.js';

export type RGBA = [number, number, number, number];

export type UrdfGeometry =
  | { type: 'mesh'; /** absolute path, package:// and relative URIs already resolved */ file: string; /** the URI as written, for messages */ uri: string; scale: Vec3 }
  | { type: 'box'; size: Vec3 }
  | { type: 'cylinder'; radius: number; length: number } // axis = local Z, centred
  | { type: 'sphere'; radius: number };

export interface UrdfMaterial {
  name?: string;
  color?: RGBA;
  texture?: string;
}

export interface UrdfVisual {
  name?: string;
  origin: Pose;
  geometry: UrdfGeometry;
  /** Resolved against the robot's top-level <material> definitions. */
  material?: UrdfMaterial;
}

export interface UrdfCollision {
  name?: string;
  origin: Pose;
  geometry: UrdfGeometry;
}

export interface UrdfLink {
  name: string;
  visuals: UrdfVisual[];
  collisions: UrdfCollision[];
}

export type UrdfJointType = 'revolute' | 'continuous' | 'prismatic' | 'fixed' | 'floating' | 'planar';

export interface UrdfJoint {
  name: string;
  type: UrdfJointType;
  parent: string;
  child: string;
  /** Parent link frame <- joint frame at q = 0. */
  origin: Pose;
  /** Unit axis in the joint frame. */
  axis: Vec3;
  limit?: { lower: number; upper: number; effort?: number; velocity?: number };
  /** This joint follows another: q = multiplier * q_other + offset. */
  mimic?: { joint: string; multiplier: number; offset: number };
}

export interface Urdf {
  name: string;
  /** Absolute path of the URDF file, for messages. */
  file: string;
  links: UrdfLink[];
  joints: UrdfJoint[];
  /** The one link that is no joint's child. */
  root: string;
}
