import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { UserError } from '../../src/errors.js';
import { loadScene } from '../../src/scene/load.js';

/** The message of the UserError that loading `text` (written as dir/bad.yaml) raises; fails the test if none. */
export function sceneLoadError(dir: string, text: string): string {
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, text);
  try {
    loadScene(file);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as Error).message;
  }
  throw new Error('expected the scene to fail');
}
