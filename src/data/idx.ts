/**
 * Readers for the IDX format of MNIST, Fashion-MNIST (and EMNIST, KMNIST): a 4-byte magic number
 * (two zero bytes, a data-type byte, the number of dimensions), one big-endian uint32 per
 * dimension, then the elements in row-major order, big-endian. Files may be gzip-compressed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Tensor } from '../autograd/tensor.js';
import { allocate, assertDtype, type DType } from '../tensor/dtype.js';
import { NDArray } from '../tensor/ndarray.js';
import { checkOptions, type OptionNames } from '../tensor/options.js';

/** The element types of the IDX format. */
export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** The storage of an IDX array, by element type. */
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** An IDX file's contents: element type, shape, and the elements in row-major order. */
export interface IdxArray {
  /** The element type named in the magic number. */
  type: IdxType;
  /** The dims, from the header. */
  shape: number[];
  /** The elements in row-major order, in a typed array of the element type. */
  data: IdxData;
}

/** Images with their class labels: images [N, C, H, W] in [0, 1], labels [N] of class indices. */
export interface LabeledImages {
  /** Images [N, C, H, W] with pixel values in [0, 1]. */
  images: Tensor;
  /** Class indices [N], int32 (as torchvision's int64 targets; the `dtype` option is the images'). */
  labels: Tensor;
}

/** A dataset's standard train and test splits. */
export interface TrainTest {
  /** The training split. */
  train: LabeledImages;
  /** The test split. */
  test: LabeledImages;
}

/** Options of the image loaders. */
export interface ImageLoadOptions {
  /** The dtype of the images (default float32). Labels are always int32 class indices. */
  dtype?: DType;
}

/** The names of {@link ImageLoadOptions}, for the loaders' options check. */
export const IMAGE_LOAD_OPTIONS: OptionNames<ImageLoadOptions> = { dtype: true };

const TYPE_CODES: Record<number, { type: IdxType; bytes: number }> = {
  0x08: { type: 'uint8', bytes: 1 },
  0x09: { type: 'int8', bytes: 1 },
  0x0b: { type: 'int16', bytes: 2 },
  0x0c: { type: 'int32', bytes: 4 },
  0x0d: { type: 'float32', bytes: 4 },
  0x0e: { type: 'float64', bytes: 8 },
};

/**
 * A file's bytes, gunzipped when they are gzip data (recognised by the gzip magic bytes 1f 8b,
 * not by the name: browsers often save MNIST's .gz files already decompressed).
 */
export function readBytes(path: string, where: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new Error(`${where}: cannot read ${path}: ${(err as Error).message}`);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      throw new Error(`${where}: ${path}: the gzip data is truncated or corrupt (${(err as Error).message})`);
    }
  }
  return bytes;
}

/**
 * Reads an IDX file (plain or gzip-compressed), checking the magic number and that the data size
 * agrees with the header's dimensions.
 *
 * @example
 * ```ts
 * import { data } from 'tsgrad';
 * const { type, shape, data: pixels } = data.readIdx('mnist/t10k-images-idx3-ubyte.gz');
 * // 'uint8', [10000, 28, 28], Uint8Array(7840000)
 * ```
 */
export function readIdx(path: string): IdxArray {
  return parseIdx(readBytes(path, 'readIdx'), path);
}

