import { describe, expect, it } from 'vitest';
import { NORM_NAMES, type NormName } from '../../experiment/config.js';
import { OKABE_ITO, normStyle } from '../../experiment/style.js';
import { escapeXml, linearTicks, log2Ticks, markerPath, plotChart, xAxis, zoomRange, type MarkerShape, type PlotSeries } from '../../experiment/svg.js';
import { deepText, findAll, parseXml, type XmlElement } from './xml.js';

/** The [x, y] vertices of a path made of M/L commands. */
function vertices(d: string): [number, number][] {
  return [...d.matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

/** Tick value → px position, from the gridlines (checked against the tick labels). */
function tickPositions(doc: XmlElement, axis: 'x-ticks' | 'y-ticks'): Map<number, number> {
  const lines = findAll(doc, 'line', { class: axis === 'x-ticks' ? 'grid-x' : 'grid-y' });
  const labels = findAll(findAll(doc, 'g', { class: axis })[0]!, 'text').map((t) => Number(t.text.replace(/,/g, '')));
  expect(lines.map((l) => Number(l.attrs['data-value']))).toEqual(labels);
  return new Map(lines.map((l) => [Number(l.attrs['data-value']), Number(l.attrs[axis === 'x-ticks' ? 'x1' : 'y1'])]));
}

describe('ticks and ranges', () => {
  it('linear ticks are 1, 2, 5 × 10^k steps covering the range', () => {
    expect(linearTicks(0, 100, 6)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(linearTicks(0, 0.5, 6)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5]);
  });
  it('log-2 ticks are the powers of two around the range; a non-positive range is an error', () => {
    expect(log2Ticks(1, 32)).toEqual([1, 2, 4, 8, 16, 32]);
    expect(log2Ticks(3, 20)).toEqual([2, 4, 8, 16, 32]);
    expect(() => log2Ticks(0, 8)).toThrow(/0 < lo/);
  });
  it('the zoomed range holds every value, is rounded to its ticks and stays inside the limits', () => {
    for (const values of [[84.2, 91.7], [3.6, 14.4], [95.6, 96.4], [99.1, 99.96], [50]]) {
      const r = zoomRange(values, { min: 0, max: 100 });
      for (const v of values) {
        expect(v).toBeGreaterThan(r.min);
        expect(v).toBeLessThan(r.max);
      }
      expect(r.ticks[0]).toBe(r.min);
      expect(r.ticks[r.ticks.length - 1]).toBe(r.max);
      expect(r.max).toBeLessThanOrEqual(100);
      expect(r.ticks.length).toBeGreaterThanOrEqual(3);
      expect(r.ticks.length).toBeLessThanOrEqual(9);
    }
    // zoomed, not from 0: the differences between 84 and 92 fill the plot
    expect(zoomRange([84.2, 91.7]).min).toBeGreaterThan(80);
  });
  it('a minimum span widens a range around its middle, inside the limits', () => {
    const r = zoomRange([95.8, 96.0], { minSpan: 3.5 });
    expect(r.max - r.min).toBeGreaterThanOrEqual(3.5);
    expect((r.max + r.min) / 2).toBeCloseTo(95.9, 0);
    const top = zoomRange([99.5, 99.9], { max: 100, minSpan: 4 });
    expect(top.max).toBe(100);
    expect(top.max - top.min).toBeGreaterThanOrEqual(4);
  });
  it('tick labels along an axis share their number of decimals', () => {
    const doc = parseXml(plotChart({ title: 't', xLabel: 'x', yLabel: 'y', xScale: 'linear', yMin: 95.4, yMax: 96.6,
      series: [{ id: 's', label: 's', style: { color: '#000000', marker: 'circle' }, points: [{ x: 0, y: 95.8 }, { x: 1000, y: 96 }] }] }));
    const y = findAll(findAll(doc, 'g', { class: 'y-ticks' })[0]!, 'text').map((t) => t.text);
    expect(y).toContain('96.0');
    for (const t of y) expect(t).toMatch(/^\d+\.\d$/);
    expect(findAll(findAll(doc, 'g', { class: 'x-ticks' })[0]!, 'text').map((t) => t.text)).toContain('1,000');
  });
});

describe('the log-2 axis', () => {
  const axis = xAxis('log2', [1, 2, 4, 8, 16, 32], 100, 600);
  it('puts the powers of two equally far apart, in order, inside the plot', () => {
    const px = axis.ticks.map(axis.toPx);
    expect(axis.ticks).toEqual([1, 2, 4, 8, 16, 32]);
    const gaps = px.slice(1).map((p, i) => p - px[i]!);
    for (const g of gaps) expect(g).toBeCloseTo(gaps[0]!, 9);
    expect(px[0]!).toBeGreaterThan(100);
    expect(px[5]!).toBeLessThan(600);
    // half an octave lies half-way: √2 between 1 and 2
    expect(axis.toPx(Math.SQRT2)).toBeCloseTo((px[0]! + px[1]!) / 2, 9);
  });
  it('rejects x ≤ 0', () => {
    expect(() => xAxis('log2', [0, 2], 0, 100)).toThrow(/x > 0/);
  });
  it('in a chart, each point sits on the tick of its x', () => {
    const svg = plotChart({
      title: 't', xLabel: 'nb', yLabel: 'acc', xScale: 'log2', xTicks: [1, 2, 4, 8, 16, 32],
      series: [{ id: 'bn', label: 'BatchNorm', style: { color: '#D55E00', marker: 'circle' }, points: [1, 2, 4, 8, 16, 32].map((x, i) => ({ x, y: 80 + i })) }],
    });
    const doc = parseXml(svg);
    const ticks = tickPositions(doc, 'x-ticks');
    expect([...ticks.keys()]).toEqual([1, 2, 4, 8, 16, 32]);
    const line = vertices(findAll(doc, 'path', { class: 'line' })[0]!.attrs.d!);
    line.forEach(([x], i) => expect(x).toBeCloseTo(ticks.get(2 ** i)!, 1));
    // and the y of each vertex on the scale of the y ticks
    const yt = tickPositions(doc, 'y-ticks');
    const [y0, y1] = [...yt.entries()].slice(0, 2);
    const perUnit = (y1![1] - y0![1]) / (y1![0] - y0![0]);
    line.forEach(([, y], i) => expect(y).toBeCloseTo(y0![1] + (80 + i - y0![0]) * perUnit, 1));
  });
});

describe('plotChart', () => {
  const series: PlotSeries[] = [
    { id: 'bn', label: 'BatchNorm', style: { color: '#D55E00', marker: 'circle' }, spread: 'band',
      points: [{ x: 100, y: 20, lo: 18, hi: 23 }, { x: 200, y: 12, lo: 11, hi: 13.5 }, { x: 300, y: 10, lo: 9, hi: 10.5 }] },
    { id: 'bkn', label: 'BKN <default> & co', style: { color: '#0072B2', dash: '4 2', marker: 'triangle' }, spread: 'band',
      points: [{ x: 100, y: 30, lo: 28, hi: 31 }, { x: 200, y: NaN }, { x: 300, y: 9, lo: 8.5, hi: 9.5 }] },
    { id: 'collapsed', label: 'collapsed', style: { color: '#CC79A7', marker: 'square' },
      points: [{ x: 100, y: 89 }, { x: 200, y: 90 }, { x: 300, y: 89.5 }] },
    { id: 'gn', label: 'GroupNorm (no nb)', style: { color: '#009E73', dash: '2 3', marker: 'diamond' }, horizontal: true,
      points: [{ x: 1, y: 11, lo: 10, hi: 12 }] },
  ];
  const svg = plotChart({ title: 'Test error', xLabel: 'step', yLabel: 'test error (%)', xScale: 'linear', yMin: 5, yMax: 25, series, markOffScale: 'last' });
  const doc = parseXml(svg);
  const yt = tickPositions(doc, 'y-ticks');
  const [a, b] = [...yt.entries()];
  const toY = (v: number): number => a![1] + ((v - a![0]) * (b![1] - a![1])) / (b![0] - a![0]);

  it('is well-formed SVG at column width, with no title drawn (only <title>), labels and a legend', () => {
    expect(doc.name).toBe('svg');
    expect(Number(doc.attrs.width)).toBeLessThanOrEqual(640);
    expect(findAll(doc, 'title')[0]!.text).toBe('Test error');
    expect(findAll(doc, 'text').map((t) => t.text)).not.toContain('Test error');
    expect(deepText(findAll(doc, 'text', { class: 'x-label' })[0]!)).toBe('step');
    const legend = findAll(doc, 'text').filter((t) => t.attrs['data-legend'] !== undefined).map((t) => t.text);
    expect(legend).toEqual(['BatchNorm', 'BKN <default> & co', 'collapsed', 'GroupNorm (no nb)']);
  });

  it('text is at least 12 px at the native size', () => {
    expect(Number(doc.attrs['font-size'])).toBeGreaterThanOrEqual(12);
    for (const t of findAll(doc, 'text')) if (t.attrs['font-size'] !== undefined) expect(Number(t.attrs['font-size'])).toBeGreaterThanOrEqual(12);
  });

  it('each band contains its mean line at every x', () => {
    const g = findAll(doc, 'g', { class: 'series' })[0]!;
    const band = vertices(findAll(g, 'path', { class: 'band' })[0]!.attrs.d!);
    const line = vertices(findAll(g, 'path', { class: 'line' })[0]!.attrs.d!);
    const k = band.length / 2;
    expect(k).toBe(line.length);
    line.forEach(([x, y], i) => {
      const hi = band[i]!;
      const lo = band[band.length - 1 - i]!;
      expect(hi[0]).toBeCloseTo(x, 6);
      expect(lo[0]).toBeCloseTo(x, 6);
      expect(hi[1]).toBeLessThanOrEqual(y); // higher value = smaller SVG y
      expect(lo[1]).toBeGreaterThanOrEqual(y);
    });
    expect(line[0]![1]).toBeCloseTo(toY(20), 1);
  });

  it('a NaN breaks the line and the band; markers only for finite points', () => {
    const g = findAll(doc, 'g', { class: 'series' })[1]!;
    const d = findAll(g, 'path', { class: 'line' })[0]!.attrs.d!;
    expect(d.match(/[ML]/g)).toEqual(['M', 'M']);
    expect(findAll(g, 'path', { class: 'band' })).toHaveLength(0); // runs of one point have no area
    // the point at x 100 (30 %) is above the range and not the last: no marker, no arrow
    expect(findAll(g, 'path', { class: 'marker' }).map((m) => m.attrs['data-x'])).toEqual(['300']);
    expect(findAll(g, 'path', { class: 'line' })[0]!.attrs['stroke-dasharray']).toBe('4 2');
  });

  it('a point off the y range is an arrow with its value (last point only when asked), never a silent cut', () => {
    const marks = findAll(doc, 'g', { class: 'off-scale-mark' });
    expect(marks.map((m) => [m.attrs['data-series'], m.attrs['data-y']])).toEqual([['collapsed', '89.5']]);
    expect(findAll(marks[0]!, 'text')[0]!.text).toBe('89.50');
    const all = parseXml(plotChart({ title: 'x', xLabel: 'x', yLabel: 'y', xScale: 'linear', yMin: 5, yMax: 25, series: series.slice(2, 3) }));
    expect(findAll(all, 'g', { class: 'off-scale-mark' }).map((m) => m.attrs['data-y'])).toEqual(['89', '90', '89.5']);
    expect(findAll(all, 'path', { class: 'marker' }).filter((m) => m.attrs['data-x'] !== undefined)).toHaveLength(0);
  });

  it('a horizontal series spans the plot at its value, with its band', () => {
    const g = findAll(doc, 'g', { class: 'series', 'data-series': 'gn' })[0]!;
    const [[x1, y1], [x2, y2]] = vertices(findAll(g, 'path', { class: 'line' })[0]!.attrs.d!);
    expect(y1).toBeCloseTo(toY(11), 1);
    expect(y2).toBeCloseTo(y1!, 6);
    expect(x2! - x1!).toBeGreaterThan(400);
    const band = findAll(g, 'rect', { class: 'band' })[0]!;
    expect(Number(band.attrs.y)).toBeCloseTo(toY(12), 1);
    expect(Number(band.attrs.y) + Number(band.attrs.height)).toBeCloseTo(toY(10), 1);
  });

  it('error bars span lo…hi around the marker; a bar cut by the axis has no cap there', () => {
    const bars = parseXml(plotChart({
      title: 'acc', xLabel: 'nb', yLabel: 'acc', xScale: 'log2', yMin: 80, yMax: 92,
      series: [{ id: 'bn', label: 'BN', style: { color: '#D55E00', marker: 'circle' }, spread: 'bars', points: [{ x: 2, y: 85, lo: 70, hi: 88 }, { x: 32, y: 90, lo: 89, hi: 91 }] }],
    }));
    const paths = findAll(bars, 'path', { class: 'error-bar' }).map((p) => p.attrs.d!);
    expect(paths).toHaveLength(2);
    expect(paths[0]!.match(/M/g)).toHaveLength(2); // stem + top cap only: the bottom continues off scale
    expect(paths[1]!.match(/M/g)).toHaveLength(3);
    const stem = vertices(paths[1]!).slice(0, 2).map(([, y]) => y);
    const ys = tickPositions(bars, 'y-ticks');
    const [p, q] = [...ys.entries()];
    const y = (v: number): number => p![1] + ((v - p![0]) * (q![1] - p![1])) / (q![0] - p![0]);
    expect(stem[0]).toBeCloseTo(y(91), 1);
    expect(stem[1]).toBeCloseTo(y(89), 1);
  });

  it('rejects an empty y range', () => {
    expect(() => plotChart({ title: 'bad', xLabel: 'x', yLabel: 'y', xScale: 'linear', yMin: 5, yMax: 5, series })).toThrow(/empty y range/);
  });
});

describe('norm styles', () => {
  const norms: string[] = [...new Set<string>([...NORM_NAMES, 'bkn-sampled', 'bkn-analytic'])];
  const styles = norms.map((n) => normStyle(n as NormName));

  it('are distinct per norm: colour, line style and marker each tell the norms apart', () => {
    const key = styles.map((s) => `${s.color}|${s.dash ?? 'solid'}|${s.marker}`);
    expect(new Set(key).size).toBe(norms.length);
    expect(new Set(styles.map((s) => s.color)).size).toBe(norms.length);
    expect(new Set(styles.map((s) => s.marker)).size).toBe(norms.length);
    expect(new Set(styles.map((s) => s.dash ?? 'solid')).size).toBe(norms.length);
  });

  it('use the Okabe–Ito colours (grey for no normalization) and are stable', () => {
    const palette = new Set<string>([...Object.values(OKABE_ITO), '#7F7F7F']);
    for (const s of styles) expect(palette.has(s.color)).toBe(true);
    expect(normStyle('bn')).toEqual({ color: '#D55E00', dash: '8 3', marker: 'circle' });
    expect(normStyle('bkn')).toEqual({ color: '#0072B2', marker: 'triangle' });
    expect(normStyle('gn')).toEqual(normStyle('gn'));
  });

  it('every marker shape draws a different path', () => {
    const shapes: MarkerShape[] = ['circle', 'square', 'triangle', 'diamond', 'triangle-down', 'cross', 'plus', 'star'];
    expect(new Set(shapes.map((s) => markerPath(s, 10, 10, 4))).size).toBe(shapes.length);
  });
});

it('escapeXml escapes the five special characters', () => {
  expect(escapeXml(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
});

it('the test XML reader rejects what is not well formed (so the checks above can fail)', () => {
  expect(() => parseXml('<svg><g></svg>')).toThrow();
  expect(() => parseXml('<svg><text>a & b</text></svg>')).toThrow(/bare/);
  expect(() => parseXml('<svg x=1></svg>')).toThrow(/attribute/);
  expect(() => parseXml('<svg><g>')).toThrow(/never closed/);
});
