/**
 * SVG charts written by hand (no dependencies), in a paper's style: no title drawn inside the
 * picture (the caption belongs in the text; the title goes to `<title>` for screen readers and
 * tooltips), axes zoomed by the caller, a legend under the plot, and one look per series (colour,
 * line style and marker). The output is plain SVG 1.1 text; every series carries a `data-series`
 * attribute and every drawn point `data-x`/`data-y`, so tests and people can tell them apart.
 */

/** Marker shapes drawn at the data points (and in the legend). */
export type MarkerShape = 'circle' | 'square' | 'triangle' | 'diamond' | 'triangle-down' | 'cross' | 'plus' | 'star';

/** How a series looks: its colour, its SVG `stroke-dasharray` (absent: solid) and its marker. */
export interface SeriesStyle {
  color: string;
  dash?: string;
  marker: MarkerShape;
}

/** One point of a series: the value `y` at `x`, and optionally its spread `lo`…`hi` (e.g. min–max over seeds). */
export interface PlotPoint {
  x: number;
  y: number;
  lo?: number;
  hi?: number;
}

export interface PlotSeries {
  /** Identifier written to `data-series` (e.g. `cnn/bn`). */
  id: string;
  /** Legend text. */
  label: string;
  style: SeriesStyle;
  /** Points in data units, x increasing. A non-finite y breaks the line. */
  points: readonly PlotPoint[];
  /** How the spread is drawn: a shaded band or error bars (default: band). */
  spread?: 'band' | 'bars';
  /** A short note written after the series' last drawn point (e.g. why a line stops early). */
  endNote?: string;
  /**
   * A value that does not depend on x (e.g. GroupNorm against the normalization batch): the first
   * point is drawn as a horizontal line across the whole plot, its spread as a band.
   */
  horizontal?: boolean;
}

export interface PlotSpec {
  /** Goes to `<title>` (not drawn): the caption belongs in the document. */
  title: string;
  xLabel: string;
  yLabel: string;
  /** `log2`: x values > 0, each power of two the same distance apart. */
  xScale: 'linear' | 'log2';
  /** Tick values on x (default: nice linear ticks, or the powers of two of the data on log2). */
  xTicks?: readonly number[];
  /** The y range (default: the data's, spreads included, rounded out to ticks). */
  yMin?: number;
  yMax?: number;
  /** Tick values on y (default: nice ticks over the range). */
  yTicks?: readonly number[];
  series: readonly PlotSeries[];
  /**
   * Which points outside [yMin, yMax] get an arrow at the edge with their value: `all` of them, or
   * only each series' `last` finite point (a curve may run off the top early on and come back).
   * Default `all`.
   */
  markOffScale?: 'all' | 'last';
  /** Formats the value written next to an off-scale arrow (default: 2 decimals). */
  formatValue?: (y: number) => string;
  /** Sideways offset (px) between the error bars of neighbouring series, so they do not overlap (default 0). */
  dodge?: number;
  /** Width of the picture in px (default 560, about a paper's column at 100 %). */
  width?: number;
  /** Height of the plot area in px (the legend adds to the picture's height; default 300). */
  plotHeight?: number;
}

/** Escapes text for SVG content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Numbers in SVG coordinates: 2 decimals are sub-pixel and keep the files small. */
function n(x: number): string {
  return (Math.round(x * 100) / 100).toString();
}

/** The step of "nice" ticks (1, 2 or 5 × 10^k) for about `count` ticks over [lo, hi]. */
function tickStep(lo: number, hi: number, count: number): number {
  const raw = (hi - lo) / Math.max(1, count - 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw * (1 - 1e-9)) ?? 10 * mag;
}

/** "Nice" tick values (1, 2 or 5 × 10^k steps) covering [lo, hi] with about `count` ticks. */
export function linearTicks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const step = tickStep(lo, hi, count);
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** The powers of two from the largest one ≤ lo to the smallest one ≥ hi (lo > 0). */
export function log2Ticks(lo: number, hi: number): number[] {
  if (!(lo > 0) || !(hi >= lo)) throw new Error(`log2Ticks: needs 0 < lo <= hi, got lo ${lo}, hi ${hi}`);
  const out: number[] = [];
  for (let k = Math.floor(Math.log2(lo) + 1e-9); k <= Math.ceil(Math.log2(hi) - 1e-9); k++) out.push(2 ** k);
  return out;
}

