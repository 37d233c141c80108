/**
 * Object models of a scene's mesh classes: a plain mesh file, or a one-link URDF as YCB object
 * folders ship them (pybullet-object-models: `model.urdf` next to a textured visual OBJ and a
 * V-HACD collision OBJ of many convex hulls).
 *
 * For a URDF, the link's <visual> meshes are what is drawn and labeled, and its <collision>
 * geometry gives the physics shape as convex pieces: every connected piece of a collision mesh
 * (each hull of a V-HACD OBJ) is its own convex hull, and a box, cylinder or sphere is one. The
 * URDF's origins (xyz, rpy) and mesh scales apply; then the scene's `unit`, `up` and `scale`
 * apply to the link frame as they do to a plain mesh file (leave them at m / z / 1 for a URDF
 * in metres, as URDFs are). The URDF is read by the project's URDF reader (src/robot/urdf.ts,
 * on the safe XML parser); meshes go through loadMeshParts and its per-file cache.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { UserError } from '../errors.js';
import { parseUrdf } from '../robot/urdf.js';
import { checkXmlSize } from '../robot/xml.js';
import type { UrdfGeometry, UrdfLink } from '../robot/types.js';
import { mergeParts } from './mesh-files.js';
import { connectedPieces, transformMesh, transformPositions } from './mesh-ops.js';
import { fileToModelMatrix, loadMeshParts, type MeshLoadOptions, type MeshPart } from './mesh-parts.js';
import { boxMesh, cylinderMesh, sphereMesh } from './primitives.js';
import { mulMat3, mulMat3Vec } from './transforms.js';
import type { Mat3, Pose, TriMesh, Vec3 } from './types.js';

export interface ObjectAsset {
  /** What is drawn: the visual geometry's parts in the model frame (metres, Z up). */
  parts: MeshPart[];
  /** The parts merged: what is labeled (BOP model, masks) and, without `collision`, what collides. */
  mesh: TriMesh;
  /**
   * The collision geometry as convex pieces in the model frame, each as xyz points whose convex
   * hull is the piece. Absent: the convex hull of `mesh` (a plain mesh file, a URDF without
   * <collision>).
   */
  collision?: Float32Array[];
}

/**
 * More convex pieces than this (a collision mesh of many small parts, not a convex decomposition)
 * are replaced by the hull of them all, with a warning: every piece costs contact tests per step.
 */
export const MAX_COLLISION_PIECES = 64;

/** Whether `path` names an object URDF (by extension) rather than a mesh file. */
export function isUrdfFile(path: string): boolean {
  return extname(path).toLowerCase() === '.urdf';
}

/** A mesh file (loadMeshParts) or an object URDF (loadObjectUrdf), by extension. */
export async function loadObjectAsset(path: string, options: MeshLoadOptions): Promise<ObjectAsset> {
  if (isUrdfFile(path)) return loadObjectUrdf(path, options);
  const parts = await loadMeshParts(path, options);
  return { parts, mesh: mergeParts(parts) };
}

/**
 * Reads a one-link object URDF (see the file comment). Exactly one link may have geometry, and it
 * needs a <visual>. Relative and file:// URIs are resolved against the URDF's folder (package://
 * has no package map here and fails). A missing texture of a visual mesh is one warning (the part
 * falls back to an untextured material, as loadMeshParts says); a missing or corrupt URDF or mesh
 * is a UserError naming the file. A bogus XML declaration version (pybullet's YCB files say
 * `<?xml version="0.0" ?>`) is read as 1.0, as ROS's own URDF parser does.
 */
