/**
 * The renderer's view of a frame: the one conversion from the world (Z up, OpenCV camera) into
 * the GL camera frame the page draws in. Nothing else converts conventions for the renderer.
 */
import { composePoses, invertPose, mulMat3, mulMat3Vec, poseToColumnMajor } from '../geometry/transforms.js';
import type { Mat3, Pose, Vec3 } from '../geometry/types.js';
import type { FrameCamera, FrameDescription } from '../scene/frame.js';
import { ID_UNLABELED, type Mat4, type PageJob, type PageLight } from './protocol.js';

/** OpenCV camera (x right, y down, z forward) to GL camera (x right, y up, z backward): a rotation. */
const GL_FROM_CV: Mat3 = [1, 0, 0, 0, -1, 0, 0, 0, -1];

/**
 * GL projection (column-major) reproducing the OpenCV intrinsics exactly. Pixel (i, j) covers
 * window coordinates [i, i+1) x [j, j+1) (rows from the bottom), so a point projecting to
 * OpenCV u lands at window x = u + 0.5: pixel centres sit at integer u, v as OpenCV has them.
 */
export function projectionFromIntrinsics(camera: FrameCamera): Mat4 {
  const { fx, fy, cx, cy, width: W, height: H, near: n, far: f } = camera;
  return [
    (2 * fx) / W, 0, 0, 0,
    0, (2 * fy) / H, 0, 0,
    1 - (2 * cx + 1) / W, (2 * cy + 1) / H - 1, -(f + n) / (f - n), -1,
    0, 0, (-2 * f * n) / (f - n), 0,
  ];
}

export function glCameraFromWorld(camera: FrameCamera): Pose {
  const cvFromWorld = invertPose(camera.pose);
  return { R: mulMat3(GL_FROM_CV, cvFromWorld.R), t: mulMat3Vec(GL_FROM_CV, cvFromWorld.t) };
}

export function frameToPageJob(frame: FrameDescription): Omit<PageJob, 'uploadUrl'> {
  const view = glCameraFromWorld(frame.camera);
  const toCamera = (pose: Pose) => poseToColumnMajor(composePoses(view, pose));
  const rotate = (v: Vec3) => mulMat3Vec(view.R, v);
  const lights = frame.lights.map((light): PageLight => {
    if (light.type === 'directional') return { ...light, direction: rotate(light.direction) };
    if (light.type === 'point') {
      const p = mulMat3Vec(view.R, light.position);
      return { ...light, position: [p[0] + view.t[0], p[1] + view.t[1], p[2] + view.t[2]] };
    }
    return { type: 'hemispheric', direction: rotate([0, 0, 1]), color: light.color, groundColor: light.groundColor, intensity: light.intensity };
  });
  const items = frame.instances.map((instance) => ({
    mesh: instance.model,
    matrix: toCamera(instance.pose),
    id: instance.id,
    ...instance.material,
    castShadows: true,
    receiveShadows: true,
  }));
  items.push({
    mesh: frame.support.model,
    matrix: toCamera(frame.support.pose),
    id: ID_UNLABELED,
    ...frame.support.material,
    castShadows: false,
    receiveShadows: true,
  });
  return { frame: frame.index, projection: projectionFromIntrinsics(frame.camera), clearColor: frame.background, lights, items };
}
