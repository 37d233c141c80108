/**
 * Overlapping tiles at the model's native size, and a seamless blend back into the frame.
 *
 * A small pixel UNet is trained at one size (64 or 128 px); a 640x480 frame is refined as a grid of
 * such tiles. Each tile is denoised on its own, so two tiles disagree a little where they overlap;
 * pasting them side by side would show that disagreement as a straight seam. Instead every tile's
 * pixels are weighted by a window that is 1 in its middle and falls off with a raised cosine over
 * the overlap with each neighbour, and the frame is the weighted mean: across an overlap the result
 * fades smoothly from one tile to the next. The weights are normalized by their sum per pixel, so
 * tiles returned unchanged give the frame back (to float rounding) whatever the overlaps are.
 *
 * A frame side shorter than the tile is reflect-padded up to the tile (the model needs its native
 * size) and the padding is cropped away when blending.
 */
import { floatImage, type FloatImage } from './image.js';

/** Where the tiles sit: tile (i, j) covers x in [xs[i], xs[i] + size), y in [ys[j], ys[j] + size). */
export interface TileGrid {
  width: number;
  height: number;
  size: number;
  xs: number[];
  ys: number[];
}

export interface TileRect {
  x: number;
  y: number;
  /** Index in xs / ys. */
  i: number;
  j: number;
}

/**
 * Tile origins along one side of `length` px: the fewest tiles of `size` whose neighbours overlap
 * by at least `overlap`, spread evenly so that the first starts at 0 and the last ends at
 * `length`. A side no longer than a tile gets one tile at 0 (padded when shorter).
 */
export function tileOrigins(length: number, size: number, overlap: number): number[] {
  if (!(Number.isInteger(length) && length >= 1)) throw new RangeError(`length must be a positive integer, got ${length}`);
  if (!(Number.isInteger(size) && size >= 2)) throw new RangeError(`tile size must be an integer >= 2, got ${size}`);
  if (!(Number.isInteger(overlap) && overlap >= 0 && overlap < size)) throw new RangeError(`overlap must be an integer in 0..${size - 1}, got ${overlap}`);
  if (length <= size) return [0];
  const n = Math.ceil((length - overlap) / (size - overlap));
  const origins: number[] = [];
  for (let k = 0; k < n; k++) origins.push(Math.round((k * (length - size)) / (n - 1)));
  return origins;
}

/**
 * The grid of tiles for a frame; `overlap` defaults to a quarter tile. With `align` > 1 (a latent
 * model's VAE factor, 8) every origin is a multiple of `align`, so the tiles' latents sit on one
 * latent grid of the whole frame (downscaleGrid): the origins are laid out on a frame of
 * ceil(side / align) cells with tiles of size / align cells, overlapping by floor(overlap / align)
 * cells. The last tile then ends at the frame's side rounded up to `align`; the few pixels past
 * the side are reflect-padded like a short side's.
 */
export function tileGrid(width: number, height: number, size: number, overlap = Math.floor(size / 4), align = 1): TileGrid {
  if (!(Number.isInteger(align) && align >= 1 && size % align === 0)) throw new RangeError(`align must be a positive integer dividing the tile size ${size}, got ${align}`);
  const origins = (length: number) =>
    align === 1 ? tileOrigins(length, size, overlap) : tileOrigins(Math.ceil(length / align), size / align, Math.floor(overlap / align)).map((o) => o * align);
  return { width, height, size, xs: origins(width), ys: origins(height) };
}

/**
 * The same tiling on an image `factor` times smaller, e.g. the latent grid of a frame under a VAE
 * that downsamples 8x: sides rounded up, origins and size divided (they must be multiples of
 * `factor`, as tileGrid(..., align = factor) makes them).
 */
export function downscaleGrid(grid: TileGrid, factor: number): TileGrid {
  if (factor === 1) return grid;
  const div = (v: number) => {
    if (v % factor !== 0) throw new RangeError(`tile origin or size ${v} is not a multiple of ${factor}`);
    return v / factor;
  };
  return { width: Math.ceil(grid.width / factor), height: Math.ceil(grid.height / factor), size: div(grid.size), xs: grid.xs.map(div), ys: grid.ys.map(div) };
}

/** The tiles of a grid, row by row (the order splitTiles returns and blendTiles expects). */
export function gridTiles(grid: TileGrid): TileRect[] {
  const out: TileRect[] = [];
  grid.ys.forEach((y, j) => grid.xs.forEach((x, i) => out.push({ x, y, i, j })));
  return out;
}

/** Reflect an index into 0..n-1 without repeating the edge (numpy's "reflect"): -1 -> 1, n -> n-2. */
function reflect(k: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let m = k % period;
  if (m < 0) m += period;
  return m < n ? m : period - m;
}

