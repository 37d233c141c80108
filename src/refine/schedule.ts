/**
 * DDPM noise schedules and the DDIM img2img plan, computed the way Hugging Face diffusers does.
 *
 * The refiner's models are trained in PyTorch with diffusers' scheduler conventions (the sidecar
 * uses diffusers' config names), so inference here must reproduce diffusers' numbers, not just the
 * textbook formulas: a different rounding of `alphas_cumprod`, or one timestep off in the plan,
 * silently shifts the noise level the model was trained for. Reference values in
 * test/refine/schedule.test.ts were produced with torch replicating diffusers' lines. (The
 * project's scripts/refiner/train.py computes the same formulas in float64 numpy, within 5e-7 of
 * these; the sidecar's `alphas_cumprod_check` catches a model trained on another schedule.)
 *
 * What diffusers does (DDIMScheduler, StableDiffusionImg2ImgPipeline):
 * - betas are float32: `torch.linspace(beta_start, beta_end, T, dtype=float32)` ("linear"),
 *   `torch.linspace(sqrt(beta_start), sqrt(beta_end), T, dtype=float32) ** 2` ("scaled_linear"),
 *   or the GLIDE cosine `betas_for_alpha_bar` computed in float64 then cast ("squaredcos_cap_v2").
 * - `alphas = 1.0 - betas` in float32; `alphas_cumprod = torch.cumprod(alphas)`: on CPU torch
 *   accumulates a float32 cumprod in float64 and rounds each output to float32.
 * - `final_alpha_cumprod` = 1 when `set_alpha_to_one` (DDIM's default), else `alphas_cumprod[0]`.
 * - set_timesteps(n), spacing "leading" (the default): step_ratio = T // n,
 *   timesteps = (arange(n) * step_ratio)[::-1] + steps_offset.
 * - step(): prev_timestep = t - T // n (whatever the spacing); alpha_prod_prev = alphas_cumprod[prev]
 *   or final_alpha_cumprod when prev < 0.
 * - img2img get_timesteps: init_timestep = min(int(n * strength), n); t_start = max(n - init, 0);
 *   timesteps[t_start:]; the image is noised to the first of those timesteps.
 *
 * Beware, with few steps that plan is coarse: n = 4, s = 0.3 gives int(1.2) = 1 step at t = 0
 * ("leading": timesteps 750, 500, 250, 0), which barely noises the image. "trailing" spacing
 * (999, 749, 499, 249) gives one step at t = 249 for the same s and n.
 */
import { UserError } from '../errors.js';

export type PredictionType = 'epsilon' | 'v_prediction';
export type BetaScheduleType = 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';
export type TimestepSpacing = 'leading' | 'trailing' | 'linspace';

/** The scheduler part of the sidecar, with diffusers' DDIMScheduler defaults filled in (except clip_sample). */
export interface ScheduleConfig {
  type: BetaScheduleType;
  num_train_timesteps: number;
  beta_start: number;
  beta_end: number;
  /** diffusers' `timestep_spacing`; "leading" is DDIMScheduler's default. */
  timestep_spacing: TimestepSpacing;
  /** diffusers' `steps_offset` (Stable Diffusion configs use 1); only "leading" adds it. */
  steps_offset: number;
  /** diffusers' `set_alpha_to_one` (DDIM default true; Stable Diffusion configs use false). */
  set_alpha_to_one: boolean;
  /**
   * diffusers' `clip_sample`: clamp the predicted x0 to [-1, 1]. Off unless the sidecar says so,
   * unlike DDIMScheduler's own default (on): Stable Diffusion configs turn it off (latents are not
   * in [-1, 1]) and the training script's sidecar does not mention it.
   */
  clip_sample: boolean;
}

/** What the sidecar says about the diffusion process. */
export interface DiffusionSidecar {
  prediction: PredictionType;
  schedule: ScheduleConfig;
  /**
   * alphas_cumprod at a few timesteps as the training script computed them (its
   * `alphas_cumprod_check`); parseDiffusionSidecar has already compared them with ours.
   */
  alphasCumprodCheck?: Record<number, number>;
}

/**
 * How far the sidecar's alphas_cumprod may be from ours: the training script computes them in
 * float64 (numpy), diffusers and this module in float32, which differ by up to 5e-7 on the three
 * schedule types (measured), and the sidecar rounds to 8 decimals. A wrong schedule type or beta
 * range is off by 1e-3 or more.
 */
export const ALPHAS_CUMPROD_TOLERANCE = 2e-6;

