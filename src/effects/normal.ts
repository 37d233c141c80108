/**
 * Standard normal values, fast enough for one per pixel and channel (a 640x480 frame needs 921,600):
 * Marsaglia and Tsang's ziggurat (2000) with 128 layers, on an sfc32 stream seeded from the
 * project's seeded Rng (src/sampling/rng.ts). About 97% of draws cost one 32-bit draw, a
 * multiplication and a comparison; Box–Muller (src/refine/noise.ts) needs a logarithm, a square
 * root, a sine and a cosine per pair and is about five times slower here. The tables and the rare
 * wedge and tail draws use Math.exp and Math.log: V8's own fdlibm port, the same on every machine
 * running the same V8.
 */
import type { Rng } from '../sampling/rng.js';

const LAYERS = 128;
const R = 3.442619855899; // where the base strip's tail begins
const kn = new Float64Array(LAYERS);
const wn = new Float64Array(LAYERS);
const fn = new Float64Array(LAYERS);
{
  const m1 = 2147483648;
  const vn = 9.91256303526217e-3;
  let dn = R, tn = R;
  const q = vn / Math.exp(-0.5 * dn * dn);
  kn[0] = Math.floor((dn / q) * m1);
  kn[1] = 0;
  wn[0] = q / m1;
  wn[LAYERS - 1] = dn / m1;
  fn[0] = 1;
  fn[LAYERS - 1] = Math.exp(-0.5 * dn * dn);
  for (let i = LAYERS - 2; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(vn / dn + Math.exp(-0.5 * dn * dn)));
    kn[i + 1] = Math.floor((dn / tn) * m1);
    tn = dn;
    fn[i] = Math.exp(-0.5 * dn * dn);
    wn[i] = dn / m1;
  }
}

/**
 * sfc32 (the generator of src/sampling/rng.ts) on an Int32Array state: the state stays in 32-bit
 * integers, never boxed as heap numbers, so a draw costs a few nanoseconds. Returns a signed
 * 32-bit value.
 */
function next32(st: Int32Array): number {
  const a = st[0], b = st[1], c = st[2], d = st[3];
  const t = (((a + b) | 0) + d) | 0;
  st[3] = (d + 1) | 0;
  st[0] = b ^ (b >>> 9);
  st[1] = (c + (c << 3)) | 0;
  st[2] = (((c << 21) | (c >>> 11)) + t) | 0;
  return t;
}

/** A uniform value in (0, 1]. */
const uniform = (st: Int32Array) => ((next32(st) >>> 0) + 1) / 4294967296;

/** The slow path: the wedges between layers and the tail beyond R. */
function slow(st: Int32Array, hz: number, iz: number): number {
  for (;;) {
    const x = hz * wn[iz];
    if (iz === 0) {
      let tx: number, ty: number;
      do {
        tx = -Math.log(uniform(st)) / R;
        ty = -Math.log(uniform(st));
      } while (ty + ty < tx * tx);
      return hz > 0 ? R + tx : -R - tx;
    }
    if (fn[iz] + uniform(st) * (fn[iz - 1] - fn[iz]) < Math.exp(-0.5 * x * x)) return x;
    hz = next32(st);
    iz = hz & (LAYERS - 1);
    const x2 = hz * wn[iz];
    if (x2 < xlim[iz] && x2 > -xlim[iz]) return x2;
  }
}

/** |x| below this in layer i takes the fast path: kn[i] * wn[i]. */
const xlim = Float64Array.from(kn, (k, i) => k * wn[i]);

/**
 * Fills `out` with standard normal values. They come from an sfc32 stream of their own, seeded
 * by four draws of `rng` (and nothing else), so they are as reproducible as the rng.
 */
export function fillNormal(out: Float32Array, rng: Rng): Float32Array {
  const st = new Int32Array(4);
  for (let i = 0; i < 4; i++) st[i] = Math.floor(rng.next() * 4294967296);
  st[3] |= 1;
  for (let i = 0; i < 12; i++) next32(st);
  // The fast path keeps the state in locals; the slow path (about 1 in 100) works on `st`.
  let a = st[0], b = st[1], c = st[2], d = st[3];
  const w = wn, lims = xlim; // locals: module bindings are slower to reach in a hot loop
  for (let i = 0; i < out.length; i++) {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (((c << 21) | (c >>> 11)) + t) | 0;
    const iz = t & (LAYERS - 1);
    const x = t * w[iz];
    const lim = lims[iz];
    if (x < lim && x > -lim) {
      out[i] = x;
    } else {
      st[0] = a; st[1] = b; st[2] = c; st[3] = d;
      out[i] = slow(st, t, iz);
      a = st[0]; b = st[1]; c = st[2]; d = st[3];
    }
  }
  return out;
}