/**
 * A y range that shows every value given, widened by `pad` of its span on both sides and rounded
 * out to nice ticks, never beyond `limits` (e.g. 0…100 for percentages).
 *
 * @example
 * ```ts
 * zoomRange([84.2, 91.7]); // { min: 83, max: 93, ticks: [83, 84, …, 93] }
 * ```
 */
export function zoomRange(values: readonly number[], limits: { min?: number; max?: number; minSpan?: number } = {}, pad = 0.06): { min: number; max: number; ticks: number[] } {
  const finite = values.filter((v) => Number.isFinite(v));
  let lo = finite.length === 0 ? 0 : Math.min(...finite);
  let hi = finite.length === 0 ? 1 : Math.max(...finite);
  // Never narrower than minSpan (e.g. a few standard errors: noise must not look like an effect),
  // nor than ±1 % of a single value.
  const minSpan = Math.max(limits.minSpan ?? 0, hi - lo < 1e-9 ? Math.max(2, Math.abs(lo) / 50) : 0);
  if (hi - lo < minSpan) {
    const mid = (lo + hi) / 2;
    lo = mid - minSpan / 2;
    hi = mid + minSpan / 2;
    // Shifted back inside the limits, keeping the span.
    if (limits.max !== undefined && hi > limits.max) [lo, hi] = [lo - (hi - limits.max), limits.max];
    if (limits.min !== undefined && lo < limits.min) [lo, hi] = [limits.min, hi + (limits.min - lo)];
  }
  const span = hi - lo;
  lo -= pad * span;
  hi += pad * span;
  if (limits.min !== undefined) lo = Math.max(lo, limits.min);
  if (limits.max !== undefined) hi = Math.min(hi, limits.max);
  // Round out to the tick step (at most about 8 ticks: a coarser step would waste much of the plot).
  const step = tickStep(lo, hi, 8);
  let min = Math.floor(lo / step + 1e-9) * step;
  let max = Math.ceil(hi / step - 1e-9) * step;
  if (limits.min !== undefined) min = Math.max(min, limits.min);
  if (limits.max !== undefined) max = Math.min(max, limits.max);
  min = Number(min.toPrecision(12));
  max = Number(max.toPrecision(12));
  const ticks: number[] = [];
  for (let k = Math.ceil(min / step - 1e-9); k * step <= max + 1e-9 * step; k++) ticks.push(Number((k * step).toPrecision(12)));
  return { min, max, ticks };
}

/** Tick labels with the same number of decimals along an axis (95.8, 96.0, 96.2 — not 96). */
function tickFormatter(ticks: readonly number[]): (v: number) => string {
  const step = ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) : 1;
  const decimals = step >= 1 || step === 0 ? 0 : Math.min(6, Math.ceil(-Math.log10(step) - 1e-9));
  return (v) => (Math.abs(v) >= 1000 ? v.toLocaleString('en-US', { maximumFractionDigits: decimals }) : v.toFixed(decimals));
}

const FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"';
/** Text sizes (px at the picture's native width): readable when the figure is a column wide. */
const TEXT = 13;
const SMALL = 12;
/** Average advance of a character at TEXT px, for laying out the legend. */
const CHAR = 0.6 * TEXT;

