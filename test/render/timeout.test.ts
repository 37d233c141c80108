// A stuck page must fail its frame with a clear message, not hang the batch: the renderer gives
// each frame a deadline (120 s by default). Here the deadline is shorter than any real frame.
import { describe, expect, it } from 'vitest';
import type { TriMesh } from '../../src/geometry/types.js';
import { Renderer } from '../../src/render/driver.js';

const tri: TriMesh = {
  positions: new Float32Array([0, 0, -1, 1, 0, -1, 0, 1, -1]),
  normals: new Float32Array([0, 0, 1, 0, 0, 1, 0, 0, 1]),
  indices: new Uint32Array([0, 1, 2]),
};

describe('the frame deadline', () => {
  it('fails a frame the page does not finish in time, naming the frame and the likely cause', async () => {
    const renderer = await Renderer.launch(new Map([['tri', tri]]), { width: 32, height: 32, samples: 1, shadowMapSize: 512, frameTimeoutMs: 1 });
    try {
      const job = {
        frame: 7,
        projection: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, -1.02, -1, 0, 0, -0.2, 0],
        clearColor: [0, 0, 0] as [number, number, number],
        lights: [{ type: 'hemispheric' as const, direction: [0, 0, 1] as [number, number, number], color: [1, 1, 1] as [number, number, number], groundColor: [0, 0, 0] as [number, number, number], intensity: 1 }],
        items: [{ mesh: 'tri', matrix: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], id: 1, color: [1, 1, 1] as [number, number, number], metallic: 0, roughness: 1, castShadows: false, receiveShadows: false }],
      };
      await expect(renderer.render(job)).rejects.toThrow(/rendering frame 7 failed in the page: the page did not draw it within 0\.001 s \(the browser or its GPU process may be stuck\)/);
    } finally {
      await renderer.close();
    }
  }, 60_000);
});
