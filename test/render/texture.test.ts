// Textures through the real renderer (headless Chromium): the right way up, times the colour,
// and a missing or undecodable file is one warning and an untextured draw, never a failure.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TriMesh } from '../../src/geometry/types.js';
import { Renderer } from '../../src/render/driver.js';
import type { PageItem, PageJob } from '../../src/render/protocol.js';

const W = 64, H = 64;
let dir = '';

/** A PNG whose quadrants are red (top left), green (top right), blue (bottom left), white (bottom right). */
function quadrantPng(size: number): Buffer {
  const png = new PNG({ width: size, height: size });
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const top = y < size / 2, left = x < size / 2;
      const rgb = top ? (left ? [255, 0, 0] : [0, 255, 0]) : (left ? [0, 0, 255] : [255, 255, 255]);
      png.data.set([...rgb, 255], 4 * (y * size + x));
    }
  }
  return PNG.sync.write(png);
}

/** A square facing the camera (GL camera frame: looking down -z, y up), filling the view. */
const quad: TriMesh = {
  positions: new Float32Array([-1, -1, -1, 1, -1, -1, 1, 1, -1, -1, 1, -1]),
  normals: new Float32Array([0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1]),
  indices: new Uint32Array([0, 1, 2, 0, 2, 3]),
  // TriMesh convention: v up from the image's bottom row.
  uvs: new Float32Array([0, 0, 1, 0, 1, 1, 0, 1]),
};

function job(frame: number, item: Partial<PageItem>): Omit<PageJob, 'uploadUrl'> {
  // fx = fy = W/2 at distance 1: the square [-1, 1]^2 spans the whole image.
  const f = W / 2, n = 0.1, far = 10;
  return {
    frame,
    projection: [(2 * f) / W, 0, 0, 0, 0, (2 * f) / H, 0, 0, 0, 0, -(far + n) / (far - n), -1, 0, 0, (-2 * far * n) / (far - n), 0],
    clearColor: [0, 0, 0],
    lights: [{ type: 'hemispheric', direction: [0, 0, 1], color: [1, 1, 1], groundColor: [1, 1, 1], intensity: 1 }],
    items: [{
      mesh: 'quad', matrix: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], id: 1, color: [1, 1, 1],
      metallic: 0, roughness: 1, castShadows: false, receiveShadows: false, ...item,
    }],
  };
}

/** RGB at image pixel (x, y), y down from the top row (the page reads rows bottom-up). */
function pixel(color: Buffer, x: number, y: number): [number, number, number] {
  const o = 4 * ((H - 1 - y) * W + x);
  return [color[o], color[o + 1], color[o + 2]];
}

function dominant([r, g, b]: [number, number, number]): string {
  if (r > 100 && g > 100 && b > 100) return 'white';
  if (r > 2 * g && r > 2 * b) return 'red';
  if (g > 2 * r && g > 2 * b) return 'green';
  if (b > 2 * r && b > 2 * g) return 'blue';
  return `other(${r},${g},${b})`;
}

let renderer: Renderer;
const warnings: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'robosynth-texture-'));
  writeFileSync(join(dir, 'quadrants.png'), quadrantPng(32));
  writeFileSync(join(dir, 'broken.png'), Buffer.from('not a png at all'));
  renderer = await Renderer.launch(new Map([['quad', quad]]), {
    width: W, height: H, samples: 1, shadowMapSize: 256,
    textures: new Map([
      ['quadrants', join(dir, 'quadrants.png')],
      ['missing', join(dir, 'missing.png')],
      ['broken', join(dir, 'broken.png')],
    ]),
    warn: (w) => warnings.push(w),
  });
}, 60_000);

afterAll(async () => {
  await renderer?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('textures in the renderer', () => {
  it('draws a texture the right way up and unmirrored', async () => {
    const { color, instanceDepth } = await renderer.render(job(0, { texture: 'quadrants' }));
    const q = W / 4;
    expect(dominant(pixel(color, q, q))).toBe('red');
    expect(dominant(pixel(color, 3 * q, q))).toBe('green');
    expect(dominant(pixel(color, q, 3 * q))).toBe('blue');
    expect(dominant(pixel(color, 3 * q, 3 * q))).toBe('white');
    // The instance pass does not see textures: id 1 everywhere.
    for (let i = 0; i < W * H; i++) expect(instanceDepth[4 * i] + 256 * instanceDepth[4 * i + 1]).toBe(1);
  });

  it('multiplies the texture by the item colour, and repeats it with textureScale', async () => {
    const tinted = (await renderer.render(job(1, { texture: 'quadrants', color: [0, 1, 0] }))).color;
    // White becomes green, red becomes black.
    expect(dominant(pixel(tinted, (3 * W) / 4, (3 * H) / 4))).toBe('green');
    expect(Math.max(...pixel(tinted, W / 4, H / 4))).toBeLessThan(30);
    const repeated = (await renderer.render(job(2, { texture: 'quadrants', textureScale: [2, 2] }))).color;
    // Twice across: the top-left eighth is red, the next eighth to the right green.
    expect(dominant(pixel(repeated, W / 8, H / 8))).toBe('red');
    expect(dominant(pixel(repeated, (3 * W) / 8, H / 8))).toBe('green');
    expect(dominant(pixel(repeated, (5 * W) / 8, H / 8))).toBe('red');
  });

  it('a missing or undecodable texture is one warning each and draws untextured', async () => {
    expect(warnings.filter((w) => w.includes('missing.png'))).toHaveLength(1);
    expect(warnings.filter((w) => w.includes('broken.png'))).toHaveLength(1);
    expect(warnings).toHaveLength(2);
    for (const [frame, texture] of [[3, 'missing'], [4, 'broken'], [5, 'never-loaded']] as const) {
      const { color } = await renderer.render(job(frame, { texture, color: [1, 1, 1] }));
      for (const [x, y] of [[W / 4, H / 4], [(3 * W) / 4, (3 * H) / 4]]) expect(dominant(pixel(color, x, y))).toBe('white');
    }
  });
});
