// Lookups by integer index: oneHot and embedding, as torch.nn.functional's. The indices are an int32
// tensor or a (nested) JS array of integers, of any shape; the result gains one trailing dim.
// embedding is a row gather (indexSelect), so its gradient is a scatter-add into the rows used and
// it stays differentiable twice.
import { tensor } from '../../autograd/creation.js';
import { noGrad } from '../../autograd/grad-mode.js';
import { Tensor, type IndexLike } from '../../autograd/tensor.js';
import { where } from '../../autograd/where.js';
import { NDArray } from '../../tensor/ndarray.js';
import { checkOptions, type OptionNames } from '../../tensor/options.js';
import { shapeString } from '../../tensor/shape.js';
import { checkTensor, describe } from './args.js';

/** The indices as an int32 NDArray (a float or bool tensor, a non-integer or a ragged array: a clear error). */
function readIndices(indices: IndexLike, fn: string): NDArray {
  if (indices instanceof Tensor) {
    if (indices.dtype !== 'int32') {
      throw new Error(`${fn}: the indices must be an int32 tensor (or an array of integers), got a ${indices.dtype} tensor; convert it with .to('int32')`);
    }
    // A copy: a later write to the index tensor must not change what backward scatters into.
    return indices.array.copy();
  }
  if (typeof indices !== 'number' && !Array.isArray(indices)) {
    throw new Error(`${fn}: the indices must be an int32 tensor or an array of integers, got ${describe(indices)}`);
  }
  // float64 holds every int32 exactly, so the integer check below sees the values as given.
  const asFloat = tensor(indices, { dtype: 'float64' });
  const values = asFloat.toArray();
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || Math.abs(v) > 2 ** 31 - 1) throw new Error(`${fn}: indices must be integers, got ${v} at flat index ${i}`);
  }
  return new NDArray(Int32Array.from(values), [...asFloat.shape]);
}

/** "[i, j, …]": the multi-index of flat position `flat` in `shape`, for error messages. */
function positionOf(flat: number, shape: readonly number[]): string {
  const at: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    at.unshift(flat % shape[d]!);
    flat = Math.floor(flat / shape[d]!);
  }
  return `[${at.join(', ')}]`;
}

/**
 * One-hot encoding, as `torch.nn.functional.one_hot`: an int32 tensor of shape
 * [...indices.shape, numClasses] with a 1 at each index. `numClasses = -1` (the default) takes
 * max(indices) + 1, which needs at least one index. Negative indices and indices ≥ numClasses are
 * errors. Not differentiable (an int32 result; multiply it by a float tensor to use it as a mask).
 *
 * @example
 * ```ts
 * import { F } from 'tsgrad';
 * F.oneHot([2, 0], 3).toNested(); // [[0, 0, 1], [1, 0, 0]]
 * ```
 */
export function oneHot(indices: IndexLike, numClasses = -1): Tensor {
  const fn = 'oneHot';
  const idx = readIndices(indices, fn);
  const flat = idx.flat();
  if (!Number.isInteger(numClasses) || numClasses < -1) throw new Error(`${fn}: numClasses must be -1 (infer) or an integer ≥ 0, got ${numClasses}`);
  let classes = numClasses;
  if (classes === -1) {
    if (flat.length === 0) throw new Error(`${fn}: cannot infer numClasses from empty indices; pass numClasses`);
    let largest = 0;
    for (let i = 0; i < flat.length; i++) largest = Math.max(largest, flat[i]!);
    classes = largest + 1;
  }
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i]!;
    if (v < 0 || v >= classes) {
      throw new Error(`${fn}: index ${v} at ${positionOf(i, idx.shape)} of the indices (shape ${shapeString(idx.shape)}) is out of range for ${classes} classes (expected 0 … ${classes - 1})`);
    }
  }
  const out = new Int32Array(flat.length * classes);
  for (let i = 0; i < flat.length; i++) out[i * classes + flat[i]!] = 1;
  return new Tensor(new NDArray(out, [...idx.shape, classes]));
}

/** Options of `F.embedding` (PyTorch's keywords). */
export interface EmbeddingOptions {
  /** A row whose lookups get no gradient (negative counts from the end, as PyTorch). Default: none. */
  paddingIdx?: number | null;
  /** Rows used by this call whose norm exceeds it are rescaled to this norm, in place. Default: none. */
  maxNorm?: number | null;
  /** The p of the norm for `maxNorm` (default 2). */
  normType?: number;
}

const EMBEDDING_OPTIONS: OptionNames<EmbeddingOptions> = { paddingIdx: true, maxNorm: true, normType: true };

/** paddingIdx as a row number in [0, rows), or null; out of range is an error, as PyTorch's assert. */
export function normalizePaddingIdx(paddingIdx: number | null | undefined, rows: number, fn: string): number | null {
  if (paddingIdx === undefined || paddingIdx === null) return null;
  if (!Number.isInteger(paddingIdx) || paddingIdx < -rows || paddingIdx >= rows) {
    throw new Error(`${fn}: paddingIdx must be an integer within the ${rows} rows (−${rows} … ${rows - 1}), got ${paddingIdx}`);
  }
  return paddingIdx < 0 ? paddingIdx + rows : paddingIdx;
}

