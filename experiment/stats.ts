/** Small statistics for the result tables: mean, sample standard deviation, formatting. */

/** The arithmetic mean (NaN for an empty list; a NaN or infinite entry propagates — never skipped). */
export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** The sample standard deviation (n − 1 in the denominator); 0 for a single value, NaN for none. */
export function std(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  if (xs.length === 1) return 0;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return Math.sqrt(s / (xs.length - 1));
}

/**
 * `mean ± std` with a fixed number of decimals; the `± std` part is left out for a single value
 * (one seed has no spread to report), and a non-finite mean prints as `n/a`.
 */
export function formatMeanStd(xs: readonly number[], decimals: number): string {
  const m = mean(xs);
  if (!Number.isFinite(m)) return xs.length === 0 ? '—' : 'n/a';
  if (xs.length === 1) return m.toFixed(decimals);
  return `${m.toFixed(decimals)} ± ${std(xs).toFixed(decimals)}`;
}

/** Seconds as `m:ss` (or `h:mm:ss` from an hour up). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(sec).padStart(2, '0')}`;
}
