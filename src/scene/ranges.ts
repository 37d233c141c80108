/**
 * Per-frame value types shared by the scene schema and the blocks defined beside their concern
 * (src/effects/sensor-schema.ts): kept apart from schema.ts so that those can import them
 * without an import cycle.
 */
import { z } from 'zod';

export const finite = z.number().refine(Number.isFinite, 'expected a finite number');

/** A finite number in [min, max]; infinite bounds are left out (JSON Schema has no Infinity). */
const bounded = (min: number, max: number, int = false) => {
  let n = int ? z.int() : finite;
  if (min > -Infinity) n = n.min(min);
  if (max < Infinity) n = n.max(max);
  return n;
};

/** A value sampled per frame: a fixed number or a uniform [min, max] range. */
export const range = (min = -Infinity, max = Infinity) =>
  z.union([
    bounded(min, max),
    z.tuple([bounded(min, max), bounded(min, max)]).refine(([a, b]) => a <= b, 'expected [min, max] with min <= max'),
  ]).describe('a number, or [min, max] for a uniform draw');

/** A count sampled per frame: a fixed integer or an integer drawn uniformly from [min, max] inclusive. */
export const intRange = (min: number, max: number) =>
  z.union([
    bounded(min, max, true),
    z.tuple([bounded(min, max, true), bounded(min, max, true)]).refine(([a, b]) => a <= b, 'expected [min, max] with min <= max'),
  ]).describe('an integer, or [min, max] for a uniform integer draw');

