/**
 * `robosynth refine <dataset>`: refine the colour images of a written dataset into a sibling
 * folder (train_pbr/<chunk>/rgb_refined/, the raw renders stay in rgb/), checking per frame that
 * structure did not move. The refined image's edge alignment to the instance boundaries (rebuilt
 * from mask_visib/) must stay within a ratio of the raw render's, and its SSIM against the raw
 * render above a floor; a frame that fails is refined again at half the strength, and flagged if
 * it still fails. Scores go to train_pbr/<chunk>/scene_refine.json.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../writers/atomic.js';
import { encodePng } from '../writers/png.js';
import { edgeAlignment, ssim } from './metrics.js';
import { loadRefinerModel, type ExecutionProvider } from './onnx.js';
import { refineFrame } from './refiner.js';

export interface RefineDatasetOptions {
  dataset: string;
  model: string;
  strength?: number;
  steps?: number;
  seed?: number;
  executionProvider?: ExecutionProvider;
  /** Refined edge alignment must reach this share of the raw render's. */
  minEdgeRatio?: number;
  minSsim?: number;
  onLog?: (message: string) => void;
  onFrame?: (done: number, total: number) => void;
}

export interface FrameRefineRecord {
  strength: number;
  ssim: number;
  edge_alignment: number;
  edge_alignment_raw: number;
  flagged: boolean;
}

const pad = (n: number) => String(n).padStart(6, '0');

function readPng(path: string): PNG {
  return PNG.sync.read(readFileSync(path));
}

function rgbOf(png: PNG): Uint8Array {
  const rgb = new Uint8Array(png.width * png.height * 3);
  for (let i = 0; i < png.width * png.height; i++) {
    rgb[i * 3] = png.data[i * 4];
    rgb[i * 3 + 1] = png.data[i * 4 + 1];
    rgb[i * 3 + 2] = png.data[i * 4 + 2];
  }
  return rgb;
}

/** Instance ids (gt index + 1) from a frame's visible masks; 0 elsewhere. */
function instanceIds(chunk: string, imId: number, width: number, height: number): Uint16Array {
  const ids = new Uint16Array(width * height);
  const folder = join(chunk, 'mask_visib');
  const prefix = `${pad(imId)}_`;
  for (const name of readdirSync(folder).filter((n) => n.startsWith(prefix)).sort()) {
    const gt = Number(name.slice(prefix.length, -4));
    const mask = readPng(join(folder, name));
    for (let i = 0; i < ids.length; i++) if (mask.data[i * 4] > 127) ids[i] = gt + 1;
  }
  return ids;
}

export async function refineDataset(options: RefineDatasetOptions): Promise<{ frames: number; flagged: number; seconds: number }> {
  const split = join(options.dataset, 'train_pbr');
  if (!existsSync(split)) throw new UserError(`${options.dataset}: not a robosynth/BOP dataset (no train_pbr/ folder)`);
  const strength = options.strength ?? 0.3;
  const steps = options.steps ?? 4;
  const minEdgeRatio = options.minEdgeRatio ?? 0.9;
  const minSsim = options.minSsim ?? 0.5;
  const model = await loadRefinerModel(options.model, { executionProvider: options.executionProvider, warn: options.onLog });
  const started = performance.now();
  const chunks = readdirSync(split).filter((d) => /^\d{6}$/.test(d)).sort().map((d) => join(split, d));
  const work = chunks.flatMap((chunk) => readdirSync(join(chunk, 'rgb')).filter((n) => /^\d{6}\.png$/.test(n)).sort().map((n) => ({ chunk, imId: Number(n.slice(0, 6)) })));
  let done = 0, flagged = 0;
  try {
    for (const chunk of chunks) {
      const records: Record<string, FrameRefineRecord> = {};
      mkdirSync(join(chunk, 'rgb_refined'), { recursive: true });
      for (const { imId } of work.filter((w) => w.chunk === chunk)) {
        const png = readPng(join(chunk, 'rgb', `${pad(imId)}.png`));
        const { width, height } = png;
        const raw = rgbOf(png);
        const ids = instanceIds(chunk, imId, width, height);
        const rawEdges = edgeAlignment(raw, ids, width, height).score;
        let record: FrameRefineRecord | undefined;
        let refined = raw;
        // Frames are numbered across chunks as the dataset numbers them: chunk * 1000 + image id.
        const frame = Number(chunk.slice(-6)) * 1000 + imId;
        for (let s = strength, attempt = 0; attempt < 3; attempt++, s /= 2) {
          refined = await refineFrame(model, raw, width, height, frame, { strength: s, steps, seed: options.seed ?? 0 });
          const edges = edgeAlignment(refined, ids, width, height).score;
          const similarity = ssim(raw, refined, width, height);
          const ok = (Number.isNaN(rawEdges) || edges >= minEdgeRatio * rawEdges) && similarity >= minSsim;
          record = { strength: s, ssim: similarity, edge_alignment: edges, edge_alignment_raw: rawEdges, flagged: !ok };
          if (ok) break;
        }
        if (record!.flagged) flagged++;
        records[String(imId)] = record!;
        await writeFileAtomic(join(chunk, 'rgb_refined', `${pad(imId)}.png`), await encodePng(refined, width, height, 'rgb8'));
        done++;
        options.onFrame?.(done, work.length);
      }
      await writeFileAtomic(join(chunk, 'scene_refine.json'), JSON.stringify({ model: options.model, steps, seed: options.seed ?? 0, frames: records }, null, 1) + '\n');
    }
  } finally {
    await model.release();
  }
  return { frames: done, flagged, seconds: Number(((performance.now() - started) / 1000).toFixed(3)) };
}
