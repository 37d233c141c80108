/**
 * Reads URDF robot descriptions (http://wiki.ros.org/urdf/XML) into the plain data of types.ts.
 *
 * What is read: links with their visual and collision elements (origin, box / cylinder / sphere /
 * mesh geometry, materials), top-level named materials, and joints (revolute, continuous,
 * prismatic, fixed, floating, planar) with origin, axis, limit and mimic. Inertial, dynamics,
 * transmission, gazebo and other elements are ignored.
 *
 * Everything is checked before it is returned: the numbers, one root link, a tree (every joint's
 * parent and child exist, no link is a child twice, no cycles), mimic targets, and that every
 * mesh and texture file exists. Each problem is a one-line UserError naming the file and line,
 * the link or joint, and for files the URI as written and the path it resolved to.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';
import { axisAngleToMat3, IDENTITY3, mulMat3, normalize } from '../geometry/transforms.js';
import type { Mat3, Pose, Vec3 } from '../geometry/types.js';
import type { RGBA, Urdf, UrdfCollision, UrdfGeometry, UrdfJoint, UrdfJointType, UrdfLink, UrdfMaterial, UrdfVisual } from './types.js';
import { at, checkXmlSize, childrenNamed, parseXml, type XmlElement } from './xml.js';

const JOINT_TYPES: readonly UrdfJointType[] = ['revolute', 'continuous', 'prismatic', 'fixed', 'floating', 'planar'];

/**
 * URDF's rpy: fixed-axis rotations, roll about X, then pitch about Y, then yaw about Z, so
 * R = Rz(yaw) · Ry(pitch) · Rx(roll). Row-major.
 */
export function rpyToMat3(roll: number, pitch: number, yaw: number): Mat3 {
  return mulMat3(axisAngleToMat3([0, 0, 1], yaw), mulMat3(axisAngleToMat3([0, 1, 0], pitch), axisAngleToMat3([1, 0, 0], roll)));
}

/**
 * Reads and checks a URDF file. `packages` maps ROS package names to their folders, for
 * `package://NAME/...` URIs (relative folders are taken from the working directory).
 */
export function loadUrdf(path: string, packages: Record<string, string>): Urdf {
  let text: string;
  try {
    const stats = statSync(path);
    if (stats.isDirectory()) throw new UserError(`${path}: cannot read the robot description (it is a folder)`);
    checkXmlSize(stats.size, path);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof UserError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? String(error));
    throw new UserError(`${path}: cannot read the robot description (${reason})`);
  }
  return parseUrdf(text, path, packages);
}

/**
 * Parses and checks URDF text. `file` names the file in messages, and relative mesh paths are
 * resolved against its folder.
 */
export function parseUrdf(text: string, file: string, packages: Record<string, string>): Urdf {
  return new UrdfReader(file, packages).read(parseXml(text, file));
}

// ---- Reading ---------------------------------------------------------------------------------

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

class UrdfReader {
  private readonly base: string;
  private readonly materials = new Map<string, UrdfMaterial>();

  constructor(
    private readonly file: string,
    private readonly packages: Record<string, string>,
  ) {
    this.base = dirname(resolve(file));
  }

  private fail(element: XmlElement | undefined, what: string): UserError {
    return new UserError(`${at(this.file, element?.line)}: ${what}`);
  }

