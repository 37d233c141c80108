/**
 * Every error path of the scene schema and loader: each must be a UserError (one clear line, no
 * stack trace) naming the file, the line, the field path and what was expected.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { UserError } from '../../src/errors.js';
import { loadScene, parseScene, type LoadedScene } from '../../src/scene/load.js';

/** A small valid scene; each case edits one thing in it. */
const BASE = `# a minimal scene for the loader tests
image:
  width: 320
  height: 240
camera:
  intrinsics: { fx: 300, fy: 300, cx: 159.5, cy: 119.5 }
  clip: { near: 0.05, far: 4 }
  pose:
    distance: [0.6, 0.9]
    elevation_deg: [30, 60]
lights:
  - type: directional
    intensity: 2
    shadows: true
  - type: hemispheric
support:
  type: table
  size: [1.0, 0.6]
objects:
  - class: box_a
    box: { size: [0.05, 0.05, 0.05] }
  - class: can
    cylinder:
      radius: [0.02, 0.04]
      height: 0.1
    material:
      color: [0.8, 0.1, 0.1]
      roughness: 0.5
placement:
  region: { x: [-0.2, 0.2], y: [-0.1, 0.1] }
`;

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'robosynth-scene-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** `text` with `from` (which must occur exactly once) replaced by `to`. */
function edit(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  expect(at, `"${from}" in the scene`).toBeGreaterThanOrEqual(0);
  expect(text.indexOf(from, at + 1), `"${from}" only once in the scene`).toBe(-1);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

/** The 1-based line on which `needle` (which must occur exactly once) is written. */
function lineWith(text: string, needle: string): number {
  const lines = text.split('\n');
  const hits = lines.flatMap((line, i) => (line.includes(needle) ? [i + 1] : []));
  expect(hits, `lines containing "${needle}"`).toHaveLength(1);
  return hits[0];
}

function writeScene(name: string, text: string): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/** The error `fn` throws, checked to be a clean one-line UserError in our own words. */
function userError(fn: () => unknown): UserError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'an error is thrown').toBeDefined();
  expect(caught).toBeInstanceOf(UserError);
  const error = caught as UserError;
  expect(error.message).not.toContain('\n');
  // zod's and yaml's generic wording must not leak through.
  expect(error.message).not.toMatch(/Invalid input|received|discriminator|parseAllDocuments/);
  return error;
}

/**
 * Loading `text` from a file fails with `<file>:<line>: <field path>: <message...>`, where the
 * line is the one holding `needle` (or there is no line when `needle` is null).
 */
function expectSceneError(text: string, where: { path: string; needle: string | null; message: string | RegExp; name?: string }) {
  const file = writeScene(where.name ?? 'scene.yaml', text);
  const error = userError(() => loadScene(file));
  const line = where.needle === null ? '' : `:${lineWith(text, where.needle)}`;
  const prefix = `${file}${line}: ${where.path}: `;
  expect(error.message.startsWith(prefix), `"${error.message}" starts with "${prefix}"`).toBe(true);
  const rest = error.message.slice(prefix.length);
  if (typeof where.message === 'string') expect(rest).toBe(where.message);
  else expect(rest).toMatch(where.message);
  return error;
}

