/**
 * The dataset's run log, robosynth_runs.json: one entry per `render` run into the dataset (a
 * dataset can be written by several runs: resumed, or sharded with --start), with its frames,
 * rate and where the time went per frame. `robosynth report` plots it. Rewritten atomically; runs
 * that finish at the same moment into one folder can lose each other's entry (not their frames).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';

export const RUN_LOG = 'robosynth_runs.json';

/** Mean time per frame of each stage (ms). Stages run overlapped, so they add up to more than the wall time per frame. */
export interface StageTimes {
  /** Sampling the frame and settling it with physics (main thread). */
  sample_settle: number;
  /** From handing the job to the page to its pixels arriving in Node (includes waiting behind earlier frames). */
  render: number;
  /** Labels from the description and the instance pass (main thread). */
  labels: number;
  /** Sensor effects (their worker thread); 0 without a sensor block. */
  sensor: number;
  /** Refinement and its checks (the refine worker); 0 without --refine. */
  refine: number;
  /** PNG encoding and writing the frame's files. */
  write: number;
}

export interface RunEntry {
  started_at: string;
  seconds: number;
  frames: number;
  first_frame: number;
  seed: number;
  width: number;
  height: number;
  frames_per_second: number;
  gl_renderer: string;
  stage_ms: StageTimes;
  refine?: { model: string; execution_provider: string; frames: number; flagged: number; ms_per_frame: number };
}

export function readRunLog(dataset: string): RunEntry[] {
  const file = join(dataset, RUN_LOG);
  if (!existsSync(file)) return [];
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { runs?: RunEntry[] };
  return Array.isArray(parsed.runs) ? parsed.runs : [];
}

export async function appendRunLog(dataset: string, entry: RunEntry): Promise<void> {
  let runs: RunEntry[] = [];
  try {
    runs = readRunLog(dataset);
  } catch {
    // An unreadable log is replaced: it only holds timings, never labels.
  }
  await writeFileAtomic(join(dataset, RUN_LOG), `${JSON.stringify({ runs: [...runs, entry] }, null, 1)}\n`);
}

/** Sums of stage times over frames, turned into means. */
export class StageClock {
  private readonly sums: StageTimes = { sample_settle: 0, render: 0, labels: 0, sensor: 0, refine: 0, write: 0 };
  private frames = 0;

  add(stage: keyof StageTimes, ms: number): void {
    this.sums[stage] += ms;
  }

  frameDone(): void {
    this.frames++;
  }

  means(): StageTimes {
    const n = Math.max(1, this.frames);
    const round = (v: number) => Number((v / n).toFixed(2));
    const s = this.sums;
    return { sample_settle: round(s.sample_settle), render: round(s.render), labels: round(s.labels), sensor: round(s.sensor), refine: round(s.refine), write: round(s.write) };
  }
}
