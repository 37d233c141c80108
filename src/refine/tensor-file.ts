/**
 * The project's small tensor file, RSTENSOR (written by scripts/refiner/train.py, documented in
 * its docstring): the precomputed `encoder_hidden_states` of a latent refiner (text_embeddings.bin),
 * so the runtime needs no text encoder or tokenizer.
 *
 *   bytes 0..7    ASCII "RSTENSOR"
 *   bytes 8..11   uint32 little-endian N, the JSON header's length
 *   bytes 12..    N bytes of UTF-8 JSON: {"dtype": "float32", "shape": [...], "order": "C",
 *                 "byte_order": "little", "data_offset": D, ...}
 *   bytes D..     prod(shape) float32 values, little-endian, C order
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';

export interface TensorFile {
  shape: number[];
  data: Float32Array;
  /** The whole JSON header (prompt, source, ... besides the layout). */
  header: Record<string, unknown>;
}

const MAGIC = 'RSTENSOR';

/** Parses an RSTENSOR buffer; `source` names it in error messages. */
export function parseTensorFile(buf: Uint8Array, source: string): TensorFile {
  const fail = (what: string): never => {
    throw new UserError(`${source}: ${what} (the RSTENSOR format: see scripts/refiner/train.py)`);
  };
  if (buf.length < 12 || new TextDecoder().decode(buf.subarray(0, 8)) !== MAGIC) fail(`not an RSTENSOR file (no "${MAGIC}" magic)`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = view.getUint32(8, true);
  if (12 + n > buf.length) fail(`the header says it is ${n} bytes long, the file has ${buf.length - 12} after the magic`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(12, 12 + n))) as Record<string, unknown>;
  } catch (error) {
    return fail(`the header is not JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('the header is not a JSON object');
  if (header.dtype !== 'float32') fail(`dtype ${JSON.stringify(header.dtype)}; only float32 is supported`);
  if ((header.order ?? 'C') !== 'C') fail(`order ${JSON.stringify(header.order)}; only C order is supported`);
  if ((header.byte_order ?? 'little') !== 'little') fail(`byte_order ${JSON.stringify(header.byte_order)}; only little is supported`);
  const shape = header.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && (d as number) >= 1)) fail(`shape ${JSON.stringify(shape)} is not a list of positive integers`);
  const dims = shape as number[];
  const offset = header.data_offset ?? 12 + n;
  if (!Number.isInteger(offset) || (offset as number) < 12 + n) fail(`data_offset ${JSON.stringify(offset)} is not an integer past the header`);
  const count = dims.reduce((a, b) => a * b, 1);
  const bytes = buf.length - (offset as number);
  if (bytes !== count * 4) fail(`shape [${dims.join(', ')}] needs ${count * 4} bytes of data, the file has ${bytes}`);
  const data = new Float32Array(count);
  const body = new DataView(buf.buffer, buf.byteOffset + (offset as number), bytes);
  for (let i = 0; i < count; i++) data[i] = body.getFloat32(4 * i, true);
  return { shape: dims, data, header };
}

export function readTensorFile(file: string): TensorFile {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (error) {
    throw new UserError(`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return parseTensorFile(buf, file);
}
