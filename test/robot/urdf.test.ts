/**
 * The URDF reader on the real UR5 and Panda descriptions, and every error path on hand-made
 * files: each is a one-line UserError naming the file (and line), the link or joint, and for
 * files the URI as written and the path it resolved to.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actuatedJoints } from '../../src/robot/kinematics.js';
import type { Urdf, UrdfGeometry } from '../../src/robot/types.js';
import { loadUrdf, parseUrdf, rpyToMat3 } from '../../src/robot/urdf.js';
import { fixtureTitle, HAVE_FIXTURES, PACKAGES, PANDA_URDF, UR5_URDF, userError } from './fixtures.js';

function meshes(urdf: Urdf): Extract<UrdfGeometry, { type: 'mesh' }>[] {
  return urdf.links.flatMap((link) => [...link.visuals, ...link.collisions].map((v) => v.geometry)).filter((g) => g.type === 'mesh');
}

describe.skipIf(!HAVE_FIXTURES)(fixtureTitle('the real descriptions (example-robot-data)'), () => {
  it('loads the UR5: 11 links, 10 joints, 6 actuated, every mesh resolved to an existing file', () => {
    const ur5 = loadUrdf(UR5_URDF, PACKAGES);
    expect(ur5.name).toBe('ur5');
    expect(ur5.file).toBe(path.resolve(UR5_URDF));
    // base_link, shoulder_link, upper_arm_link, forearm_link, wrist_1..3_link, ee_link, base, tool0, world
    expect(ur5.links).toHaveLength(11);
    // 6 revolute + ee_fixed_joint, base_link-base_fixed_joint, wrist_3_link-tool0_fixed_joint, world_joint
    expect(ur5.joints).toHaveLength(10);
    expect(ur5.root).toBe('world');
    expect(actuatedJoints(ur5).map((j) => j.name)).toEqual(['shoulder_pan_joint', 'shoulder_lift_joint', 'elbow_joint', 'wrist_1_joint', 'wrist_2_joint', 'wrist_3_joint']);
    // The <joint> elements inside <transmission> are not joints of the robot.
    expect(ur5.joints.filter((j) => j.type === 'revolute')).toHaveLength(6);

    const all = meshes(ur5);
    expect(all).toHaveLength(14); // 7 links x (visual .dae + collision .stl)
    for (const mesh of all) {
      expect(mesh.uri.startsWith('package://example-robot-data/robots/ur_description/meshes/ur5/')).toBe(true);
      expect(path.isAbsolute(mesh.file)).toBe(true);
      expect(statSync(mesh.file).isFile()).toBe(true);
      expect(mesh.file).toBe(path.join(PACKAGES['example-robot-data'], mesh.uri.slice('package://example-robot-data/'.length)));
      expect(mesh.scale).toEqual([1, 1, 1]);
    }
    const forearm = ur5.links.find((l) => l.name === 'forearm_link');
    expect(forearm?.visuals[0].material).toEqual({ name: 'LightGrey', color: [0.7, 0.7, 0.7, 1] });
    const ee = ur5.links.find((l) => l.name === 'ee_link');
    expect(ee?.collisions[0].geometry).toEqual({ type: 'box', size: [0.01, 0.01, 0.01] });
    expect(ee?.collisions[0].origin.t).toEqual([-0.01, 0, 0]);

    const lift = ur5.joints.find((j) => j.name === 'shoulder_lift_joint');
    expect(lift?.axis).toEqual([0, 1, 0]);
    expect(lift?.limit).toEqual({ lower: -6.28318530718, upper: 6.28318530718, effort: 150, velocity: 3.15 });
    expect(lift?.origin.t).toEqual([0, 0.13585, 0]);
  });

  it('loads the Panda: 13 links, 12 joints, 8 actuated (the second finger mimics the first)', () => {
    const panda = loadUrdf(PANDA_URDF, PACKAGES);
    expect(panda.name).toBe('panda');
    // panda_link0..8, panda_hand, panda_hand_tcp, panda_leftfinger, panda_rightfinger
    expect(panda.links).toHaveLength(13);
    // panda_joint1..7 (revolute), panda_joint8, panda_hand_joint, panda_hand_tcp_joint (fixed), 2 prismatic fingers
    expect(panda.joints).toHaveLength(12);
    expect(panda.root).toBe('panda_link0');
    expect(actuatedJoints(panda).map((j) => j.name)).toEqual([
      'panda_joint1', 'panda_joint2', 'panda_joint3', 'panda_joint4', 'panda_joint5', 'panda_joint6', 'panda_joint7', 'panda_finger_joint1',
    ]);
    const finger2 = panda.joints.find((j) => j.name === 'panda_finger_joint2');
    expect(finger2?.type).toBe('prismatic');
    expect(finger2?.axis).toEqual([0, -1, 0]);
    expect(finger2?.mimic).toEqual({ joint: 'panda_finger_joint1', multiplier: 1, offset: 0 });
    expect(panda.joints.find((j) => j.name === 'panda_joint4')?.limit).toMatchObject({ lower: -3.0718, upper: -0.0698 });

    const all = meshes(panda);
    // 8 links with a visual .dae and a collision .stl (link0..7, hand) + 2 finger visuals
    expect(all).toHaveLength(20);
    for (const mesh of all) expect(statSync(mesh.file).isFile()).toBe(true);
    const left = panda.links.find((l) => l.name === 'panda_leftfinger');
    expect(left?.collisions).toHaveLength(4);
    expect(left?.collisions[0].geometry).toEqual({ type: 'box', size: [22e-3, 15e-3, 20e-3] });
    expect(left?.visuals[0].material).toBeUndefined();
  });

  it('loads the Panda collision variant with cylinder and sphere collision shapes', () => {
    const panda = loadUrdf(PANDA_URDF.replace('panda.urdf', 'panda_collision.urdf'), PACKAGES);
    const link0 = panda.links.find((l) => l.name === 'panda_link0');
    expect(link0?.collisions.map((c) => c.geometry.type)).toEqual(['cylinder', 'sphere', 'sphere']);
    expect(link0?.collisions[0].geometry).toEqual({ type: 'cylinder', radius: 0.09, length: 0.03 });
  });
});

// ---- Hand-made descriptions ------------------------------------------------------------------

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'robosynth-urdf-'));
  mkdirSync(path.join(tmp, 'robots', 'meshes'), { recursive: true });
  mkdirSync(path.join(tmp, 'pkg', 'meshes'), { recursive: true });
  for (const file of ['robots/meshes/a.stl', 'pkg/meshes/b.stl', 'pkg/meshes/wood.png']) writeFileSync(path.join(tmp, file), 'solid x\nendsolid x\n');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A robot of two links and one revolute joint; `links`/`joints` replace or extend that body. */
