/**
 * Starting a worker thread from the bundled CLI or from source. The bundle puts each worker
 * script beside dist/cli.js (scripts/build.mjs); from source (tests, tsx scripts) the worker is
 * the .ts file, and since a worker does not inherit the parent's TypeScript loader, it registers
 * tsx's first (tsx is then a dev dependency in reach).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** `bundled`: the .js next to the bundle; `source`: the .ts module. */
export function startWorker(bundled: URL, source: URL, workerData: unknown): Worker {
  if (existsSync(fileURLToPath(bundled))) return new Worker(bundled, { workerData });
  const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(source.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}
