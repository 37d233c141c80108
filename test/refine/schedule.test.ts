import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { NoiseSchedule, parseDiffusionSidecar, runImg2Img, scheduleFromSchedulerConfig, type ScheduleConfig } from '../../src/refine/schedule.js';

/*
 * Reference values. diffusers is not installable here, so they come from torch 1.13 (Debian's
 * python3-torch, CPU, AVX2) running diffusers' own lines, DDIMScheduler.__init__:
 *   betas = torch.linspace(beta_start, beta_end, 1000, dtype=torch.float32)            # linear
 *   betas = torch.linspace(beta_start**0.5, beta_end**0.5, 1000, dtype=torch.float32) ** 2  # scaled_linear
 *   betas = betas_for_alpha_bar(1000)   # squaredcos_cap_v2: float64 cosine, min(.., 0.999), to float32
 *   alphas_cumprod = torch.cumprod(1.0 - betas, dim=0)
 * printed with repr(tensor[i].item()). The full 1000-value arrays of all three were compared bit
 * for bit once (0 mismatches); a few entries are kept here.
 * Timesteps: numpy, DDIMScheduler.set_timesteps:
 *   leading:  (np.arange(0, n) * (1000 // n)).round()[::-1] + steps_offset
 *   trailing: np.round(np.arange(1000, 0, -1000 / n)) - 1
 *   linspace: np.linspace(0, 999, n).round()[::-1]
 * img2img (StableDiffusionImg2ImgPipeline.get_timesteps):
 *   init_timestep = min(int(n * strength), n); t_start = max(n - init_timestep, 0); timesteps[t_start:]
 */
const config = (over: Partial<ScheduleConfig> = {}): ScheduleConfig => ({
  type: 'linear',
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  timestep_spacing: 'leading',
  steps_offset: 0,
  set_alpha_to_one: true,
  clip_sample: false,
  ...over,
});
const sd = { type: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012 } as const;

describe('alphas_cumprod as diffusers computes them', () => {
  it('linear (DDPM: 1e-4 .. 0.02)', () => {
    const s = new NoiseSchedule(config());
    expect(s.betas[0]).toBe(9.999999747378752e-5);
    expect(s.betas[1]).toBe(0.00011991991777904332);
    expect(s.betas[500]).toBe(0.010059960186481476);
    expect(s.betas[999]).toBe(0.019999999552965164);
    expect(s.alphasCumprod[0]).toBe(0.9998999834060669);
    expect(s.alphasCumprod[249]).toBe(0.5240854024887085);
    expect(s.alphasCumprod[500]).toBe(0.07779666036367416);
    expect(s.alphasCumprod[750]).toBe(0.003300159005448222);
    expect(s.alphasCumprod[999]).toBe(4.0358307160204276e-5);
  });

  it('scaled_linear (Stable Diffusion: 0.00085 .. 0.012)', () => {
    const s = new NoiseSchedule(config(sd));
    expect(s.betas[0]).toBe(0.0008499999530613422);
    expect(s.betas[250]).toBe(0.0024277609772980213);
    expect(s.betas[999]).toBe(0.011999999172985554);
    expect(s.alphasCumprod[0]).toBe(0.9991499781608582);
    expect(s.alphasCumprod[1]).toBe(0.9982960224151611);
    expect(s.alphasCumprod[250]).toBe(0.67379230260849);
    expect(s.alphasCumprod[499]).toBe(0.2776694595813751);
    expect(s.alphasCumprod[750]).toBe(0.05616981163620949);
    expect(s.alphasCumprod[999]).toBe(0.0046600960195064545);
  });

  it('squaredcos_cap_v2 (GLIDE cosine, beta capped at 0.999)', () => {
    const s = new NoiseSchedule(config({ type: 'squaredcos_cap_v2' }));
    expect(s.betas[0]).toBe(4.128422369831242e-5);
    expect(s.betas[998]).toBe(0.7499994039535522);
    expect(s.betas[999]).toBe(0.9990000128746033);
    expect(s.alphasCumprod[0]).toBe(0.9999586939811707);
    expect(s.alphasCumprod[250]).toBe(0.8458880186080933);
    expect(s.alphasCumprod[500]).toBe(0.4922850430011749);
    expect(s.alphasCumprod[999]).toBe(2.4287349909002387e-9);
  });

  it('final alpha: 1 with set_alpha_to_one, else alphas_cumprod[0]', () => {
    expect(new NoiseSchedule(config(sd)).alphaBar(-1)).toBe(1);
    expect(new NoiseSchedule(config({ ...sd, set_alpha_to_one: false })).alphaBar(-250)).toBe(0.9991499781608582);
  });
});

