/**
 * `robosynth preview`: the real CLI serves the page; real headless Chromium opens it. The frame it
 * shows is the batch's frame (same bytes as `robosynth render` writes for that seed and index),
 * changing the seed or frame redraws, the mask overlay sits exactly on the instance pass, and an
 * edit to the scene file shows without restarting.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import type { Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type LaunchedBrowser } from '../../src/render/browser.js';

const root = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'robosynth-preview-'));
const W = 160, H = 120;
const scene = join(work, 'scene.yaml');
let server: ChildProcess | undefined;
let url = '';
let browser: LaunchedBrowser | undefined;
let page: Page;
const requests: string[] = [];

/** Resolves with the first stdout line of the server (its JSON with the URL). */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '', err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('exit', (code) => reject(new Error(`preview exited (${code}): ${err}`)));
  });
}

/** Waits until the page has drawn `count` frames in all; returns its state. */
async function drawn(count: number): Promise<{ seed: number; index: number; frames: number; error?: string }> {
  await page.waitForFunction((n: number) => window.previewState?.frames >= n || window.previewState?.error, { timeout: 60_000 }, count);
  return page.evaluate(() => ({ ...window.previewState, ...window.previewState.shown }));
}

/** The last frame's colour (RGB, rows top-down) and instance ids, as the page read them. */
async function lastFrame(): Promise<{ rgb: Buffer; ids: Uint16Array }> {
  const { color, ids } = await page.evaluate(() => {
    const p = window.robosynth.lastPixels();
    const idList: number[] = [];
    for (let i = 0; i < p.instanceDepth.length; i += 4) idList.push(p.instanceDepth[i] | (p.instanceDepth[i + 1] << 8));
    return { color: Array.from(p.color), ids: idList };
  });
  const rgb = Buffer.alloc(W * H * 3), flippedIds = new Uint16Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const from = (H - 1 - y) * W + x, to = y * W + x;
      rgb.set(color.slice(4 * from, 4 * from + 3), 3 * to);
      flippedIds[to] = ids[from];
    }
  }
  return { rgb, ids: flippedIds };
}

beforeAll(async () => {
  execFileSync('node', ['scripts/build.mjs'], { cwd: root });
  copyFileSync(join(root, 'scenes/tabletop.yaml'), scene);
  writeFileSync(scene, readFileSync(scene, 'utf8').replaceAll('../assets/', join(root, 'assets') + '/'));
  server = spawn('node', ['bin/robosynth.js', 'preview', scene, '--port', '0', '--width', String(W), '--height', String(H), '--seed', '3'], { cwd: root });
  url = (JSON.parse(await firstLine(server)) as { url: string }).url;
  browser = await launchBrowser('gl-egl');
  page = await browser.browser.newPage();
  page.on('request', (request) => requests.push(request.url()));
  await page.setViewport({ width: 900, height: 600 });
  await page.goto(url, { waitUntil: 'load' });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  server?.kill('SIGINT');
  rmSync(work, { recursive: true, force: true });
});

describe('robosynth preview', () => {
  it('opens on the given seed and draws the batch\'s own frame, byte for byte', async () => {
    const state = await drawn(1);
    expect(state.error).toBeUndefined();
    expect([state.seed, state.index]).toEqual([3, 0]);
    const { rgb } = await lastFrame();
    const out = join(work, 'batch');
    execFileSync('node', ['bin/robosynth.js', 'render', scene, '--frames', '1', '--seed', '3', '--width', String(W), '--height', String(H), '--out', out], { cwd: root, stdio: 'pipe' });
    const written = PNG.sync.read(readFileSync(join(out, 'train_pbr/000000/rgb/000000.png')));
    const batch = Buffer.alloc(W * H * 3);
    for (let p = 0; p < W * H; p++) batch.set(written.data.subarray(4 * p, 4 * p + 3), 3 * p);
    let differ = 0, maxDiff = 0;
    for (let i = 0; i < rgb.length; i++) { const d = Math.abs(rgb[i] - batch[i]); if (d) { differ++; maxDiff = Math.max(maxDiff, d); } }
    expect({ differ, maxDiff }).toEqual({ differ: 0, maxDiff: 0 });
    // Everything came from the preview server (or Babylon's built-in data: textures): no other host.
    expect(requests.filter((r) => !r.startsWith(url) && !r.startsWith('data:'))).toEqual([]);
  }, 120_000);

  it('redraws for another frame and another seed', async () => {
    const before = (await lastFrame()).rgb;
    await page.click('#next');
    const next = await drawn(2);
    expect([next.seed, next.index]).toEqual([3, 1]);
    const frame1 = (await lastFrame()).rgb;
    expect(frame1.equals(before)).toBe(false);
    await page.$eval('#seed', (input) => { (input as HTMLInputElement).value = '8'; input.dispatchEvent(new Event('change')); });
    const seeded = await drawn(3);
    expect([seeded.seed, seeded.index]).toEqual([8, 1]);
    expect((await lastFrame()).rgb.equals(frame1)).toBe(false);
  }, 120_000);

  it('the mask overlay covers exactly the labeled instances, and toggles', async () => {
    const { ids } = await lastFrame();
    expect(await page.$eval('#masks', (c) => (c as HTMLCanvasElement).style.display)).toBe('none');
    await page.click('#show-masks');
    expect(await page.$eval('#masks', (c) => (c as HTMLCanvasElement).style.display)).toBe('block');
    const alpha = await page.$eval('#masks', (c) => {
      const canvas = c as HTMLCanvasElement;
      return Array.from(canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data.filter((_, i) => i % 4 === 3));
    });
    let labeled = 0;
    for (let p = 0; p < W * H; p++) {
      const isObject = ids[p] !== 0 && ids[p] !== 0xffff;
      if (isObject) labeled++;
      expect(alpha[p] > 0).toBe(isObject);
    }
    expect(labeled).toBeGreaterThan(100);
    // The legend names the frame's labeled objects.
    expect(await page.$$eval('#legend span', (items) => items.length)).toBeGreaterThan(0);
  }, 60_000);

  it('shows an edit of the scene file without a restart, and a broken edit as an error', async () => {
    const frames = (await drawn(3)).frames;
    const text = readFileSync(scene, 'utf8');
    // A broken scene keeps the last good one on screen, with the error.
    writeFileSync(scene, text.replace('image:', 'imagez:'));
    await page.waitForFunction(() => (window.previewState.error ?? '').includes('no longer loads'), { timeout: 30_000 });
    expect(await page.$eval('#error', (e) => e.textContent)).toMatch(/scene\.yaml.*image: missing required field/);
    // A good edit (a red background) reloads the page, which draws it.
    writeFileSync(scene, text.replace(/background: .*/, 'background: { color: [1, 0, 0] }'));
    await page.waitForNavigation({ timeout: 30_000 });
    const state = await drawn(1);
    expect(state.frames).toBeLessThanOrEqual(frames);
    expect([state.seed, state.index]).toEqual([8, 1]);
    const { rgb, ids } = await lastFrame();
    const background = [...ids.keys()].filter((p) => ids[p] === 0);
    expect(background.length).toBeGreaterThan(0);
    for (const p of background.slice(0, 50)) expect([rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2]]).toEqual([255, 0, 0]);
  }, 90_000);
});