describe('a valid scene', () => {
  it('loads, with every default filled in', () => {
    const file = writeScene('ok.yaml', BASE);
    const { path: absolute, spec, meshFiles } = loadScene(file);
    expect(absolute).toBe(path.resolve(file));
    expect(meshFiles.size).toBe(0);
    expect(spec.image).toEqual({ width: 320, height: 240 });
    expect(spec.background).toEqual({ color: [0.08, 0.08, 0.1] });
    expect(spec.render).toEqual({ samples: 4, shadow_map_size: 1024 });
    expect(spec.physics).toMatchObject({
      time_step: 1 / 120, max_steps: 300, gravity: 9.81, friction: 0.5, restitution: 0.1,
      sleep_speed: 0.02, sleep_time: 0.2, penetration_tolerance: 0.002, solver_iterations: 10,
      linear_damping: 0.01, angular_damping: 0.01, max_attempts: 20,
    });
    expect(spec.camera.pose).toEqual({
      target: [0, 0, 0], target_jitter: [0, 0, 0], distance: [0.6, 0.9], elevation_deg: [30, 60], azimuth_deg: [0, 360], roll_deg: 0,
    });
    expect(spec.lights[0]).toEqual({
      type: 'directional', elevation_deg: [35, 75], azimuth_deg: [0, 360], intensity: 2, color: [1, 1, 1], count: 1, shadows: true,
    });
    expect(spec.lights[1]).toEqual({ type: 'hemispheric', intensity: 0.6, color: [1, 1, 1], count: 1, ground_color: [0.25, 0.25, 0.25] });
    expect(spec.support).toEqual({
      type: 'table', size: [1.0, 0.6], thickness: 0.04, material: { color: [0.55, 0.45, 0.35], roughness: 0.8, metallic: 0, per: 'instance' },
    });
    expect(spec.objects[0]).toEqual({
      class: 'box_a',
      box: { size: [0.05, 0.05, 0.05] },
      variants: 1,
      count: 1,
      mass: 0.2,
      material: { color: { hue_deg: [0, 360], saturation: [0.3, 0.9], value: [0.3, 0.9] }, roughness: [0.3, 0.9], metallic: 0, per: 'instance' },
      orientation: 'free',
      labeled: true,
    });
    expect(spec.objects[1].material).toEqual({ color: [0.8, 0.1, 0.1], roughness: 0.5, metallic: 0, per: 'instance' });
    expect(spec.placement).toEqual({ region: { x: [-0.2, 0.2], y: [-0.1, 0.1] }, drop_height: [0.05, 0.3] });
  });

  // zod returns a block's .default({...}) as it is, without filling it in: it must list every
  // field, with the same values the fields' own defaults give.
  it('an omitted block is the same as an empty one', () => {
    const omitted = parseScene(edit(BASE, '  clip: { near: 0.05, far: 4 }\n', ''), 'omitted.yaml').spec;
    let text = edit(BASE, '  clip: { near: 0.05, far: 4 }', '  clip: {}');
    text = edit(text, '    box: { size: [0.05, 0.05, 0.05] }', '    box: { size: [0.05, 0.05, 0.05] }\n    material: {}');
    text += 'background: {}\nphysics: {}\nrender: {}\n';
    const empty = parseScene(text, 'empty-blocks.yaml').spec;
    expect(empty.camera.clip).toEqual(omitted.camera.clip);
    expect(empty.background).toEqual(omitted.background);
    expect(empty.physics).toEqual(omitted.physics);
    expect(empty.render).toEqual(omitted.render);
    expect(empty.objects[0].material).toEqual(omitted.objects[0].material);
  });

  it('fills in camera.clip, and the fields of a partly given physics and render block', () => {
    const text = edit(BASE, '  clip: { near: 0.05, far: 4 }\n', '') + 'physics: { gravity: 3.7 }\nrender: { samples: 8 }\n';
    const { spec } = parseScene(text, 'partial.yaml');
    expect(spec.camera.clip).toEqual({ near: 0.05, far: 6 });
    expect(spec.physics.gravity).toBe(3.7);
    expect(spec.physics.max_steps).toBe(300);
    expect(spec.render).toEqual({ samples: 8, shadow_map_size: 1024 });
  });

  it('reads a JSON scene file the same as the YAML one', () => {
    const json = JSON.stringify(parseYaml(BASE), null, 2);
    const fromJson = loadScene(writeScene('scene.json', json));
    const fromYaml = loadScene(writeScene('scene-same.yaml', BASE));
    expect(fromJson.spec).toEqual(fromYaml.spec);
  });

  it('accepts a point light, a ground support, an HSV colour and count ranges', () => {
    let text = edit(BASE, '  - type: hemispheric\n', '  - type: point\n    position: [0, [-0.5, 0.5], 2]\n');
    text = edit(text, '  type: table\n  size: [1.0, 0.6]\n', '  type: ground\n');
    text = edit(text, '      color: [0.8, 0.1, 0.1]', '      color: { hue_deg: [200, 220] }');
    text = edit(text, '    box: { size: [0.05, 0.05, 0.05] }', '    box: { size: [0.05, 0.05, 0.05] }\n    count: [0, 4]');
    const { spec } = parseScene(text, 'variety.yaml');
    expect(spec.lights[1]).toEqual({ type: 'point', position: [0, [-0.5, 0.5], 2], intensity: 1, color: [1, 1, 1], count: 1, shadows: false });
    expect(spec.support).toMatchObject({ type: 'ground', size: [20, 20] });
    expect(spec.objects[1].material.color).toEqual({ hue_deg: [200, 220], saturation: [0.3, 0.9], value: [0.3, 0.9] });
    expect(spec.objects[0].count).toEqual([0, 4]);
  });

  it('validates every shipped scene in scenes/', () => {
    const folder = path.resolve(import.meta.dirname, '../../scenes');
    const scenes = readdirSync(folder).filter((name) => /\.(ya?ml|json)$/.test(name));
    expect(scenes).toContain('tabletop.yaml');
    for (const name of scenes) {
      const { spec } = loadScene(path.join(folder, name));
      expect(spec.objects.length, name).toBeGreaterThan(0);
    }
  });
});

