/**
 * A JPEG round trip (encode + decode) without the bitstream: the entropy coding of baseline JPEG
 * is lossless, so the image a decoder returns depends only on the lossy steps, computed here as
 * libjpeg does them: RGB -> YCbCr (JFIF, 8-bit), 2x2 chroma subsampling for 4:2:0, edge
 * replication to whole blocks, the 8x8 DCT, quantisation with the Annex K tables scaled by the
 * IJG quality formula, dequantisation, the inverse DCT, libjpeg's default "fancy" (triangular)
 * chroma upsampling and YCbCr -> RGB. The DCTs are libjpeg's floating-point AAN ones (JDCT_FLOAT,
 * jfdctflt.c and jidctflt.c, here in double precision); against libjpeg-turbo's default integer
 * DCT the output differs by a level or so at some pixels.
 * No dependency, deterministic, and faster than an encoder + decoder (no Huffman coding).
 */

/** ITU-T T.81 Annex K tables, row-major (not zigzag). */
const LUMA = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
  14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
  49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
const CHROMA = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
  47, 66, 99, 99, 99, 99, 99, 99, ...new Array<number>(32).fill(99),
];

/** libjpeg's jpeg_quality_scaling and jpeg_add_quant_table (baseline: entries clamped to 1..255). */
export function quantTable(base: readonly number[], quality: number): Float64Array {
  const q = Math.min(100, Math.max(1, Math.round(quality)));
  const scale = q < 50 ? Math.floor(5000 / q) : 200 - 2 * q;
  return Float64Array.from(base, (b) => Math.min(255, Math.max(1, Math.floor((b * scale + 50) / 100))));
}

/**
 * The scale of the AAN DCT's outputs: coefficient (v, u) comes out 8 * AAN[v] * AAN[u] times the
 * true (orthonormal) one, so libjpeg folds these factors into the quantisation divisors and the
 * dequantisation multipliers.
 */
const AAN = [1, 1.387039845, 1.306562965, 1.175875602, 1, 0.785694958, 0.5411961, 0.275899379];

/** libjpeg's float quantisation divisors (jcdctmgr.c) and dequantisation multipliers (jddctmgr.c, with jidctflt's 1/8). */
function aanTables(q: Float64Array): { div: Float64Array; mul: Float64Array } {
  const div = new Float64Array(64), mul = new Float64Array(64);
  for (let v = 0; v < 8; v++) {
    for (let u = 0; u < 8; u++) {
      const i = v * 8 + u, s = AAN[v] * AAN[u];
      div[i] = 1 / (q[i] * s * 8);
      mul[i] = (q[i] * s) / 8;
    }
  }
  return { div, mul };
}

/**
 * Every 8x8 block of a plane (pw x ph, both multiples of 8) through DCT -> quantise -> dequantise
 * -> IDCT, in place.
 */
function codePlane(plane: Uint8ClampedArray, pw: number, ph: number, q: Float64Array): void {
  const { div, mul } = aanTables(q);
  const blk = new Float64Array(64);
  for (let by = 0; by < ph; by += 8) {
    for (let bx = 0; bx < pw; bx += 8) codeBlock(plane, by * pw + bx, pw, div, mul, blk);
  }
}

