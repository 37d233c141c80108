import { existsSync, mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { loadMeshFile, type MeshLoadOptions } from '../../src/geometry/mesh-files.js';
import { clearMeshCache, loadMeshParts, type MeshPart } from '../../src/geometry/mesh-parts.js';
import { meshBounds } from '../../src/geometry/mesh-ops.js';
import type { TriMesh, Vec3 } from '../../src/geometry/types.js';
import {
  expectVec3Close, expectWellFormed, normal, triangleCount, vertex, vertexCount,
  windingAgreement,
} from './mesh-checks.js';

const M: MeshLoadOptions = { unit: 'm', up: 'z', scale: 1 };

let dir: string;
const file = (name: string): string => join(dir, name);
function write(name: string, data: string): string {
  writeFileSync(file(name), data);
  return file(name);
}
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'robosynth-collada-'));
  writeFileSync(join(dir, 'skin map.png'), 'not really a png'); // the texture of cubeDae()
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Loads the parts, collecting the warnings. */
async function parts(path: string, options: MeshLoadOptions = M): Promise<{ parts: MeshPart[]; warnings: string[] }> {
  const warnings: string[] = [];
  const out = await loadMeshParts(path, { ...options, warn: (w) => warnings.push(w) });
  return { parts: out, warnings };
}

async function expectUserError(path: string, what: RegExp): Promise<void> {
  const err = await loadMeshFile(path, M).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(UserError);
  const message = (err as UserError).message;
  expect(message).toContain(path);
  expect(message).toMatch(what);
}

// ---------------------------------------------------------------------------------------------
// A hand-written Collada file.

/** Unit cube corners (0-based) and its faces, counter-clockwise seen from outside. */
const CUBE_V: Vec3[] = [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]];
const CUBE_FACES: { n: Vec3; v: number[] }[] = [
  { n: [0, 0, -1], v: [0, 3, 2, 1] },
  { n: [0, 0, 1], v: [4, 5, 6, 7] },
  { n: [0, -1, 0], v: [0, 1, 5, 4] },
  { n: [0, 1, 0], v: [2, 3, 7, 6] },
  { n: [-1, 0, 0], v: [0, 4, 7, 3] },
  { n: [1, 0, 0], v: [1, 2, 6, 5] },
];

/** <p> of faces with inputs VERTEX (offset 0), NORMAL (1), TEXCOORD (2): index stride 3. */
function corners(faces: number[], quads: boolean): string {
  const out: number[] = [];
  for (const f of faces) {
    const { v } = CUBE_FACES[f];
    const loop = quads ? v : [v[0], v[1], v[2], v[0], v[2], v[3]];
    loop.forEach((vi, k) => out.push(vi, f, k % 4));
  }
  return out.join(' ');
}

interface CubeDae {
  unit?: string;
  up?: string;
  normals?: boolean;
  /** Replaces the transform elements of the first node. */
  transform?: string;
  /** Replaces the first triangles' <p>. */
  trianglesP?: string;
}

/**
 * A cube in a Y-up, centimetre file: four faces as <triangles> (material RED), two as a quad
 * <polylist> (material SKIN, a texture). Node "a" places it with translate, rotate and scale;
 * node "b" places it through <instance_node> of a library node, with a <matrix> and a mirroring
 * scale. A camera node and a <lines> primitive are there to be ignored.
 */
