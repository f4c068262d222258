/**
 * A 2-layer MLP learns a toy problem (is a point inside the circle of radius 0.7?) with tsgrad's autograd and plain SGD
 * written out by hand — no nn or optim modules, so every step of training is visible here.
 *
 *   npx tsx examples/mlp-train.ts            # full run
 *   npx tsx examples/mlp-train.ts --steps 50 # quick
 *
 * It prints the loss as it goes, the final training accuracy, and steps per second: the engine's
 * overhead per op is what this loop measures while the tensors are small.
 */
import { manualSeed, noGrad, rand, randn, tensor, type Tensor } from '../src/index.js';
import { exampleFlags } from './lib/flags.js';

const { steps, hidden } = exampleFlags('mlp-train.ts', 'A 2-layer MLP trained with autograd and hand-written SGD on a toy problem.', {
  steps: { kind: 'int', min: 1, default: 3000, help: 'training steps' },
  hidden: { kind: 'int', min: 1, default: 32, help: 'hidden units' },
});
const batch = 128;
manualSeed(0);

// Points uniform in the square [-1, 1]²; class 1 inside the circle of radius 0.7 (about 38% of them).
const coords = rand([batch, 2]).mul(2).sub(1).toNested() as number[][];
const points: number[][] = coords;
const labels: number[] = coords.map(([u, v]) => (u! * u! + v! * v! < 0.49 ? 1 : 0));
const x = tensor(points);
const y = tensor(labels.map((l) => [l === 0 ? -1 : 1]));

// Parameters: scaled normal init (variance 1/fan_in).
const w1 = randn([2, hidden]).mul(Math.sqrt(1 / 2)).detach();
const b1 = randn([hidden]).mul(0).detach();
const w2 = randn([hidden, 1]).mul(Math.sqrt(1 / hidden)).detach();
const b2 = randn([1]).mul(0).detach();
const params: Tensor[] = [w1, b1, w2, b2];
for (const p of params) p.requiresGrad = true;

// Full-batch gradient descent; MSE on tanh features tolerates lr up to about 2 / (hidden + 1).
const lr = 0.05;
const start = performance.now();
let loss = 0;
for (let step = 1; step <= steps; step++) {
  // forward: tanh hidden layer, linear output, mean squared error against ±1 targets
  const out = x.matmul(w1).add(b1).tanh().matmul(w2).add(b2);
  const l = out.sub(y).square().mean();
  l.backward();
  loss = l.item();
  // SGD, in place on each parameter's storage
  noGrad(() => {
    for (const p of params) {
      const g = p.grad!.array.data;
      const d = p.array.data;
      for (let i = 0; i < d.length; i++) d[i] -= lr * g[i]!;
      p.grad = null;
    }
  });
  if (step % Math.max(1, Math.floor(steps / 6)) === 0) console.log(`step ${step}: loss ${loss.toFixed(4)}`);
}
const seconds = (performance.now() - start) / 1000;
const predictions = noGrad(() => x.matmul(w1).add(b1).tanh().matmul(w2).add(b2)).toArray();
const correct = Array.from(predictions).reduce((n, p, i) => n + ((p > 0 ? 1 : 0) === labels[i] ? 1 : 0), 0);
console.log(`final loss ${loss.toFixed(4)}, training accuracy ${((100 * correct) / batch).toFixed(1)}%`);
console.log(`${steps} steps in ${seconds.toFixed(2)} s: ${(steps / seconds).toFixed(0)} steps/s (batch ${batch}, hidden ${hidden})`);
