// The options objects of the data namespace (the file and package loaders, randomSplit, DataLoader):
// an unknown key, PyTorch's snake_case keyword or a string/array where the options go is an error
// naming the function, before any file is read (the error calls give a path that does not exist);
// valid options still take effect, on small files the test writes.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { data, Generator, tensor } from '../../src/index.js';
import { errorOf } from '../helpers/expect-error.js';
import { testOptionsRows, type OptionsRow } from '../helpers/options-table.js';

const root = mkdtempSync(join(tmpdir(), 'tsgrad-data-options-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const missing = join(root, 'no-such-path');

function writeIn(dir: string, files: Record<string, Uint8Array | string>): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

/** One CIFAR-10 record: label 3, then 3×32×32 pixel bytes. */
const cifarRecord = Uint8Array.from({ length: 3073 }, (_, k) => (k === 0 ? 3 : k % 256));

/** An unsigned-byte IDX file of the given dims (magic 00 00 08 ndim, big-endian dims, bytes). */
function idx(dims: number[], body: number[]): Uint8Array {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Uint8Array.from(body)]);
}

function mnistDir(): string {
  const images = idx([1, 2, 2], [0, 51, 102, 255]);
  const labels = idx([1], [7]);
  return writeIn(join(root, 'mnist'), {
    'train-images-idx3-ubyte': images, 'train-labels-idx1-ubyte': labels,
    't10k-images-idx3-ubyte': images, 't10k-labels-idx1-ubyte': labels,
  });
}

function cifarDir(): string {
  const names = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`).concat('test_batch.bin');
  return writeIn(join(root, 'cifar'), Object.fromEntries(names.map((n) => [n, cifarRecord])));
}

/** The fashion-mnist package's format: k.json holding {"data": [[784 pixel values]]}, one image per class. */
function fashionDir(): string {
  const row = JSON.stringify({ data: [Array.from({ length: 784 }, (_, j) => j % 256)] });
  return writeIn(join(root, 'fashion'), Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`${k}.json`, row])));
}

const dataset = (): data.TensorDataset => new data.TensorDataset(tensor([0, 1, 2, 3]));

const rows: OptionsRow[] = [
  {
    name: 'readCifar10Batch', call: (o) => data.readCifar10Batch(missing, o as object), expected: 'dtype', typo: 'dtpye',
    works: () => expect(data.readCifar10Batch(join(cifarDir(), 'test_batch.bin'), { dtype: 'float64' }).images.dtype).toBe('float64'),
  },
  {
    name: 'loadCifar10', call: (o) => data.loadCifar10(missing, o as object), expected: 'dtype', typo: 'dtpye',
    works: () => expect(data.loadCifar10(cifarDir(), { dtype: 'float64' }).train.images.dtype).toBe('float64'),
  },
  {
    name: 'loadMnist', call: (o) => data.loadMnist(missing, o as object), expected: 'dtype', typo: 'dtpye',
    works: () => expect(data.loadMnist(mnistDir(), { dtype: 'float64' }).test.images.dtype).toBe('float64'),
  },
  {
    name: 'loadMnistPackage', call: (o) => data.loadMnistPackage(o as object), expected: 'dtype', typo: 'dtpye',
    works: () => expect(data.loadMnistPackage({ dtype: 'float64' }).images.dtype).toBe('float64'),
  },
  {
    name: 'loadFashionMnistPackage', call: (o) => data.loadFashionMnistPackage(o as object), expected: 'dtype, dir', typo: 'directory',
    works: () => expect(data.loadFashionMnistPackage({ dir: fashionDir(), dtype: 'float64' }).images.dtype).toBe('float64'),
  },
  {
    name: 'randomSplit', call: (o) => data.randomSplit(dataset(), [2, 2], o as object), expected: 'seed, generator', typo: 'sead',
    works: () => {
      const bySeed = data.randomSplit(dataset(), [2, 2], { seed: 5 }).map((s) => s.indices);
      expect(data.randomSplit(dataset(), [2, 2], { generator: new Generator(5) }).map((s) => s.indices)).toEqual(bySeed);
    },
  },
  {
    name: 'DataLoader', call: (o) => new data.DataLoader(dataset(), o as object),
    expected: 'batchSize, shuffle, seed, generator, dropLast, collate', typo: 'batchsize', snake: ['batch_size', 'batchSize'],
    works: () => expect(new data.DataLoader(dataset(), { batchSize: 3, dropLast: true }).length).toBe(1),
  },
];

describe('data options: an unknown key or a non-object where the options go is an error naming the function, before any file access', () => {
  testOptionsRows(rows);

  it('DataLoader: drop_last is pointed to dropLast too', () => {
    expect(errorOf(() => new data.DataLoader(dataset(), { drop_last: true } as object))).toBe(
      "DataLoader: unknown option 'drop_last' — did you mean 'dropLast'? (expected batchSize, shuffle, seed, generator, dropLast, collate)",
    );
  });
});
