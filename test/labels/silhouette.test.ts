import { describe, expect, it } from 'vitest';
import { boxMesh } from '../../src/geometry/primitives.js';
import { rasterizeSilhouette } from '../../src/labels/silhouette.js';
import { maskAt, toFullMask } from '../../src/labels/mask.js';
import { encodeRegionRle, encodeRle } from '../../src/labels/rle.js';
import { blankRegion } from '../../src/labels/mask.js';
import { Rng } from '../../src/sampling/rng.js';

const K = { fx: 500, fy: 500, cx: 99.5, cy: 79.5, width: 200, height: 160 };
const facing = (x: number, y: number, z: number) => ({ R: [1, 0, 0, 0, 1, 0, 0, 0, 1], t: [x, y, z] as [number, number, number] });

describe('amodal silhouettes', () => {
  it('covers exactly the pixels whose centres fall inside the projection', () => {
    // A 0.1 m square face at 1 m: 50 px wide, centred on the principal point (99.5, 79.5),
    // so it spans u in [74.5, 124.5]: columns 75..124 — 50 columns, likewise 50 rows.
    const s = rasterizeSilhouette(boxMesh([0.1, 0.1, 1e-4]), facing(0, 0, 1), K);
    expect(s.countAll).toBe(2500);
    expect(s.mask.count).toBe(2500);
    expect(s.bbox).toEqual([75, 55, 49, 49]);
    expect(maskAt(s.mask, 75, 55)).toBe(1);
    expect(maskAt(s.mask, 74, 55)).toBe(0);
    expect(maskAt(s.mask, 124, 104)).toBe(1);
    expect(maskAt(s.mask, 125, 104)).toBe(0);
  });

  it('counts the part cut off by the image border, as BOP does', () => {
    // Centred half a pixel left of column 0: columns -25..24, half of them outside the image.
    const s = rasterizeSilhouette(boxMesh([0.1, 0.1, 1e-4]), facing(-0.2, 0, 1), K);
    expect(s.countAll).toBe(2500);
    expect(s.mask.count).toBe(1250);
    expect(s.bbox).toEqual([-25, 55, 49, 49]);
  });

  it('is empty behind the camera and clips geometry crossing it', () => {
    expect(rasterizeSilhouette(boxMesh([0.1, 0.1, 0.1]), facing(0, 0, -1), K).countAll).toBe(0);
    // A long bar beside the camera, from behind it to 0.7 m ahead: its inner face is seen, clipped.
    const crossing = rasterizeSilhouette(boxMesh([0.1, 0.1, 1]), facing(0.06, 0, 0.2), K);
    expect(crossing.countAll).toBeGreaterThan(0);
    expect(crossing.mask.count).toBeGreaterThan(0);
  });

  it('culls back faces as the GPU does: an open mesh is seen from its front only', () => {
    // The face of a box towards the camera (-z), alone: a one-sided square.
    const box = boxMesh([0.1, 0.1, 1e-4]);
    const front = { ...box, indices: box.indices.filter((_, i) => box.normals[box.indices[i - (i % 3)] * 3 + 2] < -0.5) };
    expect(front.indices.length).toBe(6);
    expect(rasterizeSilhouette(front, facing(0, 0, 1), K).countAll).toBe(2500);
    // Turned around (180 degrees about y), the same face points away: nothing to see.
    const away = { R: [-1, 0, 0, 0, 1, 0, 0, 0, -1], t: [0, 0, 1] as [number, number, number] };
    expect(rasterizeSilhouette(front, away, K).countAll).toBe(0);
  });
});

describe('cropped masks', () => {
  it('encode to the same COCO RLE as the full mask', () => {
    const rng = new Rng('rle');
    for (let t = 0; t < 30; t++) {
      const m = blankRegion(37, 23, Math.floor(rng.uniform(0, 30)), Math.floor(rng.uniform(0, 20)), Math.floor(rng.uniform(0, 40)), Math.floor(rng.uniform(0, 25)));
      for (let i = 0; i < m.data.length; i++) if (rng.next() < 0.4) { m.data[i] = 1; m.count++; }
      expect(encodeRegionRle(m)).toEqual(encodeRle(toFullMask(m), 37, 23));
    }
  });
});
