import { describe, expect, it } from 'vitest';
import { escapeXml, groupedBarChart, lineChart, linearTicks, logTicks } from '../../experiment/svg.js';
import { deepText, findAll, parseXml } from './xml.js';

describe('ticks', () => {
  it('linear ticks are 1, 2, 5 × 10^k steps covering the range', () => {
    expect(linearTicks(0, 100, 6)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(linearTicks(0, 1000, 6)).toEqual([0, 200, 400, 600, 800, 1000]);
    expect(linearTicks(0, 0.5, 6)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5]);
  });
  it('log ticks are 1, 2, 5 per decade', () => {
    expect(logTicks(1, 100)).toEqual([1, 2, 5, 10, 20, 50, 100]);
    expect(logTicks(0.1, 1)).toEqual([0.1, 0.2, 0.5, 1]);
  });
});

describe('lineChart', () => {
  const svg = lineChart({
    title: 'Test error <cnn> & friends',
    subtitle: 'eval mode',
    xLabel: 'optimizer steps (32 samples each)',
    yLabel: 'test error (%)',
    yScale: 'log',
    yMax: 100,
    series: [
      { id: 'cnn/bn/nb2', label: 'BatchNorm, nb 2', color: '#1f77b4', points: [[0, 90], [50, 10], [100, 4]] },
      { id: 'cnn/bn/nb32', label: 'BatchNorm, nb 32', color: '#1f77b4', dash: '8 4', points: [[0, 90], [50, NaN], [100, 3]] },
      { id: 'cnn/gn', label: 'GroupNorm', color: '#2ca02c', points: [[0, 88], [50, 12], [100, 5]], faint: [[[0, 88], [50, 13], [100, 6]], [[0, 88], [50, 11], [100, 4]]] },
    ],
  });
  const doc = parseXml(svg);

  it('is well-formed SVG with a title, axis labels and units', () => {
    expect(doc.name).toBe('svg');
    expect(doc.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(findAll(doc, 'title')[0]!.text).toBe('Test error <cnn> & friends');
    expect(deepText(findAll(doc, 'text', { class: 'x-label' })[0]!)).toBe('optimizer steps (32 samples each)');
    expect(deepText(findAll(doc, 'text', { class: 'y-label' })[0]!)).toBe('test error (%)');
  });

  it('holds one path per series with one vertex per finite point; NaN breaks the line', () => {
    const groups = findAll(doc, 'g', { class: 'series' });
    expect(groups.map((g) => g.attrs['data-series'])).toEqual(['cnn/bn/nb2', 'cnn/bn/nb32', 'cnn/gn']);
    const d0 = findAll(groups[0]!, 'path', { class: 'main' })[0]!.attrs.d!;
    expect(d0.match(/[ML]/g)).toEqual(['M', 'L', 'L']);
    const d1 = findAll(groups[1]!, 'path')[0]!.attrs.d!;
    expect(d1.match(/[ML]/g)).toEqual(['M', 'M']);
    expect(findAll(groups[1]!, 'path')[0]!.attrs['stroke-dasharray']).toBe('8 4');
    expect(findAll(groups[1]!, 'circle')).toHaveLength(2);
    // faint lines (single seeds) under the main one, only where given
    expect(findAll(groups[2]!, 'path', { class: 'faint' })).toHaveLength(2);
    expect(findAll(groups[0]!, 'path', { class: 'faint' })).toHaveLength(0);
  });

  it('has a legend entry per series and log-scale tick labels', () => {
    const legend = findAll(doc, 'text').filter((t) => t.attrs['data-legend'] !== undefined);
    expect(legend.map((t) => t.text)).toEqual(['BatchNorm, nb 2', 'BatchNorm, nb 32', 'GroupNorm']);
    const yTicks = findAll(findAll(doc, 'g', { class: 'y-ticks' })[0]!, 'text').map((t) => t.text);
    expect(yTicks).toEqual(['1', '2', '5', '10', '20', '50', '100']);
    const xTicks = findAll(findAll(doc, 'g', { class: 'x-ticks' })[0]!, 'text').map((t) => t.text);
    expect(xTicks[0]).toBe('0');
    expect(xTicks[xTicks.length - 1]).toBe('100');
  });

  it('places lower errors lower on the page, in order (log scale)', () => {
    const d = findAll(findAll(doc, 'g', { class: 'series' })[0]!, 'path')[0]!.attrs.d!;
    const ys = [...d.matchAll(/[ML][\d.]+,([\d.]+)/g)].map((m) => Number(m[1]));
    // SVG y grows downwards: error 90 → 10 → 4 means y increasing
    expect(ys[0]!).toBeLessThan(ys[1]!);
    expect(ys[1]!).toBeLessThan(ys[2]!);
    // log scale: 90→10 spans log10(9) ≈ 0.954 decades, 10→4 spans 0.398 decades
    expect((ys[1]! - ys[0]!) / (ys[2]! - ys[1]!)).toBeCloseTo(Math.log10(9) / Math.log10(2.5), 1);
  });
});

describe('groupedBarChart', () => {
  const svg = groupedBarChart({
    title: 'Accuracy',
    yLabel: 'test accuracy (%)',
    yMin: 0,
    yMax: 100,
    legend: [{ label: 'eval mode', color: '#555', style: 'filled' }, { label: 'train-mode', color: '#555', style: 'outline' }],
    referenceLines: [{ value: 10, label: 'chance (10%)' }],
    groups: [
      {
        label: 'BatchNorm',
        bars: [
          { id: 'bn/nb2/eval', label: 'nb 2', value: 70, error: 2, points: [68, 70, 72], color: '#1f77b4', style: 'filled', note: '1/3 at chance' },
          { id: 'bn/nb2/train-mode', label: 'nb 2', value: 90, error: 0, points: [90], color: '#1f77b4', style: 'outline' },
        ],
      },
      { label: 'GroupNorm', bars: [{ id: 'gn/eval', label: 'any nb', value: NaN, error: NaN, color: '#2ca02c', style: 'filled' }] },
    ],
  });
  const doc = parseXml(svg);

  it('is well-formed and holds every bar with its value', () => {
    const bars = findAll(doc, 'g', { class: 'bar' });
    expect(bars.map((b) => b.attrs['data-bar'])).toEqual(['bn/nb2/eval', 'bn/nb2/train-mode', 'gn/eval']);
    expect(bars.map((b) => b.attrs['data-value'])).toEqual(['70', '90', 'NaN']);
    expect(findAll(doc, 'g', { class: 'group' }).map((g) => g.attrs['data-group'])).toEqual(['BatchNorm', 'GroupNorm']);
  });

  it('draws bar heights to scale, error bars where the spread is positive, a dot per value, notes', () => {
    const bars = findAll(doc, 'g', { class: 'bar' });
    const h = (i: number): number => Number(findAll(bars[i]!, 'rect')[0]!.attrs.height);
    expect(h(0) / h(1)).toBeCloseTo(70 / 90, 2);
    expect(findAll(bars[0]!, 'path', { class: 'error-bar' })).toHaveLength(1);
    expect(findAll(bars[1]!, 'path', { class: 'error-bar' })).toHaveLength(0);
    expect(findAll(bars[0]!, 'circle', { class: 'point' })).toHaveLength(3);
    expect(findAll(bars[1]!, 'rect')[0]!.attrs.fill).toBe('#ffffff');
    expect(findAll(bars[2]!, 'rect')).toHaveLength(0);
    expect(findAll(doc, 'text', { class: 'note' }).map((t) => t.text)).toEqual(['1/3 at chance']);
    expect(findAll(bars[2]!, 'text').map((t) => t.text)).toContain('n/a');
  });

  it('draws the reference line at its value, on the scale of the bars', () => {
    const ref = findAll(doc, 'g', { class: 'reference' })[0]!;
    expect(findAll(ref, 'text')[0]!.text).toBe('chance (10%)');
    const bar = findAll(findAll(doc, 'g', { class: 'bar' })[1]!, 'rect')[0]!;
    const bottom = Number(bar.attrs.y) + Number(bar.attrs.height);
    const lineY = Number(findAll(ref, 'line')[0]!.attrs.y1);
    // the 90% bar's height is 9× the distance from the axis to the 10% line
    expect(Number(bar.attrs.height) / (bottom - lineY)).toBeCloseTo(9, 1);
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
