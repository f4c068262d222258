// Resuming through nn.saveCheckpoint / nn.loadCheckpoint with the optimizers and schedulers of
// issue 14 (RMSprop, Adagrad, OneCycleLR, ReduceLROnPlateau, SequentialLR, LambdaLR) and gradient
// clipping in the loop: 20 steps, checkpoint, load into freshly built objects, 20 more steps equals
// 40 straight steps, bit for bit (weights, optimizer state, lrs, momenta).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { F, Generator, manualSeed, nn, optim, randn, tensor, type Tensor } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tsgrad-checkpoint-schedulers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STEPS = 40;

interface Run {
  model: nn.Sequential;
  optimizer: optim.Optimizer;
  scheduler: optim.LRScheduler | optim.ReduceLROnPlateau;
}

/** Each setup builds a model (weights from `seed`), an optimizer and a scheduler for 40 steps. */
const SETUPS: Record<string, (model: nn.Sequential) => Omit<Run, 'model'>> = {
  'Adam + OneCycleLR (β₁ cycled)': (model) => {
    const optimizer = new optim.Adam(model.parameters(), { lr: 0.01 });
    return { optimizer, scheduler: new optim.OneCycleLR(optimizer, { maxLr: 0.05, totalSteps: STEPS }) };
  },
  'SGD-momentum + OneCycleLR three-phase linear': (model) => {
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9, nesterov: true });
    return { optimizer, scheduler: new optim.OneCycleLR(optimizer, { maxLr: 0.2, totalSteps: STEPS, threePhase: true, annealStrategy: 'linear' }) };
  },
  'RMSprop centered + ReduceLROnPlateau': (model) => {
    const optimizer = new optim.RMSprop(model.parameters(), { lr: 0.01, momentum: 0.5, centered: true });
    return { optimizer, scheduler: new optim.ReduceLROnPlateau(optimizer, { patience: 1, factor: 0.5, threshold: 0.05 }) };
  },
  'Adagrad + SequentialLR(LinearLR, ExponentialLR)': (model) => {
    const optimizer = new optim.Adagrad(model.parameters(), { lr: 0.1, lrDecay: 0.01 });
    const warmup = new optim.LinearLR(optimizer, { startFactor: 0.2, totalIters: 10 });
    const decay = new optim.ExponentialLR(optimizer, { gamma: 0.95 });
    return { optimizer, scheduler: new optim.SequentialLR(optimizer, { schedulers: [warmup, decay], milestones: [15] }) };
  },
  'SGD + LambdaLR': (model) => {
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.1 });
    return { optimizer, scheduler: new optim.LambdaLR(optimizer, { lrLambda: (e) => 1 / (1 + 0.1 * e) }) };
  },
};

function makeRun(name: string, seed: number): Run {
  manualSeed(seed);
  const model = new nn.Sequential(new nn.Linear(5, 12), new nn.ReLU(), new nn.Linear(12, 3));
  return { model, ...SETUPS[name]!(model) };
}

function trainSteps(run: Run, from: number, to: number): void {
  for (let step = from; step < to; step++) {
    const gen = new Generator(500 + step);
    const x = randn([6, 5], { generator: gen });
    const y = tensor(Array.from({ length: 6 }, () => gen.int(3)));
    run.optimizer.zeroGrad();
    const loss: Tensor = F.crossEntropy(run.model.call(x), y);
    loss.backward();
    nn.utils.clipGradNorm_(run.model.parameters(), 1);
    run.optimizer.step();
    if (run.scheduler instanceof optim.ReduceLROnPlateau) run.scheduler.step(loss);
    else run.scheduler.step();
  }
}

function snapshot(run: Run): unknown {
  return {
    weights: [...run.model.stateDict()].map(([k, t]) => [k, Array.from(t.toArray())]),
    groups: JSON.stringify(run.optimizer.paramGroups.map(({ params: _p, ...hyper }) => hyper)),
    // Empty states (plain SGD's) are not written to a checkpoint: compare the non-empty ones.
    state: [...run.optimizer.state.values()]
      .map((s) => Object.entries(s).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, typeof v === 'number' ? v : Array.from((v as Tensor).toArray())]))
      .filter((entries) => entries.length > 0),
    scheduler: run.scheduler.stateDict(),
  };
}

describe('resuming from a checkpoint with the issue-14 optimizers and schedulers is bitwise', () => {
  for (const name of Object.keys(SETUPS)) {
    it(name, () => {
      const straight = makeRun(name, 7);
      trainSteps(straight, 0, STEPS);

      const first = makeRun(name, 7);
      trainSteps(first, 0, STEPS / 2);
      const path = join(dir, `${name.replace(/[^a-z]+/gi, '-')}.safetensors`);
      nn.saveCheckpoint(path, first);
      const resumed = makeRun(name, 99); // other weights, a fresh optimizer and scheduler
      nn.loadCheckpoint(path, resumed);
      expect(snapshot(resumed)).toEqual(snapshot(first));
      trainSteps(resumed, STEPS / 2, STEPS);

      expect(snapshot(resumed)).toEqual(snapshot(straight));
      expect(resumed.scheduler.getLastLr()).toEqual(straight.scheduler.getLastLr());
    });
  }
});
