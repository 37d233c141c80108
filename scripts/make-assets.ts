/**
 * Authors the project's own mesh assets (run: npx tsx scripts/make-assets.ts). They are plain
 * OBJ files written from code, so their geometry is ours and reproducible.
 *
 *   meshes/bracket.obj   an L bracket (scenes/tabletop.yaml, shelf.yaml)
 *   meshes/clutter/      small convex distractors, flat-shaded, a few hundred bytes each, for a
 *                        `mesh.folder` class (scenes/shelf.yaml): eraser (a block with chamfered
 *                        top edges), hexagon (a hexagonal prism), pebble (a flattened, jittered
 *                        icosahedron) and wedge (a triangular prism)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import quickhull from 'quickhull3d/dist/quickhull3d.js';
import { Rng } from '../src/sampling/rng.js';

type P = [number, number, number];

/** An L-shaped bracket: an L profile in the x-z plane extruded along y, centred on its box. */
function bracketObj(): string {
  const L = 0.07, H = 0.05, T = 0.012, W = 0.035;
  const profile: [number, number][] = [[0, 0], [L, 0], [L, T], [T, T], [T, H], [0, H]];
  const cx = L / 2, cz = H / 2;
  const vertices: P[] = [];
  for (const y of [-W / 2, W / 2]) for (const [x, z] of profile) vertices.push([x - cx, y, z - cz]);
  const n = profile.length;
  const faces: number[][] = [];
  // Caps: the L split into two convex quads.
  const quads = [[0, 1, 2, 3], [0, 3, 4, 5]];
  for (const q of quads) {
    faces.push([q[0], q[3], q[2], q[1]].map((i) => i + 1));
    faces.push(q.map((i) => i + n + 1));
  }
  // Sides: one quad per profile edge.
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    faces.push([i + 1, j + 1, j + n + 1, i + n + 1]);
  }
  const lines = ['# robosynth asset: L bracket, metres, z up', 'o bracket'];
  for (const v of vertices) lines.push(`v ${v.map((c) => c.toFixed(6)).join(' ')}`);
  // The loops above wind inward; OBJ front faces are counter-clockwise seen from outside.
  for (const f of faces) lines.push(`f ${[...f].reverse().join(' ')}`);
  return lines.join('\n') + '\n';
}

/**
 * The convex hull of `points` (metres, Z up, centred on the origin) as an OBJ: one polygon per
 * hull face, counter-clockwise seen from outside, each with its face normal (flat shading).
 */
function convexObj(name: string, points: P[]): string {
  const faces = quickhull(points, { skipTriangulation: true });
  const lines = [`# robosynth asset: ${name} (distractor clutter), metres, z up`, `o ${name}`];
  for (const v of points) lines.push(`v ${v.map((c) => c.toFixed(6)).join(' ')}`);
  for (const f of faces) {
    // Newell's normal of the polygon.
    const n: P = [0, 0, 0];
    f.forEach((i, k) => {
      const a = points[i], b = points[f[(k + 1) % f.length]];
      n[0] += (a[1] - b[1]) * (a[2] + b[2]);
      n[1] += (a[2] - b[2]) * (a[0] + b[0]);
      n[2] += (a[0] - b[0]) * (a[1] + b[1]);
    });
    const length = Math.hypot(...n);
    lines.push(`vn ${n.map((c) => (c / length).toFixed(6)).join(' ')}`);
  }
  faces.forEach((f, k) => lines.push(`f ${f.map((i) => `${i + 1}//${k + 1}`).join(' ')}`));
  return lines.join('\n') + '\n';
}

/** A prism: the polygon `profile` (x, y) extruded from z = -h/2 to h/2. */
const prism = (profile: [number, number][], h: number): P[] => [-h / 2, h / 2].flatMap((z) => profile.map(([x, y]): P => [x, y, z]));

function clutter(): Record<string, P[]> {
  // 40 x 20 x 12 mm, top edges chamfered by 3 mm.
  const [L, W, H, C] = [0.04, 0.02, 0.012, 0.003];
  const rect = (dx: number, dy: number, z: number): P[] => [[-dx, -dy, z], [dx, -dy, z], [dx, dy, z], [-dx, dy, z]];
  const eraser = [...rect(L / 2, W / 2, -H / 2), ...rect(L / 2, W / 2, H / 2 - C), ...rect(L / 2 - C, W / 2 - C, H / 2)];
  // 32 mm across the corners, 11 mm thick.
  const hexagon = prism(Array.from({ length: 6 }, (_, k): [number, number] => [0.016 * Math.cos((k * Math.PI) / 3), 0.016 * Math.sin((k * Math.PI) / 3)]), 0.011);
  // An icosahedron squashed to 44 x 32 x 20 mm, each vertex moved by up to +-12 % along its ray.
  const g = (1 + Math.sqrt(5)) / 2;
  const ico: P[] = [];
  for (const a of [-1, 1]) for (const b of [-g, g]) ico.push([0, a, b], [a, b, 0], [b, 0, a]);
  const rng = new Rng('asset', 'pebble');
  const pebble = ico.map((v): P => {
    const k = (1 + 0.24 * (rng.next() - 0.5)) / Math.hypot(...v);
    return [0.022 * k * v[0], 0.016 * k * v[1], 0.01 * k * v[2]];
  });
  // A door wedge: a right triangle (45 mm long, 18 mm high) extruded 25 mm along y, centred on its box.
  const wedge = [-0.0125, 0.0125].flatMap((y) => ([[-0.0225, -0.009], [0.0225, -0.009], [-0.0225, 0.009]] as const).map(([x, z]): P => [x, y, z]));
  return { eraser, hexagon, pebble, wedge };
}

writeFileSync(new URL('../assets/meshes/bracket.obj', import.meta.url), bracketObj());
const folder = new URL('../assets/meshes/clutter/', import.meta.url);
mkdirSync(folder, { recursive: true });
for (const [name, points] of Object.entries(clutter())) writeFileSync(new URL(`${name}.obj`, folder), convexObj(name, points));
