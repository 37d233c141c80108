/**
 * The Node side of the renderer: serves the page and the meshes on loopback, hands the page
 * one job at a time and receives its pixels as a binary POST body (never base64 or JSON).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'puppeteer';
import type { TriMesh } from '../geometry/types.js';
import { launchBrowser, type GlBackend, type LaunchedBrowser } from './browser.js';
import { loadPageAssets, pageInit, send, servePageAssets, WITHOUT_TEXTURE, type PageAssets } from './page-assets.js';
import type { PageInitResult, PageJob, PageTimings } from './protocol.js';

export interface RendererOptions {
  width: number;
  height: number;
  samples?: number;
  shadowMapSize?: number;
  /** Called once with the GL renderer string. */
  log?: (message: string) => void;
  /**
   * Texture images (PNG or JPEG) by the key jobs name them with (PageItem.texture, an image
   * backdrop's texture): read here
   * and decoded by the browser once, at launch.
   */
  textures?: ReadonlyMap<string, string>;
  /**
   * Receives one line per texture that cannot be read or decoded (items naming it draw
   * untextured, a backdrop naming it the clear colour). Default: printed to stderr as
   * "robosynth: warning: ...".
   */
  warn?: (message: string) => void;
  /**
   * How long the page may take over one frame (drawing it, then its pixels arriving) before the
   * frame fails, instead of waiting forever on a stuck browser. Default 120 s: the first frames
   * of a big scene compile shaders on a CPU rasterizer.
   */
  frameTimeoutMs?: number;
}

type Settings = Required<Omit<RendererOptions, 'log' | 'textures' | 'warn'>>;

/** `promise`, or a rejection with `message` after `ms`. */
function withDeadline<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(message())), ms); });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

/** Pixels of one frame, rows bottom-up as GL reads them. */
export interface RenderedPixels {
  color: Buffer; // RGBA8
  instanceDepth: Buffer; // RGBA8: id lo, id hi, depth lo, depth hi
  timings: PageTimings;
}

const PAGE_HTML = `<!doctype html><html><head><meta charset="utf-8"><style>html,body{margin:0;background:#000}</style></head>
<body><canvas id="canvas"></canvas><script src="/page.js"></script></body></html>`;

export class Renderer {
  private queue: Promise<unknown> = Promise.resolve();
  private pending = new Map<number, { resolve: (pixels: Buffer) => void; reject: (error: Error) => void }>();
  private constructor(
    private readonly server: Server,
    private readonly baseUrl: string,
    private readonly launched: LaunchedBrowser,
    private readonly page: Page,
    readonly options: Settings,
    readonly glRenderer: string,
  ) {}

