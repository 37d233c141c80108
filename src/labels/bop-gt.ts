/**
 * Per-object ground truth of a frame, as the BOP format defines it: the pose in the OpenCV
 * camera (mm), the amodal silhouette (mask/), the visible part (mask_visib/) and the counts and
 * boxes of scene_gt_info.json. The visible part is exact: the pixels where the rendered instance
 * pass shows this instance (BOP's toolkit has to estimate it from depth with a tolerance).
 */
import { composePoses, invertPose } from '../geometry/transforms.js';
import type { Mat3, Vec3 } from '../geometry/types.js';
import type { FrameDescription } from '../scene/frame.js';
import type { ModelCatalog } from '../scene/models.js';
import { blankRegion, countMissing, emptyMask, maskBox, unionMasks, type RegionMask } from './mask.js';
import type { FrameImages } from './pixels.js';
import { rasterizeSilhouette } from './silhouette.js';

export type BBox = [number, number, number, number];

export interface ObjectLabel {
  instanceId: number;
  objId: number;
  className: string;
  camRm2c: Mat3;
  /** Millimetres. */
  camTm2c: Vec3;
  /** The in-image silhouette (BOP mask/). */
  mask: RegionMask;
  /** The visible part (BOP mask_visib/). */
  maskVisib: RegionMask;
  pxCountAll: number;
  pxCountValid: number;
  pxCountVisib: number;
  visibFract: number;
  bboxObj: BBox;
  bboxVisib: BBox;
}

const NO_BOX: BBox = [-1, -1, -1, -1];

export function computeObjectLabels(frame: FrameDescription, catalog: ModelCatalog, images: FrameImages): ObjectLabel[] {
  const { camera } = frame;
  const { width: W, height: H, ids, depth } = images;
  const camFromWorld = invertPose(camera.pose);
  const meshes = new Map(catalog.models.map((m) => [m.key, m.mesh]));

  // One pass over the instance image finds each instance's visible box...
  const maxId = frame.instances.reduce((m, inst) => Math.max(m, inst.id), 0);
  const boxes = new Int32Array((maxId + 1) * 4);
  for (let id = 0; id <= maxId; id++) boxes.set([W, H, -1, -1], id * 4);
  for (let y = 0, i = 0; y < H; y++) {
    for (let x = 0; x < W; x++, i++) {
      const id = ids[i];
      if (id === 0 || id > maxId) continue;
      const b = id * 4;
      if (x < boxes[b]) boxes[b] = x;
      if (x > boxes[b + 2]) boxes[b + 2] = x;
      if (y < boxes[b + 1]) boxes[b + 1] = y;
      if (y > boxes[b + 3]) boxes[b + 3] = y;
    }
  }

  // Distractors are drawn as unlabeled structure and get no label: gt indices count labeled instances only.
  return frame.instances.filter((instance) => !instance.unlabeled).map((instance): ObjectLabel => {
    const camFromModel = composePoses(camFromWorld, instance.pose);
    const silhouette = rasterizeSilhouette(meshes.get(instance.model)!, camFromModel, camera);
    // ...and only that box is read again for its visible mask.
    const b = instance.id * 4;
    let visib = emptyMask(W, H);
    if (boxes[b + 2] >= 0) {
      visib = blankRegion(W, H, boxes[b], boxes[b + 1], boxes[b + 2], boxes[b + 3]);
      for (let j = 0; j < visib.h; j++) {
        const row = (visib.y0 + j) * W + visib.x0;
        for (let i = 0; i < visib.w; i++) {
          if (ids[row + i] === instance.id) { visib.data[j * visib.w + i] = 1; visib.count++; }
        }
      }
    }
    // A visible pixel is part of the silhouette by definition; where the CPU and GPU edge rules
    // disagree on a pixel centre lying exactly on an edge, the rendered pixel wins.
    const extra = countMissing(visib, silhouette.mask);
    const mask = extra > 0 ? unionMasks(silhouette.mask, visib) : silhouette.mask;
    let valid = 0;
    for (let j = 0; j < mask.h; j++) {
      const row = (mask.y0 + j) * W + mask.x0;
      for (let i = 0; i < mask.w; i++) if (mask.data[j * mask.w + i] && depth[row + i] > 0) valid++;
    }
    const pxCountAll = silhouette.countAll + extra;
    let bboxObj: BBox = silhouette.bbox ?? NO_BOX;
    if (extra > 0) bboxObj = unionBox(bboxObj, maskBox(visib)!);
    return {
      instanceId: instance.id,
      objId: instance.objId,
      className: instance.className,
      camRm2c: camFromModel.R,
      camTm2c: camFromModel.t.map((v) => v * 1000) as Vec3,
      mask,
      maskVisib: visib,
      pxCountAll,
      pxCountValid: valid,
      pxCountVisib: visib.count,
      visibFract: pxCountAll > 0 ? visib.count / pxCountAll : 0,
      // BOP leaves the object box undefined when nothing of the object is visible.
      bboxObj: visib.count > 0 ? bboxObj : NO_BOX,
      bboxVisib: maskBox(visib) ?? NO_BOX,
    };
  });
}

function unionBox(a: BBox, b: BBox): BBox {
  if (a === NO_BOX) return b;
  const x0 = Math.min(a[0], b[0]), y0 = Math.min(a[1], b[1]);
  const x1 = Math.max(a[0] + a[2], b[0] + b[2]), y1 = Math.max(a[1] + a[3], b[1] + b[3]);
  return [x0, y0, x1 - x0, y1 - y0];
}

