/**
 * `npm run bench`: one JSON line with the end-to-end rate (sample + settle + render + label +
 * write BOP and COCO) at 640x480 on the default scene, and, in the same run, the raw render rate
 * of the same passes (colour, instance and depth, read back into Node) with no labels and no
 * writing. Warm-up frames (shader compilation) are excluded from both rates.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareScene, renderDataset, rendererMeshes, sampleSettledFrame } from '../src/pipeline/render-dataset.js';
import { Renderer } from '../src/render/driver.js';
import { frameToPageJob } from '../src/render/job.js';
import { modelRadii } from '../src/scene/models.js';

const scenePath = process.argv[2] ?? 'scenes/tabletop.yaml';
const frames = Number(process.env.BENCH_FRAMES ?? 60);
const warmup = 5;
const width = 640, height = 480;

const { spec, catalog } = await prepareScene(scenePath, width, height);

// Sampling and physics alone, for the breakdown.
let t = performance.now();
const descriptions = [];
for (let i = 0; i < warmup + frames; i++) descriptions.push(sampleSettledFrame(spec, catalog, 1, i));
const sampleMs = (performance.now() - t) / descriptions.length;

// Raw: the same passes, read back into Node, nothing else; two frames in flight as in the pipeline.
const renderer = await Renderer.launch(rendererMeshes(catalog), { width, height, samples: spec.render.samples, shadowMapSize: spec.render.shadow_map_size });
const radii = modelRadii(catalog);
const jobs = descriptions.map((d) => frameToPageJob(d, radii));
for (let i = 0; i < warmup; i++) await renderer.render(jobs[i]);
t = performance.now();
let previous = renderer.render(jobs[warmup]);
for (let i = warmup + 1; i < jobs.length; i++) {
  const next = renderer.render(jobs[i]);
  await previous;
  previous = next;
}
await previous;
const rawSeconds = (performance.now() - t) / 1000;
const glRenderer = renderer.glRenderer;
await renderer.close();

// End to end, through the same function the CLI uses.
const out = mkdtempSync(join(tmpdir(), 'robosynth-bench-'));
let warmDoneAt = 0, lastAt = 0;
await renderDataset({
  scene: scenePath, out: join(out, 'ds'), frames: warmup + frames, seed: 1, width, height,
  onFrame: (done) => {
    if (done === warmup) warmDoneAt = performance.now();
    lastAt = performance.now();
  },
});
const e2eSeconds = (lastAt - warmDoneAt) / 1000;
rmSync(out, { recursive: true, force: true });

const e2eFps = frames / e2eSeconds;
const rawFps = frames / rawSeconds;
console.log(JSON.stringify({
  bench: 'render',
  scene: scenePath,
  width,
  height,
  objects_per_frame: descriptions[0].instances.length,
  frames,
  end_to_end_fps: Number(e2eFps.toFixed(2)),
  raw_render_fps: Number(rawFps.toFixed(2)),
  end_to_end_over_raw: Number((e2eFps / rawFps).toFixed(3)),
  sample_and_settle_ms_per_frame: Number(sampleMs.toFixed(2)),
  gl_renderer: glRenderer,
  cpus: cpus().length,
  node: process.version,
}));
