/**
 * `robosynth validate` and `robosynth schema`, run as a user would: the bundled CLI in a child
 * process. A user mistake is one line on stderr and exit code 2, never a stack trace.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
let dir: string;

beforeAll(() => {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'pipe' });
  dir = mkdtempSync(path.join(os.tmpdir(), 'robosynth-cli-'));
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function robosynth(...args: string[]) {
  const run = spawnSync(process.execPath, ['bin/robosynth.js', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function expectUserErrorOutput(run: ReturnType<typeof robosynth>, file: string) {
  expect(run.status).toBe(2);
  expect(run.stdout).toBe('');
  const lines = run.stderr.split('\n').filter((line) => line !== '');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0].startsWith('robosynth: ')).toBe(true);
  expect(lines[0]).toContain(file);
  expect(run.stderr).not.toContain('    at ');
  expect(run.stderr).not.toContain('internal error');
  return lines[0];
}

// Each run starts Node and loads the bundle: allow for a slow, busy machine.
describe('robosynth validate', { timeout: 60_000 }, () => {
  it('accepts the default scene', () => {
    const run = robosynth('validate', 'scenes/tabletop.yaml');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^scenes\/tabletop\.yaml: ok \(640x480, \d+ object classes, \d+ lights\)\n$/);
  });

  it('rejects a bad scene with one line naming the file, line and field', () => {
    const file = path.join(dir, 'typo.yaml');
    writeFileSync(file, [
      'image: { width: 320, height: 240 }',
      'camera:',
      '  intrinsics: { fx: 300, fy: 300, cx: 159.5, cy: 119.5 }',
      '  pose: { distance: 0.8, elevation_deg: 45 }',
      'lights: [{ type: hemispheric }]',
      'support: { type: ground }',
      'objects:',
      '  - class: ball',
      '    sphere: { radius: 0.03 }',
      '    material:',
      '      roughnes: 0.4',
      'placement: { region: { x: [-0.1, 0.1], y: [-0.1, 0.1] } }',
      '',
    ].join('\n'));
    const line = expectUserErrorOutput(robosynth('validate', file), file);
    expect(line).toBe(`robosynth: ${file}:11: objects[0].material.roughnes: unknown key "roughnes"; did you mean "roughness"? (allowed here: color, roughness, metallic, texture, per)`);
  });

  it('rejects a missing file', () => {
    const file = path.join(dir, 'missing.yaml');
    const line = expectUserErrorOutput(robosynth('validate', file), file);
    expect(line).toBe(`robosynth: ${file}: cannot read the scene file (no such file)`);
  });

  it('rejects a file that is not YAML', () => {
    const file = path.join(dir, 'broken.yaml');
    writeFileSync(file, 'image: { width: 640\nlights: [\n');
    expectUserErrorOutput(robosynth('validate', file), file);
  });
});

describe('robosynth schema', { timeout: 60_000 }, () => {
  type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
  let schema: { [key: string]: Json };

  beforeAll(() => {
    const run = robosynth('schema');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    schema = JSON.parse(run.stdout);
  }, 60_000);

  /** Every subschema of the document, with its JSON pointer. */
  function subschemas(node: Json, pointer = ''): [string, { [key: string]: Json }][] {
    if (node === null || typeof node !== 'object') return [];
    if (Array.isArray(node)) return node.flatMap((item, i) => subschemas(item, `${pointer}/${i}`));
    const own: [string, { [key: string]: Json }][] = 'type' in node || 'anyOf' in node || 'oneOf' in node ? [[pointer, node]] : [];
    return [...own, ...Object.entries(node).flatMap(([key, value]) => (key === 'default' ? [] : subschemas(value, `${pointer}/${key}`)))];
  }

  it('is a 2020-12 JSON Schema of an object', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.type).toBe('object');
  });

  it('lists the top-level blocks, and which are required', () => {
    expect(Object.keys(schema.properties as object)).toEqual(['image', 'camera', 'background', 'lights', 'support', 'objects', 'robots', 'placement', 'physics', 'sensor', 'render']);
    expect(schema.required).toEqual(['image', 'camera', 'lights', 'support', 'objects', 'placement']);
  });

  it('closes every object type with additionalProperties: false', () => {
    const objects = subschemas(schema).filter(([, node]) => node.type === 'object');
    expect(objects.length).toBeGreaterThan(20);
    // Maps keyed by the user's own names (packages, joint values, configurations) are open by design:
    // their values are still typed through additionalProperties.
    const isMap = (node: Record<string, unknown>) => typeof node.additionalProperties === 'object' && node.properties === undefined;
    const open = objects.filter(([, node]) => node.additionalProperties !== false && !isMap(node)).map(([pointer]) => pointer);
    expect(open).toEqual([]);
  });

  it('has only numbers as numeric bounds (no Infinity turned into null)', () => {
    const keywords = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minItems', 'maxItems'];
    const bad = subschemas(schema).flatMap(([pointer, node]) =>
      keywords.filter((k) => k in node && typeof node[k] !== 'number').map((k) => `${pointer}/${k}`));
    expect(bad).toEqual([]);
  });

  it('describes the light and support types as tagged choices', () => {
    const lights = (schema.properties as Record<string, { items: { oneOf: { properties: { type: { const: string } } }[] } }>).lights;
    expect(lights.items.oneOf.map((o) => o.properties.type.const)).toEqual(['directional', 'point', 'hemispheric']);
  });
});
