/**
 * The project's own robot, assets/robots/robosynth_arm: the URDF reads with src/robot/urdf.ts and
 * has the documented links and joints; every mesh loads, is light, closed and wound outwards and
 * lies inside its link's collision primitives; README's tables (joints, DH parameters, links,
 * configurations) agree with the files; the named configurations are sensible; and the generator
 * (scripts/make-robot.ts) reproduces the committed files byte for byte.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMeshFile } from '../../src/geometry/mesh-files.js';
import { boxMesh } from '../../src/geometry/primitives.js';
import { composePoses, invertPose, mulMat3Vec, transformPoint } from '../../src/geometry/transforms.js';
import type { Pose, TriMesh, Vec3 } from '../../src/geometry/types.js';
import type { Urdf, UrdfLink } from '../../src/robot/types.js';
import { loadUrdf } from '../../src/robot/urdf.js';
import {
  dhTransform, inertials, insidePrimitive, linkPoses, primitiveSurface, readTable, readValue, rpyToMat3, signedVolume,
  tableRecords, unmatchedEdges,
} from './checks.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = join(root, 'assets/robots/robosynth_arm');
const urdfPath = join(dir, 'robosynth_arm.urdf');
const packages = { robosynth_arm: dir };
const readme = readFileSync(join(dir, 'README.md'), 'utf8');
const configurations = JSON.parse(readFileSync(join(dir, 'configurations.json'), 'utf8')) as Record<string, Record<string, number>>;

const LINKS = [
  'base_link', 'shoulder_link', 'upper_arm_link', 'forearm_link', 'wrist_1_link', 'wrist_2_link', 'wrist_3_link',
  'flange', 'hand', 'left_finger', 'right_finger', 'tcp',
];
const ARM_JOINTS = ['shoulder_pan_joint', 'shoulder_lift_joint', 'elbow_joint', 'wrist_1_joint', 'wrist_2_joint', 'wrist_3_joint'];

let urdf: Urdf;
/** Loaded meshes by absolute path. */
const meshes = new Map<string, TriMesh>();
const linkByName = (name: string): UrdfLink => urdf.links.find((l) => l.name === name)!;
const joint = (name: string) => urdf.joints.find((j) => j.name === name)!;

beforeAll(async () => {
  urdf = loadUrdf(urdfPath, packages);
  for (const l of urdf.links) {
    for (const v of l.visuals) {
      if (v.geometry.type === 'mesh' && !meshes.has(v.geometry.file)) {
        meshes.set(v.geometry.file, await loadMeshFile(v.geometry.file, { unit: 'm', up: 'z', scale: 1 }));
      }
    }
  }
});

/** Vertices of a link's visual meshes in the link frame. */
function linkVertices(l: UrdfLink): Vec3[] {
  const out: Vec3[] = [];
  for (const v of l.visuals) {
    if (v.geometry.type !== 'mesh') continue;
    const m = meshes.get(v.geometry.file)!;
    for (let i = 0; i < m.positions.length; i += 3) {
      out.push(transformPoint(v.origin, [m.positions[i], m.positions[i + 1], m.positions[i + 2]]));
    }
  }
  return out;
}

