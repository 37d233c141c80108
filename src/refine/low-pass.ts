/**
 * The structure guidance's Gaussian low-pass (refiner.ts), run by onnxruntime: a reflect Pad and
 * two 1-D depthwise convolutions, as a graph built in code (onnx-proto.ts). Every step filters the
 * whole batch of tiles (1.7 M values a step for a 640x480 frame in 128 px tiles); onnxruntime does
 * that in ~10 ms where a JavaScript loop took ~70.
 *
 * The kernel is the sampled Gaussian of radius ceil(3 sigma), normalized; borders are reflected
 * without repeating the edge (numpy's and ONNX's "reflect").
 */
import type { InferenceSession } from 'onnxruntime-node';
import { loadOrt } from './onnx.js';
import { FLOAT, initializer, model, node, valueInfo } from './onnx-proto.js';

/** A normalized 1-D Gaussian of the given sigma, radius ceil(3 sigma) (at least 1). */
export function gaussianKernel(sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = Float32Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const sum = k.reduce((a, b) => a + b, 0);
  return k.map((v) => v / sum);
}

/**
 * The graph for `planes` planes: x [1, planes, H, W] -> Pad(reflect, r) -> depthwise Conv (1 x k)
 * -> depthwise Conv (k x 1) -> y. Depthwise (group = planes) is what onnxruntime's CPU kernels
 * vectorize well; one plane per batch item runs 5-10x slower.
 */
export function lowPassOnnx(sigma: number, planes: number): Uint8Array {
  const k = gaussianKernel(sigma);
  const r = (k.length - 1) / 2;
  const weights = new Float32Array(planes * k.length);
  for (let p = 0; p < planes; p++) weights.set(k, p * k.length);
  return model([
    node(['x', 'pads'], ['padded'], 'Pad', { mode: 'reflect' }),
    node(['padded', 'kx'], ['rows'], 'Conv', { group: planes }),
    node(['rows', 'ky'], ['y'], 'Conv', { group: planes }),
    initializer('pads', [8], BigInt64Array.from([0, 0, r, r, 0, 0, r, r].map(BigInt))),
    initializer('kx', [planes, 1, 1, k.length], weights),
    initializer('ky', [planes, 1, k.length, 1], weights),
    valueInfo(11, 'x', FLOAT, [1, planes, 'h', 'w']),
    valueInfo(12, 'y', FLOAT, [1, planes, 'h', 'w']),
  ]);
}

/** Sessions by sigma and plane count (a batch of frames of one size reuses one or two). */
const sessions = new Map<string, Promise<InferenceSession>>();

/**
 * Low-pass of every (item, channel) plane of a [B, C, side, side] tensor: `planes` = B * C.
 * Returns a new array. Planes must be wider than the kernel's radius (reflect padding).
 */
export async function lowPassPlanes(data: Float32Array, planes: number, side: number, sigma: number): Promise<Float32Array> {
  if (data.length !== planes * side * side) throw new RangeError(`${planes} planes of ${side}x${side} need ${planes * side * side} values, got ${data.length}`);
  const r = Math.max(1, Math.ceil(3 * sigma));
  if (r >= side) throw new RangeError(`a low-pass of sigma ${sigma} (radius ${r}) needs planes wider than ${r} px, got ${side}`);
  const ort = await loadOrt();
  const key = `${sigma}/${planes}`;
  let session = sessions.get(key);
  if (!session) {
    session = ort.InferenceSession.create(lowPassOnnx(sigma, planes), { graphOptimizationLevel: 'all' });
    session.catch(() => sessions.delete(key));
    sessions.set(key, session);
  }
  const result = await (await session).run({ x: new ort.Tensor('float32', data, [1, planes, side, side]) });
  return result.y.data as Float32Array;
}