function robot(body: string): string {
  return `<?xml version="1.0"?>\n<robot name="test">\n${body}\n</robot>\n`;
}
const TWO_LINKS = `
  <link name="base"/>
  <link name="arm"/>
  <joint name="j1" type="revolute">
    <parent link="base"/>
    <child link="arm"/>
    <origin xyz="0 0 0.1" rpy="0 0 0"/>
    <axis xyz="0 0 1"/>
    <limit lower="-1" upper="1"/>
  </joint>`;

describe('parseUrdf', () => {
  it('reads origins with URDF rpy (R = Rz(yaw) Ry(pitch) Rx(roll)) and normalizes axes', () => {
    const urdf = parseUrdf(robot(TWO_LINKS.replace('rpy="0 0 0"', 'rpy="1.5707963267948966 1.5707963267948966 0"').replace('xyz="0 0 1"', 'xyz="0 0 2"')), 't.urdf', {});
    const R = urdf.joints[0].origin.R;
    // Rx(90°) first, then Ry(90°): x -> -z and y -> x (the other order would send x -> y).
    const x = [R[0], R[3], R[6]], y = [R[1], R[4], R[7]];
    expect(x[0]).toBeCloseTo(0, 12); expect(x[1]).toBeCloseTo(0, 12); expect(x[2]).toBeCloseTo(-1, 12);
    expect(y[0]).toBeCloseTo(1, 12); expect(y[1]).toBeCloseTo(0, 12); expect(y[2]).toBeCloseTo(0, 12);
    expect(urdf.joints[0].axis).toEqual([0, 0, 1]);
    expect(urdf.joints[0].origin.t).toEqual([0, 0, 0.1]);

    // General angles against the closed form of Rz(y) Ry(p) Rx(r).
    const [r, p, yw] = [0.3, -0.7, 2.1];
    const [cr, sr, cp, sp, cy, sy] = [Math.cos(r), Math.sin(r), Math.cos(p), Math.sin(p), Math.cos(yw), Math.sin(yw)];
    const expected = [
      cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr,
      sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr,
      -sp, cp * sr, cp * cr,
    ];
    rpyToMat3(r, p, yw).forEach((value, i) => expect(value).toBeCloseTo(expected[i], 14));
  });

  it('defaults: no origin is the identity, no axis is 1 0 0, mimic multiplier 1 and offset 0', () => {
    const urdf = parseUrdf(robot(`
      <link name="a"/><link name="b"/><link name="c"/>
      <joint name="j1" type="continuous"><parent link="a"/><child link="b"/></joint>
      <joint name="j2" type="continuous"><parent link="b"/><child link="c"/><mimic joint="j1"/></joint>`), 't.urdf', {});
    expect(urdf.joints[0].origin).toEqual({ R: [1, 0, 0, 0, 1, 0, 0, 0, 1], t: [0, 0, 0] });
    expect(urdf.joints[0].axis).toEqual([1, 0, 0]);
    expect(urdf.joints[0].limit).toBeUndefined();
    expect(urdf.joints[1].mimic).toEqual({ joint: 'j1', multiplier: 1, offset: 0 });
  });

  it('reads every joint type, limits and mimic parameters', () => {
    const types = ['revolute', 'continuous', 'prismatic', 'fixed', 'floating', 'planar'];
    const body = types.map((type, i) => `<link name="l${i + 1}"/>
      <joint name="${type}" type="${type}"><parent link="l${i}"/><child link="l${i + 1}"/><axis xyz="0 1 0"/>
        <limit lower="-0.5" upper="0.25" effort="3" velocity="4"/>${type === 'prismatic' ? '<mimic joint="revolute" multiplier="-2" offset="0.1"/>' : ''}</joint>`);
    const urdf = parseUrdf(robot(`<link name="l0"/>${body.join('\n')}`), 't.urdf', {});
    expect(urdf.joints.map((j) => j.type)).toEqual(types);
    expect(urdf.joints[0].limit).toEqual({ lower: -0.5, upper: 0.25, effort: 3, velocity: 4 });
    expect(urdf.joints[2].mimic).toEqual({ joint: 'revolute', multiplier: -2, offset: 0.1 });
    expect(urdf.root).toBe('l0');
  });

  it('accepts a zero axis on a fixed joint (as exporters write it)', () => {
    const urdf = parseUrdf(robot('<link name="a"/><link name="b"/><joint name="f" type="fixed"><parent link="a"/><child link="b"/><axis xyz="0 0 0"/></joint>'), 't.urdf', {});
    expect(urdf.joints[0].axis).toEqual([1, 0, 0]);
  });

  it('reads geometry, visual and collision origins and names', () => {
    const urdf = parseUrdf(robot(`
      <link name="base">
        <visual name="v"><origin xyz="1 2 3"/><geometry><box size="0.1 0.2 0.3"/></geometry></visual>
        <visual><geometry><cylinder radius="0.05" length="0.4"/></geometry></visual>
        <collision name="c"><origin rpy="0 0 3.141592653589793"/><geometry><sphere radius="0.25"/></geometry></collision>
        <collision><geometry><mesh filename="meshes/a.stl" scale="0.001 0.001 -0.001"/></geometry></collision>
        <inertial><mass value="1"/></inertial>
      </link>`), path.join(tmp, 'robots', 'g.urdf'), {});
    const [link] = urdf.links;
    expect(link.visuals.map((v) => v.geometry)).toEqual([
      { type: 'box', size: [0.1, 0.2, 0.3] },
      { type: 'cylinder', radius: 0.05, length: 0.4 },
    ]);
    expect(link.visuals[0]).toMatchObject({ name: 'v', origin: { t: [1, 2, 3] } });
    expect(link.visuals[1].name).toBeUndefined();
    expect(link.collisions[0].name).toBe('c');
    expect(link.collisions[0].geometry).toEqual({ type: 'sphere', radius: 0.25 });
    expect(link.collisions[0].origin.R[0]).toBeCloseTo(-1, 12);
    expect(link.collisions[1].geometry).toEqual({ type: 'mesh', file: path.join(tmp, 'robots', 'meshes', 'a.stl'), uri: 'meshes/a.stl', scale: [0.001, 0.001, -0.001] });
  });

  it('resolves mesh URIs: package://, file://, absolute and relative to the URDF folder', () => {
    const abs = path.join(tmp, 'pkg', 'meshes', 'b.stl');
    const uris = ['package://mine/meshes/b.stl', pathToFileURL(abs).href, abs, 'meshes/a.stl', './meshes/../meshes/a.stl'];
    const body = `<link name="base">${uris.map((uri) => `<visual><geometry><mesh filename="${uri}"/></geometry></visual>`).join('')}</link>`;
    const urdf = parseUrdf(robot(body), path.join(tmp, 'robots', 'r.urdf'), { mine: path.join(tmp, 'pkg'), other: '/nowhere' });
    const files = urdf.links[0].visuals.map((v) => (v.geometry.type === 'mesh' ? v.geometry.file : ''));
    const a = path.join(tmp, 'robots', 'meshes', 'a.stl');
    expect(files).toEqual([abs, abs, abs, a, a]);
    expect(urdf.links[0].visuals.map((v) => (v.geometry.type === 'mesh' ? v.geometry.uri : ''))).toEqual(uris);
  });

  it('resolves materials: top-level by name (even when defined later), inline colour, texture files', () => {
    const urdf = parseUrdf(robot(`
      <link name="base">
        <visual><geometry><box size="1 1 1"/></geometry><material name="red"/></visual>
        <visual><geometry><box size="1 1 1"/></geometry><material name="green"><color rgba="0 1 0 0.5"/></material></visual>
        <visual><geometry><box size="1 1 1"/></geometry><material name="green"/></visual>
        <visual><geometry><box size="1 1 1"/></geometry><material name="wood"/></visual>
        <visual><geometry><box size="1 1 1"/></geometry><material><texture filename="package://mine/meshes/wood.png"/></material></visual>
      </link>
      <material name="red"><color rgba="1 0 0 1"/></material>
      <material name="wood"><texture filename="package://mine/meshes/wood.png"/></material>`), path.join(tmp, 'robots', 'm.urdf'), { mine: path.join(tmp, 'pkg') });
    const materials = urdf.links[0].visuals.map((v) => v.material);
    const wood = path.join(tmp, 'pkg', 'meshes', 'wood.png');
    expect(materials).toEqual([
      { name: 'red', color: [1, 0, 0, 1] },
      { name: 'green', color: [0, 1, 0, 0.5] },
      { name: 'green', color: [0, 1, 0, 0.5] }, // an inline definition names the material for later visuals, as in urdfdom
      { name: 'wood', texture: wood },
      { texture: wood },
    ]);
  });

  it('ignores transmission, gazebo and other non-URDF elements', () => {
    const urdf = parseUrdf(robot(`${TWO_LINKS}
      <transmission name="t"><joint name="j1"><hardwareInterface>x</hardwareInterface></joint></transmission>
      <gazebo reference="arm"><selfCollide>true</selfCollide></gazebo>`), 't.urdf', {});
    expect(urdf.joints).toHaveLength(1);
  });
});

