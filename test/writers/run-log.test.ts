import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appendRunLog, readRunLog, RUN_LOG, StageClock, type RunEntry } from '../../src/writers/run-log.js';

const dir = mkdtempSync(join(tmpdir(), 'robosynth-run-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entry = (frames: number): RunEntry => ({
  started_at: '2026-11-30T12:00:00.000Z', seconds: frames / 10, frames, first_frame: 0, seed: 1, width: 64, height: 48,
  frames_per_second: 10, gl_renderer: 'test', stage_ms: { sample_settle: 1, render: 2, labels: 3, sensor: 0, refine: 0, write: 4 },
});

describe('the run log', () => {
  it('appends one entry per run, keeping the earlier ones', async () => {
    expect(readRunLog(dir)).toEqual([]);
    await appendRunLog(dir, entry(5));
    await appendRunLog(dir, entry(7));
    expect(readRunLog(dir).map((r) => r.frames)).toEqual([5, 7]);
  });

  it('replaces an unreadable log rather than failing a run', async () => {
    writeFileSync(join(dir, RUN_LOG), '{ not json');
    await appendRunLog(dir, entry(3));
    expect(readRunLog(dir).map((r) => r.frames)).toEqual([3]);
  });

  it('averages stage times over the frames done', () => {
    const clock = new StageClock();
    clock.add('render', 30); clock.add('render', 10); clock.add('write', 5);
    clock.frameDone(); clock.frameDone();
    expect(clock.means()).toEqual({ sample_settle: 0, render: 20, labels: 0, sensor: 0, refine: 0, write: 2.5 });
  });
});