/** Parses the bytes of an IDX file (`path` names it in errors). */
export function parseIdx(bytes: Uint8Array, path: string): IdxArray {
  const where = `readIdx: ${path}`;
  if (bytes.length < 4) throw new Error(`${where}: the file is ${bytes.length} bytes, too short for the 4-byte IDX magic number`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const code = bytes[2]!;
  if (bytes[0] !== 0 || bytes[1] !== 0 || TYPE_CODES[code] === undefined) {
    throw new Error(`${where}: bad magic number 0x${hex(magic)}: an IDX file starts with two zero bytes, a data-type byte (0x08 unsigned byte, 0x09 byte, 0x0B short, 0x0C int, 0x0D float, 0x0E double) and the number of dimensions — this is not an IDX file, or it is corrupt`);
  }
  const { type, bytes: elemBytes } = TYPE_CODES[code]!;
  const ndim = bytes[3]!;
  const header = 4 + 4 * ndim;
  if (bytes.length < header) {
    throw new Error(`${where}: truncated header: the magic number 0x${hex(magic)} declares ${ndim} dimensions (${header} header bytes), but the file has only ${bytes.length} bytes`);
  }
  const shape = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((p, d) => p * d, 1);
  const expected = count * elemBytes;
  const actual = bytes.length - header;
  if (actual !== expected) {
    const what = actual < expected ? 'truncated data' : 'size mismatch';
    throw new Error(`${where}: ${what}: the header's shape [${shape.join(', ')}] of ${type} needs ${expected} bytes after the ${header}-byte header, but the file has ${actual}${actual > expected ? ` (${actual - expected} extra)` : ''}`);
  }
  let data: IdxData;
  if (type === 'uint8' || type === 'int8') {
    // A copy into a fresh buffer (a Buffer's slice() would be a view of the whole file's memory).
    const copy = new Uint8Array(bytes.subarray(header, header + expected));
    data = type === 'uint8' ? copy : new Int8Array(copy.buffer);
  } else {
    // Multi-byte elements are big-endian: read them one by one through the DataView.
    const read: (offset: number) => number = {
      int16: (o: number) => view.getInt16(o, false),
      int32: (o: number) => view.getInt32(o, false),
      float32: (o: number) => view.getFloat32(o, false),
      float64: (o: number) => view.getFloat64(o, false),
    }[type];
    data = type === 'int16' ? new Int16Array(count) : type === 'int32' ? new Int32Array(count) : type === 'float32' ? new Float32Array(count) : new Float64Array(count);
    for (let i = 0; i < count; i++) data[i] = read(header + i * elemBytes);
  }
  return { type, shape, data };
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0').toUpperCase();
}

/** The standard file names of each part (with or without .gz; the dash and the dot variants). */
const MNIST_FILES = {
  trainImages: ['train-images-idx3-ubyte', 'train-images.idx3-ubyte'],
  trainLabels: ['train-labels-idx1-ubyte', 'train-labels.idx1-ubyte'],
  testImages: ['t10k-images-idx3-ubyte', 't10k-images.idx3-ubyte'],
  testLabels: ['t10k-labels-idx1-ubyte', 't10k-labels.idx1-ubyte'],
} as const;

function findFile(dir: string, stems: readonly string[], what: string): string {
  const candidates = stems.flatMap((s) => [s, `${s}.gz`]);
  for (const name of candidates) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  throw new Error(`loadMnist: no ${what} file in ${dir} (looked for ${candidates.join(', ')})`);
}

/**
 * Loads MNIST or Fashion-MNIST from a directory holding the four standard IDX files
 * (`train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
 * `t10k-labels-idx1-ubyte`, each plain or `.gz`; `train-images.idx3-ubyte`-style names work too).
 * Images come as [N, 1, 28, 28] scaled to [0, 1] (pixel / 255, as torchvision's ToTensor), labels as
 * [N] int32 class indices.
 *
 * @example
 * ```ts
 * import { data } from 'tsgrad';
 * const { train, test } = data.loadMnist('./mnist');
 * train.images.shape; // [60000, 1, 28, 28]
 * test.labels.shape;  // [10000]
 * ```
 */
export function loadMnist(dir: string, options: ImageLoadOptions = {}): TrainTest {
  checkOptions(options, IMAGE_LOAD_OPTIONS, 'loadMnist');
  const dtype = options.dtype ?? 'float32';
  assertDtype(dtype, 'loadMnist');
  const split = (images: readonly string[], labels: readonly string[], name: string): LabeledImages => {
    const imagesPath = findFile(dir, images, `${name} images`);
    const labelsPath = findFile(dir, labels, `${name} labels`);
    return readMnistPair(imagesPath, labelsPath, dtype);
  };
  return {
    train: split(MNIST_FILES.trainImages, MNIST_FILES.trainLabels, 'training'),
    test: split(MNIST_FILES.testImages, MNIST_FILES.testLabels, 'test'),
  };
}

/**
 * Reads one images file and its labels file (IDX, plain or gzip) as `{ images, labels }`, checking
 * that both are unsigned-byte IDX files (magic 0x00000803 and 0x00000801) of the same length.
 *
 * @example
 * ```ts
 * import { data } from 'tsgrad';
 * const test = data.readMnistPair('mnist/t10k-images-idx3-ubyte.gz', 'mnist/t10k-labels-idx1-ubyte.gz');
 * ```
 */
export function readMnistPair(imagesPath: string, labelsPath: string, dtype: DType = 'float32'): LabeledImages {
  const images = readIdx(imagesPath);
  if (images.type !== 'uint8' || images.shape.length !== 3) {
    throw new Error(`loadMnist: ${imagesPath}: expected unsigned-byte images of shape [N, rows, cols] (magic 0x00000803), got ${images.type} data of shape [${images.shape.join(', ')}]`);
  }
  const labels = readIdx(labelsPath);
  if (labels.type !== 'uint8' || labels.shape.length !== 1) {
    throw new Error(`loadMnist: ${labelsPath}: expected unsigned-byte labels of shape [N] (magic 0x00000801), got ${labels.type} data of shape [${labels.shape.join(', ')}]`);
  }
  const [n, rows, cols] = images.shape as [number, number, number];
  if (labels.shape[0] !== n) {
    throw new Error(`loadMnist: ${imagesPath} holds ${n} images but ${labelsPath} holds ${labels.shape[0]} labels`);
  }
  return { images: bytesToImages(images.data as Uint8Array, [n, 1, rows, cols], dtype), labels: bytesToLabels(labels.data as Uint8Array) };
}

/** Pixels 0–255 as a tensor of `shape` with values pixel / 255. */
export function bytesToImages(pixels: Uint8Array, shape: readonly number[], dtype: DType): Tensor {
  const out = allocate(dtype, pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = pixels[i]! / 255;
  return new Tensor(new NDArray(out, [...shape]));
}

/** Label bytes as a 1-d int32 tensor of class indices. */
export function bytesToLabels(labels: Uint8Array): Tensor {
  const out = allocate('int32', labels.length);
  out.set(labels);
  return new Tensor(new NDArray(out, [labels.length]));
}
