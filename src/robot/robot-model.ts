/**
 * A robot of a scene, ready for a batch: its URDF, one rigid labeled model per link that has
 * visual geometry (each link is a BOP object with its own obj_id and model file — a robot as a
 * whole is not rigid, its links are), the collision shapes physics needs, and the keypoint
 * layout (every movable joint's origin, then the end effector). Meshes are parsed once per batch.
 */
import { dirname, resolve } from 'node:path';
import type { MeshLoadOptions } from '../geometry/mesh-files.js';
import { mergeMeshes, transformMesh } from '../geometry/mesh-ops.js';
import type { MeshPart } from '../geometry/mesh-parts.js';
import { boxMesh, cylinderMesh, sphereMesh } from '../geometry/primitives.js';
import type { Mat3, Pose, TriMesh } from '../geometry/types.js';
import { mulMat3 } from '../geometry/transforms.js';
import type { CollisionShape } from '../physics/settle.js';
import type { RGB } from '../scene/frame.js';
import type { RobotSpec } from '../scene/schema.js';
import { UserError } from '../errors.js';
import { actuatedJoints } from './kinematics.js';
import type { Urdf, UrdfGeometry, UrdfJoint } from './types.js';

export type PartLoader = (path: string, options: MeshLoadOptions) => Promise<MeshPart[]>;
export type UrdfLoader = (path: string, packages: Record<string, string>) => Urdf;

/** One renderable piece of a link (or of a textured object model): a mesh in the model frame with its own colour. */
export interface LinkPart {
  key: string;
  mesh: TriMesh;
  color?: RGB;
  /** Absolute path of its texture image (drawn times the instance's colour). */
  texture?: string;
}

export interface RobotLinkModel {
  link: string;
  objId: number;
  /** Model key (renderer, writers): `${robot}.${link}`. */
  key: string;
  /** All visuals merged, in the link frame: the BOP model and the silhouette source. */
  mesh: TriMesh;
  parts: LinkPart[];
}

export interface RobotCollider {
  link: string;
  shape: CollisionShape;
  /** Link frame <- shape frame. */
  origin: Pose;
}

export interface RobotModel {
  name: string;
  spec: RobotSpec;
  urdf: Urdf;
  links: RobotLinkModel[];
  colliders: RobotCollider[];
  /** Joints sampled per frame, in tree order. */
  actuated: UrdfJoint[];
  /** Keypoints: movable joint origins, then the end effector. */
  keypoints: { name: string; joint?: string; link?: string }[];
  /** Pairs of keypoint indices (0-based) along the kinematic tree. */
  skeleton: [number, number][];
  endEffector: string;
  /** Links joined by a joint: their collision shapes may touch. */
  adjacent: Set<string>;
}

const IDENTITY: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

function primitiveMesh(geometry: Exclude<UrdfGeometry, { type: 'mesh' }>): TriMesh {
  if (geometry.type === 'box') return boxMesh(geometry.size);
  if (geometry.type === 'cylinder') return cylinderMesh(geometry.radius, geometry.length);
  return sphereMesh(geometry.radius);
}

function scaleMatrix(R: Mat3, s: [number, number, number]): Mat3 {
  return mulMat3(R, [s[0], 0, 0, 0, s[1], 0, 0, 0, s[2]]);
}

function collisionShape(geometry: UrdfGeometry, mesh?: TriMesh): CollisionShape {
  if (geometry.type === 'box') return { type: 'box', size: geometry.size };
  if (geometry.type === 'cylinder') return { type: 'cylinder', radius: geometry.radius, height: geometry.length };
  if (geometry.type === 'sphere') return { type: 'sphere', radius: geometry.radius };
  return { type: 'convex', points: mesh!.positions };
}

export const pairKey = (a: string, b: string) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);

/** The robot's URDF, its paths resolved against the scene file; errors say which robot of which scene. */
export function loadRobotUrdf(spec: RobotSpec, sceneFile: string, loadUrdf: UrdfLoader): Urdf {
  const base = dirname(resolve(sceneFile));
  const packages = Object.fromEntries(Object.entries(spec.packages).map(([name, folder]) => [name, resolve(base, folder)]));
  try {
    return loadUrdf(resolve(base, spec.urdf), packages);
  } catch (error) {
    if (error instanceof UserError) throw new UserError(`${sceneFile}: robot "${spec.name}": ${error.message}`);
    throw error;
  }
}

