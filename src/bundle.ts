/**
 * An in-memory bundle of our own TypeScript for the page in Chromium, which cannot load it
 * directly. Built from source on first use (esbuild takes a few hundred milliseconds), so it can
 * never be stale, whether robosynth runs from src/ (tests) or from the CLI bundle in dist/.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const cache = new Map<string, Promise<string>>();

/** `relative` is a path under src/, e.g. 'render/page/page.ts'. */
export function sourcePath(relative: string): string {
  // From src/bundle.ts, or from dist/cli.js.
  const candidates = [new URL(`./${relative}`, import.meta.url), new URL(`../src/${relative}`, import.meta.url)].map((u) => fileURLToPath(u));
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new Error(`the source file src/${relative} is missing from the installation`);
  return found;
}

export function bundle(relative: string): Promise<string> {
  let result = cache.get(relative);
  if (!result) {
    result = build({
      entryPoints: [sourcePath(relative)],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: 'chrome120',
      minify: true,
      legalComments: 'none',
      logLevel: 'silent',
    }).then((out) => out.outputFiles[0].text);
    cache.set(relative, result);
  }
  return result;
}
