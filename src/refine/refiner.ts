/**
 * SDEdit-style refinement of one frame: noise the render to timestep strength·T, then denoise it
 * with DDIM in `steps` steps down to the clean image. Works the same for pixel and latent models
 * (onnx.ts's RefinerModel): the frame is cut into overlapping pixel tiles at the model's size, all
 * tiles are encoded (identity for a pixel model, the VAE for a latent one), denoised together (one
 * batch per step unless `batch` says fewer) in the model's space, decoded, and blended back in pixel space with
 * raised-cosine windows (tiles.ts), so there are no seams. Noise is drawn from (seed, frame) for the
 * whole frame in the model's space (H x W x 3 for pixel models, ceil(H/8) x ceil(W/8) x C for
 * latent ones) and cut with the tiling, so overlapping tiles start from the same noise where they
 * overlap; the same inputs give the same bytes.
 *
 * Latent tiling: tile origins are multiples of the VAE factor (tileGrid's `align`), so every tile's
 * latents sit on the frame's latent grid and its noise is a plain crop of the frame's latent noise.
 *
 * Strength near 1: the start timestep is clamped to the last one whose alphas_cumprod is at least
 * MIN_START_ALPHA_BAR (1e-3; schedule.ts says why), so DDIM's first x0 estimate stays finite on
 * schedules that end near 0 (cosine: alphas_cumprod[999] = 2.4e-9).
 *
 * Mask-aware strengths, in the one pass (no extra model calls), the way diffusers' inpainting and
 * blended latent diffusion keep a known region: `regionMask` marks object pixels (1) and background
 * (0), each region has its own start timestep (background: `strength`, objects: `objectStrength`),
 * and the plan starts at the larger one. A region starts at the plan step whose timestep is nearest
 * its own start (or at none, when the raw frame, timestep 0, is nearer: strength 0). Before the
 * model call of every step down to its start step, its elements are reset to the raw frame noised
 * to that step's timestep with the same seeded noise, so it starts denoising from the raw frame at
 * (about) its own strength while the model still sees the whole tile. A region that never starts
 * is set back to the raw frame (latents) after the last step, and its pixels are the raw bytes in
 * the output, exactly. Latent models do this on the latent grid with the mask
 * max-pooled over each 8x8 block (a cell touching an object is object), then the raw-byte
 * composite restores exact pixels for a strength-0 region. No feathering: the mask is used hard,
 * so the boundary between the two strengths is the instance boundary itself (an edge the image
 * already has), and label pixels never get the other region's strength; the model sees both
 * regions in the same tile at every step, which keeps the transition coherent.
 *
 * Structure guidance (`structureSigma`), after ILVR (Choi et al., "ILVR: Conditioning Method for
 * Denoising Diffusion Probabilistic Models", ICCV 2021): after every DDIM step, the sample's low
 * frequencies are replaced by those of the raw frame noised to the same timestep with the pass's
 * own noise, x <- x - LP(x) + LP(raw_t), LP a Gaussian low-pass of sigma px (in the model's space:
 * image px / the VAE factor). The model then only chooses the detail finer than about sigma px:
 * texture, grain, sheen, while outlines and shading stay where the render put them. A small model
 * trained on a few photos cannot hold a 1 px edge through noise at strength 0.3 by itself (it moves
 * or smears them; edge alignment drops to ~0.75 of the raw render's), with guidance at 1 px it does
 * (~0.95). The last step is guided too (to the raw frame itself), so the frame's low frequencies
 * are the render's.
 *
 * Edge-aware guidance (`structureFlatSigma`): the labels pin down the outlines, not the flat
 * areas between them. With a flat-area sigma, every step first applies the guidance at that
 * (larger) sigma everywhere, then at `structureSigma` weighted by the render's edges (a step of
 * 16 levels between neighbours = full weight, spread 2 px). Outlines and creases keep the fine
 * guidance; table tops and object faces keep only their coarse shading from the render and take
 * the model's texture up to the larger scale. On the default scene with the default model this is
 * what moves the realism classifier (scripts/refiner/realism.py) from calling no refined frame
 * real to calling most of them real, at the same edge alignment (see the model card).
 */
import { UserError } from '../errors.js';
import { floatImage, floatToRgb8, fromChw, maxPoolMask, rgb8ToFloat, toChw, type FloatImage } from './image.js';
import { lowPassPlanes } from './low-pass.js';
import { seededNoise } from './noise.js';
import type { Dims4, RefinerModel } from './onnx.js';
import type { NoiseSchedule, PlanStep } from './schedule.js';
import { blendTiles, downscaleGrid, splitTiles, tileGrid } from './tiles.js';

