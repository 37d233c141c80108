import { describe, expect, it } from 'vitest';
import { loadMeshFile } from '../../src/geometry/mesh-files.js';
import { sampleSettledFrame } from '../../src/pipeline/render-dataset.js';
import { loadScene } from '../../src/scene/load.js';
import { buildCatalog } from '../../src/scene/models.js';

const scene = loadScene(new URL('../../scenes/tabletop.yaml', import.meta.url).pathname);
const catalog = await buildCatalog(scene, loadMeshFile);
const spec = scene.spec;

describe('frame sampling', () => {
  it('depends on (seed, index) alone', () => {
    const a = sampleSettledFrame(spec, catalog, 5, 17);
    const b = sampleSettledFrame(spec, catalog, 5, 17);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(sampleSettledFrame(spec, catalog, 5, 18))).not.toBe(JSON.stringify(a));
    expect(JSON.stringify(sampleSettledFrame(spec, catalog, 6, 17))).not.toBe(JSON.stringify(a));
  });

  it('keeps counts, camera and settled poses inside the scene file ranges', () => {
    for (let index = 0; index < 12; index++) {
      const frame = sampleSettledFrame(spec, catalog, 1, index);
      spec.objects.forEach((cls) => {
        const n = frame.instances.filter((i) => i.className === cls.class).length;
        const [lo, hi] = typeof cls.count === 'number' ? [cls.count, cls.count] : cls.count;
        expect(n).toBeGreaterThanOrEqual(lo);
        expect(n).toBeLessThanOrEqual(hi);
      });
      const t = frame.camera.pose.t;
      const d = Math.hypot(t[0], t[1], t[2] - 0.03);
      const [dmin, dmax] = spec.camera.pose.distance as [number, number];
      expect(d).toBeGreaterThan(dmin - 0.08);
      expect(d).toBeLessThan(dmax + 0.08);
      for (const instance of frame.instances) {
        const [x, y, z] = instance.pose.t;
        // Settled: resting on the table (its top is z = 0), not below it and not flying.
        expect(z).toBeGreaterThan(0);
        expect(z).toBeLessThan(0.15);
        expect(Math.abs(x)).toBeLessThan(0.6);
        expect(Math.abs(y)).toBeLessThan(0.4);
      }
      expect(new Set(frame.instances.map((i) => i.id)).size).toBe(frame.instances.length);
    }
  });
});
