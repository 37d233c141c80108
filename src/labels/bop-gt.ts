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
  mask: Uint8Array;
  maskVisib: Uint8Array;
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
  const byId = new Map<number, ObjectLabel>();
  const labels = frame.instances.map((instance): ObjectLabel => {
    const camFromModel = composePoses(camFromWorld, instance.pose);
    const silhouette = rasterizeSilhouette(meshes.get(instance.model)!, camFromModel, camera);
    const label: ObjectLabel = {
      instanceId: instance.id,
      objId: instance.objId,
      className: instance.className,
      camRm2c: camFromModel.R,
      camTm2c: camFromModel.t.map((v) => v * 1000) as Vec3,
      mask: silhouette.mask,
      maskVisib: new Uint8Array(W * H),
      pxCountAll: silhouette.countAll,
      pxCountValid: 0,
      pxCountVisib: 0,
      visibFract: 0,
      bboxObj: silhouette.bbox ?? NO_BOX,
      bboxVisib: NO_BOX,
    };
    byId.set(instance.id, label);
    return label;
  });

  // One pass over the instance image fills every object's visible mask and box.
  const boxes = new Map<number, [number, number, number, number]>();
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      const label = byId.get(ids[i]);
      if (!label) continue;
      label.maskVisib[i] = 1;
      label.pxCountVisib++;
      const box = boxes.get(label.instanceId);
      if (!box) boxes.set(label.instanceId, [x, y, x, y]);
      else {
        if (x < box[0]) box[0] = x;
        if (x > box[2]) box[2] = x;
        if (y < box[1]) box[1] = y;
        if (y > box[3]) box[3] = y;
      }
    }
  }
  for (const label of labels) {
    // A visible pixel is part of the silhouette by definition; where the CPU and GPU edge rules
    // disagree on a pixel centre lying exactly on an edge, the rendered pixel wins.
    let extra = 0, valid = 0;
    const { mask, maskVisib } = label;
    for (let i = 0; i < mask.length; i++) {
      if (maskVisib[i] && !mask[i]) { mask[i] = 1; extra++; }
      if (mask[i] && depth[i] > 0) valid++;
    }
    label.pxCountAll += extra;
    label.pxCountValid = valid;
    label.visibFract = label.pxCountAll > 0 ? label.pxCountVisib / label.pxCountAll : 0;
    const box = boxes.get(label.instanceId);
    if (box) label.bboxVisib = [box[0], box[1], box[2] - box[0], box[3] - box[1]];
    // BOP leaves the object box undefined when nothing of the object is visible.
    if (label.pxCountVisib === 0) label.bboxObj = NO_BOX;
    else if (extra > 0) label.bboxObj = unionBox(label.bboxObj, label.bboxVisib);
  }
  return labels;
}

function unionBox(a: BBox, b: BBox): BBox {
  if (a[0] < 0 && a[2] < 0) return b;
  const x0 = Math.min(a[0], b[0]), y0 = Math.min(a[1], b[1]);
  const x1 = Math.max(a[0] + a[2], b[0] + b[2]), y1 = Math.max(a[1] + a[3], b[1] + b[3]);
  return [x0, y0, x1 - x0, y1 - y0];
}