export interface RefineSettings {
  /** Share of the diffusion to go back (0: identity, 1: (all but) pure noise). */
  strength: number;
  steps: number;
  seed: number;
  /** Per pixel of the frame (width x height): 1 = object / robot, 0 = background. */
  regionMask?: Uint8Array;
  /** The strength of the mask's object pixels (default: `strength`); needs `regionMask`. */
  objectStrength?: number;
  /** Tile side in px (default: the model's resolution); a multiple of the model's size multiple. */
  tileSize?: number;
  /** Tile overlap in px (default: a quarter tile; rounded down to the VAE factor for latent models). */
  overlap?: number;
  /** Tiles per model call (default: all tiles of the frame in one batch). */
  batch?: number;
  /**
   * Structure guidance (ILVR): after every step the sample's low frequencies, a Gaussian low-pass
   * of this sigma in image px, are replaced by the raw frame's noised to the same level. 0: off;
   * absent: the model's refine_defaults.structure_sigma, else off.
   */
  structureSigma?: number;
  /**
   * Edge-aware guidance: when set (> 0), structureSigma holds only near the render's edges, and
   * this (larger) sigma everywhere, so flat areas get the model's texture at more scales. Absent:
   * the model's refine_defaults.structure_flat_sigma, else 0 (structureSigma everywhere).
   */
  structureFlatSigma?: number;
}

/** A step of this many 8-bit levels (in any channel) between neighbouring pixels is a full edge. */
const EDGE_LEVELS = 16;
/** Px around an edge that keep the fine guidance. */
const EDGE_REACH = 2;

/**
 * Guidance weights from the raw frame's edges: per pixel the largest step, over R, G, B, to its
 * 4-neighbours, scaled so that EDGE_LEVELS levels give 1; spread EDGE_REACH px by a (separable)
 * max filter, max-pooled to the model's grid and repeated per channel (channels last, for
 * splitTiles).
 */
function edgeWeightImage(rgb: Uint8Array, width: number, height: number, factor: number, channels: number): FloatImage {
  const w = new Float32Array(width * height);
  const step = (p: number, q: number) => {
    const d = Math.max(Math.abs(rgb[3 * p] - rgb[3 * q]), Math.abs(rgb[3 * p + 1] - rgb[3 * q + 1]), Math.abs(rgb[3 * p + 2] - rgb[3 * q + 2])) / EDGE_LEVELS;
    const v = d > 1 ? 1 : d;
    if (v > w[p]) w[p] = v;
    if (v > w[q]) w[q] = v;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      if (x + 1 < width) step(p, p + 1);
      if (y + 1 < height) step(p, p + width);
    }
  }
  // Max filter, rows then columns.
  const rows = new Float32Array(w.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let m = 0;
      for (let u = Math.max(0, x - EDGE_REACH); u <= Math.min(width - 1, x + EDGE_REACH); u++) m = Math.max(m, w[y * width + u]);
      rows[y * width + x] = m;
    }
  }
  const gw = Math.ceil(width / factor), gh = Math.ceil(height / factor);
  const out = floatImage(gw, gh, channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let m = 0;
      for (let v = Math.max(0, y - EDGE_REACH); v <= Math.min(height - 1, y + EDGE_REACH); v++) m = Math.max(m, rows[v * width + x]);
      const cell = (Math.floor(y / factor) * gw + Math.floor(x / factor)) * channels;
      for (let c = 0; c < channels; c++) if (m > out.data[cell + c]) out.data[cell + c] = m;
    }
  }
  return out;
}


/**
 * The timestep an SDEdit pass at `strength` starts from: round(strength·(T-1)), clamped to the last
 * timestep whose alphas_cumprod is at least MIN_START_ALPHA_BAR.
 */
export function startTimestep(schedule: NoiseSchedule, strength: number): number {
  if (!(strength >= 0 && strength <= 1)) throw new RangeError(`strength must be in [0, 1], got ${strength}`);
  return Math.min(Math.round(strength * (schedule.alphasCumprod.length - 1)), schedule.maxStartTimestep());
}

/**
 * The steps of an SDEdit pass: timesteps evenly spaced from startTimestep(strength) down, the last
 * one stepping to the clean image (tPrev = -1). Strength 0 or no steps: nothing to do.
 */
