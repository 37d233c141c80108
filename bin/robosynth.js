#!/usr/bin/env node
// The CLI is bundled to dist/cli.js by `npm run build` (scripts/setup.sh runs it when missing).
import { existsSync } from 'node:fs';
const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('robosynth: dist/cli.js is missing; run `npm run setup` (or `npm run build`) first');
  process.exit(1);
}
await import(cli.href);
