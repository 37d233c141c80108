// Opens a `robosynth report` HTML file in real headless Chromium and measures what drew: every
// network request the page made, and for each [data-plot] element its box, its SVG's data marks
// (rect/path/circle/polyline with class "mark" and a nonzero size), and, in a full-page screenshot,
// how many pixels inside the chart differ from the card's background and how many carry one of the
// marks' own colours. Thumbnails ([data-sheet] img) must have loaded and painted. Shared by the
// report test and the shipped-scenes test.
import { PNG } from 'pngjs';
import type { Browser } from 'puppeteer';
import { expect } from 'vitest';

/** The charts every report has, in page order (a plot may be "no data" only where a test says so). */
export const EXPECTED_PLOTS = ['instances-per-class', 'visibility', 'distance', 'viewpoint', 'objects-per-image', 'pixel-stats', 'timing-fps', 'timing-stages'];

export interface PlotCheck {
  name: string;
  empty: boolean;
  /** The chart's <svg> box in page pixels. */
  box: { x: number; y: number; width: number; height: number };
  /** Data marks with a nonzero size. */
  marks: number;
  /** Share of the chart's pixels that differ from its background. */
  inked: number;
  /** Pixels in the marks' area within a small distance of a mark's fill or stroke colour. */
  markPixels: number;
}

export interface ReportCheck {
  requests: string[];
  plots: PlotCheck[];
  thumbnails: { count: number; loaded: number; inked: number };
  title: string;
}

interface PageMeasure {
  plots: { name: string; empty: boolean; box: PlotCheck['box']; marks: number; colors: [number, number, number][]; markBox?: PlotCheck['box'] }[];
  thumbs: { box: PlotCheck['box']; loaded: boolean }[];
  title: string;
}

function region(shot: PNG, box: PlotCheck['box']): { x0: number; y0: number; x1: number; y1: number } {
  return { x0: Math.max(0, Math.floor(box.x)), y0: Math.max(0, Math.floor(box.y)), x1: Math.min(shot.width, Math.ceil(box.x + box.width)), y1: Math.min(shot.height, Math.ceil(box.y + box.height)) };
}

/** Share of pixels in the box further than 24 levels (any channel) from its most common colour. */
function inkedShare(shot: PNG, box: PlotCheck['box']): number {
  const { x0, y0, x1, y1 } = region(shot, box);
  const freq = new Map<number, number>();
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) {
    const o = (y * shot.width + x) * 4;
    const key = (shot.data[o] << 16) | (shot.data[o + 1] << 8) | shot.data[o + 2];
    freq.set(key, (freq.get(key) ?? 0) + 1);
  }
  const bg = [...freq.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 0xffffff;
  const bgc = [bg >> 16, (bg >> 8) & 255, bg & 255];
  let inked = 0, total = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) {
    const o = (y * shot.width + x) * 4;
    total++;
    if ([0, 1, 2].some((c) => Math.abs(shot.data[o + c] - bgc[c]) > 24)) inked++;
  }
  return total ? inked / total : 0;
}

function colourPixels(shot: PNG, box: PlotCheck['box'], colors: [number, number, number][]): number {
  const { x0, y0, x1, y1 } = region(shot, box);
  let n = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) {
    const o = (y * shot.width + x) * 4;
    if (colors.some((c) => Math.abs(shot.data[o] - c[0]) + Math.abs(shot.data[o + 1] - c[1]) + Math.abs(shot.data[o + 2] - c[2]) <= 30)) n++;
  }
  return n;
}

