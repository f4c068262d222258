// TensorDataset, Subset, randomSplit, DataLoader and defaultCollate: every sample once per epoch,
// seeded shuffles that replay and differ across epochs, dropLast, batch shapes, the row-copy fast
// path against the generic collate, and errors.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator, Tensor, data, manualSeed, tensor } from '../../src/index.js';

/** n samples whose values encode their index: x[i] = [10i, 10i+1, 10i+2], y[i] = i. */
function indexed(n: number, dtype: 'float32' | 'float64' = 'float64'): data.TensorDataset {
  const x = tensor(Array.from({ length: n }, (_, i) => [10 * i, 10 * i + 1, 10 * i + 2]), { dtype, shape: [n, 3] });
  const y = tensor(Array.from({ length: n }, (_, i) => i), { dtype, shape: [n] });
  return new data.TensorDataset(x, y);
}

/** The sample indices of one epoch, batch by batch (read from y). */
function epoch(loader: Iterable<Tensor[]>): number[][] {
  return [...loader].map(([, y]) => [...y!.toArray()]);
}

describe('TensorDataset', () => {
  it('indexes the first dim of every tensor', () => {
    const ds = indexed(5);
    expect(ds.length).toBe(5);
    const [x, y] = ds.get(3);
    expect(x!.shape).toEqual([3]);
    expect([...x!.toArray()]).toEqual([30, 31, 32]);
    expect(y!.shape).toEqual([]);
    expect(y!.item()).toBe(3);
  });

  it('reads rows of a non-contiguous tensor correctly', () => {
    const t = tensor([[0, 1, 2], [3, 4, 5]], { dtype: 'float64' }).transpose(0, 1); // [3, 2]
    const ds = new data.TensorDataset(t);
    expect([...ds.get(2)[0]!.toArray()]).toEqual([2, 5]);
    const [batch] = [...new data.DataLoader(ds, { batchSize: 3 })][0]!;
    expect([...batch!.toArray()]).toEqual([0, 3, 1, 4, 2, 5]);
  });

  it('clear errors: mismatched lengths, 0-d tensors, no tensors, bad index', () => {
    expect(() => new data.TensorDataset(tensor([[1], [2], [3]]), tensor([1, 2]))).toThrow(
      /TensorDataset: size mismatch between tensors: tensor 0 has 3 samples \(shape \[3, 1\]\), tensor 1 has 2 \(shape \[2\]\)/,
    );
    expect(() => new data.TensorDataset(tensor(1))).toThrow(/tensor 0 is 0-d/);
    expect(() => new data.TensorDataset()).toThrow(/at least one tensor/);
    expect(() => indexed(4).get(4)).toThrow(/TensorDataset.get: index 4 is out of range for a dataset of length 4/);
    expect(() => indexed(4).get(-1)).toThrow(/out of range/);
  });
});

