/**
 * Float images for the refiner. Frames arrive as 8-bit RGB, rows top-down, 3 bytes per pixel
 * (FrameImages.rgb); diffusion models take float32 in [-1, 1], channels first ([B, 3, H, W]).
 * Everything in between (tiling, blending, noise) works on channels-last float images, the frame's
 * own layout, so a tile is a plain crop and the frame's noise can be cut with the same tiling.
 */

/** A float image, channels last: pixel (x, y) channel c is data[(y * width + x) * channels + c]. */
export interface FloatImage {
  width: number;
  height: number;
  channels: number;
  data: Float32Array;
}

export function floatImage(width: number, height: number, channels = 3, data?: Float32Array): FloatImage {
  const size = width * height * channels;
  if (data && data.length !== size) throw new RangeError(`a ${width}x${height}x${channels} image needs ${size} values, got ${data.length}`);
  return { width, height, channels, data: data ?? new Float32Array(size) };
}

/** 8-bit RGB (0..255) to [-1, 1], the range diffusers' image processors feed the models. */
export function rgb8ToFloat(rgb: Uint8Array, width: number, height: number): FloatImage {
  const out = floatImage(width, height, 3);
  if (rgb.length !== out.data.length) throw new RangeError(`a ${width}x${height} RGB frame has ${out.data.length} bytes, got ${rgb.length}`);
  for (let i = 0; i < rgb.length; i++) out.data[i] = rgb[i] / 127.5 - 1;
  return out;
}

/** [-1, 1] back to 8-bit RGB, clamped and rounded; the inverse of rgb8ToFloat on its values. */
export function floatToRgb8(image: FloatImage): Uint8Array {
  if (image.channels !== 3) throw new RangeError(`expected 3 channels, got ${image.channels}`);
  const out = new Uint8Array(image.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = Math.round((image.data[i] + 1) * 127.5);
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return out;
}

/** Channels last to channels first ([C, H, W], one batch item). */
export function toChw(image: FloatImage): Float32Array {
  const { width, height, channels, data } = image;
  const plane = width * height;
  const out = new Float32Array(data.length);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < channels; c++) out[c * plane + p] = data[p * channels + c];
  }
  return out;
}

/** Channels first ([C, H, W], one batch item) to channels last. */
export function fromChw(chw: Float32Array, width: number, height: number, channels = 3): FloatImage {
  const out = floatImage(width, height, channels);
  const plane = width * height;
  if (chw.length !== out.data.length) throw new RangeError(`a ${channels}x${height}x${width} tensor has ${out.data.length} values, got ${chw.length}`);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < channels; c++) out.data[p * channels + c] = chw[c * plane + p];
  }
  return out;
}

/**
 * A per-pixel mask (width x height, nonzero = set) downsampled by `factor` with a max-pool: a cell
 * of the ceil(width / factor) x ceil(height / factor) result is 1 when any pixel of its block
 * inside the frame is set. For a latent model's 8x8 cells: a cell touching an object counts as object.
 */
export function maxPoolMask(mask: Uint8Array, width: number, height: number, factor: number): Uint8Array {
  if (mask.length !== width * height) throw new RangeError(`a ${width}x${height} mask has ${width * height} values, got ${mask.length}`);
  if (factor === 1) return Uint8Array.from(mask, (v) => (v ? 1 : 0));
  const lw = Math.ceil(width / factor);
  const out = new Uint8Array(lw * Math.ceil(height / factor));
  for (let y = 0; y < height; y++) {
    const row = Math.floor(y / factor) * lw;
    for (let x = 0; x < width; x++) if (mask[y * width + x]) out[row + Math.floor(x / factor)] = 1;
  }
  return out;
}
