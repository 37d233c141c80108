/**
 * The refine worker (worker_threads): loads the refiner model once and refines the frames the
 * render loop sends it, one at a time, so that diffusion runs beside rendering instead of after
 * it. Started by RefineWorker (refine-pool.ts); the protocol is in refine-protocol.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { UserError } from '../errors.js';
import { refineChecked } from './checked.js';
import { loadRefinerModel, type RefinerModel } from './onnx.js';
import type { RefineJob, WorkerInit, WorkerReply } from './refine-protocol.js';

const port = parentPort;
if (!port) throw new Error('refine-worker.ts runs as a worker thread (see refine-pool.ts)');
const init = workerData as WorkerInit;
const post = (reply: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);
const failure = (error: unknown) => ({ message: (error as Error).message ?? String(error), user: error instanceof UserError, stack: (error as Error).stack });

let model: RefinerModel | undefined;
let chain: Promise<void> = Promise.resolve();

async function start(): Promise<void> {
  try {
    model = await loadRefinerModel(init.model, {
      executionProvider: init.executionProvider,
      threads: init.threads,
      warn: (message) => post({ type: 'log', message }),
    });
    post({ type: 'ready', kind: model.kind, resolution: model.resolution, executionProvider: model.executionProvider });
  } catch (error) {
    post({ type: 'failed', ...failure(error) });
  }
}

async function refine(job: RefineJob): Promise<void> {
  try {
    if (!model) throw new Error('refine worker: no model loaded');
    const rgb = new Uint8Array(job.rgb);
    const ids = new Uint16Array(job.ids);
    const { rgb: refined, record, ms } = await refineChecked(model, rgb, ids, job.width, job.height, job.frame, init.settings, init.checks);
    const buffer = refined.buffer.byteLength === refined.byteLength ? refined.buffer : refined.slice().buffer;
    post({ type: 'refined', id: job.id, rgb: buffer as ArrayBuffer, record, ms }, [buffer as ArrayBuffer]);
  } catch (error) {
    post({ type: 'error', id: job.id, ...failure(error) });
  }
}

port.on('message', (message: { type: 'refine'; job: RefineJob } | { type: 'close' }) => {
  if (message.type === 'refine') {
    chain = chain.then(() => refine(message.job));
  } else {
    chain = chain.then(async () => {
      await model?.release();
      model = undefined;
      port.close();
    });
  }
});

void start();
