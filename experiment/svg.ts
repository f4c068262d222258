/**
 * SVG charts written by hand (no dependencies): a line chart (test error against steps) and a
 * grouped bar chart with error bars (accuracy by norm × normalization batch). The output is plain
 * SVG 1.1 text that any browser shows; every series carries a `data-series` attribute and a
 * `<title>` (a tooltip in browsers), so tests and people can tell the lines apart.
 */

export interface LineSeries {
  /** Identifier written to `data-series` (e.g. `cnn/bn/nb2`). */
  id: string;
  /** Legend text. */
  label: string;
  color: string;
  /** SVG `stroke-dasharray` (e.g. `6 3`); omit for a solid line. */
  dash?: string;
  /** [x, y] points in data units, x increasing. Non-finite y values break the line. */
  points: readonly (readonly [number, number])[];
  /** Thin, faint lines drawn under the main one (e.g. the single seeds behind their mean). */
  faint?: readonly (readonly (readonly [number, number])[])[];
}

export interface LineChartSpec {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  yScale: 'linear' | 'log';
  /** Force the y range (data units); default: from the data (log: down to the smallest decade tick). */
  yMin?: number;
  yMax?: number;
  series: readonly LineSeries[];
  /** Dashed horizontal lines across the plot (e.g. the error at chance), labelled at the right. */
  referenceLines?: readonly { value: number; label: string }[];
  width?: number;
  height?: number;
}

export interface Bar {
  /** Identifier written to `data-bar`. */
  id: string;
  /** Text under the bar (e.g. `nb 2`). */
  label: string;
  /** The bar's height (data units); NaN draws no bar and writes `n/a`. */
  value: number;
  /** Half-length of the error bar (e.g. one standard deviation); 0 or NaN: none drawn. */
  error: number;
  /** The individual values (one dot each: a mean never hides a collapsed seed). */
  points?: readonly number[];
  color: string;
  /** `filled` or `outline` (a second quantity of the same group, e.g. train-mode statistics). */
  style: 'filled' | 'outline';
  /** Extra text above the value (e.g. `1/3 at chance`). */
  note?: string;
}

export interface BarGroup {
  label: string;
  bars: readonly Bar[];
}

export interface BarChartSpec {
  title: string;
  subtitle?: string;
  yLabel: string;
  yMin: number;
  yMax: number;
  groups: readonly BarGroup[];
  /** Legend entries (what the fills, outlines and colours mean). */
  legend: readonly { label: string; color: string; style: 'filled' | 'outline' | 'dot' }[];
  /** Dashed horizontal lines across the plot (e.g. chance accuracy), labelled at the right. */
  referenceLines?: readonly { value: number; label: string }[];
  width?: number;
  height?: number;
}

/** Escapes text for SVG content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Numbers in SVG coordinates: 2 decimals are sub-pixel and keep the files small. */
function n(x: number): string {
  return (Math.round(x * 100) / 100).toString();
}

/** "Nice" tick values (1, 2 or 5 × 10^k steps) covering [lo, hi] with about `count` ticks. */
export function linearTicks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count - 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Ticks 1, 2, 5 × 10^k inside [lo, hi] (lo > 0). */
export function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k++) {
    for (const m of [1, 2, 5]) {
      const v = Number((m * 10 ** k).toPrecision(12));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  }
  return out;
}

function tickText(v: number): string {
  if (v === 0) return '0';
  if (Math.abs(v) >= 1000) return v.toLocaleString('en-US');
  return Number(v.toPrecision(6)).toString();
}

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

function header(width: number, height: number, title: string, subtitle: string | undefined): string[] {
  const out = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="13">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${n(width / 2)}" y="24" text-anchor="middle" font-size="17" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  if (subtitle !== undefined) out.push(`<text x="${n(width / 2)}" y="44" text-anchor="middle" fill="#555555">${escapeXml(subtitle)}</text>`);
  return out;
}

/**
 * A line chart with axes, tick labels, gridlines, axis titles and a legend on the right.
 *
 * @example
 * ```ts
 * const svg = lineChart({ title: 'Test error', xLabel: 'steps', yLabel: 'error (%)', yScale: 'log',
 *   series: [{ id: 'bn', label: 'BatchNorm', color: '#1f77b4', points: [[0, 90], [100, 5]] }] });
 * ```
 */