export async function loadObjectUrdf(path: string, options: MeshLoadOptions): Promise<ObjectAsset> {
  const fail = (what: string) => new UserError(`${path}: ${what}`);
  const toModel = fileToModelMatrix(path, options);
  let text: string;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw fail('cannot read the object description (not a regular file)');
    checkXmlSize(st.size, path);
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof UserError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw fail(`cannot read the object description (${code === 'ENOENT' ? 'no such file' : (code ?? String(error))})`);
  }
  const urdf = parseUrdf(acceptXmlVersion(text), path, {});

  const withGeometry = urdf.links.filter((l) => l.visuals.length > 0 || l.collisions.length > 0);
  if (withGeometry.length !== 1 || withGeometry[0].visuals.length === 0) {
    const what = withGeometry.length === 0 ? 'no link has geometry' : withGeometry.length > 1
      ? `${withGeometry.length} links have geometry (${withGeometry.map((l) => `"${l.name}"`).join(', ')})`
      : `link "${withGeometry[0].name}" has <collision> but no <visual>`;
    throw fail(`an object URDF needs exactly one link with a <visual>, but ${what}; articulated models belong under robots:`);
  }
  const link = withGeometry[0];
  const warn = options.warn ? (w: string) => options.warn!(`${path}: ${w}`) : undefined;
  const where = (kind: string, geometry: UrdfGeometry) => `${path}: link "${link.name}": ${kind}${geometry.type === 'mesh' ? ` mesh "${geometry.uri}"` : ` ${geometry.type}`}`;

  const parts: MeshPart[] = [];
  for (const visual of link.visuals) {
    const place = placement(toModel, visual.origin, visual.geometry);
    const urdfColor = visual.material?.color?.slice(0, 3) as [number, number, number] | undefined;
    for (const piece of await geometryParts(visual.geometry, where('visual', visual.geometry), warn)) {
      // The URDF colour wins over the mesh's own, as in RViz (and for the scene's robots).
      const part: MeshPart = { mesh: transformMesh(piece.mesh, place.R, place.t) };
      const color = urdfColor ?? piece.color;
      if (color) part.color = [color[0], color[1], color[2]];
      if (piece.texture !== undefined) part.texture = piece.texture;
      parts.push(part);
    }
  }
  const asset: ObjectAsset = { parts, mesh: mergeParts(parts) };
  const collision = await collisionPieces(link, toModel, where);
  if (collision.length > MAX_COLLISION_PIECES) {
    warn?.(`link "${link.name}": the collision geometry has ${collision.length} separate pieces (more than ${MAX_COLLISION_PIECES}); physics uses the convex hull of them all`);
    asset.collision = [concat(collision)];
  } else if (collision.length > 0) {
    asset.collision = collision;
  }
  return asset;
}

/** The linear map and offset from a geometry's own frame to the model frame. */
function placement(toModel: Mat3, origin: Pose, geometry: UrdfGeometry): { R: Mat3; t: Vec3 } {
  const s = geometry.type === 'mesh' ? geometry.scale : [1, 1, 1];
  const R = mulMat3(toModel, mulMat3(origin.R, [s[0], 0, 0, 0, s[1], 0, 0, 0, s[2]]));
  return { R, t: mulMat3Vec(toModel, origin.t) };
}

/** The parts of a geometry in its own frame (meshes through loadMeshParts, in metres and Z up as URDF wants them). */
async function geometryParts(geometry: UrdfGeometry, where: string, warn?: (w: string) => void): Promise<MeshPart[]> {
  switch (geometry.type) {
    case 'box': return [{ mesh: boxMesh(geometry.size) }];
    case 'cylinder': return [{ mesh: cylinderMesh(geometry.radius, geometry.length) }];
    case 'sphere': return [{ mesh: sphereMesh(geometry.radius) }];
    case 'mesh':
      try {
        return await loadMeshParts(geometry.file, { unit: 'm', up: 'z', scale: 1, warn });
      } catch (error) {
        if (error instanceof UserError) throw new UserError(`${where}: ${error.message}`);
        throw error;
      }
  }
}

async function collisionPieces(
  link: UrdfLink,
  toModel: Mat3,
  where: (kind: string, geometry: UrdfGeometry) => string,
): Promise<Float32Array[]> {
  const pieces: Float32Array[] = [];
  for (const collision of link.collisions) {
    const { geometry, origin } = collision;
    const place = placement(toModel, origin, geometry);
    let local: Float32Array[];
    if (geometry.type === 'mesh') {
      // Colours and textures of a collision mesh do not matter: its warnings are not passed on.
      const meshParts = await geometryParts(geometry, where('collision', geometry));
      local = connectedPieces(mergeParts(meshParts));
    } else {
      // Primitives as points; a cylinder as a 16-sided prism, as the physics shapes have it.
      const mesh = geometry.type === 'box' ? boxMesh(geometry.size)
        : geometry.type === 'cylinder' ? cylinderMesh(geometry.radius, geometry.length, 16)
        : sphereMesh(geometry.radius, 8, 16);
      local = [mesh.positions];
    }
    for (const points of local) pieces.push(transformPositions(points, place.R, place.t));
  }
  return pieces;
}

function concat(arrays: Float32Array[]): Float32Array {
  const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  let o = 0;
  for (const a of arrays) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

/** Largest distance of any collision point from the model origin (0 without pieces). */
export function collisionRadius(pieces: Float32Array[]): number {
  let r2 = 0;
  for (const p of pieces) {
    for (let i = 0; i < p.length; i += 3) r2 = Math.max(r2, p[i] * p[i] + p[i + 1] * p[i + 1] + p[i + 2] * p[i + 2]);
  }
  return Math.sqrt(r2);
}

/**
 * The XML declaration's version, if it is not 1.x, as "1.0": saxes (rightly) refuses others, but
 * real URDFs carry `version="0.0"` and every URDF reader in use ignores it.
 */
function acceptXmlVersion(text: string): string {
  return text.replace(/^(\uFEFF?\s*<\?xml\s+version\s*=\s*)(["'])([^"']*)\2/, (whole, head: string, quote: string, version: string) =>
    /^1\.[0-9]+$/.test(version) ? whole : `${head}${quote}1.0${quote}`);
}
