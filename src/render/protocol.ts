/**
 * What Node sends the page and what the page sends back. Everything here is already in the
 * render frame (the GL camera frame: x right, y up, z backwards, metres), so the page only
 * rasterizes: it never samples, converts conventions or decides anything.
 */

/** A column-major 4x4 matrix, as WebGL and Babylon's Matrix.FromArray take it. */
export type Mat4 = number[];
export type RGB = [number, number, number];

export interface PageMeshAsset {
  key: string;
  /** URL (on the driver's loopback server) of the binary mesh: see encodeMeshAsset. */
  url: string;
}

export interface PageTextureAsset {
  key: string;
  /** URL of the image file's bytes (PNG or JPEG, ending in its extension); the browser decodes it. */
  url: string;
}

export interface PageInit {
  width: number;
  height: number;
  /** MSAA samples for the colour pass (the instance pass never antialiases). */
  samples: number;
  shadowMapSize: number;
  meshes: PageMeshAsset[];
  /** Every texture a job may name, loaded once at launch. */
  textures?: PageTextureAsset[];
}

/** What init reports back: the GL renderer string and the textures the browser could not decode. */
export interface PageInitResult {
  glRenderer: string;
  failedTextures: { key: string; error: string }[];
}

/**
 * The depth range of a light's shadow map, decided in Node from the frame alone: Babylon's
 * automatic bounds carry state from one frame to the next, which made a frame's shadows depend
 * on the frame rendered before it.
 */
export interface ShadowRange {
  minZ: number;
  maxZ: number;
  /** Side of a directional light's square shadow frustum, centred on its position's axis. */
  width: number;
}

export type PageLight =
  | { type: 'directional'; direction: [number, number, number]; color: RGB; intensity: number; shadows: boolean;
      /** Up-light of every caster, so [minZ, maxZ] along the direction covers casters and receivers. */
      position: [number, number, number]; shadowRange: ShadowRange }
  | { type: 'point'; position: [number, number, number]; color: RGB; intensity: number; shadows: boolean; shadowRange: ShadowRange }
  | { type: 'hemispheric'; direction: [number, number, number]; color: RGB; groundColor: RGB; intensity: number };

export interface PageItem {
  mesh: string;
  /** Model to GL camera frame. */
  matrix: Mat4;
  /** Value written to the instance pass: 0 is background, 0xffff unlabeled structure. */
  id: number;
  /** Albedo colour; with a texture, the texture's colour is multiplied by it. */
  color: RGB;
  /**
   * Key of a PageInit texture drawn as the albedo (times `color`), on meshes with UVs only; an
   * unknown or undecodable key draws untextured. Never affects the instance/depth pass.
   */
  texture?: string;
  /** Texture repeats per UV unit (u, v); default [1, 1]. */
  textureScale?: [number, number];
  metallic: number;
  roughness: number;
  castShadows: boolean;
  receiveShadows: boolean;
}

/**
 * Drawn over the clear colour behind everything, in the colour pass only (the instance/depth pass
 * keeps id 0 and depth 0 there). Colours are written as the clear colour is, as they are.
 */
export type PageBackdrop =
  /**
   * At window pixel p (gl_FragCoord, rows from the bottom), mix(bottom, top, t) with
   * t = clamp(0.5 + dot(p - (width, height) / 2, direction), 0, 1).
   */
  | { type: 'gradient'; top: RGB; bottom: RGB; direction: [number, number] }
  /**
   * Key of a PageInit texture, scaled to cover the image (aspect kept, centre-cropped); an unknown
   * or undecodable key draws the clear colour alone.
   */
  | { type: 'image'; texture: string };

export interface PageJob {
  frame: number;
  /** GL projection (column-major) that reproduces the OpenCV intrinsics exactly. */
  projection: Mat4;
  clearColor: RGB;
  backdrop?: PageBackdrop;
  lights: PageLight[];
  items: PageItem[];
  /**
   * Where the page POSTs the pixels (binary body: colour RGBA8 then instance/depth RGBA8, both
   * bottom-up); empty: they stay in the page, for window.robosynth.lastPixels() (the preview).
   */
  uploadUrl: string;
}

/** Where the page spent a frame's time (ms), for the benchmark. */
export interface PageTimings {
  renderMs: number;
  /** Of renderMs: waiting for shaders and material checks. */
  readyMs: number;
  readMs: number;
  uploadMs: number;
}

/** Instance-pass encoding: R,G = id (little-endian 16 bit); B,A = depth along the optical axis in DEPTH_UNIT metres. */
export const DEPTH_UNIT_M = 1e-4;
export const ID_BACKGROUND = 0;
export const ID_UNLABELED = 0xffff;

/**
 * Binary mesh asset: [u32 vertexCount][u32 indexCount][u32 hasUvs][f32 positions][f32 normals]
 * [f32 uvs, if hasUvs][u32 indices], little-endian.
 */
export function encodeMeshAsset(positions: Float32Array, normals: Float32Array, indices: Uint32Array, uvs?: Float32Array): Buffer {
  const vertexCount = positions.length / 3;
  const header = Buffer.alloc(12);
  header.writeUInt32LE(vertexCount, 0);
  header.writeUInt32LE(indices.length, 4);
  header.writeUInt32LE(uvs ? 1 : 0, 8);
  const bytes = (a: Float32Array | Uint32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  return Buffer.concat([header, bytes(positions), bytes(normals), ...(uvs ? [bytes(uvs)] : []), bytes(indices)]);
}
