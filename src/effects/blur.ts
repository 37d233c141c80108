/**
 * Optical blurs on linear RGB (Float32Array, 3 interleaved channels, rows top-down), in time
 * independent of the kernel's length where it can be: sliding-window sums of box spans.
 * Pixels outside the frame repeat the nearest edge pixel.
 */

/**
 * A box of total length `s` centred on a pixel, integrated against the pixel grid: pixels at
 * |d| <= k are covered fully, the two at |d| = k + 1 by `e` (0 <= e < 1); `scale` multiplies the
 * whole span (a span shorter than a pixel is the centre pixel at weight s).
 */
interface Span { k: number; e: number; scale: number }

/**
 * Reused temporaries by name (contents are garbage): the shears' intermediate images are several
 * MB, and fresh ones each frame cost page faults and zeroing. Never returned to a caller.
 */
const scratchBuffers = new Map<string, Float32Array>();
function scratch(name: string, n: number): Float32Array {
  let buffer = scratchBuffers.get(name);
  if (!buffer || buffer.length < n) scratchBuffers.set(name, (buffer = new Float32Array(n)));
  return buffer.subarray(0, n);
}

function span(s: number): Span {
  if (s <= 1) return { k: 0, e: 0, scale: s };
  const half = s / 2;
  const k = Math.floor(half - 0.5);
  return { k, e: half - 0.5 - k, scale: 1 };
}

/** Row `rowStart` of `src` (w pixels) into `q`, with `pad` copies of its edge pixels on each side. */
function padRow(src: Float32Array, rowStart: number, w: number, pad: number, q: Float32Array): void {
  const r0 = src[rowStart], g0 = src[rowStart + 1], b0 = src[rowStart + 2];
  let o = 0;
  for (let i = 0; i < pad; i++, o += 3) {
    q[o] = r0; q[o + 1] = g0; q[o + 2] = b0;
  }
  q.set(src.subarray(rowStart, rowStart + 3 * w), o);
  o += 3 * w;
  const last = rowStart + 3 * (w - 1);
  const r1 = src[last], g1 = src[last + 1], b1 = src[last + 2];
  for (let i = 0; i < pad; i++, o += 3) {
    q[o] = r1; q[o + 1] = g1; q[o + 2] = b1;
  }
}

/**
 * The span `sp` (times `weight`) around each of the w pixels of a padded row `q` (pad > k), by a
 * sliding window, added to dst at `a` and, when b >= 0, at `b` too.
 */
function addSpan(q: Float32Array, pad: number, w: number, sp: Span, weight: number, dst: Float32Array, a: number, b: number): void {
  const { k } = sp;
  const wf = weight * sp.scale, we = wf * sp.e;
  // Window sums of the first pixel: padded indices pad - k .. pad + k.
  let sr = 0, sg = 0, sb = 0;
  for (let i = 3 * (pad - k); i <= 3 * (pad + k); i += 3) {
    sr += q[i]; sg += q[i + 1]; sb += q[i + 2];
  }
  let lo = 3 * (pad - k), hi = 3 * (pad + k + 1); // first index of the window, first after it
  const end = 3 * w;
  for (let o = 0; o < end; o += 3, lo += 3, hi += 3) {
    const vr = wf * sr + we * (q[lo - 3] + q[hi]);
    const vg = wf * sg + we * (q[lo - 2] + q[hi + 1]);
    const vb = wf * sb + we * (q[lo - 1] + q[hi + 2]);
    dst[a + o] += vr; dst[a + o + 1] += vg; dst[a + o + 2] += vb;
    if (b >= 0) {
      dst[b + o] += vr; dst[b + o + 1] += vg; dst[b + o + 2] += vb;
    }
    sr += q[hi] - q[lo]; sg += q[hi + 1] - q[lo + 1]; sb += q[hi + 2] - q[lo + 2];
  }
}

/**
 * Defocus: a uniform disk of `radius` px, area-weighted at its rim. Kernel row j is the disk's
 * strip between j - 1/2 and j + 1/2 (its exact area), applied as a horizontal span of that length;
 * each source row's span sums for |j| go to the output rows j above and below it. O(radius) per
 * pixel, not O(radius^2).
 */
