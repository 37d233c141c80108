/**
 * `npm run bench:refine`: the refiner's cost and effect on the default scene, as one JSON line.
 *
 * 1. Renders a classifier training set of raw frames (640x480, seed 101) and, in a second run with
 *    `--refine` (the default model, strength 0.3, 4 steps), an evaluation set (seed 202). Both
 *    end-to-end rates are reported, so the refiner's share of a batch's time is visible.
 * 2. Times refineFrame alone on evaluation frames, in this process, after a warm-up frame: the
 *    "ms per 640x480 frame" of issue 4 (the model's work: tiles, noise, DDIM steps, blending).
 * 3. Reads every frame's label-preservation scores from scene_refine.json (edge alignment
 *    against the raw render's, SSIM, retries, flags).
 * 4. Realism: scripts/refiner/realism.py trains a small real-vs-render classifier on held-out
 *    real photos (opencv-doc's samples, never seen by the refiner) versus the raw training set,
 *    then reports the share of the evaluation set's raw frames and refined frames it calls real.
 *
 * Needs Debian's python3-torch (scripts/setup-python.sh installs it). Env: BENCH_TRAIN_FRAMES,
 * BENCH_EVAL_FRAMES, BENCH_TIMED_FRAMES, BENCH_MODEL (a model folder), BENCH_KEEP=1 (keep the
 * datasets and print where).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { renderDataset } from '../src/pipeline/render-dataset.js';
import type { FrameRefineRecord } from '../src/refine/checked.js';
import { loadRefinerModel } from '../src/refine/onnx.js';
import { refineFrame } from '../src/refine/refiner.js';
import { median } from './bench-rounds.js';

const scene = process.argv[2] ?? 'scenes/tabletop.yaml';
const trainFrames = Number(process.env.BENCH_TRAIN_FRAMES ?? 48);
const evalFrames = Number(process.env.BENCH_EVAL_FRAMES ?? 24);
const timedFrames = Number(process.env.BENCH_TIMED_FRAMES ?? 6);
const model = process.env.BENCH_MODEL ?? 'assets/models/refiner-default';
const strength = 0.3, steps = 4, width = 640, height = 480;
const work = mkdtempSync(join(tmpdir(), 'robosynth-bench-refine-'));
const quiet = () => undefined;

const train = await renderDataset({ scene, out: join(work, 'train'), frames: trainFrames, seed: 101, width, height, onLog: quiet });
const evaluation = await renderDataset({
  scene, out: join(work, 'eval'), frames: evalFrames, seed: 202, width, height, onLog: quiet,
  refine: { model, strength, steps },
});
const chunk = join(work, 'eval', 'train_pbr', '000000');

// The model alone, frame by frame, on the evaluation set's raw renders.
const refiner = await loadRefinerModel(model, { warn: quiet });
const readRgb = (path: string) => {
  const png = PNG.sync.read(readFileSync(path));
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = png.data[i * 4 + c];
  return rgb;
};
const pad = (n: number) => String(n).padStart(6, '0');
const timings: number[] = [];
for (let i = 0; i <= Math.min(timedFrames, evalFrames - 1); i++) {
  const rgb = readRgb(join(chunk, 'rgb', `${pad(i)}.png`));
  const t = performance.now();
  await refineFrame(refiner, rgb, width, height, i, { strength, steps, seed: 202 });
  if (i > 0) timings.push(performance.now() - t); // frame 0 warms onnxruntime up
}
await refiner.release();

const refineJson = JSON.parse(readFileSync(join(chunk, 'scene_refine.json'), 'utf8')) as { frames: Record<string, FrameRefineRecord> };
const records = Object.values(refineJson.frames);
const ratios = records.map((r) => r.edge_alignment / r.edge_alignment_raw).filter(Number.isFinite);
const stat = (values: number[]) => ({
  min: Number(Math.min(...values).toFixed(4)),
  mean: Number((values.reduce((a, b) => a + b, 0) / values.length).toFixed(4)),
  max: Number(Math.max(...values).toFixed(4)),
});

const realismOut = join(work, 'realism.json');
execFileSync('/usr/bin/python3', [
  'scripts/refiner/realism.py',
  '--renders', join(work, 'train', 'train_pbr', '000000', 'rgb'),
  '--eval', `raw=${join(chunk, 'rgb')}`,
  '--eval', `refined=${join(chunk, 'rgb_refined')}`,
  '--seed', '0',
  '--out', realismOut,
], { stdio: ['ignore', 'ignore', 'inherit'] });
const realism = JSON.parse(readFileSync(realismOut, 'utf8')) as {
  classifier: Record<string, unknown>;
  eval: Record<string, { frames: number; share_real: number; mean_p_real: number }>;
};

console.log(JSON.stringify({
  bench: 'refine',
  scene,
  model,
  cpus: cpus().length,
  width,
  height,
  strength,
  steps,
  refine_ms_per_frame: { median: Number(median(timings).toFixed(1)), frames: timings.length, note: 'refineFrame alone, after one warm-up frame' },
  worker_ms_per_frame: evaluation.refine?.ms_per_frame,
  end_to_end_fps: { raw: train.frames_per_second, refined: evaluation.frames_per_second },
  labels: {
    frames: records.length,
    flagged: records.filter((r) => r.flagged).length,
    refined_at_full_strength: records.filter((r) => r.attempts === 1).length,
    edge_alignment_vs_raw: stat(ratios),
    ssim: stat(records.map((r) => r.ssim)),
  },
  realism: {
    share_called_real: { raw: realism.eval.raw.share_real, refined: realism.eval.refined.share_real },
    mean_p_real: { raw: realism.eval.raw.mean_p_real, refined: realism.eval.refined.mean_p_real },
    classifier: realism.classifier,
  },
  ...(process.env.BENCH_KEEP ? { kept: work } : {}),
}));
if (!process.env.BENCH_KEEP) rmSync(work, { recursive: true, force: true });