describe('DDIM timesteps and the img2img plan', () => {
  it('set_timesteps for each spacing', () => {
    const lead = new NoiseSchedule(config());
    expect(lead.timesteps(4)).toEqual([750, 500, 250, 0]);
    expect(lead.timesteps(3)).toEqual([666, 333, 0]);
    expect(lead.timesteps(7)).toEqual([852, 710, 568, 426, 284, 142, 0]);
    expect(new NoiseSchedule(config({ steps_offset: 1 })).timesteps(4)).toEqual([751, 501, 251, 1]);
    const trail = new NoiseSchedule(config({ timestep_spacing: 'trailing' }));
    expect(trail.timesteps(4)).toEqual([999, 749, 499, 249]);
    expect(trail.timesteps(3)).toEqual([999, 666, 332]);
    expect(trail.timesteps(16)).toEqual([999, 937, 874, 811, 749, 687, 624, 561, 499, 437, 374, 311, 249, 187, 124, 61]);
    const lin = new NoiseSchedule(config({ timestep_spacing: 'linspace' }));
    expect(lin.timesteps(3)).toEqual([999, 500, 0]);
    expect(lin.timesteps(9)).toEqual([999, 874, 749, 624, 500, 375, 250, 125, 0]);
    expect(lin.timesteps(16)).toEqual([999, 932, 866, 799, 733, 666, 599, 533, 466, 400, 333, 266, 200, 133, 67, 0]);
  });

  it('img2img keeps the last int(n * strength) timesteps; each steps back by T // n', () => {
    const s = new NoiseSchedule(config(sd));
    const ts = (strength: number, n: number) => s.img2imgPlan(strength, n).steps.map((p) => p.t);
    // n = 4, s = 0.3: int(1.2) = 1 step, at t = 0: diffusers' plan with "leading" barely noises.
    expect(ts(0.3, 4)).toEqual([0]);
    expect(ts(0.5, 4)).toEqual([250, 0]);
    expect(ts(1, 4)).toEqual([750, 500, 250, 0]);
    expect(ts(0.24, 4)).toEqual([]);
    expect(ts(0.25, 4)).toEqual([0]);
    expect(ts(0.7, 10)).toEqual([600, 500, 400, 300, 200, 100, 0]);
    expect(ts(0.9, 3)).toEqual([333, 0]);
    expect(ts(0.3, 50)).toEqual([280, 260, 240, 220, 200, 180, 160, 140, 120, 100, 80, 60, 40, 20, 0]);
    const plan = s.img2imgPlan(0.5, 4);
    expect(plan.noiseTimestep).toBe(250);
    expect(plan.steps).toEqual([{ t: 250, tPrev: 0 }, { t: 0, tPrev: -250 }]);
    // "trailing" puts the same single step at t = 249.
    expect(new NoiseSchedule(config({ ...sd, timestep_spacing: 'trailing' })).img2imgPlan(0.3, 4).steps).toEqual([{ t: 249, tPrev: -1 }]);
  });

  it('strength 0 plans nothing and is the identity, bit for bit', async () => {
    const s = new NoiseSchedule(config(sd));
    const plan = s.img2imgPlan(0, 4);
    expect(plan.steps).toEqual([]);
    expect(plan.noiseTimestep).toBeNull();
    const x0 = Float32Array.from([0.1, -0.7, 0.33333334, 1, -1]);
    const noise = Float32Array.from([5, -5, 5, -5, 5]);
    const out = await runImg2Img(s, plan, x0, noise, () => {
      throw new Error('no model call at strength 0');
    });
    expect(out).toEqual(x0);
    expect(out).not.toBe(x0);
  });

  it('rejects strengths and step counts diffusers would not take', () => {
    const s = new NoiseSchedule(config());
    expect(() => s.img2imgPlan(1.5, 4)).toThrow(RangeError);
    expect(() => s.img2imgPlan(0.5, 0)).toThrow(RangeError);
    expect(() => s.img2imgPlan(0.5, 1001)).toThrow(RangeError);
  });
});

describe('addNoise and ddimStep (eta = 0) against diffusers', () => {
  // torch float32, diffusers' add_noise and DDIMScheduler.step (clip_sample off, set_alpha_to_one)
  // on the scaled_linear schedule with x = [0.5, -0.25, 1], model output [0.2, -0.7, 0.05].
  const s = new NoiseSchedule(config(sd));
  const x = Float32Array.from([0.5, -0.25, 1]);
  const m = Float32Array.from([0.2, -0.7, 0.05]);
  const close = (got: Float32Array, want: number[]) => want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 6));

  it('add_noise', () => {
    close(s.addNoise(x, m, 750), [0.3128027021884918, -0.7393068671226501, 0.2855771780014038]);
    close(s.addNoise(x, m, 0), [0.5056184530258179, -0.27030232548713684, 1.0010327100753784]);
  });

  it('epsilon prediction', () => {
    close(s.ddimStep(x, m, 500, 250, 'epsilon'), [0.6293157935142517, 0.13967198133468628, 1.5236573219299316]);
    close(s.ddimStep(x, m, 250, 0, 'epsilon'), [0.4755971133708954, 0.16201052069664001, 1.1844162940979004]);
    close(s.ddimStep(x, m, 0, -250, 'epsilon'), [0.4943791329860687, -0.22968904674053192, 0.9989669322967529]);
  });

  it('v prediction', () => {
    close(s.ddimStep(x, m, 500, 250, 'v_prediction'), [0.37907248735427856, 0.04929289221763611, 0.897462010383606]);
    close(s.ddimStep(x, m, 250, 0, 'v_prediction'), [0.30918145179748535, 0.1735919713973999, 0.8098028302192688]);
    close(s.ddimStep(x, m, 0, -250, 'v_prediction'), [0.49395641684532166, -0.22948512434959412, 0.9981171488761902]);
  });

  it('a perfect noise predictor recovers x0 in one step to the end', () => {
    const x0 = Float32Array.from([0.25, -0.5, 0.75, 0]);
    const eps = Float32Array.from([1.2, -0.3, 0.4, -2]);
    const xt = s.addNoise(x0, eps, 600);
    const ab = s.alphaBar(600);
    // v = sqrt(ab) * eps - sqrt(1 - ab) * x0, the v-prediction target.
    const v = eps.map((e, i) => Math.sqrt(ab) * e - Math.sqrt(1 - ab) * x0[i]);
    for (const [pred, out] of [['epsilon', eps], ['v_prediction', v]] as const) {
      const back = s.ddimStep(xt, out, 600, -1, pred);
      x0.forEach((want, i) => expect(back[i]).toBeCloseTo(want, 5));
    }
  });
});

