/**
 * Reading a scene file: YAML or JSON, validated against the schema before anything renders.
 * Every error names the file, the line (when the source has one), the field path and what was
 * expected, in one message.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { LineCounter, parseDocument, isMap, isNode, isScalar, isSeq, type Document } from 'yaml';
import { z } from 'zod';
import { UserError } from '../errors.js';
import { MESH_EXTENSIONS } from '../geometry/mesh-parts.js';
import { sceneSchema, type SceneSpec } from './schema.js';

export interface LoadedScene {
  /** Absolute path of the scene file. */
  path: string;
  spec: SceneSpec;
  /** Mesh files of the `mesh.file` object classes, resolved against the scene file's folder (by class index). */
  meshFiles: Map<number, string>;
  /**
   * The models of the `mesh.folder` object classes (by class index), in name order: each mesh
   * file of the folder, and the model.urdf of each subfolder that has one (absolute paths).
   */
  meshFolders: Map<number, string[]>;
  /** The images of every material's texture folder (objects, support, robots) and of the background's image folder. */
  textures: SceneTextures;
}

export interface SceneTextures {
  /**
   * Each texture folder as written in the scene file -> its images' keys in name order. A key is
   * the image's path relative to the scene file ('/'-separated): the renderer's texture key and
   * what a frame description records, the same on every machine.
   */
  folders: Map<string, string[]>;
  /** Absolute path of every image, by key. */
  files: Map<string, string>;
}

const IMAGE_FILE = /\.(png|jpe?g)$/i;

/**
 * Lists the images of every `material.texture.folder` and of `background.images.folder`; a folder
 * that is missing or holds none is an error at its line.
 */
function resolveTextures(spec: SceneSpec, base: string, where: (path: Path) => string): SceneTextures {
  const textures: SceneTextures = { folders: new Map(), files: new Map() };
  const folders: { fieldPath: Path; folder: string | undefined }[] = [
    ...spec.objects.map((cls, i) => ({ fieldPath: ['objects', i, 'material', 'texture', 'folder'] as Path, folder: cls.material.texture?.folder })),
    { fieldPath: ['support', 'material', 'texture', 'folder'], folder: spec.support.material.texture?.folder },
    ...spec.robots.map((robot, i) => ({ fieldPath: ['robots', i, 'material', 'texture', 'folder'] as Path, folder: robot.material?.texture?.folder })),
    { fieldPath: ['background', 'images', 'folder'], folder: spec.background.images?.folder },
  ];
  for (const { fieldPath, folder } of folders) {
    if (folder === undefined || textures.folders.has(folder)) continue;
    const absolute = resolve(base, folder);
    const images = listFolder(absolute, `${where(fieldPath)}: ${formatPath(fieldPath)}`, 'no .png, .jpg or .jpeg images',
      (name, path) => (IMAGE_FILE.test(name) && statSync(path).isFile() ? path : undefined));
    const keys = images.map((file) => {
      const key = relative(base, file).split(sep).join('/');
      textures.files.set(key, file);
      return key;
    });
    textures.folders.set(folder, keys);
  }
  return textures;
}

/**
 * What `pick` makes of the entries of the folder `absolute` (a path, or undefined to skip the
 * entry), in name order: sorted by code unit, not locale, so every machine lists them alike and
 * draws the same entry for the same frame. A missing folder, or one where `pick` takes nothing,
 * is a UserError starting with `prefix` (the file, line and field) that says the folder holds
 * `none`.
 */
function listFolder(absolute: string, prefix: string, none: string, pick: (name: string, path: string) => string | undefined): string[] {
  if (!existsSync(absolute) || !statSync(absolute).isDirectory()) throw new UserError(`${prefix}: no such folder ${absolute}`);
  const entries = readdirSync(absolute).sort().flatMap((name) => pick(name, join(absolute, name)) ?? []);
  if (entries.length === 0) throw new UserError(`${prefix}: the folder ${absolute} holds ${none}`);
  return entries;
}

/** Whether `mesh.file` takes the file, by extension: a mesh format, or an object's .urdf (YCB style). */
const isMeshFile = (path: string) => [...MESH_EXTENSIONS, '.urdf'].includes(extname(path).toLowerCase());