/** The SVG path of a marker centred at (x, y), about 2r across. */
export function markerPath(shape: MarkerShape, x: number, y: number, r: number): string {
  const p = (pts: [number, number][]): string => `M${pts.map(([a, b]) => `${n(x + a)},${n(y + b)}`).join('L')}Z`;
  switch (shape) {
    case 'circle':
      return `M${n(x - r)},${n(y)}A${n(r)},${n(r)} 0 1,0 ${n(x + r)},${n(y)}A${n(r)},${n(r)} 0 1,0 ${n(x - r)},${n(y)}Z`;
    case 'square': {
      const s = r * 0.88;
      return p([[-s, -s], [s, -s], [s, s], [-s, s]]);
    }
    case 'diamond':
      return p([[0, -r * 1.2], [r * 1.05, 0], [0, r * 1.2], [-r * 1.05, 0]]);
    case 'triangle':
      return p([[0, -r * 1.15], [r * 1.1, r * 0.8], [-r * 1.1, r * 0.8]]);
    case 'triangle-down':
      return p([[0, r * 1.15], [r * 1.1, -r * 0.8], [-r * 1.1, -r * 0.8]]);
    case 'cross': {
      const s = r * 0.9;
      return `M${n(x - s)},${n(y - s)}L${n(x + s)},${n(y + s)}M${n(x - s)},${n(y + s)}L${n(x + s)},${n(y - s)}`;
    }
    case 'plus':
      return `M${n(x - r * 1.1)},${n(y)}L${n(x + r * 1.1)},${n(y)}M${n(x)},${n(y - r * 1.1)}L${n(x)},${n(y + r * 1.1)}`;
    case 'star': {
      const pts: [number, number][] = [];
      for (let k = 0; k < 10; k++) {
        const a = -Math.PI / 2 + (k * Math.PI) / 5;
        const rr = k % 2 === 0 ? r * 1.25 : r * 0.55;
        pts.push([rr * Math.cos(a), rr * Math.sin(a)]);
      }
      return p(pts);
    }
  }
}

/** Open shapes (lines only) are stroked; the others filled. */
function markerElement(style: SeriesStyle, x: number, y: number, r: number, extra = ''): string {
  const open = style.marker === 'cross' || style.marker === 'plus';
  const paint = open ? `fill="none" stroke="${style.color}" stroke-width="2"` : `fill="${style.color}" stroke="#ffffff" stroke-width="0.8"`;
  return `<path class="marker"${extra} d="${markerPath(style.marker, x, y, r)}" ${paint}/>`;
}

/** The x mapping of a plot: data value → px, with the range it shows. */
export interface XAxis {
  min: number;
  max: number;
  ticks: number[];
  toPx: (x: number) => number;
}

/**
 * The x axis of a plot spanning `left`…`right` px. On `log2` the range reaches a third of an
 * octave past the outermost ticks, so markers there are not cut by the frame.
 */
export function xAxis(scale: 'linear' | 'log2', xs: readonly number[], left: number, right: number, ticks?: readonly number[]): XAxis {
  if (scale === 'log2') {
    const bad = xs.find((x) => !(x > 0));
    if (bad !== undefined) throw new Error(`xAxis: a log2 axis needs x > 0, got ${bad}`);
    const t = ticks === undefined ? log2Ticks(Math.min(...xs, 1), Math.max(...xs, 1)) : [...ticks];
    const lo = Math.log2(Math.min(...t, ...xs)) - 1 / 3;
    const hi = Math.log2(Math.max(...t, ...xs)) + 1 / 3;
    return { min: 2 ** lo, max: 2 ** hi, ticks: t, toPx: (x) => left + ((Math.log2(x) - lo) / (hi - lo)) * (right - left) };
  }
  const lo0 = xs.length === 0 ? 0 : Math.min(...xs);
  const hi0 = xs.length === 0 ? 1 : Math.max(...xs);
  const t = ticks === undefined ? linearTicks(lo0, hi0 > lo0 ? hi0 : lo0 + 1, 6).filter((v) => v >= lo0 - 1e-9) : [...ticks];
  // 3 % of the span beyond the outermost points: their markers are not cut by the frame.
  const margin = 0.03 * (hi0 - lo0 || 1);
  const lo = Math.min(lo0 - margin, ...t);
  const hi = Math.max(hi0 + margin, ...t.filter((v) => v <= hi0 + margin));
  return { min: lo, max: hi, ticks: t.filter((v) => v >= lo && v <= hi), toPx: (x) => left + ((x - lo) / (hi - lo)) * (right - left) };
}

/** A short hash of a text (ids that stay unique when several charts are inlined in one page). */
function hashId(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0).toString(36);
}