/**
 * Looks up rows of `weight` ([numEmbeddings, embeddingDim]) by index, as
 * `torch.nn.functional.embedding`: the result has shape [...indices.shape, embeddingDim]. Indices
 * are an int32 tensor or an array of integers; one outside 0 … numEmbeddings − 1 is an error naming
 * it. Differentiable with respect to `weight` (repeated indices add up their gradients), twice.
 *
 * - `paddingIdx`: lookups of that row return it as it is but send no gradient to it (PyTorch's rule).
 * - `maxNorm`: before the lookup, every row this call uses whose `normType`-norm exceeds maxNorm is
 *   scaled in place by maxNorm / (norm + 1e-7), without recording a graph — PyTorch's
 *   `embedding_renorm_`. The weight's version is bumped, so a backward through an earlier use of the
 *   old values throws instead of using the new ones.
 *
 * NOTE: PyTorch's `scale_grad_by_freq` and `sparse` are not copied (tsgrad's gradients are dense).
 *
 * @example
 * ```ts
 * import { F, randn } from 'tsgrad';
 * const weight = randn([10, 4], { requiresGrad: true });
 * const rows = F.embedding([[1, 2], [2, 9]], weight, { paddingIdx: 9 });
 * rows.shape; // [2, 2, 4]
 * rows.sum().backward(); // row 2 gets 2 per entry, row 9 (padding) gets 0
 * ```
 */
export function embedding(indices: IndexLike, weight: Tensor, options: EmbeddingOptions = {}): Tensor {
  const fn = 'embedding';
  checkOptions(options, EMBEDDING_OPTIONS, fn);
  checkTensor(weight, 'weight', fn);
  if (weight.ndim !== 2) throw new Error(`${fn}: weight must be 2-d [numEmbeddings, embeddingDim], got shape ${shapeString(weight.shape)}`);
  if (weight.dtype !== 'float32' && weight.dtype !== 'float64') throw new Error(`${fn}: weight must be float32 or float64, got ${weight.dtype}`);
  const idx = readIndices(indices, fn);
  const [rows, dim] = weight.shape as [number, number];
  const flat = idx.flat();
  for (let i = 0; i < flat.length; i++) {
    if (flat[i]! < 0 || flat[i]! >= rows) {
      throw new Error(`${fn}: index ${flat[i]} at ${positionOf(i, idx.shape)} of the indices (shape ${shapeString(idx.shape)}) is out of range for a weight of ${rows} rows (expected 0 … ${rows - 1})`);
    }
  }
  const paddingIdx = normalizePaddingIdx(options.paddingIdx, rows, fn);
  if (options.maxNorm !== undefined && options.maxNorm !== null) renormRows(weight, flat, options.maxNorm, options.normType ?? 2, fn);
  const flatIdx = new Tensor(new NDArray(Int32Array.from(flat), [flat.length]));
  let out = weight.indexSelect(0, flatIdx);
  if (paddingIdx !== null && flat.includes(paddingIdx)) {
    // The padding lookups read a detached copy of the weight: same values, no gradient to that row.
    const isPadding = new Tensor(new NDArray(Uint8Array.from(flat, (v) => (v === paddingIdx ? 1 : 0)), [flat.length, 1]));
    out = where(isPadding, weight.detach().indexSelect(0, flatIdx), out);
  }
  return out.reshape([...idx.shape, dim]);
}

/**
 * PyTorch's `embedding_renorm_`: each distinct row in `used` whose p-norm exceeds maxNorm is
 * multiplied by maxNorm / (norm + 1e-7) in place (the factor in the weight's dtype, as PyTorch's
 * scalar multiply), under noGrad; the other rows are untouched. Bumps the weight's version.
 */
function renormRows(weight: Tensor, used: ArrayLike<number>, maxNorm: number, normType: number, fn: string): void {
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0)) throw new Error(`${fn}: maxNorm must be a number ≥ 0, got ${describe(maxNorm)}`);
  if (typeof normType !== 'number' || !(normType > 0)) throw new Error(`${fn}: normType must be a number > 0, got ${describe(normType)}`);
  const [rows, dim] = weight.shape as [number, number];
  const distinct = [...new Set(Array.from(used))];
  noGrad(() => {
    const norms = weight.indexSelect(0, distinct).norm(normType, 1).toArray();
    const scale = new Float64Array(rows).fill(1);
    let changed = false;
    distinct.forEach((row, k) => {
      const norm = norms[k]!;
      if (norm > maxNorm) {
        scale[row] = maxNorm / (norm + 1e-7);
        changed = true;
      }
    });
    if (!changed) return;
    const factors = new Tensor(new NDArray(scale, [rows, 1])).to(weight.dtype);
    // Rows with factor 1 are unchanged bit for bit (x·1 = x); mul_ bumps the version.
    weight.mul_(factors.expand([rows, dim]));
  });
}
