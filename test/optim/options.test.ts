// Every optimizer and LR scheduler checks its options object (src/tensor/options.ts): an unknown
// key, PyTorch's snake_case spelling of a real option or a non-object where the options go (such
// as PyTorch's positional lr, `Adam(params, 0.01)`) is an error naming the class, not an option
// silently ignored. And valid options still work.
import { describe, expect, it } from 'vitest';
import { optim, zeros, type Tensor } from '../../src/index.js';
import { errorOf } from '../helpers/expect-error.js';

const p = (): Tensor => zeros([2], { requiresGrad: true });
/** An optimizer with momentum (OneCycleLR cycles it) and lr 1. */
const sgd = (): optim.SGD => new optim.SGD([p()], { lr: 1, momentum: 0.9 });

/** The lrs after `steps` steps of `scheduler`. */
function stepped(scheduler: optim.LRScheduler, steps: number): number[] {
  for (let i = 0; i < steps; i++) scheduler.step();
  return scheduler.getLastLr();
}

interface Case {
  /** The name the error must start with. */
  name: string;
  /** The accepted option names, in the order the error lists them. */
  expected: string;
  /** Constructs with `options` in the options position. */
  make: (options: never) => unknown;
  /** PyTorch's snake_case keyword and tsgrad's camelCase name. */
  snake: [string, string];
  /** A construction with valid options, asserting one thing it sets. */
  valid: () => void;
}

const ADAM = 'lr, betas, eps, weightDecay, amsgrad, maximize';

const cases: Case[] = [
  {
    name: 'SGD', expected: 'lr, momentum, dampening, weightDecay, nesterov, maximize', make: (o) => new optim.SGD([p()], o),
    snake: ['weight_decay', 'weightDecay'], valid: () => expect(new optim.SGD([p()], { lr: 0.1, momentum: 0.9 }).paramGroups[0]!.momentum).toBe(0.9),
  },
  {
    name: 'Adam', expected: ADAM, make: (o) => new optim.Adam([p()], o),
    snake: ['weight_decay', 'weightDecay'], valid: () => expect(new optim.Adam([p()], { lr: 0.01 }).paramGroups[0]!.lr).toBe(0.01),
  },
  {
    name: 'AdamW', expected: ADAM, make: (o) => new optim.AdamW([p()], o),
    snake: ['weight_decay', 'weightDecay'], valid: () => expect(new optim.AdamW([p()], { betas: [0.5, 0.9] }).paramGroups[0]!.betas).toEqual([0.5, 0.9]),
  },
  {
    name: 'RMSprop', expected: 'lr, alpha, eps, weightDecay, momentum, centered, maximize', make: (o) => new optim.RMSprop([p()], o),
    snake: ['weight_decay', 'weightDecay'], valid: () => expect(new optim.RMSprop([p()], { centered: true }).paramGroups[0]!.centered).toBe(true),
  },
  {
    name: 'Adagrad', expected: 'lr, lrDecay, weightDecay, initialAccumulatorValue, eps, maximize', make: (o) => new optim.Adagrad([p()], o),
    snake: ['initial_accumulator_value', 'initialAccumulatorValue'],
    valid: () => expect(new optim.Adagrad([p()], { lrDecay: 0.5 }).paramGroups[0]!.lrDecay).toBe(0.5),
  },
  {
    name: 'StepLR', expected: 'stepSize, gamma, lastEpoch', make: (o) => new optim.StepLR(sgd(), o),
    snake: ['step_size', 'stepSize'], valid: () => expect(stepped(new optim.StepLR(sgd(), { stepSize: 1, gamma: 0.5 }), 1)).toEqual([0.5]),
  },
  {
    name: 'MultiStepLR', expected: 'milestones, gamma, lastEpoch', make: (o) => new optim.MultiStepLR(sgd(), o),
    snake: ['last_epoch', 'lastEpoch'], valid: () => expect(stepped(new optim.MultiStepLR(sgd(), { milestones: [1], gamma: 0.5 }), 1)).toEqual([0.5]),
  },
  {
    name: 'CosineAnnealingLR', expected: 'tMax, etaMin, lastEpoch', make: (o) => new optim.CosineAnnealingLR(sgd(), o),
    snake: ['eta_min', 'etaMin'], valid: () => expect(stepped(new optim.CosineAnnealingLR(sgd(), { tMax: 2, etaMin: 0.5 }), 2)[0]).toBeCloseTo(0.5, 12),
  },
  {
    name: 'LambdaLR', expected: 'lrLambda, lastEpoch', make: (o) => new optim.LambdaLR(sgd(), o),
    snake: ['lr_lambda', 'lrLambda'], valid: () => expect(new optim.LambdaLR(sgd(), { lrLambda: () => 0.25 }).getLastLr()).toEqual([0.25]),
  },
  {
    name: 'LinearLR', expected: 'startFactor, endFactor, totalIters, lastEpoch', make: (o) => new optim.LinearLR(sgd(), o),
    snake: ['start_factor', 'startFactor'], valid: () => expect(new optim.LinearLR(sgd(), { startFactor: 0.5 }).getLastLr()).toEqual([0.5]),
  },
  {
    name: 'ExponentialLR', expected: 'gamma, lastEpoch', make: (o) => new optim.ExponentialLR(sgd(), o),
    snake: ['last_epoch', 'lastEpoch'], valid: () => expect(stepped(new optim.ExponentialLR(sgd(), { gamma: 0.5 }), 2)).toEqual([0.25]),
  },
  {
    name: 'OneCycleLR',
    expected: 'maxLr, totalSteps, epochs, stepsPerEpoch, pctStart, annealStrategy, cycleMomentum, baseMomentum, maxMomentum, divFactor, finalDivFactor, threePhase, lastEpoch',
    make: (o) => new optim.OneCycleLR(sgd(), o),
    snake: ['max_lr', 'maxLr'], valid: () => expect(new optim.OneCycleLR(sgd(), { maxLr: 1, totalSteps: 10, divFactor: 4 }).getLastLr()).toEqual([0.25]),
  },
  {
    name: 'ReduceLROnPlateau', expected: 'mode, factor, patience, threshold, thresholdMode, cooldown, minLr, eps', make: (o) => new optim.ReduceLROnPlateau(sgd(), o),
    snake: ['threshold_mode', 'thresholdMode'], valid: () => expect(new optim.ReduceLROnPlateau(sgd(), { mode: 'max' }).mode).toBe('max'),
  },
  {
    name: 'SequentialLR', expected: 'schedulers, milestones, lastEpoch', make: (o) => new optim.SequentialLR(sgd(), o),
    snake: ['last_epoch', 'lastEpoch'],
    valid: () => {
      const opt = sgd();
      const schedulers = [new optim.LinearLR(opt, { startFactor: 0.5 }), new optim.ExponentialLR(opt, { gamma: 0.9 })];
      expect(new optim.SequentialLR(opt, { schedulers, milestones: [2] }).getLastLr()).toEqual([0.5]);
    },
  },
];

