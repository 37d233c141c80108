/**
 * Small, independent helpers for the robosynth_arm asset tests: forward kinematics straight from
 * the URDF data, point-in-primitive tests, mesh closedness, and reading the README's tables.
 * Nothing here comes from scripts/make-robot.ts, so the tests check the files, not the generator.
 */
import { axisAngleToMat3, composePoses, invertPose, mulMat3, transformPoint } from '../../src/geometry/transforms.js';
import type { Mat3, Pose, TriMesh, Vec3 } from '../../src/geometry/types.js';
import type { Urdf, UrdfCollision, UrdfJoint } from '../../src/robot/types.js';

const IDENTITY: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

/** World (root link) pose of every link; `q` holds actuated joints (missing: 0), mimics follow. */
export function linkPoses(urdf: Urdf, q: Record<string, number>): Map<string, Pose> {
  const byName = new Map(urdf.joints.map((j) => [j.name, j]));
  const value = (j: UrdfJoint): number => (j.mimic ? j.mimic.multiplier * value(byName.get(j.mimic.joint)!) + j.mimic.offset : q[j.name] ?? 0);
  const poses = new Map<string, Pose>([[urdf.root, { R: IDENTITY, t: [0, 0, 0] }]]);
  const pending = [...urdf.joints];
  while (pending.length > 0) {
    const i = pending.findIndex((j) => poses.has(j.parent));
    if (i < 0) throw new Error('joints do not form a tree from the root');
    const [j] = pending.splice(i, 1);
    const v = value(j);
    let motion: Pose = { R: IDENTITY, t: [0, 0, 0] };
    if (j.type === 'revolute' || j.type === 'continuous') motion = { R: axisAngleToMat3(j.axis, v), t: [0, 0, 0] };
    if (j.type === 'prismatic') motion = { R: IDENTITY, t: [j.axis[0] * v, j.axis[1] * v, j.axis[2] * v] };
    poses.set(j.child, composePoses(composePoses(poses.get(j.parent)!, j.origin), motion));
  }
  return poses;
}

/** Is p (in the link frame) inside the collision primitive, grown by `tol` (negative: shrunk)? */
export function insidePrimitive(p: Vec3, c: UrdfCollision, tol: number): boolean {
  const [x, y, z] = transformPoint(invertPose(c.origin), p);
  const g = c.geometry;
  switch (g.type) {
    case 'box': return Math.abs(x) <= g.size[0] / 2 + tol && Math.abs(y) <= g.size[1] / 2 + tol && Math.abs(z) <= g.size[2] / 2 + tol;
    case 'cylinder': return Math.hypot(x, y) <= g.radius + tol && Math.abs(z) <= g.length / 2 + tol;
    case 'sphere': return Math.hypot(x, y, z) <= g.radius + tol;
    default: return false;
  }
}

/** Points on the surface of a collision primitive, about `step` apart, in the link frame. */
export function primitiveSurface(c: UrdfCollision, step: number): Vec3[] {
  const local: Vec3[] = [];
  const g = c.geometry;
  const range = (half: number): number[] => {
    const n = Math.max(1, Math.ceil((2 * half) / step));
    return Array.from({ length: n + 1 }, (_, i) => -half + (2 * half * i) / n);
  };
  if (g.type === 'box') {
    const h = g.size.map((s) => s / 2);
    for (let axis = 0; axis < 3; axis++) {
      const u = (axis + 1) % 3, v = (axis + 2) % 3;
      for (const sign of [-1, 1]) {
        for (const a of range(h[u])) {
          for (const b of range(h[v])) {
            const p: Vec3 = [0, 0, 0];
            p[axis] = sign * h[axis]; p[u] = a; p[v] = b;
            local.push(p);
          }
        }
      }
    }
  } else if (g.type === 'cylinder') {
    const n = Math.max(8, Math.ceil((2 * Math.PI * g.radius) / step));
    for (const z of range(g.length / 2)) {
      for (let i = 0; i < n; i++) local.push([g.radius * Math.cos((2 * Math.PI * i) / n), g.radius * Math.sin((2 * Math.PI * i) / n), z]);
    }
    for (const z of [-g.length / 2, g.length / 2]) {
      for (const x of range(g.radius)) for (const y of range(g.radius)) if (Math.hypot(x, y) <= g.radius) local.push([x, y, z]);
    }
  } else if (g.type === 'sphere') {
    const n = Math.max(8, Math.ceil((Math.PI * g.radius) / step));
    for (let i = 0; i <= n; i++) {
      const th = (Math.PI * i) / n;
      const m = Math.max(1, Math.ceil((2 * Math.PI * g.radius * Math.sin(th)) / step));
      for (let k = 0; k < m; k++) {
        const ph = (2 * Math.PI * k) / m;
        local.push([g.radius * Math.sin(th) * Math.cos(ph), g.radius * Math.sin(th) * Math.sin(ph), g.radius * Math.cos(th)]);
      }
    }
  }
  return local.map((p) => transformPoint(c.origin, p));
}

/**
 * Directed edges (after welding equal positions) without their reverse: 0 for a closed,
 * consistently wound surface (every edge a→b of one triangle is b→a of another).
 */
