/**
 * Robot labels of a frame: joint values, the base and every link in the OpenCV camera frame,
 * and keypoints (movable joint origins and the end effector) in 3D and 2D with COCO visibility —
 * 2 where the rendered pixel under the keypoint belongs to the robot, 1 where something else
 * covers it, 0 outside the image or behind the camera. The whole robot's mask is the union of
 * its links' visible masks.
 */
import { composePoses, invertPose, transformPoint } from '../geometry/transforms.js';
import type { Mat3, Vec3 } from '../geometry/types.js';
import type { FrameDescription } from '../scene/frame.js';
import type { ObjectLabel } from './bop-gt.js';
import { emptyMask, maskBox, unionMasks, type RegionMask } from './mask.js';
import type { FrameImages } from './pixels.js';

export interface KeypointLabel {
  name: string;
  /** Camera frame, millimetres. */
  xyzCam: Vec3;
  /** OpenCV pixel coordinates (centre of pixel (i, j) at (i, j)). */
  uv: [number, number];
  visibility: 0 | 1 | 2;
}

export interface RobotLabel {
  name: string;
  joints: Record<string, number>;
  baseCamR: Mat3;
  /** Millimetres. */
  baseCamT: Vec3;
  /** Index of each link in the frame's object list (scene_gt order). */
  links: { link: string; objId: number; gtIndex: number }[];
  keypoints: KeypointLabel[];
  mask: RegionMask;
  /** [x, y, w, h], BOP convention; [-1, -1, -1, -1] when invisible. */
  bboxVisib: [number, number, number, number];
}

export function computeRobotLabels(frame: FrameDescription, images: FrameImages, objects: ObjectLabel[]): RobotLabel[] {
  const { camera } = frame;
  const camFromWorld = invertPose(camera.pose);
  const { width: W, height: H, ids } = images;
  return frame.robots.map((robot) => {
    const own = new Set(robot.linkIds);
    const links = objects
      .map((o, gtIndex) => ({ o, gtIndex }))
      .filter(({ o }) => own.has(o.instanceId))
      .map(({ o, gtIndex }) => ({ link: frame.instances.find((i) => i.id === o.instanceId)!.robot!.link, objId: o.objId, gtIndex }));
    let mask = emptyMask(W, H);
    for (const o of objects) if (own.has(o.instanceId)) mask = unionMasks(mask, o.maskVisib);
    const keypoints = robot.keypoints.map((k): KeypointLabel => {
      const p = transformPoint(camFromWorld, k.position);
      const u = (camera.fx * p[0]) / p[2] + camera.cx;
      const v = (camera.fy * p[1]) / p[2] + camera.cy;
      const i = Math.round(u), j = Math.round(v);
      let visibility: 0 | 1 | 2 = 0;
      if (p[2] > 0 && i >= 0 && j >= 0 && i < W && j < H) visibility = own.has(ids[j * W + i]) ? 2 : 1;
      return { name: k.name, xyzCam: p.map((c) => c * 1000) as Vec3, uv: [u, v], visibility };
    });
    const base = composePoses(camFromWorld, robot.base);
    return {
      name: robot.name,
      joints: robot.joints,
      baseCamR: base.R,
      baseCamT: base.t.map((c) => c * 1000) as Vec3,
      links,
      keypoints,
      mask,
      bboxVisib: maskBox(mask) ?? [-1, -1, -1, -1],
    };
  });
}
