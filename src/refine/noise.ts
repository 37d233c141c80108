/**
 * Seeded Gaussian noise for img2img. The refiner's output must depend on nothing but (seed,
 * frame, ...): a frame refined twice, or on another machine, gives the same bytes. So the noise
 * comes from the project's own seeded stream (src/sampling/rng.ts) through Box–Muller, never from
 * Math.random or the ONNX runtime.
 *
 * Box–Muller uses Math.log, Math.sqrt, Math.cos and Math.sin. V8 computes the transcendental ones
 * with its own port of fdlibm, not the C library, so the values are the same on every machine
 * that runs the same V8 (they have not changed in years, but a Node upgrade is the one thing that
 * could move a bit).
 */
import { Rng } from '../sampling/rng.js';

/**
 * `length` standard normal values from `rng`, as float32. Each uniform pair gives two values
 * (cos and sin branches); an odd length drops the last sin.
 */
export function gaussianNoise(length: number, rng: Rng): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i += 2) {
    // 1 - next() is in (0, 1]: log never sees 0.
    const u1 = 1 - rng.next();
    const u2 = rng.next();
    const r = Math.sqrt(-2 * Math.log(u1));
    const a = 2 * Math.PI * u2;
    out[i] = r * Math.cos(a);
    if (i + 1 < length) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

/**
 * Noise from a stream named by its parts, e.g. `seededNoise(h * w * 3, seed, frame)`. Generate it
 * for the whole frame (H x W x 3, the image's layout) and cut tiles from it with the image's
 * tiling (splitTiles): overlapping tiles then start from the same noise where they overlap, so
 * they disagree less there and the blend has less to hide.
 */
export function seededNoise(length: number, ...parts: (string | number)[]): Float32Array {
  return gaussianNoise(length, new Rng('refine-noise', ...parts));
}