const PREDICTIONS: readonly PredictionType[] = ['epsilon', 'v_prediction'];
const BETA_TYPES: readonly BetaScheduleType[] = ['linear', 'scaled_linear', 'squaredcos_cap_v2'];
const SPACINGS: readonly TimestepSpacing[] = ['leading', 'trailing', 'linspace'];

/**
 * Reads `{prediction, schedule: {type, num_train_timesteps, beta_start, beta_end, ...}}` from a
 * parsed sidecar. Other top-level keys (resolution, model kind, ...) belong to the caller and are
 * ignored here; unknown keys inside `schedule` are errors so that a typo (e.g. "beta_schedul")
 * does not silently fall back to a default the model was not trained with.
 */
export function parseDiffusionSidecar(json: unknown, source = 'model.json'): DiffusionSidecar {
  const fail = (what: string): never => {
    throw new UserError(`${source}: ${what}`);
  };
  if (!isObject(json)) fail('expected a JSON object');
  const root = json as Record<string, unknown>;
  const prediction = root.prediction ?? 'epsilon';
  if (!PREDICTIONS.includes(prediction as PredictionType)) fail(`prediction: expected one of ${PREDICTIONS.join(', ')}, got ${JSON.stringify(prediction)}`);
  if (!isObject(root.schedule)) fail('schedule: expected an object {type, num_train_timesteps, beta_start, beta_end}');
  const s = root.schedule as Record<string, unknown>;
  const known = ['type', 'num_train_timesteps', 'beta_start', 'beta_end', 'timestep_spacing', 'steps_offset', 'set_alpha_to_one', 'clip_sample', 'alphas_cumprod_check'];
  for (const key of Object.keys(s)) if (!known.includes(key)) fail(`schedule.${key}: unknown key (expected ${known.join(', ')})`);
  const type = s.type;
  if (!BETA_TYPES.includes(type as BetaScheduleType)) fail(`schedule.type: expected one of ${BETA_TYPES.join(', ')}, got ${JSON.stringify(type)}`);
  const T = s.num_train_timesteps ?? 1000;
  if (!Number.isInteger(T) || (T as number) < 2) fail(`schedule.num_train_timesteps: expected an integer >= 2, got ${JSON.stringify(T)}`);
  // diffusers' DDIMScheduler defaults; the cosine schedule ignores both (the training script
  // writes null there).
  const betaStart = s.beta_start ?? 0.0001;
  const betaEnd = s.beta_end ?? 0.02;
  for (const [name, v] of [['beta_start', betaStart], ['beta_end', betaEnd]] as const) {
    if (typeof v !== 'number' || !(v > 0 && v < 1)) fail(`schedule.${name}: expected a number in (0, 1), got ${JSON.stringify(v)}`);
  }
  const spacing = s.timestep_spacing ?? 'leading';
  if (!SPACINGS.includes(spacing as TimestepSpacing)) fail(`schedule.timestep_spacing: expected one of ${SPACINGS.join(', ')}, got ${JSON.stringify(spacing)}`);
  const offset = s.steps_offset ?? 0;
  if (!Number.isInteger(offset) || (offset as number) < 0) fail(`schedule.steps_offset: expected an integer >= 0, got ${JSON.stringify(offset)}`);
  const setAlphaToOne = s.set_alpha_to_one ?? true;
  const clip = s.clip_sample ?? false;
  if (typeof setAlphaToOne !== 'boolean') fail('schedule.set_alpha_to_one: expected true or false');
  if (typeof clip !== 'boolean') fail('schedule.clip_sample: expected true or false');
  const sidecar: DiffusionSidecar = {
    prediction: prediction as PredictionType,
    schedule: {
      type: type as BetaScheduleType,
      num_train_timesteps: T as number,
      beta_start: betaStart as number,
      beta_end: betaEnd as number,
      timestep_spacing: spacing as TimestepSpacing,
      steps_offset: offset as number,
      set_alpha_to_one: setAlphaToOne as boolean,
      clip_sample: clip as boolean,
    },
  };
  if (s.alphas_cumprod_check !== undefined && s.alphas_cumprod_check !== null) {
    if (!isObject(s.alphas_cumprod_check)) fail('schedule.alphas_cumprod_check: expected an object {timestep: alphas_cumprod}');
    const ours = new NoiseSchedule(sidecar.schedule).alphasCumprod;
    const check: Record<number, number> = {};
    for (const [key, value] of Object.entries(s.alphas_cumprod_check as Record<string, unknown>)) {
      const t = Number(key);
      if (!Number.isInteger(t) || t < 0 || t >= ours.length || typeof value !== 'number') fail(`schedule.alphas_cumprod_check: ${JSON.stringify(key)}: ${JSON.stringify(value)} is not a timestep and a number`);
      if (Math.abs(ours[t] - (value as number)) > ALPHAS_CUMPROD_TOLERANCE) {
        fail(`schedule: alphas_cumprod[${t}] is ${ours[t]} here but ${value} in the sidecar: the model was trained with another noise schedule than the one described`);
      }
      check[t] = value as number;
    }
    sidecar.alphasCumprodCheck = check;
  }
  return sidecar;
}