  read(robot: XmlElement): Urdf {
    if (robot.name !== 'robot') throw this.fail(robot, `expected a <robot> element at the top, got <${robot.name}>`);
    const name = robot.attributes.name;
    if (name === undefined || name.trim() === '') throw this.fail(robot, '<robot> needs a name attribute');
    const xacro = robot.children.find((child) => child.name.startsWith('xacro:'));
    if (xacro) {
      throw this.fail(xacro, `<${xacro.name}> is a xacro macro: expand the file with xacro first (xacro file.urdf.xacro > file.urdf)`);
    }

    // Top-level materials first: visuals may refer to materials defined after them.
    for (const element of childrenNamed(robot, 'material')) {
      const materialName = element.attributes.name;
      if (!materialName) throw this.fail(element, 'a top-level <material> needs a name attribute');
      if (this.materials.has(materialName)) throw this.fail(element, `material "${materialName}" is defined twice`);
      const material = this.material(element, `material "${materialName}"`);
      if (!material.color && !material.texture) throw this.fail(element, `material "${materialName}": expected a <color> or a <texture>`);
      this.materials.set(materialName, material);
    }

    const links: UrdfLink[] = [];
    const linkLines = new Map<string, XmlElement>();
    for (const element of childrenNamed(robot, 'link')) {
      const link = this.link(element);
      if (linkLines.has(link.name)) throw this.fail(element, `link "${link.name}" is defined twice (first on line ${linkLines.get(link.name)?.line})`);
      linkLines.set(link.name, element);
      links.push(link);
    }
    if (links.length === 0) throw this.fail(robot, `robot "${name}" has no <link>`);

    const joints: UrdfJoint[] = [];
    const jointElements = new Map<string, XmlElement>();
    for (const element of childrenNamed(robot, 'joint')) {
      const joint = this.joint(element);
      if (jointElements.has(joint.name)) throw this.fail(element, `joint "${joint.name}" is defined twice (first on line ${jointElements.get(joint.name)?.line})`);
      jointElements.set(joint.name, element);
      joints.push(joint);
    }

    const root = this.checkTree(robot, links, linkLines, joints, jointElements);
    this.checkMimics(joints, jointElements);
    return { name, file: resolve(this.file), links, joints, root };
  }

  // ---- Links ----

  private link(element: XmlElement): UrdfLink {
    const name = element.attributes.name;
    if (!name) throw this.fail(element, '<link> needs a name attribute');
    const where = `link "${name}"`;
    const visuals: UrdfVisual[] = childrenNamed(element, 'visual').map((visual) => {
      const result: UrdfVisual = {
        origin: this.origin(visual, where),
        geometry: this.geometry(visual, `${where}: visual`),
      };
      if (visual.attributes.name !== undefined) result.name = visual.attributes.name;
      const materialElement = childrenNamed(visual, 'material')[0];
      if (materialElement) result.material = this.visualMaterial(materialElement, where);
      return result;
    });
    const collisions: UrdfCollision[] = childrenNamed(element, 'collision').map((collision) => {
      const result: UrdfCollision = {
        origin: this.origin(collision, where),
        geometry: this.geometry(collision, `${where}: collision`),
      };
      if (collision.attributes.name !== undefined) result.name = collision.attributes.name;
      return result;
    });
    return { name, visuals, collisions };
  }

  /**
   * A visual's <material>, resolved as urdfdom (and so rviz) does: a material of that name defined
   * before (at the top level, or inline in an earlier visual) wins; otherwise the inline <color>
   * or <texture>, which then defines that name for later visuals.
   */
  private visualMaterial(element: XmlElement, where: string): UrdfMaterial {
    const name = element.attributes.name;
    const named = name ? this.materials.get(name) : undefined;
    if (named) return { ...named };
    const inline = this.material(element, `${where}: material${name ? ` "${name}"` : ''}`);
    if (inline.color || inline.texture) {
      if (name) this.materials.set(name, inline);
      return inline;
    }
    if (!name) throw this.fail(element, `${where}: a <material> needs a name or a <color> or <texture>`);
    const known = [...this.materials.keys()].map((key) => `"${key}"`).join(', ');
    throw this.fail(element, `${where}: material "${name}" is not defined (${known ? `defined so far: ${known}` : 'the file defines no material before this one'})`);
  }

  private material(element: XmlElement, where: string): UrdfMaterial {
    const material: UrdfMaterial = {};
    if (element.attributes.name !== undefined) material.name = element.attributes.name;
    const color = childrenNamed(element, 'color')[0];
    if (color) {
      const rgba = this.numbers(color, 'rgba', 4, `${where}: color`);
      if (rgba.some((value) => value < 0 || value > 1)) throw this.fail(color, `${where}: color rgba: expected 4 numbers from 0 to 1, got "${color.attributes.rgba}"`);
      material.color = rgba as RGBA;
    }
    const texture = childrenNamed(element, 'texture')[0];
    if (texture) {
      const uri = texture.attributes.filename;
      if (!uri) throw this.fail(texture, `${where}: <texture> needs a filename attribute`);
      material.texture = this.resolveFile(texture, uri, `${where}: texture`);
    }
    return material;
  }

