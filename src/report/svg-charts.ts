/**
 * Small, dependency-free SVG charts for the dataset report (`robosynth report`): bar charts
 * (grouped series), histograms (bars or overlaid step lines), line charts and scatter plots,
 * each with axes, tick labels, axis titles and a legend. Drawn in Node as SVG strings meant to be
 * inlined in HTML (no xmlns, no scripts, no external references). Every data mark carries
 * class="mark" and a <title> with its exact value, so a browser shows it on hover and a test can
 * tell data from axes.
 */

/** A fixed palette (Tableau 10): series colours never depend on the data. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'] as const;

const AXIS = '#4b5563';
const GRID = '#e5e7eb';
const TEXT = '#1f2937';
const FONT = 'font-family="Liberation Sans, Arial, Helvetica, sans-serif"';

export const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** Round to 2 decimals for coordinates: smaller SVG, same picture. */
const r2 = (v: number): string => String(Math.round(v * 100) / 100);

/** Decimal places a step needs (0.25 -> 2, 5 -> 0). */
function decimalsOf(step: number): number {
  let d = 0;
  while (d < 10 && Math.abs(step * 10 ** d - Math.round(step * 10 ** d)) > 1e-6) d++;
  return d;
}

/** The "nice" step (1, 2 or 5 times a power of ten) that cuts [min, max] into about `target` parts. */
export function niceStep(min: number, max: number, target = 5, integer = false): number {
  const span = max - min;
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, target);
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const step = (fraction <= 1.5 ? 1 : fraction <= 3 ? 2 : fraction <= 7 ? 5 : 10) * power;
  return integer ? Math.max(1, Math.round(step)) : step;
}

/** Ticks at multiples of a nice step inside [min, max], ascending; `integer` keeps them whole. */
export function niceTicks(min: number, max: number, target = 5, integer = false): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max < min) [min, max] = [max, min];
  if (max === min) return [min];
  const step = niceStep(min, max, target, integer);
  const decimals = decimalsOf(step);
  const ticks: number[] = [];
  for (let k = Math.ceil(min / step - 1e-9); k * step <= max + step * 1e-9; k++) ticks.push(Number((k * step).toFixed(decimals)));
  return ticks;
}

/** [min, max] widened outwards to multiples of its nice step (a zero-width span gets room around it). */
export function niceDomain(min: number, max: number, target = 5, integer = false): [number, number] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (max < min) [min, max] = [max, min];
  if (max === min) return min === 0 ? [0, 1] : [min - Math.abs(min) * 0.1, max + Math.abs(max) * 0.1];
  const step = niceStep(min, max, target, integer);
  const decimals = decimalsOf(step);
  return [Number((Math.floor(min / step + 1e-9) * step).toFixed(decimals)), Number((Math.ceil(max / step - 1e-9) * step).toFixed(decimals))];
}

/** A tick label: as many decimals as the tick step needs, thousands kept short (12k). */
export function formatTick(value: number, step: number): string {
  if (Math.abs(value) >= 10000 && step >= 1000) return `${Number((value / 1000).toFixed(decimalsOf(step / 1000)))}k`;
  return value.toFixed(decimalsOf(step));
}

/** A number for a tooltip or table: up to 3 significant decimals, no trailing zeros. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  return String(Number(value.toFixed(abs >= 100 ? 1 : abs >= 1 ? 2 : 3)));
}

export interface Binned {
  /** bins + 1 ascending edges; bin k is [edges[k], edges[k+1]), the last one closed. */
  edges: number[];
  counts: number[];
  /** Values left out: below the first edge, above the last, and not finite. */
  below: number;
  above: number;
  invalid: number;
}

/** Count values into `bins` equal bins over [min, max] (max itself goes into the last bin). */
export function binValues(values: Iterable<number>, bins: number, min: number, max: number): Binned {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`binValues: bins must be a positive integer, got ${bins}`);
  if (!(max > min)) throw new RangeError(`binValues: need min < max, got [${min}, ${max}]`);
  const width = (max - min) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, k) => (k === bins ? max : min + k * width));
  const counts = new Array<number>(bins).fill(0);
  let below = 0, above = 0, invalid = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) invalid++;
    else if (v < min) below++;
    else if (v > max) above++;
    else counts[Math.min(bins - 1, Math.floor((v - min) / width))]++;
  }
  return { edges, counts, below, above, invalid };
}

/**
 * Integer values (counts per image, say) into one bin per integer, or per `width` integers when
 * they span more than maxBins. Bins start at 0, unless every value lies above half the largest
 * (then two below the smallest, and run two past the largest, so 16..18 objects do not sit in a
 * corner and a single value does not fill the chart).
 */
