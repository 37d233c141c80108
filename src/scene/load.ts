/**
 * Reading a scene file: YAML or JSON, validated against the schema before anything renders.
 * Every error names the file, the line (when the source has one), the field path and what was
 * expected, in one message.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import type { z } from 'zod';
import { UserError } from '../errors.js';
import { sceneSchema, type SceneSpec } from './schema.js';

export interface LoadedScene {
  /** Absolute path of the scene file. */
  path: string;
  spec: SceneSpec;
  /** Mesh files of the object classes, resolved against the scene file's folder (by class index). */
  meshFiles: Map<number, string>;
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

function lineOf(doc: Document, counter: LineCounter, path: Path): number | undefined {
  // The deepest node that exists along the path: an unknown or missing key points at its parent.
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth), true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  return undefined;
}

function describeIssue(issue: z.core.$ZodIssue): { path: Path; message: string } {
  const path = issue.path.filter((key): key is string | number => typeof key !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys;
    return { path, message: `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}` };
  }
  if (issue.code === 'invalid_union') {
    // Report the branch that got furthest, rather than zod's generic "invalid input".
    const branches = issue.errors.filter((branch) => branch.length > 0);
    const best = branches.sort((a, b) => b[0].path.length - a[0].path.length)[0];
    if (best && best[0].path.length > 0) {
      const inner = describeIssue(best[0]);
      return { path: [...path, ...inner.path], message: inner.message };
    }
    return { path, message: issue.message === 'Invalid input' ? 'expected a number or a [min, max] pair' : issue.message };
  }
  return { path, message: issue.message };
}

/** Parse and validate scene text; `file` is only used in messages and to resolve relative paths. */
export function parseScene(text: string, file: string): LoadedScene {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const error = doc.errors[0];
    const line = error.linePos?.[0].line;
    throw new UserError(`${file}${line ? `:${line}` : ''}: not valid YAML or JSON: ${error.message.split('\n')[0]}`);
  }
  const data = doc.toJS({ maxAliasCount: 100 });
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new UserError(`${file}: expected a mapping of scene settings at the top level`);
  }
  const result = sceneSchema.safeParse(data);
  if (!result.success) {
    const { path, message } = describeIssue(result.error.issues[0]);
    const line = lineOf(doc, counter, path);
    const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more problem${result.error.issues.length > 2 ? 's' : ''})` : '';
    throw new UserError(`${file}${line ? `:${line}` : ''}: ${formatPath(path)}: ${message}${more}`);
  }
  const spec = result.data;
  const base = dirname(resolve(file));
  const meshFiles = new Map<number, string>();
  spec.objects.forEach((cls, index) => {
    if (!cls.mesh) return;
    const meshPath = resolve(base, cls.mesh.file);
    const line = lineOf(doc, counter, ['objects', index, 'mesh', 'file']);
    const where = `${file}${line ? `:${line}` : ''}: objects[${index}].mesh.file`;
    if (!existsSync(meshPath) || !statSync(meshPath).isFile()) throw new UserError(`${where}: no such file ${meshPath}`);
    if (!/\.(gltf|glb|obj|stl)$/i.test(meshPath)) throw new UserError(`${where}: expected a .gltf, .glb, .obj or .stl file, got ${meshPath}`);
    meshFiles.set(index, meshPath);
  });
  const classes = new Set<string>();
  spec.objects.forEach((cls, index) => {
    if (classes.has(cls.class)) {
      const line = lineOf(doc, counter, ['objects', index, 'class']);
      throw new UserError(`${file}${line ? `:${line}` : ''}: objects[${index}].class: class "${cls.class}" is defined twice`);
    }
    classes.add(cls.class);
  });
  const { region } = spec.placement;
  if (region.x[0] > region.x[1] || region.y[0] > region.y[1]) {
    throw new UserError(`${file}: placement.region: expected x and y as [min, max] with min <= max`);
  }
  return { path: resolve(file), spec, meshFiles };
}

export function loadScene(file: string): LoadedScene {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`${file}: cannot read the scene file (${code === 'ENOENT' ? 'no such file' : code ?? String(error)})`);
  }
  return parseScene(text, file);
}
