/**
 * The SDEdit pass over a whole frame: first with a hand-written ONNX model
 * (test/refine/onnx-fixture.ts), then with the tiny pixel and latent models that
 * scripts/refiner/train.py made (test/fixtures/refiner): strength 0 is the identity, the same seed
 * gives the same bytes, tiles leave no seams, strength 1 stays finite, and the object mask keeps
 * objects at their own strength.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRefinerModel, type RefinerModel } from '../../src/refine/onnx.js';
import { gaussianKernel, lowPassPlanes } from '../../src/refine/low-pass.js';
import { refineFrame, sdeditPlan, startTimestep } from '../../src/refine/refiner.js';
import { NoiseSchedule } from '../../src/refine/schedule.js';
import { tileGrid } from '../../src/refine/tiles.js';
import { Rng } from '../../src/sampling/rng.js';
import { pixelUnetOnnx } from './onnx-fixture.js';
import { LATENT_TINY, PIXEL_TINY } from './tiny-models.js';

const root = mkdtempSync(join(tmpdir(), 'robosynth-refiner-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, 'm'));
writeFileSync(join(root, 'm', 'model.onnx'), pixelUnetOnnx(16));
writeFileSync(join(root, 'm', 'model.json'), JSON.stringify({ prediction: 'epsilon', schedule: { type: 'scaled_linear', num_train_timesteps: 1000, beta_start: 0.00085, beta_end: 0.012 } }));

const W = 50, H = 37;
const frame = Uint8Array.from({ length: W * H * 3 }, (_, i) => (i * 37 + (i % 7) * 11) & 255);
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
const quiet = { warn: () => {} };

describe('refining a frame', () => {
  it('plans SDEdit steps from strength times T down to the clean image', async () => {
    const model = await loadRefinerModel(join(root, 'm'), quiet);
    expect(sdeditPlan(model.schedule, 0.3, 4)).toEqual([
      { t: 300, tPrev: 225 }, { t: 225, tPrev: 150 }, { t: 150, tPrev: 75 }, { t: 75, tPrev: -1 },
    ]);
    expect(sdeditPlan(model.schedule, 0, 4)).toEqual([]);
    await model.release();
  });

  it('starts strength 1 where alphas_cumprod is still >= 1e-3: t 978 on the cosine schedule, 999 on Stable Diffusion\'s', () => {
    const config = { num_train_timesteps: 1000, timestep_spacing: 'leading', steps_offset: 0, set_alpha_to_one: true, clip_sample: false } as const;
    const cosine = new NoiseSchedule({ ...config, type: 'squaredcos_cap_v2', beta_start: 0.0001, beta_end: 0.02 });
    expect(cosine.alphasCumprod[999]).toBeLessThan(1e-8);
    expect(startTimestep(cosine, 1)).toBe(978);
    expect(cosine.alphasCumprod[978]).toBeGreaterThanOrEqual(1e-3);
    expect(cosine.alphasCumprod[979]).toBeLessThan(1e-3);
    expect(sdeditPlan(cosine, 1, 2)).toEqual([{ t: 978, tPrev: 489 }, { t: 489, tPrev: -1 }]);
    expect(startTimestep(cosine, 0.5)).toBe(500);
    const sd = new NoiseSchedule({ ...config, type: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012 });
    expect(startTimestep(sd, 1)).toBe(999);
  });

  it('is the identity at strength 0, deterministic per seed, and changes the image otherwise', async () => {
    const model = await loadRefinerModel(join(root, 'm'), quiet);
    expect(await refineFrame(model, frame, W, H, 3, { strength: 0, steps: 4, seed: 1 })).toEqual(frame);
    const a = await refineFrame(model, frame, W, H, 3, { strength: 0.3, steps: 4, seed: 1 });
    const b = await refineFrame(model, frame, W, H, 3, { strength: 0.3, steps: 4, seed: 1 });
    const c = await refineFrame(model, frame, W, H, 3, { strength: 0.3, steps: 4, seed: 2 });
    expect(same(a, b)).toBe(true);
    expect(same(a, c)).toBe(false);
    expect(same(a, frame)).toBe(false);
    // Tiles per model call do not change the bytes.
    expect(same(await refineFrame(model, frame, W, H, 3, { strength: 0.3, steps: 4, seed: 1, batch: 2 }), a)).toBe(true);
    await model.release();
  });
});

/** A smooth frame: gradients in R and G, a slow wave in B. */
function smooth(w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = (y * w + x) * 3;
      out[p] = Math.round(40 + (170 * x) / (w - 1));
      out[p + 1] = Math.round(60 + (150 * y) / (h - 1));
      out[p + 2] = Math.round(128 + 60 * Math.sin(x / 17 + y / 23));
    }
  }
  return out;
}