/**
 * The `{prediction, schedule}` part of a sidecar from diffusers' `scheduler/scheduler_config.json`
 * (what a Stable Diffusion / SD-Turbo export ships), for a model.json that has no `schedule`.
 * DDIMScheduler's, EulerDiscreteScheduler's, ... configs share these keys; the refiner always
 * steps with DDIM. Options that change the betas in ways this module does not reproduce are errors.
 */
export function scheduleFromSchedulerConfig(json: unknown, source = 'scheduler_config.json'): { prediction: unknown; schedule: Record<string, unknown> } {
  if (!isObject(json)) throw new UserError(`${source}: expected a JSON object`);
  const c = json;
  const unsupported = (what: string) => new UserError(`${source}: ${what} is not supported by the refiner's scheduler; give the schedule in model.json instead`);
  if (c.trained_betas !== undefined && c.trained_betas !== null) throw unsupported('trained_betas');
  if (c.rescale_betas_zero_snr === true) throw unsupported('rescale_betas_zero_snr');
  if (c.thresholding === true) throw unsupported('thresholding');
  const schedule: Record<string, unknown> = { type: c.beta_schedule ?? 'linear' };
  const keys = ['num_train_timesteps', 'beta_start', 'beta_end', 'timestep_spacing', 'steps_offset', 'set_alpha_to_one', 'clip_sample'];
  for (const key of keys) if (c[key] !== undefined && c[key] !== null) schedule[key] = c[key];
  return { prediction: c.prediction_type ?? 'epsilon', schedule };
}

/**
 * The smallest alphas_cumprod an SDEdit pass starts from (see NoiseSchedule.maxStartTimestep):
 * strength 1 starts at the last timestep whose alphas_cumprod is at least this. The cosine
 * schedule ends at alphas_cumprod[999] = 2.4e-9, where DDIM's x0 estimate (x - sqrt(1 - ab) eps) /
 * sqrt(ab) multiplies the model's error by 20000; at 1e-3 the factor is 32 (Stable Diffusion's
 * scaled_linear schedule ends at 4.7e-3, factor 15, and is untouched). What is clamped away is
 * invisible anyway: at 1e-3 the image is at 3% amplitude under unit noise. Cosine starts at most
 * at t = 978, linear (1e-4..0.02) at 824.
 */
export const MIN_START_ALPHA_BAR = 1e-3;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const f32 = Math.fround;

/**
 * torch.linspace(start, end, steps, dtype=float32) on CPU, to the last bit. start, end and the step
 * are float32; the second half is computed backwards from `end` so both ends are exact; and the
 * kernel is vectorized: blocks of VEC values are `base + k * step` from the block's first value
 * (two blocks per loop turn), the tail element by element. This is ATen's AVX2 kernel (8 floats a
 * vector, multiply-adds fused), the capability torch picks on x86: checked bit for bit against
 * torch 1.13 for linear, scaled_linear and cosine schedules. An AVX-512, ARM or CUDA build of torch
 * can differ from it in the last bit of some betas (relative 1e-7), which no model notices.
 */
