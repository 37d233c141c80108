/**
 * The `robosynth` command. User mistakes (UserError) print one clear line and exit 2; anything
 * else is a bug and keeps its stack.
 */
import { Command, InvalidArgumentError } from 'commander';
import { UserError } from '../errors.js';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionProvider } from '../refine/onnx.js';
import { inspectDataset } from '../inspect/overlay.js';
import { writeReport } from '../report/report.js';
import { startPreview } from '../preview/server.js';
import { refineDataset } from '../refine/refine-dataset.js';
import { loadRobotUrdf } from '../robot/robot-model.js';
import { loadUrdf } from '../robot/urdf.js';
import { loadScene } from '../scene/load.js';
import { sceneJsonSchema } from '../scene/schema.js';
import { renderDataset } from '../pipeline/render-dataset.js';
import type { Format } from '../writers/bop.js';
import { createProgress } from './progress.js';

function integer(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer >= ${min}, got "${value}"`);
    return n;
  };
}

function fraction(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !(n >= 0 && n <= 1)) throw new InvalidArgumentError(`${name}: expected a number from 0 to 1, got "${value}"`);
    return n;
  };
}

/** The model the project trains and ships (scripts/refiner/train.py), from src/cli/ or dist/. */
const DEFAULT_REFINER = [new URL('../../assets/models/refiner-default', import.meta.url), new URL('../assets/models/refiner-default', import.meta.url)]
  .map((url) => fileURLToPath(url))
  .find((path) => existsSync(path)) ?? 'assets/models/refiner-default';

/** "0,3,10-12" -> [0, 3, 10, 11, 12]. */
function frameList(value: string): number[] {
  const out: number[] = [];
  for (const part of value.split(',').map((p) => p.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m || (m[2] !== undefined && Number(m[2]) < Number(m[1])) || (m[2] !== undefined && Number(m[2]) - Number(m[1]) > 100000)) {
      throw new InvalidArgumentError(`expected frame indices like 0,3,10-12, got "${value}"`);
    }
    for (let f = Number(m[1]); f <= Number(m[2] ?? m[1]); f++) out.push(f);
  }
  return out;
}

/** Structure guidance: "EDGE" or "EDGE,FLAT" in px (0 = off). */
export interface StructureFlag {
  sigma: number;
  flatSigma: number;
}

function structure(name: string) {
  return (value: string): StructureFlag => {
    const parts = value.split(',').map((v) => v.trim());
    const numbers = parts.map(Number);
    if (parts.length > 2 || parts.some((v) => v === '') || numbers.some((n) => !(n >= 0 && n <= 64))) {
      throw new InvalidArgumentError(`${name}: expected px near edges, optionally ",px" elsewhere (numbers from 0 to 64, e.g. 1 or 1,3), got "${value}"`);
    }
    return { sigma: numbers[0], flatSigma: numbers[1] ?? 0 };
  };
}

function provider(value: string): ExecutionProvider {
  if (value !== 'cpu' && value !== 'cuda') throw new InvalidArgumentError(`expected cpu or cuda, got "${value}"`);
  return value;
}

interface RenderCliOptions {
  frames: number;
  out: string;
  seed: number;
  start: number;
  width?: number;
  height?: number;
  format: Format[];
  refine?: string | true;
  refineStrength: number;
  refineObjectStrength?: number;
  refineSteps: number;
  refineStructure?: StructureFlag;
  refineProvider: ExecutionProvider;
}

function formats(value: string): Format[] {
  const list = value.split(',').map((f) => f.trim().toLowerCase()).filter(Boolean);
  const bad = list.filter((f) => f !== 'bop' && f !== 'coco');
  if (bad.length || list.length === 0) throw new InvalidArgumentError(`expected a comma-separated list of bop and coco, got "${value}"`);
  return list as Format[];
}

export function buildProgram(): Command {
  const program = new Command('robosynth')
    .description('Synthetic, exactly-labeled training data for robot perception (BOP and COCO).')
    .showHelpAfterError()
    .configureOutput({ outputError: (text, write) => write(text) });
  program.exitOverride();

  program
    .command('render')
    .description('render a dataset from a scene file')
    .argument('<scene>', 'scene file (YAML or JSON)')
    .requiredOption('--frames <n>', 'number of frames', integer('--frames', 1))
    .requiredOption('--out <dir>', 'output dataset folder')
    .option('--seed <s>', 'random seed', integer('--seed', 0), 0)
    .option('--start <i>', 'first frame index (frames are independent: ranges can be rendered separately)', integer('--start', 0), 0)
    .option('--width <w>', 'image width (intrinsics are scaled)', integer('--width', 16))
    .option('--height <h>', 'image height (intrinsics are scaled)', integer('--height', 16))
    .option('--format <list>', 'label formats: bop,coco', formats, ['bop', 'coco'] as Format[])
    .option('--refine [model]', 'also refine every frame with a diffusion model into train_pbr/*/rgb_refined/ (default model: the shipped one)')
    .option('--refine-strength <s>', 'share of the diffusion to go back (0..1)', fraction('--refine-strength'), 0.3)
    .option('--refine-object-strength <s>', 'objects and robots refined at their own strength (0 keeps them raw); default: --refine-strength', fraction('--refine-object-strength'))
    .option('--refine-steps <n>', 'DDIM steps', integer('--refine-steps', 1), 4)
    .option('--refine-structure <px[,px]>', "structure guidance: the render's detail coarser than this many px is kept near its edges [and coarser than the second elsewhere] (0 = off; default: the model's)", structure('--refine-structure'))
    .option('--refine-provider <p>', 'onnxruntime execution provider: cpu or cuda', provider, 'cpu')
    .action(async (scene: string, opts: RenderCliOptions, command: Command) => {
      const refineModel = opts.refine === true ? DEFAULT_REFINER : opts.refine;
      if (refineModel === undefined) {
        const given = (['refineStrength', 'refineObjectStrength', 'refineSteps', 'refineStructure', 'refineProvider'] as const).filter((key) => command.getOptionValueSource(key) === 'cli');
        if (given.length) throw new UserError(`${given.map((key) => '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())).join(', ')} without --refine: add --refine [model] to refine the frames`);
      }
      const progress = createProgress(opts.frames);
      const abort = new AbortController();
      const onSigint = () => {
        if (abort.signal.aborted) process.exit(130);
        process.stderr.write('\nrobosynth: stopping after the frames in flight (Ctrl-C again to quit at once)\n');
        abort.abort();
      };
      process.on('SIGINT', onSigint);
      try {
        const summary = await renderDataset({
          scene,
          out: opts.out,
          frames: opts.frames,
          start: opts.start,
          seed: opts.seed,
          width: opts.width,
          height: opts.height,
          formats: opts.format,
          signal: abort.signal,
          ...(refineModel !== undefined
            ? {
                refine: {
                  model: refineModel,
                  strength: opts.refineStrength,
                  objectStrength: opts.refineObjectStrength,
                  steps: opts.refineSteps,
                  ...(opts.refineStructure ? { structureSigma: opts.refineStructure.sigma, structureFlatSigma: opts.refineStructure.flatSigma } : {}),
                  executionProvider: opts.refineProvider,
                },
              }
            : {}),
          onLog: (message) => progress.log(message),
          onFrame: (done) => progress.update(done),
        });
        progress.stop();
        process.stderr.write(`robosynth: dataset in ${summary.out} (BOP: camera.json, models/, train_pbr/; COCO: coco_annotations.json${summary.refine ? '; refined images: train_pbr/*/rgb_refined/' : ''})\n`);
        if (summary.refine?.flagged) process.stderr.write(`robosynth: ${summary.refine.flagged} refined frame(s) moved structure even at reduced strength and are flagged in scene_refine.json\n`);
        process.stdout.write(JSON.stringify(summary) + '\n');
        if (abort.signal.aborted) process.exitCode = 130;
      } finally {
        progress.stop();
        process.off('SIGINT', onSigint);
      }
    });

  program
    .command('refine')
    .description('refine the colour images of a dataset with a diffusion model into train_pbr/*/rgb_refined/ (raw renders are kept)')
    .argument('<dataset>', 'dataset folder written by robosynth render')
    .option('--model <dir>', 'refiner model folder (pixel: model.onnx + model.json; latent: vae_encoder/, unet/, vae_decoder/, model.json)', DEFAULT_REFINER)
    .option('--strength <s>', 'share of the diffusion to go back (0..1)', fraction('--strength'), 0.3)
    .option('--object-strength <s>', 'objects and robots refined at their own strength (0 keeps them raw); default: --strength', fraction('--object-strength'))
    .option('--steps <n>', 'DDIM steps', integer('--steps', 1), 4)
    .option('--structure <px[,px]>', "structure guidance: the render's detail coarser than this many px is kept near its edges [and coarser than the second elsewhere] (0 = off; default: the model's)", structure('--structure'))
    .option('--seed <s>', 'noise seed', integer('--seed', 0), 0)
    .option('--provider <p>', 'onnxruntime execution provider: cpu or cuda', provider, 'cpu')
    .action(async (dataset: string, opts: { model: string; strength: number; objectStrength?: number; steps: number; structure?: StructureFlag; seed: number; provider: ExecutionProvider }) => {
      const progress = createProgress(1);
      try {
        const summary = await refineDataset({
          dataset, model: opts.model, strength: opts.strength, objectStrength: opts.objectStrength, steps: opts.steps, seed: opts.seed,
          ...(opts.structure ? { structureSigma: opts.structure.sigma, structureFlatSigma: opts.structure.flatSigma } : {}),
          executionProvider: opts.provider,
          onLog: (message) => progress.log(message),
          onFrame: (done) => progress.update(done),
        });
        progress.stop();
        process.stdout.write(JSON.stringify({ ...summary, out: resolve(dataset) }) + '\n');
      } finally {
        progress.stop();
      }
    });

  program
    .command('inspect')
    .description('draw label overlays of chosen frames into <dataset>/inspect/ (masks, boxes, 3D boxes and pose axes, keypoints), from the written labels alone')
    .argument('<dataset>', 'dataset folder written by robosynth render')
    .option('--frames <list>', 'frame indices, e.g. 0,3,10-12 (default: the first 8)', frameList)
    .option('--out <dir>', 'where the overlays go (default: <dataset>/inspect)')
    .action(async (dataset: string, opts: { frames?: number[]; out?: string }) => {
      const written = await inspectDataset({ dataset, frames: opts.frames, out: opts.out });
      process.stdout.write(JSON.stringify({ overlays: written.length, files: written }) + '\n');
    });

  program
    .command('report')
    .description('write one self-contained HTML report of a dataset (no network): instances per class, visibility, distances, viewpoints, objects per image, raw vs refined pixel statistics, run timing, a contact sheet')
    .argument('<dataset>', 'dataset folder written by robosynth render')
    .option('--out <file>', 'the HTML file to write (default: <dataset>/report.html)')
    .option('--sheet <n>', 'frames on the contact sheet, evenly spread (0: none)', integer('--sheet', 0), 24)
    .action(async (dataset: string, opts: { out?: string; sheet: number }) => {
      const summary = await writeReport({ dataset, out: opts.out, sheet: opts.sheet });
      process.stdout.write(JSON.stringify(summary) + '\n');
    });

  program
    .command('preview')
    .description('serve a page on localhost that renders the scene live as you change the seed and frame, with masks on top (the batch\'s own sampling and renderer); edits to the scene file show on save')
    .argument('<scene>', 'scene file (YAML or JSON)')
    .option('--port <n>', 'port to listen on (0: any free port)', integer('--port', 0), 8700)
    .option('--host <addr>', 'address to listen on (default: this machine only)', '127.0.0.1')
    .option('--seed <s>', 'seed the page opens with', integer('--seed', 0), 0)
    .option('--width <w>', 'image width (intrinsics are scaled)', integer('--width', 16))
    .option('--height <h>', 'image height (intrinsics are scaled)', integer('--height', 16))
    .action(async (scene: string, opts: { port: number; host: string; seed: number; width?: number; height?: number }) => {
      const server = await startPreview({ scene, ...opts });
      process.stderr.write(`robosynth preview: open ${server.url} (Ctrl-C to stop)\n`);
      process.stdout.write(JSON.stringify({ url: server.url }) + '\n');
      await new Promise<void>((done) => {
        const stop = () => { process.off('SIGINT', stop); process.off('SIGTERM', stop); void server.close().then(done); };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });

  program
    .command('validate')
    .description('check a scene file without rendering')
    .argument('<scene>', 'scene file (YAML or JSON)')
    .action((scene: string) => {
      const loaded = loadScene(scene);
      const { spec } = loaded;
      // Robots: their URDFs parse and every mesh they name exists.
      for (const robot of spec.robots) loadRobotUrdf(robot, scene, loadUrdf);
      const robots = spec.robots.length ? `, ${spec.robots.length} robot${spec.robots.length > 1 ? 's' : ''}` : '';
      process.stdout.write(`${scene}: ok (${spec.image.width}x${spec.image.height}, ${spec.objects.length} object classes${robots}, ${spec.lights.length} lights)\n`);
    });

  program
    .command('schema')
    .description('print the JSON Schema of scene files')
    .action(() => {
      process.stdout.write(JSON.stringify(sceneJsonSchema(), null, 2) + '\n');
    });
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    const err = error as { code?: string; exitCode?: number; message?: string };
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    if (err.code?.startsWith('commander.')) return 2;
    if (error instanceof UserError) {
      process.stderr.write(`robosynth: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`robosynth: internal error: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