  static async launch(meshes: Map<string, TriMesh>, options: RendererOptions): Promise<Renderer> {
    const settings: Settings = {
      samples: options.samples ?? 4, shadowMapSize: options.shadowMapSize ?? 1024, width: options.width, height: options.height,
      frameTimeoutMs: options.frameTimeoutMs ?? 120_000,
    };
    const warn = options.warn ?? ((message: string) => { process.stderr.write(`robosynth: warning: ${message}\n`); });
    const assets = await loadPageAssets(meshes, options.textures, warn);
    const routes: Routes = { assets, upload: (_frame: number, _body: Buffer) => {} };
    const server = createServer((request, response) => serve(routes, request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    let lastError: Error | undefined;
    for (const backend of ['gl-egl', 'swiftshader'] as GlBackend[]) {
      let launched: LaunchedBrowser | undefined;
      try {
        launched = await launchBrowser(backend);
        const page = await launched.browser.newPage();
        const pageErrors: string[] = [];
        page.on('pageerror', (error) => pageErrors.push(String(error)));
        await page.setViewport({ width: settings.width, height: settings.height, deviceScaleFactor: 1 });
        await page.goto(`${baseUrl}/`, { waitUntil: 'load' });
        const init = pageInit(assets, baseUrl, { width: settings.width, height: settings.height, samples: settings.samples, shadowMapSize: settings.shadowMapSize });
        const { glRenderer, failedTextures }: PageInitResult = await page.evaluate((i) => window.robosynth.init(i), init);
        if (pageErrors.length) throw new Error(pageErrors.join('; '));
        for (const { key, error } of failedTextures) warn(`texture "${assets.textureFiles.get(key) ?? key}": the browser cannot decode it (${error}); ${WITHOUT_TEXTURE}`);
        options.log?.(`WebGL: ${glRenderer} (backend ${backend})`);
        const renderer = new Renderer(server, baseUrl, launched, page, settings, glRenderer);
        routes.upload = (frame, body) => renderer.receive(frame, body);
        return renderer;
      } catch (error) {
        lastError = error as Error;
        await launched?.close();
      }
    }
    server.close();
    throw new Error(`could not start a WebGL2 renderer in headless Chromium: ${lastError?.message}`);
  }

  private receive(frame: number, body: Buffer): void {
    const waiter = this.pending.get(frame);
    if (!waiter) return;
    this.pending.delete(frame);
    waiter.resolve(body);
  }

  /**
   * Render one job; resolves with the frame's pixels once they have arrived in Node. Jobs may be
   * submitted before earlier ones resolve: the page renders them in order while earlier uploads
   * are still in flight, which keeps the browser busy while Node labels and writes.
   */
  render(job: Omit<PageJob, 'uploadUrl'>): Promise<RenderedPixels> {
    if (this.pending.has(job.frame)) return Promise.reject(new Error(`frame ${job.frame} is already being rendered`));
    const arrived = new Promise<Buffer>((resolve, reject) => this.pending.set(job.frame, { resolve, reject }));
    const full: PageJob = { ...job, uploadUrl: `${this.baseUrl}/pixels/${job.frame}` };
    const limit = this.options.frameTimeoutMs;
    const stuck = (what: string) => () => `the page did not ${what} within ${limit / 1000} s (the browser or its GPU process may be stuck)`;
    const evaluated = this.queue.then(() => withDeadline(this.page.evaluate((j) => window.robosynth.render(j), full), limit, stuck('draw it')));
    this.queue = evaluated.then(() => undefined, () => undefined);
    return evaluated.then(
      async (timings) => {
        const body = await withDeadline(arrived, limit, () => `frame ${job.frame}: ${stuck('send its pixels')()}`)
          .catch((error: unknown) => { this.pending.delete(job.frame); throw error; });
        const size = this.options.width * this.options.height * 4;
        if (body.length !== 2 * size) throw new Error(`frame ${job.frame}: expected ${2 * size} bytes of pixels, got ${body.length}`);
        return { color: body.subarray(0, size), instanceDepth: body.subarray(size), timings };
      },
      (error: Error) => {
        this.pending.delete(job.frame);
        throw new Error(`rendering frame ${job.frame} failed in the page: ${error?.message ?? String(error)}`);
      },
    );
  }

  async close(): Promise<void> {
    for (const waiter of this.pending.values()) waiter.reject(new Error('renderer closed'));
    this.pending.clear();
    await this.launched.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

interface Routes {
  assets: PageAssets;
  upload: (frame: number, body: Buffer) => void;
}

function serve(routes: Routes, request: IncomingMessage, response: ServerResponse): void {
  const url = request.url ?? '/';
  if (request.method === 'GET' && url === '/') return send(response, 200, 'text/html', PAGE_HTML);
  if (servePageAssets(routes.assets, request, response)) return;
  if (request.method === 'POST' && url.startsWith('/pixels/')) {
    const frame = Number(url.slice('/pixels/'.length));
    receiveBody(request, (body) => {
      routes.upload(frame, body);
      send(response, 200, 'text/plain', 'ok');
    });
    return;
  }
  send(response, 404, 'text/plain', 'not found');
}

/** A request body into one buffer of its Content-Length (the page always sends one); empty if the length was wrong. */
export function receiveBody(request: IncomingMessage, done: (body: Buffer) => void): void {
  const length = Number(request.headers['content-length'] ?? 0);
  const body = Buffer.allocUnsafe(length);
  let received = 0;
  request.on('data', (chunk: Buffer) => {
    if (received + chunk.length <= length) chunk.copy(body, received);
    received += chunk.length;
  });
  request.on('end', () => done(received === length ? body : Buffer.alloc(0)));
}
