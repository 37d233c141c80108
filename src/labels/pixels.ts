/**
 * Turning the page's raw readback (RGBA8, rows bottom-up) into images in the usual top-down
 * order: the colour image, the instance-id image and the depth image (DEPTH_UNIT_M units).
 */
import { DEPTH_UNIT_M } from '../render/protocol.js';
import type { RenderedPixels } from '../render/driver.js';

export interface FrameImages {
  width: number;
  height: number;
  rgb: Uint8Array; // 3 bytes per pixel
  ids: Uint16Array; // instance id per pixel: 0 background, 0xffff unlabeled structure
  depth: Uint16Array; // depth along the optical axis in units of depthUnitM (0 = nothing)
  depthUnitM: number;
}

export function decodePixels(pixels: RenderedPixels, width: number, height: number): FrameImages {
  const rgb = new Uint8Array(width * height * 3);
  const ids = new Uint16Array(width * height);
  const depth = new Uint16Array(width * height);
  const { color, instanceDepth } = pixels;
  for (let y = 0; y < height; y++) {
    let src = (height - 1 - y) * width * 4;
    let dst = y * width;
    for (let x = 0; x < width; x++, src += 4, dst++) {
      rgb[dst * 3] = color[src];
      rgb[dst * 3 + 1] = color[src + 1];
      rgb[dst * 3 + 2] = color[src + 2];
      const id = instanceDepth[src] | (instanceDepth[src + 1] << 8);
      ids[dst] = id;
      // Background pixels carry no surface: depth 0 means "no measurement", as in BOP.
      depth[dst] = id === 0 ? 0 : instanceDepth[src + 2] | (instanceDepth[src + 3] << 8);
    }
  }
  return { width, height, rgb, ids, depth, depthUnitM: DEPTH_UNIT_M };
}
