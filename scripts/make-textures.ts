/**
 * Authors the project's own albedo textures (run: npx tsx scripts/make-textures.ts) into
 * assets/textures/: 256x256 PNGs generated from code, so they are ours, small (< 100 KB each)
 * and byte-for-byte reproducible. All tile seamlessly (periodic noise), so a material's
 * `texture.scale` can repeat them. They are drawn times the material colour, so they are light
 * and mostly neutral: the colour tints them.
 *
 *   wood.png      warm grain: stretched rings with fine fibres
 *   noise.png     fine grey grain (plastic, painted surfaces)
 *   cardboard.png light brown fibres with faint corrugation stripes
 *   checker.png   an 8 x 8 checkerboard, light and mid grey
 *   metal.png     brushed metal: streaks along u
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { Rng } from '../src/sampling/rng.js';

const SIZE = 256;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(root, 'assets/textures');

/** Periodic value noise in [0, 1]: a `cells` x `cells` lattice of random values, smoothly interpolated, wrapping at the edges. */
function valueNoise(name: string, cellsX: number, cellsY = cellsX): (x: number, y: number) => number {
  const rng = new Rng('texture', name);
  const lattice = Array.from({ length: cellsX * cellsY }, () => rng.next());
  const at = (i: number, j: number) => lattice[(((j % cellsY) + cellsY) % cellsY) * cellsX + (((i % cellsX) + cellsX) % cellsX)];
  const smooth = (t: number) => t * t * (3 - 2 * t);
  return (x: number, y: number) => {
    const u = (x / SIZE) * cellsX, v = (y / SIZE) * cellsY;
    const i = Math.floor(u), j = Math.floor(v);
    const fu = smooth(u - i), fv = smooth(v - j);
    const a = at(i, j) + (at(i + 1, j) - at(i, j)) * fu;
    const b = at(i, j + 1) + (at(i + 1, j + 1) - at(i, j + 1)) * fu;
    return a + (b - a) * fv;
  };
}

/** Octaves of periodic value noise, normalized to [0, 1]. */
function fractal(name: string, cells: number, octaves: number): (x: number, y: number) => number {
  const layers = Array.from({ length: octaves }, (_, k) => valueNoise(`${name}-${k}`, cells * 2 ** k));
  const total = layers.reduce((s, _, k) => s + 0.5 ** k, 0);
  return (x, y) => layers.reduce((s, f, k) => s + f(x, y) * 0.5 ** k, 0) / total;
}

const clamp255 = (v: number) => Math.max(0, Math.min(255, Math.round(v * 255)));

function writeTexture(file: string, pixel: (x: number, y: number) => [number, number, number]): void {
  const png = new PNG({ width: SIZE, height: SIZE, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  const data = Buffer.alloc(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const [r, g, b] = pixel(x, y);
      const o = (y * SIZE + x) * 3;
      data[o] = clamp255(r);
      data[o + 1] = clamp255(g);
      data[o + 2] = clamp255(b);
    }
  }
  png.data = data;
  const bytes = PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false, deflateLevel: 9 });
  writeFileSync(path.join(OUT, file), bytes);
  process.stdout.write(`${path.relative(root, path.join(OUT, file))}: ${bytes.length} bytes\n`);
}

/** Quantized to `levels` steps: keeps the files small without visible banding at these contrasts. */
const quantize = (v: number, levels: number) => Math.round(v * levels) / levels;

mkdirSync(OUT, { recursive: true });

{
  // Rings: distance along y, warped by low-frequency noise, stretched along x (the grain runs along u).
  const warp = fractal('wood-warp', 4, 3);
  const fibre = valueNoise('wood-fibre', 4, 64);
  writeTexture('wood.png', (x, y) => {
    const rings = Math.sin((y / SIZE) * 2 * Math.PI * 6 + warp(x, y) * 9);
    const t = quantize(0.5 + 0.35 * rings + 0.15 * (fibre(x, y) - 0.5), 24);
    return [0.95 - 0.25 * t, 0.78 - 0.25 * t, 0.58 - 0.22 * t];
  });
}
{
  const grain = fractal('noise', 32, 3);
  writeTexture('noise.png', (x, y) => {
    const g = quantize(0.8 + 0.25 * (grain(x, y) - 0.5), 40);
    return [g, g, g];
  });
}
{
  const fibres = fractal('cardboard', 16, 3);
  writeTexture('cardboard.png', (x, y) => {
    // Corrugation: soft stripes along v, 16 over the tile.
    const stripes = 0.5 + 0.5 * Math.cos((x / SIZE) * 2 * Math.PI * 16);
    const t = quantize(0.6 * fibres(x, y) + 0.4 * stripes, 24);
    return [0.92 - 0.12 * t, 0.78 - 0.12 * t, 0.58 - 0.1 * t];
  });
}
writeTexture('checker.png', (x, y) => {
  const g = (Math.floor(x / 32) + Math.floor(y / 32)) % 2 === 0 ? 0.92 : 0.45;
  return [g, g, g];
});
{
  // Streaks: noise stretched far along u (1 cell across the tile) and fine along v.
  const streaks = valueNoise('metal-streaks', 2, 128);
  const broad = fractal('metal-broad', 4, 2);
  writeTexture('metal.png', (x, y) => {
    const g = quantize(0.72 + 0.18 * (streaks(x, y) - 0.5) + 0.1 * (broad(x, y) - 0.5), 48);
    return [g, g, g];
  });
}