describe('the scene file itself', () => {
  it('a missing file', () => {
    const file = path.join(dir, 'no-such-scene.yaml');
    expect(userError(() => loadScene(file)).message).toBe(`${file}: cannot read the scene file (no such file)`);
  });

  it('a folder instead of a file', () => {
    expect(userError(() => loadScene(dir)).message).toBe(`${dir}: cannot read the scene file (it is a folder)`);
  });

  it.skipIf(process.platform === 'win32' || process.getuid?.() === 0)('a file without read permission', () => {
    const file = writeScene('locked.yaml', BASE);
    chmodSync(file, 0o000);
    try {
      expect(userError(() => loadScene(file)).message).toBe(`${file}: cannot read the scene file (permission denied)`);
    } finally {
      chmodSync(file, 0o644);
    }
  });

  it('invalid YAML names the line', () => {
    const text = edit(BASE, '  height: 240', '  height: 240: 3');
    const file = writeScene('bad-syntax.yaml', text);
    expect(userError(() => loadScene(file)).message).toMatch(new RegExp(`^${escape(file)}:${lineWith(text, 'height: 240: 3')}: not valid YAML or JSON: \\S`));
  });

  it('tabs used for indentation', () => {
    const text = edit(BASE, '  height: 240', '\theight: 240');
    const file = writeScene('tabs.yaml', text);
    expect(userError(() => loadScene(file)).message).toBe(`${file}:${lineWith(text, '\theight')}: not valid YAML or JSON: Tabs are not allowed as indentation`);
  });

  it('a key given twice names the key and the line of the second one', () => {
    const text = edit(BASE, '  height: 240', '  height: 240\n  width: 640');
    const file = writeScene('dup-key.yaml', text);
    expect(userError(() => loadScene(file)).message).toBe(`${file}:${lineWith(text, 'width: 640')}: not valid YAML or JSON: the key "width" appears twice in the same mapping`);
  });

  it('two YAML documents in one file', () => {
    const text = `${BASE}---\nimage: { width: 1, height: 1 }\n`;
    const file = writeScene('two-docs.yaml', text);
    expect(userError(() => loadScene(file)).message).toMatch(new RegExp(`^${escape(file)}:${lineWith(text, '---')}: not valid YAML or JSON: a scene file holds one document`));
  });

  it('an alias bomb is refused as a user error', () => {
    const text = 'a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n';
    expect(userError(() => parseScene(text, 'bomb.yaml')).message).toMatch(/^bomb\.yaml: not valid YAML or JSON: /);
  });

  it.each([
    ['a list', '- image\n- camera\n', 'bomb.yaml:1: expected a mapping of scene settings at the top level, got a list'],
    ['a number', '42\n', 'bomb.yaml:1: expected a mapping of scene settings at the top level, got 42'],
    ['a string', '# comment\nhello\n', 'bomb.yaml:2: expected a mapping of scene settings at the top level, got "hello"'],
    ['nothing', '# only a comment\n', 'bomb.yaml: the file is empty; expected a mapping of scene settings at the top level'],
    ['an empty file', '', 'bomb.yaml: the file is empty; expected a mapping of scene settings at the top level'],
  ])('a top level that is %s', (_, text, message) => {
    expect(userError(() => parseScene(text, 'bomb.yaml')).message).toBe(message);
  });
});

