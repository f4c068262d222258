// data.loadFashionMnistPackage on class files the test writes (a few images per class), so every
// expected value comes from the test's own pixels; every malformed file must be a one-line error
// naming the file. One test reads the installed package to check its size and classes.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { data } from '../../src/index.js';
import { fashionMnistPackageDir } from '../../src/data/fashion-mnist-package.js';

const root = mkdtempSync(join(tmpdir(), 'tsgrad-fashion-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;

/** Image `i` of class `k`: pixel j is (k·31 + i·7 + j) mod 256, so every image differs. */
function image(k: number, i: number): number[] {
  return Array.from({ length: 784 }, (_, j) => (k * 31 + i * 7 + j) % 256);
}

/** Writes 0.json … 9.json with `counts[k]` images of class k; `rows` overrides a class's rows. */
function writeClasses(counts: number[], rows: Record<number, unknown[]> = {}): string {
  const dir = join(root, `d${counter++}`);
  mkdirSync(dir);
  counts.forEach((n, k) => {
    const data = rows[k] ?? Array.from({ length: n }, (_, i) => image(k, i));
    writeFileSync(join(dir, `${k}.json`), JSON.stringify({ data }));
  });
  return dir;
}

/** The message of the error `fn` throws, checked to be one line. */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    const msg = (e as Error).message;
    expect(msg).not.toContain('\n');
    return msg;
  }
  throw new Error('no error');
}

const COUNTS = [3, 1, 2, 2, 1, 1, 2, 1, 1, 4];

describe('data.loadFashionMnistPackage', () => {
  it('reads the class files in class order: shapes, pixel / 255, labels', () => {
    const dir = writeClasses(COUNTS);
    const { images, labels, emptyRows } = data.loadFashionMnistPackage({ dir });
    const n = COUNTS.reduce((a, b) => a + b, 0);
    expect(images.shape).toEqual([n, 1, 28, 28]);
    expect(images.dtype).toBe('float32');
    expect(labels.shape).toEqual([n]);
    expect(labels.dtype).toBe('int32');
    expect(emptyRows).toEqual([]);
    const expectedLabels = COUNTS.flatMap((c, k) => Array<number>(c).fill(k));
    expect([...labels.toArray()]).toEqual(expectedLabels);
    const x = images.array.data;
    let at = 0;
    COUNTS.forEach((c, k) => {
      for (let i = 0; i < c; i++, at++) {
        expect(x.subarray(at * 784, (at + 1) * 784)).toEqual(Float32Array.from(image(k, i), (v) => v / 255));
      }
    });
    // the extremes: 0 → 0 and 255 → exactly 1
    expect(Math.min(...x)).toBe(0);
    expect(Math.max(...x)).toBe(1);
  });

  it('honours dtype: float64 holds pixel / 255 exactly', () => {
    const dir = writeClasses(COUNTS);
    const { images } = data.loadFashionMnistPackage({ dir, dtype: 'float64' });
    expect(images.dtype).toBe('float64');
    expect(images.array.data[784 + 5]).toBe(image(0, 1)[5]! / 255);
  });

  it('skips empty rows (the package has two) and says which', () => {
    const dir = writeClasses(COUNTS, { 2: [image(2, 0), [], image(2, 1)] });
    const { images, labels, emptyRows } = data.loadFashionMnistPackage({ dir });
    expect(emptyRows).toEqual([`${join(dir, '2.json')}:1`]);
    expect(images.shape[0]).toBe(18);
    const at = 3 + 1; // after the 3 of class 0 and the 1 of class 1
    expect([...labels.toArray()].slice(at, at + 3)).toEqual([2, 2, 3]);
    expect(images.array.data.subarray((at + 1) * 784, (at + 2) * 784)).toEqual(Float32Array.from(image(2, 1), (v) => v / 255));
  });

  it('names the file of every malformed input', () => {
    const missing = writeClasses(COUNTS);
    rmSync(join(missing, '7.json'));
    expect(errorOf(() => data.loadFashionMnistPackage({ dir: missing }))).toBe(`loadFashionMnistPackage: missing class file ${join(missing, '7.json')}`);

    const badJson = writeClasses(COUNTS);
    writeFileSync(join(badJson, '4.json'), '{"data": [[1, 2,');
    expect(errorOf(() => data.loadFashionMnistPackage({ dir: badJson }))).toMatch(new RegExp(`^loadFashionMnistPackage: ${escape(join(badJson, '4.json'))} is not valid JSON \\(`));

    const noData = writeClasses(COUNTS);
    writeFileSync(join(noData, '0.json'), '{"images": []}');
    expect(errorOf(() => data.loadFashionMnistPackage({ dir: noData }))).toContain(`${join(noData, '0.json')} should hold {"data": [[784 pixel values], …]}`);

    const cases: [string, unknown[], string][] = [
      ['a short row', [image(5, 0), image(5, 1).slice(0, 783)], 'row 1 should be an array of 784 pixel values, got 783 values'],
      ['a long row', [[...image(5, 0), 0]], 'row 0 should be an array of 784 pixel values, got 785 values'],
      ['a row that is not an array', [image(5, 0), 'pixels'], 'row 1 should be an array of 784 pixel values, got "pixels"'],
      ['a value above 255', [image(5, 0).map((v, j) => (j === 100 ? 256 : v))], 'row 0, pixel 100 is 256, not an integer in 0…255'],
      ['a negative value', [image(5, 0).map((v, j) => (j === 0 ? -1 : v))], 'row 0, pixel 0 is -1, not an integer in 0…255'],
      ['a fraction', [image(5, 0), image(5, 1).map((v, j) => (j === 783 ? 0.5 : v))], 'row 1, pixel 783 is 0.5, not an integer in 0…255'],
      ['a string', [image(5, 0).map((v, j) => (j === 9 ? '9' : v))], 'row 0, pixel 9 is "9", not an integer in 0…255'],
      ['a null', [image(5, 0).map((v, j) => (j === 9 ? null : v))], 'row 0, pixel 9 is null, not an integer in 0…255'],
    ];
    for (const [what, rows, message] of cases) {
      const dir = writeClasses(COUNTS, { 5: rows });
      expect(errorOf(() => data.loadFashionMnistPackage({ dir })), what).toBe(`loadFashionMnistPackage: ${join(dir, '5.json')}: ${message}`);
    }
  });

  it('a missing package is an error saying how to install it', () => {
    expect(errorOf(() => fashionMnistPackageDir('tsgrad-no-such-fashion-package'))).toMatch(
      /^loadFashionMnistPackage: the 'tsgrad-no-such-fashion-package' npm package is not installed .*npm install --save-dev tsgrad-no-such-fashion-package/,
    );
  });

  it('finds the installed package: 70 000 images, 7 000 per class, named classes', () => {
    const dir = fashionMnistPackageDir();
    for (let k = 0; k < 10; k++) expect(existsSync(join(dir, `${k}.json`))).toBe(true);
    const { images, labels, emptyRows } = data.loadFashionMnistPackage();
    expect(images.shape).toEqual([70000, 1, 28, 28]);
    const perClass = new Array<number>(10).fill(0);
    for (const y of labels.toArray()) perClass[y]!++;
    expect(perClass).toEqual(new Array<number>(10).fill(7000));
    expect(emptyRows).toEqual([`${join(dir, '0.json')}:1000`, `${join(dir, '0.json')}:7001`]);
    expect(data.FASHION_MNIST_CLASSES).toEqual(['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']);
  }, 30_000);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
