/**
 * Tiny ONNX models written by hand (with src/refine/onnx-proto.ts), so the onnxruntime wrapper
 * is tested on every machine without Python, PyTorch or a trained model:
 * - a "pixel UNet" with the refiner's signature, sample [B, 3, R, R] and timestep int64 [B],
 *   computing out = 0.5 * sample + 0.001 * timestep, which makes every value checkable;
 * - a "latent UNet" with the Stable Diffusion export's signature (sample, timestep,
 *   encoder_hidden_states), for the kind detection;
 * - a VAE encoder in newer optimum's form, outputting `latent_parameters` (mean and log variance).
 */

import { FLOAT, INT64, initializer, model as onnxModel, node, valueInfo, type Dim, type Field } from '../../src/refine/onnx-proto.js';

const model = (graph: Field[]) => onnxModel(graph, 'robosynth-test');

/**
 * out_sample = 0.5 * sample + 0.001 * timestep, sample [batch, 3, size, size] (or symbolic H, W
 * when size is null), timestep int64 [batch] (diffusers' exports) or float32 [batch] (the project's
 * training script's default).
 */
export function pixelUnetOnnx(size: number | null, timestep: 'int64' | 'float32' = 'int64'): Uint8Array {
  const hw: Dim[] = size === null ? ['height', 'width'] : [size, size];
  return model([
    node(['timestep'], ['t_float'], 'Cast', { to: FLOAT }),
    node(['t_float', 'shape_b111'], ['t_b111'], 'Reshape'),
    node(['t_b111', 'k_t'], ['t_term'], 'Mul'),
    node(['sample', 'k_half'], ['half'], 'Mul'),
    node(['half', 't_term'], ['out_sample'], 'Add'),
    initializer('shape_b111', [4], BigInt64Array.from([-1n, 1n, 1n, 1n])),
    initializer('k_t', [], Float32Array.from([0.001])),
    initializer('k_half', [], Float32Array.from([0.5])),
    valueInfo(11, 'sample', FLOAT, ['batch', 3, ...hw]),
    valueInfo(11, 'timestep', timestep === 'int64' ? INT64 : FLOAT, ['batch']),
    valueInfo(12, 'out_sample', FLOAT, ['batch', 3, ...hw]),
  ]);
}

/** A latent UNet's signature: sample [1, 4, 8, 8], timestep, encoder_hidden_states [1, 77, 16]. */
export function latentUnetOnnx(): Uint8Array {
  return model([
    node(['encoder_hidden_states'], ['ehs_mean'], 'ReduceMean', { keepdims: 0 }),
    node(['sample', 'ehs_mean'], ['out_sample'], 'Add'),
    valueInfo(11, 'sample', FLOAT, [1, 4, 8, 8]),
    valueInfo(11, 'timestep', INT64, [1]),
    valueInfo(11, 'encoder_hidden_states', FLOAT, [1, 77, 16]),
    valueInfo(12, 'out_sample', FLOAT, [1, 4, 8, 8]),
  ]);
}

/**
 * A VAE encoder like newer optimum exports: sample [B, 3, H, W] -> latent_parameters [B, 8, H/8, W/8],
 * the first 4 channels the mean, the last 4 the log variance. Here the mean is what
 * scripts/refiner/train.py's tiny encoder computes (8x8 block means of R, G, B and grey, divided
 * by `scaling`) and the log variance is -100 times that, so taking the wrong half shows.
 */
export function vaeEncoderParametersOnnx(scaling: number): Uint8Array {
  const w = new Float32Array(8 * 3 * 8 * 8);
  const at = (o: number, c: number, v: number, u: number) => ((o * 3 + c) * 8 + v) * 8 + u;
  for (let v = 0; v < 8; v++) {
    for (let u = 0; u < 8; u++) {
      for (let c = 0; c < 3; c++) {
        w[at(c, c, v, u)] = 1 / 64 / scaling;
        w[at(3, c, v, u)] = 1 / (3 * 64) / scaling;
        w[at(4 + c, c, v, u)] = -100 / 64 / scaling;
        w[at(7, c, v, u)] = -100 / (3 * 64) / scaling;
      }
    }
  }
  return model([
    node(['sample', 'w'], ['latent_parameters'], 'Conv', { strides: [8, 8] }),
    initializer('w', [8, 3, 8, 8], w),
    valueInfo(11, 'sample', FLOAT, ['batch', 3, 'height', 'width']),
    valueInfo(12, 'latent_parameters', FLOAT, ['batch', 8, 'latent_height', 'latent_width']),
  ]);
}
