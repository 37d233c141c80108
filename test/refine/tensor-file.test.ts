import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTensorFile, readTensorFile } from '../../src/refine/tensor-file.js';
import { LATENT_TINY } from './tiny-models.js';

/** An RSTENSOR file as scripts/refiner/train.py writes it (header padded so the data is 64-byte aligned). */
function rstensor(shape: number[], values: number[], header: Record<string, unknown> = {}): Uint8Array {
  let json = JSON.stringify({ dtype: 'float32', shape, order: 'C', byte_order: 'little', data_offset: 0, ...header });
  const offset = Math.ceil((12 + json.length + 8) / 64) * 64;
  json = JSON.stringify({ dtype: 'float32', shape, order: 'C', byte_order: 'little', data_offset: offset, ...header }).padEnd(offset - 12, ' ');
  const buf = Buffer.alloc(offset + 4 * values.length);
  buf.write('RSTENSOR', 0, 'ascii');
  buf.writeUInt32LE(json.length, 8);
  buf.write(json, 12, 'utf8');
  values.forEach((v, i) => buf.writeFloatLE(v, offset + 4 * i));
  return buf;
}

describe('RSTENSOR files', () => {
  it('reads what scripts/refiner/train.py wrote: the tiny latent model\'s embeddings [1, 77, 32]', () => {
    const file = readTensorFile(join(LATENT_TINY, 'text_embeddings.bin'));
    expect(file.shape).toEqual([1, 77, 32]);
    expect(file.data.length).toBe(77 * 32);
    expect(file.data.every(Number.isFinite)).toBe(true);
    expect(file.header.source).toBe('scripts/refiner/train.py --tiny-latent');
    // The same bytes through parseTensorFile, at an unaligned offset in a bigger buffer.
    const raw = readFileSync(join(LATENT_TINY, 'text_embeddings.bin'));
    const shifted = new Uint8Array(raw.length + 3);
    shifted.set(raw, 3);
    expect(parseTensorFile(shifted.subarray(3), 'x').data).toEqual(file.data);
  });

  it('round-trips values and says what is wrong', () => {
    expect(Array.from(parseTensorFile(rstensor([2, 2], [1, -2, 0.5, 3]), 'x').data)).toEqual([1, -2, 0.5, 3]);
    expect(() => parseTensorFile(new TextEncoder().encode('NOTATENSOR..'), 'f.bin')).toThrow(/f.bin: not an RSTENSOR file/);
    expect(() => parseTensorFile(rstensor([2, 2], [1, 2, 3]), 'f.bin')).toThrow(/needs 16 bytes of data, the file has 12/);
    expect(() => parseTensorFile(rstensor([2], [1, 2], { dtype: 'float16' }), 'f.bin')).toThrow(/dtype "float16"; only float32/);
    expect(() => parseTensorFile(rstensor([2], [1, 2], { byte_order: 'big' }), 'f.bin')).toThrow(/byte_order "big"/);
    expect(() => readTensorFile('/nonexistent/e.bin')).toThrow(/e.bin: cannot be read \(ENOENT\)/);
  });
});