function cubeDae(o: CubeDae = {}): string {
  const normals = o.normals ?? true;
  const stripNormals = (p: string): string => (normals ? p : p.split(' ').filter((_, i) => i % 3 !== 1).join(' '));
  const inputs = normals
    ? `<input semantic="VERTEX" source="#cube-vertices" offset="0"/>
        <input semantic="NORMAL" source="#cube-normals" offset="1"/>
        <input semantic="TEXCOORD" source="#cube-uv" offset="2" set="0"/>`
    : `<input semantic="VERTEX" source="#cube-vertices" offset="0"/>
        <input semantic="TEXCOORD" source="#cube-uv" offset="1" set="0"/>`;
  return `<?xml version="1.0" encoding="utf-8"?>
<COLLADA xmlns="http://www.collada.org/2005/11/COLLADASchema" version="1.4.1">
  <asset>
    <unit ${o.unit ?? 'name="centimeter" meter="0.01"'}/>
    <up_axis>${o.up ?? 'Y_UP'}</up_axis>
  </asset>
  <library_images>
    <image id="skin-image" name="skin"><init_from>skin%20map.png</init_from></image>
  </library_images>
  <library_effects>
    <effect id="red-effect">
      <profile_COMMON>
        <technique sid="common">
          <phong>
            <emission><color sid="emission">0 0 0 1</color></emission>
            <diffuse><color sid="diffuse">1 0 0 1</color></diffuse>
          </phong>
        </technique>
      </profile_COMMON>
    </effect>
    <effect id="skin-effect">
      <profile_COMMON>
        <newparam sid="skin-surface"><surface type="2D"><init_from>skin-image</init_from></surface></newparam>
        <newparam sid="skin-sampler"><sampler2D><source>skin-surface</source></sampler2D></newparam>
        <technique sid="common">
          <lambert><diffuse><texture texture="skin-sampler" texcoord="UVMap"/></diffuse></lambert>
        </technique>
      </profile_COMMON>
    </effect>
  </library_effects>
  <library_materials>
    <material id="red-material" name="red"><instance_effect url="#red-effect"/></material>
    <material id="skin-material" name="skin"><instance_effect url="#skin-effect"/></material>
  </library_materials>
  <library_geometries>
    <geometry id="cube" name="cube">
      <mesh>
        <source id="cube-positions">
          <float_array id="cube-positions-array" count="24">${CUBE_V.flat().join(' ')}</float_array>
          <technique_common>
            <accessor source="#cube-positions-array" count="8" stride="3">
              <param name="X" type="float"/><param name="Y" type="float"/><param name="Z" type="float"/>
            </accessor>
          </technique_common>
        </source>
        <source id="cube-normals">
          <float_array id="cube-normals-array" count="18">${CUBE_FACES.map((f) => f.n.join(' ')).join('\n            ')}</float_array>
          <technique_common>
            <accessor source="#cube-normals-array" count="6" stride="3">
              <param name="X" type="float"/><param name="Y" type="float"/><param name="Z" type="float"/>
            </accessor>
          </technique_common>
        </source>
        <source id="cube-uv">
          <float_array id="cube-uv-array" count="8">0 0 1 0 1 1 0 1</float_array>
          <technique_common>
            <accessor source="#cube-uv-array" count="4" stride="2">
              <param name="S" type="float"/><param name="T" type="float"/>
            </accessor>
          </technique_common>
        </source>
        <vertices id="cube-vertices">
          <input semantic="POSITION" source="#cube-positions"/>
        </vertices>
        <lines count="1">
          <input semantic="VERTEX" source="#cube-vertices" offset="0"/>
          <p>0 6</p>
        </lines>
        <triangles material="RED" count="8">
        ${inputs}
          <p>${o.trianglesP ?? stripNormals(corners([0, 1, 2, 3], false))}</p>
        </triangles>
        <polylist material="SKIN" count="2">
        ${inputs}
          <vcount>4 4</vcount>
          <p>${stripNormals(corners([4, 5], true))}</p>
        </polylist>
      </mesh>
    </geometry>
  </library_geometries>
  <library_nodes>
    <node id="mirrored-cube" name="mirrored-cube">
      <scale>-1 1 1</scale>
      <instance_geometry url="#cube">
        <bind_material><technique_common>
          <instance_material symbol="RED" target="#red-material"/>
          <instance_material symbol="SKIN" target="#skin-material"/>
        </technique_common></bind_material>
      </instance_geometry>
    </node>
  </library_nodes>
  <library_visual_scenes>
    <visual_scene id="Scene" name="Scene">
      <node id="camera" name="camera"><matrix>1 0 0 100 0 1 0 100 0 0 1 100 0 0 0 1</matrix></node>
      <node id="a" name="a">
        ${o.transform ?? '<translate sid="location">10 0 0</translate>\n        <rotate sid="rotationY">0 1 0 90</rotate>\n        <scale sid="scale">2 3 4</scale>'}
        <instance_geometry url="#cube">
          <bind_material><technique_common>
            <instance_material symbol="RED" target="#red-material"/>
            <instance_material symbol="SKIN" target="#skin-material"/>
          </technique_common></bind_material>
        </instance_geometry>
      </node>
      <node id="b" name="b">
        <matrix sid="transform">1 0 0 0 0 1 0 0 0 0 1 5 0 0 0 1</matrix>
        <instance_node url="#mirrored-cube"/>
      </node>
    </visual_scene>
  </library_visual_scenes>
  <scene>
    <instance_visual_scene url="#Scene"/>
  </scene>
</COLLADA>
`;
}