export function unmatchedEdges(m: TriMesh): number {
  const ids = new Map<string, number>();
  const id = (v: number): number => {
    const key = `${m.positions[3 * v]},${m.positions[3 * v + 1]},${m.positions[3 * v + 2]}`;
    let i = ids.get(key);
    if (i === undefined) { i = ids.size; ids.set(key, i); }
    return i;
  };
  const edges = new Map<string, number>();
  for (let t = 0; t < m.indices.length; t += 3) {
    const v = [id(m.indices[t]), id(m.indices[t + 1]), id(m.indices[t + 2])];
    for (let k = 0; k < 3; k++) {
      const a = v[k], b = v[(k + 1) % 3];
      edges.set(`${a}>${b}`, (edges.get(`${a}>${b}`) ?? 0) + 1);
    }
  }
  let unmatched = 0;
  for (const [key, n] of edges) {
    const [a, b] = key.split('>');
    unmatched += Math.max(0, n - (edges.get(`${b}>${a}`) ?? 0));
  }
  return unmatched;
}

/** Signed volume (divergence theorem): positive for a closed mesh wound counter-clockwise outside. */
export function signedVolume(m: TriMesh): number {
  const p = m.positions;
  let v = 0;
  for (let t = 0; t < m.indices.length; t += 3) {
    const a = 3 * m.indices[t], b = 3 * m.indices[t + 1], c = 3 * m.indices[t + 2];
    v += p[a] * (p[b + 1] * p[c + 2] - p[b + 2] * p[c + 1])
      - p[a + 1] * (p[b] * p[c + 2] - p[b + 2] * p[c])
      + p[a + 2] * (p[b] * p[c + 1] - p[b + 1] * p[c]);
  }
  return v / 6;
}

/** URDF rpy: R = Rz(yaw) Ry(pitch) Rx(roll). */
export function rpyToMat3(roll: number, pitch: number, yaw: number): Mat3 {
  return mulMat3(axisAngleToMat3([0, 0, 1], yaw), mulMat3(axisAngleToMat3([0, 1, 0], pitch), axisAngleToMat3([1, 0, 0], roll)));
}

/**
 * Mass and inertia per link, read from the URDF text (src/robot/urdf.ts ignores <inertial>).
 * A plain scan, enough for the generated file: one <link>...</link> block per link.
 */
export function inertials(urdfText: string): Map<string, { mass: number; I: Record<string, number> }> {
  const out = new Map<string, { mass: number; I: Record<string, number> }>();
  for (const block of urdfText.matchAll(/<link name="([^"]+)">([\s\S]*?)<\/link>/g)) {
    const inertial = /<inertial>([\s\S]*?)<\/inertial>/.exec(block[2]);
    if (!inertial) continue;
    const mass = Number(/<mass value="([^"]+)"\/>/.exec(inertial[1])?.[1]);
    const inertia = /<inertia ([^>]*)\/>/.exec(inertial[1])?.[1] ?? '';
    const I = Object.fromEntries([...inertia.matchAll(/(\w+)="([^"]+)"/g)].map((m) => [m[1], Number(m[2])]));
    out.set(block[1], { mass, I });
  }
  return out;
}

/** Standard DH: Rz(theta) Tz(d) Tx(a) Rx(alpha). */
export function dhTransform(theta: number, d: number, a: number, alpha: number): Pose {
  const Rz = axisAngleToMat3([0, 0, 1], theta);
  const Rx = axisAngleToMat3([1, 0, 0], alpha);
  return { R: mulMat3(Rz, Rx), t: [a * Math.cos(theta), a * Math.sin(theta), d] };
}

/** A number as the README writes it: 0.04, -2π, π/2, 3π/4, -π. */
export function readValue(text: string): number {
  const s = text.trim().replace(/\u2212/g, '-');
  const m = /^([+-]?)(\d+(?:\.\d+)?|\.\d+)?(π)?(?:\/(\d+))?$/.exec(s);
  if (!m || (!m[2] && !m[3])) throw new Error(`not a number: "${text}"`);
  const coefficient = m[2] ? Number(m[2]) : 1;
  const value = (coefficient * (m[3] ? Math.PI : 1)) / (m[4] ? Number(m[4]) : 1);
  return m[1] === '-' ? -value : value;
}

/** The first Markdown table after the heading `## title`, as rows of trimmed cells (header first). */
export function readTable(markdown: string, title: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.trim() === `## ${title}`);
  if (start < 0) throw new Error(`README has no "## ${title}" section`);
  const rows: string[][] = [];
  for (let i = start + 1; i < lines.length && !lines[i].startsWith('## '); i++) {
    const line = lines[i].trim();
    if (!line.startsWith('|')) {
      if (rows.length > 0) break;
      continue;
    }
    const cells = line.slice(1, -1).split('|').map((c) => c.trim());
    if (cells.every((c) => /^-+$/.test(c))) continue;
    rows.push(cells);
  }
  return rows;
}

/** Rows of a table as objects keyed by the header cells. */
export function tableRecords(rows: string[][]): Record<string, string>[] {
  const [header, ...body] = rows;
  return body.map((cells) => Object.fromEntries(header.map((h, i) => [h, cells[i]])));
}
