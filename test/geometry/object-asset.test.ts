/**
 * Object URDFs (YCB object folders): the visual mesh is drawn and labeled, the collision mesh
 * gives convex pieces, origins and scales apply, and the scene's unit / up / scale on top.
 * The YCB fixtures are read in place from ../shared/fixtures/ycb (never copied); the other
 * fixtures are written into a temporary folder.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { Y_UP_TO_Z_UP } from '../../src/geometry/collada.js';
import { connectedPieces, meshBounds, transformMesh } from '../../src/geometry/mesh-ops.js';
import { loadMeshParts, type MeshLoadOptions } from '../../src/geometry/mesh-parts.js';
import { collisionRadius, isUrdfFile, loadObjectAsset, loadObjectUrdf, MAX_COLLISION_PIECES, type ObjectAsset } from '../../src/geometry/object-asset.js';
import { boxMesh } from '../../src/geometry/primitives.js';
import { axisAngleToMat3, mulMat3 } from '../../src/geometry/transforms.js';
import type { Mat3, Vec3 } from '../../src/geometry/types.js';
import { scratchFolder, expectVec3Close, expectWellFormed, triangleCount } from './mesh-checks.js';

const M: MeshLoadOptions = { unit: 'm', up: 'z', scale: 1 };

const scratch = scratchFolder('robosynth-object-asset-');
const write = scratch.write;
async function load(path: string, options: MeshLoadOptions = M): Promise<ObjectAsset & { warnings: string[] }> {
  const warnings: string[] = [];
  const asset = await loadObjectUrdf(path, { ...options, warn: (w) => warnings.push(w) });
  return { ...asset, warnings };
}

/** Applies p' = A p + t to xyz triples. */
function apply(points: Float32Array, A: Mat3, t: Vec3 = [0, 0, 0]): number[] {
  const out: number[] = [];
  for (let i = 0; i < points.length; i += 3) {
    for (let r = 0; r < 3; r++) out.push(A[3 * r] * points[i] + A[3 * r + 1] * points[i + 1] + A[3 * r + 2] * points[i + 2] + t[r]);
  }
  return out;
}
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  expect(worst).toBeLessThan(tolerance);
}

/** An OBJ of axis-aligned cubes (edge `size`, centred at each of `centres`), one `o` object each. */
function cubesObj(centres: Vec3[], size = 0.02): string {
  const lines: string[] = [];
  centres.forEach((c, k) => {
    const box = boxMesh([size, size, size]);
    lines.push(`o cube_${k}`);
    for (let i = 0; i < box.positions.length; i += 3) lines.push(`v ${box.positions[i] + c[0]} ${box.positions[i + 1] + c[1]} ${box.positions[i + 2] + c[2]}`);
    const base = 1 + (k * box.positions.length) / 3;
    for (let i = 0; i < box.indices.length; i += 3) lines.push(`f ${box.indices[i] + base} ${box.indices[i + 1] + base} ${box.indices[i + 2] + base}`);
  });
  return lines.join('\n') + '\n';
}

function urdf(link: string, { version = '1.0', name = 'object' } = {}): string {
  return `<?xml version="${version}" ?>\n<robot name="${name}">\n${link}\n</robot>\n`;
}

describe('connectedPieces', () => {
  it('one piece per separate cube; vertices at the same position join (flat-shaded meshes stay whole)', () => {
    const a = boxMesh([1, 1, 1]);
    const b = transformMesh(a, [1, 0, 0, 0, 1, 0, 0, 0, 1], [3, 0, 0]);
    const pieces = connectedPieces({
      positions: new Float32Array([...a.positions, ...b.positions]),
      normals: new Float32Array([...a.normals, ...b.normals]),
      indices: new Uint32Array([...a.indices, ...Array.from(b.indices, (i) => i + a.positions.length / 3)]),
    });
    expect(pieces.length).toBe(2);
    expect(pieces.map((p) => p.length / 3)).toEqual([8, 8]); // distinct corner positions only
    expect(Math.min(...Array.from(pieces[1]).filter((_, i) => i % 3 === 0))).toBe(2.5);
    // boxMesh has 24 vertices (4 per face): welding by position keeps each box one piece.
    expect(a.positions.length / 3).toBe(24);
  });
});