describe('parseUrdf errors', () => {
  const file = () => path.join(tmp, 'robots', 'bad.urdf');
  const fail = (body: string, packages: Record<string, string> = {}) => userError(() => parseUrdf(robot(body), file(), packages));

  it('a missing mesh names the file, line, link, URI and resolved path', () => {
    const message = userError(() =>
      parseUrdf(robot(`<link name="base"/>\n<link name="forearm">\n  <visual>\n    <geometry>\n      <mesh filename="package://arm/meshes/forearm.stl"/>\n    </geometry>\n  </visual>\n</link>\n<joint name="j" type="fixed"><parent link="base"/><child link="forearm"/></joint>`), 'robots/arm.urdf', { arm: path.join(tmp, 'pkg') }),
    );
    expect(message).toBe(`robots/arm.urdf:7: link "forearm": visual mesh "package://arm/meshes/forearm.stl" → ${path.join(tmp, 'pkg', 'meshes', 'forearm.stl')}: no such file`);
    const relative = fail('<link name="base"><collision><geometry><mesh filename="meshes/gone.stl"/></geometry></collision></link>');
    expect(relative).toContain(`link "base": collision mesh "meshes/gone.stl" → ${path.join(tmp, 'robots', 'meshes', 'gone.stl')}: no such file`);
    expect(fail('<link name="base"><visual><geometry><mesh filename="meshes"/></geometry></visual></link>')).toMatch(/mesh "meshes" → .*: not a file$/);
  });

  it('an unknown package lists the known ones', () => {
    const message = fail('<link name="base"><visual><geometry><mesh filename="package://nope/m.stl"/></geometry></visual></link>', { mine: '/a', theirs: '/b' });
    expect(message).toMatch(/bad\.urdf:\d+: link "base": visual mesh "package:\/\/nope\/m\.stl": unknown package "nope" \(known packages: "mine", "theirs"\)$/);
    expect(fail('<link name="base"><visual><geometry><mesh filename="package://nope/m.stl"/></geometry></visual></link>')).toContain('no packages were given');
  });

  it('refuses URIs that would need the network or are not file paths', () => {
    expect(fail('<link name="base"><visual><geometry><mesh filename="https://example.invalid/m.stl"/></geometry></visual></link>')).toContain('unsupported URI scheme "https://"');
    expect(fail('<link name="base"><visual><geometry><mesh filename="file://host/m.stl"/></geometry></visual></link>')).toContain('expected file:///absolute/path');
    expect(fail('<link name="base"><visual><geometry><mesh filename="package://mine"/></geometry></visual></link>', { mine: tmp })).toContain('expected package://PACKAGE/path/to/file');
  });

  it('a joint referencing a missing link', () => {
    expect(fail(TWO_LINKS.replace('<child link="arm"/>', '<child link="forearm"/>'))).toMatch(/bad\.urdf:\d+: joint "j1": child link "forearm" is not defined$/);
    expect(fail(TWO_LINKS.replace('<parent link="base"/>', '<parent link="torso"/>'))).toMatch(/joint "j1": parent link "torso" is not defined$/);
    expect(fail(TWO_LINKS.replace('<parent link="base"/>', ''))).toMatch(/joint "j1": expected one <parent link="..."\/>, found 0$/);
  });

  it('two roots', () => {
    expect(fail(`${TWO_LINKS}<link name="loose"/>`)).toMatch(/bad\.urdf:2: robot has 2 root links \("base", "loose"\); exactly one link may be no joint's child/);
  });

  it('a link that is a child twice', () => {
    const message = fail(`${TWO_LINKS}<link name="c"/><joint name="j2" type="fixed"><parent link="c"/><child link="arm"/></joint>`);
    expect(message).toMatch(/joint "j2": link "arm" is already the child of joint "j1"; a link has at most one parent$/);
  });

  it('a cycle', () => {
    const cycle = `${TWO_LINKS}<link name="c"/>
      <joint name="j2" type="fixed"><parent link="arm"/><child link="c"/></joint>
      <joint name="j3" type="fixed"><parent link="c"/><child link="base"/></joint>`;
    expect(fail(cycle)).toMatch(/bad\.urdf:\d+: the joints form a cycle \(child → parent: "base" → "c" → "arm" → "base"\); a robot is a tree$/);
    expect(fail('<link name="a"/><joint name="self" type="fixed"><parent link="a"/><child link="a"/></joint>')).toMatch(/joint "self": link "a" cannot be its own parent$/);
  });

  it('revolute and prismatic joints without limits', () => {
    expect(fail(TWO_LINKS.replace('<limit lower="-1" upper="1"/>', ''))).toMatch(/bad\.urdf:\d+: joint "j1": a revolute joint needs a <limit lower="..." upper="..."\/>$/);
    expect(fail(TWO_LINKS.replace('lower="-1" ', ''))).toMatch(/joint "j1": a revolute joint's <limit> needs a lower attribute$/);
    expect(fail(TWO_LINKS.replace('type="revolute"', 'type="prismatic"').replace(' upper="1"', ''))).toMatch(/joint "j1": a prismatic joint's <limit> needs a upper attribute$/);
    expect(fail(TWO_LINKS.replace('lower="-1" upper="1"', 'lower="1" upper="-1"'))).toMatch(/joint "j1": limit lower \(1\) is above upper \(-1\)$/);
  });

  it('bad numbers', () => {
    for (const xyz of ['0 0 abc', '1 2', '1 2 3 4', 'NaN 0 0', '1e999 0 0', '0x10 0 0', '1,2,3', '']) {
      const message = fail(TWO_LINKS.replace('xyz="0 0 0.1"', `xyz="${xyz}"`));
      expect(message).toMatch(/bad\.urdf:9: joint "j1": origin xyz: expected 3 (finite )?numbers/);
      expect(message).toContain(`got "${xyz}"`);
    }
    expect(fail('<link name="a"><visual><geometry><box size="1 -1 1"/></geometry></visual></link>')).toContain('link "a": visual box size: expected 3 non-negative numbers, got "1 -1 1"');
    expect(fail('<link name="a"><visual><geometry><sphere/></geometry></visual></link>')).toContain('link "a": visual sphere: <sphere> needs a radius attribute');
    expect(fail('<link name="a"><visual><geometry><cylinder radius="1" length="-2"/></geometry></visual></link>')).toContain('cylinder length: expected a non-negative number');
    expect(fail('<link name="a"><visual><geometry><box size="1 1 1"/></geometry><material name="m"><color rgba="1 0 0"/></material></visual></link>')).toContain('link "a": material "m": color rgba: expected 4 numbers');
    expect(fail('<link name="a"><visual><geometry><box size="1 1 1"/></geometry><material name="m"><color rgba="255 0 0 1"/></material></visual></link>')).toContain('expected 4 numbers from 0 to 1');
    expect(fail(TWO_LINKS.replace('xyz="0 0 1"', 'xyz="0 0 0"'))).toMatch(/joint "j1": axis xyz must not be zero$/);
    expect(fail(TWO_LINKS.replace('upper="1"', 'upper="one"'))).toMatch(/joint "j1": limit upper: expected 1 numbers separated by spaces, got "one"$/);
  });

  it('mimic targets must exist, move, and not loop', () => {
    const base = `<link name="a"/><link name="b"/><link name="c"/>
      <joint name="j1" type="continuous"><parent link="a"/><child link="b"/><mimic joint="JX"/></joint>
      <joint name="j2" type="continuous"><parent link="b"/><child link="c"/><mimic joint="JY"/></joint>`;
    expect(fail(base.replace('JX', 'ghost').replace('JY', 'j1'))).toMatch(/joint "j1": mimics joint "ghost", which is not defined$/);
    expect(fail(base.replace('JX', 'j2').replace('JY', 'j1'))).toMatch(/joint "j1": mimic joint(s)? form a loop \("j1" → "j2" → "j1"\)$/);
    expect(fail(base.replace('JX', 'j1').replace('JY', 'j1'))).toMatch(/joint "j1": mimic joints form a loop/);
    expect(fail(`<link name="a"/><link name="b"/><link name="c"/>
      <joint name="f" type="fixed"><parent link="a"/><child link="b"/></joint>
      <joint name="j" type="continuous"><parent link="b"/><child link="c"/><mimic joint="f"/></joint>`)).toMatch(/joint "j": mimics joint "f", a fixed joint/);
  });

  it('structural mistakes', () => {
    expect(userError(() => parseUrdf('<model name="x"/>', 'x.sdf', {}))).toBe('x.sdf:1: expected a <robot> element at the top, got <model>');
    expect(userError(() => parseUrdf('<robot><link name="a"/></robot>', 'x.urdf', {}))).toBe('x.urdf:1: <robot> needs a name attribute');
    expect(fail('')).toMatch(/robot "test" has no <link>$/);
    expect(fail('<link/>')).toMatch(/<link> needs a name attribute$/);
    expect(fail('<link name="a"/><link name="a"/>')).toMatch(/bad\.urdf:3: link "a" is defined twice \(first on line 3\)$/);
    expect(fail(`${TWO_LINKS}${TWO_LINKS.replace(/<link[^>]*>/g, '')}`)).toMatch(/joint "j1" is defined twice/);
    expect(fail(TWO_LINKS.replace('type="revolute"', 'type="ball"'))).toMatch(/joint "j1": unknown type "ball" \(expected revolute, continuous, prismatic, fixed, floating, planar\)$/);
    expect(fail('<link name="a"><visual><geometry/></visual></link>')).toContain('link "a": visual: <geometry> must hold exactly one of <box>, <cylinder>, <sphere>, <mesh>; found none');
    expect(fail('<link name="a"><visual/></link>')).toContain('link "a": visual: expected one <geometry>, found 0');
    expect(fail('<link name="a"><visual><geometry><capsule radius="1" length="1"/></geometry></visual></link>')).toContain('unsupported geometry <capsule>');
    expect(fail('<link name="a"><visual><geometry><box size="1 1 1"/></geometry><material name="nope"/></visual></link>')).toContain('link "a": material "nope" is not defined');
    expect(fail('<xacro:macro name="m"/><link name="a"/>')).toContain('<xacro:macro> is a xacro macro: expand the file with xacro first');
  });

  it('loadUrdf: unreadable paths', () => {
    expect(userError(() => loadUrdf(path.join(tmp, 'none.urdf'), {}))).toBe(`${path.join(tmp, 'none.urdf')}: cannot read the robot description (no such file)`);
    expect(userError(() => loadUrdf(tmp, {}))).toBe(`${tmp}: cannot read the robot description (it is a folder)`);
  });

  it('loadUrdf names the path as given in messages and resolves relative meshes against its folder', () => {
    const urdfPath = path.join(tmp, 'robots', 'ok.urdf');
    writeFileSync(urdfPath, robot('<link name="a"><visual><geometry><mesh filename="meshes/a.stl"/></geometry></visual></link>'));
    const urdf = loadUrdf(urdfPath, {});
    expect(urdf.links[0].visuals[0].geometry).toMatchObject({ file: path.join(tmp, 'robots', 'meshes', 'a.stl') });
    expect(existsSync(urdf.file)).toBe(true);
  });
});