function torchLinspaceF32(start: number, end: number, steps: number): Float32Array {
  const VEC = 8;
  const out = new Float32Array(steps);
  const s = f32(start);
  const e = f32(end);
  if (steps === 1) {
    out[0] = s;
    return out;
  }
  const step = f32(f32(e - s) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  // `a + b * c` is one fused multiply-add in the compiled kernel (a single rounding): with float32
  // operands and a small integer factor the double expression below is exact before f32().
  const at = (i: number) => (i < halfway ? f32(s + step * i) : f32(e - step * (steps - i - 1)));
  let i = 0;
  for (; i + 2 * VEC <= steps; i += 2 * VEC) {
    for (const b of [i, i + VEC]) {
      const base = at(b);
      for (let k = 0; k < VEC; k++) out[b + k] = f32(base + k * step);
    }
  }
  for (; i < steps; i++) out[i] = at(i);
  return out;
}

/** diffusers' betas_for_alpha_bar with the default cosine transform, max_beta 0.999 (float64, then float32). */
function cosineBetas(T: number): Float32Array {
  const alphaBar = (t: number) => Math.cos(((t + 0.008) / 1.008) * Math.PI / 2) ** 2;
  const betas = new Float32Array(T);
  for (let i = 0; i < T; i++) betas[i] = Math.min(1 - alphaBar((i + 1) / T) / alphaBar(i / T), 0.999);
  return betas;
}

export function betasFor(config: ScheduleConfig): Float32Array {
  const T = config.num_train_timesteps;
  switch (config.type) {
    case 'linear':
      return torchLinspaceF32(config.beta_start, config.beta_end, T);
    case 'scaled_linear': {
      const root = torchLinspaceF32(Math.sqrt(config.beta_start), Math.sqrt(config.beta_end), T);
      return root.map((r) => f32(r * r));
    }
    case 'squaredcos_cap_v2':
      return cosineBetas(T);
  }
}

/** alphas = 1 - betas (float32), cumulative product accumulated in float64, stored as float32. */
export function alphasCumprodFor(betas: Float32Array): Float32Array {
  const out = new Float32Array(betas.length);
  let acc = 1;
  for (let i = 0; i < betas.length; i++) {
    acc *= f32(1 - betas[i]);
    out[i] = acc;
  }
  return out;
}

/** Round half to even, as numpy's round does (Math.round rounds half up). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * One DDIM step of the img2img plan: run the model at `t`, then step to `tPrev` (negative means
 * "past the end": the final alpha is used).
 */
export interface PlanStep {
  t: number;
  tPrev: number;
}

export interface Img2ImgPlan {
  strength: number;
  /** Inference steps asked for (the full schedule's length); `steps.length` of them actually run. */
  numInferenceSteps: number;
  /** The timestep the clean image is noised to (steps[0].t), or null when nothing runs. */
  noiseTimestep: number | null;
  steps: PlanStep[];
}

/** The noise schedule of one model: alphas_cumprod, the DDIM plan, noising and DDIM steps. */
export class NoiseSchedule {
  readonly betas: Float32Array;
  readonly alphasCumprod: Float32Array;
  readonly finalAlphaCumprod: number;

  constructor(readonly config: ScheduleConfig, readonly prediction: PredictionType = 'epsilon') {
    this.betas = betasFor(config);
    this.alphasCumprod = alphasCumprodFor(this.betas);
    this.finalAlphaCumprod = config.set_alpha_to_one ? 1 : this.alphasCumprod[0];
  }

  static fromSidecar(sidecar: DiffusionSidecar): NoiseSchedule {
    return new NoiseSchedule(sidecar.schedule, sidecar.prediction);
  }

  /** alphas_cumprod[t], or the final alpha for t < 0 (the step after the last). */
  alphaBar(t: number): number {
    if (t < 0) return this.finalAlphaCumprod;
    if (!Number.isInteger(t) || t >= this.alphasCumprod.length) throw new RangeError(`timestep ${t} outside 0..${this.alphasCumprod.length - 1}`);
    return this.alphasCumprod[t];
  }

  /**
   * The last timestep whose alphas_cumprod is at least `floor` (MIN_START_ALPHA_BAR by default):
   * where an SDEdit pass at strength 1 starts, so the first x0 estimate stays finite.
   */
  maxStartTimestep(floor = MIN_START_ALPHA_BAR): number {
    let t = this.alphasCumprod.length - 1;
    while (t > 0 && this.alphasCumprod[t] < floor) t--;
    return t;
  }

  /** DDIMScheduler.set_timesteps(n): the full descending schedule of n timesteps. */
  timesteps(numInferenceSteps: number): number[] {
    const T = this.config.num_train_timesteps;
    const n = numInferenceSteps;
    if (!Number.isInteger(n) || n < 1 || n > T) throw new RangeError(`inference steps must be an integer in 1..${T}, got ${n}`);
    const out: number[] = [];
    switch (this.config.timestep_spacing) {
      case 'leading': {
        const ratio = Math.floor(T / n);
        for (let i = n - 1; i >= 0; i--) out.push(i * ratio + this.config.steps_offset);
        break;
      }
      case 'trailing': {
        // np.round(np.arange(T, 0, -T / n)) - 1
        // numpy's arange: length ceil((stop - start) / step), values start + i * step.
        const delta = -(T / n);
        const length = Math.ceil(-T / delta);
        for (let i = 0; i < length; i++) out.push(roundHalfEven(T + i * delta) - 1);
        break;
      }
      case 'linspace': {
        // np.linspace(0, T - 1, n).round()[::-1]
        const step = n > 1 ? (T - 1) / (n - 1) : 0;
        for (let i = n - 1; i >= 0; i--) out.push(i === n - 1 && n > 1 ? T - 1 : roundHalfEven(i * step));
        break;
      }
    }
    return out;
  }

  /**
   * The img2img plan of diffusers' StableDiffusionImg2ImgPipeline with this scheduler: the last
   * int(n * strength) timesteps of set_timesteps(n). Strength 0 (or n * s < 1) plans no step at
   * all, which the refiner treats as the identity.
   */
  img2imgPlan(strength: number, numInferenceSteps: number): Img2ImgPlan {
    if (!(strength >= 0 && strength <= 1)) throw new RangeError(`strength must be in [0, 1], got ${strength}`);
    const n = numInferenceSteps;
    const all = this.timesteps(n);
    const initTimestep = Math.min(Math.floor(n * strength), n);
    const tStart = Math.max(n - initTimestep, 0);
    const stride = Math.floor(this.config.num_train_timesteps / n);
    const steps = all.slice(tStart).map((t) => ({ t, tPrev: t - stride }));
    return { strength, numInferenceSteps: n, noiseTimestep: steps.length ? steps[0].t : null, steps };
  }

  /** scheduler.add_noise: sqrt(ab_t) * x0 + sqrt(1 - ab_t) * noise. */
  addNoise(x0: Float32Array, noise: Float32Array, t: number): Float32Array {
    if (noise.length !== x0.length) throw new RangeError(`noise has ${noise.length} values, the sample ${x0.length}`);
    const ab = this.alphaBar(t);
    const a = Math.sqrt(ab);
    const b = Math.sqrt(1 - ab);
    const out = new Float32Array(x0.length);
    for (let i = 0; i < x0.length; i++) out[i] = a * x0[i] + b * noise[i];
    return out;
  }

  /**
   * One deterministic DDIM step (eta = 0) from x_t at `t` to `tPrev`, given the model's output
   * (noise for "epsilon", velocity for "v_prediction"). Formula (12) of the DDIM paper, as
   * DDIMScheduler.step computes it.
   */
  ddimStep(xT: Float32Array, modelOutput: Float32Array, t: number, tPrev: number, prediction: PredictionType = this.prediction): Float32Array {
    if (modelOutput.length !== xT.length) throw new RangeError(`model output has ${modelOutput.length} values, the sample ${xT.length}`);
    const abT = this.alphaBar(t);
    const abPrev = this.alphaBar(tPrev);
    const sa = Math.sqrt(abT);
    const sb = Math.sqrt(1 - abT);
    const saPrev = Math.sqrt(abPrev);
    const sbPrev = Math.sqrt(1 - abPrev);
    const clip = this.config.clip_sample;
    const out = new Float32Array(xT.length);
    for (let i = 0; i < xT.length; i++) {
      const x = xT[i];
      const m = modelOutput[i];
      let x0: number;
      let eps: number;
      if (prediction === 'epsilon') {
        x0 = (x - sb * m) / sa;
        eps = m;
      } else {
        x0 = sa * x - sb * m;
        eps = sa * m + sb * x;
      }
      if (clip) {
        x0 = Math.min(1, Math.max(-1, x0));
        // diffusers keeps the model's epsilon (use_clipped_model_output = False): only x0 is clamped.
      }
      out[i] = saPrev * x0 + sbPrev * eps;
    }
    return out;
  }
}

/** Predicts the model output for a noisy sample at timestep t (a UNet forward pass, or a stub in tests). */
export type Denoiser = (sample: Float32Array, t: number) => Promise<Float32Array> | Float32Array;

/**
 * SDEdit-style img2img on one sample: noise `x0` to the plan's first timestep with `noise`, then
 * DDIM-denoise through the plan. With no step planned the result is a copy of `x0`, bit for bit:
 * strength 0 must be the identity, not "noise with zero weight" (sqrt(ab) * x0 != x0 in float32).
 */
export async function runImg2Img(schedule: NoiseSchedule, plan: Img2ImgPlan, x0: Float32Array, noise: Float32Array, denoise: Denoiser): Promise<Float32Array> {
  if (plan.steps.length === 0) return Float32Array.from(x0);
  let x = schedule.addNoise(x0, noise, plan.steps[0].t);
  for (const { t, tPrev } of plan.steps) {
    const out = await denoise(x, t);
    x = schedule.ddimStep(x, out, t, tPrev);
  }
  return x;
}
