// Bundles the CLI for Node (dist/cli.js) and the workers it starts (dist/refine-worker.js,
// dist/sensor-worker.js, found beside it). The page script is bundled at run time from source (src/bundle.ts), so it can
// never be stale.
import { build } from 'esbuild';

await build({
  entryPoints: { cli: 'src/cli/index.ts', 'refine-worker': 'src/refine/refine-worker.ts', 'sensor-worker': 'src/effects/sensor-worker.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
