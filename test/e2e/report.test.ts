/**
 * `robosynth report`: a real render (with refined images and overlays) gets one self-contained
 * HTML report; opened from file:// in real headless Chromium it makes no request but file:// and
 * data:, and every plot draws (see report-check.ts). A folder that is not a dataset gets one clear
 * line and status 2.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type LaunchedBrowser } from '../../src/render/browser.js';
import { checkReport, expectReportDrew, EXPECTED_PLOTS } from './report-check.js';

const root = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'robosynth-report-'));
const out = join(work, 'ds');
const cli = (...args: string[]) => execFileSync('node', ['bin/robosynth.js', ...args], { cwd: root, stdio: 'pipe' }).toString();
let browser: LaunchedBrowser | undefined;

beforeAll(async () => {
  execFileSync('node', ['scripts/build.mjs'], { cwd: root });
  cli('render', 'scenes/tabletop.yaml', '--frames', '2', '--out', out, '--width', '200', '--height', '150', '--refine', join(root, 'test/fixtures/refiner/pixel-tiny'), '--refine-steps', '1');
  cli('inspect', out, '--frames', '0-1');
  browser = await launchBrowser('gl-egl');
}, 180_000);
afterAll(async () => {
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
});

interface Summary { report: string; frames: number; instances: number; plots: string[]; empty: string[]; thumbnails: number; bytes: number }

describe('robosynth report', () => {
  it('writes one self-contained HTML file whose every plot draws in headless Chromium', async () => {
    const summary = JSON.parse(cli('report', out).trim()) as Summary;
    expect(summary.report).toBe(join(out, 'report.html'));
    expect(summary.frames).toBe(2);
    expect(summary.instances).toBeGreaterThan(0);
    expect(summary.plots).toEqual(EXPECTED_PLOTS);
    expect(summary.empty).toEqual([]);
    // Two frames raw and refined, two overlays.
    expect(summary.thumbnails).toBe(6);
    const html = readFileSync(summary.report, 'utf8');
    expect(summary.bytes).toBe(Buffer.byteLength(html));
    expect(html).toContain(out);
    expect(html).toContain('tabletop.yaml');

    const check = await checkReport(browser!.browser, summary.report);
    expectReportDrew(check, { thumbnails: 6 });
    expect(check.title).toBe('robosynth report: ds');
  });

  it('--out and --sheet choose the file and the contact sheet', async () => {
    const file = join(work, 'elsewhere', 'one.html');
    const summary = JSON.parse(cli('report', out, '--out', file, '--sheet', '1').trim()) as Summary;
    expect(summary.report).toBe(file);
    expect(summary.thumbnails).toBe(2 + 2);
    const check = await checkReport(browser!.browser, file);
    expectReportDrew(check, { thumbnails: 4 });
  });

  it('says clearly when the folder is not a dataset, or --out is a folder', () => {
    const plain = join(work, 'plain');
    mkdirSync(plain);
    for (const [args, message] of [
      [[plain], `robosynth: ${plain}: not a robosynth/BOP dataset (no train_pbr/ folder)\n`],
      [[join(work, 'missing')], `robosynth: ${join(work, 'missing')}: no such folder (expected a dataset folder written by robosynth render)\n`],
      [[out, '--out', plain], `robosynth: ${plain}: is a folder (expected the path of the HTML file to write, e.g. ${join(plain, 'report.html')})\n`],
    ] as const) {
      const result = spawnSync('node', ['bin/robosynth.js', 'report', ...args], { cwd: root });
      expect(result.status).toBe(2);
      expect(result.stdout.toString()).toBe('');
      expect(result.stderr.toString()).toBe(message);
    }
    const bad = spawnSync('node', ['bin/robosynth.js', 'report', out, '--sheet', '-1'], { cwd: root });
    expect(bad.status).toBe(2);
    expect(bad.stderr.toString()).toMatch(/--sheet/);
  });

  it('--help describes the options', () => {
    const help = cli('report', '--help');
    expect(help).toMatch(/--out <file>\s+the HTML file to write \(default: <dataset>\/report\.html\)/);
    expect(help).toMatch(/--sheet <n>\s+frames on the contact sheet/);
  });
});
