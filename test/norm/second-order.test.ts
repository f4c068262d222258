// Second derivatives through the normalizations. The fused norm ops take their composite route
// when the backward is recorded (createGraph): gradgradcheck passes through both implementations,
// and the recorded route's first derivatives equal the fused kernels' (tested here too).
import { describe, expect, it } from 'vitest';
import { autograd, gradgradcheck, type Tensor } from '../../src/index.js';
import { BatchKalmanNorm2d, batchNorm, batchNormComposite, groupNorm, groupNormComposite, instanceNorm, instanceNormComposite, layerNorm, layerNormComposite } from '../../src/norm/index.js';
import { Conv2d, ReLU } from '../../src/nn/index.js';
import { fixedNoise, gradcheckModules, maxAbsDiff, randomizeParameters, seededRandn } from './norm-helpers.js';

type NormFn = (x: Tensor, w: Tensor, b: Tensor) => Tensor;

const NORMS: [string, NormFn, NormFn, number[]][] = [
  ['batchNorm 2-d', (x, w, b) => batchNorm(x, null, null, { weight: w, bias: b, training: true }), (x, w, b) => batchNormComposite(x, null, null, { weight: w, bias: b, training: true }), [4, 3]],
  ['batchNorm 4-d', (x, w, b) => batchNorm(x, null, null, { weight: w, bias: b, training: true }), (x, w, b) => batchNormComposite(x, null, null, { weight: w, bias: b, training: true }), [3, 2, 2, 2]],
  ['groupNorm', (x, w, b) => groupNorm(x, 2, { weight: w, bias: b }), (x, w, b) => groupNormComposite(x, 2, { weight: w, bias: b }), [2, 4, 2, 1]],
  ['layerNorm', (x, w, b) => layerNorm(x, [3], { weight: w, bias: b }), (x, w, b) => layerNormComposite(x, [3], { weight: w, bias: b }), [4, 3]],
  ['instanceNorm', (x, w, b) => instanceNorm(x, { weight: w, bias: b }), (x, w, b) => instanceNormComposite(x, { weight: w, bias: b }), [2, 3, 2, 2]],
];

function affineShape(name: string, shape: number[]): number[] {
  return name === 'layerNorm' ? [shape[shape.length - 1]!] : [shape[1]!];
}

describe('second derivatives of the normalizations in training mode', () => {
  NORMS.forEach(([name, fused, composite, shape], i) => {
    it(`${name}: gradgradcheck passes, fused and composite`, () => {
      for (const [label, fn] of [['fused', fused], ['composite', composite]] as const) {
        const x = seededRandn(shape, 10 + i, { requiresGrad: true, dtype: 'float64' });
        const w = seededRandn(affineShape(name, shape), 20 + i, { shift: 1, requiresGrad: true, dtype: 'float64' });
        const b = seededRandn(affineShape(name, shape), 30 + i, { requiresGrad: true, dtype: 'float64' });
        const r = gradgradcheck((xx, ww, bb) => fn(xx!, ww!, bb!).tanh(), [x, w, b], { atol: 1e-6, rtol: 1e-4 });
        expect(r.ok, `${label}\n${r.report}`).toBe(true);
      }
    });

    it(`${name}: the recorded backward (composite route) gives the fused kernels' first derivatives`, () => {
      const x = seededRandn(shape, 40 + i, { requiresGrad: true, dtype: 'float64' });
      const w = seededRandn(affineShape(name, shape), 50 + i, { shift: 1, requiresGrad: true, dtype: 'float64' });
      const b = seededRandn(affineShape(name, shape), 60 + i, { requiresGrad: true, dtype: 'float64' });
      const loss = (): Tensor => fused(x, w, b).tanh().sum();
      const plain = autograd.grad(loss(), [x, w, b]);
      const recorded = autograd.grad(loss(), [x, w, b], { createGraph: true });
      plain.forEach((g, k) => expect(maxAbsDiff(g!, recorded[k]!), `gradient ${k}`).toBeLessThan(1e-12));
      expect(recorded[0]!.requiresGrad).toBe(true);
    });
  });
});

describe('BatchKalmanNorm: gradgradcheck through a chain of two layers (sampled transition with fixed noise, and analytic)', () => {
  for (const [implementation, transition] of [['fused', 'sampled'], ['composite', 'sampled'], ['fused', 'analytic']] as const) {
    it(`${implementation}, ${transition}: the prediction path included`, () => {
      const common = { groups: 2, noise: fixedNoise(7), noiseSamples: 8, implementation, guardRatio: Infinity, momentum: 0 };
      const l1 = new BatchKalmanNorm2d(2, common);
      const conv = new Conv2d(2, 3, 3, { padding: 1 });
      const l2 = new BatchKalmanNorm2d(3, { ...common, prev: l1, between: [new ReLU(), conv], transition, gain: 'count' });
      const modules = [l1, conv, l2];
      for (const m of modules) m.to('float64');
      randomizeParameters(modules, 8);
      const run = (x: Tensor): Tensor => l2.call(conv.call(l1.call(x)).relu()).tanh();
      const x = seededRandn([4, 2, 3, 3], 9, { scale: 1.5, shift: 0.3, requiresGrad: true, dtype: 'float64' });
      run(x); // step 0 sets the first layer's prior
      const r = gradcheckModules(run, x, modules, { order: 2 });
      expect(r.ok, r.report).toBe(true);
      expect(r.report).toMatch(/^gradgradcheck passed/);
      expect(l2.lastStep!.usedPrediction).toBe(true);
    });
  }
});
