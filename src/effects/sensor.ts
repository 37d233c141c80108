/**
 * Camera sensor effects on rendered frames: pure, deterministic functions on 8-bit RGB
 * (Uint8Array, 3 bytes per pixel, rows top-down). A frame's effects are drawn once from the scene's
 * `sensor` block (sampleSensorEffects), written to the frame's metadata as they are, and applied
 * (applySensorEffects) like a camera would:
 *
 *   sRGB 8-bit -> linear light
 *   -> exposure (x 2^ev) and white balance (x per-channel gains)
 *   -> defocus blur (disk) -> motion blur (line)          optics, linear light
 *   -> shot + read noise, saturation at full scale        the sensor, linear light
 *   -> sRGB 8-bit -> JPEG round trip                       the ISP's output
 *
 * The renders are sRGB-encoded 8-bit, so the linear stages decode them with the sRGB transfer
 * function (a 256-entry table) and encode back through a 65536-entry table. Without a linear
 * stage the image is not touched before the JPEG step; without any effect the result is a copy.
 */
import { Rng } from '../sampling/rng.js';
import { diskBlur, motionBlur } from './blur.js';
import { ENCODE_STEPS, LINEAR_TO_SRGB8, SRGB_TO_LINEAR, whiteBalanceGains } from './color.js';
import { jpegRoundTrip, type ChromaSubsampling } from './jpeg.js';
import { fillRandomBytes, NORMAL_LEVELS } from './normal.js';
import type { SensorSpec } from './sensor-schema.js';

type Rgb = [number, number, number];

/**
 * The sensor effects of one frame as drawn: only the effects that fired, with their concrete
 * values. Plain JSON (numbers, strings, arrays), for the frame's metadata; applySensorEffects
 * reproduces the frame's bytes from it and the noise seed.
 */
export interface SensorEffects {
  /** Linear light scaled by 2^ev. */
  exposure?: { ev: number };
  /**
   * A colour cast. `rgb_gains` are the per-channel linear multipliers applied; they are
   * whiteBalanceGains(temperature_k, duv) times `gains`, which are kept for the record.
   */
  white_balance?: { temperature_k: number; duv: number; gains: Rgb; rgb_gains: Rgb };
  /** Uniform disk kernel of this radius (px). */
  defocus_blur?: { radius_px: number };
  /** Box kernel along a segment of length_px at angle_deg (0 = +x, 90 = +y, image coordinates). */
  motion_blur?: { length_px: number; angle_deg: number };
  /** Noise variance, in 8-bit levels^2 of linear light: gaussian_sigma^2 + shot_gain * signal. */
  noise?: { gaussian_sigma: number; shot_gain: number };
  /** JPEG encode + decode at this quality. */
  jpeg?: { quality: number; subsampling: ChromaSubsampling };
}

/**
 * Draws a frame's effects from the `sensor` block. Takes exactly one value from `rng`, whatever the
 * block holds; each effect then draws from its own stream, firing (`p`) first and its parameters
 * after (drawn even when it does not fire). So adding, removing or changing one effect, or its p,
 * never changes what the others draw, and the result depends on nothing but the rng's state.
 */
export function sampleSensorEffects(spec: SensorSpec, rng: Rng): SensorEffects {
  const base = Math.floor(rng.next() * 4294967296);
  const stream = (name: string) => new Rng('sensor', base, name);
  const out: SensorEffects = {};

  if (spec.exposure) {
    const r = stream('exposure');
    const fire = r.next() < spec.exposure.p;
    const ev = r.range(spec.exposure.ev);
    if (fire) out.exposure = { ev };
  }
  if (spec.white_balance) {
    const wb = spec.white_balance;
    const r = stream('white_balance');
    const fire = r.next() < wb.p;
    const temperature_k = r.range(wb.temperature_k);
    const duv = r.range(wb.duv);
    const gains: Rgb = [r.range(wb.gains[0]), r.range(wb.gains[1]), r.range(wb.gains[2])];
    if (fire) {
      const cast = whiteBalanceGains(temperature_k, duv);
      out.white_balance = { temperature_k, duv, gains, rgb_gains: [cast[0] * gains[0], cast[1] * gains[1], cast[2] * gains[2]] };
    }
  }
  if (spec.defocus_blur) {
    const r = stream('defocus_blur');
    const fire = r.next() < spec.defocus_blur.p;
    const radius_px = r.range(spec.defocus_blur.radius_px);
    if (fire) out.defocus_blur = { radius_px };
  }
  if (spec.motion_blur) {
    const r = stream('motion_blur');
    const fire = r.next() < spec.motion_blur.p;
    const length_px = r.range(spec.motion_blur.length_px);
    const angle_deg = r.range(spec.motion_blur.angle_deg);
    if (fire) out.motion_blur = { length_px, angle_deg };
  }
  if (spec.noise) {
    const r = stream('noise');
    const fire = r.next() < spec.noise.p;
    const gaussian_sigma = r.range(spec.noise.gaussian_sigma);
    const shot_gain = r.range(spec.noise.shot_gain);
    if (fire) out.noise = { gaussian_sigma, shot_gain };
  }
  if (spec.jpeg) {
    const r = stream('jpeg');
    const fire = r.next() < spec.jpeg.p;
    const quality = r.int(spec.jpeg.quality);
    if (fire) out.jpeg = { quality, subsampling: spec.jpeg.subsampling };
  }
  return out;
}

