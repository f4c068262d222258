// ReduceLROnPlateau (scripted metrics), SequentialLR, schedulers chained on one optimizer, and
// optimizers whose lr and momentum a scheduler drives, against PyTorch 1.13
// (test/fixtures/optim.json); plus their state dicts, quirks and errors.
import { describe, expect, it } from 'vitest';
import { Tensor, optim, tensor, zeros, type DType } from '../../src/index.js';
import { compareArrays, decodeValues, fixtureTensor, type FixtureTensor } from '../helpers/fixtures.js';
import { expectClose, expectTrajectory, fixtures, makeOptimizer, makeScheduler, type AnyScheduleOptimizer, type SchedulerCase } from './lr-scheduler-cases.js';

const byKind = (kind: SchedulerCase['kind']): SchedulerCase[] => fixtures.cases.filter((c) => c.kind === kind);

function makePlateau(c: SchedulerCase, opt: AnyScheduleOptimizer): optim.ReduceLROnPlateau {
  return new optim.ReduceLROnPlateau(opt, c.options as optim.ReduceLROnPlateauOptions);
}

function makeSequential(c: SchedulerCase, opt: AnyScheduleOptimizer): optim.SequentialLR {
  const schedulers = c.schedulers!.map((spec) => makeScheduler(spec, opt));
  return new optim.SequentialLR(opt, { schedulers, milestones: c.milestones! });
}

