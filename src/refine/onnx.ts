/**
 * A thin wrapper around onnxruntime-node for the refiner's models.
 *
 * A refiner model is a folder. Two layouts exist (issue 4); the kind is told by the folder layout
 * and checked against the models' own input names:
 * - pixel UNet: `model.onnx` with inputs `sample` [B, 3, H, W] and `timestep`, and `model.json`
 *   (the sidecar: prediction type, noise schedule, native resolution).
 * - latent diffusion, laid out like the common Stable Diffusion / SD-Turbo ONNX exports (diffusers'
 *   convert_stable_diffusion_checkpoint_to_onnx.py, optimum): `vae_encoder/`, `unet/` (inputs
 *   `sample`, `timestep`, `encoder_hidden_states`) and `vae_decoder/`, each with a `model.onnx`,
 *   plus `text_embeddings.bin` (the precomputed encoder_hidden_states [1, S, C], RSTENSOR format:
 *   tensor-file.ts) and `model.json` (kind "latent-sd", vae_scaling_factor, schedule,
 *   prediction, resolution; scripts/refiner/train.py documents it). When model.json has no
 *   schedule, diffusers' `scheduler/scheduler_config.json` gives it; when it has no
 *   vae_scaling_factor, `vae_decoder/config.json`'s scaling_factor does.
 *
 * Both kinds give one interface, RefinerModel: encode (pixels [B, 3, H, W] in [-1, 1] to the space
 * the diffusion runs in), run (one denoiser pass there) and decode (back to pixels). A pixel model's
 * encode and decode are the identity; a latent model's go through the VAE, scaled by
 * vae_scaling_factor as in Stable Diffusion (latents * factor after encoding, / factor before
 * decoding). What real exports differ in, and what is done about it:
 * - `timestep` is int64 (older optimum), float32 (diffusers' converter, newer optimum) or int32,
 *   scalar, [1] or [B]: the tensor is made as the session's input metadata says.
 * - the VAE encoder outputs `latent_parameters` [B, 8, h, w] (newer optimum: the mean and the log
 *   variance; the first 4 channels, the mean, are taken, which is deterministic) or `latent_sample`
 *   [B, 4, h, w]. diffusers' converter samples `latent_sample` inside the graph (a RandomNormalLike
 *   node): onnxruntime then draws the noise, and we take what it gives, so such an export is not
 *   byte-reproducible across runs. (It also differs from the mean by only the VAE's tiny std.)
 * - encoder_hidden_states is stored once ([1, S, C]) and repeated to the batch.
 * float16 exports are refused with a message: the refiner feeds float32.
 *
 * onnxruntime-node is imported lazily, on the first load: the native library is ~20 MB and most
 * commands (render without --refine, validate, schema) never need it.
 *
 * CPU is the default execution provider. CUDA is used only when asked for and present: the npm
 * package ships the CPU library alone, the CUDA provider libraries are an optional download of its
 * install step (which the project skips to install offline). Asking for CUDA without them, or on a
 * machine where the provider fails to start, falls back to CPU with a message saying why (once for
 * the three sessions of a latent model).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { UserError } from '../errors.js';
import { NoiseSchedule, parseDiffusionSidecar, scheduleFromSchedulerConfig, type DiffusionSidecar } from './schedule.js';
import { readTensorFile } from './tensor-file.js';

export type ExecutionProvider = 'cpu' | 'cuda';
export type RefinerKind = 'pixel' | 'latent';
export type Dims4 = readonly [number, number, number, number];

/**
 * model.json: the diffusion sidecar plus the model's sizes. scripts/refiner/train.py writes more
 * (training record, benchmark, component list); what the runtime does not use is not read.
 */