/** A textured frame. */
function textured(w: number, h: number, seed: string): Uint8Array {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: w * h * 3 }, (_, i) => Math.round(128 + 60 * Math.sin(i / 50) + rng.uniform(-20, 20)));
}

/**
 * The largest step of d = a - b between neighbouring columns (and rows), averaged over the other
 * axis and the channels: where tiles meet, a seam is a jump in the tiled-minus-untiled difference.
 */
function maxSeamStep(a: Uint8Array, b: Uint8Array, w: number, h: number): number {
  const d = (x: number, y: number, c: number) => a[(y * w + x) * 3 + c] - b[(y * w + x) * 3 + c];
  let worst = 0;
  for (let x = 1; x < w; x++) {
    let s = 0;
    for (let y = 0; y < h; y++) for (let c = 0; c < 3; c++) s += Math.abs(d(x, y, c) - d(x - 1, y, c));
    worst = Math.max(worst, s / (3 * h));
  }
  for (let y = 1; y < h; y++) {
    let s = 0;
    for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) s += Math.abs(d(x, y, c) - d(x, y - 1, c));
    worst = Math.max(worst, s / (3 * w));
  }
  return worst;
}

/** Mean absolute byte change from `raw`, over the pixels where mask[p] === region. */
function meanChange(out: Uint8Array, raw: Uint8Array, mask: Uint8Array, region: number): number {
  let sum = 0;
  let n = 0;
  for (let p = 0; p < mask.length; p++) {
    if (mask[p] !== region) continue;
    for (let c = 0; c < 3; c++) sum += Math.abs(out[3 * p + c] - raw[3 * p + c]);
    n += 3;
  }
  return sum / n;
}

