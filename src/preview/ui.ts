/**
 * The preview page's controls (bundled by esbuild, next to the batch's page script): asks the
 * server for the job of (seed, index), has window.robosynth draw it, and paints the instance pass
 * over it as a mask overlay. It picks nothing itself: every frame comes whole from the server.
 * The state is in the URL hash (#seed=3&index=7&masks=1), so a reload keeps the view.
 */
import type { PreviewFrame, PreviewInit } from './server.js';

interface PreviewState {
  seed: number;
  index: number;
  masks: boolean;
  /** Frames drawn since the page loaded (tests wait on it). */
  frames: number;
  /** The frame on screen. */
  shown?: { seed: number; index: number };
  error?: string;
}

declare global {
  interface Window {
    previewState: PreviewState;
  }
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const seedInput = $<HTMLInputElement>('seed');
const indexInput = $<HTMLInputElement>('index');
const masksBox = $<HTMLInputElement>('show-masks');
const overlay = $<HTMLCanvasElement>('masks');
const status = $<HTMLSpanElement>('status');
const errorBox = $<HTMLDivElement>('error');
const legend = $<HTMLDivElement>('legend');

const hash = new URLSearchParams(location.hash.slice(1));
const state: PreviewState = { seed: 0, index: 0, masks: hash.get('masks') === '1', frames: 0 };
window.previewState = state;
let version = 0;
let busy = false;
let again = false;

/** A distinct, stable colour per instance id (golden-angle hues). */
function idColor(id: number): [number, number, number] {
  const h = (id * 137.508) % 360, s = 0.75, v = 1;
  const f = (n: number) => {
    const k = (n + h / 60) % 6;
    return Math.round(255 * (v - v * s * Math.max(0, Math.min(k, 4 - k, 1))));
  };
  return [f(5), f(3), f(1)];
}

function showError(message: string | undefined): void {
  state.error = message;
  errorBox.textContent = message ?? '';
}

/** The instance pass (rows bottom-up, id in bytes 0-1) as a translucent overlay, rows top-down. */
function drawMasks(): void {
  const { instanceDepth } = window.robosynth.lastPixels();
  const { width, height } = overlay;
  const image = new ImageData(width, height);
  for (let y = 0; y < height; y++) {
    const from = (height - 1 - y) * width * 4, to = y * width * 4;
    for (let x = 0; x < width; x++) {
      const id = instanceDepth[from + 4 * x] | (instanceDepth[from + 4 * x + 1] << 8);
      // 0: background; 0xffff: unlabeled structure (support, walls, distractors).
      if (id === 0 || id === 0xffff) continue;
      const [r, g, b] = idColor(id);
      image.data.set([r, g, b, 150], to + 4 * x);
    }
  }
  overlay.getContext('2d')!.putImageData(image, 0, 0);
  overlay.style.display = state.masks ? 'block' : 'none';
}

function showLegend(objects: PreviewFrame['objects']): void {
  legend.replaceChildren(...objects.filter((o) => o.labeled).map((o) => {
    const item = document.createElement('span');
    const swatch = document.createElement('i');
    swatch.style.background = `rgb(${idColor(o.id).join(',')})`;
    item.append(swatch, `${o.id} ${o.class}`);
    return item;
  }));
}

async function draw(): Promise<void> {
  if (busy) { again = true; return; }
  busy = true;
  try {
    const { seed, index } = state;
    location.replace(`#seed=${seed}&index=${index}&masks=${state.masks ? 1 : 0}`);
    const response = await fetch(`/frame?seed=${seed}&index=${index}`);
    const body = await response.json() as PreviewFrame | { error: string };
    if ('error' in body) { showError(body.error); return; }
    if (body.version !== version) { location.reload(); return; }
    const started = performance.now();
    const timings = await window.robosynth.render(body.job);
    drawMasks();
    showLegend(body.objects);
    showError(undefined);
    state.shown = { seed, index };
    state.frames++;
    const labeled = body.objects.filter((o) => o.labeled).length;
    status.textContent = `${labeled} labeled objects · sampled and settled in ${body.sampleMs.toFixed(0)} ms · drawn in ${(performance.now() - started).toFixed(0)} ms (GPU ${(timings.renderMs + timings.readMs).toFixed(0)} ms)`;
  } catch (error) {
    showError(String(error));
  } finally {
    busy = false;
    if (again) { again = false; void draw(); }
  }
}

function set(seed: number, index: number): void {
  state.seed = Math.max(0, Math.floor(seed) || 0);
  state.index = Math.max(0, Math.floor(index) || 0);
  seedInput.value = String(state.seed);
  indexInput.value = String(state.index);
  void draw();
}

async function start(): Promise<void> {
  const init = await (await fetch('/init')).json() as PreviewInit;
  version = init.version;
  $<HTMLElement>('scene').textContent = init.scene;
  overlay.width = init.init.width;
  overlay.height = init.init.height;
  await window.robosynth.init(init.init);
  masksBox.checked = state.masks;
  seedInput.addEventListener('change', () => set(Number(seedInput.value), state.index));
  indexInput.addEventListener('change', () => set(state.seed, Number(indexInput.value)));
  $<HTMLButtonElement>('next').addEventListener('click', () => set(state.seed, state.index + 1));
  $<HTMLButtonElement>('random').addEventListener('click', () => set(Math.floor(Math.random() * 1e6), 0));
  masksBox.addEventListener('change', () => { state.masks = masksBox.checked; overlay.style.display = state.masks ? 'block' : 'none'; });
  document.addEventListener('keydown', (event) => {
    if (event.target instanceof HTMLInputElement && event.target.type === 'number') return;
    if (event.key === 'ArrowRight') set(state.seed, state.index + 1);
    else if (event.key === 'ArrowLeft') set(state.seed, state.index - 1);
    else if (event.key === 'ArrowUp') set(state.seed + 1, state.index);
    else if (event.key === 'ArrowDown') set(state.seed - 1, state.index);
    else if (event.key === 'r') set(Math.floor(Math.random() * 1e6), 0);
    else if (event.key === 'm') masksBox.click();
  });
  // A changed scene file: the server re-reads it; the page reloads for its meshes and textures.
  setInterval(() => {
    fetch('/version').then((r) => r.json()).then((v: { version: number; error: string | null }) => {
      if (v.version !== version) location.reload();
      else if (v.error) showError(`the scene file no longer loads (still showing the last good version):\n${v.error}`);
      else if (state.error?.startsWith('the scene file')) showError(undefined);
    }, () => undefined);
  }, 1000);
  set(hash.has('seed') ? Number(hash.get('seed')) : init.seed, Number(hash.get('index') ?? 0));
}

start().catch((error: unknown) => showError(`preview failed to start: ${String(error)}`));
