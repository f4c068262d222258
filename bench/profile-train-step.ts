/**
 * Where the time of a training step goes, on ONE thread (serial kernel speed) unless `--threads N`.
 *
 *   npx tsx bench/profile-train-step.ts              # train steps at batch 32 and 2, conv2d and BN rows
 *   npx tsx bench/profile-train-step.ts --ops        # plus a per-op table (forward and backward times)
 *   npx tsx bench/profile-train-step.ts --only train # just the train steps (also: conv, bn)
 *   npx tsx bench/profile-train-step.ts --threads 2  # on 2 threads (the pool's workers are not timed per op)
 *   npx tsx bench/profile-train-step.ts --threads 2 --spin 500  # with the pool's spin set to 500 µs
 *   npx tsx bench/profile-train-step.ts --no-buffer-reuse  # released gradient buffers not reused
 *   npx tsx bench/profile-train-step.ts --threads 2 --min-elements 262144  # the pool's elementwise threshold
 *
 * The train step is the issue-5 MNIST CNN, conv(1→8)-BN-ReLU-pool-conv(8→16)-BN-ReLU-pool-linear,
 * cross-entropy, SGD (lr 0.01, momentum 0.9), float32, on fixed random 28×28 inputs. Each figure is
 * the median of several samples (the machine is shared: look at the spread, not one number).
 * With --ops every entry of the op table is wrapped in a timer; the wrappers cost a few µs per op,
 * so the per-op table is for finding hot spots, the plain run for the numbers.
 */
import { F, nn, optim, randn, setNumThreads, manualSeed, tensor, type Tensor } from '../src/index.js';
import { ops } from '../src/autograd/ops/index.js';
import type { OpName } from '../src/autograd/op.js';
import { setParallelMinElements, setSpinMicroseconds } from '../src/tensor/parallel/pool.js';
import { setBufferReuse } from '../src/tensor/parallel/shared-memory.js';
import type { NDArray } from '../src/tensor/ndarray.js';
import { mnistCnn } from './mnist-cnn.js';

const args = process.argv.slice(2);
const threadsIndex = args.indexOf('--threads');
setNumThreads(threadsIndex >= 0 ? Number(args[threadsIndex + 1]) : 1);
const spinIndex = args.indexOf('--spin');
if (spinIndex >= 0) setSpinMicroseconds(Number(args[spinIndex + 1]));
manualSeed(1);
// --no-buffer-reuse: every allocation fresh (to measure what the reuse of released gradient buffers saves).
if (args.includes('--no-buffer-reuse')) setBufferReuse(false);
// --min-elements N: the pool's threshold for the elementwise, norm, pooling and reduction kernels.
const minElementsIndex = args.indexOf('--min-elements');
if (minElementsIndex >= 0) setParallelMinElements(Number(args[minElementsIndex + 1]));

const perOp = args.includes('--ops');
const onlyIndex = args.indexOf('--only');
const only = onlyIndex >= 0 ? args[onlyIndex + 1] : undefined;

/**
 * Median and quartiles of wall ms-per-run over `samples` samples of at least `minMs` each, after
 * warm-up, and the median CPU time of this process per run (user + system, all its threads: it
 * also counts V8's background GC threads, so on an idle machine it reads a little above the wall
 * time; on a busy one it does not count the time other jobs took the core).
 */
function time(run: () => void, { warmupMs = 500, minMs = 40, samples = 15 } = {}): { median: number; p25: number; p75: number; cpu: number } {
  const cpuMs = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  let reps = 1;
  const warmEnd = performance.now() + warmupMs;
  while (performance.now() < warmEnd) {
    const t = performance.now();
    run();
    reps = Math.max(1, Math.ceil(minMs / Math.max(performance.now() - t, 1e-3)));
  }
  const perRun: number[] = [];
  const cpuPerRun: number[] = [];
  for (let s = 0; s < samples; s++) {
    const t = performance.now();
    const c = cpuMs();
    for (let r = 0; r < reps; r++) run();
    perRun.push((performance.now() - t) / reps);
    cpuPerRun.push((cpuMs() - c) / reps);
  }
  perRun.sort((a, b) => a - b);
  cpuPerRun.sort((a, b) => a - b);
  const q = (f: number): number => perRun[Math.round((perRun.length - 1) * f)]!;
  return { median: q(0.5), p25: q(0.25), p75: q(0.75), cpu: cpuPerRun[Math.floor(cpuPerRun.length / 2)]! };
}

