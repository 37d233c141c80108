/**
 * The render loop's side of the refine worker: start it, send frames, get refined frames back as
 * promises, close it. Diffusion is the slow part of a refined batch (hundreds of ms per frame on
 * a CPU against tens for rendering), so it runs on its own thread while the page renders the next
 * frames; the render loop bounds how many frames wait for it.
 *
 * The worker script is dist/refine-worker.js beside the bundled CLI, or refine-worker.ts from
 * source (src/worker-thread.ts).
 */
import type { Worker } from 'node:worker_threads';
import { UserError } from '../errors.js';
import { startWorker } from '../worker-thread.js';
import type { RefinedFrame } from './checked.js';
import type { ExecutionProvider } from './onnx.js';
import type { WorkerFailure, WorkerInit, WorkerReply } from './refine-protocol.js';

function startRefineWorker(workerData: WorkerInit): Worker {
  return startWorker(new URL('./refine-worker.js', import.meta.url), new URL('./refine-worker.ts', import.meta.url), workerData);
}

function toError(failure: WorkerFailure): Error {
  if (failure.user) return new UserError(failure.message);
  const error = new Error(`refine worker: ${failure.message}`);
  if (failure.stack) error.stack = failure.stack;
  return error;
}

export interface RefineWorkerInfo {
  kind: string;
  resolution: number;
  executionProvider: ExecutionProvider;
}

export class RefineWorker {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (frame: RefinedFrame) => void; reject: (error: Error) => void }>();
  private failed: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    readonly info: RefineWorkerInfo,
  ) {}

  /** Starts the worker and waits until the model is loaded (a bad model folder fails here). */
  static async start(init: WorkerInit, log?: (message: string) => void): Promise<RefineWorker> {
    const worker = startRefineWorker(init);
    const holder: { pool?: RefineWorker } = {};
    const info = await new Promise<RefineWorkerInfo>((resolve, reject) => {
      worker.on('message', (reply: WorkerReply) => {
        switch (reply.type) {
          case 'ready':
            resolve({ kind: reply.kind, resolution: reply.resolution, executionProvider: reply.executionProvider });
            break;
          case 'failed':
            reject(toError(reply));
            break;
          case 'log':
            (log ?? ((m: string) => process.stderr.write(`${m}\n`)))(reply.message);
            break;
          default:
            holder.pool?.settle(reply);
        }
      });
      worker.on('error', (error) => {
        reject(error);
        holder.pool?.fail(error);
      });
      worker.on('exit', (code) => {
        const error = new Error(`refine worker exited (code ${code})`);
        reject(error);
        holder.pool?.fail(error);
      });
    }).catch(async (error: unknown) => {
      await worker.terminate();
      throw error;
    });
    holder.pool = new RefineWorker(worker, info);
    return holder.pool;
  }

  /** Refine one frame; the buffers are copied, so the caller keeps its images. */
  refine(frame: number, rgb: Uint8Array, ids: Uint16Array, width: number, height: number): Promise<RefinedFrame> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    const job = { id, frame, width, height, rgb: rgb.slice().buffer, ids: ids.slice().buffer };
    return new Promise<RefinedFrame>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'refine', job }, [job.rgb, job.ids]);
    });
  }

  /** Finishes the frames sent, frees the model and ends the thread. */
  async close(): Promise<void> {
    if (this.failed) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage({ type: 'close' });
    await exited;
  }

  private settle(reply: WorkerReply): void {
    if (reply.type !== 'refined' && reply.type !== 'error') return;
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    if (reply.type === 'refined') waiting.resolve({ rgb: new Uint8Array(reply.rgb), record: reply.record, ms: reply.ms });
    else waiting.reject(toError(reply));
  }

  private fail(error: Error): void {
    if (this.pending.size === 0 && this.failed === undefined && /code 0\)/.test(error.message)) return;
    this.failed ??= error;
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
  }
}
