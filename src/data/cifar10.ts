/**
 * The CIFAR-10 binary format ("CIFAR-10 binary version", cifar-10-binary.tar.gz): each batch file
 * is a sequence of 3073-byte records, one label byte (0–9) followed by the 32×32 image as 1024 red,
 * 1024 green and 1024 blue bytes, each plane row-major — exactly the CHW layout of a tensor.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { allocate, assertDtype, type DType } from '../tensor/dtype.js';
import { NDArray } from '../tensor/ndarray.js';
import { checkOptions } from '../tensor/options.js';
import { Tensor } from '../autograd/tensor.js';
import { IMAGE_LOAD_OPTIONS, readBytes, type ImageLoadOptions, type LabeledImages, type TrainTest } from './idx.js';

/** The class names of CIFAR-10, indexed by label. */
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;

const PIXELS = 3 * 32 * 32;
const RECORD = 1 + PIXELS;

/** A batch file's raw records: labels and the pixels of every image, back to back. */
interface RawBatch {
  labels: Uint8Array;
  pixels: Uint8Array;
}

/** Reads and checks one batch file; errors name `fn` (the function the caller called) and the file. */
function readRawBatch(path: string, fn: string): RawBatch {
  const where = `${fn}: ${path}`;
  const bytes = readBytes(path, fn);
  if (bytes.length === 0) throw new Error(`${where}: the file is empty`);
  if (bytes.length % RECORD !== 0) {
    throw new Error(`${where}: ${bytes.length} bytes is not a whole number of ${RECORD}-byte records (1 label byte + 3×32×32 pixel bytes): ${Math.floor(bytes.length / RECORD)} records and ${bytes.length % RECORD} bytes left over — the file is truncated or not a CIFAR-10 binary batch`);
  }
  const n = bytes.length / RECORD;
  const labels = new Uint8Array(n);
  const pixels = new Uint8Array(n * PIXELS);
  for (let r = 0; r < n; r++) {
    const label = bytes[r * RECORD]!;
    if (label > 9) {
      throw new Error(`${where}: record ${r} has label ${label}, but CIFAR-10 labels are 0–9 — the file is corrupt or not CIFAR-10 (CIFAR-100 records are 3074 bytes)`);
    }
    labels[r] = label;
    pixels.set(bytes.subarray(r * RECORD + 1, (r + 1) * RECORD), r * PIXELS);
  }
  return { labels, pixels };
}

function toLabeledImages(batches: readonly RawBatch[], dtype: DType): LabeledImages {
  const n = batches.reduce((s, b) => s + b.labels.length, 0);
  const images = allocate(dtype, n * PIXELS);
  const labels = allocate('int32', n); // class indices: int32 whatever the images' dtype
  let at = 0;
  for (const b of batches) {
    for (let i = 0; i < b.pixels.length; i++) images[at * PIXELS + i] = b.pixels[i]! / 255;
    labels.set(b.labels, at);
    at += b.labels.length;
  }
  return { images: new Tensor(new NDArray(images, [n, 3, 32, 32])), labels: new Tensor(new NDArray(labels, [n])) };
}

/**
 * Reads one CIFAR-10 binary batch file: images [N, 3, 32, 32] scaled to [0, 1], labels [N] (int32).
 *
 * @example
 * ```ts
 * import { data } from 'tsgrad';
 * const test = data.readCifar10Batch('cifar-10-batches-bin/test_batch.bin');
 * test.images.shape; // [10000, 3, 32, 32]
 * ```
 */
export function readCifar10Batch(path: string, options: ImageLoadOptions = {}): LabeledImages {
  checkOptions(options, IMAGE_LOAD_OPTIONS, 'readCifar10Batch');
  const dtype = options.dtype ?? 'float32';
  assertDtype(dtype, 'readCifar10Batch');
  return toLabeledImages([readRawBatch(path, 'readCifar10Batch')], dtype);
}

/**
 * Loads CIFAR-10 from the binary version's directory (`data_batch_1.bin` … `data_batch_5.bin` and
 * `test_batch.bin`, in `dir` or in `dir/cifar-10-batches-bin` as the archive unpacks): train
 * images [50000, 3, 32, 32] and test images [10000, 3, 32, 32] scaled to [0, 1], labels [N] (int32) of class
 * indices (names in `CIFAR10_CLASSES`). NOTE: the float32 training images take 614 MB.
 *
 * @example
 * ```ts
 * import { data } from 'tsgrad';
 * const { train, test } = data.loadCifar10('./cifar-10-batches-bin');
 * ```
 */
export function loadCifar10(dir: string, options: ImageLoadOptions = {}): TrainTest {
  checkOptions(options, IMAGE_LOAD_OPTIONS, 'loadCifar10');
  const dtype = options.dtype ?? 'float32';
  assertDtype(dtype, 'loadCifar10');
  const nested = join(dir, 'cifar-10-batches-bin');
  const base = !existsSync(join(dir, 'data_batch_1.bin')) && existsSync(join(nested, 'data_batch_1.bin')) ? nested : dir;
  const path = (name: string): string => {
    const p = join(base, name);
    if (!existsSync(p)) throw new Error(`loadCifar10: ${name} is missing from ${base} (expected data_batch_1.bin … data_batch_5.bin and test_batch.bin)`);
    return p;
  };
  const trainFiles = [1, 2, 3, 4, 5].map((i) => path(`data_batch_${i}.bin`));
  const testFile = path('test_batch.bin');
  return {
    train: toLabeledImages(trainFiles.map((f) => readRawBatch(f, 'loadCifar10')), dtype),
    test: toLabeledImages([readRawBatch(testFile, 'loadCifar10')], dtype),
  };
}