/**
 * Where the two cubes end up. Node a: scale (2, 3, 4), then 90 degrees about +Y ((x, y, z) ->
 * (z, y, -x)), then +10 X: x in [10, 14], y in [0, 3], z in [-2, 0] cm. Node b: mirrored in X,
 * then +5 Z: x in [-1, 0], y in [0, 1], z in [5, 6] cm. Y up -> Z up ((x, y, z) -> (x, -z, y)) and
 * cm -> m.
 */
const BOX_A = { min: [0.1, 0, 0] as Vec3, max: [0.14, 0.02, 0.03] as Vec3 };
const BOX_B = { min: [-0.01, -0.06, 0] as Vec3, max: [0, -0.05, 0.01] as Vec3 };

function expectBounds(mesh: TriMesh, min: Vec3, max: Vec3, digits = 5): void {
  const b = meshBounds(mesh);
  expectVec3Close(b.min, min, digits);
  expectVec3Close(b.max, max, digits);
}

/** The part of the vertices inside a box (so the two cubes can be checked one by one). */
function inBox(mesh: TriMesh, box: { min: Vec3; max: Vec3 }): number[] {
  const out: number[] = [];
  for (let i = 0; i < vertexCount(mesh); i++) {
    const p = vertex(mesh, i);
    if ([0, 1, 2].every((k) => p[k] >= box.min[k] - 1e-6 && p[k] <= box.max[k] + 1e-6)) out.push(i);
  }
  return out;
}

/** Each vertex normal of a box-shaped cube points out of the face it lies on. */
function expectBoxNormals(mesh: TriMesh, box: { min: Vec3; max: Vec3 }): void {
  const c = [0, 1, 2].map((k) => (box.min[k] + box.max[k]) / 2);
  for (const i of inBox(mesh, box)) {
    const p = vertex(mesh, i), n = normal(mesh, i);
    const d = n[0] * (p[0] - c[0]) + n[1] * (p[1] - c[1]) + n[2] * (p[2] - c[2]);
    if (!(d > 0)) expect.fail(`normal of vertex ${i} points inward`);
  }
}