export interface RefinerSidecar extends DiffusionSidecar {
  /** model.json's `kind` ("pixel-unet", "latent-sd"), when given; the folder layout decides. */
  kind?: string;
  /** Tile size in px; optional when the ONNX input has fixed H and W. */
  resolution?: number;
  /** The model runs at any H, W (in px) that are multiples of this (`size_multiple`). */
  sizeMultiple?: number;
  /** Output depends on input within this many px (`receptive_field_px`): tiles should overlap by half of it. */
  receptiveField?: number;
  /** Latent models: latents are multiplied by it after encoding, divided before decoding (`vae_scaling_factor`). */
  vaeScalingFactor?: number;
  /** Latent models: latent channels (`latent_channels`, default: the UNet's, else 4). */
  latentChannels?: number;
  /** Latent models: the VAE's downsampling factor (`vae_downsample`, default 8). */
  vaeDownsample?: number;
  /** Latent models: the encoder_hidden_states file, relative to the folder (`text_embeddings`, default text_embeddings.bin). */
  textEmbeddings?: string;
  /**
   * `refine_defaults.structure_sigma`: the structure guidance (ILVR low-pass sigma, image px) this
   * model is meant to run with when the user does not say; 0 or absent: none.
   */
  structureSigma?: number;
  /** `refine_defaults.structure_flat_sigma`: edge-aware guidance's flat-area sigma (px); 0 or absent: none. */
  structureFlatSigma?: number;
}

export interface LoadRefinerOptions {
  /** 'cpu' (default) or 'cuda'; CUDA falls back to CPU, through `warn`, when it cannot run. */
  executionProvider?: ExecutionProvider;
  /** Where fallback notices go; default: stderr. */
  warn?: (message: string) => void;
  /** onnxruntime's intra-op threads; default: its own choice (the physical cores). */
  threads?: number;
}

/** Where the diffusion runs: `channels` x (H / factor) x (W / factor) for a [B, 3, H, W] image. */
export interface LatentGeometry {
  channels: number;
  /** Pixels per latent cell along a side (1 for pixel models, the VAE's 8 for latent ones). */
  factor: number;
}

/**
 * A loaded refiner, pixel or latent: refiner.ts drives both through encode -> run (per step) ->
 * decode. All tensors are float32, channels first; `dims` default to one native tile per batch
 * item (the batch taken from the length).
 */
export interface RefinerModel {
  readonly dir: string;
  readonly kind: RefinerKind;
  readonly sidecar: RefinerSidecar;
  readonly schedule: NoiseSchedule;
  /** Native tile size in px: the model runs on resolution x resolution images. */
  readonly resolution: number;
  /** Tile sides (px) must be multiples of this. */
  readonly sizeMultiple: number;
  readonly latent: LatentGeometry;
  /** The provider actually in use (after any fallback). */
  readonly executionProvider: ExecutionProvider;
  /** The denoiser's (the UNet's) input names. */
  readonly inputNames: readonly string[];
  /** The denoiser's output name. */
  readonly outputName: string;
  /** The latent shape of `batch` images of height x width px (default: the native tile). */
  latentShape(batch: number, height?: number, width?: number): [number, number, number, number];
  /**
   * Images [B, 3, H, W] in [-1, 1] to what the denoiser takes: the same array for a pixel model,
   * the scaled VAE latents [B, C, H / 8, W / 8] for a latent one.
   */
  encode(pixels: Float32Array, dims?: Dims4): Promise<Float32Array>;
  /**
   * One denoiser pass: `sample` is [B, C, h, w] in the model's space (`dims` default to the native
   * tile's latent shape), `timestep` the diffusion timestep for every batch item. Returns the model
   * output (noise or velocity, as the sidecar's prediction says), same shape.
   */
  run(sample: Float32Array, timestep: number, dims?: Dims4): Promise<Float32Array>;
  /** The inverse of encode: [B, C, h, w] to images [B, 3, H, W] (the same array for a pixel model). */
  decode(latents: Float32Array, dims?: Dims4): Promise<Float32Array>;
  /** Frees the native sessions. */
  release(): Promise<void>;
}

/** Input names of a latent diffusion UNet (diffusers' UNet2DConditionModel exports). */
const LATENT_INPUT = 'encoder_hidden_states';
const LATENT_PARTS = ['vae_encoder', 'unet', 'vae_decoder'] as const;
const EMBEDDINGS_FILE = 'text_embeddings.bin';

