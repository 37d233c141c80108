/**
 * The sensor-effects worker (worker_threads): applies a frame's sensor effects off the render
 * loop's thread, so they overlap with labeling and with the page drawing the next frames.
 * Messages: in { id, rgb, width, height, effects, noiseSeed }, out { id, rgb, ms } or { id, error }.
 */
import { parentPort } from 'node:worker_threads';
import { applySensorEffects, type SensorEffects } from './sensor.js';

const port = parentPort;
if (!port) throw new Error('sensor-worker.ts runs as a worker thread (see sensor-pool.ts)');

port.on('message', (job: { id: number; rgb: ArrayBuffer; width: number; height: number; effects: SensorEffects; noiseSeed: (string | number)[] } | { close: true }) => {
  if ('close' in job) {
    port.close();
    return;
  }
  try {
    const started = performance.now();
    const out = applySensorEffects(new Uint8Array(job.rgb), job.width, job.height, job.effects, job.noiseSeed);
    const buffer = out.byteLength === out.buffer.byteLength ? out.buffer : out.slice().buffer;
    port.postMessage({ id: job.id, rgb: buffer, ms: performance.now() - started }, [buffer as ArrayBuffer]);
  } catch (error) {
    port.postMessage({ id: job.id, error: (error as Error).stack ?? String(error) });
  }
});