describe('Collada (hand-written file)', () => {
  it('applies translate, rotate, scale in order, <matrix>, <instance_node>, cm and Y_UP', async () => {
    const mesh = await loadMeshFile(write('cube.dae', cubeDae()), M);
    expectWellFormed(mesh);
    expect(triangleCount(mesh)).toBe(2 * 12); // the <lines> and the camera node add nothing
    expect(vertexCount(mesh)).toBe(2 * 24); // one vertex per position/normal pair
    expectBounds(mesh, [-0.01, -0.06, 0], [0.14, 0.02, 0.03]);
    expect(inBox(mesh, BOX_A).length).toBe(24);
    expect(inBox(mesh, BOX_B).length).toBe(24);
  });

  it('keeps counter-clockwise front faces, also for the mirrored instance, with the file normals', async () => {
    const mesh = await loadMeshFile(file('cube.dae'), M);
    expect(windingAgreement(mesh)).toBe(1);
    expectBoxNormals(mesh, BOX_A);
    expectBoxNormals(mesh, BOX_B);
    // The file's +Y face (normal (0, 1, 0)) of cube a is on top after Y up -> Z up.
    const top = inBox(mesh, BOX_A).filter((i) => Math.abs(vertex(mesh, i)[2] - 0.03) < 1e-6 && normal(mesh, i)[2] > 0.5);
    expect(top.length).toBe(4);
    for (const i of top) expectVec3Close(normal(mesh, i), [0, 0, 1]);
  });

  it('gives one part per material: the diffuse colour, and the texture image file', async () => {
    const { parts: p, warnings } = await parts(file('cube.dae'));
    expect(warnings).toEqual([]);
    expect(p.length).toBe(2);
    expect(p[0].color).toEqual([1, 0, 0]);
    expect(p[0].texture).toBeUndefined();
    expect(triangleCount(p[0].mesh)).toBe(2 * 8);
    expect(p[1].color).toBeUndefined();
    expect(p[1].texture).toBe(file('skin map.png'));
    expect(triangleCount(p[1].mesh)).toBe(2 * 4); // two quads per cube, fan-triangulated
    for (const part of p) {
      expectWellFormed(part.mesh);
      expect(windingAgreement(part.mesh)).toBe(1);
    }
  });

  it('warns about a missing texture and loads the part without it', async () => {
    const path = write('cube-no-texture.dae', cubeDae().replace('skin%20map.png', 'C:\\textures\\gone.png'));
    const { parts: p, warnings } = await parts(path);
    expect(p.length).toBe(2);
    expect(p[1].texture).toBeUndefined();
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toContain(path);
    expect(warnings[0]).toContain('gone.png');
  });

  it('fills in smooth outward normals when the file has none', async () => {
    const path = write('cube-no-normals.dae', cubeDae({ normals: false, unit: 'meter="1"', up: 'Z_UP', transform: '' }));
    const mesh = await loadMeshFile(path, M);
    expectWellFormed(mesh);
    // The 8 corners are shared within the geometry (smooth normals computed over it), then
    // duplicated once into each of the two material parts.
    expect(vertexCount(mesh)).toBe(2 * 2 * 8);
    expect(windingAgreement(mesh)).toBe(1);
    expectBoxNormals(mesh, { min: [0, 0, 0], max: [1, 1, 1] });
  });

  it('reads Z_UP and X_UP files and the default unit', async () => {
    const zUp = await loadMeshFile(write('cube-z.dae', cubeDae({ unit: 'name="meter" meter="1"', up: 'Z_UP', transform: '' })), M);
    expectBounds(zUp, [-1, 0, 0], [1, 1, 6]); // cube b: mirrored, +5 along the file's (and our) Z
    // X_UP: (x, y, z) -> (-y, -z, x); the unit element without meter means metres.
    const xUp = await loadMeshFile(write('cube-x.dae', cubeDae({ unit: 'name="whatever"', up: 'X_UP', transform: '' })), M);
    expectBounds(xUp, [-1, -6, -1], [0, 0, 1]);
    expect(windingAgreement(xUp)).toBe(1);
    expectBoxNormals(xUp, { min: [-1, -1, 0], max: [0, 0, 1] }); // cube a
  });

  it("applies the options' unit, up and scale on top of the file's own", async () => {
    const mesh = await loadMeshFile(file('cube.dae'), { unit: 'mm', up: 'z', scale: 2 });
    expectBounds(mesh, [-0.00002, -0.00012, 0], [0.00028, 0.00004, 0.00006], 8);
  });

  it('reads <polygons>, <trifans> and <tristrips> with their winding', async () => {
    const square = (body: string): string => cubeDae({ unit: 'meter="1"', up: 'Z_UP', transform: '' })
      .replace(/<triangles[\s\S]*<\/polylist>/, body)
      .replace(/<instance_node[^>]*>/, '');
    // The bottom face (normal -Z) as one polygon, one fan, and one strip: 0 3 1 2.
    const inputs = '<input semantic="VERTEX" source="#cube-vertices" offset="0"/><input semantic="NORMAL" source="#cube-normals" offset="1"/>';
    for (const body of [
      `<polygons material="RED" count="1">${inputs}<p>0 0 3 0 2 0 1 0</p></polygons>`,
      `<polygons material="RED" count="1">${inputs}<ph><p>0 0 3 0 2 0 1 0</p><h>0 0 0 0 0 0</h></ph></polygons>`,
      `<trifans material="RED" count="1">${inputs}<p>0 0 3 0 2 0 1 0</p></trifans>`,
      `<tristrips material="RED" count="1">${inputs}<p>0 0 3 0 1 0 2 0</p></tristrips>`,
    ]) {
      const path = write('square.dae', square(body));
      clearMeshCache();
      const mesh = await loadMeshFile(path, M);
      expect(triangleCount(mesh), body).toBe(2);
      expect(windingAgreement(mesh), body).toBe(1);
      expectBounds(mesh, [0, 0, 0], [1, 1, 0]);
    }
  });
});

