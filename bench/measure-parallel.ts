/**
 * Measurements behind the parallel kernels' constants and speed-ups (bench/README.md):
 * `npx tsx bench/measure-parallel.ts [gemm] [bn] [matmul] [conv]` (all by default).
 *
 * gemm   GEMM_PARALLEL_MIN_MACS: the serial packed kernel of the current backend (TSGRAD_BACKEND=js
 *        or wasm) vs gemmParallel on 2 threads, float32,
 *        row-major, for square sizes and the conv2d bench row's GEMM shapes; calls back to back and
 *        after 1 ms of other calling-thread work (the worker then has gone to sleep and must be
 *        woken, as in training where other kernels run between two GEMMs).
 * bn     BatchNorm2d forward + backward on [8, 32, 32, 32] float32 (the issue's row) through the
 *        public API, and its per-channel reductions alone, on 1 and 2 threads.
 * matmul Tensor matmul 512×512 float32 on 1 and 2 threads.
 * conv   conv2d forward + backward, N=8, 16→32 channels, 32×32, 3×3, padding 1 (the issue's row;
 *        its GEMMs go over the pool), on 1 and 2 threads.
 *
 * Implementations are interleaved in rounds (the machine's 2 cores are shared: compare at low
 * load, and read the spread); each figure is the median over rounds of the median of samples.
 */
import { F, nn, randn, setNumThreads, tensor } from '../src/index.js';
import { getBackend } from '../src/tensor/backend.js';
import { gemmPacked } from '../src/tensor/kernels/gemm-backend.js';
import { gemmParallel } from '../src/tensor/kernels/gemm-parallel.js';
import { channelGradSums, channelSums } from '../src/tensor/kernels/channel-reduce.js';
import { allocate } from '../src/tensor/dtype.js';
import { poolInfo, warmUpPool } from '../src/tensor/parallel/pool.js';
import { seededData } from './harness.js';

const parts = process.argv.slice(2);
const want = (p: string): boolean => parts.length === 0 || parts.includes(p);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* other calling-thread work */ }
}

/** Median ms per call over `samples` samples of ≥ `minMs`, each call optionally after `gapMs` of busy work. */
function time(run: () => void, gapMs = 0, samples = 9, minMs = 20): number {
  run();
  const t0 = performance.now();
  run();
  const once = Math.max(performance.now() - t0, 1e-3);
  const reps = Math.max(1, Math.round(minMs / (once + gapMs)));
  const per: number[] = [];
  for (let s = 0; s < samples; s++) {
    let total = 0;
    for (let r = 0; r < reps; r++) {
      if (gapMs > 0) busy(gapMs);
      const t = performance.now();
      run();
      total += performance.now() - t;
    }
    per.push(total / reps);
  }
  return median(per);
}

