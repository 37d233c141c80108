/**
 * A thin wrapper around onnxruntime-node for the refiner's denoiser.
 *
 * A refiner model is a folder. Two layouts exist (issue 4); the kind is told by the model's own
 * input names, the folder layout being only the first hint:
 * - pixel UNet: `model.onnx` with inputs `sample` [B, 3, H, W] and `timestep`, and `model.json`
 *   (the sidecar: prediction type, noise schedule, native resolution).
 * - latent diffusion, laid out like the common Stable Diffusion / SD-Turbo ONNX exports:
 *   `vae_encoder/`, `unet/` (inputs `sample`, `timestep`, `encoder_hidden_states`) and
 *   `vae_decoder/`, each with a `model.onnx`. Detected, and refused for now with a clear message.
 *
 * onnxruntime-node is imported lazily, on the first load: the native library is ~20 MB and most
 * commands (render without --refine, validate, schema) never need it.
 *
 * CPU is the default execution provider. CUDA is used only when asked for and present: the npm
 * package ships the CPU library alone, the CUDA provider libraries are an optional download of its
 * install step (which the project skips to install offline). Asking for CUDA without them, or on a
 * machine where the provider fails to start, falls back to CPU with a message saying why.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { UserError } from '../errors.js';
import { NoiseSchedule, parseDiffusionSidecar, type DiffusionSidecar } from './schedule.js';

export type ExecutionProvider = 'cpu' | 'cuda';
export type RefinerKind = 'pixel' | 'latent';

/**
 * model.json: the diffusion sidecar plus the model's sizes. scripts/refiner/train.py writes more
 * (kind, training record, benchmark); what the runtime does not use is not read.
 */
export interface RefinerSidecar extends DiffusionSidecar {
  /** Training tile size in px; optional when the ONNX input has fixed H and W. */
  resolution?: number;
  /** A fully convolutional model runs at any H, W that are multiples of this (`size_multiple`). */
  sizeMultiple?: number;
  /** Output depends on input within this many px (`receptive_field_px`): tiles should overlap by half of it. */
  receptiveField?: number;
}

export interface LoadRefinerOptions {
  /** 'cpu' (default) or 'cuda'; CUDA falls back to CPU, through `warn`, when it cannot run. */
  executionProvider?: ExecutionProvider;
  /** Where fallback notices go; default: stderr. */
  warn?: (message: string) => void;
  /** onnxruntime's intra-op threads; default: its own choice (the physical cores). */
  threads?: number;
}

export interface RefinerModel {
  readonly dir: string;
  readonly kind: 'pixel';
  readonly sidecar: RefinerSidecar;
  readonly schedule: NoiseSchedule;
  /** Native tile size: the model runs on resolution x resolution samples. */
  readonly resolution: number;
  /** The provider actually in use (after any fallback). */
  readonly executionProvider: ExecutionProvider;
  readonly inputNames: readonly string[];
  readonly outputName: string;
  /**
   * One forward pass: `sample` is [B, 3, H, W] float32, channels first (H = W = resolution unless
   * `dims` says otherwise), `timestep` the diffusion timestep for every batch item. Returns the
   * model output (noise or velocity, as the sidecar's prediction says), same shape.
   */
  run(sample: Float32Array, timestep: number, dims?: readonly [number, number, number, number]): Promise<Float32Array>;
  /** Frees the native session. */
  release(): Promise<void>;
}

/** Input names of a latent diffusion UNet (diffusers' UNet2DConditionModel exports). */
const LATENT_INPUT = 'encoder_hidden_states';
const LATENT_PARTS = ['vae_encoder', 'unet', 'vae_decoder'] as const;

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

const latentNotSupported = (dir: string, why: string) =>
  new UserError(`${dir}: ${why}: a latent diffusion model (vae_encoder / unet with encoder_hidden_states / vae_decoder); only pixel-space UNets (inputs sample and timestep) are supported so far`);

