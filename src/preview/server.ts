/**
 * `robosynth preview <scene>`: a page on localhost that renders the scene's frames live, with the
 * batch's own code: frames are sampled and settled here in Node from (seed, index), exactly as a
 * batch samples them, turned into page jobs by the same frameToPageJob, and drawn in the browser by
 * the same page script (src/render/page/page.ts) the batch drives headless. The browser still
 * decides nothing: the preview's UI (ui.ts) only asks for a seed and index and shows the result,
 * with the instance pass as a mask overlay.
 *
 * The scene file is re-read when it changes on disk; the page reloads itself to pick up the new
 * meshes and textures. A scene that no longer loads keeps the last good one and the error is shown.
 */
import { statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, resolve } from 'node:path';
import { bundle } from '../bundle.js';
import { UserError } from '../errors.js';
import { prepareScene, rendererMeshes, rendererTextures, sampleSettledFrame } from '../pipeline/scene-setup.js';
import { frameToPageJob } from '../render/job.js';
import { loadPageAssets, pageInit, send, servePageAssets, type PageAssets } from '../render/page-assets.js';
import type { PageInit, PageJob } from '../render/protocol.js';
import { renderModels, type ModelCatalog, type RenderModels } from '../scene/models.js';
import type { SceneSpec } from '../scene/schema.js';

export interface PreviewOptions {
  scene: string;
  /** Default 8700; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1 (this machine only). */
  host?: string;
  width?: number;
  height?: number;
  /** The seed the page opens with (default 0). */
  seed?: number;
  warn?: (message: string) => void;
}

export interface PreviewServer {
  url: string;
  close(): Promise<void>;
}

/** What /init answers: how to set the page up. */
export interface PreviewInit {
  init: PageInit;
  scene: string;
  seed: number;
  version: number;
}

/** What /frame answers: the job to draw and who is who in the instance pass. */
export interface PreviewFrame {
  job: PageJob;
  objects: { id: number; class: string; obj_id: number; labeled: boolean }[];
  /** Sampling and settling time in Node (ms). */
  sampleMs: number;
  version: number;
}