export function diskBlur(src: Float32Array, w: number, h: number, radius: number): Float32Array {
  if (radius <= 0) return src.slice();
  const r2 = radius * radius;
  const F = (y: number) => y * Math.sqrt(Math.max(0, r2 - y * y)) + r2 * Math.asin(Math.max(-1, Math.min(1, y / radius)));
  const J = Math.ceil(radius + 0.5) - 1;
  const spans: Span[] = [];
  let total = 0;
  for (let j = 0; j <= J; j++) {
    const area = F(Math.min(j + 0.5, radius)) - F(Math.max(j - 0.5, -radius));
    spans.push(span(area));
    total += j === 0 ? area : 2 * area;
  }
  const pad = spans[0].k + 2;
  const q = new Float32Array(3 * (w + 2 * pad));
  const out = new Float32Array(src.length);
  const inv = 1 / total, row = 3 * w;
  // Output row y takes source row clamp(y + j): source rows -J .. h - 1 + J, edge rows repeated.
  for (let yy = -J; yy < h + J; yy++) {
    padRow(src, row * Math.min(h - 1, Math.max(0, yy)), w, pad, q);
    for (let j = 0; j <= J; j++) {
      const up = yy - j, down = yy + j;
      const a = up >= 0 && up < h ? up * row : -1;
      const b = j > 0 && down >= 0 && down < h ? down * row : -1;
      if (a >= 0) addSpan(q, pad, w, spans[j], inv, out, a, b);
      else if (b >= 0) addSpan(q, pad, w, spans[j], inv, out, b, -1);
    }
  }
  return out;
}

/** Columns per strip of the shears. */
const STRIP = 32;

/** The shear of lines 0..n-1 by i * t: whole part, fraction, and the range of i * t. */
function shearTable(n: number, t: number): { shift: Int32Array; frac: Float32Array; lo: number; hi: number } {
  const shift = new Int32Array(n); // floor(i * t)
  const frac = new Float32Array(n); // i * t - floor(i * t)
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const o = i * t;
    shift[i] = Math.floor(o);
    frac[i] = o - shift[i];
    lo = Math.min(lo, o);
    hi = Math.max(hi, o);
  }
  return { shift, frac, lo, hi };
}

/**
 * A streak along (1, t) with |t| <= 1, `along` px long on the x axis. The image is sheared so the
 * streak's lines become rows (column x moves by x * t, linearly interpolated), each row gets a
 * sliding-window box, and the result is sheared back. Exact where x * t is whole (0 and 45 deg);
 * elsewhere the two interpolations soften across the streak by at most a [1/4, 1/2, 1/4] kernel.
 */
function streakMajorX(src: Float32Array, w: number, h: number, t: number, along: number): Float32Array {
  const { shift, frac, lo, hi } = shearTable(w, t);
  // Sheared row r holds the points (x, r + y0 + x * t); output (x, y) lies on y' = y - x * t.
  const y0 = Math.floor(-hi);
  const rows = Math.ceil(h - 1 - lo) - y0 + 2;
  const S = scratch('shear', rows * w * 3).fill(0);
  // In strips of columns: a row of a strip reads a few neighbouring source rows, which the next
  // row reads again.
  for (let x0 = 0; x0 < w; x0 += STRIP) {
    const x1 = Math.min(w, x0 + STRIP);
    for (let r = 0; r < rows; r++) shearRow(src, w, h, x0, x1, r + y0, shift, frac, S, r * w * 3);
  }
  boxRows(S, w, rows, along);
  const out = new Float32Array(src.length);
  for (let x0 = 0; x0 < w; x0 += STRIP) {
    const x1 = Math.min(w, x0 + STRIP);
    for (let y = 0; y < h; y++) unshearRow(S, w, x0, x1, y - y0, shift, frac, out, y * w * 3);
  }
  return out;
}

