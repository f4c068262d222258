// The worked example of docs/bkn.md, computed by tsgrad: one BKN step on a chunk of two samples,
// next to what BatchNorm does with the same chunk; then the 'sampled' prediction of a small chain.
//
//   npx tsx examples/bkn-worked-example.ts
import { manualSeed, nn, tensor, type Tensor } from '../src/index.js';
import * as norm from '../src/norm/index.js';
import { exampleFlags } from './lib/flags.js';

// No flags: anything on the command line is a mistake, said in one line.
exampleFlags('bkn-worked-example.ts', 'The worked example of docs/bkn.md: one BKN step by hand, then a sampled prediction.', {});

const fmt = (t: Tensor): string => `[${Array.from(t.toArray(), (v) => v.toFixed(4)).join(', ')}]`;

// --- 1. One update by hand: a layer whose prediction is m̃ = 0, ṽ = 4 (a custom transition). ---
const first = new norm.BatchKalmanNorm1d(1, { firstPrior: 'none' });
const layer = new norm.BatchKalmanNorm1d(1, {
  prev: first,
  transition: (mean) => ({ mean: mean.mul(0), var: mean.mul(0).add(4) }),
});
first.call(tensor([[0], [1]]));                 // starts the training pass (its estimate is unused here)
const x = tensor([[1], [3]]);                   // one chunk of 2 samples, 1 channel
const y = layer.call(x);
const step = layer.lastStep!;
const est = layer._estimate!;
console.log('1. one BKN step, x =', fmt(x.reshape([-1])));
console.log('   observation  m̄ = 2, v̄ = 1 (biased, over the 2 values)');
console.log(`   prediction   m̃ = ${fmt(layer.lastPrediction!.mean)}, ṽ = ${fmt(layer.lastPrediction!.var)}`);
console.log(`   gain 'count' q = m/(m + priorCount) = 2/(2 + 16) = ${step.q!.toFixed(4)}`);
console.log(`   update       m̂ = ${fmt(est.mean)}, v̂ = ${fmt(est.variance)}`);
console.log(`   output       y = (x − m̂)/sqrt(v̂ + ε) = ${fmt(y.reshape([-1]))}`);
console.log(`   BatchNorm    y = ${fmt(norm.batchNorm(x, null, null, { training: true }).reshape([-1]))}`);
console.log(`   running_mean = ${fmt(layer.getBuffer('running_mean'))}, running_var = ${fmt(layer.getBuffer('running_var'))}`);

// --- 2. The 'sampled' prediction in a small chain (noise from the seeded generator). ---
manualSeed(0);
const bkn1 = new norm.BatchKalmanNorm1d(3, { groups: 2 });
const linear = new nn.Linear(3, 2);
const bkn2 = new norm.BatchKalmanNorm1d(2, { groups: 2, transition: 'sampled' });
// The Sequential links bkn2 to bkn1 and gives it [ReLU, Linear] as the modules between.
new nn.Sequential(bkn1, new nn.ReLU(), linear, bkn2);
const input = tensor([[0.5, -1, 2], [1.5, 0, 1], [-0.5, 1, 0], [0.5, 2, -1]]);
// model.call(input) runs these three steps; spelled out to keep layer 2's input for the printout.
const h = linear.call(bkn1.call(input).relu());
bkn2.call(h);
console.log('\n2. Sequential(BKN1d(3), ReLU, Linear(3, 2), BKN1d(2)), groups 2, batch of 4');
console.log(`   layer 1 (first): prior = obs of the batch, q = ${bkn1.lastStep!.q!.toFixed(4)}`);
console.log(`   layer 2: prediction m̃ = ${fmt(bkn2.lastPrediction!.mean)} (chunk 0, chunk 1)`);
console.log(`            ṽ = ${fmt(bkn2.lastPrediction!.var)}`);
const obs = norm.momentsComposite(h.detach(), { chunks: 2, samples: 2, channels: 2, positions: 1, affineSpan: 1 });
console.log(`            observation  m̄ = ${fmt(obs.mean)}, v̄ = ${fmt(obs.variance)}`);
console.log(`   guard ratio ρ = ${bkn2.lastStep!.ratio.toFixed(4)} < 100: prediction used, q = ${bkn2.lastStep!.q!.toFixed(4)}`);
console.log(`   corrected m̂ = ${fmt(bkn2._estimate!.mean)}, v̂ = ${fmt(bkn2._estimate!.variance)}`);