describe.each([
  { name: 'pixel-tiny', dir: PIXEL_TINY },
  { name: 'latent-tiny', dir: LATENT_TINY },
])('refining with the tiny $name model', ({ dir }) => {
  let model: RefinerModel;
  beforeAll(async () => {
    model = await loadRefinerModel(dir, quiet);
  });
  afterAll(() => model.release());

  // Larger than the model's tile (32 px pixel, 64 px latent), sides not multiples of 8.
  const [w, h] = [90, 70];
  const raw = textured(w, h, 'tiny-frame');

  it('strength 0 is the identity, bytes for bytes; the same seed gives the same bytes, another seed others', async () => {
    expect(same(await refineFrame(model, raw, w, h, 0, { strength: 0, steps: 4, seed: 1 }), raw)).toBe(true);
    const a = await refineFrame(model, raw, w, h, 5, { strength: 0.4, steps: 3, seed: 1 });
    const b = await refineFrame(model, raw, w, h, 5, { strength: 0.4, steps: 3, seed: 1 });
    expect(a.length).toBe(raw.length);
    expect(same(a, b)).toBe(true);
    expect(same(a, await refineFrame(model, raw, w, h, 5, { strength: 0.4, steps: 3, seed: 2 }))).toBe(false);
    expect(same(a, await refineFrame(model, raw, w, h, 6, { strength: 0.4, steps: 3, seed: 1 }))).toBe(false);
    expect(same(a, raw)).toBe(false);
  });

  it('blended tiles leave no seam: tiled minus untiled has no jump where tiles meet, unlike tiles pasted edge to edge', async () => {
    // Untiled: the fully convolutional models also run one 128 px tile; same frame noise.
    const [n, settings] = [128, { strength: 0.4, steps: 4, seed: 1 }];
    const frame = smooth(n, n);
    const untiled = await refineFrame(model, frame, n, n, 0, { ...settings, tileSize: n });
    const tiled = await refineFrame(model, frame, n, n, 0, settings);
    const pasted = await refineFrame(model, frame, n, n, 0, { ...settings, overlap: 0 });
    expect(tileGrid(n, n, model.resolution, model.resolution / 4, model.latent.factor).xs.length).toBeGreaterThan(2);
    const [blendStep, pasteStep] = [maxSeamStep(tiled, untiled, n, n), maxSeamStep(pasted, untiled, n, n)];
    expect(pasteStep).toBeGreaterThan(2); // the test can see a seam
    expect(blendStep).toBeLessThan(pasteStep / 3);
    let diff = 0;
    for (let i = 0; i < frame.length; i++) diff += Math.abs(tiled[i] - untiled[i]);
    expect(diff / frame.length).toBeLessThan(3); // and the tiled frame is close to the untiled one
  });

  it('strength 1 stays finite: every value decoded is a number of sane size', async () => {
    const values: Float32Array[] = [];
    const spy: RefinerModel = { ...model, decode: (latents, dims) => (values.push(latents.slice()), model.decode(latents, dims)) };
    const out = await refineFrame(spy, raw, w, h, 0, { strength: 1, steps: 4, seed: 3 });
    expect(out.length).toBe(raw.length);
    expect(values.length).toBe(1);
    let max = 0;
    for (const v of values[0]) {
      expect(Number.isFinite(v)).toBe(true);
      max = Math.max(max, Math.abs(v));
    }
    // Unclamped, the cosine schedule's alphas_cumprod[999] = 2.4e-9 takes the pixel model's samples past 5e4.
    expect(max).toBeLessThan(1000);
  });

  describe('mask-aware strengths', () => {
    const mask = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((x - 40) ** 2 + (y - 33) ** 2 < 19 ** 2) mask[y * w + x] = 1;
    const base = { strength: 0.5, steps: 4, seed: 7 };

    it('objectStrength 0 leaves object pixels byte-identical while the background changes', async () => {
      const out = await refineFrame(model, raw, w, h, 0, { ...base, regionMask: mask, objectStrength: 0 });
      for (let p = 0; p < w * h; p++) if (mask[p]) expect(out.subarray(3 * p, 3 * p + 3)).toEqual(raw.subarray(3 * p, 3 * p + 3));
      expect(meanChange(out, raw, mask, 0)).toBeGreaterThan(10);
      // No background either: the frame back.
      expect(same(await refineFrame(model, raw, w, h, 0, { ...base, strength: 0, regionMask: mask, objectStrength: 0 }), raw)).toBe(true);
    });

    it('objectStrength below strength changes objects less than the background, and less than without the mask', async () => {
      const plain = await refineFrame(model, raw, w, h, 0, base);
      const out = await refineFrame(model, raw, w, h, 0, { ...base, regionMask: mask, objectStrength: 0.15 });
      const [object, background] = [meanChange(out, raw, mask, 1), meanChange(out, raw, mask, 0)];
      expect(object).toBeGreaterThan(0);
      expect(object).toBeLessThan(0.7 * background);
      expect(object).toBeLessThan(0.7 * meanChange(plain, raw, mask, 1));
      // The same strength for both regions is the pass without a mask.
      expect(same(await refineFrame(model, raw, w, h, 0, { ...base, regionMask: mask, objectStrength: base.strength }), plain)).toBe(true);
      // One pass: no more model calls than without the mask.
      let calls = 0;
      const counting: RefinerModel = { ...model, run: (x, t, dims) => (calls++, model.run(x, t, dims)) };
      await refineFrame(counting, raw, w, h, 0, { ...base, regionMask: mask, objectStrength: 0.15 });
      expect(calls).toBe(sdeditPlan(model.schedule, base.strength, base.steps).length);
    });
  });
});

