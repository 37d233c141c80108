/**
 * The SDEdit pass over a whole frame, with a hand-written ONNX model (test/refine/onnx-fixture.ts)
 * so no trained weights are needed: strength 0 is the identity, the same seed gives the same
 * bytes, and the plan walks from strength·T down to the clean image.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRefinerModel } from '../../src/refine/onnx.js';
import { refineFrame, sdeditPlan } from '../../src/refine/refiner.js';
import { pixelUnetOnnx } from './onnx-fixture.js';

const root = mkdtempSync(join(tmpdir(), 'robosynth-refiner-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, 'm'));
writeFileSync(join(root, 'm', 'model.onnx'), pixelUnetOnnx(16));
writeFileSync(join(root, 'm', 'model.json'), JSON.stringify({ prediction: 'epsilon', schedule: { type: 'scaled_linear', num_train_timesteps: 1000, beta_start: 0.00085, beta_end: 0.012 } }));

const W = 50, H = 37;
const frame = Uint8Array.from({ length: W * H * 3 }, (_, i) => (i * 37 + (i % 7) * 11) & 255);

describe('refining a frame', () => {
  it('plans SDEdit steps from strength times T down to the clean image', async () => {
    const model = await loadRefinerModel(join(root, 'm'), { warn: () => {} });
    expect(sdeditPlan(model.schedule, 0.3, 4)).toEqual([
      { t: 300, tPrev: 225 }, { t: 225, tPrev: 150 }, { t: 150, tPrev: 75 }, { t: 75, tPrev: -1 },
    ]);
    expect(sdeditPlan(model.schedule, 0, 4)).toEqual([]);
    await model.release();
  });

  it('is the identity at strength 0, deterministic per seed, and changes the image otherwise', async () => {
    const model = await loadRefinerModel(join(root, 'm'), { warn: () => {} });
    expect(await refineFrame(model, frame, W, H, 3, { strength: 0, steps: 4, seed: 1 })).toEqual(frame);
    const a = await refineFrame(model, frame, W, H, 3, { strength: 0.3, steps: 4, seed: 1 });
    const b = await refineFrame(model, frame, W, H, 3, { strength: 0.3, steps: 4, seed: 1 });
    const c = await refineFrame(model, frame, W, H, 3, { strength: 0.3, steps: 4, seed: 2 });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
    expect(Buffer.from(a).equals(Buffer.from(frame))).toBe(false);
    await model.release();
  });
});