export async function buildRobotModel(
  spec: RobotSpec,
  sceneFile: string,
  firstObjId: number,
  loadUrdf: UrdfLoader,
  loadParts: PartLoader,
): Promise<RobotModel> {
  const urdf = loadRobotUrdf(spec, sceneFile, loadUrdf);
  const links: RobotLinkModel[] = [];
  const colliders: RobotCollider[] = [];
  for (const link of urdf.links) {
    const parts: LinkPart[] = [];
    for (const [v, visual] of link.visuals.entries()) {
      const { geometry, origin } = visual;
      const urdfColor = visual.material?.color ? (visual.material.color.slice(0, 3) as RGB) : undefined;
      let pieces: MeshPart[];
      let R = origin.R;
      if (geometry.type === 'mesh') {
        pieces = await loadParts(geometry.file, { unit: 'm', up: 'z', scale: 1 });
        R = scaleMatrix(origin.R, geometry.scale);
      } else {
        pieces = [{ mesh: primitiveMesh(geometry) }];
      }
      // URDF colours and textures win over the mesh's own, as in RViz; the mesh's are the
      // fallback. A texture is drawn only on a mesh with UVs (primitives have them).
      const urdfTexture = visual.material?.texture;
      pieces.forEach((piece, p) => {
        const texture = urdfTexture ?? piece.texture;
        parts.push({
          key: `${spec.name}.${link.name}#${v}.${p}`,
          mesh: transformMesh(piece.mesh, R, origin.t),
          color: urdfColor ?? piece.color,
          ...(texture !== undefined && piece.mesh.uvs ? { texture } : {}),
        });
      });
    }
    for (const collision of link.collisions) {
      let shape: CollisionShape;
      if (collision.geometry.type === 'mesh') {
        const pieces = await loadParts(collision.geometry.file, { unit: 'm', up: 'z', scale: 1 });
        const mesh = transformMesh(mergeMeshes(pieces.map((p) => p.mesh)), scaleMatrix(IDENTITY, collision.geometry.scale));
        shape = collisionShape(collision.geometry, mesh);
      } else {
        shape = collisionShape(collision.geometry);
      }
      colliders.push({ link: link.name, shape, origin: collision.origin });
    }
    if (parts.length > 0) {
      links.push({
        link: link.name,
        objId: firstObjId + links.length,
        key: `${spec.name}.${link.name}`,
        mesh: mergeMeshes(parts.map((p) => p.mesh)),
        parts,
      });
    }
  }

  const actuated = actuatedJoints(urdf);
  const movable = urdf.joints.filter((j) => j.type === 'revolute' || j.type === 'continuous' || j.type === 'prismatic');
  const endEffector = spec.end_effector ?? deepestLink(urdf);
  if (!urdf.links.some((l) => l.name === endEffector)) {
    throw new UserError(`robot "${spec.name}": end_effector "${endEffector}" is not a link of ${urdf.file}`);
  }
  const keypoints = [...movable.map((j) => ({ name: j.name, joint: j.name })), { name: 'end_effector', link: endEffector }];
  const skeleton: [number, number][] = [];
  const parentJoint = new Map(urdf.joints.map((j) => [j.child, j]));
  const movableIndex = new Map(movable.map((j, i) => [j.name, i]));
  // Each keypoint connects to the nearest movable joint above it in the tree.
  const ancestorKeypoint = (link: string): number | undefined => {
    for (let joint = parentJoint.get(link); joint; joint = parentJoint.get(joint.parent)) {
      const index = movableIndex.get(joint.name);
      if (index !== undefined) return index;
    }
    return undefined;
  };
  movable.forEach((joint, i) => {
    const above = ancestorKeypoint(joint.parent);
    if (above !== undefined) skeleton.push([above, i]);
  });
  const eeAbove = ancestorKeypoint(endEffector);
  if (eeAbove !== undefined) skeleton.push([eeAbove, keypoints.length - 1]);

  const adjacent = new Set(urdf.joints.map((j) => pairKey(j.parent, j.child)));
  return { name: spec.name, spec, urdf, links, colliders, actuated, keypoints, skeleton, endEffector, adjacent };
}

/** The end of the longest chain from the root: the natural end effector when none is named. */
function deepestLink(urdf: Urdf): string {
  const children = new Map<string, string[]>();
  for (const joint of urdf.joints) children.set(joint.parent, [...(children.get(joint.parent) ?? []), joint.child]);
  let best = urdf.root, bestDepth = 0;
  const walk = (link: string, depth: number) => {
    if (depth > bestDepth) { best = link; bestDepth = depth; }
    for (const child of children.get(link) ?? []) walk(child, depth + 1);
  };
  walk(urdf.root, 0);
  return best;
}
