/**
 * The model catalog of a scene: every labeled model (one per procedural variant or mesh class),
 * each with its BOP obj_id, render mesh and collision shape. Built once per batch.
 *
 * Procedural sizes are drawn from a stream keyed by the class name and variant only — not the
 * seed — so every seed of a scene shares the same models and datasets rendered with different
 * seeds can be merged.
 */
import { boxMesh, cylinderMesh, sphereMesh } from '../geometry/primitives.js';
import type { TriMesh } from '../geometry/types.js';
import type { CollisionShape } from '../physics/settle.js';
import { Rng } from '../sampling/rng.js';
import type { LoadedScene } from './load.js';

export interface Model {
  /** BOP obj_id, 1-based in scene order. */
  objId: number;
  classIndex: number;
  className: string;
  variant: number;
  /** Unique key for the renderer and writers. */
  key: string;
  mesh: TriMesh;
  collision: CollisionShape;
  /** Largest distance of a vertex from the model origin (m), for placement. */
  radius: number;
  /** Half height along model Z, for upright placement. */
  halfHeight: number;
}

export interface ModelCatalog {
  models: Model[];
  /** Models of each class, by class index. */
  byClass: Model[][];
  support: { key: string; mesh: TriMesh };
}

export type MeshLoader = (path: string, options: { unit: 'm' | 'cm' | 'mm'; up: 'z' | 'y'; scale: number }) => Promise<TriMesh>;

function radiusOf(mesh: TriMesh): { radius: number; halfHeight: number } {
  let radius = 0, zMax = 0;
  const p = mesh.positions;
  for (let i = 0; i < p.length; i += 3) {
    radius = Math.max(radius, Math.hypot(p[i], p[i + 1], p[i + 2]));
    zMax = Math.max(zMax, Math.abs(p[i + 2]));
  }
  return { radius, halfHeight: zMax };
}

export async function buildCatalog(scene: LoadedScene, loadMesh: MeshLoader): Promise<ModelCatalog> {
  const models: Model[] = [];
  const byClass: Model[][] = [];
  for (const [classIndex, cls] of scene.spec.objects.entries()) {
    const list: Model[] = [];
    const variants = cls.mesh ? 1 : cls.variants;
    for (let variant = 0; variant < variants; variant++) {
      const rng = new Rng('model', cls.class, variant);
      let mesh: TriMesh;
      let collision: CollisionShape;
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
        const file = scene.meshFiles.get(classIndex)!;
        mesh = await loadMesh(file, cls.mesh!);
        collision = { type: 'convex', points: mesh.positions };
      }
      const model: Model = {
        objId: models.length + 1,
        classIndex,
        className: cls.class,
        variant,
        key: variants > 1 ? `${cls.class}#${variant}` : cls.class,
        mesh,
        collision,
        ...radiusOf(mesh),
      };
      models.push(model);
      list.push(model);
    }
    byClass.push(list);
  }
  const support = scene.spec.support;
  const thickness = support.type === 'table' ? support.thickness : 0.01;
  return { models, byClass, support: { key: '__support__', mesh: boxMesh([support.size[0], support.size[1], thickness]) } };
}

/** Bounding radius of every model (and the support) by key. */
export function modelRadii(catalog: ModelCatalog): Map<string, number> {
  return new Map(catalog.models.map((m) => [m.key, m.radius]));
}
