/**
 * `DataLoader`, as `torch.utils.data.DataLoader` without worker processes: batches of a dataset,
 * optionally reshuffled every epoch from a seeded generator, collated into tensors.
 */
import { Tensor } from '../autograd/tensor.js';
import { allocate, getDefaultDtype } from '../tensor/dtype.js';
import { NDArray } from '../tensor/ndarray.js';
import { checkOptions, type OptionNames } from '../tensor/options.js';
import { Generator, defaultGenerator, randperm } from '../tensor/rng.js';
import { sameShape, shapeString } from '../tensor/shape.js';
import { Subset, TensorDataset, type Dataset } from './dataset.js';

/**
 * What the default collate makes of a batch of samples of type `T`: tensors are stacked along a
 * new first dim, numbers become a 1-d tensor, and arrays/tuples are collated position by position.
 */
export type Collated<T> = T extends Tensor
  ? Tensor
  : T extends number
    ? Tensor
    : T extends readonly unknown[]
      ? { -readonly [K in keyof T]: Collated<T[K]> }
      : never;

/** DataLoader's options. */
export interface DataLoaderOptions<T, B> {
  /** Samples per batch (default 1). */
  batchSize?: number;
  /** Draw a new random order every epoch (default false: dataset order). */
  shuffle?: boolean;
  /** Seed of the loader's own generator for shuffling (reproducible runs). */
  seed?: number;
  /** A generator to shuffle with; by default, `seed`'s, else the global one (`manualSeed`). */
  generator?: Generator;
  /** Drop the last batch when it would be smaller than batchSize (default false). */
  dropLast?: boolean;
  /** Turns a list of samples into a batch (default: `defaultCollate`). */
  collate?: (samples: T[]) => B;
}

const DATA_LOADER_OPTIONS: OptionNames<DataLoaderOptions<unknown, unknown>> = {
  batchSize: true, shuffle: 'flag', seed: true, generator: true, dropLast: 'flag', collate: true,
};

/**
 * Iterates over a dataset in batches; each `for … of` is one epoch. With `shuffle`, every epoch
 * draws a new permutation from the loader's generator, so epochs differ and a given `seed`
 * replays the same sequence of epochs. Over a `TensorDataset` (or a `Subset` of one) and without a
 * custom `collate`, batches are built by copying rows straight from the tensors' storage.
 *
 * @example
 * ```ts
 * import { data, randn, tensor } from 'tsgrad';
 * const ds = new data.TensorDataset(randn([100, 4]), tensor(Array.from({ length: 100 }, (_, i) => i % 3)));
 * const loader = new data.DataLoader(ds, { batchSize: 32, shuffle: true, seed: 0 });
 * for (let epoch = 0; epoch < 2; epoch++) {
 *   for (const [x, y] of loader) {
 *     // x: [32, 4] (the last batch [4, 4]); y: [32]
 *   }
 * }
 * ```
 */
export class DataLoader<T, B = Collated<T>> implements Iterable<B> {
  /** The dataset the batches are drawn from. */
  readonly dataset: Dataset<T>;
  /** Samples per batch (the last batch may be smaller unless `dropLast`). */
  readonly batchSize: number;
  /** Whether each pass visits the samples in a new random order. */
  readonly shuffle: boolean;
  /** Whether a last, incomplete batch is skipped. */
  readonly dropLast: boolean;
  private readonly generator: Generator;
  private readonly collate: ((samples: T[]) => B) | null;

  constructor(dataset: Dataset<T>, options: DataLoaderOptions<T, B> = {}) {
    checkOptions(options, DATA_LOADER_OPTIONS, 'DataLoader');
    const { batchSize = 1, shuffle = false, dropLast = false } = options;
    if (typeof dataset !== 'object' || dataset === null || typeof dataset.get !== 'function' || !Number.isInteger(dataset.length) || dataset.length < 0) {
      throw new Error('DataLoader: expected a dataset with an integer length and get(index)');
    }
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`DataLoader: batchSize must be a positive integer, got ${batchSize}`);
    if (options.seed !== undefined && options.generator !== undefined) throw new Error('DataLoader: pass seed or generator, not both');
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.generator = options.generator ?? (options.seed === undefined ? defaultGenerator : new Generator(options.seed));
    this.collate = options.collate ?? null;
  }

  /**
   * The number of batches per epoch.
   *
   * @example
   * ```ts
   * new data.DataLoader(ds, { batchSize: 32 }).length; // ceil(100 / 32) = 4
   * ```
   */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** One epoch of batches (the sample order is drawn when the epoch starts). */
  *[Symbol.iterator](): IterableIterator<B> {
    const n = this.dataset.length;
    const order = this.shuffle ? randperm(n, this.generator) : Array.from({ length: n }, (_, i) => i);
    const rows = this.collate === null ? tensorRows(this.dataset) : null;
    for (let start = 0; start < n; start += this.batchSize) {
      const end = Math.min(start + this.batchSize, n);
      if (end - start < this.batchSize && this.dropLast) break;
      const indices = order.slice(start, end);
      if (rows !== null) {
        const picked = rows.map === null ? indices : indices.map((i) => rows.map![i]!);
        yield rows.arrays.map((a) => gatherRows(a, picked)) as unknown as B;
      } else {
        const samples = indices.map((i) => this.dataset.get(i));
        yield this.collate === null ? (defaultCollate(samples) as unknown as B) : this.collate(samples);
      }
    }
  }
}

