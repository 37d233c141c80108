// The report's chart helpers: binning counts every value once, ticks are ordered nice numbers
// inside the domain, and the drawn marks match the data (one bar per non-empty bin, heights in
// proportion to the counts, tick labels ascending, text escaped).
import { describe, expect, it } from 'vitest';
import { barChart, binIntegers, binValues, escapeXml, formatTick, histogramChart, niceDomain, niceTicks, scatterChart } from '../../src/report/svg-charts.js';

/** Attributes of every element `tag` with class="mark" in an SVG string. */
function marks(svg: string, tag: string): Record<string, string>[] {
  return [...svg.matchAll(new RegExp(`<${tag} class="mark"([^>]*)>`, 'g'))].map((m) => Object.fromEntries([...m[1].matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]])));
}

/** The text of every tick label, in document order. */
const tickLabels = (svg: string) => [...svg.matchAll(/<text [^>]*class="tick"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

/** A deterministic spread of values (no Math.random in tests). */
const values = Array.from({ length: 1000 }, (_, i) => ((i * 7919) % 1000) / 999);

describe('binValues', () => {
  it('puts every value in [min, max] in exactly one bin, max itself in the last', () => {
    const b = binValues(values, 20, 0, 1);
    expect(b.counts).toHaveLength(20);
    expect(b.edges).toHaveLength(21);
    expect(b.counts.reduce((a, c) => a + c, 0)).toBe(values.length);
    expect(binValues([1], 20, 0, 1).counts[19]).toBe(1);
    expect(binValues([0], 20, 0, 1).counts[0]).toBe(1);
    expect(b.edges[0]).toBe(0);
    expect(b.edges[20]).toBe(1);
    for (let k = 1; k < b.edges.length; k++) expect(b.edges[k]).toBeGreaterThan(b.edges[k - 1]);
  });

  it('counts what it leaves out', () => {
    const b = binValues([-1, 0.5, 2, NaN, Infinity], 4, 0, 1);
    expect([b.counts.reduce((a, c) => a + c, 0), b.below, b.above, b.invalid]).toEqual([1, 1, 1, 2]);
    expect(() => binValues([1], 0, 0, 1)).toThrow(RangeError);
    expect(() => binValues([1], 4, 1, 1)).toThrow(RangeError);
  });

  it('binIntegers: one bin per integer from 0 (or around the values when all are high), wider bins over a long span', () => {
    const b = binIntegers([3, 3, 5, 0, 7]);
    expect(b.edges[0]).toBe(-0.5);
    expect(b.counts).toEqual([1, 0, 0, 2, 0, 1, 0, 1]);
    const high = binIntegers([16, 18, 17, 17]);
    expect([high.edges[0], ...high.counts]).toEqual([13.5, 0, 0, 1, 2, 1, 0, 0]);
    expect(binIntegers([10, 10]).counts).toEqual([0, 0, 2, 0, 0]);
    const wide = binIntegers(Array.from({ length: 200 }, (_, i) => i), 40);
    expect(wide.counts.length).toBeLessThanOrEqual(40);
    expect(wide.counts.reduce((a, c) => a + c, 0)).toBe(200);
    expect(wide.counts.every((c) => c === 5)).toBe(true);
  });
});

describe('ticks and domains', () => {
  it.each([[0, 1], [0.652, 1.23], [0, 37], [-180, 180], [3, 3.02], [0, 123456], [-7.5, -0.2]])('niceTicks(%d, %d): ascending, evenly stepped by 1, 2 or 5 x 10^k, inside the range', (lo, hi) => {
    const ticks = niceTicks(lo, hi);
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(ticks.length).toBeLessThanOrEqual(11);
    const step = ticks[1] - ticks[0];
    const mantissa = step / 10 ** Math.floor(Math.log10(step));
    expect([1, 2, 5, 10].some((m) => Math.abs(mantissa - m) < 1e-6)).toBe(true);
    for (let k = 1; k < ticks.length; k++) expect(ticks[k] - ticks[k - 1]).toBeCloseTo(step, 9);
    expect(ticks[0]).toBeGreaterThanOrEqual(lo - 1e-9);
    expect(ticks[ticks.length - 1]).toBeLessThanOrEqual(hi + 1e-9);
  });

  it('integer ticks stay whole, and domains cover the data on tick multiples', () => {
    expect(niceTicks(-0.5, 3.5, 10, true)).toEqual([0, 1, 2, 3]);
    expect(niceDomain(0.652, 1.23)).toEqual([0.6, 1.3]);
    expect(niceDomain(0, 0)).toEqual([0, 1]);
    const [lo, hi] = niceDomain(3, 3);
    expect(lo).toBeLessThan(3);
    expect(hi).toBeGreaterThan(3);
    expect(formatTick(0.30000000000000004, 0.1)).toBe('0.3');
    expect(formatTick(20000, 5000)).toBe('20k');
  });
});

describe('charts', () => {
  it('a histogram draws one bar per non-empty bin, heights in proportion to the counts', () => {
    const b = binValues(values, 20, 0, 1);
    b.counts[3] = 0;
    const svg = histogramChart({ title: 't', edges: b.edges, series: [{ name: 'n', counts: b.counts }], xLabel: 'x', yLabel: 'y' });
    const bars = marks(svg, 'rect');
    expect(bars).toHaveLength(b.counts.filter((c) => c > 0).length);
    const nonEmpty = b.counts.filter((c) => c > 0);
    const perUnit = Number(bars[0].height) / nonEmpty[0];
    bars.forEach((bar, i) => expect(Number(bar.height)).toBeCloseTo(nonEmpty[i] * perUnit, 1));
    // Bars left to right, none overlapping.
    for (let i = 1; i < bars.length; i++) expect(Number(bars[i].x)).toBeGreaterThanOrEqual(Number(bars[i - 1].x) + Number(bars[i - 1].width));
    // Y labels bottom-up, then x labels left to right: each run ascending.
    const labels = tickLabels(svg).map(Number);
    const split = labels.findIndex((v, i) => i > 0 && v < labels[i - 1]);
    const [ys, xs] = [labels.slice(0, split), labels.slice(split)];
    expect(ys).toEqual([...ys].sort((a, c) => a - c));
    expect(xs).toEqual([...xs].sort((a, c) => a - c));
    expect(xs[0]).toBe(0);
    expect(xs[xs.length - 1]).toBe(1);
    expect(Math.max(...ys)).toBeGreaterThanOrEqual(Math.max(...b.counts));
  });

  it('a step histogram draws one outline per series with a legend', () => {
    const edges = [0, 1, 2, 3];
    const svg = histogramChart({ title: 't', edges, style: 'steps', series: [{ name: 'raw', counts: [1, 2, 3] }, { name: 'refined', counts: [3, 2, 1], dash: true }], xLabel: 'x', yLabel: 'y' });
    const lines = marks(svg, 'polyline');
    expect(lines).toHaveLength(2);
    expect(lines[0].points.split(' ')).toHaveLength(6);
    expect(lines[1]['stroke-dasharray']).toBeDefined();
    expect(svg).toContain('>refined</text>');
  });

  it('a bar chart draws every positive value, groups series, and escapes names', () => {
    const svg = barChart({ title: 'a <b> & c', categories: ['<crate>', 'can', 'ball'], series: [{ name: 'all', values: [3, 0, 5] }, { name: 'visible', values: [2, 0, 5] }], xLabel: 'class', yLabel: 'instances', integer: true });
    expect(marks(svg, 'rect')).toHaveLength(4);
    expect(svg).toContain('&lt;crate&gt;');
    expect(svg).not.toContain('<crate>');
    expect(svg).toContain('<title>a &lt;b&gt; &amp; c</title>');
    expect(tickLabels(svg).slice(0, 6).map(Number).every(Number.isInteger)).toBe(true);
    expect(escapeXml(`"'`)).toBe('&quot;&#39;');
  });

  it('a scatter plot draws one dot per finite point, inside the plot area', () => {
    const svg = scatterChart({ title: 't', points: [{ x: -180, y: 0 }, { x: 0, y: 45 }, { x: 180, y: 90 }, { x: NaN, y: 1 }], xDomain: [-180, 180], yDomain: [0, 90], xLabel: 'az', yLabel: 'el' });
    const dots = marks(svg, 'circle');
    expect(dots).toHaveLength(3);
    const xs = dots.map((d) => Number(d.cx)), ys = dots.map((d) => Number(d.cy));
    expect(xs[0]).toBeLessThan(xs[1]);
    expect(xs[1]).toBeLessThan(xs[2]);
    expect(ys[0]).toBeGreaterThan(ys[1]);
    expect(ys[1]).toBeGreaterThan(ys[2]);
    expect(svg).not.toMatch(/https?:/);
  });
});