/** What a model's input names say it is; null when neither signature fits. */
export function kindFromInputs(inputNames: readonly string[]): RefinerKind | null {
  if (inputNames.includes(LATENT_INPUT)) return 'latent';
  if (inputNames.includes('sample') && inputNames.includes('timestep')) return 'pixel';
  return null;
}

/** The folder's layout: a pixel model file, the latent export's three parts, or neither. */
export function folderLayout(dir: string): 'model.onnx' | 'latent-parts' | null {
  if (existsSync(join(dir, 'model.onnx'))) return 'model.onnx';
  if (LATENT_PARTS.every((part) => existsSync(join(dir, part, 'model.onnx')))) return 'latent-parts';
  return null;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UserError(`${file}: not valid JSON (${(error as Error).message})`);
  }
}

/**
 * Reads and checks model.json. A missing `schedule` (and `prediction`) is taken from diffusers'
 * scheduler/scheduler_config.json when the folder has one; a missing `vae_scaling_factor` from
 * vae_decoder/config.json (or vae_encoder/config.json) `scaling_factor`.
 */
export function readSidecar(dir: string): RefinerSidecar {
  const file = join(dir, 'model.json');
  if (!existsSync(file)) throw new UserError(`${dir}: no model.json (the sidecar with prediction, schedule and resolution) beside the model`);
  let json = readJson(file);
  if (typeof json === 'object' && json !== null && !Array.isArray(json) && (json as Record<string, unknown>).schedule === undefined) {
    const config = join(dir, 'scheduler', 'scheduler_config.json');
    if (!existsSync(config)) throw new UserError(`${file}: schedule: missing, and there is no scheduler/scheduler_config.json to take it from`);
    const fromConfig = scheduleFromSchedulerConfig(readJson(config), config);
    const root = json as Record<string, unknown>;
    json = { ...root, schedule: fromConfig.schedule, prediction: root.prediction ?? fromConfig.prediction };
  }
  const diffusion = parseDiffusionSidecar(json, file);
  const root = json as Record<string, unknown>;
  const size = (key: string, min: number, what: string): number | undefined => {
    const v = root[key];
    if (v === undefined || v === null) return undefined;
    if (!(Number.isInteger(v) && (v as number) >= min)) throw new UserError(`${file}: ${key}: expected an integer >= ${min} (${what}), got ${JSON.stringify(v)}`);
    return v as number;
  };
  const resolution = size('resolution', 8, 'the square tile size in px');
  const sizeMultiple = size('size_multiple', 1, 'H and W must be multiples of it');
  const receptiveField = size('receptive_field_px', 1, 'in px');
  const latentChannels = size('latent_channels', 1, 'the latent channels');
  const vaeDownsample = size('vae_downsample', 1, "the VAE's downsampling factor");
  if (resolution !== undefined && sizeMultiple !== undefined && resolution % sizeMultiple !== 0) {
    throw new UserError(`${file}: resolution ${resolution} is not a multiple of size_multiple ${sizeMultiple}`);
  }
  let vaeScalingFactor = root.vae_scaling_factor;
  let scalingSource = `${file}: vae_scaling_factor`;
  if (vaeScalingFactor === undefined || vaeScalingFactor === null) {
    vaeScalingFactor = undefined;
    for (const part of ['vae_decoder', 'vae_encoder']) {
      const config = join(dir, part, 'config.json');
      if (!existsSync(config)) continue;
      const value = (readJson(config) as Record<string, unknown> | null)?.scaling_factor;
      if (value !== undefined) {
        [vaeScalingFactor, scalingSource] = [value, `${config}: scaling_factor`];
        break;
      }
    }
  }
  if (vaeScalingFactor !== undefined && !(typeof vaeScalingFactor === 'number' && vaeScalingFactor > 0 && Number.isFinite(vaeScalingFactor))) {
    throw new UserError(`${scalingSource}: expected a positive number, got ${JSON.stringify(vaeScalingFactor)}`);
  }
  const textEmbeddings = root.text_embeddings;
  if (textEmbeddings !== undefined && textEmbeddings !== null && typeof textEmbeddings !== 'string') {
    throw new UserError(`${file}: text_embeddings: expected a file name, got ${JSON.stringify(textEmbeddings)}`);
  }
  const defaults = root.refine_defaults;
  let structureSigma: number | undefined;
  let structureFlatSigma: number | undefined;
  if (defaults !== undefined && defaults !== null) {
    const { structure_sigma: sigma, structure_flat_sigma: flat } = defaults as Record<string, unknown>;
    const px = (v: unknown) => v === undefined || (typeof v === 'number' && v >= 0 && v <= 64);
    if (typeof defaults !== 'object' || Array.isArray(defaults) || !px(sigma) || !px(flat)) {
      throw new UserError(`${file}: refine_defaults: expected {"structure_sigma", "structure_flat_sigma": numbers of px from 0 to 64}, got ${JSON.stringify(defaults)}`);
    }
    structureSigma = sigma as number | undefined;
    structureFlatSigma = flat as number | undefined;
  }
  return {
    ...diffusion,
    structureSigma,
    structureFlatSigma,
    kind: typeof root.kind === 'string' ? root.kind : undefined,
    resolution,
    sizeMultiple,
    receptiveField,
    vaeScalingFactor: vaeScalingFactor as number | undefined,
    latentChannels,
    vaeDownsample,
    textEmbeddings: (textEmbeddings as string | null | undefined) ?? undefined,
  };
}

