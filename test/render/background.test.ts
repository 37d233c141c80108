// Backdrops (PageJob.backdrop) through the real renderer (headless Chromium): a gradient and an
// image fill exactly the pixels nothing covers, in the colour image only; the instance/depth pass
// is byte-identical to a plain clear colour's; an image covers the frame (aspect kept,
// centre-cropped) the right way up; a missing or undecodable image is one warning and the clear colour.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TriMesh } from '../../src/geometry/types.js';
import { Renderer } from '../../src/render/driver.js';
import { pageBackdrop } from '../../src/render/job.js';
import type { PageBackdrop, PageJob, RGB } from '../../src/render/protocol.js';

const W = 64, H = 48;
const CLEAR: RGB = [0.2, 0.4, 0.6];
let dir = '';

/** A PNG from a pixel function (x right, y down from the top row). */
function png(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): Buffer {
  const image = new PNG({ width, height });
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) image.data.set([...pixel(x, y), 255], 4 * (y * width + x));
  return PNG.sync.write(image);
}

/** Wider than the frame (3:1 against 4:3): red | green | blue bands; the green one is bright in the top half, dark below. */
const bands = (x: number, y: number): [number, number, number] => (x < 24 ? [255, 0, 0] : x >= 72 ? [0, 0, 255] : [0, y < 16 ? 250 : 120, 0]);
/** The frame's own size: a value per pixel (x, y), so a 1:1 draw can be checked byte for byte. */
const pattern = (x: number, y: number): [number, number, number] => [(x * 4) % 256, (y * 5) % 256, (x * 3 + y * 7) % 256];

/** A square facing the camera in the middle of the view (GL camera frame: looking down -z, y up). */
const square: TriMesh = {
  positions: new Float32Array([-0.25, -0.25, -1, 0.25, -0.25, -1, 0.25, 0.25, -1, -0.25, 0.25, -1]),
  normals: new Float32Array([0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1]),
  indices: new Uint32Array([0, 1, 2, 0, 2, 3]),
};

function job(frame: number, backdrop?: PageBackdrop): Omit<PageJob, 'uploadUrl'> {
  // fx = fy = W/2: the square spans a quarter of the width and as many pixels in height.
  const f = W / 2, n = 0.1, far = 10;
  return {
    frame,
    projection: [(2 * f) / W, 0, 0, 0, 0, (2 * f) / H, 0, 0, 0, 0, -(far + n) / (far - n), -1, 0, 0, (-2 * far * n) / (far - n), 0],
    clearColor: CLEAR,
    ...(backdrop ? { backdrop } : {}),
    lights: [{ type: 'hemispheric', direction: [0, 0, 1], color: [1, 1, 1], groundColor: [1, 1, 1], intensity: 1 }],
    items: [{ mesh: 'square', matrix: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], id: 1, color: [0.9, 0.8, 0.1], metallic: 0, roughness: 1, castShadows: false, receiveShadows: false }],
  };
}

/** RGB at image pixel (x, y), y down from the top row (the page reads rows bottom-up). */
function pixel(color: Buffer, x: number, y: number): [number, number, number] {
  const o = 4 * ((H - 1 - y) * W + x);
  return [color[o], color[o + 1], color[o + 2]];
}

/** Instance id at image pixel (x, y). */
const idAt = (instanceDepth: Buffer, x: number, y: number) => {
  const o = 4 * ((H - 1 - y) * W + x);
  return instanceDepth[o] + 256 * instanceDepth[o + 1];
};

/** Pixels (x, y) whose 3x3 neighbourhood is background (id 0) in the instance pass: no antialiased object edge in them. */
function backgroundPixels(instanceDepth: Buffer): [number, number][] {
  const out: [number, number][] = [];
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let clear = true;
      for (let dy = -1; dy <= 1 && clear; dy++) for (let dx = -1; dx <= 1 && clear; dx++) {
        const u = Math.min(W - 1, Math.max(0, x + dx)), v = Math.min(H - 1, Math.max(0, y + dy));
        clear = idAt(instanceDepth, u, v) === 0;
      }
      if (clear) out.push([x, y]);
    }
  }
  return out;
}

const gradient = (top: RGB, bottom: RGB, angleDeg: number) => pageBackdrop({ gradient: { top, bottom, angleDeg } }, { width: W, height: H });

let renderer: Renderer;
const warnings: string[] = [];
let plain: { color: Buffer; instanceDepth: Buffer };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'robosynth-backdrop-'));
  writeFileSync(join(dir, 'bands.png'), png(96, 32, bands));
  writeFileSync(join(dir, 'pattern.png'), png(W, H, pattern));
  writeFileSync(join(dir, 'broken.png'), Buffer.from('not a png at all'));
  renderer = await Renderer.launch(new Map([['square', square]]), {
    width: W, height: H, samples: 4, shadowMapSize: 256,
    textures: new Map([
      ['bg/bands.png', join(dir, 'bands.png')],
      ['bg/pattern.png', join(dir, 'pattern.png')],
      ['bg/missing.png', join(dir, 'missing.png')],
      ['bg/broken.png', join(dir, 'broken.png')],
    ]),
    warn: (w) => warnings.push(w),
  });
  plain = await renderer.render(job(0));
}, 60_000);

