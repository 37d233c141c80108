/**
 * Authors the project's own background images (run: npx tsx scripts/make-backgrounds.ts) into
 * assets/backgrounds/: 320x240 PNGs generated from code, so they are ours, small (< 60 KB each)
 * and byte-for-byte reproducible. A scene's `background.images` draws one per frame behind
 * everything, scaled to cover the frame (aspect kept, centre-cropped); they are seen out of
 * focus behind the scene, so they are soft and need no more detail than this.
 *
 *   bokeh.png    out-of-focus lights: soft discs of warm and cool colours over a dark room
 *   shelves.png  a warehouse rack: beams, posts and cardboard boxes, slightly blurred
 *   wall.png     a painted wall with a skirting board, a poster, a notice board and a socket
 *   window.png   a window onto a cloudy sky, its frame and sill
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { Rng } from '../src/sampling/rng.js';

const W = 320, H = 240;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(root, 'assets/backgrounds');

type RGB = [number, number, number];

/** An image being painted: RGB floats in [0, 1], row-major, y down. */
class Canvas {
  readonly data = new Float32Array(W * H * 3);
  constructor(fill: (x: number, y: number) => RGB) {
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) this.data.set(fill(x, y), 3 * (y * W + x));
  }

  /** Paint `color` over the pixels where `alpha(x, y)` > 0, blended by it. */
  paint(x0: number, y0: number, x1: number, y1: number, color: RGB, alpha: (x: number, y: number) => number): void {
    for (let y = Math.max(0, Math.floor(y0)); y < Math.min(H, Math.ceil(y1)); y++) {
      for (let x = Math.max(0, Math.floor(x0)); x < Math.min(W, Math.ceil(x1)); x++) {
        const a = alpha(x + 0.5, y + 0.5);
        if (a <= 0) continue;
        const o = 3 * (y * W + x);
        for (let c = 0; c < 3; c++) this.data[o + c] += (color[c] - this.data[o + c]) * Math.min(1, a);
      }
    }
  }

  rect(x0: number, y0: number, x1: number, y1: number, color: RGB): void {
    this.paint(x0, y0, x1, y1, color, () => 1);
  }

  /** A box blur of radius r, `passes` times (three passes are close to a Gaussian). */
  blur(r: number, passes: number): void {
    const tmp = new Float32Array(this.data.length);
    for (let pass = 0; pass < passes; pass++) {
      for (const [src, dst, horizontal] of [[this.data, tmp, true], [tmp, this.data, false]] as const) {
        for (let y = 0; y < H; y++) {
          for (let x = 0; x < W; x++) {
            const sum = [0, 0, 0];
            for (let k = -r; k <= r; k++) {
              const u = horizontal ? Math.min(W - 1, Math.max(0, x + k)) : x;
              const v = horizontal ? y : Math.min(H - 1, Math.max(0, y + k));
              for (let c = 0; c < 3; c++) sum[c] += src[3 * (v * W + u) + c];
            }
            for (let c = 0; c < 3; c++) dst[3 * (y * W + x) + c] = sum[c] / (2 * r + 1);
          }
        }
      }
    }
  }

  /** Written with each channel quantized to `levels` steps: small files, no visible banding once blurred by the render. */
  write(file: string, levels: number): void {
    const png = new PNG({ width: W, height: H, colorType: 2, inputColorType: 2, inputHasAlpha: false });
    const bytes = Buffer.alloc(W * H * 3);
    for (let i = 0; i < bytes.length; i++) {
      const v = Math.min(1, Math.max(0, this.data[i]));
      bytes[i] = Math.round((Math.round(v * levels) / levels) * 255);
    }
    png.data = bytes;
    const encoded = PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false, deflateLevel: 9 });
    writeFileSync(path.join(OUT, file), encoded);
    process.stdout.write(`${path.relative(root, path.join(OUT, file))}: ${encoded.length} bytes\n`);
  }
}

/** Value noise in [0, 1] on a lattice of `cell` pixels, smoothly interpolated. */
function valueNoise(name: string, cell: number): (x: number, y: number) => number {
  const rng = new Rng('background-image', name);
  const nx = Math.ceil(W / cell) + 2, ny = Math.ceil(H / cell) + 2;
  const lattice = Array.from({ length: nx * ny }, () => rng.next());
  const smooth = (t: number) => t * t * (3 - 2 * t);
  return (x, y) => {
    const u = x / cell, v = y / cell;
    const i = Math.floor(u), j = Math.floor(v);
    const fu = smooth(u - i), fv = smooth(v - j);
    const at = (a: number, b: number) => lattice[b * nx + a];
    const top = at(i, j) + (at(i + 1, j) - at(i, j)) * fu;
    const bottom = at(i, j + 1) + (at(i + 1, j + 1) - at(i, j + 1)) * fu;
    return top + (bottom - top) * fv;
  };
}

const mix = (a: RGB, b: RGB, t: number): RGB => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
const smoothstep = (e0: number, e1: number, x: number) => {
  const t = Math.min(1, Math.max(0, (x - e0) / (e1 - e0)));
  return t * t * (3 - 2 * t);
};

mkdirSync(OUT, { recursive: true });