/** 8-bit sRGB -> linear light, channel c multiplied by gain[c]. */
function decodeSrgb(rgb: Uint8Array, gain: number[]): Float32Array {
  const n = rgb.length;
  const lin = new Float32Array(n);
  for (let c = 0; c < 3; c++) {
    const lut = SRGB_TO_LINEAR.map((v) => v * gain[c]);
    for (let i = c; i < n; i += 3) lin[i] = lut[rgb[i]];
  }
  return lin;
}

/** Linear light -> 8-bit sRGB (clipped to [0, 1]) into `out`. */
function encodeSrgb(lin: Float32Array, out: Uint8Array): void {
  for (let i = 0; i < lin.length; i++) out[i] = encodeOne(lin[i]);
}

let scratchBytes = new Uint8Array(0);
/** A reused buffer of n bytes (its contents are garbage): a fresh 1 MB array each frame costs page faults. */
function scratch(n: number): Uint8Array {
  if (scratchBytes.length < n) scratchBytes = new Uint8Array(n);
  return scratchBytes.subarray(0, n);
}

/** Linear light (a float32, as the general path stores it) -> 8-bit sRGB, clipped to [0, 1]. */
function encodeOne(l: number): number {
  return LINEAR_TO_SRGB8[l <= 0 ? 0 : l >= 1 ? ENCODE_STEPS : (l * ENCODE_STEPS + 0.5) | 0];
}

/**
 * Linear light l (a float32) with its noise draw z (a NORMAL_LEVELS value):
 * the signal in 8-bit levels plus z times the standard deviation of read and shot noise. A value at
 * full scale stays white: a camera's white clip sits below its full-well capacity.
 */
function noisy(l: number, z: number, read: number, K: number): number {
  if (l >= 1) return l;
  const s = l > 0 ? l * 255 : 0;
  return Math.fround((s + Math.sqrt(read + K * s) * z) / 255);
}

/**
 * Gains and noise without blur, from 8-bit sRGB to 8-bit sRGB in one pass. Each output byte depends
 * only on its channel, its input byte and its noise byte, so the frame's whole transfer (decodeSrgb,
 * encodeNoisySrgb, with their float32 roundings) fits in a table of 3 x 256 x 256 bytes,
 * the same bytes as the general path at a fraction of its time.
 */
function pointwise(rgb: Uint8Array, out: Uint8Array, gain: number[], noise: { gaussian_sigma: number; shot_gain: number } | undefined, noiseSeed: (string | number)[]): void {
  const n = rgb.length;
  if (!noise) {
    for (let c = 0; c < 3; c++) {
      const table = new Uint8Array(256);
      for (let v = 0; v < 256; v++) table[v] = encodeOne(Math.fround(SRGB_TO_LINEAR[v] * gain[c]));
      for (let i = c; i < n; i += 3) out[i] = table[rgb[i]];
    }
    return;
  }
  const draws = fillRandomBytes(scratch(n), new Rng(...noiseSeed));
  const read = noise.gaussian_sigma * noise.gaussian_sigma, K = noise.shot_gain;
  const table = new Uint8Array(3 << 16); // index (channel << 16) | (input << 8) | draw
  for (let c = 0; c < 3; c++) {
    for (let v = 0; v < 256; v++) {
      const l = Math.fround(SRGB_TO_LINEAR[v] * gain[c]), row = (c << 16) | (v << 8);
      if (l >= 1) { table.fill(encodeOne(l), row, row + 256); continue; }
      // noisy(l, z, read, K) with its square root taken once per row.
      const s = l > 0 ? l * 255 : 0, sd = Math.sqrt(read + K * s);
      for (let r = 0; r < 256; r++) table[row | r] = encodeOne(Math.fround((s + sd * NORMAL_LEVELS[r]) / 255));
    }
  }
  for (let i = 0, c = 0; i < n; i++) {
    out[i] = table[(c << 16) | (rgb[i] << 8) | draws[i]];
    c = c === 2 ? 0 : c + 1;
  }
}

