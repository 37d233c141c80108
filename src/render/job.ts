/**
 * The renderer's view of a frame: the one conversion from the world (Z up, OpenCV camera) into
 * the GL camera frame the page draws in. Nothing else converts conventions for the renderer.
 */
import { composePoses, invertPose, mulMat3, mulMat3Vec, poseToColumnMajor } from '../geometry/transforms.js';
import type { Mat3, Pose, Vec3 } from '../geometry/types.js';
import type { Backdrop, FrameCamera, FrameDescription, Material } from '../scene/frame.js';
import type { RenderModels } from '../scene/models.js';
import { ID_UNLABELED, type Mat4, type PageBackdrop, type PageItem, type PageJob, type PageLight } from './protocol.js';

/** Room around the casters' bounding sphere for the receiving surface below them (m). */
const SHADOW_MARGIN_M = 0.1;

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

/**
 * A frame material as page item fields. `assetTexture` is a model part's own texture (OBJ map_Kd
 * and the like): it is drawn when the material drew none from its texture folder; when the
 * material did draw one, that wins (the scene file asked to swap textures, over whatever the
 * asset ships), with the material's scale. The asset's own texture keeps its authored UVs (scale 1).
 */
function surface(material: Material, assetTexture?: string): Pick<PageItem, 'color' | 'roughness' | 'metallic' | 'texture' | 'textureScale'> {
  const { color, roughness, metallic, texture, textureScale } = material;
  if (texture !== undefined) return { color, roughness, metallic, texture, textureScale: [textureScale ?? 1, textureScale ?? 1] };
  return { color, roughness, metallic, ...(assetTexture !== undefined ? { texture: assetTexture } : {}) };
}

/**
 * A frame's backdrop for the page. A gradient at angle a (counter-clockwise in the image) runs
 * along d = (-sin a, cos a) in window coordinates (y up), scaled so that t goes from 0 to 1
 * between the image's extreme corners along d: the edges (or corners) get the pure colours.
 */
export function pageBackdrop(backdrop: Backdrop, camera: Pick<FrameCamera, 'width' | 'height'>): PageBackdrop {
  if ('image' in backdrop) return { type: 'image', texture: backdrop.image };
  const { top, bottom, angleDeg } = backdrop.gradient;
  const a = (angleDeg * Math.PI) / 180;
  const [dx, dy] = [-Math.sin(a), Math.cos(a)];
  const extent = camera.width * Math.abs(dx) + camera.height * Math.abs(dy);
  return { type: 'gradient', top, bottom, direction: [dx / extent, dy / extent] };
}

/**
 * @param models each model's bounding radius (to fit the shadow maps around the casters) and
 *   coloured parts (drawn as separate items that share the instance's id).
 */
export function frameToPageJob(frame: FrameDescription, models: RenderModels): Omit<PageJob, 'uploadUrl'> {
  const view = glCameraFromWorld(frame.camera);
  const toCamera = (pose: Pose) => poseToColumnMajor(composePoses(view, pose));
  const rotate = (v: Vec3) => mulMat3Vec(view.R, v);
  // The casters' bounding sphere (world frame), with room below for the support that receives.
  const casters = [...frame.instances, ...(frame.support.walls ?? [])].map((i) => ({ centre: i.pose.t, radius: models.get(i.model)?.radius ?? 0 }));
  const centre: Vec3 = casters.length
    ? [0, 1, 2].map((k) => casters.reduce((s, c) => s + c.centre[k], 0) / casters.length) as Vec3
    : [0, 0, 0];
  const reach = SHADOW_MARGIN_M + casters.reduce((m, c) => Math.max(m, Math.hypot(c.centre[0] - centre[0], c.centre[1] - centre[1], c.centre[2] - centre[2]) + c.radius), 0);
  const toCameraPoint = (p: Vec3): Vec3 => {
    const r = mulMat3Vec(view.R, p);
    return [r[0] + view.t[0], r[1] + view.t[1], r[2] + view.t[2]];
  };
  const lights = frame.lights.map((light): PageLight => {
    if (light.type === 'directional') {
      const d = light.direction;
      const position: Vec3 = [centre[0] - d[0] * reach, centre[1] - d[1] * reach, centre[2] - d[2] * reach];
      return { ...light, direction: rotate(d), position: toCameraPoint(position), shadowRange: { minZ: 0, maxZ: 2 * reach, width: 2 * reach } };
    }
    if (light.type === 'point') {
      const p = light.position;
      const far = Math.hypot(p[0] - centre[0], p[1] - centre[1], p[2] - centre[2]) + reach;
      return { ...light, position: toCameraPoint(p), shadowRange: { minZ: 0.01, maxZ: far, width: 0 } };
    }
    return { type: 'hemispheric', direction: rotate([0, 0, 1]), color: light.color, groundColor: light.groundColor, intensity: light.intensity };
  });
  const items = frame.instances.flatMap((instance) => {
    const matrix = toCamera(instance.pose);
    const parts = models.get(instance.model)?.parts ?? [{ key: instance.model, color: undefined }];
    return parts.map((part): PageItem => ({
      mesh: part.key,
      matrix,
      id: instance.unlabeled ? ID_UNLABELED : instance.id,
      // The material's folder texture, else the model's own, drawn times the colour.
      ...surface(instance.material, 'texture' in part ? part.texture : undefined),
      color: instance.partColors && part.color ? part.color : instance.material.color,
      castShadows: true,
      receiveShadows: true,
    }));
  });
  items.push({
    mesh: frame.support.model,
    matrix: toCamera(frame.support.pose),
    id: ID_UNLABELED,
    ...surface(frame.support.material),
    castShadows: false,
    receiveShadows: true,
  });
  // A bin's or shelf's walls: unlabeled structure that casts and receives shadows like the objects.
  for (const wall of frame.support.walls ?? []) {
    items.push({ mesh: wall.model, matrix: toCamera(wall.pose), id: ID_UNLABELED, ...surface(frame.support.material), castShadows: true, receiveShadows: true });
  }
  return {
    frame: frame.index,
    projection: projectionFromIntrinsics(frame.camera),
    clearColor: frame.background,
    ...(frame.backdrop ? { backdrop: pageBackdrop(frame.backdrop, frame.camera) } : {}),
    lights,
    items,
  };
}