export function binIntegers(values: number[], maxBins = 40): Binned {
  const min = values.length ? Math.min(...values) : 0;
  const max = values.length ? Math.max(...values) : 0;
  // Away from 0, two empty bins either side keep a single value from filling the chart.
  const away = min < 0 || min > max / 2;
  const lo = away ? (min < 0 ? min - 2 : Math.max(0, min - 2)) : 0;
  const hi = away ? max + 2 : max;
  const width = Math.max(1, Math.ceil((hi - lo + 1) / maxBins));
  const bins = Math.ceil((hi - lo + 1) / width);
  const edges = Array.from({ length: bins + 1 }, (_, k) => lo - 0.5 + k * width);
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.floor((v - lo) / width)]++;
  return { edges, counts, below: 0, above: 0, invalid: 0 };
}

interface Box {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

const DEFAULT_SIZE = { width: 520, height: 300 };

function box(width: number, height: number, bottom = 48, left = 58): Box {
  return { width, height, left, right: 14, top: 14, bottom };
}

const plotW = (b: Box) => b.width - b.left - b.right;
const plotH = (b: Box) => b.height - b.top - b.bottom;

function scale(domain: [number, number], range: [number, number]): (v: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  return (v: number) => r0 + (v - d0) * k;
}

function svgOpen(b: Box, title: string): string {
  return `<svg class="chart" role="img" viewBox="0 0 ${b.width} ${b.height}" width="${b.width}" height="${b.height}" ${FONT} font-size="11"><title>${escapeXml(title)}</title>`;
}

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${r2(x)}" y="${r2(y)}" fill="${TEXT}" ${attrs}>${escapeXml(s)}</text>`;
}

/** Left axis with grid lines and tick labels, and its title rotated along it. */
function yAxis(b: Box, domain: [number, number], label: string, integer = false): { svg: string; y: (v: number) => number } {
  const y = scale(domain, [b.height - b.bottom, b.top]);
  const ticks = niceTicks(domain[0], domain[1], 5, integer);
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
  let svg = '';
  for (const t of ticks) {
    svg += `<line x1="${b.left}" x2="${b.width - b.right}" y1="${r2(y(t))}" y2="${r2(y(t))}" stroke="${GRID}"/>`;
    svg += text(b.left - 6, y(t) + 4, formatTick(t, step), 'text-anchor="end" class="tick"');
  }
  svg += `<line x1="${b.left}" x2="${b.left}" y1="${b.top}" y2="${b.height - b.bottom}" stroke="${AXIS}"/>`;
  svg += text(14, b.top + plotH(b) / 2, label, `text-anchor="middle" transform="rotate(-90 14 ${r2(b.top + plotH(b) / 2)})" class="axis-title"`);
  return { svg, y };
}

/** Bottom axis for a numeric domain: ticks (nice, or the given ones) with labels, and its title. */
function xAxisNumeric(b: Box, domain: [number, number], label: string, ticks?: number[], integer = false): { svg: string; x: (v: number) => number } {
  const x = scale(domain, [b.left, b.width - b.right]);
  const at = ticks ?? niceTicks(domain[0], domain[1], Math.max(3, Math.floor(plotW(b) / 70)), integer);
  const step = at.length > 1 ? at[1] - at[0] : 1;
  const base = b.height - b.bottom;
  let svg = `<line x1="${b.left}" x2="${b.width - b.right}" y1="${base}" y2="${base}" stroke="${AXIS}"/>`;
  for (const t of at) {
    svg += `<line x1="${r2(x(t))}" x2="${r2(x(t))}" y1="${base}" y2="${base + 4}" stroke="${AXIS}"/>`;
    svg += text(x(t), base + 16, formatTick(t, step), 'text-anchor="middle" class="tick"');
  }
  svg += text(b.left + plotW(b) / 2, b.height - 8, label, 'text-anchor="middle" class="axis-title"');
  return { svg, x };
}

interface LegendEntry {
  name: string;
  color: string;
  /** Drawn as a line sample (dashed or not) instead of a swatch. */
  dash?: boolean;
}

const LEGEND_ROW = 16;
const legendWidth = (e: LegendEntry) => e.name.length * 6.2 + 34;

/** Legend entries packed into rows over the plot's width (nothing for a single series). */
function legendRows(entries: LegendEntry[], width: number): LegendEntry[][] {
  if (entries.length < 2) return [];
  const rows: LegendEntry[][] = [[]];
  let used = 0;
  for (const e of entries) {
    if (used + legendWidth(e) > width && rows[rows.length - 1].length) {
      rows.push([]);
      used = 0;
    }
    rows[rows.length - 1].push(e);
    used += legendWidth(e);
  }
  return rows;
}