describe('DataLoader', () => {
  it('batches in order without shuffle; the last batch is partial', () => {
    const loader = new data.DataLoader(indexed(10), { batchSize: 4 });
    expect(loader.length).toBe(3);
    const batches = [...loader];
    expect(batches.map(([x, y]) => [x!.shape, y!.shape])).toEqual([
      [[4, 3], [4]],
      [[4, 3], [4]],
      [[2, 3], [2]],
    ]);
    expect(epoch(loader)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect([...batches[2]![0]!.toArray()]).toEqual([80, 81, 82, 90, 91, 92]);
  });

  it('dropLast drops the partial batch', () => {
    const loader = new data.DataLoader(indexed(10), { batchSize: 4, dropLast: true });
    expect(loader.length).toBe(2);
    expect(epoch(loader)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
    expect(new data.DataLoader(indexed(8), { batchSize: 4, dropLast: true }).length).toBe(2);
  });

  it('keeps the dtype of the tensors', () => {
    const [x, y] = [...new data.DataLoader(indexed(3, 'float32'), { batchSize: 2 })][0]!;
    expect([x!.dtype, y!.dtype]).toEqual(['float32', 'float32']);
  });

  it('a seeded shuffle covers every sample once per epoch, differs across epochs, and replays', () => {
    const make = (seed: number): data.DataLoader<Tensor[]> => new data.DataLoader(indexed(50), { batchSize: 8, shuffle: true, seed });
    const a = make(7);
    const e1 = epoch(a).flat();
    const e2 = epoch(a).flat();
    const sorted = Array.from({ length: 50 }, (_, i) => i);
    expect([...e1].sort((p, q) => p - q)).toEqual(sorted);
    expect([...e2].sort((p, q) => p - q)).toEqual(sorted);
    expect(e1).not.toEqual(sorted);
    expect(e2).not.toEqual(e1);
    const b = make(7);
    expect(epoch(b).flat()).toEqual(e1);
    expect(epoch(b).flat()).toEqual(e2);
    expect(epoch(make(8)).flat()).not.toEqual(e1);
  });

  it('shuffles from a given generator, or from the global one seeded by manualSeed', () => {
    const g1 = new data.DataLoader(indexed(20), { batchSize: 5, shuffle: true, generator: new Generator(3) });
    const g2 = new data.DataLoader(indexed(20), { batchSize: 5, shuffle: true, seed: 3 });
    expect(epoch(g1)).toEqual(epoch(g2));
    const global = new data.DataLoader(indexed(20), { batchSize: 5, shuffle: true });
    manualSeed(11);
    const first = epoch(global);
    manualSeed(11);
    expect(epoch(global)).toEqual(first);
  });

  it('the row-copy fast path gives the same batches as collating samples one by one', () => {
    const ds = indexed(23);
    const options = { batchSize: 6, shuffle: true, seed: 5 };
    const fast = [...new data.DataLoader(ds, options)];
    const slow = [...new data.DataLoader(ds, { ...options, collate: (s: Tensor[][]) => data.defaultCollate(s) })];
    expect(fast.length).toBe(slow.length);
    fast.forEach((batch, b) => batch.forEach((t, k) => {
      expect(t.shape).toEqual(slow[b]![k]!.shape);
      expect([...t.toArray()]).toEqual([...slow[b]![k]!.toArray()]);
    }));
  });

  it('batches a Subset of a TensorDataset through the fast path, with the right rows', () => {
    const [train, test] = data.randomSplit(indexed(30), [20, 10], { seed: 1 });
    const seen = epoch(new data.DataLoader(test!, { batchSize: 4 })).flat();
    expect(seen).toEqual([...test!.indices]);
    const nested = new data.Subset(train!, [3, 0]);
    const [[x, y]] = [...new data.DataLoader(nested, { batchSize: 2 })] as [Tensor[]];
    expect([...y!.toArray()]).toEqual([train!.indices[3], train!.indices[0]]);
    expect(x!.toArray()[0]).toBe(10 * train!.indices[3]!);
  });

  it('collates a generic dataset of [tensor, number] samples into [tensor, tensor]', () => {
    const ds: data.Dataset<[Tensor, number]> = { length: 5, get: (i) => [tensor([i, -i], { dtype: 'float64' }), i * i] };
    const batches = [...new data.DataLoader(ds, { batchSize: 2 })];
    expect(batches.length).toBe(3);
    const [x, y] = batches[1]!;
    expect(x.shape).toEqual([2, 2]);
    expect([...x.toArray()]).toEqual([2, -2, 3, -3]);
    expect([...y.toArray()]).toEqual([4, 9]);
    expect(y.dtype).toBe('int32'); // integer labels collate to int32 (PyTorch: int64)
  });

  it('numbers that are not all integers collate to the default float dtype', () => {
    const [, y] = data.defaultCollate([[tensor([1]), 0.5], [tensor([2]), 2]]);
    expect(y.dtype).toBe('float32');
    expect([...y.toArray()]).toEqual([0.5, 2]);
  });

  it('a custom collate decides the batch type', () => {
    const loader = new data.DataLoader(indexed(5), { batchSize: 2, collate: (s) => s.length });
    expect([...loader]).toEqual([2, 2, 1]);
  });

  it('property: every sample exactly once per epoch, batch sizes as promised', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 12 }), fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 1000 }),
        (n, batchSize, shuffle, dropLast, seed) => {
          const loader = new data.DataLoader(indexed(n), { batchSize, shuffle, dropLast, seed });
          const batches = epoch(loader);
          expect(batches.length).toBe(loader.length);
          const full = Math.floor(n / batchSize) * batchSize;
          const expectedCount = dropLast ? full : n;
          batches.forEach((b, i) => expect(b.length).toBe(i < Math.floor(n / batchSize) ? batchSize : n - full));
          const seen = batches.flat();
          expect(seen.length).toBe(expectedCount);
          expect(new Set(seen).size).toBe(expectedCount);
          seen.forEach((i) => expect(i >= 0 && i < n && Number.isInteger(i)).toBe(true));
          if (!shuffle) expect(seen).toEqual(Array.from({ length: expectedCount }, (_, i) => i));
        },
      ),
      { numRuns: 60, seed: 20240603 },
    );
  });

  it('clear errors', () => {
    expect(() => new data.DataLoader(indexed(3), { batchSize: 0 })).toThrow(/batchSize must be a positive integer, got 0/);
    expect(() => new data.DataLoader({} as data.Dataset<number>)).toThrow(/expected a dataset/);
    expect(() => new data.DataLoader(indexed(3), { seed: 1, generator: new Generator(1) })).toThrow(/seed or generator, not both/);
    expect(() => data.defaultCollate([tensor([1, 2]), tensor([1, 2, 3])])).toThrow(
      /defaultCollate: sample 1 is a float32 tensor of shape \[3\], but sample 0 is a float32 tensor of shape \[2\]/,
    );
    expect(() => data.defaultCollate([{ a: 1 }])).toThrow(/cannot collate samples of type object; pass a collate function/);
  });
});

describe('randomSplit and Subset', () => {
  it('splits into disjoint subsets covering the dataset, reproducibly', () => {
    const ds = indexed(10);
    const [a, b] = data.randomSplit(ds, [7, 3], { seed: 4 });
    expect([a!.length, b!.length]).toEqual([7, 3]);
    expect([...a!.indices, ...b!.indices].sort((p, q) => p - q)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(data.randomSplit(ds, [7, 3], { seed: 4 })[0]!.indices).toEqual(a!.indices);
    expect(b!.get(1)[1]!.item()).toBe(b!.indices[1]);
  });

  it('fractions: floors, then hands the remainder out one by one (as PyTorch)', () => {
    const sizes = data.randomSplit(indexed(10), [0.33, 0.33, 0.34], { seed: 0 }).map((s) => s.length);
    expect(sizes).toEqual([4, 3, 3]);
  });

  it('errors', () => {
    expect(() => data.randomSplit(indexed(10), [5, 4])).toThrow(/must be integers summing to the dataset's length 10/);
    expect(() => new data.Subset(indexed(3), [0, 3])).toThrow(/Subset: index 3 is out of range/);
  });
});
