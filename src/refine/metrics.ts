/**
 * Label-preservation scores: refinement rewrites pixels but never labels, so a refined frame is
 * only usable if its structure stayed where the labels say it is.
 *
 * - SSIM against the raw render: how much of the local structure (means, contrasts, correlation)
 *   survived. It falls with any change, including the texture refinement is meant to add, so it is
 *   a guard against a refiner that repaints the frame, not a measure of alignment.
 * - Edge alignment against the instance masks: whether the image's edges still sit on the mask
 *   boundaries. This is the score that catches geometry moving.
 *
 * Both take 8-bit RGB frames as written (FrameImages.rgb: rows top-down, 3 bytes a pixel). SSIM
 * is computed on luminance, Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601, the weights of the
 * common rgb-to-gray conversions), as it is usually reported; edge alignment uses all three
 * channels (see colourDerivatives).
 */

/** Luminance in 0..255 of an RGB image (8-bit, or float in the same 0..255 scale). */
export function luminance(rgb: ArrayLike<number>, width: number, height: number): Float64Array {
  const n = width * height;
  if (rgb.length !== n * 3) throw new RangeError(`a ${width}x${height} RGB image has ${n * 3} values, got ${rgb.length}`);
  const y = new Float64Array(n);
  for (let p = 0; p < n; p++) y[p] = 0.299 * rgb[p * 3] + 0.587 * rgb[p * 3 + 1] + 0.114 * rgb[p * 3 + 2];
  return y;
}

/** Wang et al. 2004's window: an 11-tap Gaussian, sigma 1.5, normalized (applied separably). */
function gaussianKernel(radius = 5, sigma = 1.5): Float64Array {
  const k = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += k[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/** Separable filter keeping only "valid" positions (the window fully inside): (w-2r) x (h-2r). */
function filterValid(src: Float64Array, width: number, height: number, k: Float64Array): Float64Array {
  const r = (k.length - 1) / 2;
  const w2 = width - 2 * r;
  const h2 = height - 2 * r;
  const rows = new Float64Array(w2 * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < w2; x++) {
      let s = 0;
      for (let i = 0; i < k.length; i++) s += k[i] * src[y * width + x + i];
      rows[y * w2 + x] = s;
    }
  }
  const out = new Float64Array(w2 * h2);
  for (let y = 0; y < h2; y++) {
    for (let x = 0; x < w2; x++) {
      let s = 0;
      for (let i = 0; i < k.length; i++) s += k[i] * rows[(y + i) * w2 + x];
      out[y * w2 + x] = s;
    }
  }
  return out;
}

/**
 * Mean SSIM (Wang, Bovik, Sheikh, Simoncelli 2004) between two RGB images of the same size, on
 * luminance: Gaussian 11x11 window (sigma 1.5), K1 = 0.01, K2 = 0.03, dynamic range L = 255,
 * averaged over the positions where the window fits (no padding: borders are not invented).
 * 1 for identical images, lower as structure differs. The paper's optional downsampling of large
 * images is not applied: frames here are small and the refiner works at full resolution.
 */
export function ssim(a: ArrayLike<number>, b: ArrayLike<number>, width: number, height: number): number {
  if (width < 11 || height < 11) throw new RangeError(`SSIM needs at least 11x11 pixels, got ${width}x${height}`);
  const x = luminance(a, width, height);
  const y = luminance(b, width, height);
  const n = width * height;
  const xx = new Float64Array(n);
  const yy = new Float64Array(n);
  const xy = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    xx[p] = x[p] * x[p];
    yy[p] = y[p] * y[p];
    xy[p] = x[p] * y[p];
  }
  const k = gaussianKernel();
  const [mx, my, sxx, syy, sxy] = [x, y, xx, yy, xy].map((m) => filterValid(m, width, height, k));
  const L = 255;
  const C1 = (0.01 * L) ** 2;
  const C2 = (0.03 * L) ** 2;
  let total = 0;
  for (let p = 0; p < mx.length; p++) {
    const ux = mx[p];
    const uy = my[p];
    const vx = sxx[p] - ux * ux;
    const vy = syy[p] - uy * uy;
    const cov = sxy[p] - ux * uy;
    total += ((2 * ux * uy + C1) * (2 * cov + C2)) / ((ux * ux + uy * uy + C1) * (vx + vy + C2));
  }
  return total / mx.length;
}

