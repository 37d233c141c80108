/**
 * The refine worker, started from source (as tests and `tsx` scripts do; the CLI starts the
 * bundled dist/refine-worker.js): it gives the same bytes and record as refining in process, it
 * keeps frames apart when several are in flight, and a bad model folder fails at start with the
 * loader's clear message.
 */
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { refineChecked } from '../../src/refine/checked.js';
import { loadRefinerModel } from '../../src/refine/onnx.js';
import { RefineWorker } from '../../src/refine/refine-pool.js';
import { PIXEL_TINY } from './tiny-models.js';

const W = 64, H = 48;
function frame(shift: number): { rgb: Uint8Array; ids: Uint16Array } {
  const rgb = new Uint8Array(W * H * 3);
  const ids = new Uint16Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const inside = x > 10 + shift && x < 40 + shift && y > 8 && y < 36;
      ids[y * W + x] = inside ? 1 : 0;
      for (let c = 0; c < 3; c++) rgb[(y * W + x) * 3 + c] = inside ? 30 + 70 * c : 200 - x - c * 20;
    }
  }
  return { rgb, ids };
}
const settings = { strength: 0.3, steps: 2, seed: 5 };

describe('the refine worker', () => {
  it('refines as in process, frame by frame, with several frames in flight', async () => {
    const worker = await RefineWorker.start({ model: PIXEL_TINY, settings }, () => undefined);
    expect(worker.info).toMatchObject({ kind: 'pixel', executionProvider: 'cpu' });
    const frames = [frame(0), frame(7), frame(13)];
    const results = await Promise.all(frames.map((f, i) => worker.refine(i, f.rgb, f.ids, W, H)));
    await worker.close();
    const model = await loadRefinerModel(PIXEL_TINY, { warn: () => undefined });
    try {
      for (const [i, f] of frames.entries()) {
        const local = await refineChecked(model, f.rgb, f.ids, W, H, i, settings);
        expect(Buffer.from(results[i].rgb).equals(Buffer.from(local.rgb))).toBe(true);
        expect(results[i].record).toEqual(local.record);
      }
    } finally {
      await model.release();
    }
  }, 60_000);

  it('fails at start, with the loader\'s message, for a folder with no model', async () => {
    const start = RefineWorker.start({ model: '/nonexistent/model', settings }, () => undefined);
    await expect(start).rejects.toThrow(UserError);
    await expect(RefineWorker.start({ model: '/nonexistent/model', settings }, () => undefined)).rejects.toThrow(/nonexistent\/model: no refiner model here/);
  }, 60_000);
});
