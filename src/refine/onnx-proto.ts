/**
 * A minimal ONNX protobuf writer: enough to build small graphs in code (the refiner's low-pass
 * filter, test models) without a protobuf library. Field numbers are onnx.proto's (ModelProto,
 * GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto).
 */

export type Field = Uint8Array;
export type Dim = number | string;
export const FLOAT = 1;
export const INT64 = 7;

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

/** A graph input (field 11) or output (field 12): a named tensor of elem type and shape (numbers fixed, strings symbolic). */
export const valueInfo = (field: 11 | 12, name: string, elemType: number, dims: readonly Dim[]): Field =>
  msg(field, str(1, name), msg(2, msg(1, int(1, elemType), msg(2, ...dims.map((d) => msg(1, typeof d === 'number' ? int(1, d) : str(2, d)))))));

/** A NodeProto with INT, INTS or STRING attributes. */
export const node = (inputs: string[], outputs: string[], op: string, attrs: Record<string, number | number[] | string> = {}): Field =>
  msg(1, ...inputs.map((i) => str(1, i)), ...outputs.map((o) => str(2, o)), str(3, `${op}_${outputs[0]}`), str(4, op),
    ...Object.entries(attrs).map(([name, v]) =>
      typeof v === 'string' ? msg(5, str(1, name), str(4, v), int(20, 3))
        : Array.isArray(v) ? msg(5, str(1, name), ...v.map((k) => int(8, k)), int(20, 7))
          : msg(5, str(1, name), int(3, v), int(20, 2))));

/** A TensorProto initializer with raw little-endian data. */
export function initializer(name: string, dims: readonly number[], values: Float32Array | BigInt64Array): Field {
  const type = values instanceof Float32Array ? FLOAT : INT64;
  return msg(5, ...dims.map((d) => int(1, d)), int(2, type), str(8, name), bytes(9, new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength))));
}

/** A ModelProto: IR version 8, opset 17 (what the project's training script exports). */
export function model(graph: Field[], producer = 'robosynth'): Uint8Array {
  return concat([int(1, 8), str(2, producer), msg(7, str(2, 'g'), ...graph), msg(8, str(1, ''), int(2, 17))]);
}