describe('structure guidance (ILVR)', () => {
  /** A smooth-ish test card: gradients plus a few hard-edged blocks, 96 x 72. */
  const w = 96, h = 72;
  const card = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const inBlock = (x > 20 && x < 50 && y > 10 && y < 40) || (x > 60 && y > 35);
      for (let c = 0; c < 3; c++) card[(y * w + x) * 3 + c] = inBlock ? 40 + 60 * c : 120 + x + c * 10 - (y >> 1);
    }
  }
  /** Mean absolute difference of two frames after a Gaussian low-pass of `sigma` px, away from the border. */
  async function lowPassGap(a: Uint8Array, b: Uint8Array, sigma: number): Promise<number> {
    const planes = async (img: Uint8Array) => {
      const side = Math.max(w, h);
      const out = new Float32Array(3 * side * side);
      for (let c = 0; c < 3; c++) for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) out[c * side * side + y * side + x] = img[(Math.min(y, h - 1) * w + Math.min(x, w - 1)) * 3 + c];
      return { out: await lowPassPlanes(out, 3, side, sigma), side };
    };
    const [pa, pb] = [await planes(a), await planes(b)];
    let sum = 0, n = 0;
    for (let c = 0; c < 3; c++) for (let y = 8; y < h - 8; y++) for (let x = 8; x < w - 8; x++) {
      const i = c * pa.side * pa.side + y * pa.side + x;
      sum += Math.abs(pa.out[i] - pb.out[i]);
      n++;
    }
    return sum / n;
  }

  it('keeps the render\'s low frequencies and leaves the model the fine detail', async () => {
    const model = await loadRefinerModel(PIXEL_TINY, quiet);
    try {
      const free = await refineFrame(model, card, w, h, 0, { strength: 0.5, steps: 4, seed: 3, structureSigma: 0 });
      const guided = await refineFrame(model, card, w, h, 0, { strength: 0.5, steps: 4, seed: 3, structureSigma: 2 });
      const coarseFree = await lowPassGap(free, card, 4);
      const coarseGuided = await lowPassGap(guided, card, 4);
      // Without guidance the tiny model moves the coarse picture (measured: 8.5 levels off on
      // average); with it the coarse picture stays (3.0: what is left is the model's fine detail
      // seen through the wide low-pass, and the tile blending).
      expect(coarseGuided).toBeLessThan(coarseFree / 2);
      expect(coarseGuided).toBeLessThan(4);
      // ... while the image still changed (the detail below 2 px is the model's).
      expect(same(guided, card)).toBe(false);
      // Deterministic, and 0 is "off".
      expect(same(guided, await refineFrame(model, card, w, h, 0, { strength: 0.5, steps: 4, seed: 3, structureSigma: 2 }))).toBe(true);
      expect(same(free, await refineFrame(model, card, w, h, 0, { strength: 0.5, steps: 4, seed: 3 }))).toBe(true);
    } finally {
      await model.release();
    }
  });

  it('low-pass (onnxruntime): a constant plane stays constant, an impulse becomes the normalized 2-D Gaussian, borders reflect', async () => {
    const side = 31;
    const flat = new Float32Array(2 * side * side).fill(3);
    expect(Array.from(await lowPassPlanes(flat, 2, side, 1.5)).every((v) => Math.abs(v - 3) < 1e-5)).toBe(true);
    const impulse = new Float32Array(side * side);
    impulse[15 * side + 15] = 1;
    const k = gaussianKernel(2);
    const spread = await lowPassPlanes(impulse, 1, side, 2);
    let sum = 0;
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const expected = Math.abs(x - 15) <= 6 && Math.abs(y - 15) <= 6 ? k[x - 9] * k[y - 9] : 0;
        expect(spread[y * side + x]).toBeCloseTo(expected, 6);
        sum += spread[y * side + x];
      }
    }
    expect(sum).toBeCloseTo(1, 5);
    // Reflected border ("reflect", edge not repeated): an impulse at x = 1 also shows at x = 1 from its mirror at -1.
    const edge = new Float32Array(side * side);
    edge[15 * side + 1] = 1;
    const near = await lowPassPlanes(edge, 1, side, 1);
    const k1 = gaussianKernel(1);
    expect(near[15 * side + 0]).toBeCloseTo(2 * k1[2] * k1[3], 6);
    await expect(lowPassPlanes(new Float32Array(16), 1, 4, 2)).rejects.toThrow(/wider than 6 px/);
  });
});

describe('edge-aware structure guidance', () => {
  const w = 96, h = 72;
  // Two flat areas split by one vertical edge at x = 48.
  const card = new Uint8Array(w * h * 3);
  for (let p = 0; p < w * h; p++) for (let c = 0; c < 3; c++) card[p * 3 + c] = p % w < 48 ? 70 + 20 * c : 190 - 15 * c;
  const meanChange = (img: Uint8Array, near: boolean) => {
    let sum = 0, n = 0;
    for (let y = 6; y < h - 6; y++) {
      for (let x = 6; x < w - 6; x++) {
        if ((Math.abs(x - 47.5) < 3) !== near) continue;
        for (let c = 0; c < 3; c++) sum += Math.abs(img[(y * w + x) * 3 + c] - card[(y * w + x) * 3 + c]);
        n += 3;
      }
    }
    return sum / n;
  };

  it('frees the flat areas and holds the edges: more change away from the edge than uniform guidance, as little at it', async () => {
    const model = await loadRefinerModel(PIXEL_TINY, quiet);
    try {
      const settings = { strength: 0.5, steps: 4, seed: 9, structureSigma: 1 };
      const uniform = await refineFrame(model, card, w, h, 0, settings);
      const aware = await refineFrame(model, card, w, h, 0, { ...settings, structureFlatSigma: 4 });
      // Measured with the tiny model (it changes a lot at strength 0.5): away from the edge 51.0
      // levels against 41.1 uniform; at the edge 41.1 against 40.3. Deterministic: fixed model and seed.
      expect(meanChange(aware, false)).toBeGreaterThan(1.2 * meanChange(uniform, false));
      expect(meanChange(aware, true)).toBeLessThan(meanChange(uniform, true) + 1.5);
      expect(same(aware, await refineFrame(model, card, w, h, 0, { ...settings, structureFlatSigma: 4 }))).toBe(true);
    } finally {
      await model.release();
    }
  });
});
