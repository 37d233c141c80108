/**
 * The frame description: the one truth of a frame, plain and serializable. Sampling produces it
 * from (seed, frame index) alone; physics settles its poses; the renderer and the labels are
 * views of it. World frame: right-handed, Z up, metres.
 */
import type { SensorEffects } from '../effects/sensor.js';
import type { Pose, Vec3 } from '../geometry/types.js';

export type RGB = [number, number, number];

export interface Material {
  color: RGB;
  roughness: number;
  metallic: number;
  /**
   * Key of the albedo texture drawn from the material's texture folder (the image's path relative
   * to the scene file), times `color`; absent: plain colour (or the model's own texture).
   */
  texture?: string;
  /** Repeats of `texture` per UV unit (both directions); set with `texture`. */
  textureScale?: number;
}

export type FrameLight =
  | { type: 'directional'; /** direction the light travels, world frame */ direction: Vec3; color: RGB; intensity: number; shadows: boolean }
  | { type: 'point'; position: Vec3; color: RGB; intensity: number; shadows: boolean }
  | { type: 'hemispheric'; color: RGB; groundColor: RGB; intensity: number };

export interface FrameCamera {
  width: number;
  height: number;
  /** OpenCV intrinsics: pixel (0, 0) has its centre at u = 0, v = 0. */
  fx: number;
  fy: number;
  cx: number;
  cy: number;
  near: number;
  far: number;
  /** World from OpenCV camera (x right, y down, z forward). */
  pose: Pose;
}

export interface FrameInstance {
  /** 1-based, unique within the frame; the value of this instance in the instance pass. */
  id: number;
  objId: number;
  className: string;
  /** Key of the model in the catalog. */
  model: string;
  material: Material;
  /** World from model, after physics. */
  pose: Pose;
  /** Set for the links of a robot: which robot and link this rigid body is. */
  robot?: { name: string; link: string };
  /** Draw the model's parts in their own colours (a robot's URDF and mesh colours) over `material.color`. */
  partColors?: boolean;
  /** A distractor: drawn and settled, but not labeled (the instance pass shows it as unlabeled structure). */
  unlabeled?: true;
}

/**
 * What a frame draws over its background colour, behind everything, in the colour image only
 * (the instance and depth pass never see it: background stays id 0, depth 0).
 */
export type Backdrop =
  /** A linear two-colour gradient over the whole image; angleDeg turns it counter-clockwise (0: `top` at the top edge). */
  | { gradient: { top: RGB; bottom: RGB; angleDeg: number } }
  /** Key of an image from the background's image folder (its path relative to the scene file), covering the image, centre-cropped. */
  | { image: string };

export interface FrameRobot {
  name: string;
  /** World <- robot base (root link). */
  base: Pose;
  /** Every joint value (rad or m), mimic joints included. */
  joints: Record<string, number>;
  /** Instance ids of the robot's links (their union is the whole robot's mask). */
  linkIds: number[];
  /** Keypoints in the world: movable joint origins, then the end effector. */
  keypoints: { name: string; position: Vec3 }[];
}

export interface FrameDescription {
  seed: number;
  index: number;
  camera: FrameCamera;
  /** The colour behind everything (the clear colour); what shows where a backdrop cannot be drawn. */
  background: RGB;
  /** A gradient or an image drawn over `background` (scenes with `background.gradient` or `.images`); absent: plain colour. */
  backdrop?: Backdrop;
  lights: FrameLight[];
  /** The table, ground, bin floor or shelf board, and the walls of a bin or shelf: drawn unlabeled, in one material. */
  support: { model: string; pose: Pose; material: Material; walls?: { model: string; pose: Pose }[] };
  instances: FrameInstance[];
  robots: FrameRobot[];
  /** How the poses came about, for the record. */
  physics: { attempts: number; steps: number };
  /** The sensor effects this frame's colour image gets after rendering (empty: none). */
  sensor: SensorEffects;
}