/** jfdctflt.c: the forward AAN DCT of 8 values at d[o], d[o + st], ... in place. */
function fdct8(d: Float64Array, o: number, st: number): void {
  const d0 = d[o], d1 = d[o + st], d2 = d[o + 2 * st], d3 = d[o + 3 * st];
  const d4 = d[o + 4 * st], d5 = d[o + 5 * st], d6 = d[o + 6 * st], d7 = d[o + 7 * st];
  const tmp0 = d0 + d7, tmp7 = d0 - d7, tmp1 = d1 + d6, tmp6 = d1 - d6;
  const tmp2 = d2 + d5, tmp5 = d2 - d5, tmp3 = d3 + d4, tmp4 = d3 - d4;
  // Even part.
  const tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;
  d[o] = tmp10 + tmp11;
  d[o + 4 * st] = tmp10 - tmp11;
  const z1 = (tmp12 + tmp13) * 0.707106781;
  d[o + 2 * st] = tmp13 + z1;
  d[o + 6 * st] = tmp13 - z1;
  // Odd part.
  const t10 = tmp4 + tmp5, t11 = tmp5 + tmp6, t12 = tmp6 + tmp7;
  const z5 = (t10 - t12) * 0.382683433;
  const z2 = 0.5411961 * t10 + z5;
  const z4 = 1.306562965 * t12 + z5;
  const z3 = t11 * 0.707106781;
  const z11 = tmp7 + z3, z13 = tmp7 - z3;
  d[o + 5 * st] = z13 + z2;
  d[o + 3 * st] = z13 - z2;
  d[o + st] = z11 + z4;
  d[o + 7 * st] = z11 - z4;
}

/** jidctflt.c: the inverse AAN DCT of 8 (dequantised) values at d[o], d[o + st], ... in place. */
function idct8(d: Float64Array, o: number, st: number): void {
  // Even part.
  const e0 = d[o], e1 = d[o + 2 * st], e2 = d[o + 4 * st], e3 = d[o + 6 * st];
  const tmp10 = e0 + e2, tmp11 = e0 - e2;
  const tmp13 = e1 + e3;
  const tmp12 = (e1 - e3) * 1.414213562 - tmp13;
  const tmp0 = tmp10 + tmp13, tmp3 = tmp10 - tmp13, tmp1 = tmp11 + tmp12, tmp2 = tmp11 - tmp12;
  // Odd part.
  const o4 = d[o + st], o5 = d[o + 3 * st], o6 = d[o + 5 * st], o7 = d[o + 7 * st];
  const z13 = o6 + o5, z10 = o6 - o5, z11 = o4 + o7, z12 = o4 - o7;
  const tmp7 = z11 + z13;
  const t11 = (z11 - z13) * 1.414213562;
  const z5 = (z10 + z12) * 1.847759065;
  const t10 = 1.0823922 * z12 - z5;
  const t12 = -2.61312593 * z10 + z5;
  const tmp6 = t12 - tmp7, tmp5 = t11 - tmp6, tmp4 = t10 + tmp5;
  d[o] = tmp0 + tmp7;
  d[o + 7 * st] = tmp0 - tmp7;
  d[o + st] = tmp1 + tmp6;
  d[o + 6 * st] = tmp1 - tmp6;
  d[o + 2 * st] = tmp2 + tmp5;
  d[o + 5 * st] = tmp2 - tmp5;
  d[o + 4 * st] = tmp3 + tmp4;
  d[o + 3 * st] = tmp3 - tmp4;
}

/**
 * One 8x8 block at `at` (row stride pw) through the lossy steps, in place; writing to the clamped
 * plane rounds and range-limits the decoded samples as a decoder does.
 */
function codeBlock(plane: Uint8ClampedArray, at: number, pw: number, div: Float64Array, mul: Float64Array, blk: Float64Array): void {
  for (let y = 0; y < 8; y++) {
    const s = at + y * pw;
    for (let x = 0; x < 8; x++) blk[y * 8 + x] = plane[s + x] - 128;
  }
  for (let y = 0; y < 8; y++) fdct8(blk, y * 8, 1);
  for (let x = 0; x < 8; x++) fdct8(blk, x, 8);
  // Quantisation (libjpeg rounds half up: (int)(x + 16384.5) - 16384) and dequantisation.
  let ac = false;
  for (let i = 0; i < 64; i++) {
    const level = Math.floor(blk[i] * div[i] + 0.5);
    if (level !== 0 && i !== 0) ac = true;
    blk[i] = level * mul[i];
  }
  if (!ac) {
    // DC only: a flat block.
    const v = Math.round(blk[0] + 128);
    for (let y = 0; y < 8; y++) plane.fill(v, at + y * pw, at + y * pw + 8);
    return;
  }
  for (let x = 0; x < 8; x++) idct8(blk, x, 8);
  for (let y = 0; y < 8; y++) idct8(blk, y * 8, 1);
  for (let y = 0; y < 8; y++) {
    const s = at + y * pw;
    for (let x = 0; x < 8; x++) plane[s + x] = blk[y * 8 + x] + 128;
  }
}

