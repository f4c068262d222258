// Train-step time of the experiment's models at normalization batch 2 (batch 32, groups 16):
// BatchNorm vs BKN 'sampled' vs BKN 'analytic' (issue 16 item 7; the target is BKN ≤ 1.5× BatchNorm).
// wasm kernels, 1 thread; the variants run in interleaved rounds so that a change of machine load
// hits each alike; median step time (forward, backward, SGD step) on one fixed batch.
//   npx tsx bench/bkn-step.ts [steps=200] [models=mlp,cnn] [norms=bn,bkn-sampled,bkn-analytic]
import { F, manualSeed, optim, randn, setBackend, setNumThreads, getBackend } from '../src/index.js';
import { buildModel } from '../experiment/models.js';
import type { ModelName, NormName } from '../experiment/config.js';

setBackend('wasm');
setNumThreads(1);
const steps = Number(process.argv[2] ?? 200);
const models = (process.argv[3] ?? 'mlp,cnn').split(',') as ModelName[];
const norms = (process.argv[4] ?? 'bn,bkn-sampled,bkn-analytic').split(',') as NormName[];
const batch = 32;
const groups = 16; // normalization batch 2
const rounds = 10;
for (const model of models) {
  // All variants built first, then run in interleaved rounds so that load changes hit each alike.
  const runs = norms.map((norm) => {
    manualSeed(1);
    const net = buildModel({ id: 'x', model, norm, normBatch: 2, groups }, [1, 28, 28], 10);
    net.train();
    const opt = new optim.SGD(net.parameters(), { lr: 0.01, momentum: 0.9 });
    const x = randn([batch, 1, 28, 28]);
    const y = Array.from({ length: batch }, (_, i) => i % 10);
    const step = (): void => {
      opt.zeroGrad();
      F.crossEntropy(net.call(x), y).backward();
      opt.step();
    };
    for (let i = 0; i < 10; i++) step(); // warm-up
    return { norm, step, times: [] as number[] };
  });
  for (let r = 0; r < rounds; r++) {
    for (const run of runs) {
      for (let i = 0; i < steps / rounds; i++) {
        const t0 = performance.now();
        run.step();
        run.times.push(performance.now() - t0);
      }
    }
  }
  const median = (t: number[]): number => [...t].sort((a, b) => a - b)[Math.floor(t.length / 2)]!;
  const bn = runs.find((r) => r.norm === 'bn');
  const bnTime = bn === undefined ? undefined : median(bn.times);
  console.log(`${model} (${getBackend()}, 1 thread, batch ${batch}, nb 2, median of ${steps} steps in ${rounds} interleaved rounds):`);
  for (const run of runs) {
    const t = median(run.times);
    console.log(`  ${run.norm.padEnd(14)} ${t.toFixed(2)} ms${bnTime !== undefined ? `  (${(t / bnTime).toFixed(2)}× BN)` : ''}`);
  }
}
