// The background randomizer: colours, gradients and images stay in their ranges and fire with
// their probabilities, an image wins over a gradient, a frame's background depends on
// (seed, index) alone, and a background block changes nothing else of a frame (its own stream).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMeshFile } from '../../src/geometry/mesh-files.js';
import { sampleSettledFrame } from '../../src/pipeline/scene-setup.js';
import { frameToPageJob, pageBackdrop } from '../../src/render/job.js';
import { sampleBackground } from '../../src/sampling/background.js';
import { Rng } from '../../src/sampling/rng.js';
import type { FrameDescription, RGB } from '../../src/scene/frame.js';
import { parseScene } from '../../src/scene/load.js';
import { buildCatalog, renderModels } from '../../src/scene/models.js';
import { backgroundSpec } from '../../src/scene/schema.js';

const folders = new Map([['bg', ['bg/a.png', 'bg/b.png', 'bg/c.jpg']]]);
const spec = (background: object) => backgroundSpec.parse(background);

/** HSV of a colour sampled from an HSV spec (hue in degrees). */
function hsv([r, g, b]: RGB): [number, number, number] {
  const max = Math.max(r, g, b), min = Math.min(r, g, b), d = max - min;
  let h = 0;
  if (d > 0) h = max === r ? ((g - b) / d + 6) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return [h * 60, max === 0 ? 0 : d / max, max];
}

describe('sampleBackground', () => {
  it('a fixed colour is the background as it is, with no backdrop and no draw', () => {
    const rng = new Rng(1, 2, 'background');
    expect(sampleBackground(rng, spec({ color: [0.1, 0.2, 0.3] }), folders)).toEqual({ background: [0.1, 0.2, 0.3] });
    expect(Object.keys(sampleBackground(rng, spec({ color: [0.1, 0.2, 0.3] }), folders))).toEqual(['background']);
    expect(rng.next()).toBe(new Rng(1, 2, 'background').next());
  });

  it('draws an HSV colour, gradient colours and angles inside their ranges', () => {
    const s = spec({
      color: { hue_deg: [200, 240], saturation: [0.2, 0.4], value: [0.1, 0.3] },
      gradient: { top: { hue_deg: [20, 40], saturation: [0.5, 0.7], value: [0.8, 1] }, bottom: [0, 0, 0.5], angle_deg: [-30, 30] },
    });
    const rng = new Rng('ranges');
    const angles: number[] = [];
    for (let i = 0; i < 500; i++) {
      const { background, backdrop } = sampleBackground(rng, s, folders);
      const [h, sat, v] = hsv(background);
      expect(h).toBeGreaterThanOrEqual(200 - 1e-6);
      expect(h).toBeLessThanOrEqual(240 + 1e-6);
      expect(sat).toBeGreaterThanOrEqual(0.2 - 1e-9);
      expect(sat).toBeLessThanOrEqual(0.4 + 1e-9);
      expect(v).toBeGreaterThanOrEqual(0.1 - 1e-9);
      expect(v).toBeLessThanOrEqual(0.3 + 1e-9);
      if (!backdrop || !('gradient' in backdrop)) throw new Error('p = 1: every frame has the gradient');
      const { top, bottom, angleDeg } = backdrop.gradient;
      const [th, , tv] = hsv(top);
      expect(th).toBeGreaterThanOrEqual(20 - 1e-6);
      expect(th).toBeLessThanOrEqual(40 + 1e-6);
      expect(tv).toBeGreaterThanOrEqual(0.8 - 1e-9);
      expect(bottom).toEqual([0, 0, 0.5]);
      expect(Math.abs(angleDeg)).toBeLessThanOrEqual(30);
      angles.push(angleDeg);
    }
    // The angles spread over the range.
    expect(Math.min(...angles)).toBeLessThan(-25);
    expect(Math.max(...angles)).toBeGreaterThan(25);
  });

  it('fires the gradient and the image with their probabilities; every image turns up; an image wins over a gradient', () => {
    const n = 4000;
    for (const [pg, pi] of [[0, 0], [0.5, 0], [0, 0.3], [0.5, 0.3], [1, 1]]) {
      const rng = new Rng('p', pg, pi);
      const s = spec({ gradient: { p: pg }, images: { folder: 'bg', p: pi } });
      const draws = Array.from({ length: n }, () => sampleBackground(rng, s, folders));
      const images = draws.filter((d) => d.backdrop && 'image' in d.backdrop);
      const gradients = draws.filter((d) => d.backdrop && 'gradient' in d.backdrop);
      const plain = draws.filter((d) => !d.backdrop);
      // An image when the image fires (whatever the gradient did); a gradient only when it fires and no image does.
      expect(Math.abs(images.length / n - pi)).toBeLessThan(0.03);
      expect(Math.abs(gradients.length / n - pg * (1 - pi))).toBeLessThan(0.03);
      expect(images.length + gradients.length + plain.length).toBe(n);
      if (pi > 0) expect(new Set(images.map((d) => (d.backdrop as { image: string }).image))).toEqual(new Set(folders.get('bg')));
      // The colour is always drawn: it is the fallback under a backdrop.
      for (const d of draws) expect(d.background).toHaveLength(3);
    }
  });

  it('makes the same draws whatever fires, so each block\'s stream is fixed', () => {
    const after = (background: object) => {
      const rng = new Rng(9, 4, 'background');
      sampleBackground(rng, spec(background), folders);
      return rng.next();
    };
    const gradient = { top: { value: [0.5, 1] }, bottom: [0, 0, 0], angle_deg: [0, 90] };
    // colour (none: fixed) + gradient (p, top: 3, bottom: none, angle) + images (p, which).
    expect(after({ gradient: { ...gradient, p: 0 }, images: { folder: 'bg', p: 0 } }))
      .toBe(after({ gradient: { ...gradient, p: 1 }, images: { folder: 'bg', p: 1 } }));
    const reference = new Rng(9, 4, 'background');
    for (let k = 0; k < 1 + 3 + 1 + 2; k++) reference.next();
    expect(after({ gradient: { ...gradient, p: 0.5 }, images: { folder: 'bg', p: 0.5 } })).toBe(reference.next());
  });

  it('fails loudly (not a user error: the loader checks folders) when the folder was not listed', () => {
    expect(() => sampleBackground(new Rng(1), spec({ images: { folder: 'other' } }), folders)).toThrow(/no images listed for the background folder "other"/);
  });
});

