/**
 * A tensor used more than once receives the sum of its gradient contributions (engine.ts
 * addGradient). When the first contribution is a gradient this backward owns, the next ones are
 * added into its buffer in place (grad-memory.ts `addedInPlace`); these tests hold the result to
 * the definition, written out here with float32 rounding (Math.fround) or in float64, for two and
 * three contributions on 1 and 2 threads — and check that a gradient the engine does not own (the
 * caller's seed, passed on twice) is never written.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { setNumThreads, tensor, type Tensor } from '../../src/index.js';
import { warmUpPool } from '../../src/tensor/parallel/pool.js';
import { uniformValues } from '../helpers/random.js';

afterAll(() => setNumThreads(1));

const SIZE = 32 * 8 * 28 * 28; // big enough for the shared (2 threads) and released buffers

describe('gradient accumulation of a tensor used several times', () => {
  for (const threads of [1, 2]) {
    for (const dtype of ['float32', 'float64'] as const) {
      it(`is the sum of the contributions, in order, as the definition gives it (${dtype}, ${threads} thread${threads > 1 ? 's' : ''})`, async () => {
        setNumThreads(threads);
        if (threads > 1) await warmUpPool();
        const round = dtype === 'float32' ? Math.fround : (v: number): number => v;
        const xs = uniformValues(SIZE, 1), us = uniformValues(SIZE, 2), vs = uniformValues(SIZE, 3), ws = uniformValues(SIZE, 4);
        const x = tensor(xs, { dtype, requiresGrad: true });
        const [u, v, w] = [us, vs, ws].map((values) => tensor(values, { dtype }));
        // a = 1.5·x is used three times: each use's mul gives g·u (g = 1) for a, and the engine
        // meets them in reverse topological order — the last use first: da = (w + v) + u — then
        // dx = 1.5·da.
        const a: Tensor = x.mul(1.5);
        a.mul(u!).sum().add(a.mul(v!).sum()).add(a.mul(w!).sum()).backward();
        const got = x.grad!.toArray();
        for (let i = 0; i < SIZE; i++) {
          const da = round(round(round(ws[i]!) + round(vs[i]!)) + round(us[i]!));
          const want = round(da * 1.5);
          if (!Object.is(got[i], want)) throw new Error(`element ${i}: ${got[i]} vs ${want}`);
        }
      });
    }
  }

  it('never writes a gradient it does not own: the caller\'s seed, passed on to a tensor\'s first use', () => {
    setNumThreads(1);
    const seedValues = uniformValues(SIZE, 5);
    const x = tensor(uniformValues(SIZE, 6), { requiresGrad: true });
    // a is used by add, whose backward passes the seed itself on (first: not the engine's to write),
    // and by mul, whose backward makes a fresh 2·seed (second).
    const a = x.mul(1);
    const y = a.add(a.mul(2));
    const seed = tensor(seedValues);
    const before = seed.toArray();
    y.backward(seed);
    const after = seed.toArray();
    for (let i = 0; i < SIZE; i++) if (after[i] !== before[i]) throw new Error(`the seed changed at ${i}`);
    const got = x.grad!.toArray();
    for (let i = 0; i < SIZE; i++) {
      if (got[i] !== Math.fround(before[i]! + Math.fround(2 * before[i]!))) throw new Error(`x.grad at ${i}: ${got[i]}`);
    }
    expect(got.length).toBe(SIZE);
  });
});
