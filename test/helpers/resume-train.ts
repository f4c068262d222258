// A training run that can stop, checkpoint, and resume in a fresh process (test/nn/checkpoint.test.ts).
//
//   node --import tsx resume-train.ts <optimizer> <from-step> <to-step> <checkpoint-in|-> <out>
//
// Trains a small model (Linear-BatchNorm1d-ReLU-Dropout-Linear: buffers, and the global random
// stream through dropout) from <from-step> to <to-step> on batches drawn from a generator seeded by
// the step number, with <optimizer> ('sgd-momentum' | 'adam') and OneCycleLR (which also cycles
// the momentum / Adam's β₁); resumes from
// <checkpoint-in> when given; writes a checkpoint of the final state to <out>.
import { F, Generator, manualSeed, nn, optim, randn, tensor, type Tensor } from '../../src/index.js';

export function makeRun(kind: string): { model: nn.Sequential; optimizer: optim.SGD | optim.Adam; scheduler: optim.OneCycleLR } {
  manualSeed(42);
  const model = new nn.Sequential(new nn.Linear(6, 16), new nn.BatchNorm1d(16), new nn.ReLU(), new nn.Dropout(0.3), new nn.Linear(16, 3));
  const optimizer = kind === 'adam'
    ? new optim.Adam(model.parameters(), { lr: 0.01 })
    : new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-4 });
  const scheduler = new optim.OneCycleLR(optimizer, { maxLr: kind === 'adam' ? 0.02 : 0.1, totalSteps: 40 });
  return { model, optimizer, scheduler };
}

export function trainSteps(run: ReturnType<typeof makeRun>, from: number, to: number): void {
  for (let step = from; step < to; step++) {
    const gen = new Generator(1000 + step);
    const x = randn([8, 6], { generator: gen });
    const y = tensor(Array.from({ length: 8 }, () => gen.int(3)));
    run.optimizer.zeroGrad();
    const loss: Tensor = F.crossEntropy(run.model.call(x), y);
    loss.backward();
    run.optimizer.step();
    run.scheduler.step();
  }
}

if (process.argv[1] !== undefined && process.argv[1].endsWith('resume-train.ts')) {
  const [kind, from, to, input, out] = process.argv.slice(2) as [string, string, string, string, string];
  const run = makeRun(kind);
  if (input !== '-') nn.loadCheckpoint(input, run);
  trainSteps(run, Number(from), Number(to));
  nn.saveCheckpoint(out, run, { step: Number(to) });
}