function fmt(ms: number): string {
  return ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`;
}

async function gemmPart(): Promise<void> {
  setNumThreads(2);
  await warmUpPool();
  const shapes: [number, number, number][] = [
    [48, 48, 48], [64, 64, 64], [80, 80, 80], [96, 96, 96], [112, 112, 112], [128, 128, 128], [160, 160, 160], [192, 192, 192], [224, 224, 224],
    [256, 256, 256], [512, 512, 512], [32, 1024, 144], [16, 1024, 288], [32, 144, 1024], [16, 196, 72],
  ];
  console.log(`GEMM float32 (C += A·B, row-major), ${getBackend()} backend: serial packed kernel vs gemmParallel on 2 threads, median per call`);
  console.log('| m×n×k | MACs | 1 thread | 2 threads, back to back | speed-up | 1 thread after 1 ms | 2 threads after 1 ms | speed-up |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const [m, n, k] of shapes) {
    const a = seededData(m * k, 1);
    const b = seededData(k * n, 2);
    const c = new Float32Array(new SharedArrayBuffer(m * n * 4));
    const serial = (): void => gemmPacked(m, n, k, a, 0, k, 1, b, 0, n, 1, c, 0, n);
    const parallel = (): void => gemmParallel(m, n, k, a, 0, k, 1, b, 0, n, 1, c, 0, n);
    const r: number[][] = [[], [], [], []];
    for (let round = 0; round < 3; round++) {
      r[0]!.push(time(serial));
      r[1]!.push(time(parallel));
      r[2]!.push(time(serial, 1));
      r[3]!.push(time(parallel, 1));
    }
    const [s0, p0, s1, p1] = r.map(median) as [number, number, number, number];
    console.log(`| ${m}×${n}×${k} | ${(m * n * k / 1e6).toFixed(2)} M | ${fmt(s0)} | ${fmt(p0)} | ${(s0 / p0).toFixed(2)}× | ${fmt(s1)} | ${fmt(p1)} | ${(s1 / p1).toFixed(2)}× |`);
  }
}

async function bnPart(): Promise<void> {
  const shape = [8, 32, 32, 32];
  const size = 8 * 32 * 32 * 32;
  const rows: Record<string, number[]> = {};
  const note = (key: string, ms: number): void => {
    (rows[key] ??= []).push(ms);
  };
  let usedPool = false;
  for (let round = 0; round < 3; round++) {
    for (const threads of [1, 2]) {
      setNumThreads(threads);
      await warmUpPool();
      const bn = new nn.BatchNorm2d(32);
      const x = tensor(seededData(size, 3), { shape, requiresGrad: true });
      const g = tensor(seededData(size, 4), { shape });
      const tasks = poolInfo().tasksRun;
      note(`BatchNorm2d fwd+bwd, ${threads} t`, time(() => {
        bn.call(x).backward(g);
      }));
      if (threads === 2 && poolInfo().tasksRun > tasks) usedPool = true;
      const xs = allocate('float32', size);
      xs.set(seededData(size, 3));
      const gs = allocate('float32', size);
      gs.set(seededData(size, 4));
      const mean = new Float64Array(32).fill(0.1);
      note(`channelSums (Σx, Σ(x−m)²), ${threads} t`, time(() => channelSums(xs, 0, shape, mean)));
      note(`channelGradSums (Σg, Σg·(x−m)), ${threads} t`, time(() => channelGradSums(gs, 0, xs, 0, shape, mean)));
    }
  }
  console.log('\nBatchNorm2d [8, 32, 32, 32] float32 and its reductions: median per call');
  console.log('| work | 1 thread | 2 threads | speed-up |');
  console.log('|---|---|---|---|');
  for (const name of ['BatchNorm2d fwd+bwd', 'channelSums (Σx, Σ(x−m)²)', 'channelGradSums (Σg, Σg·(x−m))']) {
    const one = median(rows[`${name}, 1 t`]!);
    const two = median(rows[`${name}, 2 t`]!);
    console.log(`| ${name} | ${fmt(one)} | ${fmt(two)} | ${(one / two).toFixed(2)}× |`);
  }
  console.log(`BatchNorm2d on 2 threads used the pool: ${usedPool}`);
}

async function matmulPart(): Promise<void> {
  const res: Record<number, number[]> = { 1: [], 2: [] };
  for (let round = 0; round < 3; round++) {
    for (const threads of [1, 2]) {
      setNumThreads(threads);
      await warmUpPool();
      const a = randn([512, 512]);
      const b = randn([512, 512]);
      res[threads]!.push(time(() => a.matmul(b), 0, 9, 100));
    }
  }
  const flops = 2 * 512 ** 3;
  const one = median(res[1]!);
  const two = median(res[2]!);
  console.log(`\nmatmul 512×512 float32: 1 thread ${fmt(one)} (${(flops / one / 1e6).toFixed(2)} GFLOP/s), 2 threads ${fmt(two)} (${(flops / two / 1e6).toFixed(2)} GFLOP/s), ${(one / two).toFixed(2)}×`);
}

async function convPart(): Promise<void> {
  const res: Record<number, number[]> = { 1: [], 2: [] };
  for (let round = 0; round < 3; round++) {
    for (const threads of [1, 2]) {
      setNumThreads(threads);
      await warmUpPool();
      const x = tensor(seededData(8 * 16 * 32 * 32, 5), { shape: [8, 16, 32, 32], requiresGrad: true });
      const w = tensor(seededData(32 * 16 * 9, 6), { shape: [32, 16, 3, 3], requiresGrad: true });
      const g = tensor(seededData(8 * 32 * 32 * 32, 7), { shape: [8, 32, 32, 32] });
      res[threads]!.push(time(() => F.conv2d(x, w, null, { padding: 1 }).backward(g), 0, 9, 50));
    }
  }
  const flops = 3 * 2 * 8 * 32 * 32 * 32 * 16 * 9;
  const one = median(res[1]!);
  const two = median(res[2]!);
  console.log(`\nconv2d fwd+bwd N=8, 16→32, 32×32, 3×3: 1 thread ${fmt(one)} (${(flops / one / 1e6).toFixed(2)} GFLOP/s), 2 threads ${fmt(two)} (${(flops / two / 1e6).toFixed(2)} GFLOP/s), ${(one / two).toFixed(2)}×`);
}

if (want('gemm')) await gemmPart();
if (want('bn')) await bnPart();
if (want('matmul')) await matmulPart();
if (want('conv')) await convPart();
setNumThreads(1);
