// Every normalization function and layer checks its options object (src/tensor/options.ts): an
// unknown key, PyTorch's snake_case spelling of a real option or a non-object where the options go
// is an error naming the function, not an option silently ignored. And valid options still work.
import { describe, expect, it } from 'vitest';
import { nn, ones, tensor, zeros, type Tensor } from '../../src/index.js';
import {
  batchNorm, batchNormComposite, groupNorm, groupNormComposite, instanceNorm, instanceNormComposite, layerNorm, layerNormComposite,
} from '../../src/norm/index.js';
import { errorOf } from '../helpers/expect-error.js';
import { testOptionsRows, type OptionsRow } from '../helpers/options-table.js';

// [2, 2, 1, 2]: two samples, two channels, two positions each (enough for batch statistics).
const x4 = (): Tensor => tensor([[[[1, 2]], [[3, 5]]], [[[0, 4]], [[2, 2]]]]);


const BATCH_NORM_FN = 'weight, bias, training, momentum, eps, groups';
const AFFINE_FN = 'weight, bias, eps';
const INSTANCE_NORM_FN = 'runningMean, runningVar, weight, bias, useInputStats, momentum, eps';
const BATCH_NORM = 'eps, momentum, affine, trackRunningStats, groups, implementation';
const BATCH_RENORM = 'eps, momentum, affine, groups, implementation, rmax, dmax, warmupSteps, rampSteps';
const KALMAN = 'prev, between, transition, gain, priorCount, noiseSamples, firstPrior, groups, eps, momentum, affine, guardRatio, guardMean, processNoise, noise, implementation';

/** The mean square of y's first channel (about 1 after a batch normalization with a small eps). */
const meanSquareOfChannel0 = (y: Tensor): number => y.narrow(1, 0, 1).pow(2).mean().item();

const cases: OptionsRow[] = [
  ...([batchNorm, batchNormComposite] as const).map((fn): OptionsRow => ({
    name: 'batchNorm', expected: BATCH_NORM_FN, call: (o) => fn(x4(), zeros([2]), ones([2]), o),
    // A large eps shrinks the normalized values: the option is read.
    works: () => expect(meanSquareOfChannel0(fn(x4(), null, null, { training: true, eps: 100 }))).toBeLessThan(0.5 * meanSquareOfChannel0(fn(x4(), null, null, { training: true }))),
  })),
  ...([groupNorm, groupNormComposite] as const).map((fn): OptionsRow => ({
    name: 'groupNorm', expected: AFFINE_FN, call: (o) => fn(x4(), 1, o),
    works: () => expect(fn(x4(), 1, { bias: tensor([10, 10]) }).mean().item()).toBeCloseTo(10, 5),
  })),
  ...([layerNorm, layerNormComposite] as const).map((fn): OptionsRow => ({
    name: 'layerNorm', expected: AFFINE_FN, call: (o) => fn(x4(), [2], o),
    works: () => expect(fn(x4(), [2], { bias: tensor([10, 10]) }).mean().item()).toBeCloseTo(10, 5),
  })),
  ...([instanceNorm, instanceNormComposite] as const).map((fn): OptionsRow => ({
    name: 'instanceNorm', expected: INSTANCE_NORM_FN, call: (o) => fn(x4(), o), snake: ['running_mean', 'runningMean'],
    works: () => {
      const runningMean = zeros([2]);
      fn(x4(), { runningMean, runningVar: ones([2]), momentum: 1 });
      expect([...runningMean.toArray()]).toEqual([1.75, 3]);
    },
  })),
  {
    name: 'BatchNorm1d', expected: BATCH_NORM, call: (o) => new nn.BatchNorm1d(2, o), snake: ['track_running_stats', 'trackRunningStats'],
    works: () => expect(new nn.BatchNorm1d(2, { trackRunningStats: false }).buffers()).toHaveLength(0),
  },
  {
    name: 'BatchNorm2d', expected: BATCH_NORM, call: (o) => new nn.BatchNorm2d(2, o), snake: ['track_running_stats', 'trackRunningStats'],
    works: () => expect(new nn.BatchNorm2d(2, { affine: false }).parameters()).toHaveLength(0),
  },
  {
    name: 'BatchRenorm1d', expected: BATCH_RENORM, call: (o) => new nn.BatchRenorm1d(2, o), snake: ['warmup_steps', 'warmupSteps'],
    works: () => expect(new nn.BatchRenorm1d(2, { warmupSteps: 3 }).clipBounds(2)).toEqual({ rmax: 1, dmax: 0 }),
  },
  {
    name: 'BatchRenorm2d', expected: BATCH_RENORM, call: (o) => new nn.BatchRenorm2d(2, o), snake: ['ramp_steps', 'rampSteps'],
    works: () => expect(new nn.BatchRenorm2d(2, { rmax: 2, rampSteps: 4 }).clipBounds(2).rmax).toBe(1.5),
  },
  {
    name: 'GroupNorm', expected: 'eps, affine, implementation', call: (o) => new nn.GroupNorm(1, 2, o),
    works: () => expect(new nn.GroupNorm(1, 2, { affine: false }).parameters()).toHaveLength(0),
  },
  {
    name: 'LayerNorm', expected: 'eps, elementwiseAffine, implementation', call: (o) => new nn.LayerNorm(2, o), snake: ['elementwise_affine', 'elementwiseAffine'],
    works: () => expect(new nn.LayerNorm(2, { elementwiseAffine: false }).parameters()).toHaveLength(0),
  },
  {
    name: 'InstanceNorm2d', expected: 'eps, momentum, affine, trackRunningStats, implementation', call: (o) => new nn.InstanceNorm2d(2, o),
    snake: ['track_running_stats', 'trackRunningStats'],
    works: () => expect(new nn.InstanceNorm2d(2, { affine: true }).call(x4()).shape).toEqual([2, 2, 1, 2]),
  },
  {
    name: 'BatchKalmanNorm1d', expected: KALMAN, call: (o) => new nn.BatchKalmanNorm1d(2, o), snake: ['prior_count', 'priorCount'],
    works: () => expect(new nn.BatchKalmanNorm1d(2, { priorCount: 4 }).priorCount).toBe(4),
  },
  {
    name: 'BatchKalmanNorm2d', expected: KALMAN, call: (o) => new nn.BatchKalmanNorm2d(2, o), snake: ['guard_mean', 'guardMean'],
    works: () => expect(new nn.BatchKalmanNorm2d(2, { affine: false }).weight).toBeNull(),
  },
];

describe('each normalization checks its options', () => {
  testOptionsRows(cases.map((c) => ({ ...c, typo: 'epss' })));
});

describe('options the layers did not take before are errors now', () => {
  it('BatchRenorm always tracks running statistics: trackRunningStats is rejected, not overridden', () => {
    expect(errorOf(() => new nn.BatchRenorm1d(2, { trackRunningStats: false } as never))).toBe(`BatchRenorm1d: unknown option 'trackRunningStats' (expected ${BATCH_RENORM})`);
  });
});
