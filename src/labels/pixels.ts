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
  const color = aligned(pixels.color);
  const packed = aligned(pixels.instanceDepth);
  // One 32-bit load per pixel: colour is R,G,B,A and the instance pass id lo, id hi, depth lo, depth hi.
  const color32 = new Uint32Array(color.buffer, color.byteOffset, width * height);
  const packed32 = new Uint32Array(packed.buffer, packed.byteOffset, width * height);
  for (let y = 0; y < height; y++) {
    let src = (height - 1 - y) * width;
    let dst = y * width;
    for (let x = 0; x < width; x++, src++, dst++) {
      const c = color32[src];
      const o = dst * 3;
      rgb[o] = c;
      rgb[o + 1] = c >>> 8;
      rgb[o + 2] = c >>> 16;
      const v = packed32[src];
      const id = v & 0xffff;
      ids[dst] = id;
      // Background pixels carry no surface: depth 0 means "no measurement", as in BOP.
      depth[dst] = id === 0 ? 0 : v >>> 16;
    }
  }
  return { width, height, rgb, ids, depth, depthUnitM: DEPTH_UNIT_M };
}

/** Typed-array views need 4-byte alignment; Buffers from Node's pool may not have it. */
function aligned(buffer: Buffer): Uint8Array {
  if (buffer.byteOffset % 4 === 0) return buffer;
  const copy = new Uint8Array(buffer.length);
  copy.set(buffer);
  return copy;
}

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  throw new Error('robosynth reads pixels as little-endian words; this machine is big-endian');
}
