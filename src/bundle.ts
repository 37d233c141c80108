/**
 * In-memory bundles of our own TypeScript for the two places that cannot load it directly: the
 * page in Chromium and worker threads. Built from source on first use (esbuild takes a few
 * hundred milliseconds), so they can never be stale, whether robosynth runs from src/ (tests)
 * or from the CLI bundle in dist/.
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

export function bundle(relative: string, platform: 'browser' | 'node'): Promise<string> {
  const key = `${platform}:${relative}`;
  let result = cache.get(key);
  if (!result) {
    result = build({
      entryPoints: [sourcePath(relative)],
      bundle: true,
      write: false,
      format: platform === 'browser' ? 'iife' : 'esm',
      platform,
      target: platform === 'browser' ? 'chrome120' : 'node20',
      minify: platform === 'browser',
      legalComments: 'none',
      logLevel: 'silent',
      // Node bundles keep CommonJS dependencies working inside an ES module.
      banner: platform === 'node' ? { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } : undefined,
    }).then((out) => out.outputFiles[0].text);
    cache.set(key, result);
  }
  return result;
}