/** Sobel derivatives of a single-channel image, borders replicated. A step of h gives 4h across it. */
export function sobel(img: Float64Array, width: number, height: number): { gx: Float64Array; gy: Float64Array } {
  const gx = new Float64Array(width * height);
  const gy = new Float64Array(width * height);
  const at = (x: number, y: number) => img[Math.min(height - 1, Math.max(0, y)) * width + Math.min(width - 1, Math.max(0, x))];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      gx[y * width + x] = at(x + 1, y - 1) + 2 * at(x + 1, y) + at(x + 1, y + 1) - at(x - 1, y - 1) - 2 * at(x - 1, y) - at(x - 1, y + 1);
      gy[y * width + x] = at(x - 1, y + 1) + 2 * at(x, y + 1) + at(x + 1, y + 1) - at(x - 1, y - 1) - 2 * at(x, y - 1) - at(x + 1, y - 1);
    }
  }
  return { gx, gy };
}

/** Sobel gradient magnitude, borders replicated. */
export function sobelMagnitude(img: Float64Array, width: number, height: number): Float64Array {
  const { gx, gy } = sobel(img, width, height);
  return gx.map((x, i) => Math.hypot(x, gy[i]));
}

/**
 * Colour derivatives across x and across y: per pixel sqrt(sum over R, G, B of the channel's Sobel
 * derivative squared). Objects are told apart by hue as often as by brightness (the scene's
 * colours are drawn in HSV), and an edge between equally bright colours is invisible in luminance.
 */
export function colourDerivatives(rgb: ArrayLike<number>, width: number, height: number): { dx: Float64Array; dy: Float64Array } {
  const n = width * height;
  if (rgb.length !== n * 3) throw new RangeError(`a ${width}x${height} RGB image has ${n * 3} values, got ${rgb.length}`);
  const dx = new Float64Array(n);
  const dy = new Float64Array(n);
  const channel = new Float64Array(n);
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < n; p++) channel[p] = rgb[p * 3 + c];
    const { gx, gy } = sobel(channel, width, height);
    for (let p = 0; p < n; p++) {
      dx[p] += gx[p] * gx[p];
      dy[p] += gy[p] * gy[p];
    }
  }
  for (let p = 0; p < n; p++) {
    dx[p] = Math.sqrt(dx[p]);
    dy[p] = Math.sqrt(dy[p]);
  }
  return { dx, dy };
}

export interface EdgeAlignment {
  /** Share of informative boundary crossings whose edge peak sits on the boundary (0..1); NaN when there are none. */
  score: number;
  /** Informative crossings: where the derivative near the boundary reaches minGradient. */
  crossings: number;
  /** Crossings whose edge peak is on the boundary. */
  aligned: number;
  /** All crossings, including those with too little contrast to judge (same-coloured neighbours). */
  boundary: number;
}

export interface EdgeAlignmentOptions {
  /**
   * Colour derivative (a step of h levels in one 8-bit channel gives 4h) below which a crossing is
   * not judged: two touching objects of the same colour have no edge to find, and counting them
   * either way would measure the palette, not the alignment. Default 12 (a 3-level step).
   */
  minGradient?: number;
  /** How far on each side of the boundary the peak is looked for, in px. Default 2. */
  reach?: number;
  /**
   * The boundary's derivative may be this much below the strongest one beside it and still count
   * as the peak (anti-aliased diagonal outlines have flat-topped profiles). Default 0.1.
   */
  tolerance?: number;
  /**
   * The image whose edges are the truth (the raw render). When given, the crossings judged are
   * those informative in the reference, so a refined image and its raw render are scored on the
   * same outline: texture the refiner adds can neither add crossings nor hide them from the count.
   * A crossing whose edge the image lost (its profile below minGradient / 2) counts as not aligned.
   */
  reference?: ArrayLike<number>;
}

