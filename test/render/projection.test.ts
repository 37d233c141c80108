import { describe, expect, it } from 'vitest';
import { invertPose, transformPoint } from '../../src/geometry/transforms.js';
import type { Vec3 } from '../../src/geometry/types.js';
import { frameToPageJob, glCameraFromWorld, projectionFromIntrinsics } from '../../src/render/job.js';
import { sampleCamera } from '../../src/sampling/frame.js';
import { Rng } from '../../src/sampling/rng.js';
import { loadScene } from '../../src/scene/load.js';
import type { FrameCamera } from '../../src/scene/frame.js';

const scene = loadScene(new URL('../../scenes/tabletop.yaml', import.meta.url).pathname).spec;

/** Where the GL pipeline puts a world point: window coordinates, y up from the bottom edge. */
function glWindow(camera: FrameCamera, p: Vec3): [number, number, number] {
  const P = projectionFromIntrinsics(camera);
  const c = transformPoint(glCameraFromWorld(camera), p);
  const clip = [0, 1, 2, 3].map((r) => P[r] * c[0] + P[4 + r] * c[1] + P[8 + r] * c[2] + P[12 + r]);
  const ndc = clip.map((v) => v / clip[3]);
  return [((ndc[0] + 1) / 2) * camera.width, ((ndc[1] + 1) / 2) * camera.height, ndc[2]];
}

function openCv(camera: FrameCamera, p: Vec3): [number, number, number] {
  const [X, Y, Z] = transformPoint(invertPose(camera.pose), p);
  return [(camera.fx * X) / Z + camera.cx, (camera.fy * Y) / Z + camera.cy, Z];
}

describe('the renderer view reproduces the OpenCV camera', () => {
  it('puts every point where OpenCV projects it, pixel centres at integer u, v', () => {
    const rng = new Rng('projection-test');
    for (let i = 0; i < 50; i++) {
      const camera = { ...sampleCamera(rng, scene), fx: rng.uniform(300, 900), fy: rng.uniform(300, 900), cx: rng.uniform(250, 390), cy: rng.uniform(180, 300) };
      const p: Vec3 = [rng.uniform(-0.3, 0.3), rng.uniform(-0.3, 0.3), rng.uniform(0, 0.2)];
      const [u, v, Z] = openCv(camera, p);
      expect(Z).toBeGreaterThan(0);
      const [x, y, depth] = glWindow(camera, p);
      // Pixel column i spans window x [i, i+1); OpenCV puts its centre at u = i.
      expect(x).toBeCloseTo(u + 0.5, 6);
      // Rows: OpenCV row j (from the top) is GL row H-1-j (from the bottom).
      expect(y).toBeCloseTo(camera.height - (v + 0.5), 6);
      expect(depth).toBeGreaterThan(-1);
      expect(depth).toBeLessThan(1);
    }
  });

  it('keeps the camera a proper rotation (no mirror) and looks at the target', () => {
    const rng = new Rng('camera-test');
    for (let i = 0; i < 20; i++) {
      const camera = sampleCamera(rng, { ...scene, camera: { ...scene.camera, pose: { ...scene.camera.pose, target_jitter: [0, 0, 0] } } });
      const R = camera.pose.R;
      const det = R[0] * (R[4] * R[8] - R[5] * R[7]) - R[1] * (R[3] * R[8] - R[5] * R[6]) + R[2] * (R[3] * R[7] - R[4] * R[6]);
      expect(det).toBeCloseTo(1, 9);
      const [u, v] = openCv(camera, scene.camera.pose.target as Vec3);
      expect(u).toBeCloseTo(camera.cx, 6);
      expect(v).toBeCloseTo(camera.cy, 6);
      // World up (+Z) appears upwards in the image: a point above the target has a smaller v.
      const above = openCv(camera, [scene.camera.pose.target[0], scene.camera.pose.target[1], scene.camera.pose.target[2] + 0.1]);
      expect(above[1]).toBeLessThan(v);
    }
  });

  it('hands the page lights and items in the camera frame', () => {
    const camera = sampleCamera(new Rng('job'), scene);
    const job = frameToPageJob({
      seed: 0, index: 0, camera, background: [0, 0, 0],
      lights: [{ type: 'directional', direction: [0, 0, -1], color: [1, 1, 1], intensity: 1, shadows: true }],
      support: { model: 'support', pose: { R: [1, 0, 0, 0, 1, 0, 0, 0, 1], t: [0, 0, -0.02] }, material: { color: [1, 1, 1], roughness: 1, metallic: 0 } },
      instances: [], robots: [], physics: { attempts: 1, steps: 0 }, sensor: {},
    }, new Map());
    // Sunlight falls downwards in the world, hence towards the bottom of the image (negative y in GL).
    const light = job.lights[0];
    expect(light.type).toBe('directional');
    if (light.type === 'directional') expect(light.direction[1]).toBeLessThan(0);
    expect(job.items).toHaveLength(1);
    expect(job.items[0].id).toBe(0xffff);
  });
});
