// Argument checking shared by the F functions (not part of the public surface). Every error names
// the function, so a user sees `conv2d: …`, not a message from deep inside a kernel.
import { Tensor } from '../../autograd/tensor.js';
import { promoteTypes } from '../../tensor/dtype.js';
import { formatValue, shapeString } from '../../tensor/shape.js';

/** A size given once for both spatial dims, or as [h, w]. */
export type Pair = number | readonly [number, number];

/** How a loss reduces its per-element values: PyTorch's `reduction`. */
export type Reduction = 'mean' | 'sum' | 'none';

/** Resolves a `Pair` to [h, w], checking that both are integers ≥ `min`. */
export function pair(value: Pair, name: string, fn: string, min: number): [number, number] {
  const [h, w] = typeof value === 'number' ? [value, value] : Array.isArray(value) && value.length === 2 ? value : [NaN, NaN];
  for (const v of [h, w]) {
    if (!Number.isInteger(v) || v < min) {
      throw new Error(`${fn}: ${name} must be an integer ≥ ${min} or a pair [h, w] of them, got ${formatValue(value)}`);
    }
  }
  return [h, w];
}

/** Throws unless `x` is a Tensor (named `name` in the message). */
export function checkTensor(x: unknown, name: string, fn: string): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new Error(`${fn}: ${name} must be a Tensor, got ${describe(x)}`);
}

/** Throws unless `x` has one of the allowed numbers of dims; `layout` describes what is expected. */
export function checkNdim(x: Tensor, allowed: readonly number[], name: string, layout: string, fn: string): void {
  if (!allowed.includes(x.ndim)) {
    throw new Error(`${fn}: expected ${name} of ${layout}, got shape ${shapeString(x.shape)}`);
  }
}

/** The tensors converted to their common dtype (float64 if any is float64), as PyTorch promotes. */
export function promoted<T extends (Tensor | null | undefined)[]>(...ts: T): T {
  const dtypes = ts.filter((t): t is Tensor => t instanceof Tensor).map((t) => t.dtype);
  const dtype = dtypes.reduce(promoteTypes, dtypes[0] ?? 'float32');
  return ts.map((t) => (t instanceof Tensor ? t.to(dtype) : t)) as T;
}

/** Throws unless `reduction` is 'mean', 'sum' or 'none'. */
export function checkReduction(reduction: unknown, fn: string): asserts reduction is Reduction {
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new Error(`${fn}: reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(reduction)}`);
  }
}

/** A short description of an unexpected argument, for error messages (a string shows its quotes). */
export function describe(x: unknown): string {
  if (x === null) return 'null';
  if (x === undefined) return 'undefined';
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'an object';
  return `${typeof x} ${formatValue(x)}`;
}