/**
 * The models of a `mesh.folder` (see the schema): every mesh file, and every subfolder's
 * model.urdf (a YCB-style object folder). Hidden entries (.name) and ones that cannot be read (a
 * broken link) are skipped.
 */
function listMeshFolder(absolute: string, prefix: string): string[] {
  const none = `no mesh files (${MESH_EXTENSIONS.join(', ')}) and no subfolders with a model.urdf`;
  return listFolder(absolute, prefix, none, (name, path) => {
    if (name.startsWith('.')) return undefined; // hidden, such as macOS's ._name.obj resource forks
    const entry = statSync(path, { throwIfNoEntry: false });
    if (entry?.isFile()) return MESH_EXTENSIONS.includes(extname(name).toLowerCase()) ? path : undefined;
    const urdf = join(path, 'model.urdf');
    return entry?.isDirectory() && statSync(urdf, { throwIfNoEntry: false })?.isFile() ? urdf : undefined;
  });
}

type Path = (string | number)[];

export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else text += text ? `.${String(key)}` : String(key);
  }
  return text || '(top level)';
}

/**
 * The line of the deepest key (or list item) along the path that exists in the source: a missing
 * key points at its parent's key. A key at the top level that is missing has no line.
 */
function lineOf(doc: Document, counter: LineCounter, path: Path): number | undefined {
  for (let depth = path.length; depth >= 1; depth--) {
    const parent = depth === 1 ? doc.contents : doc.getIn(path.slice(0, depth - 1), true);
    const key = path[depth - 1];
    let node: unknown;
    if (isMap(parent)) {
      node = parent.items.find((pair) => String(isScalar(pair.key) ? pair.key.value : pair.key) === String(key))?.key;
    } else if (isSeq(parent) && typeof key === 'number') {
      node = parent.items[key];
    }
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  return undefined;
}

const at = (file: string, line: number | undefined) => `${file}${line ? `:${line}` : ''}`;

// ---- Messages --------------------------------------------------------------------------------
// zod's own messages ("Invalid input: expected number, received string") are rewritten by a
// per-parse error map, which sees the raw issue with its input and the schema that raised it.
// Messages set in the schema itself (refinements, the class-name pattern) take precedence.

/** A short rendering of a value the user wrote. */
function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  text ??= String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

interface SchemaLike {
  _zod: { def: { type: string; format?: string; items?: unknown[]; shape?: Record<string, unknown>; values?: unknown[]; options?: SchemaLike[] } };
}

const asSchema = (value: unknown): SchemaLike | undefined =>
  typeof value === 'object' && value !== null && '_zod' in value ? (value as SchemaLike) : undefined;

const KINDS: Record<string, string> = {
  number: 'a number', int: 'an integer', string: 'a string', boolean: 'true or false', object: 'a mapping',
  array: 'a list', tuple: 'a list', null: 'an empty value',
};

/** What a union option accepts, in words. */
function describeOption(option: SchemaLike): string {
  const { def } = option._zod;
  let text: string;
  if (def.type === 'literal') text = (def.values ?? []).map(show).join(' or ');
  else if (def.type === 'tuple') text = def.items?.length === 2 ? 'a [min, max] pair' : `a list of ${def.items?.length ?? 0} numbers`;
  else if (def.type === 'object') text = `a mapping of ${Object.keys(def.shape ?? {}).join(', ')}`;
  else if (def.type === 'number' && def.format?.includes('int')) text = 'an integer';
  else text = KINDS[def.type] ?? `a ${def.type}`;
  const description = z.globalRegistry.get(option as unknown as z.core.$ZodType)?.description;
  return description ? `${text} (${description})` : text;
}

function expectedOf(issue: z.core.$ZodRawIssue): string {
  const inst = asSchema(issue.inst);
  if (inst?._zod.def.type === 'tuple') return `a list of ${plural(inst._zod.def.items?.length ?? 0, 'value')}`;
  if (inst?._zod.def.type === 'number' && inst._zod.def.format?.includes('int')) return 'an integer';
  return KINDS[String(issue.expected)] ?? `a ${String(issue.expected)}`;
}

function expectedGot(expected: string, input: unknown): string {
  return input === undefined ? `missing required field (expected ${expected})` : `expected ${expected}, got ${show(input)}`;
}

function closest(word: string, candidates: string[]): string | undefined {
  const distance = (a: string, b: string) => {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let prev = row[0];
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const next = row[j];
        row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = next;
      }
    }
    return row[b.length];
  };
  const lower = word.toLowerCase();
  const prefix = candidates.find((c) => lower.length >= 3 && (c.toLowerCase().startsWith(lower) || lower.startsWith(c.toLowerCase())));
  if (prefix) return prefix;
  const scored = candidates.map((c) => ({ c, d: distance(word.toLowerCase(), c.toLowerCase()) })).sort((a, b) => a.d - b.d);
  return scored[0] && scored[0].d <= Math.max(1, Math.floor(word.length / 3)) ? scored[0].c : undefined;
}

const errorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return expectedGot(expectedOf(issue), issue.input);
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small';
      const bound = small ? issue.minimum : issue.maximum;
      const inst = asSchema(issue.inst);
      if (issue.origin === 'array') {
        const got = Array.isArray(issue.input) ? issue.input.length : 0;
        if (inst?._zod.def.type === 'tuple') return `expected a list of exactly ${plural(Number(bound), 'value')}, got ${got}`;
        return `expected ${small ? 'at least' : 'at most'} ${plural(Number(bound), 'item')}, got ${got}`;
      }
      if (issue.origin === 'string') return small && Number(bound) === 1 ? 'expected a non-empty string' : undefined;
      const op = small ? (issue.inclusive ? '>=' : '>') : (issue.inclusive ? '<=' : '<');
      return `expected a number ${op} ${String(bound)}, got ${show(issue.input)}`;
    }
    case 'invalid_value': {
      const values = issue.values.map(show);
      return expectedGot(values.length === 1 ? values[0] : `one of ${values.join(', ')}`, issue.input);
    }
    case 'unrecognized_keys': {
      const allowed = Object.keys(asSchema(issue.inst)?._zod.def.shape ?? {});
      const keys = issue.keys.map((k) => `"${k}"`).join(', ');
      const hint = issue.keys.length === 1 ? closest(issue.keys[0], allowed) : undefined;
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${keys}${hint ? `; did you mean "${hint}"?` : ''}` +
        (allowed.length ? ` (allowed here: ${allowed.join(', ')})` : '');
    }
    case 'invalid_union': {
      const tags = (issue as { options?: unknown[] }).options;
      if (issue.discriminator !== undefined && tags) {
        // A discriminated union whose tag (lights[].type, support.type) matched no option.
        const input = issue.input as Record<string, unknown> | undefined;
        return expectedGot(`one of ${tags.map(show).join(', ')}`, input?.[issue.discriminator]);
      }
      const options = asSchema(issue.inst)?._zod.def.options ?? [];
      const expected = options.every((o) => o._zod.def.type === 'literal')
        ? `one of ${options.flatMap((o) => o._zod.def.values ?? []).map(show).join(', ')}`
        : options.map(describeOption).join(' or ');
      return expectedGot(expected || 'something else', issue.input);
    }
    default:
      return undefined;
  }
};

/** A union branch got past the type check when its first issue is not "wrong type / value" at its root. */
function typeMatched(branch: z.core.$ZodIssue[]): boolean {
  const first = branch[0];
  if (!first) return false;
  if (first.path.length > 0) return true;
  return first.code !== 'invalid_type' && first.code !== 'invalid_value' && !(first.code === 'invalid_union' && first.errors.every((b) => !typeMatched(b)));
}

function describeIssue(issue: z.core.$ZodIssue): { path: Path; message: string } {
  const path = issue.path.filter((key): key is string | number => typeof key !== 'symbol');
  if (issue.code === 'unrecognized_keys' && issue.keys.length === 1) {
    return { path: [...path, issue.keys[0]], message: issue.message };
  }
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // When one branch had the right shape (say, a [min, max] pair), its problem is the one to
    // report, deepest first; when none did, the union's own message lists what was expected.
    const matched = issue.errors.filter(typeMatched).sort((a, b) => b[0].path.length - a[0].path.length);
    if (matched.length > 0) {
      const inner = describeIssue(matched[0][0]);
      return { path: [...path, ...inner.path], message: inner.message };
    }
  }
  return { path, message: issue.message };
}

/** The key written at `offset` (where yaml reports a duplicate), quoted and followed by a space. */
function duplicateKey(text: string, offset: number): string {
  const match = /^(?:"([^"]*)"|'([^']*)'|([^\s:,{}[\]]+))/.exec(text.slice(offset));
  return match ? `"${match[1] ?? match[2] ?? match[3]}" ` : '';
}

/** Parse and validate scene text; `file` is only used in messages and to resolve relative paths. */
export function parseScene(text: string, file: string): LoadedScene {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const error = doc.errors[0];
    const line = error.linePos?.[0].line ?? counter.linePos(error.pos[0]).line;
    const reason = error.code === 'MULTIPLE_DOCS'
      ? 'a scene file holds one document, but this one has another after a "---" line'
      : error.code === 'DUPLICATE_KEY' ? `the key ${duplicateKey(text, error.pos[0])}appears twice in the same mapping` : error.message.split('\n')[0];
    throw new UserError(`${at(file, line)}: not valid YAML or JSON: ${reason}`);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new UserError(`${file}: not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  if (data === null || data === undefined) {
    throw new UserError(`${file}: the file is empty; expected a mapping of scene settings at the top level`);
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    const line = isNode(doc.contents) && doc.contents.range ? counter.linePos(doc.contents.range[0]).line : undefined;
    throw new UserError(`${at(file, line)}: expected a mapping of scene settings at the top level, got ${Array.isArray(data) ? 'a list' : show(data)}`);
  }
  const result = sceneSchema.safeParse(data, { error: errorMap });
  if (!result.success) {
    const { issues } = result.error;
    const { path, message } = describeIssue(issues[0]);
    const more = issues.length > 1 ? ` (and ${plural(issues.length - 1, 'more problem')})` : '';
    throw new UserError(`${at(file, lineOf(doc, counter, path))}: ${formatPath(path)}: ${message}${more}`);
  }
  const spec = result.data;
  const base = dirname(resolve(file));
  const meshFiles = new Map<number, string>();
  const meshFolders = new Map<number, string[]>();
  spec.objects.forEach((cls, index) => {
    if (!cls.mesh) return;
    const field = (key: string) => `${at(file, lineOf(doc, counter, ['objects', index, 'mesh', key]))}: objects[${index}].mesh.${key}`;
    if (cls.mesh.folder !== undefined) {
      meshFolders.set(index, listMeshFolder(resolve(base, cls.mesh.folder), field('folder')));
      return;
    }
    const meshPath = resolve(base, cls.mesh.file!);
    if (!isMeshFile(meshPath)) throw new UserError(`${field('file')}: expected a .gltf, .glb, .obj, .stl, .dae or .ply file, or an object's .urdf (YCB style), got ${meshPath}`);
    if (!existsSync(meshPath) || !statSync(meshPath).isFile()) throw new UserError(`${field('file')}: no such file ${meshPath}`);
    meshFiles.set(index, meshPath);
  });
  const classes = new Map<string, number>();
  spec.objects.forEach((cls, index) => {
    const first = classes.get(cls.class);
    if (first !== undefined) {
      const line = lineOf(doc, counter, ['objects', index, 'class']);
      throw new UserError(`${at(file, line)}: objects[${index}].class: class "${cls.class}" is already defined by objects[${first}]; class names must be unique`);
    }
    classes.set(cls.class, index);
  });
  const textures = resolveTextures(spec, base, (path) => at(file, lineOf(doc, counter, path)));
  return { path: resolve(file), spec, meshFiles, meshFolders, textures };
}

export function loadScene(file: string): LoadedScene {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : code ?? String(error);
    throw new UserError(`${file}: cannot read the scene file (${reason})`);
  }
  return parseScene(text, file);
}