/** Sheared row, columns x0..x1-1: at column x, the source column x at row base + x * t, linearly interpolated. */
function shearRow(src: Float32Array, w: number, h: number, x0: number, x1: number, base: number, shift: Int32Array, frac: Float32Array, S: Float32Array, at: number): void {
  const s0 = base + shift[x0], s1 = base + shift[x1 - 1];
  if (Math.min(s0, s1) >= 0 && Math.max(s0, s1) + 1 < h) {
    // Inside the image: no clamping.
    for (let x = x0, o = at + 3 * x0; x < x1; x++, o += 3) {
      const a = 3 * ((base + shift[x]) * w + x), b = a + 3 * w;
      const f = frac[x];
      const sa0 = src[a], sa1 = src[a + 1], sa2 = src[a + 2];
      S[o] = sa0 + f * (src[b] - sa0);
      S[o + 1] = sa1 + f * (src[b + 1] - sa1);
      S[o + 2] = sa2 + f * (src[b + 2] - sa2);
    }
    return;
  }
  for (let x = x0, o = at + 3 * x0; x < x1; x++, o += 3) {
    const ya = base + shift[x];
    const f = frac[x];
    const a = 3 * ((ya < 0 ? 0 : ya >= h ? h - 1 : ya) * w + x);
    const b = 3 * ((ya + 1 < 0 ? 0 : ya + 1 >= h ? h - 1 : ya + 1) * w + x);
    const sa0 = src[a], sa1 = src[a + 1], sa2 = src[a + 2];
    S[o] = sa0 + f * (src[b] - sa0);
    S[o + 1] = sa1 + f * (src[b + 1] - sa1);
    S[o + 2] = sa2 + f * (src[b + 2] - sa2);
  }
}

/** A box of `along` px (edges repeated) along each of `rows` rows, in place. */
function boxRows(S: Float32Array, w: number, rows: number, along: number): void {
  const sp = span(along);
  const pad = sp.k + 2;
  const q = new Float32Array(3 * (w + 2 * pad));
  for (let r = 0; r < rows; r++) {
    const at = r * w * 3;
    padRow(S, at, w, pad, q);
    S.fill(0, at, at + 3 * w);
    addSpan(q, pad, w, sp, 1 / along, S, at, -1);
  }
}

/**
 * Output row, columns x0..x1-1: at column x, the sheared image at y' = y - x * t, i.e. between
 * sheared rows base - shift - 1 (weight frac) and base - shift (weight 1 - frac), base = y - y0.
 */
function unshearRow(S: Float32Array, w: number, x0: number, x1: number, base: number, shift: Int32Array, frac: Float32Array, out: Float32Array, at: number): void {
  for (let x = x0, o = at + 3 * x0; x < x1; x++, o += 3) {
    const f = frac[x];
    const b = 3 * ((base - shift[x]) * w + x);
    const sb0 = S[b], sb1 = S[b + 1], sb2 = S[b + 2];
    if (f === 0) {
      out[o] = sb0; out[o + 1] = sb1; out[o + 2] = sb2;
    } else {
      const a = b - 3 * w;
      out[o] = sb0 + f * (S[a] - sb0);
      out[o + 1] = sb1 + f * (S[a + 1] - sb1);
      out[o + 2] = sb2 + f * (S[a + 2] - sb2);
    }
  }
}

/**
 * A streak along (t, 1) with |t| < 1, `along` px long on the y axis: the same as streakMajorX
 * with the roles of x and y swapped, but without transposing: rows are shifted by y * t (each row
 * contiguous in memory), and the box runs down the columns as a running sum of whole rows.
 */
function streakMajorY(src: Float32Array, w: number, h: number, t: number, along: number): Float32Array {
  const { shift, frac, lo, hi } = shearTable(h, t);
  // Sheared column i of row y holds the point (i + x0 + y * t, y).
  const x0 = Math.floor(-hi);
  const cols = Math.ceil(w - 1 - lo) - x0 + 2;
  const S = scratch('shear', h * cols * 3).fill(0);
  for (let y = 0; y < h; y++) shiftRow(src, w, y, x0 + shift[y], frac[y], S, cols);
  const B = boxColumns(S, cols, h, along);
  const out = new Float32Array(src.length);
  for (let y = 0; y < h; y++) unshiftRow(B, cols, w, y, x0 + shift[y], frac[y], out);
  return out;
}

