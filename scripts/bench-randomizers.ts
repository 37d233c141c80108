/**
 * `npm run bench:randomizers`: the end-to-end rate (sample, settle, render, sensor effects, label,
 * write BOP + COCO) at 640x480 of the default scene without randomizers beyond its own, and of
 * scenes/tabletop-randomized.yaml (the same objects with every randomizer on: light counts and
 * colour temperatures, intrinsics jitter, distractors, all sensor effects), in alternating
 * rounds after warm-up frames, compared by their medians. Issue 5 asks for >= 0.7.
 */
import { cpus } from 'node:os';
import { endToEndFps, median, round2 } from './bench-rounds.js';

const plain = process.argv[2] ?? 'scenes/tabletop.yaml';
const randomized = process.argv[3] ?? 'scenes/tabletop-randomized.yaml';
const frames = Number(process.env.BENCH_FRAMES ?? 40);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const warmup = 5;

const round = (scene: string) => endToEndFps(scene, frames, warmup);

const a: number[] = [], b: number[] = [];
for (let r = 0; r < rounds; r++) {
  a.push(await round(plain));
  b.push(await round(randomized));
}
console.log(JSON.stringify({
  bench: 'randomizers',
  plain,
  randomized,
  frames_per_round: frames,
  rounds,
  plain_fps: round2(median(a)),
  randomized_fps: round2(median(b)),
  randomized_over_plain: Number((median(b) / median(a)).toFixed(3)),
  rounds_plain_fps: a.map(round2),
  rounds_randomized_fps: b.map(round2),
  cpus: cpus().length,
}));