/** A small seeded generator for joint values (the test must not be flaky). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function expectPoseClose(a: Pose, b: Pose, eps: number): void {
  for (let k = 0; k < 3; k++) expect(Math.abs(a.t[k] - b.t[k])).toBeLessThan(eps);
  for (let k = 0; k < 9; k++) expect(Math.abs(a.R[k] - b.R[k])).toBeLessThan(eps);
}

describe('robosynth_arm URDF', () => {
  it('is a well-formed URDF with the expected links, joints and tree', () => {
    expect(urdf.name).toBe('robosynth_arm');
    expect(urdf.root).toBe('base_link');
    expect(urdf.links.map((l) => l.name).sort()).toEqual([...LINKS].sort());
    const chain = urdf.joints.map((j) => [j.name, j.type, j.parent, j.child]);
    expect(chain).toEqual([
      ['shoulder_pan_joint', 'revolute', 'base_link', 'shoulder_link'],
      ['shoulder_lift_joint', 'revolute', 'shoulder_link', 'upper_arm_link'],
      ['elbow_joint', 'revolute', 'upper_arm_link', 'forearm_link'],
      ['wrist_1_joint', 'revolute', 'forearm_link', 'wrist_1_link'],
      ['wrist_2_joint', 'revolute', 'wrist_1_link', 'wrist_2_link'],
      ['wrist_3_joint', 'revolute', 'wrist_2_link', 'wrist_3_link'],
      ['flange_joint', 'fixed', 'wrist_3_link', 'flange'],
      ['hand_joint', 'fixed', 'flange', 'hand'],
      ['left_finger_joint', 'prismatic', 'hand', 'left_finger'],
      ['right_finger_joint', 'prismatic', 'hand', 'right_finger'],
      ['tcp_joint', 'fixed', 'hand', 'tcp'],
    ]);
  });

  it('has realistic limits and a right finger that mimics the left one', () => {
    for (const name of ARM_JOINTS) {
      const range = name === 'elbow_joint' ? Math.PI : 2 * Math.PI;
      expect(joint(name).limit!.lower, name).toBeCloseTo(-range, 9);
      expect(joint(name).limit!.upper, name).toBeCloseTo(range, 9);
      expect(joint(name).limit!.effort).toBeGreaterThan(0);
      expect(joint(name).limit!.velocity).toBeGreaterThan(0);
    }
    for (const name of ['left_finger_joint', 'right_finger_joint']) {
      expect(joint(name).limit).toMatchObject({ lower: 0, upper: 0.04 });
    }
    expect(joint('left_finger_joint').mimic).toBeUndefined();
    expect(joint('right_finger_joint').mimic).toEqual({ joint: 'left_finger_joint', multiplier: 1, offset: 0 });
  });

  it('opens the fingers symmetrically: the pads are 2q + 1 mm apart, the TCP between the tips', () => {
    const finger = linkVertices(linkByName('left_finger'));
    for (const q of [0, 0.013, 0.04]) {
      const poses = linkPoses(urdf, { left_finger_joint: q });
      const handFromWorld = invertPose(poses.get('hand')!);
      const inHand = (link: string): Vec3[] => {
        const handFromLink = composePoses(handFromWorld, poses.get(link)!);
        return finger.map((p) => transformPoint(handFromLink, p));
      };
      const left = inHand('left_finger'), right = inHand('right_finger');
      const leftPad = Math.min(...left.map((p) => p[1]));
      const rightPad = Math.max(...right.map((p) => p[1]));
      expect(leftPad - rightPad).toBeCloseTo(2 * q + 0.001, 6);
      expect(Math.max(...left.map((p) => p[2]))).toBeCloseTo(Math.max(...right.map((p) => p[2])), 9);
    }
    const tcp = joint('tcp_joint').origin.t;
    const tip = joint('left_finger_joint').origin.t[2] + Math.max(...finger.map((p) => p[2]));
    expect(tcp[0]).toBe(0);
    expect(tcp[1]).toBe(0);
    expect(tip - tcp[2]).toBeCloseTo(0.01, 6); // float32 mesh coordinates
  });

  it('gives every link but tcp visual meshes with named colour materials and collision primitives', () => {
    const materials = new Set<string>();
    for (const l of urdf.links) {
      if (l.name === 'tcp') {
        expect(l.visuals).toEqual([]);
        expect(l.collisions).toEqual([]);
        continue;
      }
      expect(l.visuals.length, l.name).toBeGreaterThan(0);
      expect(l.collisions.length, l.name).toBeGreaterThan(0);
      for (const v of l.visuals) {
        expect(v.geometry.type).toBe('mesh');
        if (v.geometry.type !== 'mesh') continue;
        expect(v.geometry.uri).toMatch(/^package:\/\/robosynth_arm\/meshes\/[a-z0-9_]+\.stl$/);
        expect(v.geometry.file).toBe(join(dir, 'meshes', v.geometry.uri.slice('package://robosynth_arm/meshes/'.length)));
        expect(v.geometry.scale).toEqual([1, 1, 1]);
        expect(v.material?.name).toBeTruthy();
        expect(v.material?.color).toHaveLength(4);
        materials.add(v.material!.name!);
      }
      for (const c of l.collisions) expect(['box', 'cylinder', 'sphere']).toContain(c.geometry.type);
    }
    expect([...materials].sort()).toEqual(['finger_black', 'flange_metal', 'housing_grey', 'joint_grey']);
    const colour = (name: string) => urdf.links.flatMap((l) => l.visuals).find((v) => v.material?.name === name)!.material!.color!;
    expect(colour('housing_grey')[0]).toBeGreaterThan(0.7);
    expect(colour('joint_grey')[0]).toBeLessThan(0.35);
    expect(colour('finger_black')[0]).toBeLessThan(0.1);
  });

  it('has plausible inertials: positive masses and inertias that satisfy the triangle inequality', () => {
    const found = inertials(readFileSync(urdfPath, 'utf8'));
    expect([...found.keys()].sort()).toEqual(LINKS.filter((l) => l !== 'tcp').sort());
    let total = 0;
    for (const [link, { mass, I }] of found) {
      const [xx, yy, zz] = [I.ixx, I.iyy, I.izz];
      expect(mass, link).toBeGreaterThan(0);
      for (const [a, b, c] of [[xx, yy, zz], [yy, zz, xx], [zz, xx, yy]]) expect(a + b, link).toBeGreaterThan(c);
      total += mass;
    }
    expect(total).toBeGreaterThan(15);
    expect(total).toBeLessThan(30);
  });
});

describe('robosynth_arm meshes', () => {
  it('(the mesh checks catch open and inside-out meshes)', () => {
    const cube = boxMesh([0.1, 0.2, 0.3]);
    expect(unmatchedEdges(cube)).toBe(0);
    expect(signedVolume(cube)).toBeCloseTo(0.006, 9);
    expect(unmatchedEdges({ ...cube, indices: cube.indices.slice(3) })).toBe(3);
    const flipped = new Uint32Array(cube.indices);
    for (let i = 0; i < flipped.length; i += 3) [flipped[i + 1], flipped[i + 2]] = [flipped[i + 2], flipped[i + 1]];
    expect(signedVolume({ ...cube, indices: flipped })).toBeLessThan(0);
  });

  it('load with loadMeshFile, are light, closed and wound outwards', () => {
    const files = readdirSync(join(dir, 'meshes')).sort();
    const referenced = [...meshes.keys()].map((f) => f.slice(join(dir, 'meshes').length + 1)).sort();
    expect(referenced).toEqual(files); // no stray files, none missing
    for (const [file, m] of meshes) {
      const tris = m.indices.length / 3;
      expect(tris, file).toBeGreaterThan(0);
      expect(tris, file).toBeLessThan(5000);
      expect(unmatchedEdges(m), file).toBe(0);
      expect(signedVolume(m), file).toBeGreaterThan(0);
    }
  });

  it('lie inside their link\'s collision primitives (within 2 mm)', () => {
    for (const l of urdf.links) {
      const outside = linkVertices(l).filter((p) => !l.collisions.some((c) => insidePrimitive(p, c, 0.002)));
      expect(outside.length, `${l.name}: ${outside.length} vertices outside, e.g. ${JSON.stringify(outside[0])}`).toBe(0);
    }
  });

  it('fill their collision primitives: the primitives are no more than 3 mm larger than the meshes', () => {
    for (const l of urdf.links) {
      const verts = linkVertices(l);
      for (const c of l.collisions) {
        const primitiveFromLink = invertPose(c.origin);
        const local = verts.filter((p) => insidePrimitive(p, c, 0.002)).map((p) => transformPoint(primitiveFromLink, p));
        const extent = (k: number) => Math.max(...local.map((p) => p[k])) - Math.min(...local.map((p) => p[k]));
        const g = c.geometry;
        if (g.type === 'cylinder') {
          expect(g.radius - Math.max(...local.map((p) => Math.hypot(p[0], p[1]))), l.name).toBeLessThan(0.003);
          expect(g.length - extent(2), l.name).toBeLessThan(0.006);
        } else if (g.type === 'box') {
          for (let k = 0; k < 3; k++) expect(g.size[k] - extent(k), l.name).toBeLessThan(0.006);
        }
      }
    }
  });
});

describe('robosynth_arm README', () => {
  it('documents every joint as the URDF has it', () => {
    const rows = tableRecords(readTable(readme, 'Joints'));
    expect(rows.map((r) => r.joint)).toEqual(urdf.joints.map((j) => j.name));
    for (const r of rows) {
      const j = joint(r.joint);
      expect([r.type, r.parent, r.child], r.joint).toEqual([j.type, j.parent, j.child]);
      const xyz = r['xyz (m)'].split(' ').map(readValue);
      for (let k = 0; k < 3; k++) expect(j.origin.t[k], r.joint).toBeCloseTo(xyz[k], 9);
      const rpy = r['rpy (rad)'].split(' ').map(readValue);
      const R = rpyToMat3(rpy[0], rpy[1], rpy[2]);
      for (let k = 0; k < 9; k++) expect(j.origin.R[k], r.joint).toBeCloseTo(R[k], 9);
      if (r.axis === '—') {
        expect(j.type).toBe('fixed');
        continue;
      }
      expect(j.axis).toEqual(r.axis.split(' ').map(Number));
      expect(j.limit!.lower, r.joint).toBeCloseTo(readValue(r.lower), 9);
      expect(j.limit!.upper, r.joint).toBeCloseTo(readValue(r.upper), 9);
      expect(j.limit!.effort, r.joint).toBeCloseTo(readValue(r.effort), 9);
      expect(j.limit!.velocity, r.joint).toBeCloseTo(readValue(r.velocity), 9);
      const mimic = j.mimic ? `${j.mimic.joint} × ${j.mimic.multiplier} + ${j.mimic.offset}` : '—';
      expect(r.mimic, r.joint).toBe(mimic);
    }
  });

  it('gives DH parameters that reproduce the URDF chain from base_link to the flange', () => {
    const rows = tableRecords(readTable(readme, 'Kinematic parameters'));
    expect(rows.map((r) => r.joint)).toEqual(ARM_JOINTS);
    const dh = rows.map((r) => [r['θ offset (rad)'], r['d (m)'], r['a (m)'], r['α (rad)']].map(readValue));
    const random = lcg(7);
    const configs: Record<string, number>[] = [configurations.zero, configurations.home];
    for (let n = 0; n < 50; n++) configs.push(Object.fromEntries(ARM_JOINTS.map((name) => [name, (random() * 2 - 1) * Math.PI * 2])));
    for (const q of configs) {
      let T: Pose = { R: [1, 0, 0, 0, 1, 0, 0, 0, 1], t: [0, 0, 0] };
      ARM_JOINTS.forEach((name, i) => {
        T = composePoses(T, dhTransform((q[name] ?? 0) + dh[i][0], dh[i][1], dh[i][2], dh[i][3]));
      });
      expectPoseClose(T, linkPoses(urdf, q).get('flange')!, 1e-9);
    }
  });

  it('lists every link with its meshes, materials, triangle counts, primitives and mass', () => {
    const rows = tableRecords(readTable(readme, 'Links'));
    expect(rows.map((r) => r.link).sort()).toEqual([...LINKS].sort());
    const masses = inertials(readFileSync(urdfPath, 'utf8'));
    for (const r of rows) {
      const l = linkByName(r.link);
      if (l.name === 'tcp') continue;
      const visuals = l.visuals.map((v) => `${v.geometry.type === 'mesh' ? v.geometry.uri.replace(/^.*\/|\.stl$/g, '') : '?'} (${v.material?.name})`);
      expect(r['visual meshes (material)'], l.name).toBe(visuals.join(', '));
      const tris = l.visuals.map((v) => (v.geometry.type === 'mesh' ? meshes.get(v.geometry.file)!.indices.length / 3 : 0));
      expect(r.triangles, l.name).toBe(tris.join(' + '));
      const counts = new Map<string, number>();
      for (const c of l.collisions) counts.set(c.geometry.type, (counts.get(c.geometry.type) ?? 0) + 1);
      const described = Object.fromEntries(r['collision primitives'].split(', ').map((s) => {
        const [n, kind] = s.split(' ');
        return [kind.replace(/es$|s$/, ''), Number(n)];
      }));
      expect(described, l.name).toEqual(Object.fromEntries(counts));
      expect(Number(r['mass (kg)']), l.name).toBe(masses.get(l.name)?.mass);
    }
  });

  it('documents the named configurations as configurations.json has them', () => {
    const rows = tableRecords(readTable(readme, 'Configurations'));
    expect(rows.map((r) => r.name).sort()).toEqual(Object.keys(configurations).sort());
    for (const r of rows) {
      for (const [key, text] of Object.entries(r)) {
        if (key === 'name') continue;
        const name = key === 'left_finger' ? 'left_finger_joint' : `${key}_joint`;
        expect(configurations[r.name][name], `${r.name} ${name}`).toBeCloseTo(readValue(text), 9);
      }
    }
  });
});

describe('robosynth_arm configurations', () => {
  const actuated = [...ARM_JOINTS, 'left_finger_joint'];

  it('name every actuated joint, within its limits', () => {
    expect(Object.keys(configurations).sort()).toEqual(['home', 'zero']);
    for (const [name, q] of Object.entries(configurations)) {
      expect(Object.keys(q).sort(), name).toEqual([...actuated].sort());
      for (const [j, v] of Object.entries(q)) {
        expect(v, `${name} ${j}`).toBeGreaterThanOrEqual(joint(j).limit!.lower);
        expect(v, `${name} ${j}`).toBeLessThanOrEqual(joint(j).limit!.upper);
      }
    }
    expect(Object.values(configurations.zero).every((v) => v === 0)).toBe(true);
  });

  it('home stands folded above the base with the tool pointing down', () => {
    const poses = linkPoses(urdf, configurations.home);
    expect(Math.abs(configurations.home.elbow_joint)).toBeGreaterThan(Math.PI / 2); // folded
    for (const l of LINKS) {
      const t = poses.get(l)!.t;
      expect(Math.hypot(t[0], t[1]), l).toBeLessThan(0.35); // over and around the base
    }
    const tcp = poses.get('tcp')!;
    expect(tcp.t[2]).toBeGreaterThan(0.2);
    const approach = mulMat3Vec(tcp.R, [0, 0, 1]);
    expect(approach[2]).toBeLessThan(-0.999);
    // Everything but the base stays above the mounting plane.
    for (const l of urdf.links) {
      if (l.name === 'base_link') continue;
      for (const p of linkVertices(l)) expect(transformPoint(poses.get(l.name)!, p)[2], l.name).toBeGreaterThan(0.05);
    }
  });

  /** Pairs "a|b" of links not joined by a joint where a's collision surface reaches 1 mm into b's primitives. */
  function selfCollisions(q: Record<string, number>): string[] {
    const joined = new Set(urdf.joints.flatMap((j) => [`${j.parent}|${j.child}`, `${j.child}|${j.parent}`]));
    const solid = urdf.links.filter((l) => l.collisions.length > 0);
    const poses = linkPoses(urdf, q);
    const found: string[] = [];
    for (const a of solid) {
      const surface = a.collisions.flatMap((c) => primitiveSurface(c, 0.004));
      for (const b of solid) {
        if (a === b || joined.has(`${a.name}|${b.name}`)) continue;
        const bFromA = composePoses(invertPose(poses.get(b.name)!), poses.get(a.name)!);
        if (surface.some((p) => b.collisions.some((c) => insidePrimitive(transformPoint(bFromA, p), c, -0.001)))) found.push(`${a.name}|${b.name}`);
      }
    }
    return found;
  }

  it('zero and home are free of self-collision between links not joined by a joint', () => {
    expect(selfCollisions(configurations.zero)).toEqual([]);
    expect(selfCollisions(configurations.home)).toEqual([]);
    // The check does find collisions: the forearm folded straight down puts the wrist into the shoulder.
    expect(selfCollisions({ elbow_joint: Math.PI })).toContain('wrist_1_link|shoulder_link');
  });
});