describe('the sidecar', () => {
  it('reads diffusers names and fills diffusers defaults', () => {
    const parsed = parseDiffusionSidecar({ prediction: 'v_prediction', resolution: 64, schedule: { type: 'scaled_linear', num_train_timesteps: 1000, beta_start: 0.00085, beta_end: 0.012 } });
    expect(parsed).toEqual({ prediction: 'v_prediction', schedule: config({ ...sd }) });
  });

  it('takes the training script\'s sidecar: null betas for the cosine schedule, an alphas_cumprod check', () => {
    // As scripts/refiner/train.py writes it: numpy float64 values rounded to 8 decimals.
    const parsed = parseDiffusionSidecar({
      kind: 'pixel-unet',
      prediction: 'epsilon',
      schedule: { type: 'squaredcos_cap_v2', num_train_timesteps: 1000, beta_start: null, beta_end: null, alphas_cumprod_check: { 0: 0.99995872, 499: 0.49384359, 999: 0 } },
    });
    expect(parsed.schedule.type).toBe('squaredcos_cap_v2');
    expect(parsed.alphasCumprodCheck).toEqual({ 0: 0.99995872, 499: 0.49384359, 999: 0 });
    // The same check against a linear schedule: another model, refused.
    expect(() => parseDiffusionSidecar({ schedule: { type: 'linear', alphas_cumprod_check: { 499: 0.49384359 } } }, 'x.json')).toThrow(
      /x.json: schedule: alphas_cumprod\[499\] is 0.0785\d* here but 0.49384359 in the sidecar/,
    );
  });

  it('says what is wrong', () => {
    const bad = (json: unknown) => () => parseDiffusionSidecar(json, 'm/model.json');
    expect(bad({ prediction: 'sample', schedule: { type: 'linear' } })).toThrow(/m\/model.json: prediction: expected one of epsilon, v_prediction/);
    expect(bad({ schedule: { type: 'cosine' } })).toThrow(/schedule.type: expected one of linear, scaled_linear, squaredcos_cap_v2/);
    expect(bad({ schedule: { type: 'linear', beta_schedul: 'x' } })).toThrow(/schedule.beta_schedul: unknown key/);
    expect(bad({ schedule: { type: 'linear', num_train_timesteps: 10.5 } })).toThrow(/num_train_timesteps/);
    expect(bad({ prediction: 'epsilon' })).toThrow(UserError);
  });
});

describe("diffusers' scheduler_config.json", () => {
  it('gives the sidecar\'s schedule and prediction (SD-Turbo\'s Euler config as an example)', () => {
    const turbo = {
      _class_name: 'EulerDiscreteScheduler', beta_end: 0.012, beta_schedule: 'scaled_linear', beta_start: 0.00085, interpolation_type: 'linear',
      num_train_timesteps: 1000, prediction_type: 'epsilon', steps_offset: 1, timestep_spacing: 'trailing', trained_betas: null, use_karras_sigmas: false,
    };
    const sidecar = parseDiffusionSidecar(scheduleFromSchedulerConfig(turbo));
    expect(sidecar.prediction).toBe('epsilon');
    expect(sidecar.schedule).toEqual({
      type: 'scaled_linear', num_train_timesteps: 1000, beta_start: 0.00085, beta_end: 0.012, timestep_spacing: 'trailing', steps_offset: 1, set_alpha_to_one: true, clip_sample: false,
    });
    expect(() => scheduleFromSchedulerConfig({ ...turbo, rescale_betas_zero_snr: true }, 'x.json')).toThrow(/x.json: rescale_betas_zero_snr is not supported/);
    expect(() => scheduleFromSchedulerConfig({ ...turbo, trained_betas: [0.1] })).toThrow(/trained_betas/);
    expect(() => scheduleFromSchedulerConfig([])).toThrow(UserError);
  });
});