/**
 * A line chart with markers, spreads (bands or error bars), horizontal lines for values that do
 * not depend on x, arrows with values for points off the y range, and a legend under the plot.
 *
 * @example
 * ```ts
 * const svg = plotChart({
 *   title: 'Test accuracy against the normalization batch', xLabel: 'normalization batch', yLabel: 'test accuracy (%)',
 *   xScale: 'log2',
 *   series: [{ id: 'bn', label: 'BatchNorm', style: { color: '#D55E00', marker: 'circle' }, spread: 'bars',
 *     points: [{ x: 2, y: 80, lo: 78, hi: 82 }, { x: 32, y: 90, lo: 89.5, hi: 90.4 }] }],
 * });
 * ```
 */
export function plotChart(spec: PlotSpec): string {
  const width = spec.width ?? 560;
  const plotHeight = spec.plotHeight ?? 300;
  const format = spec.formatValue ?? ((y: number) => y.toFixed(2));
  const left = 62;
  const right = width - 14;
  const top = 14;
  const bottom = top + plotHeight;

  const xs = spec.series.filter((s) => s.horizontal !== true).flatMap((s) => s.points.map((p) => p.x));
  const x = xAxis(spec.xScale, xs, left, right, spec.xTicks);
  const yValues = spec.series.flatMap((s) => s.points.flatMap((p) => [p.y, p.lo ?? NaN, p.hi ?? NaN]));
  const auto = zoomRange(yValues);
  const yMin = spec.yMin ?? auto.min;
  const yMax = spec.yMax ?? auto.max;
  if (!(yMax > yMin)) throw new Error(`plotChart '${spec.title}': empty y range ${yMin}…${yMax}`);
  const yTicks = spec.yTicks !== undefined ? [...spec.yTicks] : spec.yMin === undefined && spec.yMax === undefined ? auto.ticks : linearTicks(yMin, yMax, 6).filter((t) => t >= yMin - 1e-9 && t <= yMax + 1e-9);
  const py = (y: number): number => bottom - ((y - yMin) / (yMax - yMin)) * (bottom - top);
  const clip = `plot-${hashId(`${spec.title}|${width}`)}`;

  // Legend layout: as many columns as fit, rows under the x-axis label.
  const entryWidth = 48 + CHAR * Math.max(6, ...spec.series.map((s) => s.label.length));
  const columns = Math.max(1, Math.min(spec.series.length, Math.floor((right - left + 20) / entryWidth)));
  const rows = Math.ceil(spec.series.length / columns);
  const legendTop = bottom + 50;
  const height = Math.round(legendTop + rows * 20 + 6);

  const out = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="${TEXT}">`,
    `<title>${escapeXml(spec.title)}</title>`,
    `<defs><clipPath id="${clip}"><rect x="${left}" y="${top}" width="${n(right - left)}" height="${n(bottom - top)}"/></clipPath></defs>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  out.push('<g class="grid" stroke="#e6e6e6" stroke-width="1">');
  for (const t of yTicks) out.push(`<line class="grid-y" data-value="${t}" x1="${left}" y1="${n(py(t))}" x2="${n(right)}" y2="${n(py(t))}"/>`);
  for (const t of x.ticks) out.push(`<line class="grid-x" data-value="${t}" x1="${n(x.toPx(t))}" y1="${top}" x2="${n(x.toPx(t))}" y2="${n(bottom)}"/>`);
  out.push('</g>');
  out.push('<g class="y-ticks" text-anchor="end" fill="#222222">');
  const yText = tickFormatter(yTicks);
  for (const t of yTicks) out.push(`<text x="${left - 6}" y="${n(py(t) + 4.5)}" data-value="${t}">${yText(t)}</text>`);
  out.push('</g>');
  out.push('<g class="x-ticks" text-anchor="middle" fill="#222222">');
  const xText = tickFormatter(x.ticks);
  for (const t of x.ticks) out.push(`<text x="${n(x.toPx(t))}" y="${n(bottom + 18)}" data-value="${t}">${xText(t)}</text>`);
  out.push('</g>');
  out.push(`<text class="x-label" x="${n((left + right) / 2)}" y="${n(bottom + 38)}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`);
  const midY = (top + bottom) / 2;
  out.push(`<text class="y-label" x="16" y="${n(midY)}" text-anchor="middle" transform="rotate(-90 16 ${n(midY)})">${escapeXml(spec.yLabel)}</text>`);

  // Series: spreads first (under every line), then lines and markers.
  const dodged = spec.series.filter((s) => s.horizontal !== true && s.spread === 'bars');
  const offset = (s: PlotSeries): number => {
    const i = dodged.indexOf(s);
    return i < 0 ? 0 : (i - (dodged.length - 1) / 2) * (spec.dodge ?? 0);
  };
  const offScale: { series: PlotSeries; px: number; y: number }[] = [];
  for (const s of spec.series) {
    const st = s.style;
    const dash = st.dash === undefined ? '' : ` stroke-dasharray="${st.dash}"`;
    out.push(`<g class="series" data-series="${escapeXml(s.id)}">`);
    out.push(`<title>${escapeXml(s.label)}</title>`);
    const finite = s.points.filter((p) => Number.isFinite(p.y));
    if (s.horizontal === true) {
      const p = finite[0];
      if (p !== undefined) {
        if (p.lo !== undefined && p.hi !== undefined && p.hi > p.lo) {
          out.push(`<rect class="band" clip-path="url(#${clip})" x="${left}" y="${n(py(p.hi))}" width="${n(right - left)}" height="${n(py(p.lo) - py(p.hi))}" fill="${st.color}" fill-opacity="0.14"/>`);
        }
        if (p.y >= yMin && p.y <= yMax) {
          out.push(`<path class="line" d="M${left},${n(py(p.y))}L${n(right)},${n(py(p.y))}" stroke="${st.color}" stroke-width="2"${dash} fill="none"/>`);
        } else offScale.push({ series: s, px: right - 30, y: p.y });
      }
      out.push('</g>');
      continue;
    }
    const dx = offset(s);
    if (s.spread !== 'bars') {
      // The band: the hi edge left to right, the lo edge back (runs of points with both ends finite).
      let run: PlotPoint[] = [];
      const flush = (): void => {
        if (run.length >= 2) {
          const d = `M${run.map((p) => `${n(x.toPx(p.x))},${n(py(p.hi!))}`).join('L')}L${[...run].reverse().map((p) => `${n(x.toPx(p.x))},${n(py(p.lo!))}`).join('L')}Z`;
          out.push(`<path class="band" clip-path="url(#${clip})" d="${d}" fill="${st.color}" fill-opacity="0.16" stroke="none"/>`);
        }
        run = [];
      };
      for (const p of s.points) {
        if (p.lo !== undefined && p.hi !== undefined && Number.isFinite(p.lo) && Number.isFinite(p.hi)) run.push(p);
        else flush();
      }
      flush();
    } else {
      for (const p of finite) {
        if (p.lo === undefined || p.hi === undefined || !(p.hi > p.lo)) continue;
        const cx = x.toPx(p.x) + dx;
        const y1 = py(Math.min(p.hi, yMax));
        const y2 = py(Math.max(p.lo, yMin));
        if (y2 <= y1) continue;
        // A cap only where the bar ends inside the plot: a bar without a cap continues off scale.
        const caps = `${p.hi <= yMax ? `M${n(cx - 4)},${n(y1)}L${n(cx + 4)},${n(y1)}` : ''}${p.lo >= yMin ? `M${n(cx - 4)},${n(y2)}L${n(cx + 4)},${n(y2)}` : ''}`;
        out.push(`<path class="error-bar" d="M${n(cx)},${n(y1)}L${n(cx)},${n(y2)}${caps}" stroke="${st.color}" stroke-width="1.4" fill="none"/>`);
      }
    }
    let d = '';
    let pen = false;
    for (const p of s.points) {
      if (!Number.isFinite(p.y)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${n(x.toPx(p.x) + dx)},${n(py(p.y))}`;
      pen = true;
    }
    if (d !== '') out.push(`<path class="line" clip-path="url(#${clip})" d="${d}" fill="none" stroke="${st.color}" stroke-width="2"${dash} stroke-linejoin="round"/>`);
    const last = finite[finite.length - 1];
    if (s.endNote !== undefined && last !== undefined && last.y >= yMin && last.y <= yMax) {
      out.push(`<text class="end-note" x="${n(x.toPx(last.x) + dx + 8)}" y="${n(py(last.y) + 4.5)}" font-size="${SMALL}" fill="${st.color}" stroke="#ffffff" stroke-width="3" paint-order="stroke">${escapeXml(s.endNote)}</text>`);
    }
    for (const p of finite) {
      const inside = p.y >= yMin && p.y <= yMax;
      if (inside) out.push(markerElement(st, x.toPx(p.x) + dx, py(p.y), 4.2, ` data-x="${p.x}" data-y="${p.y}"`));
      else if ((spec.markOffScale ?? 'all') === 'all' || p === last) offScale.push({ series: s, px: x.toPx(p.x) + dx, y: p.y });
    }
    out.push('</g>');
  }

  // Off-scale points: an arrow at the edge they left by, in the series' colour, with the value;
  // labels at the same edge and place are stacked.
  const stacks = new Map<string, number>();
  out.push('<g class="off-scale">');
  for (const o of offScale) {
    const below = o.y < yMin;
    const key = `${below}|${Math.round(o.px / 30)}`;
    const k = stacks.get(key) ?? 0;
    stacks.set(key, k + 1);
    const edge = below ? bottom : top;
    const dir = below ? 1 : -1;
    const tip = edge - dir * 2;
    const c = o.series.style.color;
    out.push(`<g class="off-scale-mark" data-series="${escapeXml(o.series.id)}" data-y="${Number.isFinite(o.y) ? o.y : 'NaN'}">`);
    out.push(`<path d="M${n(o.px)},${n(tip)}L${n(o.px - 5)},${n(tip - dir * 9)}L${n(o.px + 5)},${n(tip - dir * 9)}Z" fill="${c}"/>`);
    const ly = tip - dir * (14 + 15 * k) + (below ? 0 : 9);
    // The value beside the arrow, on the side with room (left of it near the right edge).
    // The series' marker leads the value, so the label names its series without colour too.
    const text = format(o.y);
    const atRight = o.px > right - 70;
    // Marker then value, left of the arrow near the right edge (text width estimated).
    const mx = atRight ? o.px - 10 - 0.6 * SMALL * text.length - 9 : o.px + 12;
    out.push(markerElement(o.series.style, mx, ly - 4.5, 3.6));
    out.push(`<text x="${n(mx + 7)}" y="${n(ly)}" font-size="${SMALL}" fill="${c}" stroke="#ffffff" stroke-width="3" paint-order="stroke">${escapeXml(text)}</text>`);
    out.push('</g>');
  }
  out.push('</g>');

  out.push('<g class="axes" stroke="#222222" stroke-width="1.2" fill="none">');
  out.push(`<rect x="${left}" y="${top}" width="${n(right - left)}" height="${n(bottom - top)}"/>`);
  out.push('</g>');

  out.push('<g class="legend">');
  const colWidth = (right - left + 20) / columns;
  spec.series.forEach((s, i) => {
    const lx = left - 10 + (i % columns) * colWidth;
    const ly = legendTop + Math.floor(i / columns) * 20;
    const dash = s.style.dash === undefined ? '' : ` stroke-dasharray="${s.style.dash}"`;
    out.push(`<line x1="${n(lx)}" y1="${n(ly)}" x2="${n(lx + 36)}" y2="${n(ly)}" stroke="${s.style.color}" stroke-width="2"${dash}/>`);
    if (s.horizontal !== true) out.push(markerElement(s.style, lx + 18, ly, 4.2));
    out.push(`<text x="${n(lx + 42)}" y="${n(ly + 4.5)}" data-legend="${escapeXml(s.id)}">${escapeXml(s.label)}</text>`);
  });
  out.push('</g>');
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
