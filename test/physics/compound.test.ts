/**
 * Compound collision shapes (a union of convex hulls, as V-HACD collision meshes give): mass
 * properties, settling on the table, the concavity the single hull would fill, static overlap
 * tests, and the YCB objects (read in place from ../shared/fixtures/ycb) dropped with their
 * collision pieces, alone and through the scene's frame sampler.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Body, ConvexPolyhedron } from 'cannon-es';
import { describe, expect, it } from 'vitest';
import { loadMeshFile } from '../../src/geometry/mesh-files.js';
import { loadObjectUrdf } from '../../src/geometry/object-asset.js';
import { axisAngleToMat3, mulMat3 } from '../../src/geometry/transforms.js';
import type { Mat3, Pose, Vec3 } from '../../src/geometry/types.js';
import { findOverlaps } from '../../src/physics/overlap.js';
import { DEFAULT_SETTLE_SETTINGS, settle, type CollisionShape } from '../../src/physics/settle.js';
import { attachShapes, buildShape, compoundShape, MAX_HULL_VERTICES } from '../../src/physics/shapes.js';
import { sampleSettledFrame } from '../../src/pipeline/scene-setup.js';
import { loadScene } from '../../src/scene/load.js';
import { buildCatalog } from '../../src/scene/models.js';
import { TABLE } from './scenes.js';

const I: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];
const settings = { ...DEFAULT_SETTLE_SETTINGS };

function cube(edge: number, centre: Vec3): Float32Array {
  const p: number[] = [];
  for (const x of [-0.5, 0.5]) for (const y of [-0.5, 0.5]) for (const z of [-0.5, 0.5]) p.push(x * edge + centre[0], y * edge + centre[1], z * edge + centre[2]);
  return new Float32Array(p);
}

/** Lowest world z of the shape's points at pose p. */
function lowest(shape: CollisionShape & { points: Float32Array }, p: Pose): number {
  let z = Infinity;
  const q = shape.points;
  for (let i = 0; i < q.length; i += 3) z = Math.min(z, p.R[6] * q[i] + p.R[7] * q[i + 1] + p.R[8] * q[i + 2] + p.t[2]);
  return z;
}

const A = 0.02; // cube edge
/** Two 2 cm cubes 6 cm apart (centres), a 4 cm gap between them. */
const dumbbell = () => compoundShape([cube(A, [-0.03, 0, 0]), cube(A, [0.03, 0, 0])]);