describe(`ReduceLROnPlateau matches PyTorch ${fixtures.torch} on a scripted metric`, () => {
  const cases = byKind('plateau');
  expect(cases.length).toBeGreaterThanOrEqual(6);
  for (const c of cases) {
    const metrics = [...decodeValues(c.metrics!)];
    it(`${c.name} ${JSON.stringify(c.options)}`, () => {
      expect(metrics.length).toBeGreaterThanOrEqual(30);
      const opt = makeOptimizer(c.groupLrs);
      const sched = makePlateau(c, opt);
      expectClose(`${c.name} before the first step`, sched.getLastLr(), c.lrs[0]!);
      metrics.forEach((m, t) => {
        opt.step();
        sched.step(m);
        expectClose(`${c.name} after metric ${t} (${m})`, sched.getLastLr(), c.lrs[t + 1]!);
        expect(opt.paramGroups.map((g) => g.lr)).toEqual(sched.getLastLr());
      });
    });

    it(`${c.name}: restored from its state dict half-way, continues identically`, () => {
      const opt = makeOptimizer(c.groupLrs);
      const sched = makePlateau(c, opt);
      const half = Math.floor(metrics.length / 2);
      metrics.slice(0, half).forEach((m) => sched.step(m));
      const saved = { optimizer: opt.stateDict(), scheduler: sched.stateDict() };
      const opt2 = makeOptimizer([1, 1]);
      const sched2 = new optim.ReduceLROnPlateau(opt2, { mode: 'max', patience: 100, factor: 0.9, minLr: [0.5, 0.5] });
      opt2.loadStateDict(saved.optimizer as never);
      sched2.loadStateDict(saved.scheduler);
      expect(sched2.stateDict()).toEqual(sched.stateDict());
      metrics.slice(half).forEach((m, t) => {
        sched.step(m);
        sched2.step(m);
        expect(sched2.getLastLr()).toEqual(sched.getLastLr());
        expectClose(`${c.name} resumed, metric ${half + t}`, sched2.getLastLr(), c.lrs[half + t + 1]!);
      });
    });
  }

  it('accepts a one-element tensor as the metric and rejects a larger one', () => {
    const opt = makeOptimizer([0.1]);
    const sched = new optim.ReduceLROnPlateau(opt, { patience: 0 });
    sched.step(tensor(2));
    sched.step(tensor([3]));
    expect(sched.best).toBe(2);
    expect(sched.getLastLr()[0]).toBeCloseTo(0.01, 15);
    expect(() => sched.step(tensor([1, 2]))).toThrow(/ReduceLROnPlateau.step: the metric must be a number or a one-element tensor, got a tensor of shape \[2\]/);
    expect(() => sched.step('0.5' as never)).toThrow(/got string/);
  });

  it('counts down the cooldown and ignores bad epochs during it', () => {
    const opt = makeOptimizer([1]);
    const sched = new optim.ReduceLROnPlateau(opt, { patience: 0, cooldown: 2, factor: 0.5 });
    sched.step(1);
    sched.step(2); // bad: reduce, cooldown 2
    expect([sched.getLastLr()[0], sched.cooldownCounter, sched.inCooldown]).toEqual([0.5, 2, true]);
    sched.step(3); // in cooldown
    sched.step(4); // in cooldown (last)
    expect([sched.getLastLr()[0], sched.cooldownCounter, sched.inCooldown]).toEqual([0.5, 0, false]);
    sched.step(5);
    expect(sched.getLastLr()[0]).toBe(0.25);
  });

  it('clear errors for bad settings and state dicts, and nothing half-loaded', () => {
    const opt = makeOptimizer([0.1, 0.02]);
    expect(() => new optim.ReduceLROnPlateau(opt, { factor: 1 })).toThrow(/ReduceLROnPlateau: factor must be in \[0, 1\) \(new lr = lr·factor\), got 1/);
    expect(() => new optim.ReduceLROnPlateau(opt, { factor: -0.5 })).toThrow(/factor must be in \[0, 1\)/);
    expect(() => new optim.ReduceLROnPlateau(opt, { mode: 'minimum' as never })).toThrow(/mode must be 'min' or 'max', got minimum/);
    expect(() => new optim.ReduceLROnPlateau(opt, { thresholdMode: 'relative' as never })).toThrow(/thresholdMode must be 'rel' or 'abs', got relative/);
    expect(() => new optim.ReduceLROnPlateau(opt, { patience: 1.5 })).toThrow(/patience must be a non-negative integer, got 1.5/);
    expect(() => new optim.ReduceLROnPlateau(opt, { cooldown: -1 })).toThrow(/cooldown must be a non-negative integer/);
    expect(() => new optim.ReduceLROnPlateau(opt, { threshold: -1e-4 })).toThrow(/threshold must be >= 0/);
    expect(() => new optim.ReduceLROnPlateau(opt, { minLr: [0.1] })).toThrow(/expected 2 minLr values \(one per parameter group\), got 1/);
    expect(() => new optim.ReduceLROnPlateau(opt, { minLr: -1 })).toThrow(/minLr\[0\] must be a finite number >= 0, got -1/);
    const sched = new optim.ReduceLROnPlateau(opt, { patience: 3 });
    sched.step(1);
    const before = sched.stateDict();
    // A JSON round trip turns the initial best (Infinity) into null: a clear error, not a silent NaN.
    const fresh = new optim.ReduceLROnPlateau(opt);
    const viaJson = JSON.parse(JSON.stringify(fresh.stateDict())) as optim.ReduceLROnPlateauStateDict;
    expect(() => sched.loadStateDict(viaJson)).toThrow(/best must be a number \(±Infinity before the first step; JSON writes Infinity as null\), got null/);
    expect(() => sched.loadStateDict({ ...before, patience: 7, numBadEpochs: -1 })).toThrow(/numBadEpochs must be a non-negative integer/);
    expect(() => sched.loadStateDict({ ...before, patience: 7, lastLr: [0.1] })).toThrow(/lastLr must hold one number per parameter group \(2\)/);
    expect(sched.stateDict()).toEqual(before);
  });
});

