/**
 * The model catalog of a scene: every labeled model (one per procedural variant or mesh file),
 * each with its BOP obj_id, render mesh and collision shape. Built once per batch.
 *
 * A mesh class's `mesh.file` is a mesh file (the convex hull of the mesh collides) or a one-link
 * object URDF as YCB object folders have (geometry/object-asset.ts: the <visual> meshes are drawn
 * and labeled, the <collision> meshes collide as one convex hull per piece). A `mesh.folder` class
 * has one model per file of the folder (LoadedScene.meshFolders), numbered like procedural variants.
 *
 * Procedural sizes are drawn from a stream keyed by the class name and variant only — not the
 * seed — so every seed of a scene shares the same models and datasets rendered with different
 * seeds can be merged.
 */
import { dirname, relative, sep } from 'node:path';
import { boundingRadius, meshBounds } from '../geometry/mesh-ops.js';
import { collisionRadius, isUrdfFile, loadObjectUrdf } from '../geometry/object-asset.js';
import type { MeshPart } from '../geometry/mesh-parts.js';
import { boxMesh, cylinderMesh, sphereMesh } from '../geometry/primitives.js';
import type { Pose, TriMesh } from '../geometry/types.js';
import type { CollisionShape, SettleInput } from '../physics/settle.js';
import { supportFloor, supportWalls, type StructureBox } from '../physics/support.js';
import { compoundShape } from '../physics/shapes.js';
import { Rng } from '../sampling/rng.js';
import type { LoadedScene, SceneTextures } from './load.js';
import type { SceneSpec } from './schema.js';
import { buildRobotModel, type LinkPart, type PartLoader, type RobotModel, type UrdfLoader } from '../robot/robot-model.js';
import { checkJointNames, collisionRules, type CollisionRules } from '../robot/sample.js';

export interface Model {
  /** BOP obj_id, 1-based in scene order. */
  objId: number;
  classIndex: number;
  className: string;
  variant: number;
  /** Unique key for the renderer and writers. */
  key: string;
  /** A `mesh.folder` class's model: its file, relative to the scene file ('/'-separated). */
  source?: string;
  mesh: TriMesh;
  /** Drop shape of an object class; robot links collide through their robot's colliders instead. */
  collision?: CollisionShape;
  /** Pieces with their own colours (robot links); the renderer draws these instead of `mesh`. */
  parts?: LinkPart[];
  /** Largest distance of a vertex from the model origin (m), for placement. */
  radius: number;
  /** Half height along model Z, for upright placement. */
  halfHeight: number;
}

export interface ModelCatalog {
  /** Every labeled model: object classes, then robot links. */
  models: Model[];
  /** Models of the unlabeled classes (distractors, `labeled: false`): drawn and settled, never labeled; objId 0. */
  distractors: Model[];
  /** Models of each object class, by class index. */
  byClass: Model[][];
  robots: { model: RobotModel; rules: CollisionRules }[];
  /**
   * The support as the renderer draws it (unlabeled): the table top, ground, bin floor or shelf
   * board (`mesh` at `pose`, world frame), and the walls of a bin or shelf.
   */
  support: { key: string; mesh: TriMesh; pose: Pose; walls: SupportPiece[] };
  /** The images of the materials' texture folders (from the scene file), for sampling and the renderer. */
  textures: SceneTextures;
}

/** One static, unlabeled piece of a support's structure, at its world pose. */
export interface SupportPiece {
  key: string;
  mesh: TriMesh;
  pose: Pose;
}

/** The scene's support as settle() takes it. */
export function settleSupport(support: SceneSpec['support']): SettleInput['support'] {
  switch (support.type) {
    case 'table':
      return { kind: 'table', size: support.size, thickness: support.thickness };
    case 'ground':
      return { kind: 'ground' };
    case 'bin':
      return { kind: 'bin', size: support.size, wallHeight: support.wall_height, wallThickness: support.wall_thickness };
    case 'shelf':
      return { kind: 'shelf', size: support.size, height: support.height, thickness: support.thickness, top: support.top };
  }
}

const IDENTITY: readonly number[] = [1, 0, 0, 0, 1, 0, 0, 0, 1];
const piece = (key: string, box: StructureBox): SupportPiece => ({ key, mesh: boxMesh(box.size), pose: { R: [...IDENTITY], t: [...box.center] } });

function supportPieces(support: SceneSpec['support']): ModelCatalog['support'] {
  const physical = settleSupport(support);
  if (physical.kind === 'bin' || physical.kind === 'shelf') {
    const floor = piece('__support__', supportFloor(physical));
    return { ...floor, walls: supportWalls(physical).map((box, i) => piece(`__support_wall_${i}__`, box)) };
  }
  const thickness = support.type === 'table' ? support.thickness : 0.01;
  return { ...piece('__support__', { size: [support.size[0], support.size[1], thickness], center: [0, 0, -thickness / 2] }), walls: [] };
}

export type MeshLoader = (
  path: string,
  options: { unit: 'm' | 'cm' | 'mm'; up: 'z' | 'y'; scale: number; warn?: (message: string) => void },
) => Promise<TriMesh>;

export interface CatalogOptions {
  /**
   * Receives each non-fatal problem with a class's files (a missing texture or material library),
   * one line naming the class and the file. Default: printed to stderr as "robosynth: warning: ...".
   */
  warn?: (message: string) => void;
}

export interface RobotLoaders {
  urdf: UrdfLoader;
  parts: PartLoader;
}

