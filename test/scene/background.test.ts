// The scene file's `background` block: the old `{ color: [r, g, b] }` form keeps its meaning, the
// colour may be an HSV mapping, `gradient` and `images` are optional, and every mistake is one
// clear line naming the file, the line and the field.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScene } from '../../src/scene/load.js';
import { backgroundSpec } from '../../src/scene/schema.js';
import { sceneLoadError } from './scene-errors.js';

const scene = (background: string) => `image: { width: 160, height: 120 }
camera:
  intrinsics: { fx: 150, fy: 150, cx: 79.5, cy: 59.5 }
  pose: { distance: 0.8, elevation_deg: 50 }
lights: [ { type: hemispheric } ]
support: { type: table }
objects:
  - { class: cube, box: { size: [0.05, 0.05, 0.05] } }
placement: { region: { x: [-0.1, 0.1], y: [-0.1, 0.1] } }
${background}
`;

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'robosynth-background-scene-'));
  mkdirSync(join(dir, 'bg'));
  mkdirSync(join(dir, 'empty'));
  // Only listed here (the renderer decodes them), in name order; other files are ignored.
  for (const name of ['sky.png', 'lab.JPG', 'hall.jpeg', 'notes.txt']) writeFileSync(join(dir, 'bg', name), 'x');
  writeFileSync(join(dir, 'empty', 'readme.md'), 'no images');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function load(text: string, name = 'scene.yaml') {
  const file = join(dir, name);
  writeFileSync(file, text);
  return loadScene(file);
}

const loadError = (text: string): string => sceneLoadError(dir, text);

describe('the background block', () => {
  it('keeps `{ color: [r, g, b] }` and the default exactly as they were: a colour and nothing else', () => {
    expect(backgroundSpec.parse({ color: [0.1, 0.2, 0.3] })).toEqual({ color: [0.1, 0.2, 0.3] });
    expect(Object.keys(backgroundSpec.parse({ color: [0.1, 0.2, 0.3] }))).toEqual(['color']);
    expect(backgroundSpec.parse(undefined)).toEqual({ color: [0.08, 0.08, 0.1] });
    expect(backgroundSpec.parse({})).toEqual({ color: [0.08, 0.08, 0.1] });
    const loaded = load(scene('background: { color: [0.08, 0.08, 0.1] }'));
    expect(loaded.spec.background).toEqual({ color: [0.08, 0.08, 0.1] });
    expect(loaded.textures.folders.size).toBe(0);
  });

  it('takes an HSV colour, a gradient and an image folder, with defaults', () => {
    const spec = backgroundSpec.parse({
      color: { value: [0.1, 0.3] },
      gradient: { p: 0.5, top: [1, 1, 1], angle_deg: [-30, 30] },
      images: { folder: 'bg' },
    });
    expect(spec).toEqual({
      color: { hue_deg: [0, 360], saturation: [0.3, 0.9], value: [0.1, 0.3] },
      gradient: { p: 0.5, top: [1, 1, 1], bottom: { hue_deg: [0, 360], saturation: [0.3, 0.9], value: [0.3, 0.9] }, angle_deg: [-30, 30] },
      images: { folder: 'bg', p: 1 },
    });
    expect(backgroundSpec.parse({ gradient: {} }).gradient).toMatchObject({ p: 1, angle_deg: 0 });
  });

  it('lists the image folder like a texture folder: sorted, keyed relative to the scene file', () => {
    const loaded = load(scene('background:\n  color: [0, 0, 0]\n  images: { folder: bg, p: 0.3 }'));
    expect([...loaded.textures.folders]).toEqual([['bg', ['bg/hall.jpeg', 'bg/lab.JPG', 'bg/sky.png']]]);
    expect(loaded.textures.files.get('bg/sky.png')).toBe(join(dir, 'bg', 'sky.png'));
  });

  it('names the file, line and field of a missing or empty image folder', () => {
    const base = (folder: string) => scene(`background:\n  color: [0, 0, 0]\n  images: { folder: ${folder}, p: 0.3 }`);
    expect(loadError(base('nowhere'))).toBe(`${join(dir, 'bad.yaml')}:12: background.images.folder: no such folder ${join(dir, 'nowhere')}`);
    expect(loadError(base('empty'))).toBe(`${join(dir, 'bad.yaml')}:12: background.images.folder: the folder ${join(dir, 'empty')} holds no .png, .jpg or .jpeg images`);
  });

  it.each([
    ['a probability above 1', 'gradient: { p: 1.5 }', /:11: background\.gradient\.p: expected a number <= 1, got 1\.5$/],
    ['a colour component above 1', 'gradient: { top: [1, 2, 0] }', /:11: background\.gradient\.top\[1\]: expected a number <= 1, got 2$/],
    ['a word for a colour', 'gradient: { bottom: blue }', /:11: background\.gradient\.bottom: expected a list of 3 numbers \(linear RGB in \[0, 1\]\) or a mapping of hue_deg, saturation, value .*, got "blue"$/],
    ['a reversed angle range', 'gradient: { angle_deg: [30, -30] }', /:11: background\.gradient\.angle_deg: expected \[min, max\] with min <= max$/],
    ['an HSV value out of range', 'color: { value: [0.5, 1.5] }', /:11: background\.color\.value\[1\]: expected a number <= 1, got 1\.5$/],
    ['a misspelt key', 'gradient: { angle: 10 }', /:11: background\.gradient\.angle: unknown key "angle"; did you mean "angle_deg"\? \(allowed here: p, top, bottom, angle_deg\)$/],
    ['an unknown block', 'image: { folder: bg }', /:11: background\.image: unknown key "image"; did you mean "images"\? \(allowed here: color, gradient, images\)$/],
    ['images without a folder', 'images: { p: 0.5 }', /:11: background\.images\.folder: missing required field \(expected a string\)$/],
    ['an empty folder name', 'images: { folder: "" }', /:11: background\.images\.folder: expected a non-empty string$/],
  ])('%s is one clear error', (_, block, message) => {
    expect(loadError(scene(`background:\n  ${block}`))).toMatch(message);
  });
});