export type Ort = typeof import('onnxruntime-node');
let ortModule: Promise<Ort> | undefined;
export function loadOrt(): Promise<Ort> {
  ortModule ??= import('onnxruntime-node').catch((error: Error) => {
    ortModule = undefined;
    throw new Error(`refiner: onnxruntime-node could not be loaded on ${process.platform}/${process.arch} (${error.message.split('\n')[0]}); run npm install with ONNXRUNTIME_NODE_INSTALL=skip`);
  });
  return ortModule;
}

/** Whether onnxruntime-node's CUDA provider libraries are installed beside its binding. */
export function cudaProviderInstalled(): boolean {
  if (process.platform !== 'linux' || process.arch !== 'x64') return false;
  try {
    const main = createRequire(import.meta.url).resolve('onnxruntime-node');
    const bin = resolve(dirname(main), '..', 'bin', 'napi-v6', process.platform, process.arch);
    return existsSync(join(bin, 'libonnxruntime_providers_cuda.so')) && existsSync(join(bin, 'libonnxruntime_providers_shared.so'));
  } catch {
    return false;
  }
}

async function createSession(ort: Ort, file: string, provider: ExecutionProvider, options: LoadRefinerOptions): Promise<{ session: InferenceSession; provider: ExecutionProvider }> {
  const warn = options.warn ?? ((m: string) => process.stderr.write(`${m}\n`));
  const base: InferenceSession.SessionOptions = { graphOptimizationLevel: 'all' };
  if (options.threads) base.intraOpNumThreads = options.threads;
  if (provider === 'cuda') {
    if (!cudaProviderInstalled()) {
      warn(
        'refiner: CUDA was asked for, but onnxruntime-node has no CUDA provider libraries here ' +
          '(they are an optional download: reinstall it with ONNXRUNTIME_NODE_INSTALL=cuda12 on a machine with network, CUDA 12 and cuDNN 9); running on CPU',
      );
    } else {
      try {
        return { session: await ort.InferenceSession.create(file, { ...base, executionProviders: ['cuda'] }), provider: 'cuda' };
      } catch (error) {
        warn(`refiner: the CUDA execution provider did not start (${(error as Error).message.split('\n')[0]}); running on CPU`);
      }
    }
  }
  return { session: await ort.InferenceSession.create(file, { ...base, executionProviders: ['cpu'] }), provider: 'cpu' };
}