describe.each(cases.map((c) => [c.name, c] as const))('%s checks its options', (_, c) => {
  it('an unknown key names the class, the key and the accepted names', () => {
    expect(errorOf(() => c.make({ lrr: 0.1 } as never))).toBe(`${c.name}: unknown option 'lrr' (expected ${c.expected})`);
  });

  it("PyTorch's snake_case spelling gets the camelCase name", () => {
    const [snake, camel] = c.snake;
    expect(errorOf(() => c.make({ [snake]: 1 } as never))).toBe(`${c.name}: unknown option '${snake}' — did you mean '${camel}'? (expected ${c.expected})`);
  });

  it('a string, an array or a number where the options go is an error', () => {
    const prefix = `${c.name}: options must be an object with keys among ${c.expected}, got`;
    expect(errorOf(() => c.make('max' as never))).toBe(`${prefix} string "max"`);
    expect(errorOf(() => c.make([0.1] as never))).toBe(`${prefix} an array [0.1]`);
    // PyTorch's positional first option: Adam(params, 0.01), StepLR(opt, 30), ReduceLROnPlateau(opt, 'max').
    expect(errorOf(() => c.make(0.01 as never))).toBe(`${prefix} number 0.01`);
  });

  it('valid options still work', () => {
    c.valid();
  });
});

describe('a scheduler whose options hold a required key: leaving them out names the class', () => {
  // Was a TypeError from reading a field of undefined (StepLR: "Cannot read properties of undefined").
  const required = ['StepLR', 'MultiStepLR', 'CosineAnnealingLR', 'LambdaLR', 'ExponentialLR', 'OneCycleLR', 'SequentialLR'];
  for (const c of cases.filter((x) => required.includes(x.name))) {
    it(c.name, () => {
      expect(errorOf(() => c.make(undefined as never))).toBe(`${c.name}: expected an options object with keys among ${c.expected}, got none`);
    });
  }

  it('every one of them is in the table', () => {
    expect(cases.filter((x) => required.includes(x.name)).map((x) => x.name).sort()).toEqual([...required].sort());
  });
});

describe('parameter groups are checked too', () => {
  it("a group's snake_case key names the optimizer and the group", () => {
    expect(errorOf(() => new optim.Adam([{ params: [p()] }, { params: [p()], weight_decay: 0.1 } as never]))).toBe(
      `Adam: parameter group 1: unknown option 'weight_decay' — did you mean 'weightDecay'? (expected ${ADAM}, params, initialLr)`,
    );
  });

  it('a group with valid keys still overrides the defaults', () => {
    const opt = new optim.SGD([p()], { lr: 0.1 });
    opt.addParamGroup({ params: [p()], lr: 0.01 });
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.01]);
  });
});
