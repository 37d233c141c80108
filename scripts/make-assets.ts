/**
 * Authors the project's own mesh assets (run: npx tsx scripts/make-assets.ts). They are plain
 * OBJ files written from code, so their geometry is ours and reproducible.
 */
import { writeFileSync } from 'node:fs';

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

writeFileSync(new URL('../assets/meshes/bracket.obj', import.meta.url), bracketObj());