/**
 * Sensor noise, then the sRGB encoding, into `out`: per pixel and channel, signal s in 8-bit levels
 * of linear light plus a normal value of variance sigma^2 + K s (read noise, and photon noise
 * through a conversion gain of K levels per electron, in its Gaussian form). The normal values are
 * NORMAL_LEVELS indexed by one random byte per pixel and channel, in the order of the pixels, as
 * in the blur-free path.
 */
function encodeNoisySrgb(lin: Float32Array, sigma: number, K: number, rng: Rng, out: Uint8Array): void {
  const draws = fillRandomBytes(scratch(lin.length), rng);
  const read = sigma * sigma, levels = NORMAL_LEVELS;
  for (let i = 0; i < lin.length; i++) out[i] = encodeOne(noisy(lin[i], levels[draws[i]], read, K));
}

/** True when `effects` changes nothing (no effect fired). */
export function noSensorEffects(effects: SensorEffects): boolean {
  return !effects.exposure && !effects.white_balance && !effects.defocus_blur && !effects.motion_blur && !effects.noise && !effects.jpeg;
}

/**
 * The frame `rgb` (width x height, 3 bytes per pixel, rows top-down, sRGB) with `effects`
 * applied, as a new buffer. The noise comes from `new Rng(...noiseSeed)` (name the frame and the
 * purpose, e.g. [seed, frame, 'sensor-noise']), so the same effects and seed give the same bytes.
 * No effect: a byte-equal copy.
 */
export function applySensorEffects(rgb: Uint8Array, width: number, height: number, effects: SensorEffects, noiseSeed: (string | number)[]): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new Error(`sensor effects: bad image size ${width}x${height}`);
  if (rgb.length !== width * height * 3) throw new Error(`sensor effects: expected ${width * height * 3} bytes for ${width}x${height} RGB, got ${rgb.length}`);
  const { exposure, white_balance: wb, defocus_blur: defocus, motion_blur: motion, noise, jpeg } = effects;
  // A linear stage writes every byte of `out`; without one it starts as the input.
  const linear = Boolean(exposure || wb || defocus || motion || noise);
  let out: Uint8Array = linear ? new Uint8Array(rgb.length) : rgb.slice();

  if (linear) {
    // Decode to linear light with exposure and white balance folded into per-channel gains.
    const scale = exposure ? 2 ** exposure.ev : 1;
    const gain = [0, 1, 2].map((c) => scale * (wb ? wb.rgb_gains[c] : 1));
    const blurred = (defocus && defocus.radius_px > 0) || (motion && motion.length_px > 0);
    const noisy = noise && (noise.gaussian_sigma > 0 || noise.shot_gain > 0);
    if (!blurred) {
      // Each output byte depends on its input byte alone (and its noise draw): one pass through
      // per-channel tables, the same bytes as the general path below in a fraction of its time.
      pointwise(rgb, out, gain, noisy ? noise : undefined, noiseSeed);
    } else {
      let lin = decodeSrgb(rgb, gain);
      if (defocus && defocus.radius_px > 0) lin = diskBlur(lin, width, height, defocus.radius_px);
      if (motion && motion.length_px > 0) lin = motionBlur(lin, width, height, motion.length_px, motion.angle_deg);
      if (noisy) encodeNoisySrgb(lin, noise.gaussian_sigma, noise.shot_gain, new Rng(...noiseSeed), out);
      else encodeSrgb(lin, out);
    }
  }
  if (jpeg) out = jpegRoundTrip(out, width, height, jpeg.quality, jpeg.subsampling);
  return out;
}
