import { describe, expect, it } from 'vitest';
import { floatImage, type FloatImage } from '../../src/refine/image.js';
import { maxPoolMask } from '../../src/refine/image.js';
import { blendTiles, cutTile, downscaleGrid, gridTiles, mapTiles, splitTiles, tileGrid, tileOrigins, tileWindow } from '../../src/refine/tiles.js';
import { Rng } from '../../src/sampling/rng.js';

function randomImage(width: number, height: number, seed: string): FloatImage {
  const rng = new Rng(seed);
  const img = floatImage(width, height, 3);
  for (let i = 0; i < img.data.length; i++) img.data[i] = rng.uniform(-1, 1);
  return img;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Largest difference between 4-neighbour pixels (any channel). */
function maxNeighbourStep(img: FloatImage): number {
  const { width, height, channels, data } = img;
  let m = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        const v = data[(y * width + x) * channels + c];
        if (x + 1 < width) m = Math.max(m, Math.abs(data[(y * width + x + 1) * channels + c] - v));
        if (y + 1 < height) m = Math.max(m, Math.abs(data[((y + 1) * width + x) * channels + c] - v));
      }
    }
  }
  return m;
}

describe('tile layout', () => {
  it('covers the side with the fewest tiles that overlap by at least the overlap', () => {
    const xs = tileOrigins(640, 64, 16);
    expect(xs[0]).toBe(0);
    expect(xs[xs.length - 1]).toBe(640 - 64);
    expect(xs.length).toBe(13); // ceil((640 - 16) / (64 - 16))
    for (let k = 1; k < xs.length; k++) expect(xs[k - 1] + 64 - xs[k]).toBeGreaterThanOrEqual(16);
    expect(tileOrigins(480, 128, 32)).toEqual([0, 88, 176, 264, 352]);
    expect(tileOrigins(64, 64, 16)).toEqual([0]);
    expect(tileOrigins(30, 64, 16)).toEqual([0]);
    expect(tileOrigins(65, 64, 16)).toEqual([0, 1]);
  });

  it('windows are positive inside a tile, 1 in the middle, and ramp only where a neighbour overlaps', () => {
    const xs = tileOrigins(160, 64, 16);
    const first = tileWindow(xs, 0, 64);
    const middle = tileWindow(xs, 1, 64);
    expect(first[0]).toBe(1); // the frame's border: nothing else covers it
    expect(first[63]).toBeGreaterThan(0);
    expect(first[63]).toBeLessThan(0.05);
    expect(middle[32]).toBe(1);
    expect(Math.min(...middle)).toBeGreaterThan(0);
  });
});