/** Loads the report from file:// in a new page of `browser`, measures it and closes the page. */
export async function checkReport(browser: Browser, file: string): Promise<ReportCheck> {
  const page = await browser.newPage();
  try {
    await page.setViewport({ width: 1280, height: 900, deviceScaleFactor: 1 });
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    const measure = await page.evaluate((): PageMeasure => {
      const pageBox = (el: Element) => {
        const r = el.getBoundingClientRect();
        return { x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height };
      };
      const rgb = (css: string): [number, number, number] | undefined => {
        const m = /^rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)$/.exec(css);
        return m && (m[4] === undefined || Number(m[4]) > 0) ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
      };
      const plots = Array.from(document.querySelectorAll('[data-plot]')).map((el) => {
        const svg = el.querySelector('svg');
        let marks = 0;
        const colors: [number, number, number][] = [];
        // The union of the marks' boxes: the data area, without the legend's swatches.
        let union: { x0: number; y0: number; x1: number; y1: number } | undefined;
        for (const mark of svg ? Array.from(svg.querySelectorAll('rect.mark, path.mark, circle.mark, polyline.mark')) : []) {
          const b = (mark as SVGGraphicsElement).getBBox();
          const area = mark.tagName === 'rect' || mark.tagName === 'circle';
          if (area ? b.width > 0 && b.height > 0 : b.width > 0 || b.height > 0) marks++;
          const r = pageBox(mark);
          union = union
            ? { x0: Math.min(union.x0, r.x), y0: Math.min(union.y0, r.y), x1: Math.max(union.x1, r.x + r.width), y1: Math.max(union.y1, r.y + r.height) }
            : { x0: r.x, y0: r.y, x1: r.x + r.width, y1: r.y + r.height };
          const style = getComputedStyle(mark);
          // A half-transparent mark shows its colour over the white card.
          const over = (c: [number, number, number] | undefined, alpha: number) => c && c.map((v) => Math.round(v * alpha + 255 * (1 - alpha))) as [number, number, number];
          const opacity = Number(style.opacity);
          for (const c of [over(rgb(style.fill), Number(style.fillOpacity) * opacity), over(rgb(style.stroke), Number(style.strokeOpacity) * opacity)]) if (c && !colors.some((d) => d.join() === c.join())) colors.push(c);
        }
        const markBox = union && { x: union.x0 - 1, y: union.y0 - 1, width: union.x1 - union.x0 + 2, height: union.y1 - union.y0 + 2 };
        return { name: el.getAttribute('data-plot') ?? '', empty: el.hasAttribute('data-empty'), box: svg ? pageBox(svg) : pageBox(el), marks, colors, ...(markBox ? { markBox } : {}) };
      });
      const thumbs = Array.from(document.querySelectorAll('[data-sheet] img')).map((img) => ({ box: pageBox(img), loaded: (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0 }));
      return { plots, thumbs, title: document.title };
    });
    const shot = PNG.sync.read(Buffer.from(await page.screenshot({ fullPage: true, type: 'png' })));
    const plots = measure.plots.map((p) => ({
      name: p.name, empty: p.empty, box: p.box, marks: p.marks,
      inked: inkedShare(shot, p.box),
      markPixels: p.markBox ? colourPixels(shot, p.markBox, p.colors) : 0,
    }));
    const inkedThumbs = measure.thumbs.filter((t) => t.box.width > 0 && t.box.height > 0 && inkedShare(shot, t.box) > 0.05).length;
    return { requests, plots, thumbnails: { count: measure.thumbs.length, loaded: measure.thumbs.filter((t) => t.loaded).length, inked: inkedThumbs }, title: measure.title };
  } finally {
    await page.close();
  }
}

/**
 * The assertions both tests make: only file:// and data: requests; every expected plot present,
 * drawn (unless listed in `empty`), with a real box, marks, and ink of the marks' colours in the
 * screenshot; every thumbnail loaded and painted.
 */
export function expectReportDrew(check: ReportCheck, options: { empty?: string[]; thumbnails?: number } = {}): void {
  expect(check.requests.length).toBeGreaterThan(0);
  expect(check.requests.filter((url) => !url.startsWith('file://') && !url.startsWith('data:'))).toEqual([]);
  expect(check.plots.map((p) => p.name)).toEqual(EXPECTED_PLOTS);
  expect(check.plots.filter((p) => p.empty).map((p) => p.name)).toEqual(options.empty ?? []);
  for (const plot of check.plots.filter((p) => !p.empty)) {
    const summary = { name: plot.name, ...plot.box, marks: plot.marks, inked: plot.inked, markPixels: plot.markPixels };
    expect(plot.box.width, JSON.stringify(summary)).toBeGreaterThan(200);
    expect(plot.box.height, JSON.stringify(summary)).toBeGreaterThan(120);
    expect(plot.marks, JSON.stringify(summary)).toBeGreaterThan(0);
    // Not blank (axes, ticks and labels ink about 2 %), and the data drew in the marks' own colours.
    expect(plot.inked, JSON.stringify(summary)).toBeGreaterThan(0.015);
    expect(plot.markPixels, JSON.stringify(summary)).toBeGreaterThan(50);
  }
  if (options.thumbnails !== undefined) expect(check.thumbnails.count).toBe(options.thumbnails);
  expect(check.thumbnails.loaded).toBe(check.thumbnails.count);
  expect(check.thumbnails.inked).toBe(check.thumbnails.count);
}