/** Extent of the mesh, and of collision pieces where they reach further (they are what lands). */
function radiusOf(mesh: TriMesh, collision?: Float32Array[]): { radius: number; halfHeight: number } {
  const { min, max } = meshBounds(mesh);
  let halfHeight = Math.max(Math.abs(min[2]), Math.abs(max[2]));
  for (const points of collision ?? []) {
    for (let i = 2; i < points.length; i += 3) halfHeight = Math.max(halfHeight, Math.abs(points[i]));
  }
  return { radius: Math.max(boundingRadius(mesh), collision ? collisionRadius(collision) : 0), halfHeight };
}

const warnOnStderr = (message: string): void => {
  process.stderr.write(`robosynth: warning: ${message}\n`);
};

/**
 * `loadMesh` reads plain mesh files; object URDFs are read by loadObjectUrdf (its meshes through
 * loadMeshParts and its cache).
 */
export async function buildCatalog(
  scene: LoadedScene,
  loadMesh: MeshLoader,
  robotLoaders?: RobotLoaders,
  options: CatalogOptions = {},
): Promise<ModelCatalog> {
  const warn = options.warn ?? warnOnStderr;
  const models: Model[] = [];
  const distractors: Model[] = [];
  const byClass: Model[][] = [];
  for (const [classIndex, cls] of scene.spec.objects.entries()) {
    const list: Model[] = [];
    // A mesh class has one model per file: its `file`, or each of its `folder`'s.
    const files = cls.mesh ? (scene.meshFolders.get(classIndex) ?? [scene.meshFiles.get(classIndex)!]) : undefined;
    const variants = files ? files.length : cls.variants;
    for (let variant = 0; variant < variants; variant++) {
      const rng = new Rng('model', cls.class, variant);
      let mesh: TriMesh;
      let collision: CollisionShape;
      let collisionPieces: Float32Array[] | undefined;
      let textured: MeshPart[] | undefined;
      if (cls.box) {
        const size = cls.box.size.map((r) => rng.range(r)) as [number, number, number];
        mesh = boxMesh(size);
        collision = { type: 'box', size };
      } else if (cls.cylinder) {
        const radius = rng.range(cls.cylinder.radius);
        const height = rng.range(cls.cylinder.height);
        mesh = cylinderMesh(radius, height);
        collision = { type: 'cylinder', radius, height };
      } else if (cls.sphere) {
        const radius = rng.range(cls.sphere.radius);
        mesh = sphereMesh(radius);
        collision = { type: 'sphere', radius };
      } else {
        const file = files![variant];
        const { unit, up, scale } = cls.mesh!;
        const options = { unit, up, scale, warn: (w: string) => warn(`object class "${cls.class}": ${w}`) };
        if (isUrdfFile(file)) {
          const asset = await loadObjectUrdf(file, options);
          mesh = asset.mesh;
          collisionPieces = asset.collision;
          textured = asset.parts;
        } else {
          mesh = await loadMesh(file, options);
          // The same file's parts (cached, warned about once already), for their textures.
          textured = await robotLoaders?.parts(file, { unit, up, scale });
        }
        if (!textured?.some((part) => part.texture !== undefined)) textured = undefined;
        // Without collision geometry of its own, the convex hull of the mesh.
        collision = collisionPieces ? compoundShape(collisionPieces) : { type: 'convex', points: mesh.positions };
      }
      const model: Model = {
        // BOP obj_ids number the labeled models only, 1.. without gaps.
        objId: cls.labeled ? models.length + 1 : 0,
        classIndex,
        className: cls.class,
        variant,
        key: variants > 1 ? `${cls.class}#${variant}` : cls.class,
        mesh,
        collision,
        ...radiusOf(mesh, collisionPieces),
      };
      if (cls.mesh?.folder !== undefined) model.source = relative(dirname(scene.path), files![variant]).split(sep).join('/');
      // A textured mesh is drawn part by part, each with its texture (times the class's colour).
      if (textured) model.parts = textured.map((part, p) => ({ key: `${model.key}#part${p}`, mesh: part.mesh, texture: part.texture }));
      (cls.labeled ? models : distractors).push(model);
      list.push(model);
    }
    byClass.push(list);
  }
  const robots: ModelCatalog['robots'] = [];
  for (const spec of scene.spec.robots) {
    if (!robotLoaders) throw new Error('buildCatalog: the scene has robots but no robot loaders were given');
    const model = await buildRobotModel(spec, scene.path, models.length + 1, robotLoaders.urdf, robotLoaders.parts);
    checkJointNames(model);
    for (const link of model.links) {
      models.push({
        objId: link.objId, classIndex: -1, className: link.key, variant: 0, key: link.key,
        mesh: link.mesh, parts: link.parts, ...radiusOf(link.mesh),
      });
    }
    robots.push({ model, rules: collisionRules(model) });
  }
  return { models, distractors, byClass, robots, support: supportPieces(scene.spec.support), textures: scene.textures };
}

/** What the renderer's view of a frame needs to know of each model, by key. */
export type RenderModels = ReadonlyMap<string, { radius: number; parts?: { key: string; color?: [number, number, number]; texture?: string }[] }>;

export function renderModels(catalog: ModelCatalog): RenderModels {
  const models: [string, { radius: number; parts?: LinkPart[] }][] = [...catalog.models, ...catalog.distractors].map((m) => [m.key, { radius: m.radius, parts: m.parts }]);
  // A bin's or shelf's walls cast shadows too: the shadow maps are fitted around them as well.
  for (const wall of catalog.support.walls) models.push([wall.key, { radius: boundingRadius(wall.mesh) }]);
  return new Map(models);
}