/**
 * libjpeg's h2v2_fancy_upsample: each output sample is 9/16, 3/16, 3/16, 1/16 of the four nearest
 * chroma samples (triangle filter), with its rounding biases; rows and columns past the edge
 * repeat the edge. Writes ow x oh samples into `out` (row stride `stride`).
 */
function fancyUpsample(c: Uint8ClampedArray, cw: number, ch: number, out: Uint8ClampedArray, stride: number, ow: number, oh: number): void {
  const colsum = new Int32Array(cw);
  for (let oy = 0; oy < oh; oy++) {
    const y = oy >> 1;
    const yn = oy & 1 ? Math.min(ch - 1, y + 1) : Math.max(0, y - 1);
    const near = y * cw, far = yn * cw;
    for (let x = 0; x < cw; x++) colsum[x] = 3 * c[near + x] + c[far + x];
    const o = oy * stride;
    // Output columns 2x (left of chroma sample x) and 2x + 1 (right of it); the edges repeat.
    for (let x = 0; x < cw; x++) {
      const self3 = 3 * colsum[x];
      const left = x > 0 ? colsum[x - 1] : colsum[x], right = x + 1 < cw ? colsum[x + 1] : colsum[x];
      const ox = 2 * x;
      if (ox < ow) out[o + ox] = (self3 + left + 8) >> 4;
      if (ox + 1 < ow) out[o + ox + 1] = (self3 + right + 7) >> 4;
    }
  }
}

export type ChromaSubsampling = '4:2:0' | '4:4:4';

// libjpeg's colour conversion in 16-bit fixed point (jccolor.c, jdcolor.c), as lookup tables.
const FIX = (x: number) => Math.floor(x * 65536 + 0.5);
const HALF = 1 << 15;
const table = (f: (i: number) => number) => Int32Array.from({ length: 256 }, (_, i) => f(i));
const Y_R = table((i) => FIX(0.299) * i), Y_G = table((i) => FIX(0.587) * i), Y_B = table((i) => FIX(0.114) * i + HALF);
const CB_R = table((i) => -FIX(0.16874) * i), CB_G = table((i) => -FIX(0.33126) * i), CB_B = table((i) => FIX(0.5) * i + (128 << 16) + HALF - 1);
const CR_G = table((i) => -FIX(0.41869) * i), CR_B = table((i) => -FIX(0.08131) * i); // Cr's R term is CB_B's
const R_CR = table((i) => (FIX(1.402) * (i - 128) + HALF) >> 16), B_CB = table((i) => (FIX(1.772) * (i - 128) + HALF) >> 16);
const G_CR = table((i) => -FIX(0.71414) * (i - 128)), G_CB = table((i) => -FIX(0.34414) * (i - 128) + HALF);

/** JFIF RGB -> Y, Cb, Cr planes of pw x ph (8-bit), the last column and row repeated. */
function toYcc(rgb: Uint8Array, w: number, h: number, pw: number, ph: number, Y: Uint8ClampedArray, Cb: Uint8ClampedArray, Cr: Uint8ClampedArray): void {
  // Locals: imported and module-level bindings are slow to reach in a hot loop.
  const yr = Y_R, yg = Y_G, yb = Y_B, cbr = CB_R, cbg = CB_G, cbb = CB_B, crg = CR_G, crb = CR_B;
  for (let y = 0; y < h; y++) {
    let s = 3 * y * w, i = y * pw;
    for (let x = 0; x < w; x++, s += 3, i++) {
      const r = rgb[s], g = rgb[s + 1], b = rgb[s + 2];
      Y[i] = (yr[r] + yg[g] + yb[b]) >> 16;
      Cb[i] = (cbr[r] + cbg[g] + cbb[b]) >> 16;
      Cr[i] = (cbb[r] + crg[g] + crb[b]) >> 16;
    }
  }
  for (const plane of [Y, Cb, Cr]) {
    for (let y = 0; y < h; y++) plane.fill(plane[y * pw + w - 1], y * pw + w, (y + 1) * pw);
    for (let y = h; y < ph; y++) plane.copyWithin(y * pw, (h - 1) * pw, h * pw);
  }
}

