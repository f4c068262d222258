// Builds tsgrad optimizers and schedulers from the scheduler cases of test/fixtures/optim.json
// (written by make_optim_fixtures.py), for lr-scheduler.test.ts and lr-scheduler-pytorch.test.ts.
import { optim, zeros } from '../../src/index.js';
import { compareArrays, loadFixtures } from '../helpers/fixtures.js';

/** The LRScheduler subclasses the fixtures construct by name. */
export type SchedulerName = 'StepLR' | 'MultiStepLR' | 'CosineAnnealingLR' | 'LambdaLR' | 'LinearLR' | 'ExponentialLR' | 'OneCycleLR';

/** One scheduler as a case gives it: its class name and its options (LambdaLR's functions by name). */
export interface SchedulerSpec {
  scheduler: SchedulerName;
  options: Record<string, unknown>;
}

/** A scheduler case: lrs (one per group) after construction and after each step. */
export interface SchedulerCase {
  name: string;
  kind: 'scheduler' | 'plateau' | 'sequential' | 'chained' | 'optimizer' | 'optimizer+scheduler';
  scheduler: SchedulerName | 'ReduceLROnPlateau' | 'SequentialLR';
  options: Record<string, unknown>;
  groupLrs: number[];
  lrs: number[][];
  /** When set, the optimizer over the two groups (else SGD with no other options). */
  optimizer?: 'SGD' | 'Adam' | 'Adagrad';
  optimizerOptions?: Record<string, unknown>;
  /** Each group's momentum (or Adam's β₁) after construction and after each step. */
  momenta?: number[][];
  /** ReduceLROnPlateau: the metric fed at each step ("NaN" for NaN). */
  metrics?: (number | string)[];
  /** SequentialLR and chained cases: the schedulers, in order. */
  schedulers?: SchedulerSpec[];
  /** SequentialLR: its milestones. */
  milestones?: number[];
}

export const fixtures = loadFixtures<SchedulerCase>('../fixtures/optim.json', import.meta.url);

/** The same functions as LAMBDAS in make_optim_fixtures.py. */
export const LAMBDAS: Record<string, optim.LrLambda> = {
  warmupDecay: (e) => (e < 5 ? (e + 1) / 5 : 0.95 ** (e - 4)),
  halveEvery7: (e) => 0.5 ** Math.floor(e / 7),
  cosine40: (e) => 0.5 * (1 + Math.cos((Math.PI * Math.min(e, 40)) / 40)),
};

export type AnyScheduleOptimizer = optim.SGD | optim.Adam | optim.Adagrad;

/** The fixtures' optimizer: one float64 parameter per group, with the given lrs. */
export function makeOptimizer(lrs: readonly number[], kind: SchedulerCase['optimizer'] = 'SGD', options: Record<string, unknown> = {}): AnyScheduleOptimizer {
  const groups = lrs.map((lr) => ({ params: [zeros([1], { dtype: 'float64', requiresGrad: true })], lr }));
  const all = { lr: lrs[0]!, ...options };
  switch (kind) {
    case 'SGD':
      return new optim.SGD(groups, all);
    case 'Adam':
      return new optim.Adam(groups, all);
    case 'Adagrad':
      return new optim.Adagrad(groups, all);
  }
}

/** The tsgrad scheduler a spec names, on `opt`. */
export function makeScheduler(spec: SchedulerSpec, opt: AnyScheduleOptimizer): optim.LRScheduler {
  const o = spec.options;
  switch (spec.scheduler) {
    case 'StepLR':
      return new optim.StepLR(opt, o as unknown as optim.StepLROptions);
    case 'MultiStepLR':
      return new optim.MultiStepLR(opt, o as unknown as optim.MultiStepLROptions);
    case 'CosineAnnealingLR':
      return new optim.CosineAnnealingLR(opt, o as unknown as optim.CosineAnnealingLROptions);
    case 'LambdaLR': {
      const names = o.lrLambda as string | string[];
      const lrLambda = Array.isArray(names) ? names.map((n) => LAMBDAS[n]!) : LAMBDAS[names]!;
      return new optim.LambdaLR(opt, { ...o, lrLambda });
    }
    case 'LinearLR':
      return new optim.LinearLR(opt, o as optim.LinearLROptions);
    case 'ExponentialLR':
      return new optim.ExponentialLR(opt, o as unknown as optim.ExponentialLROptions);
    case 'OneCycleLR':
      return new optim.OneCycleLR(opt, o as unknown as optim.OneCycleLROptions);
  }
}

/** Each group's momentum, or β₁ for Adam. */
export function momenta(opt: AnyScheduleOptimizer): number[] {
  return opt.paramGroups.map((g) => ('betas' in g ? g.betas[0] : 'momentum' in g ? g.momentum : NaN));
}

const TOL = { rtol: 1e-10, atol: 1e-15 };

/** Throws a readable report unless `actual` matches `expected` at 1e-10 (relative). */
export function expectClose(label: string, actual: readonly number[], expected: readonly number[], tol = TOL): void {
  const report = compareArrays(label, [...actual], [...expected], tol);
  if (report !== null) throw new Error(report);
}

/**
 * Steps `sched` through a case (optimizer step, then scheduler step, as PyTorch's fixture run did)
 * and checks the lrs — and the momenta when the case recorded them — at every epoch.
 */
export function expectTrajectory(c: SchedulerCase, opt: AnyScheduleOptimizer, sched: { step(): void; getLastLr(): number[] }): void {
  c.lrs.forEach((expected, epoch) => {
    if (epoch > 0) {
      opt.step();
      sched.step();
    }
    expectClose(`${c.name} epoch ${epoch}`, sched.getLastLr(), expected);
    if (JSON.stringify(opt.paramGroups.map((g) => g.lr)) !== JSON.stringify(sched.getLastLr())) {
      throw new Error(`${c.name} epoch ${epoch}: getLastLr() ${JSON.stringify(sched.getLastLr())} is not the optimizer's lrs`);
    }
    if (c.momenta !== undefined) expectClose(`${c.name} momentum at epoch ${epoch}`, momenta(opt), c.momenta[epoch]!);
  });
}
