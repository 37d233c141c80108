/**
 * SDEdit-style refinement of one frame: noise the render to timestep strength·T, then denoise it
 * with DDIM in `steps` steps down to the clean image, tile by tile at the model's native size,
 * all tiles of a step in one batch, blended back without seams. Noise is drawn from
 * (seed, frame), so the same inputs give the same bytes.
 */
import { floatImage, floatToRgb8, fromChw, rgb8ToFloat, toChw } from './image.js';
import { seededNoise } from './noise.js';
import type { RefinerModel } from './onnx.js';
import type { NoiseSchedule, PlanStep } from './schedule.js';
import { blendTiles, splitTiles, tileGrid } from './tiles.js';

export interface RefineSettings {
  /** Share of the diffusion to go back (0: identity, 1: pure noise). */
  strength: number;
  steps: number;
  seed: number;
}

/**
 * The steps of an SDEdit pass: timesteps evenly spaced from round(strength·(T-1)) down, the last
 * one stepping to the clean image (tPrev = -1). Strength 0 or no steps: nothing to do.
 */
export function sdeditPlan(schedule: NoiseSchedule, strength: number, steps: number): PlanStep[] {
  if (!(strength >= 0 && strength <= 1)) throw new RangeError(`strength must be in [0, 1], got ${strength}`);
  const start = Math.round(strength * (schedule.alphasCumprod.length - 1));
  if (start <= 0 || steps <= 0) return [];
  const n = Math.min(steps, start);
  const ts = Array.from({ length: n }, (_, k) => Math.round((start * (n - k)) / n));
  return ts.map((t, k) => ({ t, tPrev: k + 1 < n ? ts[k + 1] : -1 }));
}

export async function refineFrame(model: RefinerModel, rgb: Uint8Array, width: number, height: number, frame: number, settings: RefineSettings): Promise<Uint8Array> {
  const plan = sdeditPlan(model.schedule, settings.strength, settings.steps);
  if (plan.length === 0) return rgb.slice();
  const size = model.resolution;
  const grid = tileGrid(width, height, size);
  const tiles = splitTiles(rgb8ToFloat(rgb, width, height), grid);
  const per = 3 * size * size;
  const x0 = new Float32Array(tiles.length * per);
  tiles.forEach((tile, i) => x0.set(toChw(tile), i * per));
  const noise = seededNoise(x0.length, 'refine', settings.seed, frame);
  const { schedule } = model;
  let x = schedule.addNoise(x0, noise, plan[0].t);
  for (const { t, tPrev } of plan) {
    const out = await model.run(x, t, [tiles.length, 3, size, size]);
    x = schedule.ddimStep(x, out, t, tPrev);
  }
  const refined = tiles.map((_, i) => fromChw(x.subarray(i * per, (i + 1) * per), size, size));
  const blended = blendTiles(refined, grid);
  return floatToRgb8(floatImage(width, height, 3, blended.data));
}
