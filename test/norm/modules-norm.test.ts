// The normalization modules: gradcheck (float64) with respect to the input and the parameters, for
// every module, fused and composite, on drawn shapes including N = 1 and N = 2; BatchNorm's
// PyTorch behaviours not covered by the fixtures; BatchRenorm's definition (equal to BatchNorm at
// rmax = 1, dmax = 0; r and d clipped at their bounds; no gradient through them; the warm-up).
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tensor, tensor, zeros } from '../../src/index.js';
import type { Module } from '../../src/nn/index.js';
import {
  BatchKalmanNorm1d, BatchKalmanNorm2d, BatchNorm1d, BatchNorm2d, BatchRenorm1d, BatchRenorm2d, batchNormComposite, GroupNorm, InstanceNorm2d,
  LayerNorm, type NormImplementation,
} from '../../src/norm/index.js';
import { forwardBackward, gradcheckModules, maxAbsDiff, randomizeParameters, seededRandn } from './norm-helpers.js';

const SEED = 7_2024;

interface ModuleCase {
  name: string;
  make: (c: number, impl: NormImplementation, n: number) => Module;
  dims: 1 | 2 | 'any';
  /** Whether it needs more than one value per channel per batch. */
  batchStats: boolean;
}

const MODULES: ModuleCase[] = [
  { name: 'BatchNorm1d', dims: 1, batchStats: true, make: (c, implementation) => new BatchNorm1d(c, { implementation }) },
  { name: 'BatchNorm1d groups 2', dims: 1, batchStats: true, make: (c, implementation, n) => new BatchNorm1d(c, { implementation, groups: n % 2 === 0 && n > 2 ? 2 : 1 }) },
  { name: 'BatchNorm2d', dims: 2, batchStats: true, make: (c, implementation) => new BatchNorm2d(c, { implementation }) },
  // rmax = 1, dmax = 0 keeps r and d at their bounds, where they are locally constant, so the
  // analytical gradient (no gradient through r and d) is the true derivative gradcheck measures.
  { name: 'BatchRenorm1d (clipped)', dims: 1, batchStats: true, make: (c, implementation) => new BatchRenorm1d(c, { implementation, rmax: 1, dmax: 0 }) },
  { name: 'BatchRenorm2d (clipped)', dims: 2, batchStats: true, make: (c, implementation) => new BatchRenorm2d(c, { implementation, rmax: 1, dmax: 0 }) },
  { name: 'GroupNorm', dims: 'any', batchStats: false, make: (c, implementation) => new GroupNorm(c % 2 === 0 ? 2 : 1, c, { implementation }) },
  { name: 'LayerNorm', dims: 'any', batchStats: false, make: (c, implementation) => new LayerNorm(c, { implementation }) },
  { name: 'InstanceNorm2d', dims: 2, batchStats: false, make: (c, implementation) => new InstanceNorm2d(c, { implementation, affine: true }) },
  { name: 'BatchKalmanNorm1d', dims: 1, batchStats: true, make: (c, implementation) => new BatchKalmanNorm1d(c, { implementation, momentum: 0 }) },
  { name: 'BatchKalmanNorm2d', dims: 2, batchStats: true, make: (c, implementation) => new BatchKalmanNorm2d(c, { implementation, momentum: 0 }) },
  { name: 'BatchKalmanNorm2d firstPrior none', dims: 2, batchStats: true, make: (c, implementation) => new BatchKalmanNorm2d(c, { implementation, firstPrior: 'none' }) },
];

const shapeCase = fc.record({
  n: fc.constantFrom(1, 2, 3, 4),
  c: fc.integer({ min: 1, max: 4 }),
  hw: fc.constantFrom<number[]>([2, 2], [1, 3], [3, 2]),
  dims: fc.constantFrom<1 | 2>(1, 2),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  fused: fc.boolean(),
});