/**
 * Do the image's edges sit on the instance-mask boundaries?
 *
 * A boundary crossing is a pair of 4-neighbour pixels p, q = p + d (d = +x or +y) with different
 * instance ids (background and "unlabeled structure" are ids like any other). Along d, the image's
 * colour derivative across the boundary (Sobel per channel, across x for d = x, across y for
 * d = y; see colourDerivatives) is read on the profile
 * p - reach*d ... q + reach*d, stopping on each side 1 px before the instance changes again
 * (another object's edge is not this boundary's, and Sobel sees 1 px around). The crossing is aligned when the profile peaks at p or q,
 * i.e. the image's strongest edge across the boundary is within 1 px of it. The score is the
 * share of aligned crossings among those whose profile reaches `minGradient`.
 *
 * Why this and not "mean gradient on the boundary / mean gradient of the image": that ratio moves
 * with contrast and texture. A refiner that adds texture everywhere (its job) raises the image's
 * mean gradient and lowers the ratio although no edge moved; a dark object on dark ground scores
 * low however well aligned. Asking where the peak is, is invariant to contrast and to texture that
 * is weaker than the edge, and it has a clear meaning: the share of the mask outline that is still
 * on an image edge. A step edge gives Sobel peaks on the two pixels beside it, and a symmetric
 * blur or anti-aliasing keeps the peak there, so a faithful refinement scores like the render
 * (~1). A 1 px shift fails on part of the outline (where the anti-aliased edge's sub-pixel
 * position puts the shifted peak past q), a 2 px shift on nearly all of it: labels lie from there
 * on (2 px on a 40 px object is a 10% IoU loss). Outlines that run at a shallow angle to x or y
 * have long flat profiles across the other axis and miss now and then (~1% of crossings). The derivative across the boundary, not the gradient magnitude, so
 * that near a corner the perpendicular outline does not count as a competing edge; in colour, not
 * luminance, so that a red box on a green table of the same brightness still has an edge.
 */
export function edgeAlignment(rgb: ArrayLike<number>, ids: ArrayLike<number>, width: number, height: number, options: EdgeAlignmentOptions = {}): EdgeAlignment {
  const minGradient = options.minGradient ?? 12;
  const reach = options.reach ?? 2;
  const keep = 1 - (options.tolerance ?? 0.1);
  if (ids.length !== width * height) throw new RangeError(`a ${width}x${height} id image has ${width * height} values, got ${ids.length}`);
  const { dx: gx, dy: gy } = colourDerivatives(rgb, width, height);
  const ref = options.reference ? colourDerivatives(options.reference, width, height) : undefined;
  let boundary = 0;
  let crossings = 0;
  let aligned = 0;
  const judge = (x: number, y: number, dx: number, dy: number) => {
    boundary++;
    const g = dx ? gx : gy;
    const r = ref && (dx ? ref.dx : ref.dy);
    const p = y * width + x;
    const q = p + dy * width + dx;
    const onBoundary = Math.max(g[p], g[q]);
    let beside = 0;
    let refPeak = r ? Math.max(r[p], r[q]) : 0;
    // Behind p while the pixels are p's instance, beyond q while they are q's.
    for (const [from, id, sign] of [[p, ids[p], -1], [q, ids[q], 1]] as const) {
      let cx = (from % width) + sign * dx;
      let cy = Math.floor(from / width) + sign * dy;
      for (let k = 1; k <= reach && cx >= 0 && cy >= 0 && cx < width && cy < height; k++, cx += sign * dx, cy += sign * dy) {
        const c = cy * width + cx;
        // Sobel reads 1 px around: a pixel next to the next boundary already sees that edge.
        const nx = cx + sign * dx, ny = cy + sign * dy;
        const next = nx >= 0 && ny >= 0 && nx < width && ny < height ? ids[ny * width + nx] : id;
        if (ids[c] !== id || next !== id) break;
        beside = Math.max(beside, g[c]);
        if (r) refPeak = Math.max(refPeak, r[c]);
      }
    }
    if ((r ? refPeak : Math.max(onBoundary, beside)) < minGradient) return;
    crossings++;
    if (r && Math.max(onBoundary, beside) < minGradient / 2) return;
    // Ties (within the tolerance) go to the boundary: flat-topped profiles of oblique outlines.
    if (onBoundary >= keep * beside) aligned++;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const id = ids[y * width + x];
      if (x + 1 < width && ids[y * width + x + 1] !== id) judge(x, y, 1, 0);
      if (y + 1 < height && ids[(y + 1) * width + x] !== id) judge(x, y, 0, 1);
    }
  }
  return { score: crossings ? aligned / crossings : NaN, crossings, aligned, boundary };
}