export function sdeditPlan(schedule: NoiseSchedule, strength: number, steps: number): PlanStep[] {
  const start = startTimestep(schedule, strength);
  if (start <= 0 || steps <= 0) return [];
  const n = Math.min(steps, start);
  const ts = Array.from({ length: n }, (_, k) => Math.round((start * (n - k)) / n));
  return ts.map((t, k) => ({ t, tPrev: k + 1 < n ? ts[k + 1] : -1 }));
}

/** Runs `fn` on `count` items of `per` values each, `batch` items at a time; concatenates the results. */
async function inBatches(data: Float32Array, count: number, batch: number, fn: (chunk: Float32Array, items: number) => Promise<Float32Array>): Promise<Float32Array> {
  if (batch >= count) return fn(data, count);
  const per = data.length / count;
  const parts: Float32Array[] = [];
  for (let i = 0; i < count; i += batch) {
    const items = Math.min(batch, count - i);
    parts.push(await fn(data.subarray(i * per, (i + items) * per), items));
  }
  const outPer = parts[0].length / Math.min(batch, count);
  const out = new Float32Array(count * outPer);
  parts.forEach((p, k) => out.set(p, k * batch * outPer));
  return out;
}

/** Tiles (channels last) stacked channels first: [tiles.length, C, size, size]. */
function stackChw(tiles: readonly FloatImage[]): Float32Array {
  const per = tiles[0].data.length;
  const out = new Float32Array(tiles.length * per);
  tiles.forEach((tile, i) => out.set(toChw(tile), i * per));
  return out;
}

/**
 * Refines one 8-bit RGB frame (rows top-down, 3 bytes a pixel) with `model`; `frame` seeds the
 * noise together with settings.seed. Returns a new buffer of the same size.
 */