/** The tensors behind a TensorDataset, or a (nested) Subset of one, with the index map of the subset. */
function tensorRows(dataset: Dataset<unknown>): { arrays: readonly NDArray[]; map: readonly number[] | null } | null {
  if (dataset instanceof TensorDataset) return { arrays: dataset.arrays, map: null };
  if (dataset instanceof Subset) {
    const inner = tensorRows(dataset.dataset as Dataset<unknown>);
    if (inner === null) return null;
    const map = inner.map;
    return { arrays: inner.arrays, map: map === null ? dataset.indices : dataset.indices.map((i) => map[i]!) };
  }
  return null;
}

/** A new tensor [rows.length, …] holding rows `rows` of the contiguous array `a`. */
function gatherRows(a: NDArray, rows: readonly number[]): Tensor {
  const rowSize = a.shape.slice(1).reduce((p, d) => p * d, 1);
  const out = allocate(a.dtype, rows.length * rowSize);
  const src = a.data;
  // Long rows are block copies (memcpy via set); short ones (labels) a plain loop, cheaper than a subarray each.
  if (rowSize >= 16) {
    rows.forEach((r, b) => out.set(src.subarray(a.offset + r * rowSize, a.offset + (r + 1) * rowSize), b * rowSize));
  } else {
    for (let b = 0; b < rows.length; b++) {
      const from = a.offset + rows[b]! * rowSize;
      for (let k = 0; k < rowSize; k++) out[b * rowSize + k] = src[from + k]!;
    }
  }
  return new Tensor(new NDArray(out, [rows.length, ...a.shape.slice(1)]));
}

/**
 * The default way samples become a batch: tensors (all of one shape and dtype) are stacked along a
 * new first dim, numbers become a 1-d tensor — int32 when every one is an integer (class labels; PyTorch
 * gives int64), else of the default dtype — and arrays are collated element by element (so `[x, y]`
 * samples give `[X, Y]` batches). Anything else needs a custom `collate`.
 *
 * @example
 * ```ts
 * import { data, tensor } from 'tsgrad';
 * const [x, y] = data.defaultCollate([[tensor([1, 2]), 0], [tensor([3, 4]), 1]]); // [2, 2] and [2]
 * ```
 */
export function defaultCollate<T>(samples: readonly T[]): Collated<T> {
  if (samples.length === 0) throw new Error('defaultCollate: cannot collate an empty batch');
  const first = samples[0];
  if (first instanceof Tensor) {
    samples.forEach((s, i) => {
      if (!(s instanceof Tensor) || !sameShape(s.shape, first.shape) || s.dtype !== first.dtype) {
        const what = s instanceof Tensor ? `a ${s.dtype} tensor of shape ${shapeString(s.shape)}` : typeof s;
        throw new Error(`defaultCollate: sample ${i} is ${what}, but sample 0 is a ${first.dtype} tensor of shape ${shapeString(first.shape)}; samples of a batch must match`);
      }
    });
    const size = first.numel;
    const out = allocate(first.dtype, samples.length * size);
    samples.forEach((s, i) => out.set((s as Tensor).array.flat(), i * size));
    return new Tensor(new NDArray(out, [samples.length, ...first.shape])) as Collated<T>;
  }
  if (typeof first === 'number') {
    samples.forEach((s, i) => {
      if (typeof s !== 'number') throw new Error(`defaultCollate: sample ${i} is ${typeof s}, but sample 0 is a number`);
    });
    const integers = samples.every((s) => Number.isInteger(s) && Math.abs(s as number) < 2 ** 31);
    const out = allocate(integers ? 'int32' : getDefaultDtype(), samples.length);
    samples.forEach((s, i) => (out[i] = s as number));
    return new Tensor(new NDArray(out, [samples.length])) as Collated<T>;
  }
  if (Array.isArray(first)) {
    const width = first.length;
    samples.forEach((s, i) => {
      if (!Array.isArray(s) || s.length !== width) throw new Error(`defaultCollate: sample ${i} is not an array of length ${width} like sample 0`);
    });
    return Array.from({ length: width }, (_, k) => defaultCollate(samples.map((s) => (s as unknown[])[k]))) as Collated<T>;
  }
  throw new Error(`defaultCollate: cannot collate samples of type ${first === null ? 'null' : typeof first}; pass a collate function to the DataLoader`);
}