/** The timestep tensor the model expects: int64, int32 or float32; scalar, [1] or [B]. */
function timestepTensor(ort: Ort, meta: InferenceSession.ValueMetadata | undefined, t: number, batch: number): Tensor {
  const type = meta?.isTensor ? meta.type : 'int64';
  const shape = meta?.isTensor ? meta.shape : [batch];
  const dims = shape.length === 0 ? [] : [typeof shape[0] === 'number' && shape[0] > 0 ? shape[0] : batch];
  const n = dims.length ? dims[0] : 1;
  switch (type) {
    case 'int64':
      return new ort.Tensor('int64', BigInt64Array.from({ length: n }, () => BigInt(Math.round(t))), dims);
    case 'int32':
      return new ort.Tensor('int32', Int32Array.from({ length: n }, () => Math.round(t)), dims);
    case 'float32':
      return new ort.Tensor('float32', Float32Array.from({ length: n }, () => t), dims);
    default:
      throw new UserError(`refiner: the model's timestep input is ${type}; int64, int32 and float32 are supported`);
  }
}

const firstLine = (error: unknown) => (error as Error).message.split('\n')[0];
const fixedDim = (d: number | string | undefined) => (typeof d === 'number' && d > 0 ? d : undefined);
const tensorShape = (meta: InferenceSession.ValueMetadata | undefined) => (meta?.isTensor ? meta.shape : []);
const metaOf = (session: InferenceSession, name: string) => session.inputMetadata.find((m) => m.name === name);

/** Opens the sessions of one model folder: the first decides the provider (one CUDA fallback notice at most). */
class SessionSet {
  readonly sessions: InferenceSession[] = [];
  provider: ExecutionProvider;
  constructor(private readonly ort: Ort, private readonly options: LoadRefinerOptions) {
    this.provider = options.executionProvider ?? 'cpu';
  }

  async open(file: string): Promise<InferenceSession> {
    let created: Awaited<ReturnType<typeof createSession>>;
    try {
      created = await createSession(this.ort, file, this.provider, this.options);
    } catch (error) {
      throw new UserError(`${file}: onnxruntime could not load it (${firstLine(error)})`);
    }
    this.provider = created.provider;
    this.sessions.push(created.session);
    return created.session;
  }

  async release(): Promise<void> {
    await Promise.all(this.sessions.splice(0).map((s) => s.release()));
  }
}

/** Checks `[b, c, h, w]` against a flat array's length and the model's size rules. */
function checkDims(what: string, length: number, dims: Dims4, channels: number, multiple: number, unit = ''): void {
  const [b, c, h, w] = dims;
  if (!Number.isInteger(b) || b < 1 || c !== channels || b * c * h * w !== length) {
    throw new RangeError(`${what} has ${length} values; expected [B, ${channels}, ${h}, ${w}] (a multiple of ${channels * h * w})`);
  }
  if (h % multiple !== 0 || w % multiple !== 0) throw new RangeError(`the model takes H and W in multiples of ${multiple}${unit}, got ${h} x ${w}`);
}

/**
 * Loads a refiner model folder (see the module comment for the layouts). Throws a UserError that
 * says what is wrong for a missing file, a bad sidecar, or an unknown signature.
 */
export async function loadRefinerModel(dir: string, options: LoadRefinerOptions = {}): Promise<RefinerModel> {
  const layout = folderLayout(dir);
  if (layout === null) throw new UserError(`${dir}: no refiner model here (expected model.onnx and model.json, or the vae_encoder/unet/vae_decoder folders of a latent diffusion export)`);
  const ort = await loadOrt();
  const sessions = new SessionSet(ort, options);
  try {
    return layout === 'model.onnx' ? await loadPixel(ort, dir, sessions) : await loadLatent(ort, dir, sessions);
  } catch (error) {
    await sessions.release();
    throw error;
  }
}