  private geometry(parent: XmlElement, where: string): UrdfGeometry {
    const container = childrenNamed(parent, 'geometry');
    if (container.length !== 1) throw this.fail(parent, `${where}: expected one <geometry>, found ${container.length}`);
    const shapes = container[0].children;
    if (shapes.length !== 1) {
      throw this.fail(container[0], `${where}: <geometry> must hold exactly one of <box>, <cylinder>, <sphere>, <mesh>; found ${shapes.length === 0 ? 'none' : shapes.map((s) => `<${s.name}>`).join(', ')}`);
    }
    const shape = shapes[0];
    switch (shape.name) {
      case 'box': {
        const size = this.numbers(shape, 'size', 3, `${where} box`);
        if (size.some((value) => value < 0)) throw this.fail(shape, `${where} box size: expected 3 non-negative numbers, got "${shape.attributes.size}"`);
        return { type: 'box', size: size as Vec3 };
      }
      case 'cylinder':
        return { type: 'cylinder', radius: this.length(shape, 'radius', `${where} cylinder`), length: this.length(shape, 'length', `${where} cylinder`) };
      case 'sphere':
        return { type: 'sphere', radius: this.length(shape, 'radius', `${where} sphere`) };
      case 'mesh': {
        const uri = shape.attributes.filename;
        if (!uri) throw this.fail(shape, `${where} mesh: needs a filename attribute`);
        let scale: Vec3 = [1, 1, 1];
        if (shape.attributes.scale !== undefined) {
          scale = this.numbers(shape, 'scale', 3, `${where} mesh`) as Vec3;
          if (scale.some((value) => value === 0)) throw this.fail(shape, `${where} mesh scale: expected 3 non-zero numbers, got "${shape.attributes.scale}"`);
        }
        return { type: 'mesh', file: this.resolveFile(shape, uri, `${where} mesh`), uri, scale };
      }
      default:
        throw this.fail(shape, `${where}: unsupported geometry <${shape.name}> (expected <box>, <cylinder>, <sphere> or <mesh>)`);
    }
  }

  // ---- Joints ----

  private joint(element: XmlElement): UrdfJoint {
    const name = element.attributes.name;
    if (!name) throw this.fail(element, '<joint> needs a name attribute');
    const where = `joint "${name}"`;
    const type = element.attributes.type as UrdfJointType | undefined;
    if (type === undefined) throw this.fail(element, `${where}: needs a type attribute (${JOINT_TYPES.join(', ')})`);
    if (!JOINT_TYPES.includes(type)) throw this.fail(element, `${where}: unknown type "${type}" (expected ${JOINT_TYPES.join(', ')})`);
    const parent = this.linkRef(element, 'parent', where);
    const child = this.linkRef(element, 'child', where);

    const axisElement = childrenNamed(element, 'axis')[0];
    let axis: Vec3 = [1, 0, 0];
    if (axisElement) {
      const raw = this.numbers(axisElement, 'xyz', 3, `${where}: axis`) as Vec3;
      const usesAxis = type === 'revolute' || type === 'continuous' || type === 'prismatic' || type === 'planar';
      if (Math.hypot(...raw) > 0) axis = normalize(raw);
      // Exporters write <axis xyz="0 0 0"/> on fixed joints; only joints that move about it need one.
      else if (usesAxis) throw this.fail(axisElement, `${where}: axis xyz must not be zero`);
    }

    const joint: UrdfJoint = { name, type, parent, child, origin: this.origin(element, where), axis };

    const limitElement = childrenNamed(element, 'limit')[0];
    if (type === 'revolute' || type === 'prismatic') {
      if (!limitElement) throw this.fail(element, `${where}: a ${type} joint needs a <limit lower="..." upper="..."/>`);
      for (const key of ['lower', 'upper']) {
        if (limitElement.attributes[key] === undefined) throw this.fail(limitElement, `${where}: a ${type} joint's <limit> needs a ${key} attribute`);
      }
      const lower = this.number(limitElement, 'lower', `${where}: limit`);
      const upper = this.number(limitElement, 'upper', `${where}: limit`);
      if (lower > upper) throw this.fail(limitElement, `${where}: limit lower (${lower}) is above upper (${upper})`);
      joint.limit = { lower, upper };
      if (limitElement.attributes.effort !== undefined) joint.limit.effort = this.number(limitElement, 'effort', `${where}: limit`);
      if (limitElement.attributes.velocity !== undefined) joint.limit.velocity = this.number(limitElement, 'velocity', `${where}: limit`);
    }

    const mimicElement = childrenNamed(element, 'mimic')[0];
    if (mimicElement) {
      const target = mimicElement.attributes.joint;
      if (!target) throw this.fail(mimicElement, `${where}: <mimic> needs a joint attribute`);
      if (type !== 'revolute' && type !== 'continuous' && type !== 'prismatic') {
        throw this.fail(mimicElement, `${where}: only revolute, continuous and prismatic joints can mimic another joint, not a ${type} one`);
      }
      joint.mimic = {
        joint: target,
        multiplier: mimicElement.attributes.multiplier === undefined ? 1 : this.number(mimicElement, 'multiplier', `${where}: mimic`),
        offset: mimicElement.attributes.offset === undefined ? 0 : this.number(mimicElement, 'offset', `${where}: mimic`),
      };
    }
    return joint;
  }

