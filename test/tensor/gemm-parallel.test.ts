/**
 * GEMM over the worker pool (src/tensor/kernels/gemm-parallel.ts): bitwise the same as the serial
 * packed kernel (gemmPacked) on 1, 2 and 4 threads — for float32 and float64, transposed and
 * offset operands, shared and ordinary (copied) operands, a C row stride wider than n, a non-zero
 * C to accumulate into, k past one k-block (where float32 rounds per block), and a C bigger than
 * one task — with the workers taking part; a worker terminated during GEMM tasks changes nothing.
 * No timing is asserted.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { setNumThreads, tensor } from '../../src/index.js';
import { getBackend, setBackend } from '../../src/tensor/backend.js';
import { gemmPacked } from '../../src/tensor/kernels/gemm-backend.js';
import { GEMM_PARALLEL_MIN_MACS, GEMM_PARALLEL_MIN_MACS_WASM, gemmParallel, gemmParallelMinMacs, gemmShouldParallelize } from '../../src/tensor/kernels/gemm-parallel.js';
import { gemm } from '../../src/tensor/kernels/matmul.js';
import { poolInfo, poolWorkersForTest, warmUpPool } from '../../src/tensor/parallel/pool.js';
import { untilWorkerTakesPart } from '../helpers/pool-participation.js';
import { makeRandom } from '../helpers/random.js';

type Floats = Float32Array | Float64Array;

function floats(size: number, f64: boolean, shared: boolean, rnd: () => number): Floats {
  const bytes = size * (f64 ? 8 : 4);
  const buffer = shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  const a = f64 ? new Float64Array(buffer) : new Float32Array(buffer);
  for (let i = 0; i < size; i++) a[i] = rnd() * 2 - 1;
  return a;
}

interface Case {
  m: number; n: number; k: number;
  aT: boolean; bT: boolean; f64: boolean; cF64: boolean; shared: boolean;
  aOffset: number; bOffset: number; cOffset: number; ldcGap: number;
}

/** Operands for a case: A [m×k] (or stored transposed), B [k×n], C [m×ldc] with random contents. */
function operands(t: Case, seed: number) {
  const rnd = makeRandom(seed);
  const a = floats(t.aOffset + t.m * t.k, t.f64, t.shared, rnd);
  const b = floats(t.bOffset + t.k * t.n, t.f64, t.shared, rnd);
  const ldc = t.n + t.ldcGap;
  const c = floats(t.cOffset + t.m * ldc, t.cF64, t.shared, rnd);
  const [aRs, aCs] = t.aT ? [1, t.m] : [t.k, 1];
  const [bRs, bCs] = t.bT ? [1, t.k] : [t.n, 1];
  return { a, b, c, ldc, aRs, aCs, bRs, bCs };
}

/** C after the serial packed kernel, and after gemmParallel, for one case. */
function bothWays(t: Case, seed: number): { serial: Floats; parallel: Floats } {
  const o = operands(t, seed);
  const serial = o.c.slice();
  gemmPacked(t.m, t.n, t.k, o.a, t.aOffset, o.aRs, o.aCs, o.b, t.bOffset, o.bRs, o.bCs, serial, t.cOffset, o.ldc);
  const parallel = o.c; // accumulates into the same starting values
  gemmParallel(t.m, t.n, t.k, o.a, t.aOffset, o.aRs, o.aCs, o.b, t.bOffset, o.bRs, o.bCs, parallel, t.cOffset, o.ldc);
  return { serial, parallel };
}

/** The same with C known to be zero (`cZero`): the parallel C's block holds NaN, which must not be read. */
function bothWaysZeroC(t: Case, seed: number): { serial: Floats; parallel: Floats } {
  const o = operands(t, seed);
  const serial = o.c.slice();
  for (let i = 0; i < t.m; i++) serial.fill(0, t.cOffset + i * o.ldc, t.cOffset + i * o.ldc + t.n);
  gemmPacked(t.m, t.n, t.k, o.a, t.aOffset, o.aRs, o.aCs, o.b, t.bOffset, o.bRs, o.bCs, serial, t.cOffset, o.ldc);
  const parallel = o.c;
  for (let i = 0; i < t.m; i++) parallel.fill(Number.NaN, t.cOffset + i * o.ldc, t.cOffset + i * o.ldc + t.n);
  gemmParallel(t.m, t.n, t.k, o.a, t.aOffset, o.aRs, o.aCs, o.b, t.bOffset, o.bRs, o.bCs, parallel, t.cOffset, o.ldc, true);
  return { serial, parallel };
}

