// The LRSchedulers (StepLR, MultiStepLR, CosineAnnealingLR, LambdaLR, LinearLR, ExponentialLR,
// OneCycleLR) against PyTorch 1.13 (test/fixtures/optim.json): lrs (and cycled momenta) every epoch,
// their closed forms, state-dict round trips, resuming and errors. ReduceLROnPlateau, SequentialLR
// and chained schedulers: lr-scheduler-pytorch.test.ts.
import { describe, expect, it } from 'vitest';
import { optim } from '../../src/index.js';
import { compareArrays } from '../helpers/fixtures.js';
import { expectTrajectory, fixtures, makeOptimizer as makeCaseOptimizer, makeScheduler as makeCaseScheduler, momenta, type SchedulerCase, type SchedulerName } from './lr-scheduler-cases.js';

const cases = fixtures.cases.filter((c) => c.kind === 'scheduler');

function makeOptimizer(lrs: readonly number[]): optim.SGD {
  return makeCaseOptimizer(lrs) as optim.SGD;
}

function caseOptimizer(c: SchedulerCase, lrs = c.groupLrs): ReturnType<typeof makeCaseOptimizer> {
  return makeCaseOptimizer(lrs, c.optimizer, c.optimizerOptions);
}

function caseScheduler(c: SchedulerCase, opt: ReturnType<typeof makeCaseOptimizer>, options = c.options): optim.LRScheduler {
  return makeCaseScheduler({ scheduler: c.scheduler as SchedulerName, options }, opt);
}

/** Settings unlike every case's, so a state-dict round trip must restore them. */
const OTHER_OPTIONS: Record<SchedulerName, (c: SchedulerCase) => Record<string, unknown>> = {
  StepLR: () => ({ stepSize: 1 }),
  MultiStepLR: () => ({ milestones: [1] }),
  CosineAnnealingLR: () => ({ tMax: 1 }),
  LambdaLR: (c) => c.options, // the functions are code, not state
  LinearLR: () => ({}),
  ExponentialLR: () => ({ gamma: 0.5 }),
  OneCycleLR: () => ({ maxLr: 1, totalSteps: 100, cycleMomentum: false, annealStrategy: 'linear' }),
};

describe(`LR schedulers match PyTorch ${fixtures.torch}`, () => {
  expect(cases.length).toBeGreaterThanOrEqual(19);
  for (const c of cases) {
    it(`${c.name} ${JSON.stringify(c.options)}`, () => {
      const opt = caseOptimizer(c);
      expectTrajectory(c, opt, caseScheduler(c, opt));
    });

    it(`${c.name}: the recursive form equals the closed form when nothing else changes the lr`, () => {
      const opt = caseOptimizer(c);
      const sched = caseScheduler(c, opt);
      for (let epoch = 0; epoch < c.lrs.length; epoch++) {
        if (epoch > 0) sched.step();
        const report = compareArrays(`${c.name} epoch ${epoch}`, sched.getLastLr(), sched.closedFormLr(), { rtol: 1e-12, atol: 1e-15 });
        if (report !== null) throw new Error(report);
      }
    });

    it(`${c.name}: a scheduler restored from its state dict continues identically`, () => {
      const opt = caseOptimizer(c);
      const sched = caseScheduler(c, opt);
      for (let epoch = 0; epoch < 4; epoch++) sched.step();
      const saved = { optimizer: opt.stateDict(), scheduler: sched.stateDict() };
      const opt2 = caseOptimizer(c, [1, 1]);
      const sched2 = caseScheduler(c, opt2, OTHER_OPTIONS[c.scheduler as SchedulerName](c));
      opt2.loadStateDict(saved.optimizer as never);
      sched2.loadStateDict(saved.scheduler);
      expect(sched2.getLastLr()).toEqual(sched.getLastLr());
      for (let epoch = 0; epoch < 8; epoch++) {
        sched.step();
        sched2.step();
        expect(sched2.getLastLr()).toEqual(sched.getLastLr());
        expect(momenta(opt2)).toEqual(momenta(opt));
      }
      expect(sched2.stateDict()).toEqual(sched.stateDict());
    });
  }
});

describe('scheduler behaviour', () => {
  it('StepLR keeps an lr change made between steps (the chainable form)', () => {
    const opt = makeOptimizer([0.1]);
    const sched = new optim.StepLR(opt, { stepSize: 2, gamma: 0.5 });
    sched.step(); // epoch 1: unchanged
    opt.paramGroups[0]!.lr = 1;
    sched.step(); // epoch 2: decays what is there now
    expect(sched.getLastLr()).toEqual([0.5]);
    expect(sched.closedFormLr()).toEqual([0.1 * 0.5]);
  });

  it('MultiStepLR decays twice at a milestone listed twice', () => {
    const opt = makeOptimizer([1]);
    const sched = new optim.MultiStepLR(opt, { milestones: [2, 2], gamma: 0.5 });
    sched.step();
    expect(sched.getLastLr()).toEqual([1]);
    sched.step();
    expect(sched.getLastLr()).toEqual([0.25]);
  });

  it('resuming with lastEpoch needs initialLr, then starts from the closed form', () => {
    const fresh = makeOptimizer([0.1]);
    expect(() => new optim.CosineAnnealingLR(fresh, { tMax: 10, lastEpoch: 3 })).toThrow(/paramGroups\[0\] has no initialLr/);
    const opt = makeOptimizer([0.1]);
    new optim.CosineAnnealingLR(opt, { tMax: 10, etaMin: 0.01 });
    opt.paramGroups[0]!.lr = 123; // the recursive form would use this; the resume step must not
    const resumed = new optim.CosineAnnealingLR(opt, { tMax: 10, etaMin: 0.01, lastEpoch: 3 });
    expect(resumed.lastEpoch).toBe(4);
    // η_min + (η_max − η_min)(1 + cos(π·4/10))/2, the documented formula.
    expect(resumed.getLastLr()[0]).toBeCloseTo(0.01 + (0.1 - 0.01) * (1 + Math.cos((Math.PI * 4) / 10)) / 2, 15);
  });

  it('a second scheduler on the same optimizer keeps the first initialLr', () => {
    const opt = makeOptimizer([0.1]);
    new optim.StepLR(opt, { stepSize: 1, gamma: 0.5 }).step();
    const second = new optim.MultiStepLR(opt, { milestones: [5] });
    expect(second.baseLrs).toEqual([0.1]);
    expect(opt.paramGroups[0]!.initialLr).toBe(0.1);
  });

  it('clear errors for bad settings', () => {
    const opt = makeOptimizer([0.1]);
    expect(() => new optim.StepLR(opt, { stepSize: 0 })).toThrow(/StepLR: stepSize must be a positive integer, got 0/);
    expect(() => new optim.CosineAnnealingLR(opt, { tMax: 2.5 })).toThrow(/tMax must be a positive integer/);
    expect(() => new optim.MultiStepLR(opt, { milestones: [3, -1] })).toThrow(/milestones must be an array of non-negative integer epochs/);
    expect(() => new optim.StepLR(opt, { stepSize: 1, lastEpoch: -2 })).toThrow(/lastEpoch must be an integer >= -1/);
    const sched = new optim.StepLR(opt, { stepSize: 2 });
    expect(() => sched.loadStateDict({ ...sched.stateDict(), baseLrs: [0.1, 0.2] })).toThrow(/baseLrs must hold one number per parameter group \(1\)/);
  });
});