afterAll(async () => {
  await renderer?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('backdrops in the renderer', () => {
  it('the plain frame has the square in the middle and the clear colour around it', () => {
    expect(idAt(plain.instanceDepth, W / 2, H / 2)).toBe(1);
    expect(idAt(plain.instanceDepth, 2, 2)).toBe(0);
    expect(pixel(plain.color, 2, 2)).toEqual(CLEAR.map((c) => Math.round(c * 255)));
  });

  it('a gradient with both colours the clear colour draws the same bytes as the clear colour alone', async () => {
    const same = await renderer.render(job(1, gradient(CLEAR, CLEAR, 30)));
    expect(same.color.equals(plain.color)).toBe(true);
    expect(same.instanceDepth.equals(plain.instanceDepth)).toBe(true);
  });

  it('a vertical gradient runs from the top colour at the top to the bottom colour at the bottom, behind the object only', async () => {
    const { color, instanceDepth } = await renderer.render(job(2, gradient([1, 0, 0], [0, 0, 1], 0)));
    // Labels never see the backdrop.
    expect(instanceDepth.equals(plain.instanceDepth)).toBe(true);
    // Top row almost pure top colour, bottom row the bottom colour, the middle between; along a row constant.
    const [rTop, , bTop] = pixel(color, 3, 0);
    const [rBottom, , bBottom] = pixel(color, 3, H - 1);
    expect(rTop).toBeGreaterThan(245);
    expect(bTop).toBeLessThan(10);
    expect(rBottom).toBeLessThan(10);
    expect(bBottom).toBeGreaterThan(245);
    for (let y = 0; y < H; y++) expect(pixel(color, W - 1, y)).toEqual(pixel(color, 0, y));
    let previous = 256;
    for (let y = 0; y < H; y++) {
      const [r] = pixel(color, 0, y);
      expect(r).toBeLessThanOrEqual(previous);
      previous = r;
    }
    expect(Math.abs(pixel(color, 0, H / 2)[0] - 128)).toBeLessThan(8);
    // Where the object is, the frame is the plain frame's (its interior, away from antialiased edges).
    for (let y = H / 2 - 4; y < H / 2 + 4; y++) for (let x = W / 2 - 4; x < W / 2 + 4; x++) expect(pixel(color, x, y)).toEqual(pixel(plain.color, x, y));
  });

  it('angle_deg turns the gradient counter-clockwise: at 90 the top colour is at the left edge', async () => {
    const { color } = await renderer.render(job(3, gradient([1, 0, 0], [0, 0, 1], 90)));
    const [rLeft, , bLeft] = pixel(color, 0, 3);
    const [rRight, , bRight] = pixel(color, W - 1, 3);
    expect(rLeft).toBeGreaterThan(245);
    expect(bLeft).toBeLessThan(10);
    expect(rRight).toBeLessThan(10);
    expect(bRight).toBeGreaterThan(245);
    for (let x = 0; x < W; x++) expect(pixel(color, x, 0)).toEqual(pixel(color, x, H - 1));
  });

  it('an image the size of the frame shows its own bytes in the background pixels', async () => {
    const { color, instanceDepth } = await renderer.render(job(4, { type: 'image', texture: 'bg/pattern.png' }));
    expect(instanceDepth.equals(plain.instanceDepth)).toBe(true);
    const background = backgroundPixels(instanceDepth);
    expect(background.length).toBeGreaterThan(W * H * 0.6);
    let worst = 0;
    for (const [x, y] of background) {
      const got = pixel(color, x, y), want = pattern(x, y);
      worst = Math.max(worst, ...got.map((c, k) => Math.abs(c - want[k])));
    }
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('a wider image covers the frame with its aspect kept, centre-cropped and the right way up', async () => {
    const { color, instanceDepth } = await renderer.render(job(5, { type: 'image', texture: 'bg/bands.png' }));
    expect(instanceDepth.equals(plain.instanceDepth)).toBe(true);
    // Only the middle (green) band shows: a stretched image would show red and blue at the sides.
    for (const [x, y] of backgroundPixels(instanceDepth)) {
      const [r, g, b] = pixel(color, x, y);
      expect(r + b, `pixel ${x}, ${y}`).toBeLessThan(6);
      // The image's top half (bright) at the top of the frame; a seam of one or two rows in the middle.
      if (y < H / 2 - 2) expect(g).toBeGreaterThan(240);
      if (y > H / 2 + 1) expect(g).toBeLessThan(130);
    }
  });

  it('a missing or undecodable image is one warning each, and the frame shows the clear colour', async () => {
    expect(warnings.filter((w) => w.includes('missing.png'))).toHaveLength(1);
    expect(warnings.filter((w) => w.includes('broken.png'))).toHaveLength(1);
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).toContain('the background colour');
    for (const [frame, texture] of [[6, 'bg/missing.png'], [7, 'bg/broken.png'], [8, 'never-loaded']] as const) {
      const { color, instanceDepth } = await renderer.render(job(frame, { type: 'image', texture }));
      expect(color.equals(plain.color), texture).toBe(true);
      expect(instanceDepth.equals(plain.instanceDepth)).toBe(true);
    }
  });

  it('a frame after a backdrop frame draws the same bytes as before (no state carried over)', async () => {
    await renderer.render(job(9, gradient([0, 1, 0], [1, 0, 1], 45)));
    const again = await renderer.render(job(10));
    expect(again.color.equals(plain.color)).toBe(true);
    expect(again.instanceDepth.equals(plain.instanceDepth)).toBe(true);
  });
});