function fmt(ms: number): string {
  return ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`;
}

// ---- per-op timers ----------------------------------------------------------------------------------

const opTime = new Map<string, { ms: number; calls: number }>();
function note(key: string, ms: number): void {
  const e = opTime.get(key) ?? { ms: 0, calls: 0 };
  e.ms += ms;
  e.calls++;
  opTime.set(key, e);
}
if (perOp) {
  for (const name of Object.keys(ops) as OpName[]) {
    const def = ops[name] as unknown as { forward: (i: readonly NDArray[], a: unknown) => [NDArray, unknown]; backward: (g: Tensor, ctx: unknown) => (Tensor | null)[] };
    const forward = def.forward;
    const backward = def.backward;
    def.forward = (inputs, a) => {
      const t = performance.now();
      const r = forward(inputs, a);
      note(`${name} fwd ${inputs.map((x) => `[${x.shape.join(',')}]`).join(' ')}`, performance.now() - t);
      return r;
    };
    def.backward = (g, ctx) => {
      const t = performance.now();
      const r = backward(g, ctx);
      note(`${name} bwd [${g.shape.join(',')}]`, performance.now() - t);
      return r;
    };
  }
}

// ---- the train step ---------------------------------------------------------------------------------

function trainStep(batch: number): void {
  const model = mnistCnn();
  const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const x = randn([batch, 1, 28, 28]);
  const y = tensor(Array.from({ length: batch }, (_, i) => i % 10));
  const step = (): void => {
    const loss: Tensor = F.crossEntropy(model.call(x), y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
  };
  const t = time(step);
  console.log(`train step, batch ${batch}: ${fmt(t.median)} (${fmt(t.p25)}–${fmt(t.p75)}) = ${(batch / t.median * 1000).toFixed(0)} samples/s; CPU ${fmt(t.cpu)}`);
  if (perOp) {
    opTime.clear();
    const steps = 200;
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) step();
    const total = (performance.now() - t0) / steps;
    const rows = [...opTime.entries()].sort((a, b) => b[1].ms - a[1].ms);
    let covered = 0;
    console.log(`  per step ${fmt(total)} (with timers); ops by time per step:`);
    for (const [key, { ms, calls }] of rows) {
      covered += ms / steps;
      if (ms / steps < total * 0.005) continue;
      console.log(`  ${fmt(ms / steps).padStart(9)} ${(100 * ms / steps / total).toFixed(1).padStart(5)}%  ×${calls / steps}  ${key}`);
    }
    console.log(`  ${fmt(total - covered).padStart(9)} outside ops (engine, module calls, optimizer, loss set-up)`);
  }
}

// ---- kernel rows ------------------------------------------------------------------------------------

function convRow(): void {
  // N=8, 16→32 channels, 32×32, 3×3, pad 1: forward and backward (dx, dw, db).
  const x = randn([8, 16, 32, 32], { requiresGrad: true });
  const w = randn([32, 16, 3, 3], { requiresGrad: true });
  const b = randn([32], { requiresGrad: true });
  const g = randn([8, 32, 32, 32]);
  const flops = 3 * 2 * 8 * 32 * 32 * 32 * 16 * 9;
  const t = time(() => {
    x.grad = null; w.grad = null; b.grad = null;
    F.conv2d(x, w, b, { padding: 1 }).backward(g);
  });
  console.log(`conv2d fwd+bwd N=8 16→32 32×32 3×3: ${fmt(t.median)} (${fmt(t.p25)}–${fmt(t.p75)}) = ${(flops / t.median / 1e6).toFixed(2)} GFLOP/s; CPU ${fmt(t.cpu)}`);
}

function bnRow(): void {
  const bn = new nn.BatchNorm2d(32);
  const x = randn([8, 32, 32, 32], { requiresGrad: true });
  const g = randn([8, 32, 32, 32]);
  const t = time(() => {
    x.grad = null;
    bn.zeroGrad();
    bn.call(x).backward(g);
  });
  console.log(`BatchNorm2d fwd+bwd N=8 C=32 32×32: ${fmt(t.median)} (${fmt(t.p25)}–${fmt(t.p75)}); CPU ${fmt(t.cpu)}`);
}

if (only === undefined || only === 'train') {
  trainStep(32);
  trainStep(2);
}
if (only === undefined || only === 'conv') convRow();
if (only === undefined || only === 'bn') bnRow();