describe('Collada errors', () => {
  it('rejects truncated XML', async () => {
    const text = cubeDae();
    await expectUserError(write('truncated.dae', text.slice(0, Math.floor(text.length * 0.6))), /malformed XML.*truncated/);
    await expectUserError(write('mismatched.dae', text.replace('</vertices>', '</vertex>')), /malformed XML at line \d+/);
  });

  it('rejects a file with no geometry, or whose scene places none', async () => {
    const noGeometry = cubeDae().replace(/<library_geometries>[\s\S]*<\/library_geometries>/, '<library_geometries/>');
    await expectUserError(write('no-geometry.dae', noGeometry), /contains no geometry/);
    const nothingPlaced = cubeDae().replace(/<node id="a"[\s\S]*<\/visual_scene>/, '</visual_scene>');
    await expectUserError(write('nothing-placed.dae', nothingPlaced), /places no geometry/);
    const skinned = cubeDae().replace(/<node id="a"[\s\S]*<\/visual_scene>/, '<node id="s"><instance_controller url="#skin"/></node></visual_scene>');
    await expectUserError(write('skinned.dae', skinned), /places no geometry \(1 <instance_controller> skipped: skinned meshes are not supported\)/);
  });

  it('rejects an index out of range, naming the geometry and the source', async () => {
    const p = corners([0, 1, 2, 3], false).split(' ');
    p[3 * 5] = '8';
    await expectUserError(write('bad-index.dae', cubeDae({ trianglesP: p.join(' ') })), /geometry "cube".*vertex index 8 is out of range \(source "cube-positions" has 8 elements\)/);
    p[3 * 5] = '0';
    p[3 * 7 + 1] = '6';
    await expectUserError(write('bad-normal.dae', cubeDae({ trianglesP: p.join(' ') })), /normal index 6 is out of range/);
    await expectUserError(write('short-p.dae', cubeDae({ trianglesP: p.slice(0, 10).join(' ') })), /not a multiple of the 3 inputs/);
  });

  it('rejects bad numbers, bad references and unsupported declarations', async () => {
    await expectUserError(write('bad-number.dae', cubeDae().replace('count="24">0 0 0', 'count="24">0 zero 0')), /float_array.*"zero" is not a number/);
    await expectUserError(write('bad-source.dae', cubeDae().replace('source="#cube-normals" offset="1"', 'source="#nowhere" offset="1"')), /refers to no <source> "nowhere"/);
    await expectUserError(write('bad-unit.dae', cubeDae({ unit: 'meter="-1"' })), /unit meter="-1"/);
    await expectUserError(write('bad-up.dae', cubeDae({ up: 'W_UP' })), /unknown <up_axis> "W_UP"/);
    await expectUserError(write('bad-vcount.dae', cubeDae().replace('<vcount>4 4</vcount>', '<vcount>4 3</vcount>')), /<vcount> adds up to 7 corners but <p> has 8/);
    await expectUserError(write('not-collada.dae', '<?xml version="1.0"?><robot name="x"/>'), /not a Collada file/);
    const doctype = '<?xml version="1.0"?>\n<!DOCTYPE COLLADA [<!ENTITY lol "lol">]>\n' + cubeDae().replace(/^<\?xml[^>]*>\n/, '');
    await expectUserError(write('doctype.dae', doctype), /DOCTYPE declarations are not allowed/);
  });

  it('refuses a Collada file over 64 MB without reading it', async () => {
    const path = write('huge.dae', '');
    truncateSync(path, 64 * 1024 * 1024 + 1); // sparse: takes no disk space
    await expectUserError(path, /67108865 bytes.*over 64 MB/);
  });
});

