/**
 * Memory of training (issue 5, item 3): the MNIST CNN of the issue,
 * conv(1→8)-BN-ReLU-pool-conv(8→16)-BN-ReLU-pool-linear, cross-entropy, SGD (lr 0.01,
 * momentum 0.9), float32, batch 32, on 2 048 synthetic 28×28 digits through a shuffling
 * DataLoader — a plain synchronous training loop, as a user writes it.
 *
 *   npx tsx bench/memory.ts                       # 10 000 steps on the default thread count
 *   npx tsx bench/memory.ts --steps 2000 --threads 1
 *   npx tsx bench/memory.ts --alloc               # allocate/free cycles of BN-sized tensors only
 *
 * Under tsx every pool worker also loads tsx's loader (≈ 30 MB each). The figures in
 * bench/README.md are for compiled JS: `npx tsc -p tsconfig.json --outDir /tmp/m` (with a
 * package.json `{"type":"module"}` and a node_modules link there), then
 * `node /tmp/m/bench/memory.js`.
 *
 * Prints the resident set size (RSS) every `--every` steps, then a summary: the peak RSS of the
 * process (`process.resourceUsage().maxRSS`, the figure `/usr/bin/time -v` reports as "Maximum
 * resident set size"), the RSS right after warm-up, and the least-squares slope of RSS over the
 * steps after warm-up, in MB per 1000 steps (flat = within noise of 0). `--alloc` runs the
 * allocator alone: 10 000 cycles of allocating BN-sized float32 tensors, reducing them per channel
 * and dropping them, which is the pattern that grew without bound when every big tensor had a
 * fresh SharedArrayBuffer and nothing told V8 to collect them (src/tensor/parallel/shared-memory.ts).
 */
import { data, F, getNumThreads, manualSeed, optim, randn, setNumThreads, tensor, type Tensor } from '../src/index.js';
import { allocate } from '../src/tensor/dtype.js';
import { channelSums } from '../src/tensor/kernels/channel-reduce.js';
import { poolInfo, warmUpPool } from '../src/tensor/parallel/pool.js';
import { sharedMemoryInfo } from '../src/tensor/parallel/shared-memory.js';
import { mnistCnn } from './mnist-cnn.js';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

const steps = Number(flag('--steps') ?? 10_000);
const every = Number(flag('--every') ?? 500);
const warmup = Number(flag('--warmup') ?? 500);
const threadsFlag = flag('--threads');
if (threadsFlag !== undefined) setNumThreads(Number(threadsFlag));
const allocOnly = process.argv.includes('--alloc');

const MB = 1024 * 1024;
const rssMb = (): number => process.memoryUsage.rss() / MB;

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return sxx === 0 ? 0 : sxy / sxx;
}

/** One iteration of the measured loop; returns a number so that nothing is optimized away. */
function makeIteration(): () => number {
  if (allocOnly) {
    // A BatchNorm2d input of the row (N = 8, C = 32, 32×32): 262 144 float32.
    const shape = [8, 32, 32, 32];
    const size = 8 * 32 * 32 * 32;
    let k = 0;
    return () => {
      const x = allocate('float32', size);
      x[(k++ * 4099) % size] = 1;
      const g = allocate('float32', size);
      g.fill(0.5);
      return channelSums(x, 0, shape).sum[0]! + channelSums(g, 0, shape).sum[1]!;
    };
  }
  manualSeed(1);
  // Synthetic digits of MNIST's shape (2 048 of them, 6 MB) so that the figure is tsgrad's own
  // memory: the `mnist` package alone holds ≈ 150 MB once required (its digits are JSON arrays).
  const samples = 2048;
  const images = randn([samples, 1, 28, 28]);
  const labels = tensor(Array.from({ length: samples }, (_, i) => (i * 7 + (i >> 3)) % 10));
  const train = new data.TensorDataset(images, labels);
  const model = mnistCnn();
  const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  let batches: Iterator<Tensor[]> = new data.DataLoader(train, { batchSize: 32, shuffle: true, seed: 1, dropLast: true })[Symbol.iterator]();
  return () => {
    let next = batches.next();
    if (next.done === true) {
      batches = new data.DataLoader(train, { batchSize: 32, shuffle: true, seed: 1, dropLast: true })[Symbol.iterator]();
      next = batches.next();
    }
    const [x, y] = next.value as Tensor[];
    opt.zeroGrad();
    const loss = F.crossEntropy(model.call(x!), y!);
    loss.backward();
    opt.step();
    return loss.item();
  };
}

await warmUpPool();
const iteration = makeIteration();
console.log(`${allocOnly ? 'allocate/free cycles of [8, 32, 32, 32] float32' : 'MNIST CNN train steps, batch 32'}: ${steps} steps on ${getNumThreads()} thread(s)`);
console.log('| step | RSS (MB) | heap used (MB) | array buffers (MB) | ms per step (last interval) |');
console.log('|---|---|---|---|---|');
const xs: number[] = [];
const ys: number[] = [];
let rssAfterWarmup = 0;
let check = 0;
let t = performance.now();
for (let step = 1; step <= steps; step++) {
  check += iteration();
  if (step === warmup) rssAfterWarmup = rssMb();
  if (step % every === 0 || step === steps) {
    const m = process.memoryUsage();
    const now = performance.now();
    console.log(`| ${step} | ${(m.rss / MB).toFixed(1)} | ${(m.heapUsed / MB).toFixed(1)} | ${(m.arrayBuffers / MB).toFixed(1)} | ${((now - t) / every).toFixed(2)} |`);
    t = now;
    if (step >= warmup) {
      xs.push(step);
      ys.push(m.rss / MB);
    }
  }
}
const peak = process.resourceUsage().maxRSS / 1024;
const s = xs.length > 1 ? slope(xs, ys) * 1000 : 0;
const info = sharedMemoryInfo();
console.log(`\npeak RSS ${peak.toFixed(1)} MB; RSS after warm-up (step ${warmup}) ${rssAfterWarmup.toFixed(1)} MB, at the end ${rssMb().toFixed(1)} MB;`
  + ` slope after warm-up ${s.toFixed(2)} MB per 1000 steps`);
console.log(`shared memory: ${info.allocations} shared allocations (${(info.bytesAllocated / MB).toFixed(0)} MB in all), ${info.collections} paced collections (${info.fullCollections} full, ${info.collectionMs.toFixed(0)} ms); pool tasks ${poolInfo().tasksRun}, worker collections ${poolInfo().workerCollections}; checksum ${check.toFixed(3)}`);
