/**
 * One end-to-end round for the benchmarks: a batch through the same function the CLI uses, into
 * a temporary folder, timed from the end of the warm-up frames (shader compilation) to the last.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderDataset } from '../src/pipeline/render-dataset.js';

export async function endToEndFps(scene: string, frames: number, warmup: number, width = 640, height = 480): Promise<number> {
  const out = mkdtempSync(join(tmpdir(), 'robosynth-bench-'));
  let warmDoneAt = 0, lastAt = 0;
  try {
    await renderDataset({
      scene, out: join(out, 'ds'), frames: warmup + frames, seed: 1, width, height, onLog: () => undefined,
      onFrame: (done) => {
        if (done === warmup) warmDoneAt = performance.now();
        lastAt = performance.now();
      },
    });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  return frames / ((lastAt - warmDoneAt) / 1000);
}

/** The middle value (the upper one of an even count), as every benchmark reports its rounds. */
export const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Two decimals, for the JSON lines. */
export const round2 = (value: number): number => Number(value.toFixed(2));