describe('unknown keys are errors everywhere', () => {
  it.each([
    ['at the top level', `${BASE}extra: 1\n`, 'extra', 'extra: 1', /^unknown key "extra" \(allowed here: image, camera, background, lights, support, objects, robots, placement, physics, sensor, render\)$/],
    ['in a block mapping, with a suggestion', edit(BASE, 'placement:\n  region', 'placement:\n  regoin: 1\n  region'), 'placement.regoin', 'regoin', 'unknown key "regoin"; did you mean "region"? (allowed here: region, drop_height)'],
    ['deep inside an object class', edit(BASE, '      roughness: 0.5', '      roughness: 0.5\n      colour: [1, 0, 0]'), 'objects[1].material.colour', 'colour', 'unknown key "colour"; did you mean "color"? (allowed here: color, roughness, metallic, texture, per)'],
    ['in a light', edit(BASE, '    shadows: true', '    shadows: true\n    shadow: false'), 'lights[0].shadow', 'shadow:', /^unknown key "shadow"; did you mean "shadows"\?/],
    ['in a flow mapping', edit(BASE, 'fy: 300, cx', 'fy: 300, k1: 0.1, cx'), 'camera.intrinsics.k1', 'k1:', 'unknown key "k1" (allowed here: fx, fy, cx, cy)'],
    ['in a shape', edit(BASE, '      height: 0.1', '      height: 0.1\n      segments: 32'), 'objects[1].cylinder.segments', 'segments', 'unknown key "segments" (allowed here: radius, height)'],
    ['in an HSV colour', edit(BASE, '      color: [0.8, 0.1, 0.1]', '      color: { hue: 20 }'), 'objects[1].material.color.hue', 'hue: 20', /^unknown key "hue"; did you mean "hue_deg"\?/],
    ['in a defaulted block', `${BASE}physics: { gravity: 9.81, substeps: 4 }\n`, 'physics.substeps', 'substeps', /^unknown key "substeps" \(allowed here: time_step, /],
  ])('%s', (_, text, fieldPath, needle, message) => {
    expectSceneError(text, { path: fieldPath, needle, message });
  });

  it('several unknown keys in one mapping are named together', () => {
    const text = edit(BASE, '  height: 240', '  height: 240\n  depth: 8\n  fps: 30');
    expectSceneError(text, { path: 'image', needle: 'image:', message: 'unknown keys "depth", "fps" (allowed here: width, height)' });
  });
});

describe('wrong types', () => {
  it.each([
    ['a string for an integer', edit(BASE, 'width: 320', 'width: "320"'), 'image.width', 'width:', 'expected an integer, got "320"'],
    ['a fraction for an integer', edit(BASE, 'width: 320', 'width: 320.5'), 'image.width', 'width:', 'expected an integer, got 320.5'],
    ['a string for a number', edit(BASE, 'cy: 119.5', 'cy: centre'), 'camera.intrinsics.cy', 'cy:', 'expected a number, got "centre"'],
    ['a string for a range', edit(BASE, 'distance: [0.6, 0.9]', 'distance: far'), 'camera.pose.distance', 'distance:', 'expected a number or a [min, max] pair, got "far"'],
    ['a string inside a range', edit(BASE, 'distance: [0.6, 0.9]', 'distance: [0.6, "0.9"]'), 'camera.pose.distance[1]', 'distance:', 'expected a number, got "0.9"'],
    ['a range of three', edit(BASE, 'distance: [0.6, 0.9]', 'distance: [0.6, 0.9, 1.2]'), 'camera.pose.distance', 'distance:', 'expected a list of exactly 2 values, got 3'],
    ['an empty value for a number', edit(BASE, 'width: 320', 'width:'), 'image.width', 'width:', 'expected an integer, got an empty value'],
    ['infinity', edit(BASE, 'fx: 300', 'fx: .inf'), 'camera.intrinsics.fx', 'fx:', /^expected a number/],
    ['a YAML 1.1 boolean', edit(BASE, 'shadows: true', 'shadows: yes'), 'lights[0].shadows', 'shadows:', 'expected true or false, got "yes"'],
    ['a mapping for the list of objects', edit(BASE, 'objects:\n', 'objects:\n  crate: {}\nunused:\n'), 'objects', 'objects:', 'expected a list, got {"crate":{}} (and 1 more problem)'],
    ['a string for a light', edit(BASE, '  - type: hemispheric', '  - hemispheric'), 'lights[1]', '- hemispheric', 'expected a mapping, got "hemispheric"'],
    ['a number for a class name', edit(BASE, 'class: can', 'class: 7'), 'objects[1].class', 'class: 7', 'expected a string, got 7'],
    ['a word for a colour', edit(BASE, 'color: [0.8, 0.1, 0.1]', 'color: red'), 'objects[1].material.color', 'color: red',
      'expected a list of 3 numbers (linear RGB in [0, 1]) or a mapping of hue_deg, saturation, value (a random colour drawn in HSV), got "red"'],
    ['a colour component out of [0, 1]', edit(BASE, 'color: [0.8, 0.1, 0.1]', 'color: [0.8, 255, 0.1]'), 'objects[1].material.color[1]', 'color:', 'expected a number <= 1, got 255'],
    ['an unknown enum value', edit(BASE, '    box: { size: [0.05, 0.05, 0.05] }', '    box: { size: [0.05, 0.05, 0.05] }\n    orientation: sideways'), 'objects[0].orientation', 'orientation', 'expected one of "free", "upright", got "sideways"'],
    ['an unsupported choice of number', `${BASE}render: { samples: 3 }\n`, 'render.samples', 'render:', 'expected one of 1, 2, 4, 8, got 3'],
    ['a fractional count', edit(BASE, '    box: { size: [0.05, 0.05, 0.05] }', '    box: { size: [0.05, 0.05, 0.05] }\n    count: 2.5'), 'objects[0].count', 'count', 'expected an integer or a [min, max] pair, got 2.5'],
    ['a fractional count range', edit(BASE, '    box: { size: [0.05, 0.05, 0.05] }', '    box: { size: [0.05, 0.05, 0.05] }\n    count: [1, 2.5]'), 'objects[0].count[1]', 'count', 'expected an integer, got 2.5'],
  ])('%s', (_, text, fieldPath, needle, message) => {
    expectSceneError(text, { path: fieldPath, needle, message });
  });
});

describe('ranges and bounds', () => {
  it.each([
    ['a range given backwards', edit(BASE, 'distance: [0.6, 0.9]', 'distance: [0.9, 0.1]'), 'camera.pose.distance', 'distance:', 'expected [min, max] with min <= max'],
    ['a backwards range inside a size', edit(BASE, 'box: { size: [0.05, 0.05, 0.05] }', 'box: { size: [[0.12, 0.05], 0.05, 0.05] }'), 'objects[0].box.size[0]', 'box:', 'expected [min, max] with min <= max'],
    ['a backwards placement region', edit(BASE, 'x: [-0.2, 0.2]', 'x: [0.2, -0.2]'), 'placement.region.x', 'region:', 'expected [min, max] with min <= max'],
    ['a backwards HSV range', edit(BASE, 'color: [0.8, 0.1, 0.1]', 'color:\n        saturation: [0.9, 0.2]'), 'objects[1].material.color.saturation', 'saturation:', 'expected [min, max] with min <= max'],
    ['a negative box size', edit(BASE, 'size: [0.05, 0.05, 0.05]', 'size: [0.05, -0.05, 0.05]'), 'objects[0].box.size[1]', 'box:', 'expected a number >= 0.0001, got -0.05'],
    ['a negative radius in a range', edit(BASE, 'radius: [0.02, 0.04]', 'radius: [-0.02, 0.04]'), 'objects[1].cylinder.radius[0]', 'radius:', 'expected a number >= 0.0001, got -0.02'],
    ['a zero sphere radius', edit(BASE, 'box: { size: [0.05, 0.05, 0.05] }', 'sphere: { radius: 0 }'), 'objects[0].sphere.radius', 'sphere:', 'expected a number >= 0.0001, got 0'],
    ['a negative table size', edit(BASE, 'size: [1.0, 0.6]', 'size: [1.0, -0.6]'), 'support.size[1]', 'size: [1.0', 'expected a number > 0, got -0.6'],
    ['a zero focal length', edit(BASE, 'fx: 300', 'fx: 0'), 'camera.intrinsics.fx', 'fx:', 'expected a number > 0, got 0'],
    ['an image too small', edit(BASE, 'height: 240', 'height: 8'), 'image.height', 'height: 8', 'expected a number >= 16, got 8'],
    ['a camera elevation out of range', edit(BASE, 'elevation_deg: [30, 60]', 'elevation_deg: [30, 95]'), 'camera.pose.elevation_deg[1]', 'elevation_deg', 'expected a number <= 89, got 95'],
    ['too many instances', edit(BASE, '    box: { size: [0.05, 0.05, 0.05] }', '    box: { size: [0.05, 0.05, 0.05] }\n    count: 500'), 'objects[0].count', 'count', 'expected a number <= 100, got 500'],
    ['a negative gravity', `${BASE}physics:\n  gravity: -9.81\n`, 'physics.gravity', 'gravity', 'expected a number >= 0, got -9.81'],
    ['near == far', edit(BASE, 'near: 0.05, far: 4', 'near: 4, far: 4'), 'camera.clip', 'clip:', 'expected near < far'],
    ['near > far', edit(BASE, 'near: 0.05, far: 4', 'near: 5, far: 4'), 'camera.clip', 'clip:', 'expected near < far'],
    ['near > the default far', edit(BASE, 'near: 0.05, far: 4', 'near: 10'), 'camera.clip', 'clip:', 'expected near < far'],
  ])('%s', (_, text, fieldPath, needle, message) => {
    expectSceneError(text, { path: fieldPath, needle, message });
  });
});

describe('missing required fields', () => {
  it.each([
    ['image.width', edit(BASE, '  width: 320\n', ''), 'image:', 'missing required field (expected an integer)'],
    ['camera.intrinsics', edit(BASE, '  intrinsics: { fx: 300, fy: 300, cx: 159.5, cy: 119.5 }\n', ''), 'camera:', 'missing required field (expected a mapping)'],
    ['camera.pose.distance', edit(BASE, '    distance: [0.6, 0.9]\n', ''), 'pose:', 'missing required field (expected a number or a [min, max] pair)'],
    ['placement.region', edit(BASE, '  region: { x: [-0.2, 0.2], y: [-0.1, 0.1] }\n', '  drop_height: 0.1\n'), 'placement:', 'missing required field (expected a mapping)'],
    ['placement.region.y', edit(BASE, ', y: [-0.1, 0.1]', ''), 'region:', 'missing required field (expected a list of 2 values)'],
    ['lights[1].position', edit(BASE, '  - type: hemispheric', '  - type: point'), '- type: point', 'missing required field (expected a list of 3 values)'],
  ])('%s', (fieldPath, text, needle, message) => {
    expectSceneError(text, { path: fieldPath, needle, message });
  });

  // A missing top-level block has no line of its own to point at.
  it.each([
    ['lights', edit(BASE, 'lights:\n  - type: directional\n    intensity: 2\n    shadows: true\n  - type: hemispheric\n', ''), 'missing required field (expected a list)'],
    ['support', edit(BASE, 'support:\n  type: table\n  size: [1.0, 0.6]\n', ''), 'missing required field (expected a mapping)'],
    ['objects', edit(BASE, BASE.slice(BASE.indexOf('objects:'), BASE.indexOf('placement:')), ''), 'missing required field (expected a list)'],
    ['placement', BASE.slice(0, BASE.indexOf('placement:')), 'missing required field (expected a mapping)'],
  ])('%s', (fieldPath, text, message) => {
    expectSceneError(text, { path: fieldPath, needle: null, message });
  });

  it('an empty objects list', () => {
    const text = edit(BASE, BASE.slice(BASE.indexOf('objects:'), BASE.indexOf('placement:')), 'objects: []\n');
    expectSceneError(text, { path: 'objects', needle: 'objects:', message: 'expected at least 1 item, got 0' });
  });

  it('several problems are counted after the first', () => {
    const text = edit(edit(BASE, '  width: 320\n', ''), 'fx: 300', 'fx: -1');
    expectSceneError(text, { path: 'image.width', needle: 'image:', message: 'missing required field (expected an integer) (and 1 more problem)' });
  });
});

describe('object classes', () => {
  it('two shapes', () => {
    const text = edit(BASE, '    box: { size: [0.05, 0.05, 0.05] }', '    box: { size: [0.05, 0.05, 0.05] }\n    sphere: { radius: 0.03 }');
    expectSceneError(text, { path: 'objects[0]', needle: 'class: box_a', message: 'expected exactly one of box, cylinder, sphere or mesh, got box, sphere' });
  });

  it('no shape', () => {
    const text = edit(BASE, '    box: { size: [0.05, 0.05, 0.05] }\n', '    mass: 0.3\n');
    expectSceneError(text, { path: 'objects[0]', needle: 'class: box_a', message: 'expected exactly one of box, cylinder, sphere or mesh, got none' });
  });

  it('a duplicate class name points at the second one', () => {
    const text = edit(BASE, 'class: can', 'class: box_a\n    count: 2');
    const file = writeScene('dup-class.yaml', text);
    const lines = text.split('\n').flatMap((line, i) => (line.includes('class: box_a') ? [i + 1] : []));
    expect(userError(() => loadScene(file)).message)
      .toBe(`${file}:${lines[1]}: objects[1].class: class "box_a" is already defined by objects[0]; class names must be unique`);
  });

  it.each([
    ['a space', 'class: my can', 'expected letters, digits, _ . or -'],
    ['a slash', 'class: cans/red', 'expected letters, digits, _ . or -'],
    ['nothing', 'class: ""', 'expected a non-empty string (and 1 more problem)'],
  ])('a class name with %s', (_, line, message) => {
    expectSceneError(edit(BASE, 'class: can', line), { path: 'objects[1].class', needle: line, message });
  });

  describe('mesh files, relative to the scene file', () => {
    it('an existing mesh is resolved against the scene folder, not the working directory', () => {
      writeScene('assets/part.obj', 'v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n');
      const file = writeScene('mesh-ok.yaml', edit(BASE, 'box: { size: [0.05, 0.05, 0.05] }', 'mesh: { file: assets/part.obj, unit: mm }'));
      expect(process.cwd()).not.toBe(dir);
      const loaded: LoadedScene = loadScene(file);
      expect(loaded.meshFiles.get(0)).toBe(path.join(dir, 'assets/part.obj'));
      expect(loaded.spec.objects[0].mesh).toEqual({ file: 'assets/part.obj', unit: 'mm', up: 'z', scale: 1 });
    });

    it('a mesh file that does not exist', () => {
      const text = edit(BASE, 'box: { size: [0.05, 0.05, 0.05] }', 'mesh:\n      unit: cm\n      file: assets/missing.glb');
      expectSceneError(text, { name: 'mesh-missing.yaml', path: 'objects[0].mesh.file', needle: 'file: assets/missing.glb', message: `no such file ${path.join(dir, 'assets/missing.glb')}` });
    });

    it('a folder given as the mesh file', () => {
      mkdirSync(path.join(dir, 'assets/folder.glb'), { recursive: true });
      const text = edit(BASE, 'box: { size: [0.05, 0.05, 0.05] }', 'mesh: { file: assets/folder.glb }');
      expectSceneError(text, { name: 'mesh-folder.yaml', path: 'objects[0].mesh.file', needle: 'folder.glb', message: `no such file ${path.join(dir, 'assets/folder.glb')}` });
    });

    it('a mesh file with an unsupported extension', () => {
      writeScene('assets/part.fbx', 'not a mesh we read');
      const text = edit(BASE, 'box: { size: [0.05, 0.05, 0.05] }', 'mesh: { file: assets/part.fbx }');
      expectSceneError(text, { name: 'mesh-fbx.yaml', path: 'objects[0].mesh.file', needle: 'part.fbx', message: `expected a .gltf, .glb, .obj, .stl, .dae or .ply file, or an object's .urdf (YCB style), got ${path.join(dir, 'assets/part.fbx')}` });
    });

    it('an unsupported mesh unit', () => {
      const text = edit(BASE, 'box: { size: [0.05, 0.05, 0.05] }', 'mesh: { file: assets/part.obj, unit: inch }');
      expectSceneError(text, { path: 'objects[0].mesh.unit', needle: 'unit: inch', message: 'expected one of "m", "cm", "mm", got "inch"' });
    });
  });

  describe('mesh folders: every mesh file of a folder is one model', () => {
    const folderClass = (folder: string) => edit(BASE, 'box: { size: [0.05, 0.05, 0.05] }', `mesh:\n      unit: mm\n      folder: ${folder}`);

    it('lists the mesh files and the subfolders with a model.urdf, in name order, and nothing else', () => {
      const tri = 'v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n';
      for (const name of ['b.obj', 'A.STL', 'a.ply', 'c.glb', 'd.gltf', 'e.dae', 'readme.txt', 'a.mtl', 'loose.urdf', '.hidden.obj', 'sub/inner.obj', 'ycb_b/model.urdf', 'ycb_a/model.urdf', 'ycb_a/visual.obj']) {
        writeScene(`folder-ok/${name}`, tri);
      }
      mkdirSync(path.join(dir, 'folder-ok/empty-sub'), { recursive: true });
      const loaded = loadScene(writeScene('mesh-folder-ok.yaml', folderClass('folder-ok')));
      const inFolder = (...names: string[]) => names.map((name) => path.join(dir, 'folder-ok', name));
      // Sorted by code unit: capitals first; a subfolder counts by its name.
      expect(loaded.meshFolders.get(0)).toEqual(inFolder('A.STL', 'a.ply', 'b.obj', 'c.glb', 'd.gltf', 'e.dae', 'ycb_a/model.urdf', 'ycb_b/model.urdf'));
      expect(loaded.meshFiles.size).toBe(0);
      expect(loaded.spec.objects[0].mesh).toEqual({ folder: 'folder-ok', unit: 'mm', up: 'z', scale: 1 });
      // A file class is unchanged.
      expect(loadScene(writeScene('mesh-folder-file.yaml', edit(BASE, 'box: { size: [0.05, 0.05, 0.05] }', 'mesh: { file: folder-ok/b.obj }'))).meshFolders.size).toBe(0);
    });

    it('a folder that does not exist', () => {
      expectSceneError(folderClass('no-such-folder'), { name: 'mesh-folder-missing.yaml', path: 'objects[0].mesh.folder', needle: 'folder: no-such-folder', message: `no such folder ${path.join(dir, 'no-such-folder')}` });
    });

    it('a file given as the folder', () => {
      writeScene('folder-file.obj', 'v 0 0 0\n');
      expectSceneError(folderClass('folder-file.obj'), { name: 'mesh-folder-file.yaml', path: 'objects[0].mesh.folder', needle: 'folder: folder-file.obj', message: `no such folder ${path.join(dir, 'folder-file.obj')}` });
    });

    it('a folder without mesh files (only other files and subfolders without a model.urdf)', () => {
      writeScene('folder-none/notes.txt', 'x');
      writeScene('folder-none/textures/wood.png', 'x');
      writeScene('folder-none/deeper/part.obj', 'x');
      expectSceneError(folderClass('folder-none'), {
        name: 'mesh-folder-none.yaml', path: 'objects[0].mesh.folder', needle: 'folder: folder-none',
        message: `the folder ${path.join(dir, 'folder-none')} holds no mesh files (.obj, .stl, .ply, .gltf, .glb, .dae) and no subfolders with a model.urdf`,
      });
    });

    it.each([
      ['both', 'mesh: { file: a.obj, folder: parts }'],
      ['neither', 'mesh: { unit: mm }'],
    ])('exactly one of file and folder: %s is an error', (what, line) => {
      expectSceneError(edit(BASE, 'box: { size: [0.05, 0.05, 0.05] }', line), { path: 'objects[0].mesh', needle: line, message: `expected exactly one of file or folder, got ${what}` });
    });

    it('an empty folder name', () => {
      expectSceneError(folderClass('""'), { path: 'objects[0].mesh.folder', needle: 'folder: ""', message: 'expected a non-empty string' });
    });
  });
});

describe('lights and supports', () => {
  it('a bad light type', () => {
    const text = edit(BASE, 'type: hemispheric', 'type: spot');
    expectSceneError(text, { path: 'lights[1].type', needle: 'type: spot', message: 'expected one of "directional", "point", "hemispheric", got "spot"' });
  });

  it('a light without a type', () => {
    const text = edit(BASE, '  - type: directional\n    intensity: 2', '  - intensity: 2');
    expectSceneError(text, { path: 'lights[0].type', needle: '- intensity: 2', message: 'missing required field (expected one of "directional", "point", "hemispheric")' });
  });

  it('a bad support type', () => {
    const text = edit(BASE, 'type: table', 'type: pallet');
    expectSceneError(text, { path: 'support.type', needle: 'type: pallet', message: 'expected one of "table", "ground", "bin", "shelf", got "pallet"' });
  });

  it('a field of another support type', () => {
    const text = edit(BASE, '  type: table\n', '  type: ground\n  thickness: 0.04\n');
    expectSceneError(text, { path: 'support.thickness', needle: 'thickness', message: 'unknown key "thickness" (allowed here: type, size, material)' });
  });

  it('an empty lights list', () => {
    const text = edit(BASE, 'lights:\n  - type: directional\n    intensity: 2\n    shadows: true\n  - type: hemispheric\n', 'lights: []\n');
    expectSceneError(text, { path: 'lights', needle: 'lights:', message: 'expected at least 1 item, got 0' });
  });

  it('more than 8 lights', () => {
    const text = edit(BASE, '  - type: hemispheric\n', '  - type: hemispheric\n'.repeat(8));
    expectSceneError(text, { path: 'lights', needle: 'lights:', message: 'expected at most 8 items, got 9' });
  });

  it('8 lights are fine', () => {
    const text = edit(BASE, '  - type: hemispheric\n', '  - type: hemispheric\n'.repeat(7));
    expect(parseScene(text, 'eight.yaml').spec.lights).toHaveLength(8);
  });
});

describe('JSON scene files', () => {
  const json = () => JSON.stringify(parseYaml(BASE), null, 2);

  it('name the line of a wrong value', () => {
    const text = json().replace('"cy": 119.5', '"cy": "x"');
    expectSceneError(text, { name: 'bad.json', path: 'camera.intrinsics.cy', needle: '"cy": "x"', message: 'expected a number, got "x"' });
  });

  it('name the line of an unknown key', () => {
    const text = json().replace('"roughness": 0.5', '"roughness": 0.5,\n        "colour": [1, 0, 0]');
    expectSceneError(text, { name: 'unknown.json', path: 'objects[1].material.colour', needle: '"colour"', message: /^unknown key "colour"; did you mean "color"\?/ });
  });

  it('name the line of a syntax error', () => {
    const text = json().replace('"width": 320,', '"width": 320');
    const file = writeScene('syntax.json', text);
    expect(userError(() => loadScene(file)).message).toMatch(new RegExp(`^${escape(file)}:${lineWith(text, '"width": 320')}: not valid YAML or JSON: `));
  });
});

describe('the shipped default scene', () => {
  it('scenes/tabletop.yaml validates and uses every block', () => {
    const file = path.resolve(import.meta.dirname, '../../scenes/tabletop.yaml');
    const { spec } = parseScene(readFileSync(file, 'utf8'), file);
    expect(spec.objects.map((o) => o.class)).toEqual(['crate', 'can', 'ball', 'bracket']);
    expect(spec.objects.find((o) => o.mesh)?.mesh?.file).toBe('../assets/meshes/bracket.obj');
    expect(spec.lights.length).toBeGreaterThan(0);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