function expectBitwise(got: Floats, want: Floats, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    if (!Object.is(got[i], want[i])) throw new Error(`${what}: element ${i} is ${got[i]}, serial gives ${want[i]}`);
  }
}

const base: Case = {
  m: 67, n: 90, k: 300, aT: false, bT: false, f64: false, cF64: false, shared: true,
  aOffset: 0, bOffset: 0, cOffset: 0, ldcGap: 0,
};

const cases: [string, Case][] = [
  ['float32, k past one k-block (rounding per block), row blocks', base],
  ['float32, more columns than rows (column blocks)', { ...base, m: 33, n: 257, k: 129 }],
  ['float64, both operands transposed, offsets, ldc > n', { ...base, f64: true, cF64: true, aT: true, bT: true, aOffset: 3, bOffset: 5, cOffset: 7, ldcGap: 3 }],
  ['float32 operands into a float64 C', { ...base, cF64: true, m: 40, n: 41, k: 515 }],
  ['ordinary (not shared) operands, copied to shared scratch', { ...base, shared: false, aT: true, aOffset: 2, cOffset: 1, ldcGap: 2 }],
  ['one row', { ...base, m: 1, n: 1500, k: 700 }],
  ['a C bigger than one task (several row panels)', { ...base, m: 1100, n: 1000, k: 2, f64: true, cF64: true }],
];

afterAll(() => setNumThreads(1));