/** Row y of S (cols wide): S(i) = src(i + off + f, y), linearly interpolated, edges repeated. */
function shiftRow(src: Float32Array, w: number, y: number, off: number, f: number, S: Float32Array, cols: number): void {
  const row = 3 * y * w;
  for (let i = 0, o = 3 * y * cols; i < cols; i++, o += 3) {
    const xa = i + off;
    const a = row + 3 * (xa < 0 ? 0 : xa >= w ? w - 1 : xa);
    const b = row + 3 * (xa + 1 < 0 ? 0 : xa + 1 >= w ? w - 1 : xa + 1);
    const sa0 = src[a], sa1 = src[a + 1], sa2 = src[a + 2];
    S[o] = sa0 + f * (src[b] - sa0);
    S[o + 1] = sa1 + f * (src[b + 1] - sa1);
    S[o + 2] = sa2 + f * (src[b + 2] - sa2);
  }
}

/** Output row y: out(x) = B(x - off - f) between columns x - off - 1 (weight f) and x - off. */
function unshiftRow(B: Float32Array, cols: number, w: number, y: number, off: number, f: number, out: Float32Array): void {
  const row = 3 * y * cols;
  for (let x = 0, o = 3 * y * w; x < w; x++, o += 3) {
    const b = row + 3 * (x - off);
    const sb0 = B[b], sb1 = B[b + 1], sb2 = B[b + 2];
    if (f === 0) {
      out[o] = sb0; out[o + 1] = sb1; out[o + 2] = sb2;
    } else {
      out[o] = sb0 + f * (B[b - 3] - sb0);
      out[o + 1] = sb1 + f * (B[b - 2] - sb1);
      out[o + 2] = sb2 + f * (B[b - 1] - sb2);
    }
  }
}

/** A box of `along` px down every column of S (w x h), edge rows repeated: a running sum of rows. */
function boxColumns(S: Float32Array, w: number, h: number, along: number): Float32Array {
  const { k, e } = span(along);
  const wf = 1 / along, we = wf * e;
  const n = 3 * w;
  const acc = new Float64Array(n);
  const row = (y: number) => n * (y < 0 ? 0 : y >= h ? h - 1 : y);
  for (let y = -k; y <= k; y++) addRow(S, row(y), acc, 1);
  const out = scratch('box', S.length);
  for (let y = 0; y < h; y++) {
    boxRowOut(acc, wf, we, S, row(y - k - 1), row(y + k + 1), out, y * n);
    addRow(S, row(y + k + 1), acc, 1);
    addRow(S, row(y - k), acc, -1);
  }
  return out;
}

function addRow(S: Float32Array, at: number, acc: Float64Array, sign: number): void {
  for (let i = 0; i < acc.length; i++) acc[i] += sign * S[at + i];
}

function boxRowOut(acc: Float64Array, wf: number, we: number, S: Float32Array, above: number, below: number, out: Float32Array, at: number): void {
  for (let i = 0; i < acc.length; i++) out[at + i] = wf * acc[i] + we * (S[above + i] + S[below + i]);
}

/**
 * Motion blur: every point smeared uniformly along a segment of `length` px at `angleDeg`
 * (0 = +x, 90 = +y, image rows top-down), centred on it. Cost independent of the length.
 */
export function motionBlur(src: Float32Array, w: number, h: number, length: number, angleDeg: number): Float32Array {
  const a = (angleDeg * Math.PI) / 180;
  const c = Math.cos(a), s = Math.sin(a);
  // Slopes of 0 and +-1 come out of cos/sin a rounding error away: snap them, so that 0, 45, 90 ...
  // degrees shear by whole pixels and stay exact.
  const snap = (v: number) => (Math.abs(v - Math.round(v)) < 1e-9 ? Math.round(v) : v);
  if (Math.abs(c) >= Math.abs(s)) {
    const along = length * Math.abs(c);
    if (along <= 1) return src.slice();
    return streakMajorX(src, w, h, snap(s / c), along);
  }
  const along = length * Math.abs(s);
  if (along <= 1) return src.slice();
  return streakMajorY(src, w, h, snap(c / s), along);
}