async function loadPixel(ort: Ort, dir: string, sessions: SessionSet): Promise<RefinerModel> {
  const file = join(dir, 'model.onnx');
  const session = await sessions.open(file);
  const kind = kindFromInputs(session.inputNames);
  if (kind === 'latent') {
    throw new UserError(
      `${file}: has an ${LATENT_INPUT} input: the UNet of a latent diffusion model alone; a latent refiner is a folder with ${LATENT_PARTS.map((p) => `${p}/model.onnx`).join(', ')}, ${EMBEDDINGS_FILE} and model.json`,
    );
  }
  if (kind !== 'pixel') throw new UserError(`${file}: inputs are ${session.inputNames.join(', ')}; a pixel refiner takes sample [B, 3, H, W] and timestep`);

  const sidecar = readSidecar(dir);
  const sampleMeta = metaOf(session, 'sample');
  const shape = tensorShape(sampleMeta);
  const [fixedH, fixedW] = [fixedDim(shape[2]), fixedDim(shape[3])];
  const problems: string[] = [];
  if (shape.length && (shape.length !== 4 || (fixedDim(shape[1]) !== undefined && shape[1] !== 3))) problems.push(`sample is [${shape.join(', ')}], expected [B, 3, H, W]`);
  if (sampleMeta?.isTensor && sampleMeta.type !== 'float32') problems.push(`sample is ${sampleMeta.type}; the refiner feeds float32 (use a float32 export)`);
  if (fixedH !== fixedW) problems.push(`sample is ${fixedH ?? '?'} x ${fixedW ?? '?'}; refiner tiles are square`);
  const resolution = sidecar.resolution ?? fixedH;
  if (resolution === undefined) problems.push('the sample input has no fixed H and W and model.json gives no resolution');
  else if (fixedH !== undefined && resolution !== fixedH) problems.push(`model.json says resolution ${resolution}, the model's sample input is ${fixedH} px`);
  if (problems.length) throw new UserError(`${dir}: ${problems.join('; ')}`);
  const res = resolution as number;
  const multiple = sidecar.sizeMultiple ?? 1;
  const outputName = session.outputNames[0];
  const timestepMeta = metaOf(session, 'timestep');
  const native = (length: number): Dims4 => [length / (3 * res * res), 3, res, res];

  return {
    dir,
    kind: 'pixel',
    sidecar,
    schedule: NoiseSchedule.fromSidecar(sidecar),
    resolution: res,
    sizeMultiple: multiple,
    latent: { channels: 3, factor: 1 },
    executionProvider: sessions.provider,
    inputNames: session.inputNames,
    outputName,
    latentShape: (batch, height = res, width = res) => [batch, 3, height, width],
    encode(pixels, dims) {
      checkDims('the image batch', pixels.length, dims ?? native(pixels.length), 3, multiple);
      return Promise.resolve(pixels);
    },
    decode(latents, dims) {
      checkDims('the sample', latents.length, dims ?? native(latents.length), 3, multiple);
      return Promise.resolve(latents);
    },
    async run(sample, timestep, dims) {
      const d = dims ?? native(sample.length);
      checkDims('sample', sample.length, d, 3, multiple);
      const feeds: Record<string, Tensor> = {
        sample: new ort.Tensor('float32', sample, [...d]),
        timestep: timestepTensor(ort, timestepMeta, timestep, d[0]),
      };
      const out = (await session.run(feeds))[outputName];
      if (out.type !== 'float32' || out.size !== sample.length) {
        throw new Error(`refiner output ${outputName} is ${out.type} [${out.dims.join(', ')}], expected float32 [${d.join(', ')}]`);
      }
      return out.data as Float32Array;
    },
    release: () => sessions.release(),
  };
}

