/**
 * The render loop's side of the sensor-effects worker: one thread, frames in order, results as
 * promises. On two cores the effects (tens of ms a frame) would otherwise serialize with the
 * labeling on the main thread; on their own thread they overlap with it and with the page.
 */
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../worker-thread.js';
import type { SensorEffects } from './sensor.js';

export interface SensedImage {
  rgb: Uint8Array;
  /** Time the worker spent applying the effects (ms). */
  ms: number;
}

export class SensorWorker {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (result: SensedImage) => void; reject: (error: Error) => void }>();
  private readonly worker: Worker;
  private failed: Error | undefined;

  constructor() {
    this.worker = startWorker(new URL('./sensor-worker.js', import.meta.url), new URL('./sensor-worker.ts', import.meta.url), null);
    this.worker.on('message', (reply: { id: number; rgb?: ArrayBuffer; ms?: number; error?: string }) => {
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if (reply.rgb) waiting.resolve({ rgb: new Uint8Array(reply.rgb), ms: reply.ms ?? 0 });
      else waiting.reject(new Error(`sensor worker: ${reply.error}`));
    });
    const fail = (error: Error) => {
      this.failed ??= error;
      for (const { reject } of this.pending.values()) reject(error);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => { if (this.pending.size) fail(new Error(`sensor worker exited (code ${code})`)); });
  }

  /** The frame's colour image with its effects (a new buffer; `rgb` is left as it is), and the worker's time on it. */
  apply(rgb: Uint8Array, width: number, height: number, effects: SensorEffects, noiseSeed: (string | number)[]): Promise<SensedImage> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    const buffer = rgb.slice().buffer;
    return new Promise<SensedImage>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, rgb: buffer, width, height, effects, noiseSeed }, [buffer]);
    });
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage({ close: true });
    await exited;
  }
}