export async function refineFrame(model: RefinerModel, rgb: Uint8Array, width: number, height: number, frame: number, settings: RefineSettings): Promise<Uint8Array> {
  const { schedule } = model;
  const mask = settings.regionMask;
  if (mask && mask.length !== width * height) throw new RangeError(`regionMask has ${mask.length} values, the ${width}x${height} frame ${width * height} pixels`);
  // Regions: 0 background, 1 objects (only with a mask). Each starts at its own timestep.
  const strengths = [settings.strength, settings.objectStrength ?? settings.strength];
  const starts = strengths.map((s) => startTimestep(schedule, s));
  const present = [!mask || mask.some((v) => !v), !!mask && mask.some((v) => v)];
  const top = Math.max(...strengths.filter((_, r) => present[r]));
  const plan = sdeditPlan(schedule, top, settings.steps);
  if (plan.length === 0) return rgb.slice();

  const { factor, channels } = model.latent;
  const size = settings.tileSize ?? model.resolution;
  if (!(Number.isInteger(size) && size > 0 && size % model.sizeMultiple === 0 && size % factor === 0)) {
    throw new RangeError(`tile size ${size}: the model takes multiples of ${model.sizeMultiple} px`);
  }
  const grid = tileGrid(width, height, size, settings.overlap ?? Math.floor(size / 4), factor);
  const lgrid = downscaleGrid(grid, factor);
  const ls = lgrid.size;
  const tiles = splitTiles(rgb8ToFloat(rgb, width, height), grid);
  const count = tiles.length;
  const batch = Math.max(1, Math.floor(settings.batch ?? count));
  const imageDims = (items: number): Dims4 => [items, 3, size, size];
  const latentDims = (items: number): Dims4 => [items, channels, ls, ls];

  const z0 = await inBatches(stackChw(tiles), count, batch, (chunk, items) => model.encode(chunk, imageDims(items)));
  const frameNoise = floatImage(lgrid.width, lgrid.height, channels, seededNoise(lgrid.width * lgrid.height * channels, 'refine', settings.seed, frame));
  const noise = stackChw(splitTiles(frameNoise, lgrid));
  if (z0.length !== noise.length) throw new Error(`the encoder gave ${z0.length} values for ${count} tiles, expected ${noise.length}`);

  // The elements of each region, on the (latent) tiles: the mask max-pooled to the latent grid.
  const regionIdx: Int32Array[] = [];
  if (mask) {
    const cells = maxPoolMask(mask, width, height, factor);
    const maskTiles = splitTiles(floatImage(lgrid.width, lgrid.height, 1, Float32Array.from(cells)), lgrid);
    const lists: number[][] = [[], []];
    const plane = ls * ls;
    maskTiles.forEach((tile, i) => {
      for (let c = 0; c < channels; c++) {
        const base = (i * channels + c) * plane;
        for (let p = 0; p < plane; p++) lists[tile.data[p] ? 1 : 0].push(base + p);
      }
    });
    regionIdx.push(Int32Array.from(lists[0]), Int32Array.from(lists[1]));
  }
  /** Sets the elements `idx` to the raw latents noised to t (t < 0: the raw latents). */
  const reset = (x: Float32Array, idx: Int32Array, t: number) => {
    if (t < 0) {
      for (const i of idx) x[i] = z0[i];
      return;
    }
    const ab = schedule.alphaBar(t);
    const [a, b] = [Math.sqrt(ab), Math.sqrt(1 - ab)];
    for (const i of idx) x[i] = a * z0[i] + b * noise[i];
  };
  // The step each region starts at: the plan timestep nearest its own start, or none (the raw
  // frame, as if at timestep 0) when that is nearer; ties go to the lower timestep.
  const liveFrom = starts.map((s) => {
    let best = plan.length;
    let dist = s;
    for (let k = plan.length - 1; k >= 0; k--) {
      const d = Math.abs(plan[k].t - s);
      if (d < dist) [best, dist] = [k, d];
    }
    return best;
  });
  const neverLive = liveFrom.map((k) => k === plan.length);

  const sigma = (settings.structureSigma ?? model.sidecar.structureSigma ?? 0) / factor;
  const flatSigma = (settings.structureFlatSigma ?? model.sidecar.structureFlatSigma ?? 0) / factor;
  for (const [value, flag] of [[sigma, 'structure'], [flatSigma, 'flat-area structure']] as const) {
    if (value > 0 && value < 0.5) throw new UserError(`${flag} guidance of ${value * factor} px is below half a cell of this model's ${factor}x grid; use 0 or at least ${factor / 2} px`);
  }
  // With a flat-area sigma, the fine guidance holds only near the render's edges (weights 0..1).
  const edgeWeights = sigma > 0 && flatSigma > 0 ? stackChw(splitTiles(edgeWeightImage(rgb, width, height, factor, channels), lgrid)) : undefined;
  const guide = async (x: Float32Array, tPrev: number, s: number, weights?: Float32Array) => {
    // ILVR: x <- x - LP(x) + LP(raw noised to tPrev), with the pass's own noise.
    // The low-pass is linear: LP(ref) - LP(x) = LP(ref - x), one filtering per step.
    const ab = tPrev >= 0 ? schedule.alphaBar(tPrev) : 1;
    const [a, b] = [Math.sqrt(ab), Math.sqrt(1 - ab)];
    const gap = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) gap[i] = a * z0[i] + b * noise[i] - x[i];
    const low = await lowPassPlanes(gap, count * channels, ls, s);
    if (weights) for (let i = 0; i < x.length; i++) x[i] += weights[i] * low[i];
    else for (let i = 0; i < x.length; i++) x[i] += low[i];
  };
  let x = schedule.addNoise(z0, noise, plan[0].t);
  for (let k = 0; k < plan.length; k++) {
    const { t, tPrev } = plan[k];
    if (k > 0) regionIdx.forEach((idx, r) => k <= liveFrom[r] && reset(x, idx, t));
    const out = await inBatches(x, count, batch, (chunk, items) => model.run(chunk, t, latentDims(items)));
    x = schedule.ddimStep(x, out, t, tPrev);
    if (flatSigma > 0) await guide(x, tPrev, flatSigma);
    if (sigma > 0) await guide(x, tPrev, sigma, edgeWeights);
  }
  regionIdx.forEach((idx, r) => neverLive[r] && reset(x, idx, -1));

  const pixels = await inBatches(x, count, batch, (chunk, items) => model.decode(chunk, latentDims(items)));
  const per = 3 * size * size;
  const refined = tiles.map((_, i) => fromChw(pixels.subarray(i * per, (i + 1) * per), size, size));
  const out = floatToRgb8(blendTiles(refined, grid));
  if (mask && neverLive.some(Boolean)) {
    for (let p = 0; p < width * height; p++) {
      if (neverLive[mask[p] ? 1 : 0]) out.set(rgb.subarray(3 * p, 3 * p + 3), 3 * p);
    }
  }
  return out;
}
