/**
 * A batch: scene file → frames sampled and settled in Node → rendered in headless Chromium →
 * labeled → written as BOP and COCO. Rendering is pipelined: while the page draws frame i+1,
 * Node labels and encodes frame i, so the browser and Node keep both cores busy. With a refiner,
 * each labeled frame also goes to the refine worker, and is written (raw and refined together,
 * one commit) when it comes back: diffusion runs beside rendering, not after it.
 */
import { basename, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { SensorWorker } from '../effects/sensor-pool.js';
import { noSensorEffects } from '../effects/sensor.js';
import { computeObjectLabels } from '../labels/bop-gt.js';
import { decodePixels } from '../labels/pixels.js';
import { computeRobotLabels } from '../labels/robot.js';
import { Renderer } from '../render/driver.js';
import { frameToPageJob } from '../render/job.js';
import { DEPTH_UNIT_M } from '../render/protocol.js';
import { labelIds, refineRunInfo, refineSettings, type RefineOptions } from '../refine/checked.js';
import { RefineWorker } from '../refine/refine-pool.js';
import { renderModels } from '../scene/models.js';
import { BopWriter, type Format } from '../writers/bop.js';
import { appendRunLog, StageClock } from '../writers/run-log.js';
import { prepareScene, rendererMeshes, rendererTextures, sampleSettledFrame } from './scene-setup.js';

export { prepareScene, rendererMeshes, resizeScene, sampleSettledFrame } from './scene-setup.js';

export interface RenderDatasetOptions {
  scene: string;
  out: string;
  frames: number;
  start?: number;
  seed?: number;
  width?: number;
  height?: number;
  formats?: Format[];
  /** Frames rendered ahead of the one being written. */
  inFlight?: number;
  onLog?: (message: string) => void;
  onFrame?: (done: number, total: number) => void;
  /** Stop after the frames in flight (Ctrl-C): they are written and indexed, nothing is half done. */
  signal?: AbortSignal;
  /** Refine every frame with a diffusion model into rgb_refined/ (issue 4). */
  refine?: RenderRefineOptions;
}

export interface RenderRefineOptions extends RefineOptions {
  /** onnxruntime threads in the worker; default: onnxruntime's choice. */
  threads?: number;
}

export interface RefineSummary {
  model: string;
  kind: string;
  execution_provider: string;
  frames: number;
  flagged: number;
  /** Mean time the worker spent per frame (refining and scoring, retries included). */
  ms_per_frame: number;
}

export interface RenderSummary {
  frames: number;
  seconds: number;
  frames_per_second: number;
  out: string;
  gl_renderer: string;
  refine?: RefineSummary;
}

export async function renderDataset(options: RenderDatasetOptions): Promise<RenderSummary> {
  const start = options.start ?? 0;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(options.frames) || options.frames < 1) throw new UserError(`--frames: expected a positive integer, got ${options.frames}`);
  if (!Number.isInteger(start) || start < 0) throw new UserError(`--start: expected a non-negative integer, got ${start}`);
  const formats = new Set<Format>(options.formats ?? ['bop', 'coco']);
  const { scene, spec, catalog } = await prepareScene(options.scene, options.width, options.height);
  const identity = {
    scene: basename(scene.path),
    classes: spec.objects.filter((c) => c.labeled).map((c) => c.class),
    robots: catalog.robots.map(({ model }) => ({ name: model.name, keypoints: model.keypoints.map((k) => k.name), skeleton: model.skeleton })),
    models: catalog.models.map((m) => ({ obj_id: m.objId, key: m.key, class: m.className, ...(m.source !== undefined ? { file: m.source } : {}) })),
    width: spec.image.width,
    height: spec.image.height,
  };
  const settings = options.refine && refineSettings(options.refine, seed);
  const refineRun = options.refine && refineRunInfo(options.refine, seed);
  // The model loads first: a bad model folder fails in a second, with nothing written or rendered.
  const refiner = options.refine && settings
    ? await RefineWorker.start(
        { model: options.refine.model, executionProvider: options.refine.executionProvider, threads: options.refine.threads, settings, checks: options.refine.checks },
        options.onLog,
      )
    : undefined;
  const refineStats = { frames: 0, flagged: 0, ms: 0 };
  const writer = new BopWriter(options.out, catalog, identity, formats, refineRun, spec.objects.map((c) => c.symmetries));
  const k = spec.camera.intrinsics;
  await writer.prepare({ ...k, width: spec.image.width, height: spec.image.height, depthScale: DEPTH_UNIT_M * 1000 }).catch(async (error: unknown) => {
    await refiner?.close();
    throw error;
  });

  const renderer = await Renderer.launch(rendererMeshes(catalog), {
    width: spec.image.width,
    height: spec.image.height,
    samples: spec.render.samples,
    shadowMapSize: spec.render.shadow_map_size,
    textures: rendererTextures(catalog),
    log: options.onLog,
  }).catch(async (error: unknown) => {
    await refiner?.close();
    throw error;
  });
  // Only scenes with a sensor block get the thread.
  const sensor = Object.values(spec.sensor).some((block) => block !== undefined) ? new SensorWorker() : undefined;
  const models = renderModels(catalog);
  const end = start + options.frames;
  const clock = new StageClock();
  const startedAt = new Date().toISOString();
  const started = performance.now();
  let done = 0;
  const queue: Promise<void>[] = [];
  try {
    // Each frame's path after the page (labels, sensor effects, PNG encoding, writing) is long next
    // to the page's own time: four frames in flight keep the page, the worker threads and the
    // encoders busy at once (measured on 2 cores: 12.6 -> 14.8 frames/s over two in flight).
    const inFlight = Math.max(1, options.inFlight ?? 4);
    for (let index = start; index < end; index++) {
      if (options.signal?.aborted) break;
      const sampling = performance.now();
      const frame = sampleSettledFrame(spec, catalog, seed, index);
      const submitted = performance.now();
      clock.add('sample_settle', submitted - sampling);
      const written = renderer.render(frameToPageJob(frame, models)).then(async (pixels) => {
        clock.add('render', performance.now() - submitted);
        const labelling = performance.now();
        const images = decodePixels(pixels, spec.image.width, spec.image.height);
        // The camera's sensor, after the optics: only the colour image changes, labels never do,
        // so the effects run on their own thread while the labels are computed.
        const sensed = sensor && !noSensorEffects(frame.sensor) ? sensor.apply(images.rgb, images.width, images.height, frame.sensor, [seed, frame.index, 'sensor-noise']) : undefined;
        const labels = computeObjectLabels(frame, catalog, images);
        const robotLabels = computeRobotLabels(frame, images, labels);
        clock.add('labels', performance.now() - labelling);
        if (sensed) {
          const result = await sensed;
          images.rgb = result.rgb;
          clock.add('sensor', result.ms);
        }
        const refined = refiner ? await refiner.refine(frame.index, images.rgb, labelIds(images.ids), images.width, images.height) : undefined;
        if (refined) {
          refineStats.frames++;
          refineStats.flagged += refined.record.flagged ? 1 : 0;
          refineStats.ms += refined.ms;
          clock.add('refine', refined.ms);
        }
        const writing = performance.now();
        await writer.writeFrame(frame, images, labels, robotLabels, refined);
        clock.add('write', performance.now() - writing);
        clock.frameDone();
        done++;
        options.onFrame?.(done, options.frames);
      });
      // Keep failures attached so none goes unhandled while we wait on an earlier frame.
      written.catch(() => undefined);
      queue.push(written);
      if (queue.length >= inFlight) await queue.shift();
    }
    await Promise.all(queue);
  } catch (error) {
    // Frames already written stay valid: wait for them, index them, then report the failure.
    await Promise.allSettled(queue);
    await renderer.close();
    await sensor?.close();
    await refiner?.close();
    await writer.finish();
    throw error;
  }
  await renderer.close();
  await sensor?.close();
  await refiner?.close();
  await writer.finish();
  const seconds = (performance.now() - started) / 1000;
  const refine = refiner && refineRun
    ? {
        model: refineRun.model,
        kind: refiner.info.kind,
        execution_provider: refiner.info.executionProvider,
        frames: refineStats.frames,
        flagged: refineStats.flagged,
        ms_per_frame: refineStats.frames ? Number((refineStats.ms / refineStats.frames).toFixed(1)) : 0,
      }
    : undefined;
  const summary: RenderSummary = {
    frames: done,
    seconds: Number(seconds.toFixed(3)),
    frames_per_second: Number((done / seconds).toFixed(2)),
    out: resolve(options.out),
    gl_renderer: renderer.glRenderer,
    ...(refine ? { refine } : {}),
  };
  if (done > 0) {
    await appendRunLog(options.out, {
      started_at: startedAt, seconds: summary.seconds, frames: done, first_frame: start, seed,
      width: spec.image.width, height: spec.image.height, frames_per_second: summary.frames_per_second,
      gl_renderer: renderer.glRenderer, stage_ms: clock.means(),
      ...(refine ? { refine: { model: refine.model, execution_provider: refine.execution_provider, frames: refine.frames, flagged: refine.flagged, ms_per_frame: refine.ms_per_frame } } : {}),
    });
  }
  return summary;
}