describe('compound shapes', () => {
  it('one part is a plain convex shape; several keep their parts and all points', () => {
    const one = cube(A, [0, 0, 0]);
    expect(compoundShape([one])).toEqual({ type: 'convex', points: one });
    const two = dumbbell();
    expect(two.type).toBe('compound');
    if (two.type !== 'compound') return;
    expect(two.parts.length).toBe(2);
    expect(two.points.length).toBe(2 * 8 * 3);
    expect(() => compoundShape([])).toThrow(/no parts/);
  });

  it('mass properties of the union: volume-weighted centre, parallel-axis inertia; one cannon shape per part', () => {
    const m = buildShape(dumbbell(), 2);
    m.com.forEach((c) => expect(Math.abs(c)).toBeLessThan(1e-9));
    // Per cube: I = m_c a²/6 about its centre; plus m_c d² about y and z for d = 3 cm.
    expect(m.inertia[0]).toBeCloseTo((2 * A * A) / 6, 9);
    expect(m.inertia[1]).toBeCloseTo((2 * A * A) / 6 + 2 * 0.03 * 0.03, 9);
    expect(m.inertia[2]).toBeCloseTo((2 * A * A) / 6 + 2 * 0.03 * 0.03, 9);
    expect(m.shapes.length).toBe(2);
    expect(m.shapes.map((s) => s.offset.x)).toEqual([expect.closeTo(-0.03, 6), expect.closeTo(0.03, 6)]);
    for (const s of m.shapes) {
      expect(s.shape).toBeInstanceOf(ConvexPolyhedron);
      expect((s.shape as ConvexPolyhedron).vertices.length).toBeLessThanOrEqual(MAX_HULL_VERTICES);
    }
    const body = new Body({ mass: 2 });
    attachShapes(body, m);
    body.updateAABB();
    expect(body.aabb.lowerBound.x).toBeCloseTo(-0.04, 6);
    expect(body.aabb.upperBound.x).toBeCloseTo(0.04, 6);
    // Unequal parts: the centre of mass moves towards the bigger one.
    const lop = buildShape(compoundShape([cube(0.04, [0.1, 0, 0]), cube(A, [0, 0, 0])]), 1);
    expect(lop.com[0]).toBeCloseTo((0.1 * 0.04 ** 3) / (0.04 ** 3 + A ** 3), 7);
  });

  it('a flat part (no volume) is left out; all flat parts fall back to the hull of all points', () => {
    const flat = new Float32Array([0, 0, 0, 1, 0, 0, 0, 1, 0]);
    expect(buildShape(compoundShape([cube(A, [0, 0, 0]), flat]), 1).shapes.length).toBe(1);
    const stacked = compoundShape([new Float32Array([0, 0, 0, 0.1, 0, 0, 0, 0.1, 0]), new Float32Array([0, 0, 0.1, 0.1, 0, 0.1, 0, 0.1, 0.1])]);
    expect(buildShape(stacked, 1).shapes.length).toBe(1);
  });

  it('a dumbbell dropped on the table comes to rest on both cubes', () => {
    const shape = dumbbell();
    const tilt = axisAngleToMat3([1, 1, 0].map((v) => v / Math.SQRT2) as Vec3, 0.3);
    const r = settle({ support: TABLE, bodies: [{ shape, mass: 0.2, pose: { R: tilt, t: [0.05, 0, 0.15] } }], settings });
    expect(r.problem).toBeNull();
    expect(r.allAsleep).toBe(true);
    const p = r.poses[0];
    expect(Math.abs(p.t[2] - A / 2)).toBeLessThan(0.002);
    expect(Math.abs(lowest(shape as CollisionShape & { points: Float32Array }, p))).toBeLessThan(0.002);
    expect(Math.abs(p.R[8])).toBeGreaterThan(0.999); // a cube face down
  });

  it('keeps the concavity: a small ball falls through the gap to the table, where the single hull would hold it', () => {
    const run = (shape: CollisionShape) =>
      settle({
        support: TABLE,
        bodies: [
          { shape, mass: 0.5, pose: { R: I, t: [0, 0, A / 2] } },
          { shape: { type: 'sphere', radius: 0.006 }, mass: 0.01, pose: { R: I, t: [0, 0, 0.06] } },
        ],
        settings,
      });
    const compound = run(dumbbell());
    expect(compound.problem).toBeNull();
    expect(compound.poses[1].t[2]).toBeCloseTo(0.006, 2); // on the table, between the cubes
    const hull = run({ type: 'convex', points: (dumbbell() as { points: Float32Array }).points });
    expect(hull.problem).toBeNull();
    expect(hull.poses[1].t[2]).toBeGreaterThan(A); // on top of the hull that bridges the gap
  });

  it('static overlap tests see the parts too (robot obstacles use the same bodies)', () => {
    const bar: CollisionShape = { type: 'box', size: [0.01, 0.1, 0.01] };
    const placed = (shape: CollisionShape, t: Vec3) => ({ shape, pose: { R: I, t } });
    expect(findOverlaps([placed(dumbbell(), [0, 0, 0]), placed(bar, [0, 0, 0])], 1e-4, () => true)).toEqual([]);
    const hull: CollisionShape = { type: 'convex', points: (dumbbell() as { points: Float32Array }).points };
    expect(findOverlaps([placed(hull, [0, 0, 0]), placed(bar, [0, 0, 0])], 1e-4, () => true).length).toBe(1);
    expect(findOverlaps([placed(dumbbell(), [0, 0, 0]), placed(bar, [0.03, 0, 0])], 1e-4, () => true).length).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------
// YCB objects with their V-HACD collision pieces.

const YCB = fileURLToPath(new URL('../../../shared/fixtures/ycb/', import.meta.url));
const skipNote = existsSync(YCB) ? '' : ` [SKIPPED: fixture folder ${YCB} is absent]`;
const M = { unit: 'm', up: 'z', scale: 1 } as const;

describe('YCB objects dropped with their collision pieces', () => {
  for (const name of ['YcbBanana', 'YcbMustardBottle']) {
    it.skipIf(!existsSync(YCB))(`${name}: comes to rest on the table from several orientations, its lowest hull point on the plane${skipNote}`, async () => {
      const asset = await loadObjectUrdf(join(YCB, name, 'model.urdf'), M);
      const shape = compoundShape(asset.collision!);
      expect(shape.type).toBe('compound');
      const poses: Mat3[] = [I, axisAngleToMat3([1, 0, 0], Math.PI / 2), mulMat3(axisAngleToMat3([0, 0, 1], 0.7), axisAngleToMat3([0, 1, 0], 2.2))];
      for (const R of poses) {
        const r = settle({ support: TABLE, bodies: [{ shape, mass: 0.3, pose: { R, t: [0, 0, 0.2] } }], settings });
        expect(r.problem).toBeNull();
        expect(r.allAsleep).toBe(true);
        const z = lowest(shape as CollisionShape & { points: Float32Array }, r.poses[0]);
        expect(Math.abs(z)).toBeLessThan(0.002);
      }
    });
  }

  it.skipIf(!existsSync(YCB))(`several of each on a table through the scene's catalog and frame sampler${skipNote}`, async () => {
    const base = loadScene(fileURLToPath(new URL('../../scenes/tabletop.yaml', import.meta.url)));
    const meshClass = base.spec.objects.find((c) => c.mesh)!;
    const spec = {
      ...base.spec,
      objects: [
        { ...meshClass, class: 'banana', mesh: { file: 'model.urdf', ...M }, count: 3 },
        { ...meshClass, class: 'mustard', mesh: { file: 'model.urdf', ...M }, count: 2, orientation: 'upright' as const },
      ],
    };
    const scene = { path: base.path, spec, meshFiles: new Map([[0, join(YCB, 'YcbBanana', 'model.urdf')], [1, join(YCB, 'YcbMustardBottle', 'model.urdf')]]), meshFolders: new Map(), textures: base.textures };
    const warnings: string[] = [];
    const catalog = await buildCatalog(scene, loadMeshFile, undefined, { warn: (w) => warnings.push(w) });
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toMatch(/^object class "mustard": .*model\.urdf: .*texture_map\.png.*not found/);
    expect(catalog.models.map((m) => [m.className, m.collision?.type])).toEqual([['banana', 'compound'], ['mustard', 'compound']]);
    // The mustard bottle stands ~19 cm tall: its half height is at least that of its collision pieces.
    expect(catalog.models[1].halfHeight).toBeGreaterThan(0.08);
    for (let index = 0; index < 3; index++) {
      const frame = sampleSettledFrame(spec, catalog, 7, index);
      expect(frame.instances.filter((i) => i.className === 'banana').length).toBe(3);
      expect(frame.instances.filter((i) => i.className === 'mustard').length).toBe(2);
      for (const instance of frame.instances) expect(instance.pose.t[2]).toBeGreaterThan(-0.002);
    }
  }, 60_000);
});
