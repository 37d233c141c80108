/**
 * Refinement that keeps the labels true (issue 4, item 3). The refined image must not move
 * structure, because the masks, boxes and poses were computed from the raw render and are never
 * rewritten. So every refined frame is scored against the raw render: its edge alignment to the
 * instance-mask boundaries must stay within `minEdgeRatio` of the raw render's own, and its SSIM
 * against the raw render above `minSsim`. A frame that fails is refined again at half the strength
 * (both strengths, when objects have their own), up to `attempts` times, and flagged in its record
 * if the last attempt still fails; the last attempt's image is kept either way, so the dataset has
 * no holes, and the flag says which frames to drop.
 *
 * Used by `robosynth refine` (in process) and by `render --refine` (in the refine worker).
 */
import { basename, resolve } from 'node:path';
import { edgeAlignment, ssim } from './metrics.js';
import type { ExecutionProvider, RefinerModel } from './onnx.js';
import { refineFrame, type RefineSettings } from './refiner.js';

/** How to refine, as `render --refine` and `robosynth refine` take it (defaults in refineSettings). */
export interface RefineOptions {
  /** Model folder (assets/models/refiner-default or a user's). */
  model: string;
  /** Default 0.3. */
  strength?: number;
  /** Objects' own strength (mask-aware refinement); default: the same as the background's. */
  objectStrength?: number;
  /** DDIM steps; default 4. */
  steps?: number;
  /** Structure guidance (ILVR) sigma in px, 0 = off; default: the model's refine_defaults. */
  structureSigma?: number;
  /** Edge-aware guidance's flat-area sigma in px (0: structureSigma everywhere); default: the model's. */
  structureFlatSigma?: number;
  executionProvider?: ExecutionProvider;
  checks?: RefineChecks;
}

/** The per-frame settings from the options: defaults filled in, unset model defaults left to the model. */
export function refineSettings(options: RefineOptions, seed: number): RefineSettings {
  const optional = (['objectStrength', 'structureSigma', 'structureFlatSigma'] as const).filter((key) => options[key] !== undefined);
  return {
    strength: options.strength ?? 0.3,
    steps: options.steps ?? 4,
    seed,
    ...Object.fromEntries(optional.map((key) => [key, options[key]])),
  };
}

/** The head of scene_refine.json: the model folder's name, the steps and the seed. */
export function refineRunInfo(options: RefineOptions, seed: number): { model: string; steps: number; seed: number } {
  return { model: basename(resolve(options.model)), steps: options.steps ?? 4, seed };
}

export interface RefineChecks {
  /** Refined edge alignment must reach this share of the raw render's. Default 0.9. */
  minEdgeRatio?: number;
  /** SSIM against the raw render must reach this. Default 0.5. */
  minSsim?: number;
  /** Refinements tried, halving the strength each time. Default 3. */
  attempts?: number;
}

/** What scene_refine.json says about one frame. */
export interface FrameRefineRecord {
  /** The strength of the kept attempt (background strength when objects have their own). */
  strength: number;
  /** The objects' strength of the kept attempt, when mask-aware strengths are on. */
  object_strength?: number;
  /** Structure guidance sigma in px (0: none), from the settings or the model's defaults. */
  structure_sigma: number;
  /** Edge-aware guidance's flat-area sigma in px (0: structure_sigma everywhere). */
  structure_flat_sigma: number;
  attempts: number;
  ssim: number;
  edge_alignment: number;
  edge_alignment_raw: number;
  flagged: boolean;
}

export interface RefinedFrame {
  rgb: Uint8Array;
  record: FrameRefineRecord;
  /** Time spent refining and scoring this frame, in ms (kept out of the record: files stay reproducible). */
  ms: number;
}

/**
 * Instance ids as the written labels see them: 0xffff (unlabeled structure: table, floor) is
 * background, as it is in the masks, so `render --refine` and `robosynth refine` score alike.
 */
export function labelIds(ids: Uint16Array): Uint16Array {
  const out = new Uint16Array(ids.length);
  for (let i = 0; i < ids.length; i++) out[i] = ids[i] === 0xffff ? 0 : ids[i];
  return out;
}

/** 1 where a labeled object or robot link is, 0 elsewhere: the region mask-aware strengths use. */
export function objectRegion(ids: Uint16Array): Uint8Array {
  const out = new Uint8Array(ids.length);
  for (let i = 0; i < ids.length; i++) out[i] = ids[i] !== 0 && ids[i] !== 0xffff ? 1 : 0;
  return out;
}

const round = (v: number, digits = 5) => (Number.isFinite(v) ? Number(v.toFixed(digits)) : v);

/**
 * Refine one frame and check it (see the module comment). `ids` are the label ids (labelIds);
 * `settings.objectStrength`, when given, refines objects at their own strength.
 */
export async function refineChecked(
  model: RefinerModel,
  raw: Uint8Array,
  ids: Uint16Array,
  width: number,
  height: number,
  frame: number,
  settings: RefineSettings,
  checks: RefineChecks = {},
): Promise<RefinedFrame> {
  const started = performance.now();
  const minEdgeRatio = checks.minEdgeRatio ?? 0.9;
  const minSsim = checks.minSsim ?? 0.5;
  const attempts = Math.max(1, checks.attempts ?? 3);
  const rawEdges = edgeAlignment(raw, ids, width, height).score;
  const regionMask = settings.objectStrength !== undefined ? (settings.regionMask ?? objectRegion(ids)) : undefined;
  let kept: RefinedFrame | undefined;
  for (let attempt = 1, scale = 1; attempt <= attempts; attempt++, scale /= 2) {
    const tried: RefineSettings = {
      ...settings,
      strength: settings.strength * scale,
      ...(settings.objectStrength !== undefined ? { objectStrength: settings.objectStrength * scale, regionMask } : {}),
    };
    const rgb = await refineFrame(model, raw, width, height, frame, tried);
    // Judged on the raw render's outline, so added texture cannot change which crossings count.
    const edges = edgeAlignment(rgb, ids, width, height, { reference: raw }).score;
    const similarity = ssim(raw, rgb, width, height);
    // A frame with no judgeable outline (NaN) has no edges to move.
    const ok = (Number.isNaN(rawEdges) || edges >= minEdgeRatio * rawEdges) && similarity >= minSsim;
    kept = {
      rgb,
      record: {
        strength: round(tried.strength),
        ...(tried.objectStrength !== undefined ? { object_strength: round(tried.objectStrength) } : {}),
        structure_sigma: settings.structureSigma ?? model.sidecar.structureSigma ?? 0,
        structure_flat_sigma: settings.structureFlatSigma ?? model.sidecar.structureFlatSigma ?? 0,
        attempts: attempt,
        ssim: round(similarity),
        edge_alignment: round(edges),
        edge_alignment_raw: round(rawEdges),
        flagged: !ok,
      },
      ms: 0,
    };
    if (ok) break;
  }
  kept!.ms = round(performance.now() - started, 1);
  return kept!;
}