// ---------------------------------------------------------------------------------------------
// Real robot meshes (read in place from shared/fixtures, never copied).

const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/', import.meta.url));
const ROBOTS = join(FIXTURES, 'example-robot-data', 'robots');
const UR5 = join(ROBOTS, 'ur_description', 'meshes', 'ur5', 'visual');
const PANDA = join(ROBOTS, 'panda_description', 'meshes', 'visual');
const skipNote = (p: string): string => (existsSync(p) ? '' : ` [SKIPPED: fixture folder ${p} is absent]`);
const extents = (mesh: TriMesh): number[] => {
  const { min, max } = meshBounds(mesh);
  return [0, 1, 2].map((k) => max[k] - min[k]);
};

async function expectRobotMesh(path: string): Promise<{ mesh: TriMesh; parts: MeshPart[]; ms: number }> {
  const t0 = performance.now();
  const { parts: p, warnings } = await parts(path);
  const ms = performance.now() - t0;
  expect(warnings, path).toEqual([]);
  expect(p.length, path).toBeGreaterThan(0);
  for (const part of p) {
    expectWellFormed(part.mesh);
    expect(part.color, `${path}: every material of these files has a diffuse colour`).toBeDefined();
  }
  const mesh = await loadMeshFile(path, M);
  expect(windingAgreement(mesh), path).toBeGreaterThan(0.999);
  const longest = Math.max(...extents(mesh));
  expect(longest, path).toBeGreaterThan(0.02);
  expect(longest, path).toBeLessThan(0.6);
  return { mesh, parts: p, ms };
}

describe('robot Collada fixtures', () => {
  it.skipIf(!existsSync(UR5))(`loads the seven UR5 visual meshes${skipNote(UR5)}`, async () => {
    const files = readdirSync(UR5).filter((f) => f.endsWith('.dae')).sort();
    expect(files.length).toBe(7);
    for (const f of files) await expectRobotMesh(join(UR5, f));

    const { mesh, parts: p } = await expectRobotMesh(join(UR5, 'upperarm.dae'));
    expect(triangleCount(mesh)).toBe(29436);
    const [x, y, z] = extents(mesh);
    expect(z).toBeGreaterThan(0.45); // the upper arm is 0.425 m between its joints, plus the joint housings
    expect(z).toBeLessThan(0.6);
    expect(Math.max(x, y)).toBeLessThan(0.15);
    // Its materials: dark grey, black, the blue joint caps, grey tube.
    expect(p.map((q) => q.color!.map((c) => +c.toFixed(3)))).toEqual([
      [0.143, 0.143, 0.143], [0.051, 0.051, 0.051], [0.251, 0.348, 0.41], [0.42, 0.42, 0.42],
    ]);
  });

  it.skipIf(!existsSync(PANDA))(`loads the ten Panda visual meshes, each well under a second${skipNote(PANDA)}`, async () => {
    const files = readdirSync(PANDA).filter((f) => f.endsWith('.dae')).sort();
    expect(files.length).toBe(10);
    clearMeshCache();
    for (const f of files) {
      const { ms } = await expectRobotMesh(join(PANDA, f));
      expect(ms, f).toBeLessThan(2000); // about 50 ms on a quiet machine; generous for loaded CI
    }
    const { mesh, parts: p } = await expectRobotMesh(join(PANDA, 'link0.dae'));
    expect(triangleCount(mesh)).toBe(20483);
    const longest = Math.max(...extents(mesh));
    expect(longest).toBeGreaterThan(0.2);
    expect(longest).toBeLessThan(0.3);
    // Twelve materials in three distinct colours: one part each.
    expect(p.map((q) => q.color!.map((c) => +c.toFixed(3)))).toEqual([[1, 1, 1], [0.902, 0.922, 0.929], [0.251, 0.251, 0.251]]);
  });
});