/** Reads and checks model.json. */
export function readSidecar(dir: string): RefinerSidecar {
  const file = join(dir, 'model.json');
  if (!existsSync(file)) throw new UserError(`${dir}: no model.json (the sidecar with prediction, schedule and resolution) beside model.onnx`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UserError(`${file}: not valid JSON (${(error as Error).message})`);
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
  if (resolution !== undefined && sizeMultiple !== undefined && resolution % sizeMultiple !== 0) {
    throw new UserError(`${file}: resolution ${resolution} is not a multiple of size_multiple ${sizeMultiple}`);
  }
  return { ...diffusion, resolution, sizeMultiple, receptiveField };
}

type Ort = typeof import('onnxruntime-node');
let ortModule: Promise<Ort> | undefined;
function loadOrt(): Promise<Ort> {
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

/** The timestep tensor the model expects: int64 or float32; scalar, [1] or [B]. */
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

/**
 * Loads a refiner model folder (see the module comment for the layouts). Throws a UserError that
 * says what is wrong for a missing file, a bad sidecar, a latent model, or an unknown signature.
 */
export async function loadRefinerModel(dir: string, options: LoadRefinerOptions = {}): Promise<RefinerModel> {
  const layout = folderLayout(dir);
  if (layout === 'latent-parts') throw latentNotSupported(dir, `found ${LATENT_PARTS.join(', ')}`);
  if (layout === null) throw new UserError(`${dir}: no refiner model here (expected model.onnx and model.json, or the vae_encoder/unet/vae_decoder folders of a latent diffusion export)`);

  const ort = await loadOrt();
  const file = join(dir, 'model.onnx');
  let created: Awaited<ReturnType<typeof createSession>>;
  try {
    created = await createSession(ort, file, options.executionProvider ?? 'cpu', options);
  } catch (error) {
    throw new UserError(`${file}: onnxruntime could not load it (${(error as Error).message.split('\n')[0]})`);
  }
  const { session, provider } = created;
  const kind = kindFromInputs(session.inputNames);
  if (kind !== 'pixel') {
    await session.release();
    if (kind === 'latent') throw latentNotSupported(dir, `model.onnx has an ${LATENT_INPUT} input`);
    throw new UserError(`${file}: inputs are ${session.inputNames.join(', ')}; a pixel refiner takes sample [B, 3, H, W] and timestep`);
  }

  let sidecar: RefinerSidecar;
  try {
    sidecar = readSidecar(dir);
  } catch (error) {
    await session.release();
    throw error;
  }
  const inputMeta = (name: string) => session.inputMetadata.find((m) => m.name === name);
  const sampleMeta = inputMeta('sample');
  const shape = sampleMeta?.isTensor ? sampleMeta.shape : [];
  const fixed = (d: number | string | undefined) => (typeof d === 'number' && d > 0 ? d : undefined);
  const [fixedH, fixedW] = [fixed(shape[2]), fixed(shape[3])];
  const problems: string[] = [];
  if (shape.length && (shape.length !== 4 || (fixed(shape[1]) !== undefined && shape[1] !== 3))) problems.push(`sample is [${shape.join(', ')}], expected [B, 3, H, W]`);
  if (fixedH !== fixedW) problems.push(`sample is ${fixedH ?? '?'} x ${fixedW ?? '?'}; refiner tiles are square`);
  const resolution = sidecar.resolution ?? fixedH;
  if (resolution === undefined) problems.push('the sample input has no fixed H and W and model.json gives no resolution');
  else if (fixedH !== undefined && resolution !== fixedH) problems.push(`model.json says resolution ${resolution}, the model's sample input is ${fixedH} px`);
  if (problems.length) {
    await session.release();
    throw new UserError(`${dir}: ${problems.join('; ')}`);
  }
  const res = resolution as number;
  const outputName = session.outputNames[0];
  const timestepMeta = inputMeta('timestep');

  return {
    dir,
    kind: 'pixel',
    sidecar,
    schedule: NoiseSchedule.fromSidecar(sidecar),
    resolution: res,
    executionProvider: provider,
    inputNames: session.inputNames,
    outputName,
    async run(sample, timestep, dims) {
      const [b, c, h, w] = dims ?? [sample.length / (3 * res * res), 3, res, res];
      if (!Number.isInteger(b) || b < 1 || b * c * h * w !== sample.length) {
        throw new RangeError(`sample has ${sample.length} values; expected [B, 3, ${h}, ${w}] (a multiple of ${c * h * w})`);
      }
      const m = sidecar.sizeMultiple ?? 1;
      if (h % m !== 0 || w % m !== 0) throw new RangeError(`the model takes H and W in multiples of ${m}, got ${h} x ${w}`);
      const feeds: Record<string, Tensor> = {
        sample: new ort.Tensor('float32', sample, [b, c, h, w]),
        timestep: timestepTensor(ort, timestepMeta, timestep, b),
      };
      const result = await session.run(feeds);
      const out = result[outputName];
      if (out.type !== 'float32' || out.size !== sample.length) {
        throw new Error(`refiner output ${outputName} is ${out.type} [${out.dims.join(', ')}], expected float32 [${[b, c, h, w].join(', ')}]`);
      }
      return out.data as Float32Array;
    },
    release: () => session.release(),
  };
}
