/**
 * Writes docs/scene-format.md from the scene schema (src/scene/schema.ts, through its JSON
 * Schema), so the reference can never disagree with what `robosynth validate` accepts.
 *
 *   npx tsx scripts/gen-docs.ts
 *
 * test/scene/docs.test.ts fails when the committed file differs from what this produces.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sceneJsonSchema } from '../src/scene/schema.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DOCS_FILE = path.join(root, 'docs/scene-format.md');
const EXAMPLE_FILE = 'scenes/tabletop.yaml';

/** The part of JSON Schema (2020-12, as z.toJSONSchema writes it) that the scene schema uses. */
interface Schema {
  type?: 'object' | 'array' | 'number' | 'integer' | 'string' | 'boolean';
  description?: string;
  default?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema | false;
  prefixItems?: Schema[];
  minItems?: number;
  maxItems?: number;
  anyOf?: Schema[];
  oneOf?: Schema[];
  const?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  pattern?: string;
}

/** Hand-written: what each block is for, and rules the JSON Schema cannot express. */
const BLOCKS: Record<string, string> = {
  image: 'The size of the rendered images in pixels. `render --width/--height` override it and scale the intrinsics to match.',
  camera: 'A pinhole camera (OpenCV convention) that looks at a target point from a spherical shell around it; a new pose is drawn per frame. `clip.near` must be less than `clip.far`.',
  background: 'What is seen where no surface is: a colour (fixed, or drawn in HSV per frame), and optionally a two-colour `gradient` and an image from a folder (`images`), each firing per frame with its probability `p`. An image wins over a gradient, a gradient over the plain colour. They are drawn behind everything in the colour image only: labels, masks and depth never change (background stays id 0, depth 0). The colour is also what a frame shows when its image cannot be decoded (one warning per file). Background colours are written to the image as given (not lit, not converted) and images with their own pixel values.',
  lights: 'One to eight lights. Each entry is one of the kinds below, chosen by its `type`.',
  support: 'The surface the objects are dropped on; its top is the plane z = 0. One of the kinds below, chosen by its `type`.',
  objects: 'The object classes (at least one). Each class has exactly one shape: `box`, `cylinder`, `sphere` or `mesh`. Class names must be unique; they are the category names in BOP and COCO. A `mesh` is one `file` or a `folder` of them (one model each, with its own obj_id), resolved against the scene file\'s folder.',
  placement: 'Where the objects are dropped before the physics lets them settle. `region.x` and `region.y` are [min, max] with min <= max.',
  physics: 'The rigid-body simulation that settles the dropped objects (cannon-es). Every field has a default.',
  robots: 'Articulated robots read from URDF (links, joints, visual and collision geometry; meshes in STL, OBJ, glTF/GLB or Collada). `package://NAME/...` URIs resolve through `packages`. Every frame draws the base pose and the joint values — uniformly within the limits, in a fraction of each range around a named or given configuration, or fixed — then rejects configurations whose collision geometry hits itself (links joined by a joint, or touching at the zero configuration, excepted) or the support. Objects settle around and on the links. Each link with visual geometry is a BOP object with its own obj_id; keypoints (movable joint origins and the end effector) go to `scene_robot.json` and to COCO as a keypoint category.',
  render: 'Rendering quality. Every field has a default.',
  sensor: 'Camera sensor effects applied to the rendered colour image after rendering, in a camera\'s order whatever the order in the file: exposure, white balance, defocus and motion blur (in linear light), shot and read noise, then JPEG compression. Each effect is an optional sub-block that fires per frame with probability `p` and draws its parameters from its ranges; the parameters a frame got are written to `train_pbr/*/scene_sensor.json`. Labels are untouched. With `--refine`, the refiner works on the image with the effects.',
};

const INTRO = `# Scene file format

A scene file describes what to render: the camera, the lights, the surface, the object classes and how
they are dropped. It is YAML (or JSON, which is valid YAML) and is checked against a strict schema before
anything renders: run \`robosynth validate <scene>\` to check one, and \`robosynth schema\` to print the JSON
Schema (for editor completion, e.g. with the YAML language server's \`# yaml-language-server: $schema=...\`).

- **Unknown keys are errors**, at every level: a misspelt key is reported, never ignored.
- **Units**: metres; degrees where a name ends in \`_deg\`; colours are linear RGB in [0, 1].
- **World frame**: right-handed, Z up; the support's top surface is the plane z = 0.
- **Ranges**: where a field's type says \`number or [min, max]\`, give a fixed number or a pair
  \`[min, max]\` (min <= max); a pair is drawn uniformly, anew for every frame. Counts drawn this way
  are whole numbers from min to max inclusive.
- **Colours** of materials are either a fixed \`[r, g, b]\` or a mapping \`{ hue_deg, saturation, value }\` of
  ranges, drawn in HSV per frame; the mapping's fields are listed under \`color\` as \`color.hue_deg\` etc.
- **Defaults**: a field with a default may be left out, and so may a block whose fields all have defaults.
  A block that is given replaces the block's default as a whole, field by field from the fields'
  own defaults.

Every error names the file, the line, the field path and what was expected, for example:

\`\`\`
robosynth: scenes/mine.yaml:42: objects[1].material.colour: unknown key "colour"; did you mean "color"? (allowed here: color, roughness, metallic, texture, per)
\`\`\`
`;