/** The legend above the plot area (b.top leaves room for it: see withLegend). */
function legend(b: Box, entries: LegendEntry[]): string {
  const rows = legendRows(entries, plotW(b));
  if (!rows.length) return '';
  let svg = '<g class="legend">';
  rows.forEach((row, r) => {
    let x = b.left;
    const yy = 10 + r * LEGEND_ROW;
    for (const e of row) {
      svg += e.dash !== undefined
        ? `<line x1="${r2(x)}" x2="${r2(x + 16)}" y1="${r2(yy)}" y2="${r2(yy)}" stroke="${e.color}" stroke-width="2"${e.dash ? ' stroke-dasharray="4 2"' : ''}/>`
        : `<rect x="${r2(x + 3)}" y="${r2(yy - 5)}" width="10" height="10" fill="${e.color}"/>`;
      svg += text(x + 20, yy + 4, e.name);
      x += legendWidth(e);
    }
  });
  return svg + '</g>';
}

/** The box with its top margin grown to hold the legend's rows. */
function withLegend(b: Box, entries: LegendEntry[]): Box {
  const rows = legendRows(entries, plotW(b)).length;
  return rows ? { ...b, top: b.top + rows * LEGEND_ROW } : b;
}

export interface BarSeries {
  name: string;
  values: number[];
  color?: string;
}

export interface BarChartOptions {
  title: string;
  categories: string[];
  series: BarSeries[];
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  /** Whole-number axis (counts). */
  integer?: boolean;
  /** Tooltip text of a value (default formatValue). */
  format?: (value: number) => string;
}

/** Vertical bars, one group per category and one bar per series in it; long labels are slanted. */
export function barChart(o: BarChartOptions): string {
  const width = o.width ?? DEFAULT_SIZE.width;
  const longest = Math.max(1, ...o.categories.map((c) => c.length));
  const band0 = (width - 72) / Math.max(1, o.categories.length);
  const slant = longest * 6.2 > band0 - 4;
  const legendEntries = o.series.map((se, k) => ({ name: se.name, color: se.color ?? PALETTE[k % PALETTE.length] }));
  const b = withLegend(box(width, o.height ?? DEFAULT_SIZE.height, slant ? Math.min(110, 40 + longest * 4.6) : 48), legendEntries);
  const max = Math.max(0, ...o.series.flatMap((s) => s.values.filter(Number.isFinite)));
  const domain = niceDomain(0, max, 5, o.integer);
  const { svg: ySvg, y } = yAxis(b, domain, o.yLabel, o.integer);
  const band = plotW(b) / Math.max(1, o.categories.length);
  // Bars at most 60 px wide, however few the categories.
  const inner = Math.min(band * 0.8, 60 * o.series.length);
  const barW = inner / Math.max(1, o.series.length);
  const base = b.height - b.bottom;
  const fmt = o.format ?? formatValue;
  let marks = '';
  o.categories.forEach((category, i) => {
    o.series.forEach((s, k) => {
      const v = s.values[i];
      if (!(v > 0)) return;
      const x = b.left + i * band + (band - inner) / 2 + k * barW;
      const top = y(v);
      const name = o.series.length > 1 ? `${category}, ${s.name}` : category;
      marks += `<rect class="mark" x="${r2(x)}" y="${r2(top)}" width="${r2(Math.max(1, barW - 1))}" height="${r2(Math.max(1, base - top))}" fill="${s.color ?? PALETTE[k % PALETTE.length]}"><title>${escapeXml(`${name}: ${fmt(v)}`)}</title></rect>`;
    });
  });
  let xSvg = `<line x1="${b.left}" x2="${b.width - b.right}" y1="${base}" y2="${base}" stroke="${AXIS}"/>`;
  o.categories.forEach((category, i) => {
    const cx = b.left + (i + 0.5) * band;
    xSvg += slant
      ? text(cx + 3, base + 12, category, `text-anchor="end" transform="rotate(-35 ${r2(cx + 3)} ${r2(base + 12)})" class="tick"`)
      : text(cx, base + 16, category, 'text-anchor="middle" class="tick"');
  });
  xSvg += text(b.left + plotW(b) / 2, b.height - 6, o.xLabel, 'text-anchor="middle" class="axis-title"');
  return `${svgOpen(b, o.title)}${ySvg}${xSvg}<g class="marks">${marks}</g>${legend(b, legendEntries)}</svg>`;
}

export interface HistogramSeries {
  name: string;
  counts: number[];
  color?: string;
  dash?: boolean;
}