describe('split and blend', () => {
  it('round trip is the identity (tiles returned unchanged)', () => {
    for (const [w, h, size, overlap] of [[150, 100, 64, 16], [640, 480, 128, 32], [97, 64, 64, 20], [200, 40, 64, 16]] as const) {
      const img = randomImage(w, h, `${w}x${h}`);
      const grid = tileGrid(w, h, size, overlap);
      const back = blendTiles(splitTiles(img, grid), grid);
      expect(back.width).toBe(w);
      expect(back.height).toBe(h);
      expect(maxAbsDiff(back.data, img.data)).toBeLessThanOrEqual(1e-7);
    }
  });

  it('a frame smaller than a tile is reflect-padded to the tile, then cropped back', () => {
    const img = randomImage(40, 30, 'small');
    const grid = tileGrid(40, 30, 64);
    expect(gridTiles(grid)).toHaveLength(1);
    const [tile] = splitTiles(img, grid);
    expect([tile.width, tile.height]).toEqual([64, 64]);
    const px = (im: FloatImage, x: number, y: number) => Array.from(im.data.subarray((y * im.width + x) * 3, (y * im.width + x) * 3 + 3));
    // Reflect without repeating the edge: column 40 is column 38, row 30 is row 28, row 31 is 27.
    expect(px(tile, 40, 5)).toEqual(px(img, 38, 5));
    expect(px(tile, 3, 30)).toEqual(px(img, 3, 28));
    expect(px(tile, 41, 31)).toEqual(px(img, 37, 27));
    // Past one full reflection (64 > 2 * 30 - 1) it keeps bouncing: row 59 -> 1.
    expect(px(tile, 0, 59)).toEqual(px(img, 0, 1));
    const back = blendTiles([tile], grid);
    expect(maxAbsDiff(back.data, img.data)).toBe(0);
    // A 1-px side repeats its only pixel.
    expect(cutTile(randomImage(1, 1, 'dot'), 0, 0, 4).data.every((v, i, a) => v === a[i % 3])).toBe(true);
  });

  it('no seams: tiles that each come back with a different offset blend smoothly', async () => {
    const w = 300, h = 220, size = 64, overlap = 16;
    const grid = tileGrid(w, h, size, overlap);
    const flat = floatImage(w, h, 3);
    const rng = new Rng('offsets');
    const offsets = gridTiles(grid).map(() => rng.uniform(-0.5, 0.5));
    const shift = (tile: FloatImage, n: number) => floatImage(size, size, 3, tile.data.map((v) => v + offsets[n]));
    const blended = await mapTiles(flat, grid, shift);
    // Pasting the tiles (last one wins) shows each offset difference as a one-pixel jump...
    const pasted = floatImage(w, h, 3);
    gridTiles(grid).forEach((r, n) => {
      for (let y = r.y; y < Math.min(h, r.y + size); y++) for (let x = r.x; x < Math.min(w, r.x + size); x++) for (let c = 0; c < 3; c++) pasted.data[(y * w + x) * 3 + c] = offsets[n];
    });
    const spread = Math.max(...offsets) - Math.min(...offsets);
    expect(maxNeighbourStep(pasted)).toBeGreaterThan(0.3);
    // ...the blend spreads it over the overlap: a raised cosine over R px has a slope of at most
    // pi / (2R) times the difference it bridges; where four tiles meet, the weighted mean of
    // values within `spread` of each other moves by no more than that per axis.
    const minOverlap = Math.min(...[grid.xs, grid.ys].flatMap((o) => o.slice(1).map((v, k) => o[k] + size - v)));
    expect(minOverlap).toBeGreaterThanOrEqual(overlap);
    const bound = (Math.PI / (2 * minOverlap)) * spread;
    const step = maxNeighbourStep(blended);
    expect(step).toBeLessThanOrEqual(bound);
    expect(step).toBeLessThan(maxNeighbourStep(pasted) / 4);
    // And every blended value stays within the offsets it mixes.
    const [lo, hi] = blended.data.reduce(([a, b], v) => [Math.min(a, v), Math.max(b, v)], [Infinity, -Infinity]);
    expect(hi).toBeLessThanOrEqual(Math.max(...offsets) + 1e-6);
    expect(lo).toBeGreaterThanOrEqual(Math.min(...offsets) - 1e-6);
  });

  it('mapTiles hands tiles in grid order with their rectangles', async () => {
    const img = randomImage(100, 70, 'map');
    const grid = tileGrid(100, 70, 64, 16);
    const seen: string[] = [];
    const back = await mapTiles(img, grid, async (tile, n, r) => {
      seen.push(`${n}:${r.x},${r.y}`);
      return tile;
    });
    expect(seen).toEqual(['0:0,0', '1:36,0', '2:0,6', '3:36,6']);
    expect(maxAbsDiff(back.data, img.data)).toBeLessThanOrEqual(1e-7);
  });
});

describe('tiles for a latent model (origins on the VAE grid)', () => {
  it('aligns every origin to the factor; the latent grid is the same tiling 8x smaller', () => {
    const grid = tileGrid(90, 70, 64, 16, 8);
    expect(grid.xs).toEqual([0, 32]); // on ceil(90 / 8) = 12 cells: tiles of 8 cells overlapping by 2
    expect(grid.ys).toEqual([0, 8]); // 9 cells: the second tile starts one cell in
    for (const o of [...grid.xs, ...grid.ys]) expect(o % 8).toBe(0);
    // The last tile ends at the side rounded up to 8 (96 >= 90, 72 >= 70); blending crops it.
    expect(downscaleGrid(grid, 8)).toEqual({ width: 12, height: 9, size: 8, xs: [0, 4], ys: [0, 1] });
    const img = randomImage(90, 70, 'aligned');
    expect(maxAbsDiff(blendTiles(splitTiles(img, grid), grid).data, img.data)).toBeLessThanOrEqual(1e-7);
    // align 1 is the plain grid.
    expect(tileGrid(640, 480, 64, 16, 1)).toEqual(tileGrid(640, 480, 64, 16));
    expect(() => tileGrid(100, 100, 60, 15, 8)).toThrow(/align must be a positive integer dividing the tile size 60/);
    expect(() => downscaleGrid(tileGrid(100, 100, 64), 8)).toThrow(/not a multiple of 8/);
  });

  it('max-pools a pixel mask onto the latent grid', () => {
    const mask = new Uint8Array(10 * 9);
    mask[0] = 1; // cell (0, 0)
    mask[8 * 10 + 9] = 1; // pixel (9, 8): the partial cell (1, 1)
    expect(Array.from(maxPoolMask(mask, 10, 9, 8))).toEqual([1, 0, 0, 1]);
    expect(Array.from(maxPoolMask(Uint8Array.from([0, 3, 0, 0]), 2, 2, 1))).toEqual([0, 1, 0, 0]);
  });
});