// ---- Rendering of types and values -----------------------------------------------------------

function num(value: number): string {
  return String(Number(value.toPrecision(6)));
}

/** Bounds of a number, in words: "> 0", "0 to 1", ">= 0.0001". */
function bounds(node: Schema): string {
  const lo = node.minimum !== undefined ? num(node.minimum) : node.exclusiveMinimum !== undefined ? `> ${num(node.exclusiveMinimum)}` : undefined;
  const hi = node.maximum !== undefined ? num(node.maximum) : node.exclusiveMaximum !== undefined ? `< ${num(node.exclusiveMaximum)}` : undefined;
  const inclusiveLo = node.minimum !== undefined;
  const inclusiveHi = node.maximum !== undefined;
  if (lo !== undefined && hi !== undefined && inclusiveLo && inclusiveHi) return `${lo} to ${hi}`;
  const parts = [lo === undefined ? undefined : inclusiveLo ? `>= ${lo}` : lo, hi === undefined ? undefined : inclusiveHi ? `<= ${hi}` : hi];
  return parts.filter(Boolean).join(', ');
}

const isNumber = (node: Schema) => node.type === 'number' || node.type === 'integer';

/** A number, or [min, max] of the same numbers: how z.union([n, z.tuple([n, n])]) comes out. */
function rangeOf(node: Schema): Schema | undefined {
  const [single, pair] = node.anyOf ?? [];
  if (node.anyOf?.length !== 2 || !isNumber(single) || pair.type !== 'array' || pair.prefixItems?.length !== 2) return undefined;
  return single;
}

/** "1 to 8 items", "at least 1 item", or '' when the length is free. */
function itemCount(node: Schema): string {
  const items = (n: number) => `${n} item${n === 1 ? '' : 's'}`;
  if (node.minItems !== undefined && node.maxItems !== undefined) return `${node.minItems} to ${items(node.maxItems)}`;
  if (node.minItems !== undefined) return `at least ${items(node.minItems)}`;
  if (node.maxItems !== undefined) return `at most ${items(node.maxItems)}`;
  return '';
}

function typeOf(node: Schema): string {
  const range = rangeOf(node);
  if (range) {
    const limits = bounds(range);
    return `${range.type} or [min, max]${limits ? `, ${limits}` : ''}`;
  }
  if (node.anyOf && node.anyOf.every((option) => option.const !== undefined)) {
    return `one of ${node.anyOf.map((option) => JSON.stringify(option.const)).join(', ')}`;
  }
  if (node.anyOf ?? node.oneOf) {
    return (node.anyOf ?? node.oneOf ?? []).map((option) => {
      const text = option.type === 'object' ? 'mapping (fields below)' : typeOf(option);
      return text.includes(',') ? `(${text})` : text;
    }).join(' or ');
  }
  if (node.const !== undefined) return JSON.stringify(node.const);
  if (node.enum) return `one of ${node.enum.map((value) => JSON.stringify(value)).join(', ')}`;
  switch (node.type) {
    case 'number':
    case 'integer': {
      const limits = bounds(node);
      return `${node.type}${limits ? `, ${limits}` : ''}`;
    }
    case 'string':
      return node.pattern ? `string matching \`${node.pattern}\`` : 'string';
    case 'boolean':
      return 'true or false';
    case 'object':
      return 'mapping';
    case 'array': {
      if (node.prefixItems) {
        const items = node.prefixItems.map(typeOf);
        const same = items.every((item) => item === items[0]);
        if (same && rangeOf(node.prefixItems[0])) return `list of ${items.length} × (${items[0]})`;
        if (same) return `list of ${items.length} ${items[0].replace(/^(number|integer)/, '$1s')}`.replace(/, /, ', each ');
        return `[${items.join(', ')}]`;
      }
      const count = itemCount(node);
      return `list${node.items ? ` of ${typeOf(node.items).replace(/^mapping$/, 'mappings')}` : ''}${count ? `, ${count}` : ''}`;
    }
    default:
      return 'any';
  }
}

