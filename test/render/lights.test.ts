// The page keeps its lights in a pool across frames (a changing light count reuses shadow maps and
// shaders). A frame's bytes must still depend on its own job alone: not on which light layouts
// the renderer saw before, nor on whether it is the first frame a renderer draws.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TriMesh } from '../../src/geometry/types.js';
import { Renderer } from '../../src/render/driver.js';
import type { PageJob, PageLight } from '../../src/render/protocol.js';

const W = 48, H = 48;

/** A square facing the camera at z = -1 and a smaller one in front of it (a shadow caster). */
const quad: TriMesh = {
  positions: new Float32Array([-1, -1, 0, 1, -1, 0, 1, 1, 0, -1, 1, 0]),
  normals: new Float32Array([0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1]),
  indices: new Uint32Array([0, 1, 2, 0, 2, 3]),
};

const key = (shadows: boolean, direction: [number, number, number], color: [number, number, number], intensity: number): PageLight => ({
  type: 'directional', direction, color, intensity, shadows, position: [-direction[0] * 3, -direction[1] * 3, -1 - direction[2] * 3],
  shadowRange: { minZ: 0.1, maxZ: 8, width: 4 },
});
const hemi: PageLight = { type: 'hemispheric', direction: [0, 0, 1], color: [0.9, 0.95, 1], groundColor: [0.2, 0.2, 0.2], intensity: 0.3 };
const keyLight = key(true, [0.3, -0.4, -0.87], [1, 0.9, 0.8], 1.5);
const fillA = key(false, [-0.6, 0.2, -0.77], [0.6, 0.7, 1], 0.7);
const fillB = key(false, [0.1, 0.7, -0.7], [1, 0.6, 0.5], 0.5);

function job(frame: number, lights: PageLight[]): Omit<PageJob, 'uploadUrl'> {
  const f = W / 2, n = 0.1, far = 10;
  const at = (x: number, y: number, z: number, s: number) => [s, 0, 0, 0, 0, s, 0, 0, 0, 0, s, 0, x, y, z, 1];
  return {
    frame,
    projection: [(2 * f) / W, 0, 0, 0, 0, (2 * f) / H, 0, 0, 0, 0, -(far + n) / (far - n), -1, 0, 0, (-2 * far * n) / (far - n), 0],
    clearColor: [0, 0, 0],
    lights,
    items: [
      { mesh: 'quad', matrix: at(0, 0, -1, 1), id: 1, color: [0.8, 0.8, 0.8], metallic: 0, roughness: 0.6, castShadows: false, receiveShadows: true },
      { mesh: 'quad', matrix: at(0.1, 0.1, -0.7, 0.25), id: 2, color: [0.3, 0.6, 0.9], metallic: 0.2, roughness: 0.4, castShadows: true, receiveShadows: true },
    ],
  };
}

const launch = () => Renderer.launch(new Map([['quad', quad]]), { width: W, height: H, samples: 1, shadowMapSize: 256 });
let a: Renderer, b: Renderer;

beforeAll(async () => {
  [a, b] = await Promise.all([launch(), launch()]);
}, 60_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
});

describe('lights across frames', () => {
  it('a frame draws the same bytes whatever light layouts came before it', async () => {
    const two = [keyLight, hemi], four = [keyLight, fillA, fillB, hemi], three = [keyLight, fillB, hemi];
    // Renderer a sees the layouts in the order 2, 4, 3, 2; renderer b sees 3 first, then 4, then 2.
    const a2 = (await a.render(job(0, two))).color;
    const a4 = (await a.render(job(1, four))).color;
    const a3 = (await a.render(job(2, three))).color;
    const a2again = (await a.render(job(3, two))).color;
    const b3 = (await b.render(job(0, three))).color;
    const b4 = (await b.render(job(1, four))).color;
    const b2 = (await b.render(job(2, two))).color;
    expect(a2again.equals(a2)).toBe(true);
    expect(b2.equals(a2)).toBe(true);
    expect(b3.equals(a3)).toBe(true);
    expect(b4.equals(a4)).toBe(true);
    // The fills do light the frame: the layouts differ in the image.
    expect(a4.equals(a2)).toBe(false);
    expect(a3.equals(a2)).toBe(false);
  }, 60_000);
});
