import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sensorSpec } from '../../src/effects/sensor-schema.js';

/** The path and message of the first issue of a rejected input. */
function firstIssue(input: unknown): { path: PropertyKey[]; message: string } {
  const result = sensorSpec.safeParse(input);
  expect(result.success).toBe(false);
  const issue = result.error!.issues[0];
  return { path: issue.path, message: issue.message };
}

describe('sensor schema', () => {
  it('an absent block means no effects', () => {
    expect(sensorSpec.parse(undefined)).toEqual({});
    expect(sensorSpec.parse({})).toEqual({});
  });

  it('a given sub-block gets p = 1 and its defaults', () => {
    expect(sensorSpec.parse({ exposure: {}, white_balance: {}, defocus_blur: {}, motion_blur: {}, noise: {}, jpeg: {} })).toEqual({
      exposure: { p: 1, ev: [-1, 1] },
      white_balance: { p: 1, temperature_k: [4500, 9000], duv: [-0.005, 0.005], gains: [1, 1, 1] },
      defocus_blur: { p: 1, radius_px: [0, 2] },
      motion_blur: { p: 1, length_px: [0, 10], angle_deg: [0, 180] },
      noise: { p: 1, gaussian_sigma: [0, 1], shot_gain: [0.01, 0.06] },
      jpeg: { p: 1, quality: [60, 95], subsampling: '4:2:0' },
    });
  });

  it('takes numbers or [min, max] ranges', () => {
    const spec = sensorSpec.parse({ exposure: { p: 0.5, ev: 0.3 }, jpeg: { quality: 70, subsampling: '4:4:4' }, white_balance: { gains: [[0.9, 1.1], 1, 0.8] } });
    expect(spec.exposure).toEqual({ p: 0.5, ev: 0.3 });
    expect(spec.jpeg).toEqual({ p: 1, quality: 70, subsampling: '4:4:4' });
    expect(spec.white_balance?.gains).toEqual([[0.9, 1.1], 1, 0.8]);
  });

  it('rejects bad input with the field path', () => {
    expect(firstIssue({ noise: { gaussian_sigma: -1 } }).path).toEqual(['noise', 'gaussian_sigma']);
    expect(firstIssue({ jpeg: { quality: 0 } }).path).toEqual(['jpeg', 'quality']);
    expect(firstIssue({ jpeg: { quality: 101 } }).path).toEqual(['jpeg', 'quality']);
    expect(firstIssue({ jpeg: { quality: [50.5, 90] } }).path).toEqual(['jpeg', 'quality']);
    expect(firstIssue({ jpeg: { subsampling: '4:2:2' } }).path).toEqual(['jpeg', 'subsampling']);
    expect(firstIssue({ exposure: { p: 1.5 } }).path).toEqual(['exposure', 'p']);
    expect(firstIssue({ motion_blur: { length_px: [8, 2] } }).path).toEqual(['motion_blur', 'length_px']);
    expect(firstIssue({ white_balance: { temperature_k: 500 } }).path).toEqual(['white_balance', 'temperature_k']);
    expect(firstIssue({ white_balance: { gains: [1, 1] } }).path).toEqual(['white_balance', 'gains']);
    expect(firstIssue({ defocus_blur: { radius_px: 'big' } }).path).toEqual(['defocus_blur', 'radius_px']);
  });

  it('rejects unknown keys, at the block and in sub-blocks', () => {
    const top = firstIssue({ blur: {} });
    expect(top.path).toEqual([]);
    expect(top.message).toContain('blur');
    const inner = firstIssue({ noise: { sigma: 2 } });
    expect(inner.path).toEqual(['noise']);
    expect(inner.message).toContain('sigma');
  });

  it('has a JSON Schema with a description on every field (the docs are generated from them)', () => {
    const schema = z.toJSONSchema(sensorSpec, { io: 'input', unrepresentable: 'any' }) as {
      description?: string;
      properties: Record<string, { description?: string; properties: Record<string, { description?: string }> }>;
    };
    expect(schema.description).toMatch(/in this order/);
    expect(Object.keys(schema.properties)).toEqual(['exposure', 'white_balance', 'defocus_blur', 'motion_blur', 'noise', 'jpeg']);
    for (const [name, block] of Object.entries(schema.properties)) {
      expect(block.description, name).toBeTruthy();
      for (const [field, node] of Object.entries(block.properties)) expect(node.description, `${name}.${field}`).toBeTruthy();
    }
  });
});