describe('scripts/make-robot.ts', () => {
  const work = mkdtempSync(join(tmpdir(), 'robosynth-arm-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const generate = (out: string): void => {
    execFileSync(process.execPath, ['--import', 'tsx', join(root, 'scripts/make-robot.ts'), '--out', out], { cwd: root, stdio: 'pipe' });
  };
  const files = (base: string): string[] => {
    const out: string[] = [];
    const walk = (rel: string) => {
      for (const e of readdirSync(join(base, rel), { withFileTypes: true })) {
        const path = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) walk(path);
        else out.push(path);
      }
    };
    walk('');
    return out.sort();
  };

  it('reproduces the committed files byte for byte, run after run', { timeout: 120_000 }, () => {
    const a = join(work, 'a'), b = join(work, 'b');
    generate(a);
    generate(b);
    const generated = files(a);
    expect(generated).toContain('robosynth_arm.urdf');
    expect(generated).toContain('configurations.json');
    expect(files(b)).toEqual(generated);
    // The committed folder holds exactly the generated files plus the hand-written README.
    expect(files(dir)).toEqual([...generated, 'README.md'].sort());
    for (const f of generated) {
      const bytes = readFileSync(join(a, f));
      expect(readFileSync(join(b, f)).equals(bytes), `${f} differs between two runs`).toBe(true);
      expect(readFileSync(join(dir, f)).equals(bytes), `${f} differs from the committed file: rerun npx tsx scripts/make-robot.ts`).toBe(true);
    }
    expect(existsSync(join(a, 'README.md'))).toBe(false);
  });
});