describe(`SequentialLR matches PyTorch ${fixtures.torch}`, () => {
  const cases = byKind('sequential');
  expect(cases.length).toBeGreaterThanOrEqual(5);
  for (const c of cases) {
    it(`${c.name} ${JSON.stringify(c.schedulers!.map((s) => s.scheduler))} at ${JSON.stringify(c.milestones)}`, () => {
      expect(c.lrs.length).toBeGreaterThan(30);
      const opt = makeOptimizer(c.groupLrs);
      expectTrajectory(c, opt, makeSequential(c, opt));
    });

    it(`${c.name}: restored from its state dict, continues identically (the schedulers' states included)`, () => {
      const opt = makeOptimizer(c.groupLrs);
      const sched = makeSequential(c, opt);
      for (let epoch = 0; epoch < 9; epoch++) sched.step();
      const saved = { optimizer: opt.stateDict(), scheduler: sched.stateDict() };
      const opt2 = makeOptimizer([1, 1]);
      const sched2 = makeSequential(c, opt2);
      for (let epoch = 0; epoch < 3; epoch++) sched2.step(); // a different position, to be overwritten
      opt2.loadStateDict(saved.optimizer as never);
      sched2.loadStateDict(saved.scheduler);
      expect(sched2.stateDict()).toEqual(sched.stateDict());
      for (let epoch = 10; epoch < c.lrs.length; epoch++) {
        sched.step();
        sched2.step();
        expect(sched2.getLastLr()).toEqual(sched.getLastLr());
        expectClose(`${c.name} resumed, epoch ${epoch}`, sched2.getLastLr(), c.lrs[epoch]!);
      }
    });
  }

  it('clear errors: milestone count, order, another optimizer, nesting, all-or-nothing loading', () => {
    const opt = makeOptimizer([0.1]);
    const a = new optim.LinearLR(opt);
    const b = new optim.ExponentialLR(opt, { gamma: 0.9 });
    expect(() => new optim.SequentialLR(opt, { schedulers: [a, b], milestones: [] })).toThrow(/SequentialLR: expected one milestone fewer than schedulers \(2 schedulers, so 1 milestones\), got 0/);
    expect(() => new optim.SequentialLR(opt, { schedulers: [a, b, b], milestones: [5, 3] })).toThrow(/milestones must be non-negative integer epochs in non-decreasing order, got \[5,3\]/);
    expect(() => new optim.SequentialLR(opt, { schedulers: [], milestones: [] })).toThrow(/expected a non-empty array of schedulers/);
    const other = makeOptimizer([0.1]);
    const c = new optim.ExponentialLR(other, { gamma: 0.5 });
    expect(() => new optim.SequentialLR(opt, { schedulers: [a, c], milestones: [3] })).toThrow(/schedulers\[1\] belongs to another optimizer/);
    const plateau = new optim.ReduceLROnPlateau(opt);
    expect(() => new optim.SequentialLR(opt, { schedulers: [a, plateau as never], milestones: [3] })).toThrow(/schedulers\[1\] is not an LRScheduler \(ReduceLROnPlateau cannot be sequenced/);
    const seq = new optim.SequentialLR(opt, { schedulers: [a, b], milestones: [3] });
    expect(() => new optim.SequentialLR(opt, { schedulers: [seq, b], milestones: [3] })).toThrow(/schedulers\[0\] is a SequentialLR/);
    seq.step();
    const before = { seq: seq.stateDict(), a: a.stateDict(), b: b.stateDict() };
    const bad = seq.stateDict();
    const children = bad.schedulers as optim.LRSchedulerStateDict[];
    // The first child's state is fine, the second's is not: neither may change.
    const broken = { ...bad, schedulers: [{ ...children[0]!, lastEpoch: 17 }, { ...children[1]!, gamma: 'x' }] } as unknown as optim.LRSchedulerStateDict;
    expect(() => seq.loadStateDict(broken)).toThrow(/ExponentialLR.loadStateDict: gamma must be a finite number, got x/);
    expect({ seq: seq.stateDict(), a: a.stateDict(), b: b.stateDict() }).toEqual(before);
  });
});

describe(`schedulers chained on one optimizer match PyTorch ${fixtures.torch} (the recursive forms)`, () => {
  const cases = byKind('chained');
  expect(cases.length).toBeGreaterThanOrEqual(3);
  for (const c of cases) {
    it(`${c.name} ${JSON.stringify(c.schedulers!.map((s) => s.scheduler))}`, () => {
      const opt = makeOptimizer(c.groupLrs);
      const scheds = c.schedulers!.map((spec) => makeScheduler(spec, opt));
      c.lrs.forEach((expected, epoch) => {
        if (epoch > 0) {
          opt.step();
          for (const s of scheds) s.step();
        }
        expectClose(`${c.name} epoch ${epoch}`, opt.paramGroups.map((g) => g.lr), expected);
      });
    });
  }
});

interface CombinedCase {
  name: string;
  kind: string;
  optimizer: 'SGD' | 'Adam' | 'RMSprop' | 'Adagrad';
  options: Record<string, unknown>;
  scheduler: 'OneCycleLR' | 'LinearLR' | 'StepLR';
  schedulerOptions: Record<string, unknown>;
  steps: FixtureTensor[][];
}

describe(`optimizers whose lr and momentum a scheduler drives match PyTorch ${fixtures.torch}`, () => {
  const all = fixtures as unknown as { params: FixtureTensor[]; grads: (FixtureTensor | null)[][]; cases: CombinedCase[] };
  const cases = all.cases.filter((c) => c.kind === 'optimizer+scheduler' && c.scheduler !== 'StepLR');
  expect(cases.length).toBeGreaterThanOrEqual(4);
  for (const c of cases) {
    it(`${c.name}: ${c.optimizer} + ${c.scheduler}`, () => {
      const dtype: DType = 'float64';
      const params = all.params.map((p) => fixtureTensor(p, dtype, true));
      const makers = {
        SGD: () => new optim.SGD(params, c.options),
        Adam: () => new optim.Adam(params, c.options),
        RMSprop: () => new optim.RMSprop(params, c.options),
        Adagrad: () => new optim.Adagrad(params, c.options),
      };
      const opt = makers[c.optimizer]();
      const sched = makeScheduler({ scheduler: c.scheduler, options: c.schedulerOptions }, opt as AnyScheduleOptimizer);
      c.steps.forEach((expected, t) => {
        params.forEach((p, i) => {
          const g = all.grads[t]![i]!;
          p.grad = g === null ? null : fixtureTensor(g, dtype);
        });
        opt.step();
        sched.step();
        params.forEach((p, i) => {
          const report = compareArrays(`${c.name} step ${t} param ${i}`, p.toArray(), decodeValues(expected[i]!.values), { rtol: 1e-10, atol: 1e-13 });
          if (report !== null) throw new Error(report);
        });
      });
    });
  }
});

describe('LambdaLR, LinearLR, ExponentialLR, OneCycleLR: behaviour and errors', () => {
  const p = (): Tensor => zeros([1], { requiresGrad: true });

  it('LambdaLR: one function per group, checked results, functions kept across loadStateDict', () => {
    const opt = makeOptimizer([0.1, 0.2]);
    expect(() => new optim.LambdaLR(opt, { lrLambda: [(e) => e] })).toThrow(/LambdaLR: expected 2 lrLambdas \(one per parameter group\), but got 1/);
    expect(opt.paramGroups.map((g) => g.initialLr)).toEqual([undefined, undefined]); // the failed constructor changed nothing
    expect(() => new optim.LambdaLR(opt, { lrLambda: [(e) => e, 3 as never] })).toThrow(/lrLambda\[1\] must be a function of the epoch, got number/);
    expect(() => new optim.LambdaLR(opt, { lrLambda: (e) => (e === 0 ? 1 : Number.NaN) }).step()).toThrow(/LambdaLR: lrLambda for parameter group 0 returned NaN at epoch 1 \(expected a finite number\)/);
    const sched = new optim.LambdaLR(opt, { lrLambda: [(e) => e + 1, (e) => 2 ** -e] });
    sched.step();
    expect(sched.getLastLr()).toEqual([0.2, 0.1]);
    const saved = sched.stateDict();
    expect(Object.keys(saved).sort()).toEqual(['baseLrs', 'lastEpoch', 'lastLr', 'stepCount']);
    sched.step();
    sched.loadStateDict(saved);
    sched.step();
    expect(sched.getLastLr()).toEqual([0.1 * 3, 0.2 / 4]);
  });

  it('LinearLR and ExponentialLR keep an lr change made between steps (the chainable form)', () => {
    const opt = makeOptimizer([0.1]);
    const linear = new optim.LinearLR(opt, { startFactor: 0.5, totalIters: 2 });
    opt.paramGroups[0]!.lr = 1;
    linear.step(); // factor 0.5 → 0.75: lr·1.5
    expect(linear.getLastLr()).toEqual([1.5]);
    expect(linear.closedFormLr()).toEqual([0.1 * 0.75]);
    const opt2 = makeOptimizer([0.1]);
    const exp = new optim.ExponentialLR(opt2, { gamma: 0.5 });
    opt2.paramGroups[0]!.lr = 4;
    exp.step();
    expect(exp.getLastLr()).toEqual([2]);
  });

  it('LinearLR and ExponentialLR: bad settings', () => {
    const opt = makeOptimizer([0.1]);
    expect(() => new optim.LinearLR(opt, { startFactor: 0 })).toThrow(/LinearLR: startFactor must be in \(0, 1\], got 0/);
    expect(() => new optim.LinearLR(opt, { startFactor: 1.5 })).toThrow(/startFactor must be in \(0, 1\]/);
    expect(() => new optim.LinearLR(opt, { endFactor: -0.1 })).toThrow(/LinearLR: endFactor must be in \[0, 1\], got -0.1/);
    expect(() => new optim.LinearLR(opt, { totalIters: 0 })).toThrow(/LinearLR: totalIters must be a positive integer, got 0/);
    expect(() => new optim.ExponentialLR(opt, {} as never)).toThrow(/ExponentialLR: gamma must be a finite number, got undefined/);
    expect(opt.paramGroups[0]!.initialLr).toBeUndefined();
  });

  it('OneCycleLR: throws past totalSteps + 1 steps without changing anything, as PyTorch raises', () => {
    const opt = makeOptimizer([0.1]);
    const sched = new optim.OneCycleLR(opt, { maxLr: 1, totalSteps: 4 });
    for (let i = 0; i < 4; i++) sched.step(); // steps 1..4: PyTorch allows step number totalSteps
    const before = { sd: sched.stateDict(), lr: opt.paramGroups[0]!.lr, momentum: (opt.paramGroups[0] as { momentum?: number }).momentum };
    expect(() => sched.step()).toThrow(/OneCycleLR: tried to step 6 times; the specified number of total steps is 4/);
    expect({ sd: sched.stateDict(), lr: opt.paramGroups[0]!.lr, momentum: (opt.paramGroups[0] as { momentum?: number }).momentum }).toEqual(before);
  });

  it('OneCycleLR: bad settings', () => {
    const sgd = makeOptimizer([0.1, 0.2]);
    expect(() => new optim.OneCycleLR(sgd, { maxLr: 1 })).toThrow(/OneCycleLR: give either totalSteps or both epochs and stepsPerEpoch/);
    expect(() => new optim.OneCycleLR(sgd, { maxLr: 1, totalSteps: 0 })).toThrow(/OneCycleLR: totalSteps must be a positive integer, got 0/);
    expect(() => new optim.OneCycleLR(sgd, { maxLr: 1, epochs: 2, stepsPerEpoch: 2.5 })).toThrow(/stepsPerEpoch must be a positive integer, got 2.5/);
    expect(() => new optim.OneCycleLR(sgd, { maxLr: 1, totalSteps: 10, pctStart: 1.2 })).toThrow(/expected pctStart between 0 and 1, got 1.2/);
    expect(() => new optim.OneCycleLR(sgd, { maxLr: 1, totalSteps: 10, annealStrategy: 'cosine' as never })).toThrow(/annealStrategy must be 'cos' or 'linear', got cosine/);
    expect(() => new optim.OneCycleLR(sgd, { maxLr: [1], totalSteps: 10 })).toThrow(/expected 2 values for maxLr \(one per parameter group\), got 1/);
    expect(() => new optim.OneCycleLR(sgd, { maxLr: 1, totalSteps: 10, pctStart: 0.1 })).toThrow(/OneCycleLR: phase 1 has zero length .*pctStart·totalSteps = 1\)/);
    expect(sgd.paramGroups.map((g) => g.initialLr)).toEqual([undefined, undefined]);
    const adagrad = new optim.Adagrad([p()]);
    expect(() => new optim.OneCycleLR(adagrad, { maxLr: 1, totalSteps: 10 })).toThrow(/OneCycleLR: the optimizer has no momentum or betas to cycle; pass cycleMomentum: false/);
  });

  it('OneCycleLR starts a new cycle at maxLr/divFactor even over an earlier scheduler\'s initialLr, as PyTorch', () => {
    const opt = makeOptimizer([0.1]);
    new optim.StepLR(opt, { stepSize: 2 });
    const sched = new optim.OneCycleLR(opt, { maxLr: 2, totalSteps: 10, divFactor: 4 });
    expect(opt.paramGroups[0]!.initialLr).toBe(0.5);
    expect(sched.getLastLr()).toEqual([0.5]);
    expect((opt.paramGroups[0] as { momentum?: number }).momentum).toBe(0.95); // SGD without momentum gets one (cycleMomentum)
  });

  it('base schedulers load state dicts all or nothing', () => {
    const opt = makeOptimizer([0.1]);
    const sched = new optim.LinearLR(opt, { startFactor: 0.5, totalIters: 4 });
    sched.step();
    const before = sched.stateDict();
    expect(() => sched.loadStateDict({ ...before, startFactor: 0.9, totalIters: -3 })).toThrow(/LinearLR.loadStateDict: totalIters must be a positive integer, got -3/);
    expect(sched.stateDict()).toEqual(before);
  });
});
