import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { floatImage, floatToRgb8, fromChw, rgb8ToFloat, toChw, type FloatImage } from '../../src/refine/image.js';
import { seededNoise } from '../../src/refine/noise.js';
import { cudaProviderInstalled, kindFromInputs, loadRefinerModel, type RefinerModel } from '../../src/refine/onnx.js';
import { runImg2Img } from '../../src/refine/schedule.js';
import { mapTiles, splitTiles, tileGrid } from '../../src/refine/tiles.js';
import { Rng } from '../../src/sampling/rng.js';
import { latentUnetOnnx, pixelUnetOnnx, vaeEncoderParametersOnnx } from './onnx-fixture.js';
import { LATENT_TINY, PIXEL_TINY } from './tiny-models.js';

const root = mkdtempSync(join(tmpdir(), 'robosynth-refine-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sidecar = { prediction: 'epsilon', schedule: { type: 'scaled_linear', num_train_timesteps: 1000, beta_start: 0.00085, beta_end: 0.012 } };

/** A model folder: model.onnx and model.json (omitted when json is null). */
function modelDir(name: string, onnx: Uint8Array, json: unknown = sidecar): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.onnx'), onnx);
  if (json !== null) writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  return dir;
}

const quiet = { warn: () => {} };
const bytesOf = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const pixel16 = modelDir('pixel16', pixelUnetOnnx(16));

describe('loading a refiner model', () => {
  it('a pixel UNet: kind, resolution from the model, one forward pass with the right shape and values', async () => {
    const model = await loadRefinerModel(pixel16, quiet);
    try {
      expect(model.kind).toBe('pixel');
      expect(model.resolution).toBe(16);
      expect(model.executionProvider).toBe('cpu');
      expect(model.inputNames).toEqual(['sample', 'timestep']);
      expect(model.schedule.prediction).toBe('epsilon');
      expect(model.schedule.alphasCumprod[999]).toBe(0.0046600960195064545);
      const sample = Float32Array.from({ length: 2 * 3 * 16 * 16 }, (_, i) => Math.sin(i));
      const out = await model.run(sample, 500);
      expect(out.length).toBe(sample.length);
      // The fixture computes 0.5 * sample + 0.001 * timestep.
      for (const i of [0, 1, 777, sample.length - 1]) expect(out[i]).toBeCloseTo(0.5 * sample[i] + 0.5, 6);
      await expect(model.run(new Float32Array(100), 1)).rejects.toThrow(/expected \[B, 3, 16, 16\]/);
    } finally {
      await model.release();
    }
  });

  it('symbolic H and W take the resolution from model.json, and say so when it is missing', async () => {
    const model = await loadRefinerModel(modelDir('pixel-any', pixelUnetOnnx(null, 'float32'), { ...sidecar, resolution: 32, size_multiple: 4 }), quiet);
    expect(model.resolution).toBe(32);
    expect(model.sidecar.sizeMultiple).toBe(4);
    // A float32 timestep input, as scripts/refiner/train.py exports by default.
    const out = await model.run(new Float32Array(3 * 32 * 32).fill(1), 10);
    expect(out[0]).toBeCloseTo(0.51, 6);
    // Fully convolutional: other sizes run, in multiples of size_multiple.
    expect((await model.run(new Float32Array(3 * 8 * 12), 0, [1, 3, 8, 12])).length).toBe(3 * 8 * 12);
    await expect(model.run(new Float32Array(3 * 10 * 12), 0, [1, 3, 10, 12])).rejects.toThrow(/multiples of 4, got 10 x 12/);
    await model.release();
    await expect(loadRefinerModel(modelDir('pixel-any-nores', pixelUnetOnnx(null)), quiet)).rejects.toThrow(/no fixed H and W and model.json gives no resolution/);
    await expect(loadRefinerModel(modelDir('pixel-mismatch', pixelUnetOnnx(16), { ...sidecar, resolution: 64 }), quiet)).rejects.toThrow(/resolution 64, the model's sample input is 16 px/);
  });

  it('tells a latent diffusion model apart by its inputs; a latent UNet alone is not a refiner', async () => {
    expect(kindFromInputs(['sample', 'timestep', 'encoder_hidden_states'])).toBe('latent');
    expect(kindFromInputs(['sample', 'timestep'])).toBe('pixel');
    expect(kindFromInputs(['input'])).toBeNull();
    const unetAsModel = loadRefinerModel(modelDir('latent-unet', latentUnetOnnx()), quiet);
    await expect(unetAsModel).rejects.toThrow(UserError);
    await expect(loadRefinerModel(join(root, 'latent-unet'), quiet)).rejects.toThrow(/encoder_hidden_states input: the UNet of a latent diffusion model alone; a latent refiner is a folder with vae_encoder\/model.onnx/);
    // The three folders, but parts that are not models: the first one that fails is named.
    const sd = join(root, 'sd-export');
    for (const part of ['vae_encoder', 'unet', 'vae_decoder']) {
      mkdirSync(join(sd, part), { recursive: true });
      writeFileSync(join(sd, part, 'model.onnx'), part === 'unet' ? latentUnetOnnx() : new Uint8Array(0));
    }
    writeFileSync(join(sd, 'model.json'), JSON.stringify({ ...sidecar, kind: 'latent-sd', vae_scaling_factor: 0.18215, resolution: 64 }));
    await expect(loadRefinerModel(sd, quiet)).rejects.toThrow(/vae_encoder\/model.onnx: onnxruntime could not load it/);
  });

  it('says what is missing or wrong', async () => {
    mkdirSync(join(root, 'empty'), { recursive: true });
    await expect(loadRefinerModel(join(root, 'empty'), quiet)).rejects.toThrow(/no refiner model here/);
    await expect(loadRefinerModel(modelDir('no-sidecar', pixelUnetOnnx(16), null), quiet)).rejects.toThrow(/no model.json/);
    await expect(loadRefinerModel(modelDir('bad-sidecar', pixelUnetOnnx(16), { schedule: { type: 'cosine' } }), quiet)).rejects.toThrow(/model.json: schedule.type/);
    await expect(loadRefinerModel(modelDir('not-onnx', new TextEncoder().encode('not a model')), quiet)).rejects.toThrow(/onnxruntime could not load it/);
    const wrongSchedule = { ...sidecar, schedule: { ...sidecar.schedule, alphas_cumprod_check: { 500: 0.4922850430011749 } } };
    await expect(loadRefinerModel(modelDir('wrong-schedule', pixelUnetOnnx(16), wrongSchedule), quiet)).rejects.toThrow(/alphas_cumprod\[500\] is 0.27633\d* here but 0.49228\d* in the sidecar/);
  });

  it('CUDA when asked for falls back to CPU with a reason when it cannot run', async (ctx) => {
    if (cudaProviderInstalled()) ctx.skip('onnxruntime-node CUDA libraries are installed here: the fallback path is not reachable');
    const warnings: string[] = [];
    const model = await loadRefinerModel(pixel16, { executionProvider: 'cuda', warn: (m) => warnings.push(m) });
    expect(model.executionProvider).toBe('cpu');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/CUDA was asked for, but onnxruntime-node has no CUDA provider libraries.*running on CPU/);
    await model.release();
  });
});

describe('the pieces together: tiled, seeded img2img with a model', () => {
  /** Refine an 8-bit frame: [-1, 1], tiles at the model's size, the frame's noise cut like the frame. */
  async function refine(model: RefinerModel, rgb: Uint8Array, width: number, height: number, strength: number, steps: number, seed: number): Promise<Uint8Array> {
    const image = rgb8ToFloat(rgb, width, height);
    const grid = tileGrid(width, height, model.resolution, Math.floor(model.resolution / 4));
    const noiseTiles = splitTiles(floatImage(width, height, 3, seededNoise(width * height * 3, seed, 0)), grid);
    const plan = model.schedule.img2imgPlan(strength, steps);
    const refined = await mapTiles(image, grid, async (tile: FloatImage, n) => {
      const x0 = toChw(tile);
      const out = await runImg2Img(model.schedule, plan, x0, toChw(noiseTiles[n]), (x, t) => model.run(x, t));
      return fromChw(out, tile.width, tile.height);
    });
    return floatToRgb8(refined);
  }

  it('strength 0 gives the frame back; same seed, same bytes; another seed, other bytes', async () => {
    const model = await loadRefinerModel(pixel16, quiet);
    const rng = new Rng('frame');
    for (const [w, h] of [[40, 30], [12, 9]] as const) {
      const rgb = Uint8Array.from({ length: w * h * 3 }, () => Math.floor(rng.next() * 256));
      expect(Buffer.from(await refine(model, rgb, w, h, 0, 4, 1)).equals(Buffer.from(rgb))).toBe(true);
      const a = await refine(model, rgb, w, h, 0.5, 4, 1);
      const b = await refine(model, rgb, w, h, 0.5, 4, 1);
      const c = await refine(model, rgb, w, h, 0.5, 4, 2);
      expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
      expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
      expect(Buffer.from(a).equals(Buffer.from(rgb))).toBe(false);
    }
    await model.release();
  });
});

describe('the tiny models from scripts/refiner/train.py (test/fixtures/refiner)', () => {
  it('pixel-tiny (--tiny): loads and runs one forward pass, deterministically', async () => {
    const model = await loadRefinerModel(PIXEL_TINY, quiet);
    try {
      expect(model.kind).toBe('pixel');
      expect(model.latent).toEqual({ channels: 3, factor: 1 });
      expect(model.resolution).toBe(32);
      expect(model.sizeMultiple).toBe(4);
      expect(model.schedule.config.type).toBe('squaredcos_cap_v2');
      const r = model.resolution;
      const sample = seededNoise(2 * 3 * r * r, 'tiny-forward');
      expect(await model.encode(sample)).toBe(sample);
      expect(await model.decode(sample)).toBe(sample);
      const [t] = model.schedule.timesteps(4);
      const out = await model.run(sample, t, [2, 3, r, r]);
      expect(out.length).toBe(2 * 3 * r * r);
      expect(out.every(Number.isFinite)).toBe(true);
      const again = await model.run(sample, t, [2, 3, r, r]);
      expect(bytesOf(again).equals(bytesOf(out))).toBe(true);
    } finally {
      await model.release();
    }
  });

  it('latent-tiny (--tiny-latent): three sessions; encode scales by vae_scaling_factor, decode divides; the UNet gets the embeddings per batch item', async () => {
    const model = await loadRefinerModel(LATENT_TINY, quiet);
    try {
      expect(model.kind).toBe('latent');
      expect(model.resolution).toBe(64);
      expect(model.sizeMultiple).toBe(16);
      expect(model.latent).toEqual({ channels: 4, factor: 8 });
      expect(model.latentShape(2)).toEqual([2, 4, 8, 8]);
      expect(model.latentShape(1, 64, 96)).toEqual([1, 4, 8, 12]);
      expect(model.inputNames).toEqual(['sample', 'timestep', 'encoder_hidden_states']);
      expect(model.sidecar.vaeScalingFactor).toBe(0.5);
      // The tiny VAE encoder computes 8x8 block means / scaling (R, G, B, grey): scaled back, the means.
      const [h, w] = [64, 96];
      const image = Float32Array.from({ length: 2 * 3 * h * w }, (_, i) => Math.sin(i / 97));
      const z = await model.encode(image, [2, 3, h, w]);
      expect(z.length).toBe(2 * 4 * 8 * 12);
      const blockMean = (b: number, c: number, by: number, bx: number) => {
        let sum = 0;
        for (let v = 0; v < 8; v++) for (let u = 0; u < 8; u++) sum += image[((b * 3 + c) * h + by * 8 + v) * w + bx * 8 + u];
        return sum / 64;
      };
      for (const [b, c, by, bx] of [[0, 0, 0, 0], [1, 2, 7, 11], [1, 1, 3, 5]]) expect(z[((b * 4 + c) * 8 + by) * 12 + bx]).toBeCloseTo(blockMean(b, c, by, bx), 5);
      // Decoding is nearest upsampling times scaling of latents / scaling (plus a small random conv): close to the blocks.
      const back = await model.decode(z, [2, 4, 8, 12]);
      expect(back.length).toBe(image.length);
      expect(Math.abs(back[0] - blockMean(0, 0, 0, 0))).toBeLessThan(0.3);
      // The UNet: timestep int64 (from the session's metadata), embeddings repeated to the batch.
      const latents = seededNoise(4 * 8 * 8, 'latent-forward');
      const one = await model.run(latents, 500);
      const three = await model.run(Float32Array.from({ length: 3 * latents.length }, (_, i) => latents[i % latents.length]), 500, [3, 4, 8, 8]);
      expect(one.length).toBe(latents.length);
      for (let b = 0; b < 3; b++) for (const i of [0, 77, 255]) expect(three[b * latents.length + i]).toBeCloseTo(one[i], 5);
      expect(one.every(Number.isFinite)).toBe(true);
      await expect(model.run(latents, 500, [1, 4, 4, 4])).rejects.toThrow(/expected \[B, 4, 4, 4\]/);
      await expect(model.run(new Float32Array(4 * 9 * 9), 500, [1, 4, 9, 9])).rejects.toThrow(/multiples of 2 latent cells/);
    } finally {
      await model.release();
    }
  });

  /** A copy of latent-tiny to change one thing in. */
  function latentCopy(name: string): string {
    const dir = join(root, name);
    cpSync(LATENT_TINY, dir, { recursive: true });
    return dir;
  }
  const editJson = (file: string, edit: (json: Record<string, unknown>) => void) => {
    const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    edit(json);
    writeFileSync(file, JSON.stringify(json));
  };

  it('a VAE encoder with latent_parameters (mean, log variance): the mean is taken', async () => {
    const dir = latentCopy('latent-parameters');
    writeFileSync(join(dir, 'vae_encoder', 'model.onnx'), vaeEncoderParametersOnnx(0.5));
    const [ours, tiny] = [await loadRefinerModel(dir, quiet), await loadRefinerModel(LATENT_TINY, quiet)];
    const image = Float32Array.from({ length: 3 * 64 * 64 }, (_, i) => Math.cos(i / 31));
    const [a, b] = [await ours.encode(image), await tiny.encode(image)];
    expect(a.length).toBe(4 * 8 * 8);
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 5);
    await Promise.all([ours.release(), tiny.release()]);
  });

  it("takes the schedule from diffusers' scheduler_config.json and the scaling from vae_decoder/config.json when model.json lacks them", async () => {
    const dir = latentCopy('latent-diffusers-configs');
    editJson(join(dir, 'model.json'), (json) => {
      delete json.schedule;
      delete json.prediction;
      delete json.vae_scaling_factor;
    });
    const model = await loadRefinerModel(dir, quiet);
    expect(model.schedule.config).toMatchObject({ type: 'scaled_linear', steps_offset: 1, set_alpha_to_one: false, timestep_spacing: 'leading' });
    expect(model.schedule.alphasCumprod[999]).toBe(0.0046600960195064545);
    expect(model.sidecar.vaeScalingFactor).toBe(0.5);
    await model.release();
    rmSync(join(dir, 'scheduler'), { recursive: true });
    await expect(loadRefinerModel(dir, quiet)).rejects.toThrow(/schedule: missing, and there is no scheduler\/scheduler_config.json/);
  });

  it('says what a latent folder lacks', async () => {
    const noScaling = latentCopy('latent-no-scaling');
    editJson(join(noScaling, 'model.json'), (json) => delete json.vae_scaling_factor);
    rmSync(join(noScaling, 'vae_decoder', 'config.json'));
    await expect(loadRefinerModel(noScaling, quiet)).rejects.toThrow(/vae_scaling_factor: missing/);
    const noEmbeddings = latentCopy('latent-no-embeddings');
    rmSync(join(noEmbeddings, 'text_embeddings.bin'));
    await expect(loadRefinerModel(noEmbeddings, quiet)).rejects.toThrow(/text_embeddings.bin: missing: a latent refiner needs the precomputed encoder_hidden_states/);
    const badEmbeddings = latentCopy('latent-bad-embeddings');
    writeFileSync(join(badEmbeddings, 'text_embeddings.bin'), 'RSTENSOR');
    await expect(loadRefinerModel(badEmbeddings, quiet)).rejects.toThrow(/text_embeddings.bin: not an RSTENSOR file/);
  });
});