describe('every normalization module passes gradcheck (float64, input and parameters)', () => {
  MODULES.forEach((spec, i) => {
    it(`${spec.name}: drawn shapes incl. N = 1 and 2, fused and composite (seed ${SEED + i})`, () => {
      const seen = new Set<number>();
      fc.assert(fc.property(shapeCase, (d) => {
        const dims = spec.dims === 'any' ? d.dims : spec.dims;
        const shape = dims === 1 ? [d.n, d.c] : [d.n, d.c, ...d.hw];
        const perChannel = dims === 1 ? d.n : d.n * d.hw[0]! * d.hw[1]!;
        if (spec.batchStats && perChannel <= 1) return;
        if (spec.name.startsWith('InstanceNorm') && d.hw[0]! * d.hw[1]! <= 1) return;
        const impl: NormImplementation = d.fused ? 'fused' : 'composite';
        const m = spec.make(spec.name === 'LayerNorm' ? shape[shape.length - 1]! : d.c, impl, d.n);
        m.to('float64');
        randomizeParameters([m], d.seed);
        seen.add(d.n);
        const x = seededRandn(shape, d.seed + 1, { scale: 1.5, shift: 0.5, requiresGrad: true });
        if (spec.name.startsWith('BatchKalmanNorm')) m.call(x); // the first step sets the first-layer prior
        const r = gradcheckModules((xx) => m.call(xx), x, [m]);
        if (!r.ok) throw new Error(`${spec.name} ${impl} ${JSON.stringify(shape)}\n${r.report}`);
      }), { seed: SEED + i, numRuns: 12 });
      expect([...seen].some((n) => n <= 2), 'some cases with N ≤ 2').toBe(true);
    });
  });
});

describe('BatchNorm modules', () => {
  it('BatchNorm1d on [1, C] in training is PyTorch\'s error; eval mode accepts it', () => {
    const bn = new BatchNorm1d(3);
    expect(() => bn.call(zeros([1, 3]))).toThrow(/BatchNorm1d: Expected more than 1 value per channel when training, got input size \[1, 3\]/);
    expect(bn.getBuffer('num_batches_tracked').item()).toBe(0);
    bn.eval();
    expect(bn.call(zeros([1, 3])).shape).toEqual([1, 3]);
  });

  it('BatchNorm2d on [1, C, H, W] trains (H·W > 1 values per channel)', () => {
    const bn = new BatchNorm2d(2);
    expect(bn.call(seededRandn([1, 2, 2, 2], 3, { dtype: 'float32' })).shape).toEqual([1, 2, 2, 2]);
  });

  it('checks input dims and channels', () => {
    expect(() => new BatchNorm2d(3).call(zeros([2, 3, 4]))).toThrow(/expected 4D input \(got 3D input\)/);
    expect(() => new BatchNorm1d(3).call(zeros([2, 3, 4, 4]))).toThrow(/expected 2D or 3D input \(got 4D input\)/);
    expect(() => new BatchNorm1d(3).call(zeros([2, 4]))).toThrow(/expected 3 channels/);
  });

  it('has PyTorch\'s state-dict keys, and counts training forwards', () => {
    const bn = new BatchNorm2d(4);
    expect([...bn.stateDict().keys()]).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    expect([...new BatchNorm1d(4, { affine: false, trackRunningStats: false }).stateDict().keys()]).toEqual([]);
    bn.call(seededRandn([2, 4, 2, 2], 1, { dtype: 'float32' }));
    bn.call(seededRandn([2, 4, 2, 2], 2, { dtype: 'float32' }));
    expect(bn.getBuffer('num_batches_tracked').item()).toBe(2);
    bn.eval().call(seededRandn([2, 4, 2, 2], 3, { dtype: 'float32' }));
    expect(bn.getBuffer('num_batches_tracked').item()).toBe(2);
    expect([...new BatchRenorm2d(2).stateDict().keys()]).toEqual(['weight', 'bias', 'running_mean', 'running_std', 'num_batches_tracked']);
    expect([...new GroupNorm(2, 4).stateDict().keys()]).toEqual(['weight', 'bias']);
    expect([...new InstanceNorm2d(4, { trackRunningStats: true }).stateDict().keys()]).toEqual(['running_mean', 'running_var', 'num_batches_tracked']);
  });
});

