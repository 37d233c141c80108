/**
 * `robosynth report <dataset>`: one self-contained HTML file (inline CSS, inline SVG charts drawn
 * here in Node, thumbnails as data: PNG URIs; no scripts, fonts, images or links to fetch) that
 * shows what a dataset holds: instances per class, visibility fractions, object distances, camera
 * viewpoints, objects per image, raw versus refined pixel statistics, the timing of its render
 * runs, a contact sheet of frames and the label overlays `robosynth inspect` wrote.
 *
 * Every chart sits in an element with data-plot="<name>" (PLOT_NAMES); when its source is missing
 * the element gets data-empty="true" and a "No data" note instead of a chart.
 */
import { closeSync, existsSync, mkdirSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { UserError } from '../errors.js';
import { basename, dirname, join, resolve } from 'node:path';
import type { RunEntry, StageTimes } from '../writers/run-log.js';
import { writeFileAtomic } from '../writers/atomic.js';
import { evenlySpread, pixelStats, readDatasetStats, type DatasetStats, type FrameRef, type PixelStats } from './dataset-stats.js';
import { PALETTE, barChart, binIntegers, binValues, escapeXml, formatValue, histogramChart, niceDomain, scatterChart } from './svg-charts.js';
import { thumbnail, type Thumbnail } from './thumbnails.js';

/** The charts of a report, in page order. */
export const PLOT_NAMES = ['instances-per-class', 'visibility', 'distance', 'viewpoint', 'objects-per-image', 'pixel-stats', 'timing-fps', 'timing-stages'] as const;
export type PlotName = (typeof PLOT_NAMES)[number];

export interface ReportOptions {
  dataset: string;
  /** The HTML file; default <dataset>/report.html. */
  out?: string;
  /** Frames on the contact sheet (default 24; 0: none). */
  sheet?: number;
  /** Frames sampled for the pixel statistics (default 100), and every how many pixels (default 4). */
  pixelFrames?: number;
  pixelStep?: number;
  /** Thumbnail width in px (default 160). */
  thumbnailWidth?: number;
}

export interface ReportSummary {
  report: string;
  dataset: string;
  frames: number;
  instances: number;
  classes: number;
  /** Charts drawn, and charts shown as "no data". */
  plots: PlotName[];
  empty: PlotName[];
  thumbnails: number;
  bytes: number;
}

const h = escapeXml;
const CHANNELS = ['R', 'G', 'B'] as const;
const CHANNEL_COLORS = ['#d62728', '#2ca02c', '#1f77b4'];
const STAGES: { key: keyof StageTimes; label: string }[] = [
  { key: 'sample_settle', label: 'sample+settle' },
  { key: 'render', label: 'render' },
  { key: 'labels', label: 'labels' },
  { key: 'sensor', label: 'sensor' },
  { key: 'refine', label: 'refine' },
  { key: 'write', label: 'write' },
];

export interface Plot {
  name: PlotName;
  title: string;
  svg?: string;
  /** Why there is no chart. */
  empty?: string;
  caption: string;
  /** More HTML under the caption (tables, notes). */
  extra?: string;
}

const frameName = (f: FrameRef) => `${f.chunk}/${String(f.im).padStart(6, '0')}`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function instancesPlot(s: DatasetStats): Plot {
  const title = 'Instances per class';
  const total = s.classCounts.reduce((n, c) => n + c.instances, 0);
  if (!s.classCounts.length) return { name: 'instances-per-class', title, empty: 'No data: no classes in robosynth.json and no labeled objects in scene_gt.json.', caption: '' };
  return {
    name: 'instances-per-class',
    title,
    svg: barChart({
      title,
      categories: s.classCounts.map((c) => c.name),
      series: [
        { name: 'all instances', values: s.classCounts.map((c) => c.instances), color: PALETTE[0] },
        { name: '≥ 10 % visible', values: s.classCounts.map((c) => c.visible), color: PALETTE[1] },
      ],
      xLabel: 'class',
      yLabel: 'instances',
      integer: true,
    }),
    caption: `Labeled object instances (scene_gt.json entries) per class, over all ${plural(s.frames.length, 'frame')} (${total} in all), and those with visib_fract ≥ 0.1 (the BOP evaluation's threshold). Classes come from robosynth.json via obj_id${s.robots.length ? '; robot links are counted under their robot' : ''}.`,
  };
}

function visibilityPlot(s: DatasetStats): Plot {
  const title = 'Visibility fraction';
  if (!s.visibFract.length) return { name: 'visibility', title, empty: 'No data: no scene_gt_info.json entries (visib_fract).', caption: '' };
  const bins = binValues(s.visibFract, 20, 0, 1);
  const hidden = s.visibFract.filter((v) => v === 0).length;
  return {
    name: 'visibility',
    title,
    svg: histogramChart({ title, edges: bins.edges, series: [{ name: 'instances', counts: bins.counts, color: PALETTE[4] }], xLabel: 'visib_fract (visible share of the silhouette)', yLabel: 'instances', integerY: true, xTicks: [0, 0.2, 0.4, 0.6, 0.8, 1] }),
    caption: `Instances by visib_fract (scene_gt_info.json) in 20 bins over [0, 1]; ${s.visibFract.length} instances, ${hidden} fully hidden, median ${formatValue(median(s.visibFract))}.`,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
}

function distancePlot(s: DatasetStats): Plot {
  const title = 'Object distance';
  if (!s.distancesM.length) return { name: 'distance', title, empty: 'No data: no labeled objects in scene_gt.json.', caption: '' };
  const lo = Math.min(...s.distancesM), hi = Math.max(...s.distancesM);
  const [d0, d1] = niceDomain(lo, hi, 5);
  const bins = binValues(s.distancesM, 20, d0, d1);
  return {
    name: 'distance',
    title,
    svg: histogramChart({ title, edges: bins.edges, series: [{ name: 'instances', counts: bins.counts, color: PALETTE[6] }], xLabel: 'distance from the camera |cam_t_m2c| (m)', yLabel: 'instances', integerY: true }),
    caption: `Instances by the distance of the model origin from the camera centre (|cam_t_m2c| in scene_gt.json, m), 20 bins; range ${formatValue(lo)}–${formatValue(hi)} m, median ${formatValue(median(s.distancesM))} m.`,
  };
}

const MAX_SCATTER = 5000;

function viewpointPlot(s: DatasetStats): Plot {
  const title = 'Camera viewpoints';
  if (!s.viewpoints.length) return { name: 'viewpoint', title, empty: 'No data: scene_camera.json has no world-to-camera pose (cam_R_w2c, cam_t_w2c).', caption: '' };
  const shown = evenlySpread(s.viewpoints, MAX_SCATTER);
  const minEl = Math.min(0, ...s.viewpoints.map((v) => v.elevationDeg));
  const distances = s.viewpoints.map((v) => v.distanceM);
  return {
    name: 'viewpoint',
    title,
    svg: scatterChart({
      title,
      points: shown.map((v) => ({ x: v.azimuthDeg, y: v.elevationDeg, label: `frame ${v.frame}: azimuth ${formatValue(v.azimuthDeg)}°, elevation ${formatValue(v.elevationDeg)}°, ${formatValue(v.distanceM)} m` })),
      xDomain: [-180, 180],
      xTicks: [-180, -135, -90, -45, 0, 45, 90, 135, 180],
      yDomain: [Math.floor(minEl / 15) * 15, 90],
      xLabel: 'azimuth (°, from world +x towards +y)',
      yLabel: 'elevation (°)',
      color: PALETTE[0],
    }),
    caption: `One dot per frame: the camera centre C = −Rᵀt (scene_camera.json, world Z up) seen from the ${s.viewpointTarget === 'mean object position' ? "frame's mean object position" : 'world origin'}; elevation = atan2(C_z − target_z, horizontal distance). ${s.viewpoints.length} frames${shown.length < s.viewpoints.length ? ` (${shown.length} shown, evenly spread)` : ''}; camera distance ${formatValue(Math.min(...distances))}–${formatValue(Math.max(...distances))} m.`,
  };
}

function objectsPlot(s: DatasetStats): Plot {
  const title = 'Objects per image';
  const bins = binIntegers(s.objectsPerImage);
  const mean = s.objectsPerImage.reduce((a, b) => a + b, 0) / s.objectsPerImage.length;
  return {
    name: 'objects-per-image',
    title,
    svg: histogramChart({
      title, edges: bins.edges, series: [{ name: 'frames', counts: bins.counts, color: PALETTE[2] }], xLabel: 'labeled objects in the image', yLabel: 'frames', integerX: true, integerY: true,
      binLabel: (lo, hi) => (hi - lo === 1 ? `${lo + 0.5} objects` : `${lo + 0.5}–${hi - 0.5} objects`),
    }),
    caption: `Frames by their number of labeled objects (scene_gt.json entries, including fully hidden ones); ${plural(s.frames.length, 'frame')}, mean ${formatValue(mean)}, ${Math.min(...s.objectsPerImage) === Math.max(...s.objectsPerImage) ? `all ${s.objectsPerImage[0]}` : `range ${Math.min(...s.objectsPerImage)}–${Math.max(...s.objectsPerImage)}`}.`,
  };
}

function pixelPlot(raw: PixelStats, refined: PixelStats | undefined, s: DatasetStats, step: number): Plot {
  const title = 'Pixel statistics: raw vs refined';
  if (!raw.pixels) return { name: 'pixel-stats', title, empty: 'No data: no colour images in train_pbr/*/rgb/.', caption: '' };
  // 64 bins of 4 levels, as a share of the sampled pixels, so raw and refined compare at any sample size.
  const coarse = (st: PixelStats, c: number) => Array.from({ length: 64 }, (_, k) => (100 * st.histogram[c].slice(4 * k, 4 * k + 4).reduce((a, b) => a + b, 0)) / st.pixels);
  const series = [
    ...CHANNELS.map((c, k) => ({ name: `raw ${c}`, counts: coarse(raw, k), color: CHANNEL_COLORS[k] })),
    ...(refined?.pixels ? CHANNELS.map((c, k) => ({ name: `refined ${c}`, counts: coarse(refined, k), color: CHANNEL_COLORS[k], dash: true })) : []),
  ];
  const rows = [['raw (rgb/)', raw] as const, ...(refined?.pixels ? [['refined (rgb_refined/)', refined] as const] : [])];
  const table = `<table class="stats"><thead><tr><th></th><th>frames</th>${CHANNELS.map((c) => `<th>mean ${c}</th>`).join('')}${CHANNELS.map((c) => `<th>std ${c}</th>`).join('')}</tr></thead><tbody>${rows
    .map(([name, st]) => `<tr><th>${h(name)}</th><td>${st.images}</td>${st.mean.map((v) => `<td>${v.toFixed(1)}</td>`).join('')}${st.std.map((v) => `<td>${v.toFixed(1)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
  const refineNote = s.refine
    ? `<p class="note">scene_refine.json: ${s.refine.frames} refined frames, ${s.refine.flagged} flagged (moved structure even at reduced strength); mean SSIM to the raw render ${s.refine.meanSsim.toFixed(3)}, mean edge alignment ${s.refine.meanEdgeAlignment.toFixed(3)}.</p>`
    : '';
  const noRefined = refined?.pixels ? '' : '<p class="nodata">No refined images (train_pbr/*/rgb_refined/) in this dataset: raw only. Render with --refine or run robosynth refine to compare.</p>';
  return {
    name: 'pixel-stats',
    title,
    svg: histogramChart({ title, edges: Array.from({ length: 65 }, (_, k) => 4 * k), series, style: 'steps', xLabel: '8-bit intensity', yLabel: '% of sampled pixels', xTicks: [0, 32, 64, 96, 128, 160, 192, 224, 256], format: (v) => `${v.toFixed(2)} %` }),
    caption: `Per-channel intensity histograms (4 levels per bin) of ${plural(raw.images, 'frame')} evenly spread${refined?.pixels ? ', raw (solid) and refined (dashed), the same frames' : ''}, every ${step}th pixel (${raw.pixels.toLocaleString('en-US')} pixels per image set).`,
    extra: noRefined + table + refineNote,
  };
}

function runLabel(k: number): string {
  return `run ${k + 1}`;
}

const MAX_RUN_BARS = 30;

function timingPlots(runs: RunEntry[]): [Plot, Plot] {
  const noRuns = `No data: no robosynth_runs.json (written by every render run; datasets rendered before it existed have none).`;
  if (!runs.length) {
    return [
      { name: 'timing-fps', title: 'Render rate per run', empty: noRuns, caption: '' },
      { name: 'timing-stages', title: 'Time per frame by stage', empty: noRuns, caption: '' },
    ];
  }
  const shown = runs.slice(-MAX_RUN_BARS);
  const offset = runs.length - shown.length;
  const fps: Plot = {
    name: 'timing-fps',
    title: 'Render rate per run',
    svg: barChart({ title: 'Render rate per run', categories: shown.map((_, k) => runLabel(offset + k)), series: [{ name: 'frames/s', values: shown.map((r) => r.frames_per_second), color: PALETTE[0] }], xLabel: 'render run (robosynth_runs.json)', yLabel: 'frames per second' }),
    caption: `End-to-end frames per second of each render run into this dataset (frames over wall-clock seconds, from robosynth_runs.json)${offset ? `; the last ${shown.length} of ${runs.length} runs` : ''}.`,
    extra: runTable(runs, offset),
  };
  const perRun = runs.length <= 5;
  const totalFrames = runs.reduce((n, r) => n + r.frames, 0);
  const series = perRun
    ? runs.map((r, k) => ({ name: runLabel(k), values: STAGES.map((st) => r.stage_ms[st.key] ?? 0), color: PALETTE[k % PALETTE.length] }))
    : [{ name: `mean of ${runs.length} runs`, values: STAGES.map((st) => runs.reduce((sum, r) => sum + (r.stage_ms[st.key] ?? 0) * r.frames, 0) / Math.max(1, totalFrames)), color: PALETTE[0] }];
  const stages: Plot = {
    name: 'timing-stages',
    title: 'Time per frame by stage',
    svg: barChart({ title: 'Time per frame by stage', categories: STAGES.map((st) => st.label), series, xLabel: 'pipeline stage', yLabel: 'mean ms per frame', format: (v) => `${formatValue(v)} ms` }),
    caption: `Mean milliseconds per frame spent in each stage (stage_ms in robosynth_runs.json)${perRun ? ', one bar per run' : ', weighted by frames over all runs'}. Stages run overlapped (render of one frame while the previous one is labeled and written), so they add up to more than the wall time per frame; render includes waiting behind earlier frames.`,
  };
  return [fps, stages];
}

function runTable(runs: RunEntry[], offset: number): string {
  const rows = runs.slice(offset).map((r, k) => `<tr><th>${h(runLabel(offset + k))}</th><td>${h(String(r.started_at ?? ''))}</td><td>${r.frames}</td><td>${r.first_frame}</td><td>${r.width}×${r.height}</td><td>${formatValue(r.frames_per_second)}</td><td>${h(r.refine ? `${r.refine.model} (${r.refine.execution_provider})` : '—')}</td></tr>`);
  const renderers = [...new Set(runs.map((r) => r.gl_renderer).filter(Boolean))];
  return `<table class="stats"><thead><tr><th></th><th>started</th><th>frames</th><th>first frame</th><th>size</th><th>frames/s</th><th>refiner</th></tr></thead><tbody>${rows.join('')}</tbody></table>${renderers.length ? `<p class="note">GL renderer: ${renderers.map(h).join('; ')}</p>` : ''}`;
}

function plotSection(p: Plot): string {
  const body = p.svg !== undefined ? `<div class="chart-box">${p.svg}</div><p class="caption">${h(p.caption)}</p>${p.extra ?? ''}` : `<p class="nodata">${h(p.empty ?? 'No data.')}</p>`;
  return `<section class="card plot" data-plot="${p.name}"${p.svg === undefined ? ' data-empty="true"' : ''}><h2>${h(p.title)}</h2>${body}</section>`;
}

interface SheetEntry {
  frame: FrameRef;
  raw: Thumbnail;
  refined?: Thumbnail;
}

function sheetSection(entries: SheetEntry[], requested: number, total: number): string {
  const title = 'Contact sheet';
  if (!entries.length) return `<section class="card wide sheet" data-sheet="frames"><h2>${title}</h2><p class="nodata">No frames on the contact sheet (--sheet ${requested}).</p></section>`;
  const img = (t: Thumbnail, alt: string, kind: string) => `<img src="${t.uri}" width="${t.width}" height="${t.height}" alt="${h(alt)}" class="${kind}">`;
  const figures = entries.map((e) => {
    const name = frameName(e.frame);
    return `<figure><div class="pair">${img(e.raw, `${name} raw`, 'raw')}${e.refined ? img(e.refined, `${name} refined`, 'refined') : ''}</div><figcaption>${h(name)} · ${plural(e.frame.objects, 'object')}</figcaption></figure>`;
  });
  const refined = entries.some((e) => e.refined);
  return `<section class="card wide sheet" data-sheet="frames"><h2>${title}</h2><p class="caption">${h(`${plural(entries.length, 'frame')} of ${total}, evenly spread; each captioned chunk/image and its labeled objects${refined ? '; raw render (left) beside the refined image (right)' : ''}.`)}</p><div class="thumbs">${figures.join('')}</div></section>`;
}

const MAX_OVERLAYS = 12;

function overlaySection(dataset: string, stats: DatasetStats, width: number): { html: string; count: number } {
  const dir = join(dataset, 'inspect');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => /^\d{6}_\d{6}\.png$/.test(f)).sort() : [];
  const title = 'Label overlays';
  if (!files.length) {
    return { html: `<section class="card wide sheet" data-sheet="overlays" data-empty="true"><h2>${title}</h2><p class="nodata">No overlays in inspect/: run <code>robosynth inspect ${h(dataset)}</code> to draw masks, boxes, 3D boxes and pose axes from the labels.</p></section>`, count: 0 };
  }
  const chosen = evenlySpread(files, MAX_OVERLAYS);
  const figures = chosen.map((f) => {
    const panels = stats.width ? Math.max(1, Math.round(pngWidth(join(dir, f)) / stats.width)) : 1;
    const t = thumbnail(join(dir, f), width * panels);
    const name = f.replace('.png', '').replace('_', '/');
    return `<figure><img src="${t.uri}" width="${t.width}" height="${t.height}" alt="${h(`${name} overlay`)}"><figcaption>${h(name)}</figcaption></figure>`;
  });
  return {
    html: `<section class="card wide sheet" data-sheet="overlays"><h2>${title}</h2><p class="caption">${h(`${chosen.length} of the ${files.length} overlays robosynth inspect wrote into inspect/: visible masks tinted, visible (solid) and amodal (dashed) boxes, 3D boxes and pose axes (x red, y green, z blue) from the written labels.`)}</p><div class="thumbs">${figures.join('')}</div></section>`,
    count: chosen.length,
  };
}

/** A PNG's width from its IHDR chunk (bytes 16..19), without decoding it; 0 when unreadable. */
function pngWidth(path: string): number {
  const head = Buffer.alloc(24);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    return readSync(fd, head, 0, 24, 0) === 24 ? head.readUInt32BE(16) : 0;
  } catch {
    return 0;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;background:#f3f4f6;color:#1f2937;font:14px/1.45 "Liberation Sans",Arial,Helvetica,sans-serif}
header{background:#1f2937;color:#f9fafb;padding:18px 28px}
header h1{margin:0 0 8px;font-size:22px;font-weight:bold}
header dl{display:grid;grid-template-columns:max-content 1fr;gap:3px 16px;margin:0}
header dt{color:#9ca3af}
header dd{margin:0;word-break:break-all}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:18px;padding:18px 28px}
.card{background:#fff;border:1px solid #d1d5db;border-radius:6px;padding:12px 16px}
.card h2{margin:0 0 8px;font-size:16px}
.wide{grid-column:1/-1}
.chart-box svg{display:block;max-width:100%;height:auto}
.caption{color:#4b5563;font-size:12.5px;margin:6px 0}
.note{color:#4b5563;font-size:12px;margin:6px 0}
.nodata{background:#fef3c7;border:1px solid #f59e0b;color:#78350f;border-radius:4px;padding:10px 12px;margin:6px 0}
table.stats{border-collapse:collapse;font-size:12px;margin:6px 0}
table.stats th,table.stats td{border:1px solid #e5e7eb;padding:2px 7px;text-align:right}
table.stats th{background:#f9fafb;font-weight:bold}
.thumbs{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:0}
.pair{display:flex;gap:2px}
figure img{display:block;image-rendering:auto;border:1px solid #d1d5db}
figcaption{font-size:12px;color:#374151;margin-top:2px}
code{font-family:"Liberation Mono",monospace;font-size:12.5px}
footer{padding:4px 28px 20px;color:#6b7280;font-size:12px}
`;

function header(s: DatasetStats): string {
  const rows: [string, string][] = [
    ['Dataset', s.dataset],
    ['Scene', s.scene ?? 'unknown (no robosynth.json)'],
    ['Frames', `${s.frames.length} in ${plural(s.chunks.length, 'chunk')} (${s.chunks.join(', ')})`],
    ['Image size', s.width !== undefined ? `${s.width}×${s.height} px` : 'unknown (no camera.json)'],
    ['Classes', s.classes.length ? s.classes.join(', ') : s.classCounts.map((c) => c.name).join(', ') || 'none'],
    ...(s.robots.length ? [['Robots', s.robots.join(', ')] as [string, string]] : []),
    ['Instances', String(s.classCounts.reduce((n, c) => n + c.instances, 0))],
    ['Refined images', s.refinedFrames ? `${s.refinedFrames} of ${s.frames.length} frames (rgb_refined/)` : 'none'],
    ['Render runs', s.runs.length ? String(s.runs.length) : 'no robosynth_runs.json'],
    ...(s.sensor ? [['Sensor effects', Object.entries(s.sensor.fired).map(([effect, n]) => `${effect} in ${n} of ${s.sensor!.frames}`).join(', ') || `none fired in ${s.sensor.frames} frames`] as [string, string]] : []),
  ];
  return `<header><h1>robosynth dataset report: ${h(basename(s.dataset))}</h1><dl>${rows.map(([k, v]) => `<dt>${h(k)}</dt><dd>${h(v)}</dd>`).join('')}</dl></header>`;
}

/** Builds the HTML (see the module comment) from the charts and the ready-made contact sheet and overlay sections. */
export function reportHtml(stats: DatasetStats, plots: Plot[], sheet: string, overlays: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>robosynth report: ${h(basename(stats.dataset))}</title>
<style>${CSS}</style></head>
<body>${header(stats)}
<main>
${plots.map(plotSection).join('\n')}
${sheet}
${overlays}
</main>
<footer>Written by robosynth report from the files in ${h(stats.dataset)}; self-contained (no network). Hover a bar or dot for its value.</footer>
</body></html>
`;
}

/** Reads the dataset, draws every chart and thumbnail, writes the HTML file; returns its summary. */
export async function writeReport(options: ReportOptions): Promise<ReportSummary> {
  const stats = readDatasetStats(options.dataset);
  const sheetCount = options.sheet ?? 24;
  const thumbWidth = options.thumbnailWidth ?? 160;
  const step = options.pixelStep ?? 4;
  // Raw and refined over the same frames: those with a refined image when there are any.
  const withRefined = stats.frames.filter((f) => f.refined);
  const pixelFrames = evenlySpread(withRefined.length ? withRefined : stats.frames, options.pixelFrames ?? 100).filter((f) => existsSync(f.rgb));
  const raw = pixelStats(pixelFrames.map((f) => f.rgb), step);
  const refined = withRefined.length ? pixelStats(pixelFrames.map((f) => f.refined!), step) : undefined;

  const plots: Plot[] = [instancesPlot(stats), visibilityPlot(stats), distancePlot(stats), viewpointPlot(stats), objectsPlot(stats), pixelPlot(raw, refined, stats, step), ...timingPlots(stats.runs)];
  const sheetFrames = evenlySpread(stats.frames.filter((f) => existsSync(f.rgb)), sheetCount);
  const entries: SheetEntry[] = sheetFrames.map((frame) => ({ frame, raw: thumbnail(frame.rgb, thumbWidth), ...(frame.refined ? { refined: thumbnail(frame.refined, thumbWidth) } : {}) }));
  const overlays = overlaySection(stats.dataset, stats, thumbWidth);
  const html = reportHtml(stats, plots, sheetSection(entries, sheetCount, stats.frames.length), overlays.html);

  const out = resolve(options.out ?? join(stats.dataset, 'report.html'));
  if (existsSync(out) && statSync(out).isDirectory()) throw new UserError(`${options.out ?? out}: is a folder (expected the path of the HTML file to write, e.g. ${join(options.out ?? out, 'report.html')})`);
  mkdirSync(dirname(out), { recursive: true });
  await writeFileAtomic(out, html);
  return {
    report: out,
    dataset: stats.dataset,
    frames: stats.frames.length,
    instances: stats.classCounts.reduce((n, c) => n + c.instances, 0),
    classes: stats.classCounts.length,
    plots: plots.filter((p) => p.svg !== undefined).map((p) => p.name),
    empty: plots.filter((p) => p.svg === undefined).map((p) => p.name),
    thumbnails: entries.reduce((n, e) => n + 1 + (e.refined ? 1 : 0), 0) + overlays.count,
    bytes: Buffer.byteLength(html),
  };
}
