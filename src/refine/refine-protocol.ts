/** Messages between the render loop (refine-pool.ts) and the refine worker (refine-worker.ts). */
import type { RefineChecks, FrameRefineRecord } from './checked.js';
import type { ExecutionProvider } from './onnx.js';
import type { RefineSettings } from './refiner.js';

/** workerData: everything the worker needs to load the model and refine every frame alike. */
export interface WorkerInit {
  model: string;
  executionProvider?: ExecutionProvider;
  threads?: number;
  /** Without regionMask: the worker derives it per frame from the ids when objectStrength is set. */
  settings: Omit<RefineSettings, 'regionMask'>;
  checks?: RefineChecks;
}

/** One frame: 8-bit RGB rows top-down and label ids (labelIds), as transferred buffers. */
export interface RefineJob {
  id: number;
  frame: number;
  width: number;
  height: number;
  rgb: ArrayBuffer;
  ids: ArrayBuffer;
}

export interface WorkerFailure {
  message: string;
  /** A UserError in the worker (bad model folder): reported as one clear line. */
  user: boolean;
  stack?: string;
}

export type WorkerReply =
  | { type: 'ready'; kind: string; resolution: number; executionProvider: ExecutionProvider }
  | ({ type: 'failed' } & WorkerFailure)
  | { type: 'log'; message: string }
  | { type: 'refined'; id: number; rgb: ArrayBuffer; record: FrameRefineRecord; ms: number }
  | ({ type: 'error'; id: number } & WorkerFailure);