/** One size x size crop at (x0, y0); pixels past the frame (only when it is smaller than a tile) are reflected. */
export function cutTile(image: FloatImage, x0: number, y0: number, size: number): FloatImage {
  const { width, height, channels, data } = image;
  const out = floatImage(size, size, channels);
  for (let v = 0; v < size; v++) {
    const y = reflect(y0 + v, height);
    for (let u = 0; u < size; u++) {
      const x = reflect(x0 + u, width);
      const src = (y * width + x) * channels;
      const dst = (v * size + u) * channels;
      for (let c = 0; c < channels; c++) out.data[dst + c] = data[src + c];
    }
  }
  return out;
}

/** All tiles of a frame (or of anything laid out like it, e.g. its noise), in gridTiles order. */
export function splitTiles(image: FloatImage, grid: TileGrid): FloatImage[] {
  if (image.width !== grid.width || image.height !== grid.height) {
    throw new RangeError(`image is ${image.width}x${image.height}, the grid ${grid.width}x${grid.height}`);
  }
  return gridTiles(grid).map((t) => cutTile(image, t.x, t.y, grid.size));
}

/** Raised cosine from ~0 to 1 over `ramp` px; `u` counts pixels from the tile edge (pixel centres at u + 0.5). */
function rise(u: number, ramp: number): number {
  if (ramp <= 0 || u >= ramp) return 1;
  return 0.5 - 0.5 * Math.cos((Math.PI * (u + 0.5)) / ramp);
}

/**
 * The 1-D window of the tile at origins[k]: 1 in the middle, rising from its start over the overlap
 * with the previous tile and falling to its end over the overlap with the next. A side that is
 * the frame's border has no ramp (nothing else covers those pixels). The value is never 0 inside
 * a tile, so every pixel of the frame has a positive total weight.
 */
export function tileWindow(origins: readonly number[], k: number, size: number): Float32Array {
  const w = new Float32Array(size);
  const start = origins[k];
  const before = k > 0 ? origins[k - 1] + size - start : 0;
  const after = k < origins.length - 1 ? start + size - origins[k + 1] : 0;
  for (let u = 0; u < size; u++) w[u] = rise(u, before) * rise(size - 1 - u, after);
  return w;
}

/**
 * The frame from its tiles (in gridTiles order): each pixel is the window-weighted mean of the
 * tiles that cover it. Accumulates in float64, so unchanged tiles give the frame back exactly or
 * within float32 rounding.
 */
export function blendTiles(tiles: readonly FloatImage[], grid: TileGrid): FloatImage {
  const rects = gridTiles(grid);
  if (tiles.length !== rects.length) throw new RangeError(`expected ${rects.length} tiles, got ${tiles.length}`);
  const channels = tiles[0].channels;
  const { width, height, size } = grid;
  const sum = new Float64Array(width * height * channels);
  const weight = new Float64Array(width * height);
  const wx = grid.xs.map((_, i) => tileWindow(grid.xs, i, size));
  const wy = grid.ys.map((_, j) => tileWindow(grid.ys, j, size));
  rects.forEach((r, n) => {
    const tile = tiles[n];
    if (tile.width !== size || tile.height !== size || tile.channels !== channels) {
      throw new RangeError(`tile ${n} is ${tile.width}x${tile.height}x${tile.channels}, expected ${size}x${size}x${channels}`);
    }
    // Padding (past the frame's right or bottom edge) is cropped: only in-frame pixels are written.
    const vMax = Math.min(size, height - r.y);
    const uMax = Math.min(size, width - r.x);
    for (let v = 0; v < vMax; v++) {
      const rowWeight = wy[r.j][v];
      for (let u = 0; u < uMax; u++) {
        const w = rowWeight * wx[r.i][u];
        const p = (r.y + v) * width + (r.x + u);
        weight[p] += w;
        const src = (v * size + u) * channels;
        const dst = p * channels;
        for (let c = 0; c < channels; c++) sum[dst + c] += w * tile.data[src + c];
      }
    }
  });
  const out = floatImage(width, height, channels);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < channels; c++) out.data[p * channels + c] = sum[p * channels + c] / weight[p];
  }
  return out;
}

/**
 * Refine a frame tile by tile: cut, hand each tile (and its index in gridTiles order) to `refine`,
 * blend. Tiles run one after another: a model session already uses every core.
 */
export async function mapTiles(
  image: FloatImage,
  grid: TileGrid,
  refine: (tile: FloatImage, index: number, rect: TileRect) => Promise<FloatImage> | FloatImage,
): Promise<FloatImage> {
  const rects = gridTiles(grid);
  const tiles = splitTiles(image, grid);
  const refined: FloatImage[] = [];
  for (let n = 0; n < tiles.length; n++) refined.push(await refine(tiles[n], n, rects[n]));
  return blendTiles(refined, grid);
}
