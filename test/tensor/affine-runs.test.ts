/**
 * The normalization's elementwise passes over the pool (src/tensor/kernels/affine-runs.ts):
 * against the formula written here on small inputs (every run length mod 4, offsets, float32 and
 * float64), and on inputs big enough to split, bitwise the same on 1, 2 and 4 threads with the
 * workers taking part, and with a worker terminated while they run; a chunk the calling thread took
 * over stops writing; short runs and ordinary-memory outputs stay on the calling thread. No timing
 * is asserted.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { affineRuns, affineRunsTask, gradientRuns, gradientRunsTask } from '../../src/tensor/kernels/affine-runs.js';
import { poolInfo, poolWorkersForTest, setNumThreads, warmUpPool } from '../../src/tensor/parallel/pool.js';
import { makeRandom } from '../helpers/random.js';

type Floats = Float32Array | Float64Array;

function filled(size: number, f64: boolean, shared: boolean, rnd: () => number): Floats {
  const bytes = size * (f64 ? 8 : 4);
  const buffer = shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  const a = f64 ? new Float64Array(buffer) : new Float32Array(buffer);
  for (let i = 0; i < size; i++) a[i] = rnd() * 4 - 2;
  return a;
}

function constants(runs: number, rnd: () => number): Float64Array {
  return Float64Array.from({ length: runs }, () => rnd() * 2 - 1);
}

afterAll(() => setNumThreads(1));

describe('the formula', () => {
  it.each([[1, 1], [3, 5], [4, 7], [2, 16], [5, 33]])('runs %i × length %i, float32 and float64, with offsets', (runs, length) => {
    for (const f64 of [false, true]) {
      const rnd = makeRandom(runs * 100 + length);
      const x = filled(2 + runs * length, f64, false, rnd);
      const g = filled(3 + runs * length, f64, false, rnd);
      const [m, s, a, c] = [constants(runs, rnd), constants(runs, rnd), constants(runs, rnd), constants(runs, rnd)];
      const y = f64 ? new Float64Array(1 + runs * length) : new Float32Array(1 + runs * length);
      affineRuns(x, 2, y, 1, runs, length, m, s, a);
      const dx = f64 ? new Float64Array(runs * length) : new Float32Array(runs * length);
      gradientRuns(g, 3, x, 2, dx, 0, runs, length, m, s, a, c);
      const round = f64 ? (v: number) => v : Math.fround;
      for (let r = 0; r < runs; r++) {
        for (let j = 0; j < length; j++) {
          const i = r * length + j;
          expect(y[1 + i]).toBe(round((x[2 + i]! - m[r]!) * s[r]! + a[r]!));
          expect(dx[i]).toBe(round(s[r]! * g[3 + i]! - a[r]! * (x[2 + i]! - m[r]!) - c[r]!));
        }
      }
    }
  });

  it('rejects constant arrays shorter than the number of runs', () => {
    const x = new Float32Array(8);
    expect(() => affineRuns(x, 0, x, 0, 4, 2, new Float64Array(3), new Float64Array(4), new Float64Array(4))).toThrow(/affineRuns: 4 runs but a constant array of 3/);
  });
});

describe('a chunk taken over by the calling thread', () => {
  it('stops writing at its next run once `current` says the chunk is no longer its own', () => {
    const runs = 6;
    const length = 4;
    const x = new Float64Array(runs * length).fill(1);
    const k = new Float64Array(runs).fill(2);
    for (const [task, args] of [
      [affineRunsTask, (out: Float64Array) => [x, 0, out, 0, runs, length, k, k, k]],
      [gradientRunsTask, (out: Float64Array) => [x, 0, x, 0, out, 0, runs, length, k, k, k, k]],
    ] as const) {
      const out = new Float64Array(runs * length).fill(-7);
      let checks = 0;
      task(args(out), 1)(0, new Float64Array(0), 0, () => ++checks <= 2); // all 6 runs are chunk 0
      expect(checks).toBe(3);
      expect(out.slice(0, 2 * length).every((v) => v !== -7), 'the first two runs written').toBe(true);
      expect(out.slice(2 * length).every((v) => v === -7), 'nothing after').toBe(true);
    }
  });
});

describe('on the pool', () => {
  const runs = 8 * 32; // BatchNorm2d [8, 32, 32, 32]: one run per (sample, channel) plane
  const length = 1024;

  const rnd = makeRandom(5);
  const x = filled(runs * length, false, true, rnd);
  const g = filled(runs * length, false, true, rnd);
  const [m, s, a, c] = [constants(runs, rnd), constants(runs, rnd), constants(runs, rnd), constants(runs, rnd)];

  /** Both passes into fresh outputs (shared unless `outShared` is false); returns the outputs. */
  function both(outShared = true): { y: Floats; dx: Floats } {
    const y = filled(runs * length, false, outShared, () => 0.5);
    const dx = filled(runs * length, false, outShared, () => 0.5);
    affineRuns(x, 0, y, 0, runs, length, m, s, a);
    gradientRuns(g, 0, x, 0, dx, 0, runs, length, m, s, a, c);
    return { y, dx };
  }

  it('is bitwise the same on 1, 2 and 4 threads, with workers writing runs', async () => {
    setNumThreads(1);
    const one = both();
    for (const threads of [2, 4]) {
      setNumThreads(threads);
      await warmUpPool();
      let tookPart = false;
      for (let t = 0; t < 60 && !tookPart; t++) {
        const before = poolInfo().tasksRun;
        const many = both();
        expect(poolInfo().tasksRun - before, 'both passes went through the pool').toBe(2);
        for (let i = 0; i < one.y.length; i++) {
          if (!Object.is(many.y[i], one.y[i]) || !Object.is(many.dx[i], one.dx[i])) throw new Error(`${threads} threads: element ${i} differs`);
        }
        tookPart = poolInfo().lastTaskOwners.some((p) => p > 0);
      }
      expect(tookPart, `a worker computed runs on ${threads} threads`).toBe(true);
    }
  });

  it('a worker terminated while the passes run: every output stays bitwise right', async () => {
    setNumThreads(1);
    const one = both();
    setNumThreads(2);
    await warmUpPool();
    const [worker] = poolWorkersForTest();
    expect(worker).toBeDefined();
    const stopped = worker!.terminate(); // takes effect on the worker thread while the passes run
    for (let t = 0; t < 10; t++) {
      const many = both();
      for (let i = 0; i < one.y.length; i++) {
        if (!Object.is(many.y[i], one.y[i]) || !Object.is(many.dx[i], one.dx[i])) throw new Error(`run ${t}: element ${i} differs`);
      }
    }
    await stopped;
  });

  it('stays on the calling thread for an output in ordinary memory and for short runs', async () => {
    setNumThreads(2);
    await warmUpPool();
    const before = poolInfo().tasksRun;
    both(false);
    const n = runs * length;
    const y = filled(n, false, true, () => 0);
    const k = constants(n / 8, makeRandom(7));
    affineRuns(x, 0, y, 0, n / 8, 8, k, k, k); // runs of 8 elements
    expect(poolInfo().tasksRun).toBe(before);
    expect(y[9]).toBe(Math.fround((x[9]! - k[1]!) * k[1]! + k[1]!));
  });
});
