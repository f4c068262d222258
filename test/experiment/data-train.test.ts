import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Generator, manualSeed, randn, tensor } from '../../src/index.js';
import { buildGrid } from '../../experiment/config.js';
import { detectFormat, loadExperimentData, standardize } from '../../experiment/data.js';
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