  private linkRef(element: XmlElement, key: 'parent' | 'child', where: string): string {
    const refs = childrenNamed(element, key);
    if (refs.length !== 1) throw this.fail(element, `${where}: expected one <${key} link="..."/>, found ${refs.length}`);
    const link = refs[0].attributes.link;
    if (!link) throw this.fail(refs[0], `${where}: <${key}> needs a link attribute`);
    return link;
  }

  /** One root, a tree: returns the root link's name. */
  private checkTree(robot: XmlElement, links: UrdfLink[], linkElements: Map<string, XmlElement>, joints: UrdfJoint[], jointElements: Map<string, XmlElement>): string {
    const parentJoint = new Map<string, UrdfJoint>();
    for (const joint of joints) {
      const element = jointElements.get(joint.name);
      for (const key of ['parent', 'child'] as const) {
        if (!linkElements.has(joint[key])) throw this.fail(element, `joint "${joint.name}": ${key} link "${joint[key]}" is not defined`);
      }
      if (joint.parent === joint.child) throw this.fail(element, `joint "${joint.name}": link "${joint.child}" cannot be its own parent`);
      const earlier = parentJoint.get(joint.child);
      if (earlier) throw this.fail(element, `joint "${joint.name}": link "${joint.child}" is already the child of joint "${earlier.name}"; a link has at most one parent`);
      parentJoint.set(joint.child, joint);
    }
    // Each link has at most one parent: walking up from any link either reaches a root or loops.
    const settled = new Set<string>();
    for (const link of links) {
      const path: string[] = [];
      const onPath = new Set<string>();
      let current: string | undefined = link.name;
      while (current !== undefined && !settled.has(current)) {
        if (onPath.has(current)) {
          const loop = path.slice(path.indexOf(current));
          const names = [...loop, current].map((name) => `"${name}"`).join(' → ');
          throw this.fail(jointElements.get(parentJoint.get(current)?.name ?? ''), `the joints form a cycle (child → parent: ${names}); a robot is a tree`);
        }
        onPath.add(current);
        path.push(current);
        current = parentJoint.get(current)?.parent;
      }
      for (const name of path) settled.add(name);
    }
    const roots = links.filter((link) => !parentJoint.has(link.name)).map((link) => link.name);
    if (roots.length !== 1) {
      const list = roots.map((name) => `"${name}"`).join(', ');
      throw this.fail(robot, `robot has ${roots.length} root links (${list}); exactly one link may be no joint's child — connect the others with joints`);
    }
    return roots[0];
  }

