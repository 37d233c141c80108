/**
 * `robosynth refine <dataset>`: refine the colour images of a written dataset into a sibling
 * folder (train_pbr/<chunk>/rgb_refined/, the raw renders stay in rgb/), with the same checks as
 * `render --refine` (checked.ts: edge alignment to the instance boundaries, rebuilt here from
 * mask_visib/, and SSIM against the raw render; retried at half strength, flagged if it still
 * fails). Scores go to train_pbr/<chunk>/scene_refine.json, in the same format.
 *
 * The PNG decoding of frame i+1 overlaps the model's work on frame i only through the event loop;
 * a dataset-wide refine is bound by the model anyway.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../writers/atomic.js';
import { sceneRefineJson } from '../writers/bop.js';
import { encodePng } from '../writers/png.js';
import { refineChecked, refineRunInfo, refineSettings, type FrameRefineRecord, type RefineOptions } from './checked.js';
import { loadRefinerModel } from './onnx.js';

export interface RefineDatasetOptions extends RefineOptions {
  dataset: string;
  /** Noise seed; default 0. */
  seed?: number;
  onLog?: (message: string) => void;
  onFrame?: (done: number, total: number) => void;
}

const pad = (n: number) => String(n).padStart(6, '0');

function readPng(path: string): PNG {
  try {
    return PNG.sync.read(readFileSync(path));
  } catch (error) {
    throw new UserError(`${path}: not a readable PNG (${(error as Error).message})`);
  }
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
  if (!existsSync(folder)) throw new UserError(`${chunk}: no mask_visib/ folder (render with --format bop): the refiner's checks need the masks`);
  const prefix = `${pad(imId)}_`;
  for (const name of readdirSync(folder).filter((n) => n.startsWith(prefix)).sort()) {
    const gt = Number(name.slice(prefix.length, -4));
    const mask = readPng(join(folder, name));
    for (let i = 0; i < ids.length; i++) if (mask.data[i * 4] > 127) ids[i] = gt + 1;
  }
  return ids;
}

export async function refineDataset(options: RefineDatasetOptions): Promise<{ frames: number; flagged: number; seconds: number; ms_per_frame: number }> {
  const split = join(options.dataset, 'train_pbr');
  if (!existsSync(split)) throw new UserError(`${options.dataset}: not a robosynth/BOP dataset (no train_pbr/ folder)`);
  const settings = refineSettings(options, options.seed ?? 0);
  const model = await loadRefinerModel(options.model, { executionProvider: options.executionProvider, warn: options.onLog });
  const started = performance.now();
  const chunks = readdirSync(split).filter((d) => /^\d{6}$/.test(d)).sort().map((d) => join(split, d));
  const work = chunks.flatMap((chunk) =>
    existsSync(join(chunk, 'rgb')) ? readdirSync(join(chunk, 'rgb')).filter((n) => /^\d{6}\.png$/.test(n)).sort().map((n) => ({ chunk, imId: Number(n.slice(0, 6)) })) : [],
  );
  let done = 0, flagged = 0, ms = 0;
  try {
    for (const chunk of chunks) {
      const records: Record<string, FrameRefineRecord> = {};
      const frames = work.filter((w) => w.chunk === chunk);
      if (!frames.length) continue;
      mkdirSync(join(chunk, 'rgb_refined'), { recursive: true });
      for (const { imId } of frames) {
        const png = readPng(join(chunk, 'rgb', `${pad(imId)}.png`));
        const { width, height } = png;
        const ids = instanceIds(chunk, imId, width, height);
        // The dataset's frame index (chunk * 1000 + image id), as `render --refine` seeds it.
        const frame = Number(chunk.slice(-6)) * 1000 + imId;
        const refined = await refineChecked(model, rgbOf(png), ids, width, height, frame, settings, options.checks);
        if (refined.record.flagged) flagged++;
        ms += refined.ms;
        records[String(imId)] = refined.record;
        await writeFileAtomic(join(chunk, 'rgb_refined', `${pad(imId)}.png`), await encodePng(refined.rgb, width, height, 'rgb8'));
        done++;
        options.onFrame?.(done, work.length);
      }
      await writeFileAtomic(join(chunk, 'scene_refine.json'), sceneRefineJson(refineRunInfo(options, settings.seed), records));
    }
  } finally {
    await model.release();
  }
  return {
    frames: done,
    flagged,
    seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
    ms_per_frame: done ? Number((ms / done).toFixed(1)) : 0,
  };
}