describe('object URDFs (synthetic)', () => {
  it('visual origin xyz/rpy and mesh scale apply; a multi-object collision OBJ gives one convex piece per object', async () => {
    write('visual.obj', cubesObj([[0, 0, 0]], 0.04));
    write('collision.obj', cubesObj([[-0.03, 0, 0], [0.03, 0, 0], [0, 0, 0.05]]));
    const path = write('object.urdf', urdf(`
      <link name="body">
        <visual>
          <origin xyz="0.1 0 0.02" rpy="0 0 1.5707963267948966"/>
          <geometry><mesh filename="visual.obj" scale="2 1 1"/></geometry>
        </visual>
        <collision>
          <origin xyz="0 0 0.01"/>
          <geometry><mesh filename="collision.obj" scale="1 1 2"/></geometry>
        </collision>
      </link>`));
    const asset = await load(path);
    expect(asset.warnings).toEqual([]);
    expect(asset.parts.length).toBe(1);
    expectWellFormed(asset.mesh);
    // 8 cm along file x becomes 8 cm along model y after the 90° yaw; centred at (0.1, 0, 0.02).
    const { min, max } = meshBounds(asset.mesh);
    expectVec3Close(min, [0.08, -0.04, 0], 6);
    expectVec3Close(max, [0.12, 0.04, 0.04], 6);
    expect(asset.collision?.length).toBe(3);
    const centres = asset.collision!.map((p) => {
      const c = [0, 0, 0];
      for (let i = 0; i < p.length; i++) c[i % 3] += p[i] / (p.length / 3);
      return c;
    });
    // z scaled by 2, then lifted 1 cm.
    expectClose(centres.flat(), [-0.03, 0, 0.01, 0.03, 0, 0.01, 0, 0, 0.11]);
    expect(asset.collision!.every((p) => p.length === 8 * 3)).toBe(true);
  });

  it('primitive collisions are convex pieces; no <collision> leaves the hull of the visual mesh to physics', async () => {
    write('cube.obj', cubesObj([[0, 0, 0]]));
    const prim = await load(write('prims.urdf', urdf(`
      <link name="body">
        <visual><geometry><mesh filename="cube.obj"/></geometry></visual>
        <collision><origin xyz="0 0 0.5"/><geometry><box size="0.1 0.2 0.3"/></geometry></collision>
        <collision><geometry><cylinder radius="0.05" length="0.1"/></geometry></collision>
        <collision><geometry><sphere radius="0.05"/></geometry></collision>
      </link>`)));
    expect(prim.collision?.length).toBe(3);
    const box = prim.collision![0];
    expect(box.length).toBe(24 * 3);
    expectClose([Math.min(...box.filter((_, i) => i % 3 === 2)), Math.max(...box.filter((_, i) => i % 3 === 2))], [0.35, 0.65]);
    expect(collisionRadius(prim.collision!)).toBeCloseTo(Math.hypot(0.05, 0.1, 0.65), 6);

    const none = await load(write('no-collision.urdf', urdf('<link name="body"><visual><geometry><mesh filename="cube.obj"/></geometry></visual></link>')));
    expect(none.collision).toBeUndefined();
    // Links without geometry (a "world" frame) are allowed next to the object's link.
    const framed = await load(write('framed.urdf', urdf(`
      <link name="world"/>
      <link name="body"><visual><geometry><mesh filename="cube.obj"/></geometry></visual></link>
      <joint name="fix" type="fixed"><parent link="world"/><child link="body"/></joint>`)));
    expect(triangleCount(framed.mesh)).toBe(12);
  });

  it('URDF colours win over the mesh\'s own; the texture is kept', async () => {
    write('tinted.mtl', 'newmtl paint\nKd 0.2 0.4 0.6\n');
    write('tinted.obj', `mtllib tinted.mtl\nusemtl paint\n${cubesObj([[0, 0, 0]])}`);
    const own = await load(write('own.urdf', urdf('<link name="b"><visual><geometry><mesh filename="tinted.obj"/></geometry></visual></link>')));
    expect(own.parts[0].color).toEqual([0.2, 0.4, 0.6]);
    const red = await load(write('red.urdf', urdf(`<link name="b"><visual><geometry><mesh filename="tinted.obj"/></geometry>
      <material name="red"><color rgba="1 0 0 1"/></material></visual></link>`)));
    expect(red.parts[0].color).toEqual([1, 0, 0]);
  });

  it('a PLY visual in millimetres (scale 0.001) whose TextureFile is missing: one warning naming the URDF and the files', async () => {
    const header = ['ply', 'format ascii 1.0', 'comment TextureFile gone.png', 'element vertex 4', 'property float x', 'property float y', 'property float z',
      'element face 4', 'property list uchar int vertex_indices', 'end_header'];
    const body = ['0 0 0', '100 0 0', '0 100 0', '0 0 100', '3 0 2 1', '3 0 1 3', '3 0 3 2', '3 1 2 3'];
    write('tet.ply', [...header, ...body].join('\n') + '\n');
    const path = write('ply-object.urdf', urdf('<link name="b"><visual><geometry><mesh filename="tet.ply" scale="0.001 0.001 0.001"/></geometry></visual></link>'));
    const asset = await load(path);
    expect(asset.warnings.length).toBe(1);
    expect(asset.warnings[0]).toContain(path);
    expect(asset.warnings[0]).toContain(scratch.path('tet.ply'));
    expect(asset.warnings[0]).toContain(scratch.path('gone.png'));
    expect(asset.parts[0].texture).toBeUndefined();
    expectVec3Close(meshBounds(asset.mesh).max, [0.1, 0.1, 0.1], 6);
  });

  it('errors: a missing or corrupt mesh, no or several links with geometry, bad XML, a DOCTYPE; all name the file', async () => {
    write('cube2.obj', cubesObj([[0, 0, 0]]));
    const fails = async (name: string, text: string, pattern: RegExp) => {
      const path = write(name, text);
      const err = await loadObjectUrdf(path, M).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toContain(path);
      expect((err as Error).message).toMatch(pattern);
    };
    await fails('missing.urdf', urdf('<link name="b"><visual><geometry><mesh filename="nothere.obj"/></geometry></visual></link>'),
      new RegExp(`missing\\.urdf:\\d+: link "b": visual mesh "nothere\\.obj" → ${scratch.path('nothere.obj').replace(/[.]/g, '\\.')}: no such file`));
    write('corrupt.obj', 'v 0 0 0\nf 1 2 3\n');
    await fails('corrupt.urdf', urdf('<link name="b"><visual><geometry><mesh filename="cube2.obj"/></geometry></visual><collision><geometry><mesh filename="corrupt.obj"/></geometry></collision></link>'),
      /link "b": collision mesh "corrupt\.obj": Cannot load mesh file ".*corrupt\.obj": line 2: face vertex index 2 is out of range/);
    await fails('empty.urdf', urdf('<link name="b"/>'), /needs exactly one link with a <visual>, but no link has geometry/);
    await fails('two.urdf', urdf(`<link name="a"><visual><geometry><mesh filename="cube2.obj"/></geometry></visual></link>
      <link name="b"><visual><geometry><mesh filename="cube2.obj"/></geometry></visual></link>
      <joint name="j" type="fixed"><parent link="a"/><child link="b"/></joint>`), /2 links have geometry \("a", "b"\); articulated models belong under robots:/);
    await fails('collision-only.urdf', urdf('<link name="a"><collision><geometry><box size="1 1 1"/></geometry></collision></link>'), /link "a" has <collision> but no <visual>/);
    await fails('bad.urdf', '<robot name="x"><link name="a"></robot>', /malformed XML/);
    await fails('doctype.urdf', '<?xml version="1.0"?><!DOCTYPE robot [<!ENTITY e "x">]><robot name="x"/>', /DOCTYPE declarations are not allowed/);
    await expect(loadObjectUrdf(scratch.path('absent.urdf'), M)).rejects.toThrow(/absent\.urdf: cannot read the object description \(no such file\)/);
  });

  it('loadObjectAsset: a plain mesh file has no collision pieces; isUrdfFile goes by extension', async () => {
    const plain = await loadObjectAsset(write('plain.obj', cubesObj([[0, 0, 0], [1, 0, 0]])), M);
    expect(plain.collision).toBeUndefined();
    expect(triangleCount(plain.mesh)).toBe(24);
    expect(isUrdfFile('/a/b/MODEL.URDF')).toBe(true);
    expect(isUrdfFile('/a/b/model.urdf.obj')).toBe(false);
    expect(MAX_COLLISION_PIECES).toBeGreaterThanOrEqual(32);
  });

  it('more pieces than MAX_COLLISION_PIECES become one hull, with a warning', async () => {
    const centres: Vec3[] = Array.from({ length: MAX_COLLISION_PIECES + 1 }, (_, i) => [0.05 * (i % 10), 0.05 * Math.floor(i / 10), 0]);
    write('many.obj', cubesObj(centres));
    const asset = await load(write('many.urdf', urdf('<link name="b"><visual><geometry><mesh filename="many.obj"/></geometry></visual><collision><geometry><mesh filename="many.obj"/></geometry></collision></link>')));
    expect(asset.collision?.length).toBe(1);
    expect(asset.warnings.length).toBe(1);
    expect(asset.warnings[0]).toMatch(/65 separate pieces .*convex hull of them all/);
  });
});