export function lineChart(spec: LineChartSpec): string {
  const width = spec.width ?? 900;
  const height = spec.height ?? 520;
  const legendWidth = Math.min(340, 64 + 7.6 * Math.max(8, ...spec.series.map((s) => s.label.length)));
  const left = 72;
  const right = width - legendWidth - 16;
  const top = spec.subtitle === undefined ? 48 : 64;
  const bottom = height - 56;

  const xs = spec.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = spec.series.flatMap((s) => s.points.map((p) => p[1])).filter((y) => Number.isFinite(y));
  const xMin = xs.length === 0 ? 0 : Math.min(0, ...xs);
  const xMaxRaw = xs.length === 0 ? 1 : Math.max(...xs);
  const xTicks = linearTicks(xMin, xMaxRaw > xMin ? xMaxRaw : xMin + 1);
  const xMax = Math.max(xMaxRaw, xTicks[xTicks.length - 1]!);

  let yMin: number;
  let yMax: number;
  let yTicks: number[];
  if (spec.yScale === 'log') {
    const positive = ys.filter((y) => y > 0);
    const lo = positive.length === 0 ? 1 : Math.min(...positive);
    const hi = positive.length === 0 ? 100 : Math.max(...positive);
    yMin = spec.yMin ?? 10 ** Math.floor(Math.log10(lo));
    yMax = spec.yMax ?? 10 ** Math.ceil(Math.log10(hi));
    if (!(yMax > yMin)) yMax = yMin * 10;
    yTicks = logTicks(yMin, yMax);
  } else {
    const lo = ys.length === 0 ? 0 : Math.min(...ys);
    const hi = ys.length === 0 ? 1 : Math.max(...ys);
    const ticks = linearTicks(spec.yMin ?? Math.min(0, lo), spec.yMax ?? (hi > lo ? hi : lo + 1));
    yMin = spec.yMin ?? ticks[0]!;
    yMax = spec.yMax ?? Math.max(hi, ticks[ticks.length - 1]!);
    yTicks = ticks.filter((t) => t >= yMin && t <= yMax);
  }

  const px = (x: number): number => left + ((x - xMin) / (xMax - xMin || 1)) * (right - left);
  const py = (y: number): number => {
    const t = spec.yScale === 'log'
      ? (Math.log10(Math.min(Math.max(y, yMin), yMax)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))
      : (Math.min(Math.max(y, yMin), yMax) - yMin) / (yMax - yMin || 1);
    return bottom - t * (bottom - top);
  };

  const out = header(width, height, spec.title, spec.subtitle);
  // Gridlines and tick labels.
  out.push('<g class="grid" stroke="#e3e3e3" stroke-width="1">');
  for (const t of yTicks) out.push(`<line x1="${left}" y1="${n(py(t))}" x2="${n(right)}" y2="${n(py(t))}"/>`);
  for (const t of xTicks) out.push(`<line x1="${n(px(t))}" y1="${top}" x2="${n(px(t))}" y2="${n(bottom)}"/>`);
  out.push('</g>');
  out.push('<g class="axes" stroke="#333333" stroke-width="1.2" fill="none">');
  out.push(`<line x1="${left}" y1="${n(bottom)}" x2="${n(right)}" y2="${n(bottom)}"/>`);
  out.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${n(bottom)}"/>`);
  out.push('</g>');
  out.push('<g class="y-ticks" text-anchor="end" fill="#333333">');
  for (const t of yTicks) out.push(`<text x="${left - 6}" y="${n(py(t) + 4)}">${tickText(t)}</text>`);
  out.push('</g>');
  out.push('<g class="x-ticks" text-anchor="middle" fill="#333333">');
  for (const t of xTicks) out.push(`<text x="${n(px(t))}" y="${n(bottom + 18)}">${tickText(t)}</text>`);
  out.push('</g>');
  out.push(`<text class="x-label" x="${n((left + right) / 2)}" y="${n(height - 14)}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`);
  out.push(`<text class="y-label" x="18" y="${n((top + bottom) / 2)}" text-anchor="middle" transform="rotate(-90 18 ${n((top + bottom) / 2)})">${escapeXml(spec.yLabel)}</text>`);

  for (const r of spec.referenceLines ?? []) {
    const y = py(r.value);
    out.push(`<g class="reference"><line x1="${left}" y1="${n(y)}" x2="${n(right)}" y2="${n(y)}" stroke="#b00000" stroke-width="1" stroke-dasharray="5 4"/>`);
    out.push(`<text x="${n(right - 4)}" y="${n(y + 14)}" text-anchor="end" font-size="11" fill="#b00000">${escapeXml(r.label)}</text></g>`);
  }

  // The series: one path each (a non-finite value starts a new segment), with a dot per point.
  const pathData = (points: readonly (readonly [number, number])[]): string => {
    let d = '';
    let pen = false;
    for (const [x, y] of points) {
      if (!Number.isFinite(y)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${n(px(x))},${n(py(y))}`;
      pen = true;
    }
    return d;
  };
  for (const s of spec.series) {
    const dash = s.dash === undefined ? '' : ` stroke-dasharray="${s.dash}"`;
    out.push(`<g class="series" data-series="${escapeXml(s.id)}">`);
    out.push(`<title>${escapeXml(s.label)}</title>`);
    for (const f of s.faint ?? []) {
      out.push(`<path class="faint" d="${pathData(f)}" fill="none" stroke="${s.color}" stroke-width="1" stroke-opacity="0.35"${dash}/>`);
    }
    out.push(`<path class="main" d="${pathData(s.points)}" fill="none" stroke="${s.color}" stroke-width="2"${dash} stroke-linejoin="round"/>`);
    for (const [x, y] of s.points) {
      if (Number.isFinite(y)) out.push(`<circle cx="${n(px(x))}" cy="${n(py(y))}" r="2.5" fill="${s.color}"/>`);
    }
    out.push('</g>');
  }

  // Legend: a short line sample and the label per series.
  const lx = right + 20;
  out.push('<g class="legend">');
  spec.series.forEach((s, i) => {
    const y = top + 8 + i * 20;
    const dash = s.dash === undefined ? '' : ` stroke-dasharray="${s.dash}"`;
    out.push(`<line x1="${n(lx)}" y1="${n(y)}" x2="${n(lx + 28)}" y2="${n(y)}" stroke="${s.color}" stroke-width="2.5"${dash}/>`);
    out.push(`<text x="${n(lx + 36)}" y="${n(y + 4)}" data-legend="${escapeXml(s.id)}">${escapeXml(s.label)}</text>`);
  });
  out.push('</g>');
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/**
 * Grouped bars with error bars, a dot per individual value, the value written above each bar, and
 * a legend under the title.
 *
 * @example
 * ```ts
 * const svg = groupedBarChart({ title: 'Accuracy', yLabel: 'test accuracy (%)', yMin: 0, yMax: 100,
 *   legend: [], groups: [{ label: 'BatchNorm', bars: [{ id: 'bn/nb2', label: 'nb 2', value: 95,
 *   error: 0.4, points: [94.6, 95.4], color: '#1f77b4', style: 'filled' }] }] });
 * ```
 */
export function groupedBarChart(spec: BarChartSpec): string {
  const barCount = spec.groups.reduce((k, g) => k + g.bars.length, 0);
  const titleWidth = 60 + 10.5 * Math.max(spec.title.length, 0.75 * (spec.subtitle?.length ?? 0));
  const legendWidth = 72 + spec.legend.reduce((w, e) => w + 34 + 7 * e.label.length, 0);
  const width = spec.width ?? Math.round(Math.max(640, titleWidth, legendWidth, 110 + barCount * 46 + spec.groups.length * 28));
  const height = spec.height ?? 520;
  const left = 72;
  const right = width - 20;
  const legendY = spec.subtitle === undefined ? 48 : 64;
  const top = legendY + 36;
  const bottom = height - 70;
  const ticks = linearTicks(spec.yMin, spec.yMax).filter((t) => t >= spec.yMin && t <= spec.yMax);
  const py = (y: number): number => bottom - ((Math.min(Math.max(y, spec.yMin), spec.yMax) - spec.yMin) / (spec.yMax - spec.yMin)) * (bottom - top);

  const out = header(width, height, spec.title, spec.subtitle);
  // Legend (one row).
  let lx = left;
  out.push('<g class="legend">');
  for (const e of spec.legend) {
    if (e.style === 'dot') out.push(`<circle cx="${n(lx + 7)}" cy="${n(legendY + 8)}" r="3" fill="${e.color}"/>`);
    else {
      const fill = e.style === 'filled' ? e.color : '#ffffff';
      out.push(`<rect x="${n(lx)}" y="${n(legendY + 1)}" width="14" height="14" fill="${fill}" stroke="${e.color}" stroke-width="2"/>`);
    }
    out.push(`<text x="${n(lx + 20)}" y="${n(legendY + 13)}">${escapeXml(e.label)}</text>`);
    lx += 34 + 7 * e.label.length;
  }
  out.push('</g>');
  out.push('<g class="grid" stroke="#e3e3e3" stroke-width="1">');
  for (const t of ticks) out.push(`<line x1="${left}" y1="${n(py(t))}" x2="${n(right)}" y2="${n(py(t))}"/>`);
  out.push('</g>');
  out.push('<g class="y-ticks" text-anchor="end" fill="#333333">');
  for (const t of ticks) out.push(`<text x="${left - 6}" y="${n(py(t) + 4)}">${tickText(t)}</text>`);
  out.push('</g>');
  out.push(`<text class="y-label" x="18" y="${n((top + bottom) / 2)}" text-anchor="middle" transform="rotate(-90 18 ${n((top + bottom) / 2)})">${escapeXml(spec.yLabel)}</text>`);

  // Layout: equal bar slots, a gap between groups.
  const gap = 28;
  const slot = (right - left - gap * (spec.groups.length + 1)) / Math.max(1, barCount);
  const barWidth = Math.min(56, Math.max(8, slot * 0.8));
  let x = left + gap;
  // Notes (e.g. runs at chance) are drawn after every bar, so no neighbouring bar covers them.
  const notes: string[] = [];
  for (const g of spec.groups) {
    const gx0 = x;
    out.push(`<g class="group" data-group="${escapeXml(g.label)}">`);
    for (const b of g.bars) {
      const cx = x + slot / 2;
      out.push(`<g class="bar" data-bar="${escapeXml(b.id)}" data-value="${Number.isFinite(b.value) ? b.value : 'NaN'}">`);
      out.push(`<title>${escapeXml(`${g.label}, ${b.label}: ${Number.isFinite(b.value) ? b.value.toFixed(2) : 'n/a'}${b.error > 0 ? ` ± ${b.error.toFixed(2)}` : ''}`)}</title>`);
      if (Number.isFinite(b.value)) {
        const y = py(b.value);
        const fill = b.style === 'filled' ? b.color : '#ffffff';
        out.push(`<rect x="${n(cx - barWidth / 2)}" y="${n(y)}" width="${n(barWidth)}" height="${n(Math.max(0, bottom - y))}" fill="${fill}" stroke="${b.color}" stroke-width="2"/>`);
        if (Number.isFinite(b.error) && b.error > 0) {
          const y1 = py(b.value + b.error);
          const y2 = py(b.value - b.error);
          out.push(`<path class="error-bar" d="M${n(cx)},${n(y1)}L${n(cx)},${n(y2)}M${n(cx - 5)},${n(y1)}L${n(cx + 5)},${n(y1)}M${n(cx - 5)},${n(y2)}L${n(cx + 5)},${n(y2)}" stroke="#222222" stroke-width="1.5" fill="none"/>`);
        }
        for (const p of b.points ?? []) {
          if (Number.isFinite(p)) out.push(`<circle class="point" cx="${n(cx)}" cy="${n(py(p))}" r="2.8" fill="#222222" fill-opacity="0.75"/>`);
        }
        const labelY = Math.min(py(b.value + (Number.isFinite(b.error) ? b.error : 0)), y) - 6;
        out.push(`<text x="${n(cx)}" y="${n(labelY)}" text-anchor="middle" font-size="11">${b.value.toFixed(1)}</text>`);
        if (b.note !== undefined) notes.push(`<text class="note" x="${n(cx)}" y="${n(labelY - 13)}" text-anchor="middle" font-size="10" fill="#b00000">${escapeXml(b.note)}</text>`);
      } else {
        out.push(`<text x="${n(cx)}" y="${n(bottom - 6)}" text-anchor="middle" font-size="11">n/a</text>`);
      }
      out.push(`<text x="${n(cx)}" y="${n(bottom + 16)}" text-anchor="middle" font-size="11">${escapeXml(b.label)}</text>`);
      out.push('</g>');
      x += slot;
    }
    out.push(`<text class="group-label" x="${n((gx0 + x) / 2)}" y="${n(bottom + 38)}" text-anchor="middle" font-weight="bold">${escapeXml(g.label)}</text>`);
    out.push('</g>');
    x += gap;
  }
  for (const r of spec.referenceLines ?? []) {
    const y = py(r.value);
    out.push(`<g class="reference"><line x1="${left}" y1="${n(y)}" x2="${n(right)}" y2="${n(y)}" stroke="#b00000" stroke-width="1" stroke-dasharray="5 4"/>`);
    out.push(`<text x="${n(right - 4)}" y="${n(y - 4)}" text-anchor="end" font-size="11" fill="#b00000">${escapeXml(r.label)}</text></g>`);
  }
  out.push(...notes);
  out.push('<g class="axes" stroke="#333333" stroke-width="1.2" fill="none">');
  out.push(`<line x1="${left}" y1="${n(bottom)}" x2="${n(right)}" y2="${n(bottom)}"/>`);
  out.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${n(bottom)}"/>`);
  out.push('</g>');
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