  private checkMimics(joints: UrdfJoint[], jointElements: Map<string, XmlElement>): void {
    const byName = new Map(joints.map((joint) => [joint.name, joint]));
    for (const joint of joints) {
      if (!joint.mimic) continue;
      const element = jointElements.get(joint.name);
      const target = byName.get(joint.mimic.joint);
      if (!target) throw this.fail(element, `joint "${joint.name}": mimics joint "${joint.mimic.joint}", which is not defined`);
      if (target.type !== 'revolute' && target.type !== 'continuous' && target.type !== 'prismatic') {
        throw this.fail(element, `joint "${joint.name}": mimics joint "${target.name}", a ${target.type} joint; only revolute, continuous and prismatic joints can be mimicked`);
      }
      // Chains of mimics are allowed; loops are not.
      const seen = [joint.name];
      for (let next = target; next.mimic; next = byName.get(next.mimic.joint) as UrdfJoint) {
        if (seen.includes(next.name)) throw this.fail(element, `joint "${joint.name}": mimic joints form a loop (${[...seen, next.name].map((n) => `"${n}"`).join(' → ')})`);
        seen.push(next.name);
        if (!byName.has(next.mimic.joint)) break; // reported when that joint's turn comes
      }
    }
  }

  // ---- Values ----

  private origin(parent: XmlElement, where: string): Pose {
    const element = childrenNamed(parent, 'origin')[0];
    if (!element) return { R: [...IDENTITY3], t: [0, 0, 0] };
    const t = element.attributes.xyz === undefined ? [0, 0, 0] : this.numbers(element, 'xyz', 3, `${where}: origin`);
    const rpy = element.attributes.rpy === undefined ? [0, 0, 0] : this.numbers(element, 'rpy', 3, `${where}: origin`);
    return { R: rpyToMat3(rpy[0], rpy[1], rpy[2]), t: t as Vec3 };
  }

  private numbers(element: XmlElement, key: string, count: number, where: string): number[] {
    const raw = element.attributes[key];
    if (raw === undefined) throw this.fail(element, `${where}: <${element.name}> needs a ${key} attribute`);
    const parts = raw.trim().split(/\s+/).filter((part) => part !== '');
    if (parts.length !== count || !parts.every((part) => NUMBER.test(part))) {
      throw this.fail(element, `${where} ${key}: expected ${count} numbers separated by spaces, got "${raw}"`);
    }
    const values = parts.map(Number);
    if (!values.every(Number.isFinite)) throw this.fail(element, `${where} ${key}: expected ${count} finite numbers, got "${raw}"`);
    return values;
  }

  private number(element: XmlElement, key: string, where: string): number {
    return this.numbers(element, key, 1, where)[0];
  }

  private length(element: XmlElement, key: string, where: string): number {
    const value = this.number(element, key, where);
    if (value < 0) throw this.fail(element, `${where} ${key}: expected a non-negative number, got "${element.attributes[key]}"`);
    return value;
  }

  // ---- Files ----

  /** package://, file:// and plain (relative to the URDF's folder) URIs to an existing file. */
  private resolveFile(element: XmlElement, uri: string, where: string): string {
    const described = `${where} "${uri}"`;
    let path: string;
    const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(uri)?.[1]?.toLowerCase();
    if (scheme === 'package') {
      const match = /^package:\/\/([^/]+)\/(.+)$/.exec(uri);
      if (!match) throw this.fail(element, `${described}: expected package://PACKAGE/path/to/file`);
      const [, name, rest] = match;
      if (!Object.hasOwn(this.packages, name)) {
        const known = Object.keys(this.packages).map((key) => `"${key}"`).join(', ');
        throw this.fail(element, `${described}: unknown package "${name}" (${known ? `known packages: ${known}` : 'no packages were given'})`);
      }
      path = resolve(this.packages[name], join('.', rest));
    } else if (scheme === 'file') {
      try {
        path = fileURLToPath(uri);
      } catch {
        throw this.fail(element, `${described}: expected file:///absolute/path`);
      }
    } else if (scheme !== undefined) {
      throw this.fail(element, `${described}: unsupported URI scheme "${scheme}://" (use package://, file:// or a path relative to the URDF file)`);
    } else {
      path = isAbsolute(uri) ? uri : resolve(this.base, uri);
    }
    let reason: string | undefined;
    try {
      if (!statSync(path).isFile()) reason = 'not a file';
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      reason = code === 'ENOENT' || code === 'ENOTDIR' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? String(error));
    }
    if (reason) throw this.fail(element, `${described} → ${path}: ${reason}`);
    return path;
  }
}