describe('parallel GEMM is bitwise the serial packed kernel', () => {
  it.each(cases)('%s, on 1, 2 and 4 threads', async (_name, t) => {
    for (const threads of [1, 2, 4]) {
      setNumThreads(threads);
      await warmUpPool();
      const { serial, parallel } = bothWays(t, 11);
      expectBitwise(parallel, serial, `${threads} threads`);
    }
  });

  it.each(cases)('%s, C known to be zero (not read; in place when shared), on 1, 2 and 4 threads', async (_name, t) => {
    for (const threads of [1, 2, 4]) {
      setNumThreads(threads);
      await warmUpPool();
      const errors = poolInfo().workerErrors;
      const { serial, parallel } = bothWaysZeroC(t, 12);
      expectBitwise(parallel, serial, `${threads} threads, cZero`);
      expect(poolInfo().workerErrors, 'no chunk failed on a worker (and was recomputed here)').toBe(errors);
    }
  });

  it('workers compute blocks, and gemm() goes parallel only above GEMM_PARALLEL_MIN_MACS', async () => {
    setNumThreads(2);
    await warmUpPool();
    const t: Case = { ...base, m: 256, n: 256, k: 256 };
    const tookPart = await untilWorkerTakesPart((r) => {
      const { serial, parallel } = bothWays(t, r);
      expectBitwise(parallel, serial, `run ${r}`);
    });
    expect(tookPart, 'a worker computed a block').toBe(true);
    expect(256 ** 3).toBeGreaterThanOrEqual(gemmParallelMinMacs());
    expect(gemmShouldParallelize(256, 256, 256, 256, 1, 256, 1)).toBe(true);
    expect(gemmShouldParallelize(64, 64, 64, 64, 1, 64, 1)).toBe(false);
    expect(gemmShouldParallelize(4096, 1, 4096, 4096, 1, 1, 1), 'matrix-vector stays serial').toBe(false);
    const before = poolInfo().tasksRun;
    const small = operands({ ...base, m: 64, n: 64, k: 64 }, 1);
    gemm(64, 64, 64, small.a, 0, 64, 1, small.b, 0, 64, 1, small.c, 0);
    expect(poolInfo().tasksRun, 'a small GEMM stays on the calling thread').toBe(before);
    // Above the threshold of either backend (js 2²⁰, wasm 2²³ multiply-adds).
    const big = operands({ ...base, m: 256, n: 256, k: 256 }, 2);
    gemm(256, 256, 256, big.a, 0, 256, 1, big.b, 0, 256, 1, big.c, 0);
    expect(poolInfo().tasksRun).toBe(before + 1);
    setNumThreads(1);
    gemm(256, 256, 256, big.a, 0, 256, 1, big.b, 0, 256, 1, big.c, 0);
    expect(poolInfo().tasksRun, 'one thread: no task').toBe(before + 1);
  });

  it('each backend has its own threshold: a 160³ GEMM goes over the pool on js, stays serial on wasm', async () => {
    setNumThreads(2);
    await warmUpPool();
    const previous = getBackend();
    try {
      setBackend('js');
      expect(gemmParallelMinMacs()).toBe(GEMM_PARALLEL_MIN_MACS);
      expect(gemmShouldParallelize(160, 160, 160, 160, 1, 160, 1)).toBe(true);
      setBackend('wasm');
      expect(gemmParallelMinMacs()).toBe(GEMM_PARALLEL_MIN_MACS_WASM);
      expect(gemmShouldParallelize(160, 160, 160, 160, 1, 160, 1)).toBe(false);
      expect(gemmShouldParallelize(256, 256, 256, 256, 1, 256, 1)).toBe(true);
      const before = poolInfo().tasksRun;
      const mid = operands({ ...base, m: 160, n: 160, k: 160 }, 3);
      gemm(160, 160, 160, mid.a, 0, 160, 1, mid.b, 0, 160, 1, mid.c, 0);
      expect(poolInfo().tasksRun, 'wasm: a 4 M-MAC GEMM stays on the calling thread').toBe(before);
    } finally {
      setBackend(previous);
    }
  });

  it('Tensor matmul and its gradients are bitwise the same on 1, 2 and 4 threads', async () => {
    const run = (): number[] => {
      const a = tensor(randnValues(300 * 200, 5), { shape: [300, 200], requiresGrad: true });
      const b = tensor(randnValues(200 * 260, 6), { shape: [200, 260], requiresGrad: true });
      const y = a.matmul(b);
      y.mul(y).sum().backward();
      return [...y.toArray(), ...a.grad!.toArray(), ...b.grad!.toArray()];
    };
    setNumThreads(1);
    const one = run();
    for (const threads of [2, 4]) {
      setNumThreads(threads);
      await warmUpPool();
      const before = poolInfo().tasksRun;
      const many = run();
      expect(poolInfo().tasksRun - before, 'forward and both gradients went through the pool').toBe(3);
      expect(many.length).toBe(one.length);
      for (let i = 0; i < one.length; i++) if (!Object.is(many[i], one[i])) throw new Error(`${threads} threads: value ${i} differs`);
    }
  });
});

/** Deterministic values in [-1, 1) for tensors. */
function randnValues(size: number, seed: number): Float32Array {
  const rnd = makeRandom(seed);
  return Float32Array.from({ length: size }, () => rnd() * 2 - 1);
}

describe('faults during GEMM tasks', () => {
  it('a worker terminated while GEMMs run: every result stays bitwise right, and the pool recovers', async () => {
    setNumThreads(2);
    await warmUpPool();
    const t: Case = { ...base, m: 200, n: 200, k: 300 };
    const [worker] = poolWorkersForTest();
    expect(worker).toBeDefined();
    const stopped = worker!.terminate(); // takes effect on the worker thread while the GEMMs below run
    for (let r = 0; r < 10; r++) {
      // Odd runs write C in place (cZero, shared C): a chunk the dead worker held is recomputed.
      const { serial, parallel } = r % 2 === 0 ? bothWays(t, 100 + r) : bothWaysZeroC(t, 100 + r);
      expectBitwise(parallel, serial, `run ${r} after terminate`);
    }
    await stopped; // the pool sees the exit on the event loop, then starts a replacement
    await new Promise((resolve) => setTimeout(resolve, 20));
    const info = await warmUpPool();
    expect(info.readyWorkers).toBe(1);
    const tookPart = await untilWorkerTakesPart((r) => {
      const { serial, parallel } = r % 2 === 0 ? bothWays(t, 200 + r) : bothWaysZeroC(t, 200 + r);
      expectBitwise(parallel, serial, `run ${r} with the replacement worker`);
    });
    expect(tookPart, 'the replacement worker computed blocks').toBe(true);
  });
});