export interface HistogramOptions {
  title: string;
  /** Shared bin edges (counts.length + 1). */
  edges: number[];
  series: HistogramSeries[];
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  /** 'bars' (default; one series fills, several sit side by side in each bin) or 'steps' (overlaid outlines). */
  style?: 'bars' | 'steps';
  /** Explicit x ticks; default nice ticks over the edges. */
  xTicks?: number[];
  integerX?: boolean;
  integerY?: boolean;
  /** Tooltip text of a bin, default "[a, b): n". */
  binLabel?: (lo: number, hi: number) => string;
  format?: (value: number) => string;
}

/** Bars over the bins of a numeric axis (or, with style 'steps', one outline per series). */
export function histogramChart(o: HistogramOptions): string {
  const color = (k: number) => o.series[k].color ?? PALETTE[k % PALETTE.length];
  const legendEntries = o.series.map((se, k) => ({ name: se.name, color: color(k), ...(o.style === 'steps' ? { dash: !!se.dash } : {}) }));
  const b = withLegend(box(o.width ?? DEFAULT_SIZE.width, o.height ?? DEFAULT_SIZE.height), legendEntries);
  const edges = o.edges;
  const max = Math.max(0, ...o.series.flatMap((s) => s.counts));
  const { svg: ySvg, y } = yAxis(b, niceDomain(0, max, 5, o.integerY), o.yLabel, o.integerY);
  const { svg: xSvg, x } = xAxisNumeric(b, [edges[0], edges[edges.length - 1]], o.xLabel, o.xTicks, o.integerX);
  const base = b.height - b.bottom;
  const fmt = o.format ?? formatValue;
  const binLabel = o.binLabel ?? ((lo: number, hi: number) => `[${formatValue(lo)}, ${formatValue(hi)})`);
  let marks = '';
  if ((o.style ?? 'bars') === 'bars') {
    o.series.forEach((s, k) => {
      s.counts.forEach((c, i) => {
        if (!(c > 0)) return;
        const x0 = x(edges[i]), x1 = x(edges[i + 1]);
        const w = (x1 - x0) / o.series.length;
        const top = y(c);
        marks += `<rect class="mark" x="${r2(x0 + k * w + 0.5)}" y="${r2(top)}" width="${r2(Math.max(1, w - 1))}" height="${r2(Math.max(1, base - top))}" fill="${color(k)}"><title>${escapeXml(`${o.series.length > 1 ? s.name + ' ' : ''}${binLabel(edges[i], edges[i + 1])}: ${fmt(c)}`)}</title></rect>`;
      });
    });
  } else {
    o.series.forEach((s, k) => {
      const points: string[] = [];
      s.counts.forEach((c, i) => {
        points.push(`${r2(x(edges[i]))},${r2(y(c))}`, `${r2(x(edges[i + 1]))},${r2(y(c))}`);
      });
      marks += `<polyline class="mark" points="${points.join(' ')}" fill="none" stroke="${color(k)}" stroke-width="1.6"${s.dash ? ' stroke-dasharray="5 3"' : ''} stroke-linejoin="round"><title>${escapeXml(s.name)}</title></polyline>`;
    });
  }
  return `${svgOpen(b, o.title)}${ySvg}${xSvg}<g class="marks">${marks}</g>${legend(b, legendEntries)}</svg>`;
}

export interface ScatterOptions {
  title: string;
  points: { x: number; y: number; label?: string }[];
  xDomain: [number, number];
  yDomain: [number, number];
  xLabel: string;
  yLabel: string;
  xTicks?: number[];
  color?: string;
  width?: number;
  height?: number;
  radius?: number;
}

/** Dots (half transparent, so piles show) over two numeric axes. */
export function scatterChart(o: ScatterOptions): string {
  const b = box(o.width ?? DEFAULT_SIZE.width, o.height ?? DEFAULT_SIZE.height);
  const { svg: ySvg, y } = yAxis(b, o.yDomain, o.yLabel);
  const { svg: xSvg, x } = xAxisNumeric(b, o.xDomain, o.xLabel, o.xTicks);
  const color = o.color ?? PALETTE[0];
  // Few dots drawn bigger, so a handful of frames still reads at a glance.
  const radius = o.radius ?? (o.points.length <= 50 ? 5 : o.points.length <= 1000 ? 3.5 : 2.5);
  let marks = '';
  for (const p of o.points) {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) continue;
    marks += `<circle class="mark" cx="${r2(x(p.x))}" cy="${r2(y(p.y))}" r="${radius}" fill="${color}" fill-opacity="0.6">${p.label ? `<title>${escapeXml(p.label)}</title>` : ''}</circle>`;
  }
  return `${svgOpen(b, o.title)}${ySvg}${xSvg}<g class="marks">${marks}</g></svg>`;
}