/** A default value as it would be written in YAML flow style. */
function yamlValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(yamlValue).join(', ')}]`;
  if (value !== null && typeof value === 'object') return `{ ${Object.entries(value).map(([k, v]) => `${k}: ${yamlValue(v)}`).join(', ')} }`;
  if (typeof value === 'number') return num(value);
  if (typeof value === 'string') return /^[A-Za-z0-9_.-]+$/.test(value) ? value : JSON.stringify(value);
  return String(value);
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

// ---- Tables ----------------------------------------------------------------------------------

/** The description zod's range() gives every range; a field's own .describe() replaces it. */
const GENERIC = /^an? (number|integer), or \[min, max\] for a uniform/;

/** What a mapping given as `{}` comes out as: each field's own default. */
function fieldDefaults(node: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(node.properties ?? {})) {
    if (field.default !== undefined) out[key] = field.default;
    else if (field.type === 'object' && field.properties) out[key] = fieldDefaults(field);
  }
  return out;
}

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

interface Row {
  name: string;
  type: string;
  default: string;
  description: string;
}

/**
 * The rows of a mapping's fields. Nested mappings are flattened to dotted names after a row of
 * their own; so are the mapping options of a union (the HSV form of a colour).
 */
function rows(node: Schema, prefix = '', skip: string[] = []): Row[] {
  const out: Row[] = [];
  const required = new Set(node.required ?? []);
  for (const [key, field] of Object.entries(node.properties ?? {})) {
    if (skip.includes(key)) continue;
    const name = `${prefix}${key}`;
    const options = field.anyOf ?? field.oneOf ?? [];
    const optionNotes = options.map((option) => option.description).filter((note) => note !== undefined);
    let description = field.description ?? optionNotes.join('; or ');
    if (rangeOf(field) && GENERIC.test(description)) description = ''; // the type column says it
    let fallback: string;
    if (required.has(key)) fallback = '**required**';
    else if (field.default === undefined) fallback = 'optional';
    else if (field.type === 'object' && field.properties && sameValue(field.default, fieldDefaults(field))) fallback = 'see fields';
    else if (field.type === 'object' && field.properties) fallback = `\`${yamlValue(field.default)}\` when left out; the fields' defaults when given`;
    else fallback = `\`${yamlValue(field.default)}\``;
    out.push({ name: `\`${name}\``, type: typeOf(field), default: fallback, description });
    if (field.type === 'object' && field.properties) out.push(...rows(field, `${name}.`));
    for (const option of options) {
      if (option.type === 'object' && option.properties) out.push(...rows(option, `${name}.`));
    }
  }
  return out;
}

function table(list: Row[]): string {
  const lines = ['| Field | Type | Default | Description |', '| --- | --- | --- | --- |'];
  for (const row of list) lines.push(`| ${cell(row.name)} | ${cell(row.type)} | ${cell(row.default)} | ${cell(row.description)} |`);
  return lines.join('\n');
}

/** The options of a list or a field chosen by `type` (lights, support), each with its table. */
function variants(options: Schema[], heading: string): string {
  return options.map((option) => {
    const tag = option.properties?.type?.const;
    const fields = rows(option, '', ['type']);
    const body = fields.length ? table(fields) : 'No other fields.';
    return `${heading} \`type: ${String(tag)}\`\n\n${body}`;
  }).join('\n\n');
}

function block(name: string, node: Schema, required: boolean): string {
  const parts = [`## ${name}`, `${required ? '**Required.**' : '**Optional.**'} ${BLOCKS[name] ?? ''}`.trim()];
  if (node.description) parts.push(node.description);
  const item = node.type === 'array' && node.items ? node.items : undefined;
  const choices = (item ?? node).oneOf;
  const count = itemCount(node);
  if (choices) {
    if (item) parts.push(`A list${count ? ` of ${count}` : ''}; each item is a mapping of one of these kinds:`);
    parts.push(variants(choices, '###'));
  } else if (item) {
    parts.push(`A list${count ? ` of ${count}` : ''}; each item is a mapping with these fields:`);
    parts.push(table(rows(item)));
  } else {
    parts.push(table(rows(node)));
  }
  return parts.join('\n\n');
}

/** The full text of docs/scene-format.md. */
export function renderSceneDocs(): string {
  const schema = sceneJsonSchema() as Schema;
  const required = new Set(schema.required ?? []);
  const names = Object.keys(schema.properties ?? {});
  const missing = names.filter((name) => !(name in BLOCKS));
  if (missing.length) throw new Error(`gen-docs: no introduction for the block(s) ${missing.join(', ')}; add them to BLOCKS`);
  const example = readFileSync(path.join(root, EXAMPLE_FILE), 'utf8').trimEnd();
  return [
    '<!-- Generated by scripts/gen-docs.ts from src/scene/schema.ts: do not edit by hand; run `npx tsx scripts/gen-docs.ts`. -->',
    '',
    INTRO,
    `The top level is a mapping of these blocks: ${names.map((name) => `[\`${name}\`](#${name})`).join(', ')}.`,
    '',
    ...names.flatMap((name) => [block(name, schema.properties![name], required.has(name)), '']),
    '## Full example',
    '',
    `The default scene, \`${EXAMPLE_FILE}\`:`,
    '',
    '```yaml',
    example,
    '```',
    '',
  ].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(DOCS_FILE, renderSceneDocs());
  process.stdout.write(`wrote ${path.relative(process.cwd(), DOCS_FILE)}\n`);
}