// ---------------------------------------------------------------------------------------------
// The YCB fixtures (pybullet-object-models layout), read in place.

const YCB = fileURLToPath(new URL('../../../shared/fixtures/ycb/', import.meta.url));
const skipNote = existsSync(YCB) ? '' : ` [SKIPPED: fixture folder ${YCB} is absent]`;
const banana = join(YCB, 'YcbBanana', 'model.urdf');
const mustard = join(YCB, 'YcbMustardBottle', 'model.urdf');

describe('YCB object folders', () => {
  it.skipIf(!existsSync(YCB))(`the banana: its visual OBJ with its texture, six V-HACD hulls as collision pieces${skipNote}`, async () => {
    const asset = await load(banana);
    expect(asset.warnings).toEqual([]);
    expect(asset.parts.length).toBe(1);
    expect(asset.parts[0].texture).toBe(join(YCB, 'YcbBanana', 'texture_map.png'));
    expect(asset.parts[0].color).toEqual([1, 1, 1]); // the URDF's white material
    expect(triangleCount(asset.mesh)).toBe(15728);
    // Identity origin and scale: the visual mesh is the OBJ as it is.
    const obj = await loadMeshParts(join(YCB, 'YcbBanana', 'textured_simple_reoriented.obj'), M);
    expect(asset.mesh.positions).toEqual(obj[0].mesh.positions);
    expect(asset.collision?.length).toBe(6);
    const { min, max } = meshBounds(asset.mesh);
    const longest = Math.max(...[0, 1, 2].map((k) => max[k] - min[k]));
    expect(longest).toBeGreaterThan(0.15); // a banana is about 19 cm long
    expect(longest).toBeLessThan(0.25);
    // The hulls cover the banana: their bounds are within a few millimetres of the mesh's.
    const all = new Float32Array(asset.collision!.flatMap((p) => Array.from(p)));
    const hull = meshBounds({ positions: all, normals: all, indices: new Uint32Array(0) });
    for (let k = 0; k < 3; k++) {
      expect(Math.abs(hull.min[k] - min[k])).toBeLessThan(0.006);
      expect(Math.abs(hull.max[k] - max[k])).toBeLessThan(0.006);
    }
  });

  it.skipIf(!existsSync(YCB))(`the mustard bottle, whose texture is missing: exactly one warning, an untextured fallback, four hulls turned with the URDF origin${skipNote}`, async () => {
    const asset = await load(mustard);
    expect(asset.warnings.length).toBe(1);
    expect(asset.warnings[0]).toContain(mustard);
    expect(asset.warnings[0]).toContain(join(YCB, 'YcbMustardBottle', 'texture_map.png'));
    expect(asset.warnings[0]).toContain('falls back to an untextured material');
    expect(asset.parts.length).toBe(1);
    expect(asset.parts[0].texture).toBeUndefined();
    expect(asset.parts[0].color).toEqual([1, 1, 1]); // the URDF colour is the fallback's colour
    expect(asset.collision?.length).toBe(4);
    // Visual and collision both have <origin rpy="0 0 1.57"/>.
    const yaw = axisAngleToMat3([0, 0, 1], 1.57);
    const obj = await loadMeshParts(join(YCB, 'YcbMustardBottle', 'textured_simple_reoriented.obj'), M);
    expectClose(asset.mesh.positions, apply(obj[0].mesh.positions, yaw), 1e-6);
    const collisionObj = await loadMeshParts(join(YCB, 'YcbMustardBottle', 'collision_vhacd.obj'), M);
    const pieces = connectedPieces(collisionObj[0].mesh);
    expect(pieces.length).toBe(4);
    pieces.forEach((p, i) => expectClose(asset.collision![i], apply(p, yaw), 1e-6));
  });

  it.skipIf(!existsSync(YCB))(`the scene's unit, up axis and scale apply to the whole object, visual and collision${skipNote}`, async () => {
    const plain = await load(mustard);
    const scaled = await load(mustard, { unit: 'cm', up: 'y', scale: 3 });
    const A = Y_UP_TO_Z_UP.map((v) => v * 0.03);
    expectClose(scaled.mesh.positions, apply(plain.mesh.positions, A), 1e-6);
    expect(scaled.collision?.length).toBe(4);
    scaled.collision!.forEach((p, i) => expectClose(p, apply(plain.collision![i], A), 1e-6));
    expect(scaled.warnings.length).toBe(1); // also when the OBJ comes from the cache
  });

  it.skipIf(!existsSync(YCB))(`the meshes are parsed once: a second load reuses the cache${skipNote}`, async () => {
    await load(banana);
    const t0 = performance.now();
    const again = await load(banana);
    const ms = performance.now() - t0;
    expect(again.collision?.length).toBe(6);
    expect(ms).toBeLessThan(100); // parsing the 1.4 MB OBJ takes longer than this
  });

  it.skipIf(!existsSync(YCB))(`the bogus XML version of these files is accepted, other declarations are untouched${skipNote}`, async () => {
    // The fixtures say <?xml version="0.0" ?>; the project's robot reader refuses that, the object reader accepts it.
    const copy = write('v00.urdf', urdf(`<link name="b"><visual><geometry><mesh filename="${join(YCB, 'YcbBanana', 'collision_vhacd.obj')}"/></geometry></visual></link>`, { version: '0.0' }));
    const asset = await load(copy);
    expect(asset.collision).toBeUndefined();
    expect(triangleCount(asset.mesh)).toBe(160);
  });
});

// Rotations compose as URDF says: R = Rz(yaw) Ry(pitch) Rx(roll).
describe('rpy', () => {
  it('roll then pitch then yaw about fixed axes', async () => {
    write('unit.obj', 'v 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 2 3\n');
    const asset = await load(write('rpy.urdf', urdf(`<link name="b"><visual><origin rpy="0.3 0.2 0.1"/><geometry><mesh filename="unit.obj"/></geometry></visual></link>`)));
    const R = mulMat3(axisAngleToMat3([0, 0, 1], 0.1), mulMat3(axisAngleToMat3([0, 1, 0], 0.2), axisAngleToMat3([1, 0, 0], 0.3)));
    expectClose(asset.mesh.positions, apply(new Float32Array([1, 0, 0, 0, 1, 0, 0, 0, 1]), R), 1e-6);
  });
});
