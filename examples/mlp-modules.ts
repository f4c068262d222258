/**
 * The same kind of 2-layer MLP as mlp-train.ts, written the way a PyTorch user would: `nn.Sequential`
 * of `nn.Linear` layers, `F.crossEntropy`, the `optim.Adam` optimizer and a shuffling
 * `data.DataLoader` — on the classic three-armed spiral, which no linear classifier can separate
 * (a linear model reaches about 50%; this MLP about 99%).
 *
 *   npx tsx examples/mlp-modules.ts              # full run (a few seconds)
 *   npx tsx examples/mlp-modules.ts --epochs 5   # quick
 *
 * Flags: --epochs N (default 150), --hidden N (default 64), --seed N (default 0).
 * Prints the loss every few epochs, then the training accuracy of the MLP and of a linear model.
 */
import { F, data, manualSeed, nn, noGrad, optim, randn, tensor, type Tensor } from '../src/index.js';
import { exampleFlags } from './lib/flags.js';

const flags = exampleFlags('mlp-modules.ts', 'An MLP (nn.Sequential, Adam, DataLoader) on the three-armed spiral, against a linear model.', {
  epochs: { kind: 'int', min: 0, default: 150, help: 'passes over the data' },
  hidden: { kind: 'int', min: 1, default: 64, help: 'hidden units' },
  seed: { kind: 'int', min: 0, default: 0, help: 'seed of the data and the initialisation' },
});
const { epochs, hidden } = flags;
manualSeed(flags.seed);

// ---- data: three spiral arms of 100 points each, with a little noise ------------------------------
const perClass = 100;
const classes = 3;
const noise = randn([classes * perClass]).mul(0.2).toArray();
const points: number[][] = [];
const labels: number[] = [];
for (let c = 0; c < classes; c++) {
  for (let i = 0; i < perClass; i++) {
    const r = i / perClass; // radius 0 → 1
    const angle = (c * 2 * Math.PI) / classes + 4 * r + noise[c * perClass + i]!;
    points.push([r * Math.sin(angle), r * Math.cos(angle)]);
    labels.push(c);
  }
}
const x = tensor(points); // [300, 2] float32
const y = tensor(labels); // [300] class indices
const loader = new data.DataLoader(new data.TensorDataset(x, y), { batchSize: 30, shuffle: true, seed: 1 });

// ---- model, loss, optimizer -------------------------------------------------------------------
const model = new nn.Sequential(
  new nn.Linear(2, hidden),
  new nn.ReLU(),
  new nn.Linear(hidden, classes),
);
const optimizer = new optim.Adam(model.parameters(), { lr: 0.01 });

/** Fraction of points whose largest logit is their class. */
function accuracy(net: nn.Module): number {
  const predicted = noGrad(() => net.call(x)).argmax(1);
  return predicted.eq(tensor(labels, { dtype: 'int32' })).sum().item() / labels.length;
}

/** The standard training loop: forward, loss, zero the gradients, backward, step. */
function train(net: nn.Module, opt: optim.Optimizer, n: number, log: boolean): number {
  let last = NaN;
  for (let epoch = 1; epoch <= n; epoch++) {
    let sum = 0;
    let batches = 0;
    for (const [xb, yb] of loader) {
      const loss: Tensor = F.crossEntropy(net.call(xb!), yb!);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      sum += loss.item();
      batches++;
    }
    last = sum / batches;
    if (log && (epoch % Math.max(1, Math.floor(n / 6)) === 0 || epoch === n)) {
      console.log(`epoch ${epoch}: mean loss ${last.toFixed(4)}`);
    }
  }
  return last;
}

const start = performance.now();
const finalLoss = train(model, optimizer, epochs, true);
const seconds = (performance.now() - start) / 1000;
const mlpAccuracy = accuracy(model);

// For comparison: a linear model (no hidden layer) trained the same way.
const linear = new nn.Linear(2, classes);
train(linear, new optim.Adam(linear.parameters(), { lr: 0.01 }), epochs, false);

console.log(`final loss ${finalLoss.toFixed(4)}; ${epochs} epochs in ${seconds.toFixed(2)} s`);
console.log(`training accuracy: MLP ${(100 * mlpAccuracy).toFixed(1)}%, linear model ${(100 * accuracy(linear)).toFixed(1)}%`);