describe('the background of a frame', () => {
  const SCENE = (background: string) => `image: { width: 160, height: 120 }
camera:
  intrinsics: { fx: 150, fy: 150, cx: 79.5, cy: 59.5 }
  pose: { distance: [0.6, 0.9], elevation_deg: [40, 60] }
lights: [ { type: directional, intensity: [1, 2] }, { type: hemispheric, temperature_k: [3000, 9000] } ]
support: { type: table, material: { color: { value: [0.3, 0.9] } } }
objects:
  - { class: cube, box: { size: [0.05, 0.05, 0.05] }, count: [2, 4] }
  - { class: ball, sphere: { radius: [0.02, 0.03] }, count: 2 }
placement: { region: { x: [-0.15, 0.15], y: [-0.1, 0.1] } }
${background}
`;
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'robosynth-background-'));
    mkdirSync(join(dir, 'bg'));
    for (const name of ['a.png', 'b.png']) writeFileSync(join(dir, 'bg', name), 'x');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const frames = async (background: string, count = 6, seed = 3): Promise<FrameDescription[]> => {
    const scene = parseScene(SCENE(background), join(dir, 'scene.yaml'));
    const catalog = await buildCatalog(scene, loadMeshFile);
    return Array.from({ length: count }, (_, i) => sampleSettledFrame(scene.spec, catalog, seed, i));
  };
  const withoutBackground = (frame: FrameDescription) => {
    const { background: _b, backdrop: _d, ...rest } = frame;
    return JSON.stringify(rest);
  };

  it('is the constant colour with no backdrop for `{ color: [r, g, b] }`, as for a scene without the block', async () => {
    const given = await frames('background: { color: [0.08, 0.08, 0.1] }');
    const omitted = await frames('');
    for (const [i, frame] of given.entries()) {
      expect(frame.background).toEqual([0.08, 0.08, 0.1]);
      expect('backdrop' in frame).toBe(false);
      expect(JSON.stringify(frame)).toBe(JSON.stringify(omitted[i]));
    }
  });

  it('changes nothing else of a frame: camera, lights, objects, support, physics and sensor are the same', async () => {
    const plain = await frames('background: { color: [0.08, 0.08, 0.1] }', 8);
    const randomized = await frames('background:\n  color: { value: [0, 0.2] }\n  gradient: { p: 0.5, angle_deg: [-45, 45] }\n  images: { folder: bg, p: 0.3 }', 8);
    for (const [i, frame] of randomized.entries()) expect(withoutBackground(frame)).toBe(withoutBackground(plain[i]));
    // ... while the backgrounds themselves vary.
    expect(new Set(randomized.map((f) => JSON.stringify([f.background, f.backdrop]))).size).toBe(8);
  });

  it('depends on (seed, index) alone, and the renderer view carries it', async () => {
    const block = 'background:\n  gradient: { p: 0.6, angle_deg: [0, 360] }\n  images: { folder: bg, p: 0.3 }';
    const a = await frames(block, 12, 5);
    const b = await frames(block, 12, 5);
    const c = await frames(block, 12, 6);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.map((f) => JSON.stringify(f.backdrop))).not.toEqual(c.map((f) => JSON.stringify(f.backdrop)));
    expect(a.some((f) => f.backdrop && 'gradient' in f.backdrop)).toBe(true);
    expect(a.some((f) => f.backdrop && 'image' in f.backdrop)).toBe(true);
    expect(a.some((f) => !f.backdrop)).toBe(true);
    const scene = parseScene(SCENE(block), join(dir, 'scene.yaml'));
    const models = renderModels(await buildCatalog(scene, loadMeshFile));
    for (const frame of a) {
      const job = frameToPageJob(frame, models);
      expect(job.clearColor).toEqual(frame.background);
      if (!frame.backdrop) expect('backdrop' in job).toBe(false);
      else if ('image' in frame.backdrop) expect(job.backdrop).toEqual({ type: 'image', texture: frame.backdrop.image });
      else expect(job.backdrop).toMatchObject({ type: 'gradient', top: frame.backdrop.gradient.top, bottom: frame.backdrop.gradient.bottom });
    }
  });
});

