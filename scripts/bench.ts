/**
 * `npm run bench`: one JSON line with the end-to-end rate (sample + settle + render + label +
 * write BOP and COCO) at 640x480 on the default scene, and, in the same run, the raw render rate
 * of the same passes (colour, instance and depth, read back into Node) with no labels and no
 * writing. Warm-up frames (shader compilation) are excluded from both rates. The two are measured
 * in alternating rounds and compared by their medians, since a shared machine drifts.
 */
import { cpus } from 'node:os';
import { prepareScene, rendererMeshes, sampleSettledFrame } from '../src/pipeline/render-dataset.js';
import { Renderer } from '../src/render/driver.js';
import { frameToPageJob } from '../src/render/job.js';
import { renderModels } from '../src/scene/models.js';
import { endToEndFps, median, round2 } from './bench-rounds.js';

const scenePath = process.argv[2] ?? 'scenes/tabletop.yaml';
const frames = Number(process.env.BENCH_FRAMES ?? 50);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const warmup = 5;
const width = 640, height = 480;

const { spec, catalog } = await prepareScene(scenePath, width, height);

// Sampling and physics alone, for the breakdown.
const t = performance.now();
const descriptions = [];
for (let i = 0; i < warmup + frames; i++) descriptions.push(sampleSettledFrame(spec, catalog, 1, i));
const sampleMs = (performance.now() - t) / descriptions.length;
const models = renderModels(catalog);
const jobs = descriptions.map((d) => frameToPageJob(d, models));

/** Raw: the same passes read back into Node, nothing else; two frames in flight as in the pipeline. */
async function rawRound(): Promise<{ fps: number; gl: string }> {
  const renderer = await Renderer.launch(rendererMeshes(catalog), { width, height, samples: spec.render.samples, shadowMapSize: spec.render.shadow_map_size });
  for (let i = 0; i < warmup; i++) await renderer.render(jobs[i]);
  const start = performance.now();
  let previous = renderer.render(jobs[warmup]);
  for (let i = warmup + 1; i < jobs.length; i++) {
    const next = renderer.render(jobs[i]);
    await previous;
    previous = next;
  }
  await previous;
  const fps = frames / ((performance.now() - start) / 1000);
  await renderer.close();
  return { fps, gl: renderer.glRenderer };
}

/** End to end, through the same function the CLI uses. */
const endToEndRound = () => endToEndFps(scenePath, frames, warmup, width, height);

const raw: number[] = [], e2e: number[] = [];
let gl = '';
for (let round = 0; round < rounds; round++) {
  const r = await rawRound();
  raw.push(r.fps);
  gl = r.gl;
  e2e.push(await endToEndRound());
}
console.log(JSON.stringify({
  bench: 'render',
  scene: scenePath,
  width,
  height,
  objects_per_frame: descriptions[0].instances.length,
  frames_per_round: frames,
  rounds,
  end_to_end_fps: round2(median(e2e)),
  raw_render_fps: round2(median(raw)),
  end_to_end_over_raw: Number((median(e2e) / median(raw)).toFixed(3)),
  rounds_end_to_end_fps: e2e.map(round2),
  rounds_raw_render_fps: raw.map(round2),
  sample_and_settle_ms_per_frame: round2(sampleMs),
  gl_renderer: gl,
  cpus: cpus().length,
  node: process.version,
}));
