/**
 * One look per normalization, the same in every chart: a colour from the Okabe–Ito palette
 * (distinguishable with the common colour-vision deficiencies), a line style and a marker, so a
 * line can be told apart by any one of the three (also printed in grey).
 */
import { NORM_NAMES, type NormName } from './config.js';
import type { MarkerShape, SeriesStyle } from './svg.js';

/** The Okabe–Ito colours (Okabe & Ito 2008), yellow left out: too light on white. */
export const OKABE_ITO = {
  orange: '#E69F00',
  skyBlue: '#56B4E9',
  bluishGreen: '#009E73',
  blue: '#0072B2',
  vermillion: '#D55E00',
  reddishPurple: '#CC79A7',
  black: '#000000',
} as const;

/**
 * The styles of the norms the experiment knows, and of the BKN variants it may grow
 * (`bkn-sampled`, `bkn-analytic`): keyed by name so a new norm gets its look by adding a line here.
 */
const KNOWN: Record<string, SeriesStyle> = {
  bkn: { color: OKABE_ITO.blue, marker: 'triangle' },
  bn: { color: OKABE_ITO.vermillion, dash: '8 3', marker: 'circle' },
  brn: { color: OKABE_ITO.reddishPurple, dash: '3 2', marker: 'square' },
  gn: { color: OKABE_ITO.bluishGreen, dash: '1 2.5', marker: 'diamond' },
  'bkn-paper': { color: OKABE_ITO.skyBlue, dash: '8 3 2 3', marker: 'triangle-down' },
  'bkn-sampled': { color: OKABE_ITO.orange, dash: '8 3 2 3 2 3', marker: 'cross' },
  'bkn-analytic': { color: OKABE_ITO.black, dash: '14 4', marker: 'plus' },
  none: { color: '#7F7F7F', dash: '4 2 1 2', marker: 'star' },
};

const FALLBACK_COLORS = Object.values(OKABE_ITO);
const FALLBACK_DASHES = [undefined, '7 3', '2 3', '9 3 2 3', '4 2', '10 4'];
const FALLBACK_MARKERS: MarkerShape[] = ['circle', 'square', 'diamond', 'triangle', 'triangle-down', 'cross', 'plus', 'star'];

/**
 * The style of a norm in every chart. A norm without an entry above (one added to config.ts later)
 * still gets a stable style, from its position in `NORM_NAMES`.
 *
 * @example
 * ```ts
 * normStyle('bkn'); // { color: '#0072B2', marker: 'triangle' } — the one solid line
 * ```
 */
export function normStyle(norm: NormName): SeriesStyle {
  const known = KNOWN[norm];
  if (known !== undefined) return known;
  const i = Math.max(0, (NORM_NAMES as readonly string[]).indexOf(norm));
  const dash = FALLBACK_DASHES[(i + 1) % FALLBACK_DASHES.length];
  return {
    color: FALLBACK_COLORS[i % FALLBACK_COLORS.length]!,
    ...(dash === undefined ? {} : { dash: `${dash} 1` }),
    marker: FALLBACK_MARKERS[(i + 3) % FALLBACK_MARKERS.length]!,
  };
}