interface Loaded {
  spec: SceneSpec;
  catalog: ModelCatalog;
  models: RenderModels;
  assets: PageAssets;
  mtimeMs: number;
}

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>robosynth preview</title>
<style>
  body { margin: 0; background: #1d1f23; color: #e8e8e8; font: 14px system-ui, sans-serif; }
  header { display: flex; gap: 14px; align-items: center; padding: 8px 12px; background: #2a2d33; flex-wrap: wrap; }
  header label { display: flex; gap: 6px; align-items: center; }
  input[type=number] { width: 6em; }
  #stage { position: relative; display: inline-block; margin: 12px; line-height: 0; }
  #masks { position: absolute; left: 0; top: 0; pointer-events: none; }
  #error { color: #ff8a80; padding: 0 12px; white-space: pre-wrap; }
  #status { color: #b0b4bb; }
  #legend { display: flex; flex-wrap: wrap; gap: 4px 12px; padding: 0 12px 12px; }
  #legend span { display: inline-flex; gap: 4px; align-items: center; }
  #legend i { display: inline-block; width: 12px; height: 12px; border-radius: 2px; }
</style></head>
<body>
<header>
  <strong id="scene">robosynth preview</strong>
  <label>seed <input id="seed" type="number" min="0" step="1" value="0"></label>
  <label>frame <input id="index" type="number" min="0" step="1" value="0"></label>
  <button id="next" title="next frame (→)">next frame</button>
  <button id="random" title="a random seed (r)">random seed</button>
  <label><input id="show-masks" type="checkbox"> masks (m)</label>
  <span id="status"></span>
</header>
<div id="error"></div>
<div id="stage"><canvas id="canvas"></canvas><canvas id="masks"></canvas></div>
<div id="legend"></div>
<script src="/page.js"></script><script src="/preview.js"></script>
</body></html>`;

async function load(scene: string, options: PreviewOptions, warn: (message: string) => void): Promise<Loaded> {
  // Loading first: a missing or bad file is the loader's clear error, not a stat failure.
  const { spec, catalog } = await prepareScene(scene, options.width, options.height);
  const mtimeMs = statSync(scene).mtimeMs;
  const assets = await loadPageAssets(rendererMeshes(catalog), rendererTextures(catalog), warn);
  return { spec, catalog, models: renderModels(catalog), assets, mtimeMs };
}

/** A non-negative integer query parameter, or a UserError naming it. */
function intParam(url: URL, name: string): number {
  const raw = url.searchParams.get(name) ?? '0';
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value)) throw new UserError(`${name}: expected a non-negative integer, got "${raw}"`);
  return value;
}

export async function startPreview(options: PreviewOptions): Promise<PreviewServer> {
  const scene = resolve(options.scene);
  const warn = options.warn ?? ((message: string) => { process.stderr.write(`robosynth: warning: ${message}\n`); });
  // The first load fails loudly (a bad scene file is the user's to fix before anything serves).
  let current = await load(scene, options, warn);
  let version = 1;
  let reloadError: string | undefined;
  let reloading: Promise<void> | undefined;
  const ui = await bundle('preview/ui.ts');

  /** Re-reads the scene when its file changed; on failure keeps the last good one and remembers why. */
  const refresh = async (): Promise<void> => {
    let mtimeMs: number;
    try {
      mtimeMs = statSync(scene).mtimeMs;
    } catch (error) {
      reloadError = `${scene}: ${(error as Error).message}`;
      return;
    }
    if (mtimeMs === current.mtimeMs) return;
    reloading ??= load(scene, options, warn).then(
      (next) => { current = next; version++; reloadError = undefined; },
      (error: unknown) => {
        current = { ...current, mtimeMs };
        reloadError = error instanceof Error ? error.message : String(error);
      },
    ).finally(() => { reloading = undefined; });
    await reloading;
  };

  const answer = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://preview');
    if (request.method === 'GET' && url.pathname === '/') return send(response, 200, 'text/html', PAGE);
    if (request.method === 'GET' && url.pathname === '/preview.js') return send(response, 200, 'text/javascript', ui);
    if (request.method === 'GET' && url.pathname === '/init') {
      await refresh();
      const { spec, assets } = current;
      const body: PreviewInit = {
        init: pageInit(assets, '', { width: spec.image.width, height: spec.image.height, samples: spec.render.samples, shadowMapSize: spec.render.shadow_map_size }),
        scene: basename(scene),
        seed: options.seed ?? 0,
        version,
      };
      return send(response, 200, 'application/json', JSON.stringify(body));
    }
    if (request.method === 'GET' && url.pathname === '/version') {
      await refresh();
      return send(response, 200, 'application/json', JSON.stringify({ version, error: reloadError ?? null }));
    }
    if (request.method === 'GET' && url.pathname === '/frame') {
      await refresh();
      const { spec, catalog, models } = current;
      const seed = intParam(url, 'seed');
      const index = intParam(url, 'index');
      const started = performance.now();
      const frame = sampleSettledFrame(spec, catalog, seed, index);
      const sampleMs = performance.now() - started;
      const body: PreviewFrame = {
        job: { ...frameToPageJob(frame, models), uploadUrl: '' },
        objects: frame.instances.map((i) => ({ id: i.id, class: i.className, obj_id: i.objId, labeled: !i.unlabeled })),
        sampleMs,
        version,
      };
      return send(response, 200, 'application/json', JSON.stringify(body));
    }
    if (servePageAssets(current.assets, request, response)) return;
    send(response, 404, 'text/plain', 'not found');
  };

  const server = createServer((request, response) => {
    answer(request, response).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      send(response, error instanceof UserError ? 400 : 500, 'application/json', JSON.stringify({ error: message }));
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(
      error.code === 'EADDRINUSE' ? new UserError(`--port ${options.port}: the port is in use (try another, or --port 0 for any free one)`) : error,
    ));
    server.listen(options.port ?? 8700, host, resolveListen);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    close: () => new Promise<void>((resolveClose) => {
      server.closeAllConnections();
      server.close(() => resolveClose());
    }),
  };
}