{
  // A dark room, lighter towards the top, and out-of-focus lights as soft discs.
  const rng = new Rng('background-image', 'bokeh');
  const canvas = new Canvas((_, y) => mix([0.16, 0.17, 0.22], [0.04, 0.04, 0.06], y / H));
  const palette: RGB[] = [[1, 0.78, 0.45], [1, 0.6, 0.3], [0.55, 0.75, 1], [0.9, 0.9, 0.85], [1, 0.45, 0.5]];
  for (let k = 0; k < 46; k++) {
    const cx = rng.uniform(-10, W + 10), cy = rng.uniform(-10, H * 0.8), r = rng.uniform(6, 26);
    const color = palette[Math.floor(rng.next() * palette.length)];
    const strength = rng.uniform(0.2, 0.6);
    canvas.paint(cx - r - 2, cy - r - 2, cx + r + 2, cy + r + 2, color, (x, y) => strength * (1 - smoothstep(r - 2, r + 1.5, Math.hypot(x - cx, y - cy))));
  }
  canvas.write('bokeh.png', 48);
}

{
  // A rack: three levels of boxes between orange beams and blue posts, a concrete floor, blurred.
  const rng = new Rng('background-image', 'shelves');
  const canvas = new Canvas((_, y) => (y > 200 ? [0.45, 0.45, 0.43] : [0.22, 0.23, 0.25]));
  const beams = [38, 104, 170];
  for (const top of beams) {
    // Boxes standing on the beam below this level's top, of random widths and cardboard shades.
    let x = 4;
    while (x < W - 10) {
      const w = rng.uniform(24, 62), h = rng.uniform(30, 56);
      const shade = rng.uniform(0.75, 1.1);
      const base: RGB = rng.next() < 0.8 ? [0.62 * shade, 0.46 * shade, 0.3 * shade] : [0.8 * shade, 0.8 * shade, 0.78 * shade];
      const floor = top + 60;
      canvas.rect(x, floor - h, Math.min(W, x + w), floor, base);
      // Tape along the top flap.
      canvas.rect(x + w / 2 - 3, floor - h, x + w / 2 + 3, floor - h + 10, mix(base, [0.9, 0.85, 0.7], 0.6));
      x += w + rng.uniform(2, 10);
    }
    canvas.rect(0, top + 60, W, top + 68, [0.95, 0.5, 0.12]);
  }
  for (const x of [0, 156, 312]) canvas.rect(x, 0, x + 8, 205, [0.15, 0.3, 0.6]);
  canvas.blur(1, 3);
  canvas.write('shelves.png', 40);
}

{
  // A painted wall with soft uneven light, a skirting board, a poster, a cork notice board and a socket.
  const light = valueNoise('wall-light', 80);
  const canvas = new Canvas((x, y) => {
    const shade = 0.85 + 0.12 * (light(x, y) - 0.5) - 0.15 * (y / H);
    return [0.86 * shade, 0.82 * shade, 0.74 * shade];
  });
  canvas.rect(0, 214, W, 240, [0.42, 0.36, 0.3]);
  canvas.rect(0, 212, W, 214, [0.55, 0.5, 0.44]);
  // Poster: a coloured frame with blocks of "text".
  canvas.rect(34, 40, 124, 162, [0.95, 0.95, 0.93]);
  canvas.rect(40, 46, 118, 92, [0.2, 0.45, 0.7]);
  for (let row = 0; row < 6; row++) canvas.rect(42, 100 + row * 9, 42 + 70 - (row % 3) * 14, 104 + row * 9, [0.35, 0.35, 0.38]);
  // Notice board with pinned notes.
  canvas.rect(178, 52, 292, 142, [0.66, 0.5, 0.32]);
  const rng = new Rng('background-image', 'wall-notes');
  for (let k = 0; k < 7; k++) {
    const x = rng.uniform(182, 262), y = rng.uniform(56, 114);
    const notes: RGB[] = [[0.98, 0.95, 0.55], [0.95, 0.95, 0.95], [0.6, 0.85, 0.95], [0.95, 0.7, 0.75]];
    canvas.rect(x, y, x + rng.uniform(18, 26), y + rng.uniform(18, 24), notes[k % notes.length]);
  }
  canvas.rect(246, 176, 262, 194, [0.93, 0.93, 0.9]);
  canvas.rect(251, 182, 253, 188, [0.3, 0.3, 0.3]);
  canvas.rect(255, 182, 257, 188, [0.3, 0.3, 0.3]);
  canvas.blur(1, 1);
  canvas.write('wall.png', 40);
}

{
  // A window: sky from deep blue at the top to pale at the horizon, clouds, a white frame with a cross bar.
  const clouds = valueNoise('window-clouds', 48);
  const detail = valueNoise('window-detail', 14);
  const canvas = new Canvas((x, y) => {
    const sky = mix([0.25, 0.5, 0.88], [0.75, 0.86, 0.95], y / H);
    const c = smoothstep(0.5, 0.8, 0.75 * clouds(x, y) + 0.25 * detail(x, y));
    return mix(sky, [0.97, 0.97, 0.98], 0.9 * c);
  });
  const frame: RGB = [0.93, 0.93, 0.9];
  canvas.rect(0, 0, 14, H, frame);
  canvas.rect(W - 14, 0, W, H, frame);
  canvas.rect(0, 0, W, 12, frame);
  canvas.rect(154, 0, 166, H, frame);
  canvas.rect(0, 112, W, 120, frame);
  canvas.rect(0, 212, W, 240, [0.8, 0.78, 0.74]);
  canvas.rect(0, 210, W, 213, [0.6, 0.58, 0.55]);
  canvas.write('window.png', 40);
}
