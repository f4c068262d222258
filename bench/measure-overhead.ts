/**
 * The engine's overhead per op (issue 15, item 4), and the eager MLP train step it dominates.
 *
 *   npx tsc -p tsconfig.bench.json && node .bench-build/bench/measure-overhead.js [--only ops|mlp] [--ms 3000]
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof .bench-build/bench/measure-overhead.js --only mlp
 *
 * "µs per op": the chain of bench/op-chain.ts (small elementwise ops forward and backward, so
 * nearly all of its time is the engine's: creating tensors and graph nodes, shape and dtype
 * checks, dispatch, allocating outputs, the backward walk), as (time of one chain) ÷ (its ops).
 * Medians of samples on ONE thread; the machine is shared, so the quartiles are printed too.
 */
import { F, manualSeed, nn, optim, setNumThreads, tensor } from '../src/index.js';
import { seededData } from './harness.js';
import { OPS_PER_CHAIN, opChain } from './op-chain.js';

setNumThreads(1);
manualSeed(1);
const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;

/**
 * Median and quartiles of the wall time per run, and the median CPU time of this process per run
 * (user + system): on a shared machine the CPU time is the steadier figure, since it does not
 * count the time other jobs held the core.
 */
function time(run: () => unknown, ms: number): { median: number; p25: number; p75: number; cpu: number } {
  const cpuMs = (): number => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  let reps = 1;
  const warmEnd = performance.now() + Math.min(ms, 1500);
  while (performance.now() < warmEnd) {
    const t = performance.now();
    run();
    reps = Math.max(1, Math.ceil(30 / Math.max(performance.now() - t, 1e-3)));
  }
  const per: number[] = [];
  const cpu: number[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end || per.length < 5) {
    const t = performance.now();
    const c = cpuMs();
    for (let r = 0; r < reps; r++) run();
    per.push((performance.now() - t) / reps);
    cpu.push((cpuMs() - c) / reps);
  }
  per.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const q = (f: number): number => per[Math.floor(f * (per.length - 1))]!;
  return { median: q(0.5), p25: q(0.25), p75: q(0.75), cpu: cpu[Math.floor(cpu.length / 2)]! };
}

const runMs = args.includes('--ms') ? Number(args[args.indexOf('--ms') + 1]) : 3000;
if (only === undefined || only === 'ops') {
  const t = time(opChain(), runMs);
  const us = (v: number): string => ((v * 1000) / OPS_PER_CHAIN).toFixed(2);
  console.log(`µs per op (chain of ${OPS_PER_CHAIN} ops on [256] fwd+bwd): ${us(t.median)} (quartiles ${us(t.p25)}–${us(t.p75)}); CPU ${us(t.cpu)}`);
}
if (only === undefined || only === 'mlp') {
  for (const batch of [32, 128]) {
    const sizes = [784, 128, 64, 10];
    const layers: nn.Module[] = [];
    for (let i = 0; i + 1 < sizes.length; i++) {
      layers.push(new nn.Linear(sizes[i]!, sizes[i + 1]!));
      if (i + 2 < sizes.length) layers.push(new nn.ReLU());
    }
    const model = new nn.Sequential(...layers);
    const opt = new optim.SGD(model.parameters(), { lr: 0.01 });
    const x = tensor(seededData(batch * 784, 320), { shape: [batch, 784] });
    const labels = Array.from({ length: batch }, (_, i) => i % 10);
    const step = (): number => {
      const loss = F.crossEntropy(model.call(x), labels);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      return loss.item();
    };
    const t = time(step, runMs);
    console.log(`MLP step batch ${batch}: ${(batch / (t.median / 1000)).toFixed(0)} samples/s (${t.median.toFixed(3)} ms, quartiles ${t.p25.toFixed(3)}–${t.p75.toFixed(3)}; CPU ${t.cpu.toFixed(3)} ms)`);
  }
}