describe('BatchRenorm', () => {
  const bnOf = (brn: BatchRenorm1d | BatchRenorm2d, x: Tensor) => batchNormComposite(x, null, null, { weight: brn.weight, bias: brn.bias, training: true, eps: brn.eps, groups: brn.groups });

  it('equals BatchNorm in training when rmax = 1 and dmax = 0 (output and gradients), whatever the moving statistics', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.constantFrom(1, 2), fc.boolean(), (seed, groups, fused) => {
      const brn = new BatchRenorm2d(3, { rmax: 1, dmax: 0, groups, implementation: fused ? 'fused' : 'composite' }).to('float64');
      randomizeParameters([brn], seed);
      brn.getBuffer('running_mean').array.data.set([5, -3, 0.1]);
      brn.getBuffer('running_std').array.data.set([0.01, 10, 2]);
      const x = seededRandn([4, 3, 2, 2], seed + 1, { scale: 2 });
      const g = seededRandn([4, 3, 2, 2], seed + 2);
      const params = [brn.weight!, brn.bias!];
      const a = forwardBackward((xx) => brn.call(xx), x, params, g);
      const b = forwardBackward((xx) => bnOf(brn, xx), x, params, g);
      expect(maxAbsDiff(a.y, b.y)).toBeLessThan(1e-12);
      a.grads.forEach((ga, i) => expect(maxAbsDiff(ga, b.grads[i]!)).toBeLessThan(1e-11));
    }), { seed: SEED + 100, numRuns: 10 });
  });

  it('clips r = σ_B/σ to [1/rmax, rmax] and d = (μ_B − μ)/σ to [−dmax, dmax] (checked against a direct computation)', () => {
    const brn = new BatchRenorm1d(3, { rmax: 2, dmax: 0.5 }).to('float64');
    // channel 0: σ tiny → r at rmax, d far above → dmax; channel 1: σ huge → r at 1/rmax, d ≈ 0; channel 2: inside the bounds
    brn.getBuffer('running_mean').array.data.set([-100, 0, 0.05]);
    brn.getBuffer('running_std').array.data.set([1e-3, 1e3, 1.1]);
    const x = seededRandn([8, 3], 5);
    const y = brn.call(x);
    const { r, d, rmax, dmax } = brn.lastRenorm!;
    expect([rmax, dmax]).toEqual([2, 0.5]);
    const xv = x.toArray();
    const expectedR: number[] = [];
    const expectedD: number[] = [];
    const mu = [-100, 0, 0.05];
    const sigma = [1e-3, 1e3, 1.1];
    const muB: number[] = [];
    const sigmaB: number[] = [];
    for (let c = 0; c < 3; c++) {
      const vals = Array.from({ length: 8 }, (_, n) => xv[n * 3 + c]!);
      const m = vals.reduce((a, e) => a + e, 0) / 8;
      const s = Math.sqrt(vals.reduce((a, e) => a + (e - m) ** 2, 0) / 8 + 1e-5);
      muB.push(m);
      sigmaB.push(s);
      expectedR.push(Math.min(2, Math.max(0.5, s / sigma[c]!)));
      expectedD.push(Math.min(0.5, Math.max(-0.5, (m - mu[c]!) / sigma[c]!)));
    }
    expect(r[0]).toBe(2);
    expect(d[0]).toBe(0.5);
    expect(r[1]).toBe(0.5);
    expect(r[2]).toBeGreaterThan(0.5);
    expect(r[2]).toBeLessThan(2);
    [...r].forEach((v, i) => expect(v).toBeCloseTo(expectedR[i]!, 12));
    [...d].forEach((v, i) => expect(v).toBeCloseTo(expectedD[i]!, 12));
    // y = γ·((x − μ_B)/σ_B · r + d) + β with γ = 1, β = 0
    const yv = y.toArray();
    for (let n = 0; n < 8; n++) {
      for (let c = 0; c < 3; c++) {
        expect(yv[n * 3 + c]).toBeCloseTo(((xv[n * 3 + c]! - muB[c]!) / sigmaB[c]!) * expectedR[c]! + expectedD[c]!, 10);
      }
    }
    // moving statistics: μ ← μ + 0.1·(μ_B − μ), σ ← σ + 0.1·(σ_B − σ)
    [...brn.getBuffer('running_mean').toArray()].forEach((v, c) => expect(v).toBeCloseTo(mu[c]! + 0.1 * (muB[c]! - mu[c]!), 10));
    [...brn.getBuffer('running_std').toArray()].forEach((v, c) => expect(v).toBeCloseTo(sigma[c]! + 0.1 * (sigmaB[c]! - sigma[c]!), 10));
  });

  it('sends no gradient through r and d: its gradient equals BatchNorm\'s scaled by the constant r, not the true derivative', () => {
    for (const implementation of ['fused', 'composite'] as const) {
      const brn = new BatchRenorm1d(2, { rmax: 3, dmax: 5, implementation }).to('float64');
      brn.getBuffer('running_mean').array.data.set([0.3, -0.2]);
      brn.getBuffer('running_std').array.data.set([1.3, 0.8]);
      randomizeParameters([brn], 3);
      const x = seededRandn([6, 2], 9);
      const g = seededRandn([6, 2], 10);
      const got = forwardBackward((xx) => brn.call(xx), x, [], g).grads[0]!;
      // r and d inside their bounds this step:
      const { r } = brn.lastRenorm!;
      expect(r[0]! > 1 / 3 && r[0]! < 3 && r[1]! > 1 / 3 && r[1]! < 3).toBe(true);
      // Reference: BatchNorm with γ·r as its weight (r a constant): the same gradient.
      const w = new Tensor(brn.weight!.array.copy()).mul(tensor(Array.from(r), { dtype: 'float64' }));
      const want = forwardBackward((xx) => batchNormComposite(xx, null, null, { weight: w, training: true }), x, [], g).grads[0]!;
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-12);
      // …which is not the true derivative when r and d vary with x: gradcheck must notice.
      const momentumFree = new BatchRenorm1d(2, { rmax: 3, dmax: 5, momentum: 0, implementation }).to('float64');
      momentumFree.getBuffer('running_std').array.data.set([1.3, 0.8]);
      const check = gradcheckModules((xx) => momentumFree.call(xx), new Tensor(x.array.copy(), { requiresGrad: true }), []);
      expect(check.ok).toBe(false);
    }
  });

  it('warms up: rmax = 1 and dmax = 0 for warmupSteps, then linear to the maxima over rampSteps', () => {
    const brn = new BatchRenorm1d(2, { rmax: 3, dmax: 5, warmupSteps: 2, rampSteps: 4 });
    expect([0, 1, 2, 3, 4, 6, 100].map((s) => brn.clipBounds(s))).toEqual([
      { rmax: 1, dmax: 0 }, { rmax: 1, dmax: 0 }, { rmax: 1, dmax: 0 }, { rmax: 1.5, dmax: 1.25 }, { rmax: 2, dmax: 2.5 }, { rmax: 3, dmax: 5 }, { rmax: 3, dmax: 5 },
    ]);
    for (let i = 0; i < 3; i++) brn.call(seededRandn([4, 2], i, { dtype: 'float32' }));
    expect(brn.lastRenorm!.rmax).toBe(1); // the third step is step 2
    brn.call(seededRandn([4, 2], 7, { dtype: 'float32' }));
    expect(brn.lastRenorm!.rmax).toBe(1.5);
  });

  it('eval mode is γ·(x − μ)/σ + β with the moving mean and standard deviation', () => {
    for (const implementation of ['fused', 'composite'] as const) {
      const brn = new BatchRenorm2d(2, { implementation }).to('float64');
      randomizeParameters([brn], 4);
      brn.getBuffer('running_mean').array.data.set([1, -2]);
      brn.getBuffer('running_std').array.data.set([2, 0.5]);
      brn.eval();
      const x = seededRandn([2, 2, 2, 2], 1);
      const y = brn.call(x).toArray();
      const xv = x.toArray();
      const w = brn.weight!.toArray();
      const b = brn.bias!.toArray();
      for (let i = 0; i < 16; i++) {
        const c = Math.floor(i / 4) % 2;
        expect(y[i]).toBeCloseTo((w[c]! * (xv[i]! - [1, -2][c]!)) / [2, 0.5][c]! + b[c]!, 12);
      }
    }
  });
});
