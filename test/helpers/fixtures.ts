// Reusable helpers for tests that compare tsgrad against committed PyTorch fixtures (JSON written by
// the scripts in test/fixtures/, see fixture_util.py for the layout): load a file, build tensors in a
// chosen dtype, and compare arrays with a relative + absolute tolerance and a readable failure message.
import { readFileSync } from 'node:fs';
import { tensor, type DType, type Tensor } from '../../src/index.js';

/** One tensor in a fixture file: its shape and flat row-major values (non-finite ones as strings). */
export interface FixtureTensor {
  shape: number[];
  values: (number | string)[];
}

/** An input tensor, with whether the case differentiates with respect to it. */
export interface FixtureInput extends FixtureTensor {
  requiresGrad: boolean;
}

/**
 * The common case layout: an op with params applied to inputs; the output; the upstream gradient G;
 * and the gradients of sum(out · G) with respect to each input (null where not required).
 */
export interface OpCase<P = Record<string, unknown>> {
  name: string;
  op: string;
  params: P;
  inputs: FixtureInput[];
  output: FixtureTensor;
  gradOutput: FixtureTensor;
  grads: (FixtureTensor | null)[];
}

/** A fixture file: metadata plus a list of cases. */
export interface FixtureFile<C> {
  generator: string;
  torch: string;
  seed: number;
  dtype: string;
  cases: C[];
}

/**
 * Reads a JSON fixture file. `path` is resolved against `base` (pass `import.meta.url` of the test
 * file to use a path relative to it).
 */
export function loadFixtures<C = OpCase>(path: string, base?: string | URL): FixtureFile<C> {
  const url = base === undefined ? path : new URL(path, base);
  return JSON.parse(readFileSync(url, 'utf8')) as FixtureFile<C>;
}

/** Decodes a fixture's values ("NaN", "Infinity", "-Infinity" become the numbers) into a Float64Array. */
export function decodeValues(values: readonly (number | string)[]): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (typeof v === 'number') out[i] = v;
    else if (v === 'NaN') out[i] = NaN;
    else if (v === 'Infinity') out[i] = Infinity;
    else if (v === '-Infinity') out[i] = -Infinity;
    else throw new Error(`fixture: unexpected value ${JSON.stringify(v)} at index ${i}`);
  }
  return out;
}

/** Builds a tsgrad tensor of `dtype` from a fixture tensor (values rounded to the dtype). */
export function fixtureTensor(t: FixtureTensor, dtype: DType, requiresGrad = false): Tensor {
  return tensor(decodeValues(t.values), { shape: t.shape, dtype, requiresGrad });
}

/** Per-element tolerance: |actual − expected| ≤ atol + rtol·|expected|. */
export interface Tolerance {
  rtol: number;
  atol: number;
}

/** The multi-index of flat position `index` in a row-major array of `shape`, e.g. "[1, 0, 2]". */
export function indexString(shape: readonly number[], index: number): string {
  const idx: number[] = new Array<number>(shape.length);
  let rest = index;
  for (let d = shape.length - 1; d >= 0; d--) {
    const size = shape[d]!;
    idx[d] = size === 0 ? 0 : rest % size;
    rest = size === 0 ? 0 : Math.floor(rest / size);
  }
  return `[${idx.join(', ')}]`;
}

/**
 * The mismatch report for `actual` against `expected` within `tol`, or null if they agree. NaN must
 * meet NaN and ±Infinity the same infinity. The report names `label`, the count of bad elements
 * and the worst few: flat index, multi-index, expected, actual, |Δ| and the allowed |Δ|.
 */
export function compareArrays(
  label: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance,
  shape: readonly number[] = [expected.length],
): string | null {
  if (actual.length !== expected.length) {
    return `${label}: ${actual.length} elements, expected ${expected.length}`;
  }
  const bad: { i: number; excess: number; diff: number; allowed: number }[] = [];
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const a = actual[i]!;
    if (Number.isNaN(e) || Number.isNaN(a) || !Number.isFinite(e) || !Number.isFinite(a)) {
      if (!Object.is(a, e)) bad.push({ i, excess: Infinity, diff: NaN, allowed: 0 });
      continue;
    }
    const diff = Math.abs(a - e);
    const allowed = tol.atol + tol.rtol * Math.abs(e);
    if (!(diff <= allowed)) bad.push({ i, excess: diff / allowed, diff, allowed });
  }
  if (bad.length === 0) return null;
  bad.sort((x, y) => y.excess - x.excess);
  const rows = bad.slice(0, 5).map(
    ({ i, diff, allowed }) =>
      `  index ${i} ${indexString(shape, i)}: expected ${expected[i]}, actual ${actual[i]}, |Δ| ${diff.toExponential(2)} > allowed ${allowed.toExponential(2)}`,
  );
  return [
    `${label}: ${bad.length} of ${expected.length} elements differ (rtol ${tol.rtol}, atol ${tol.atol}); worst:`,
    ...rows,
  ].join('\n');
}

/**
 * Throws a readable Error unless `actual` (a tensor or a plain array) matches the fixture tensor
 * `expected` in shape (when a tensor is given) and values within `tol`.
 */
export function assertClose(label: string, actual: Tensor | ArrayLike<number>, expected: FixtureTensor, tol: Tolerance): void {
  let values: ArrayLike<number>;
  if (isTensor(actual)) {
    const shapeOk = actual.shape.length === expected.shape.length && actual.shape.every((d, i) => d === expected.shape[i]);
    if (!shapeOk) {
      throw new Error(`${label}: shape [${actual.shape.join(', ')}], expected [${expected.shape.join(', ')}]`);
    }
    values = actual.toArray();
  } else {
    values = actual;
  }
  const report = compareArrays(label, values, decodeValues(expected.values), tol, expected.shape);
  if (report !== null) throw new Error(report);
}

function isTensor(x: Tensor | ArrayLike<number>): x is Tensor {
  return typeof (x as Tensor).toArray === 'function';
}