describe('the gradient in the renderer view', () => {
  it('runs t from 0 to 1 between the extreme corners along the turned direction', () => {
    const W = 200, H = 100;
    const t = (d: [number, number], x: number, y: number) => 0.5 + (x - W / 2) * d[0] + (y - H / 2) * d[1];
    for (const angle of [0, 30, 90, 135, 180, -60, 270]) {
      const backdrop = pageBackdrop({ gradient: { top: [1, 1, 1], bottom: [0, 0, 0], angleDeg: angle } }, { width: W, height: H });
      if (backdrop.type !== 'gradient') throw new Error('a gradient');
      const corners = [[0, 0], [W, 0], [0, H], [W, H]].map(([x, y]) => t(backdrop.direction, x, y));
      expect(Math.min(...corners)).toBeCloseTo(0, 12);
      expect(Math.max(...corners)).toBeCloseTo(1, 12);
    }
    // 0: the top edge (window y = H, GL rows go up) gets `top`; 90: the left edge; 180: the bottom edge.
    const at = (angle: number, x: number, y: number) => {
      const b = pageBackdrop({ gradient: { top: [1, 1, 1], bottom: [0, 0, 0], angleDeg: angle } }, { width: W, height: H });
      return t((b as { direction: [number, number] }).direction, x, y);
    };
    expect(at(0, W / 2, H)).toBeCloseTo(1, 12);
    expect(at(0, W / 2, 0)).toBeCloseTo(0, 12);
    expect(at(90, 0, H / 2)).toBeCloseTo(1, 12);
    expect(at(180, W / 2, 0)).toBeCloseTo(1, 12);
    expect(at(45, W / 2, H / 2)).toBeCloseTo(0.5, 12);
  });
});
