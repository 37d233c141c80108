/**
 * Tiny ONNX models written by hand (protobuf encoded here, ~100 lines), so the onnxruntime wrapper
 * is tested on every machine without Python, PyTorch or a trained model:
 * - a "pixel UNet" with the refiner's signature, sample [B, 3, R, R] and timestep int64 [B],
 *   computing out = 0.5 * sample + 0.001 * timestep, which makes every value checkable;
 * - a "latent UNet" with the Stable Diffusion export's signature (sample, timestep,
 *   encoder_hidden_states), for the kind detection;
 * - a VAE encoder in newer optimum's form, outputting `latent_parameters` (mean and log variance).
 * Field numbers are onnx.proto's (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto).
 */

type Field = Uint8Array;

function varint(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v) byte |= 0x80;
    out.push(byte);
  } while (v);
  return out;
}

const concat = (parts: readonly Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

const int = (field: number, value: number | bigint): Field => Uint8Array.from([...varint(field << 3), ...varint(value)]);
const bytes = (field: number, data: Uint8Array): Field => concat([Uint8Array.from([...varint((field << 3) | 2), ...varint(data.length)]), data]);
const str = (field: number, text: string): Field => bytes(field, new TextEncoder().encode(text));
const msg = (field: number, ...fields: Field[]): Field => bytes(field, concat(fields));

const FLOAT = 1;
const INT64 = 7;
type Dim = number | string;

/** ValueInfoProto: a named tensor of elem type and shape (numbers fixed, strings symbolic). */
const valueInfo = (field: number, name: string, elemType: number, dims: readonly Dim[]) =>
  msg(field, str(1, name), msg(2, msg(1, int(1, elemType), msg(2, ...dims.map((d) => msg(1, typeof d === 'number' ? int(1, d) : str(2, d)))))));

/** NodeProto with optional integer (INT) or integer list (INTS) attributes. */
const node = (inputs: string[], outputs: string[], op: string, attrs: Record<string, number | number[]> = {}) =>
  msg(1, ...inputs.map((i) => str(1, i)), ...outputs.map((o) => str(2, o)), str(3, `${op}_${outputs[0]}`), str(4, op),
    ...Object.entries(attrs).map(([name, v]) => (Array.isArray(v) ? msg(5, str(1, name), ...v.map((k) => int(8, k)), int(20, 7)) : msg(5, str(1, name), int(3, v), int(20, 2)))));

/** TensorProto initializer with raw little-endian data. */
function initializer(name: string, dims: readonly number[], values: Float32Array | BigInt64Array): Field {
  const type = values instanceof Float32Array ? FLOAT : INT64;
  return msg(5, ...dims.map((d) => int(1, d)), int(2, type), str(8, name), bytes(9, new Uint8Array(values.buffer.slice(0))));
}

function model(graph: Field[]): Uint8Array {
  // ir_version 8, opset 17 (what the project's training script exports).
  return concat([int(1, 8), str(2, 'robosynth-test'), msg(7, str(2, 'g'), ...graph), msg(8, str(1, ''), int(2, 17))]);
}

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