/** libjpeg's h2v2_downsample: the mean of each 2x2, rounding bias alternating 1, 2. */
function downsample(src: Uint8ClampedArray, pw: number, ph: number): Uint8ClampedArray {
  const cw = pw / 2, ch = ph / 2;
  const d = new Uint8ClampedArray(cw * ch);
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const a = 2 * y * pw + 2 * x;
      d[y * cw + x] = (src[a] + src[a + 1] + src[a + pw] + src[a + pw + 1] + 1 + (x & 1)) >> 2;
    }
  }
  return d;
}

/** The top-left uw x uh of a plane cw wide. */
function crop(src: Uint8ClampedArray, cw: number, uw: number, uh: number): Uint8ClampedArray {
  const d = new Uint8ClampedArray(uw * uh);
  for (let y = 0; y < uh; y++) d.set(src.subarray(y * cw, y * cw + uw), y * uw);
  return d;
}

/** JFIF YCbCr planes (row stride pw) -> RGB w x h, range-limited. */
function toRgb(Y: Uint8ClampedArray, Cb: Uint8ClampedArray, Cr: Uint8ClampedArray, pw: number, w: number, h: number): Uint8Array {
  const out = new Uint8ClampedArray(w * h * 3);
  const rcr = R_CR, gcb = G_CB, gcr = G_CR, bcb = B_CB; // locals, as in toYcc
  for (let y = 0; y < h; y++) {
    let i = y * pw, o = 3 * y * w;
    for (let x = 0; x < w; x++, i++, o += 3) {
      const yy = Y[i], cb = Cb[i], cr = Cr[i];
      out[o] = yy + rcr[cr];
      out[o + 1] = yy + ((gcb[cb] + gcr[cr]) >> 16);
      out[o + 2] = yy + bcb[cb];
    }
  }
  return new Uint8Array(out.buffer);
}

/** The image a JPEG encoder at `quality` (1..100) followed by a decoder returns. A new buffer. */
export function jpegRoundTrip(rgb: Uint8Array, w: number, h: number, quality: number, subsampling: ChromaSubsampling = '4:2:0'): Uint8Array {
  const sub = subsampling === '4:2:0';
  const mcu = sub ? 16 : 8;
  const pw = Math.ceil(w / mcu) * mcu, ph = Math.ceil(h / mcu) * mcu;
  // Uint8ClampedArray planes: every write rounds and range-limits, as libjpeg's 8-bit samples.
  const Y = new Uint8ClampedArray(pw * ph), Cb = new Uint8ClampedArray(pw * ph), Cr = new Uint8ClampedArray(pw * ph);
  toYcc(rgb, w, h, pw, ph, Y, Cb, Cr);
  const qY = quantTable(LUMA, quality), qC = quantTable(CHROMA, quality);
  codePlane(Y, pw, ph, qY);
  if (!sub) {
    for (const c of [Cb, Cr]) {
      codePlane(c, pw, ph, qC);
    }
    return toRgb(Y, Cb, Cr, pw, w, h);
  }
  const cw = pw / 2, ch = ph / 2;
  // The decoder upsamples only the image's own chroma extent, ceil(w / 2) x ceil(h / 2).
  const uw = Math.ceil(w / 2), uh = Math.ceil(h / 2);
  for (const c of [Cb, Cr]) {
    const small = downsample(c, pw, ph);
    codePlane(small, cw, ch, qC);
    fancyUpsample(crop(small, cw, uw, uh), uw, uh, c, pw, w, h);
  }
  return toRgb(Y, Cb, Cr, pw, w, h);
}