async function loadLatent(ort: Ort, dir: string, sessions: SessionSet): Promise<RefinerModel> {
  const sidecar = readSidecar(dir);
  const modelJson = join(dir, 'model.json');
  const scaling = sidecar.vaeScalingFactor;
  if (scaling === undefined) throw new UserError(`${modelJson}: vae_scaling_factor: missing (and no vae_decoder/config.json scaling_factor): latents are scaled by it, e.g. 0.18215 for Stable Diffusion 1/2`);
  const factor = sidecar.vaeDownsample ?? 8;

  const [encoder, unet, decoder] = [
    await sessions.open(join(dir, 'vae_encoder', 'model.onnx')),
    await sessions.open(join(dir, 'unet', 'model.onnx')),
    await sessions.open(join(dir, 'vae_decoder', 'model.onnx')),
  ];
  const unetFile = join(dir, 'unet', 'model.onnx');
  if (kindFromInputs(unet.inputNames) !== 'latent' || !unet.inputNames.includes('sample') || !unet.inputNames.includes('timestep')) {
    throw new UserError(`${unetFile}: inputs are ${unet.inputNames.join(', ')}; a latent diffusion UNet takes sample, timestep and ${LATENT_INPUT}`);
  }
  const problems: string[] = [];
  const float32 = (session: InferenceSession, name: string, part: string) => {
    const meta = metaOf(session, name);
    if (meta?.isTensor && meta.type !== 'float32') problems.push(`${part} input ${name} is ${meta.type}; the refiner feeds float32 (use a float32 export)`);
  };
  const encoderIn = encoder.inputNames.includes('sample') ? 'sample' : encoder.inputNames[0];
  const encoderOut = ['latent_parameters', 'latent_sample'].find((n) => encoder.outputNames.includes(n)) ?? encoder.outputNames[0];
  const decoderIn = decoder.inputNames.includes('latent_sample') ? 'latent_sample' : decoder.inputNames[0];
  const decoderOut = decoder.outputNames.includes('sample') ? 'sample' : decoder.outputNames[0];
  const unetOut = unet.outputNames.includes('out_sample') ? 'out_sample' : unet.outputNames[0];
  float32(encoder, encoderIn, 'vae_encoder');
  float32(unet, 'sample', 'unet');
  float32(unet, LATENT_INPUT, 'unet');
  float32(decoder, decoderIn, 'vae_decoder');

  const sampleShape = tensorShape(metaOf(unet, 'sample'));
  const fixedC = fixedDim(sampleShape[1]);
  const channels = fixedC ?? sidecar.latentChannels ?? 4;
  if (fixedC !== undefined && sidecar.latentChannels !== undefined && fixedC !== sidecar.latentChannels) {
    problems.push(`model.json says latent_channels ${sidecar.latentChannels}, the UNet's sample has ${fixedC}`);
  }
  const [fixedH, fixedW] = [fixedDim(sampleShape[2]), fixedDim(sampleShape[3])];
  if (fixedH !== fixedW) problems.push(`the UNet's sample is ${fixedH ?? '?'} x ${fixedW ?? '?'}; refiner tiles are square`);
  const resolution = sidecar.resolution ?? (fixedH !== undefined ? fixedH * factor : undefined);
  if (resolution === undefined) problems.push("the UNet's sample has no fixed H and W and model.json gives no resolution");
  else if (resolution % factor !== 0) problems.push(`resolution ${resolution} is not a multiple of the VAE factor ${factor}`);
  else if (fixedH !== undefined && resolution !== fixedH * factor) problems.push(`model.json says resolution ${resolution}, the UNet's sample is ${fixedH} latent cells (${fixedH * factor} px)`);
  const multiple = sidecar.sizeMultiple ?? factor;
  if (multiple % factor !== 0) problems.push(`size_multiple ${multiple} is not a multiple of the VAE factor ${factor}`);

  // encoder_hidden_states: [1, S, C] (or [S, C]), repeated to the batch.
  const embeddingsFile = join(dir, sidecar.textEmbeddings ?? EMBEDDINGS_FILE);
  if (!existsSync(embeddingsFile)) {
    throw new UserError(`${embeddingsFile}: missing: a latent refiner needs the precomputed encoder_hidden_states (the prompt's text embeddings) in the RSTENSOR format, see scripts/refiner/train.py`);
  }
  const embeddings = readTensorFile(embeddingsFile);
  const embShape = embeddings.shape.length === 2 ? [1, ...embeddings.shape] : embeddings.shape;
  if (embShape.length !== 3 || embShape[0] !== 1) problems.push(`${embeddingsFile} is [${embeddings.shape.join(', ')}], expected [1, S, C]`);
  const ehsShape = tensorShape(metaOf(unet, LATENT_INPUT));
  for (const k of [1, 2]) {
    const d = fixedDim(ehsShape[k]);
    if (d !== undefined && d !== embShape[k]) problems.push(`the UNet's ${LATENT_INPUT} is [${ehsShape.join(', ')}], ${embeddingsFile} is [${embShape.join(', ')}]`);
  }
  if (problems.length) throw new UserError(`${dir}: ${[...new Set(problems)].join('; ')}`);

  const res = resolution as number;
  const ls = res / factor;
  const timestepMeta = metaOf(unet, 'timestep');
  const ehsFixedBatch = fixedDim(ehsShape[0]);
  const ehsCache = new Map<number, Tensor>();
  const ehs = (batch: number): Tensor => {
    const b = ehsFixedBatch ?? batch;
    let tensor = ehsCache.get(b);
    if (!tensor) {
      const one = embeddings.data;
      const data = new Float32Array(b * one.length);
      for (let i = 0; i < b; i++) data.set(one, i * one.length);
      tensor = new ort.Tensor('float32', data, [b, embShape[1], embShape[2]]);
      ehsCache.set(b, tensor);
    }
    return tensor;
  };
  const nativeLatent = (length: number): Dims4 => [length / (channels * ls * ls), channels, ls, ls];
  const nativeImage = (length: number): Dims4 => [length / (3 * res * res), 3, res, res];
  const part = (name: string) => join(dir, name, 'model.onnx');

  return {
    dir,
    kind: 'latent',
    sidecar,
    schedule: NoiseSchedule.fromSidecar(sidecar),
    resolution: res,
    sizeMultiple: multiple,
    latent: { channels, factor },
    executionProvider: sessions.provider,
    inputNames: unet.inputNames,
    outputName: unetOut,
    latentShape: (batch, height = res, width = res) => [batch, channels, height / factor, width / factor],
    async encode(pixels, dims) {
      const [b, , h, w] = dims ?? nativeImage(pixels.length);
      checkDims('the image batch', pixels.length, [b, 3, h, w], 3, multiple, ' px');
      const out = (await encoder.run({ [encoderIn]: new ort.Tensor('float32', pixels, [b, 3, h, w]) }))[encoderOut];
      const [lh, lw] = [h / factor, w / factor];
      const plane = lh * lw;
      const c = out.dims[1];
      if (out.type !== 'float32' || out.dims.length !== 4 || out.dims[0] !== b || out.dims[2] !== lh || out.dims[3] !== lw || (c !== channels && c !== 2 * channels)) {
        throw new Error(`${part('vae_encoder')}: output ${encoderOut} is ${out.type} [${out.dims.join(', ')}], expected float32 [${b}, ${channels} or ${2 * channels}, ${lh}, ${lw}]`);
      }
      // latent_parameters: [mean, logvar] per item; the mean is the first `channels` channels.
      const src = out.data as Float32Array;
      const latents = new Float32Array(b * channels * plane);
      for (let i = 0; i < b; i++) {
        const from = i * c * plane;
        for (let k = 0; k < channels * plane; k++) latents[i * channels * plane + k] = src[from + k] * scaling;
      }
      return latents;
    },
    async run(sample, timestep, dims) {
      const d = dims ?? nativeLatent(sample.length);
      checkDims('sample', sample.length, d, channels, multiple / factor, ' latent cells');
      const feeds: Record<string, Tensor> = {
        sample: new ort.Tensor('float32', sample, [...d]),
        timestep: timestepTensor(ort, timestepMeta, timestep, d[0]),
        [LATENT_INPUT]: ehs(d[0]),
      };
      const out = (await unet.run(feeds))[unetOut];
      if (out.type !== 'float32' || out.size !== sample.length) {
        throw new Error(`${part('unet')}: output ${unetOut} is ${out.type} [${out.dims.join(', ')}], expected float32 [${d.join(', ')}]`);
      }
      return out.data as Float32Array;
    },
    async decode(latents, dims) {
      const d = dims ?? nativeLatent(latents.length);
      checkDims('the latents', latents.length, d, channels, multiple / factor, ' latent cells');
      const unscaled = latents.map((v) => v / scaling);
      const out = (await decoder.run({ [decoderIn]: new ort.Tensor('float32', unscaled, [...d]) }))[decoderOut];
      const expected = [d[0], 3, d[2] * factor, d[3] * factor];
      if (out.type !== 'float32' || out.dims.join() !== expected.join()) {
        throw new Error(`${part('vae_decoder')}: output ${decoderOut} is ${out.type} [${out.dims.join(', ')}], expected float32 [${expected.join(', ')}]`);
      }
      return out.data as Float32Array;
    },
    release: () => sessions.release(),
  };
}
