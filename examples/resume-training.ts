/**
 * Stop a training run and resume it later, bit for bit: `nn.saveCheckpoint` writes the model,
 * the optimizer's state (momentum buffers, Adam's moments), the scheduler and the random stream
 * (dropout masks) to one safetensors file, atomically; `nn.loadCheckpoint` restores them.
 *
 *   npx tsx examples/resume-training.ts                       # 60 steps straight, then 30 + 30 resumed
 *   npx tsx examples/resume-training.ts --steps 20 --out /tmp/ckpt.safetensors
 *
 * It trains a small MLP with dropout on a toy problem twice — once straight through, once stopping
 * halfway, saving, building everything afresh and loading — and prints whether the final weights
 * are bitwise equal.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { F, Generator, manualSeed, nn, optim, randn, tensor } from '../src/index.js';
import { exampleFlags, FlagError } from './lib/flags.js';

const { steps, out } = exampleFlags('resume-training.ts', 'Stop a training run, save a checkpoint, resume it: the final weights are bitwise those of the straight run.', {
  steps: { kind: 'int', min: 1, default: 60, help: 'training steps in all (at least 2: the run stops halfway)' },
  out: { kind: 'text', default: 'results/resume-training.safetensors', help: 'the checkpoint file' },
}, (f) => {
  if (f.steps < 2) throw new FlagError(`--steps expects an integer ≥ 2 (the run stops halfway), got '${f.steps}'`);
});

/** A fresh model, optimizer and scheduler, always built the same way. */
function setUp(): { model: nn.Sequential; optimizer: optim.Adam; scheduler: optim.StepLR } {
  manualSeed(7);
  const model = new nn.Sequential(new nn.Linear(4, 32), new nn.ReLU(), new nn.Dropout(0.2), new nn.Linear(32, 2));
  const optimizer = new optim.Adam(model.parameters(), { lr: 0.01 });
  const scheduler = new optim.StepLR(optimizer, { stepSize: 10, gamma: 0.5 });
  return { model, optimizer, scheduler };
}

/** Steps [from, to): batch `step` is drawn from a generator seeded by the step number. */
function train(run: ReturnType<typeof setUp>, from: number, to: number): number {
  let loss = NaN;
  for (let step = from; step < to; step++) {
    const gen = new Generator(step);
    const x = randn([16, 4], { generator: gen });
    const xs = x.toArray();
    const y = tensor(Array.from({ length: 16 }, (_, i) => (xs[4 * i]! * xs[4 * i + 1]! > 0 ? 1 : 0)));
    run.optimizer.zeroGrad();
    const l = F.crossEntropy(run.model.call(x), y);
    l.backward();
    run.optimizer.step();
    run.scheduler.step();
    loss = l.item();
  }
  return loss;
}

const straight = setUp();
const finalLoss = train(straight, 0, steps);

const half = Math.floor(steps / 2);
const first = setUp();
train(first, 0, half);
mkdirSync(dirname(out), { recursive: true });
nn.saveCheckpoint(out, first, { step: half });
console.log(`trained ${half} steps, saved ${out}`);

const resumed = setUp(); // a fresh process would start here
const { step } = nn.loadCheckpoint(out, resumed) as { step: number };
train(resumed, step, steps);

const a = [...straight.model.stateDict()].map(([, t]) => t.toArray());
const b = [...resumed.model.stateDict()].map(([, t]) => t.toArray());
const equal = a.every((values, i) => values.every((v, j) => Object.is(v, b[i]![j])));
console.log(`resumed at step ${step}, trained to ${steps}: final loss ${finalLoss.toFixed(4)}`);
console.log(`weights after ${steps} straight steps and after ${half} + ${steps - half} resumed: ${equal ? 'bitwise equal' : 'DIFFERENT'}`);
if (!equal) process.exit(1);
