/**
 * Datasets, as `torch.utils.data`: anything with a `length` and `get(i)`; `TensorDataset` over
 * tensors that share their first dimension; `Subset` and `randomSplit` for held-out splits.
 */
import { Tensor } from '../autograd/tensor.js';
import { NDArray } from '../tensor/ndarray.js';
import { checkOptions, type OptionNames } from '../tensor/options.js';
import { Generator, defaultGenerator, randperm } from '../tensor/rng.js';
import { shapeString } from '../tensor/shape.js';

/**
 * A map-style dataset: `length` samples, sample `i` from `get(i)` (0 ≤ i < length).
 *
 * @example
 * ```ts
 * import type { data } from 'tsgrad';
 * const squares: data.Dataset<[number, number]> = { length: 10, get: (i) => [i, i * i] };
 * ```
 */
export interface Dataset<T> {
  /** The number of samples. */
  readonly length: number;
  /** The sample at `index`, in [0, length). */
  get(index: number): T;
}

/** Throws unless `index` is an integer in [0, length). */
export function checkIndex(index: number, length: number, where: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new Error(`${where}: index ${index} is out of range for a dataset of length ${length}`);
  }
}

/**
 * Samples are rows of the given tensors: `get(i)` returns `[t0[i], t1[i], …]` (views that share
 * the tensors' storage, without autograd). All tensors must have the same size of dim 0.
 * A `DataLoader` over it batches by copying rows, without calling `get`.
 *
 * @example
 * ```ts
 * import { data, randn, tensor } from 'tsgrad';
 * const ds = new data.TensorDataset(randn([100, 3]), tensor(Array.from({ length: 100 }, (_, i) => i % 2)));
 * const [x, y] = ds.get(0); // shapes [3] and []
 * ```
 */
export class TensorDataset implements Dataset<Tensor[]> {
  /** The tensors given, each with the samples along dim 0. */
  readonly tensors: readonly Tensor[];
  /** The tensors' values, contiguous (copied once if a tensor was a strided view). */
  readonly arrays: readonly NDArray[];
  /** The number of samples (the tensors' common size of dim 0). */
  readonly length: number;

  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw new Error('TensorDataset: needs at least one tensor');
    tensors.forEach((t, k) => {
      if (!(t instanceof Tensor)) throw new Error(`TensorDataset: argument ${k} is not a Tensor`);
      if (t.ndim === 0) throw new Error(`TensorDataset: tensor ${k} is 0-d; every tensor needs a first dim to index samples along`);
    });
    const n = tensors[0]!.shape[0]!;
    const bad = tensors.findIndex((t) => t.shape[0] !== n);
    if (bad >= 0) {
      throw new Error(`TensorDataset: size mismatch between tensors: tensor 0 has ${n} samples (shape ${shapeString(tensors[0]!.shape)}), tensor ${bad} has ${tensors[bad]!.shape[0]} (shape ${shapeString(tensors[bad]!.shape)})`);
    }
    this.tensors = [...tensors];
    this.arrays = tensors.map((t) => t.array.contiguous());
    this.length = n;
  }

  /**
   * Sample `index`: one row of every tensor.
   *
   * @example
   * ```ts
   * const [x, y] = ds.get(3);
   * ```
   */
  get(index: number): Tensor[] {
    checkIndex(index, this.length, 'TensorDataset.get');
    return this.arrays.map((a) => new Tensor(new NDArray(a.data, a.shape.slice(1), a.strides.slice(1), a.offset + index * a.strides[0]!)));
  }
}

/**
 * The samples of `dataset` at `indices`, in that order.
 *
 * @example
 * ```ts
 * import { data, arange } from 'tsgrad';
 * const ds = new data.TensorDataset(arange(100));
 * const firstTen = new data.Subset(ds, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
 * firstTen.length; // 10
 * ```
 */
export class Subset<T> implements Dataset<T> {
  /** The dataset the samples come from. */
  readonly dataset: Dataset<T>;
  /** Which samples of `dataset`, in order. */
  readonly indices: readonly number[];

  constructor(dataset: Dataset<T>, indices: readonly number[]) {
    indices.forEach((i) => checkIndex(i, dataset.length, 'Subset'));
    this.dataset = dataset;
    this.indices = [...indices];
  }

  /** The number of samples (of indices). */
  get length(): number {
    return this.indices.length;
  }

  /** The sample `dataset.get(indices[index])`. */
  get(index: number): T {
    checkIndex(index, this.indices.length, 'Subset.get');
    return this.dataset.get(this.indices[index]!);
  }
}

/** randomSplit's options: the randomness (a seed, a generator, or the global one by default). */
export interface RandomSplitOptions {
  /** Seed a fresh generator with this (reproducible whatever else drew from the global one). */
  seed?: number;
  /** Draw from this generator (default: the global one that `manualSeed` seeds). */
  generator?: Generator;
}

const RANDOM_SPLIT_OPTIONS: OptionNames<RandomSplitOptions> = { seed: true, generator: true };

/**
 * Splits a dataset into non-overlapping random subsets of the given lengths (which sum to the
 * dataset's length), or fractions (which sum to 1; the remainder goes one by one to the first
 * subsets), as `torch.utils.data.random_split`.
 *
 * @example
 * ```ts
 * import { data, arange } from 'tsgrad';
 * const ds = new data.TensorDataset(arange(100));
 * const [train, heldOut] = data.randomSplit(ds, [0.9, 0.1], { seed: 0 }); // 90 and 10 samples
 * const [a, b] = data.randomSplit(ds, [60, 40], { seed: 0 });
 * ```
 */
export function randomSplit<T>(dataset: Dataset<T>, lengths: readonly number[], options: RandomSplitOptions = {}): Subset<T>[] {
  checkOptions(options, RANDOM_SPLIT_OPTIONS, 'randomSplit');
  const n = dataset.length;
  let sizes = [...lengths];
  const total = sizes.reduce((a, b) => a + b, 0);
  if (sizes.some((s) => !Number.isFinite(s) || s < 0)) throw new Error(`randomSplit: lengths must be non-negative numbers, got [${lengths.join(', ')}]`);
  if (Math.abs(total - 1) < 1e-9 && total !== n && sizes.every((s) => s <= 1)) {
    sizes = sizes.map((f) => Math.floor(n * f));
    let remainder = n - sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; remainder > 0; i = (i + 1) % sizes.length, remainder--) sizes[i]! += 1;
  }
  if (!sizes.every(Number.isInteger) || sizes.reduce((a, b) => a + b, 0) !== n) {
    throw new Error(`randomSplit: lengths [${lengths.join(', ')}] must be integers summing to the dataset's length ${n}, or fractions summing to 1`);
  }
  const gen = options.generator ?? (options.seed === undefined ? defaultGenerator : new Generator(options.seed));
  const perm = randperm(n, gen);
  const out: Subset<T>[] = [];
  let start = 0;
  for (const size of sizes) {
    out.push(new Subset(dataset, perm.slice(start, start + size)));
    start += size;
  }
  return out;
}
