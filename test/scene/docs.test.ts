/**
 * docs/scene-format.md is generated from the schema; this keeps the committed file from drifting.
 * When it fails, run `npx tsx scripts/gen-docs.ts` and commit the result.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DOCS_FILE, renderSceneDocs } from '../../scripts/gen-docs.js';
import { sceneJsonSchema } from '../../src/scene/schema.js';

describe('docs/scene-format.md', () => {
  const generated = renderSceneDocs();

  it('is what scripts/gen-docs.ts generates from the schema now (run `npx tsx scripts/gen-docs.ts`)', () => {
    expect(readFileSync(DOCS_FILE, 'utf8')).toBe(generated);
  });

  it('has a section with a table for every top-level block', () => {
    const blocks = Object.keys((sceneJsonSchema() as { properties: object }).properties);
    expect(blocks).toEqual(['image', 'camera', 'background', 'lights', 'support', 'objects', 'robots', 'placement', 'physics', 'sensor', 'render']);
    for (const block of blocks) {
      const section = generated.split(`\n## ${block}\n`)[1]?.split('\n## ')[0];
      expect(section, `section ${block}`).toBeDefined();
      expect(section, `table in ${block}`).toContain('| Field | Type | Default | Description |');
    }
  });

  it('lists every field with its default and description', () => {
    expect(generated).toContain('| `pose.distance` | number or [min, max], >= 0.01 | **required** | camera to target (m) |');
    expect(generated).toContain('| `samples` | one of 1, 2, 4, 8 | `4` | MSAA samples of the colour pass |');
    expect(generated).toMatch(/\| `material.color.hue_deg` \| number or \[min, max\], 0 to 360 \| `\[0, 360\]` \|/);
    expect(generated).toContain('### `type: directional`');
    expect(generated).toContain('### `type: ground`');
  });

  it('embeds the default scene as the full example', () => {
    const example = readFileSync(new URL('../../scenes/tabletop.yaml', import.meta.url), 'utf8').trimEnd();
    expect(generated).toContain(`\`\`\`yaml\n${example}\n\`\`\``);
  });
});
