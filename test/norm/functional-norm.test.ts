// The functional normalizations: the fused kernels equal their composites (forward and every
// gradient), both pass gradcheck in float64 on drawn shapes (including N = 1 and N = 2), the
// running statistics follow PyTorch's rule (checked against a direct computation), `groups: S`
// equals S separate batch norms, and bad input gives PyTorch's errors.
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { F, gradcheck, ones, tensor, type Tensor, zeros } from '../../src/index.js';
import {
  batchNorm, batchNormComposite, groupNorm, groupNormComposite, instanceNorm, instanceNormComposite, layerNorm, layerNormComposite,
} from '../../src/norm/index.js';
import { forwardBackward, maxAbsDiff, seededRandn } from './norm-helpers.js';

const SEED = 4_2024;
const TOL = { atol: 1e-7, rtol: 1e-5 };

/** A drawn case: input shape [N, C, …spatial], a divisor of N for groups, a divisor of C, a seed. */
const batchCase = fc.record({
  n: fc.integer({ min: 1, max: 4 }),
  c: fc.integer({ min: 1, max: 4 }),
  spatial: fc.constantFrom<number[]>([], [3], [2, 2], [1, 3]),
  groupsPick: fc.integer({ min: 0, max: 3 }),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  scale: fc.constantFrom(0.5, 1, 3),
}).map((d) => {
  const divisors = [1, 2, 3, 4].filter((g) => d.n % g === 0);
  const groups = divisors[d.groupsPick % divisors.length]!;
  return { ...d, shape: [d.n, d.c, ...d.spatial], groups };
}).filter((d) => (d.n / d.groups) * d.spatial.reduce((a, b) => a * b, 1) > 1);

type Fn = (x: Tensor, w: Tensor, b: Tensor) => Tensor;

/** Forward and all gradients of two implementations agree to 1e-12 on the case's random G. */
function expectSame(fused: Fn, composite: Fn, x: Tensor, w: Tensor, b: Tensor, seed: number): void {
  const yShape = fused(x, w, b).shape;
  const g = seededRandn(yShape, seed + 1);
  const run = (fn: Fn) => forwardBackward((xx) => fn(xx, w, b), x, [w, b], g);
  const a = run(fused);
  const c = run(composite);
  expect(maxAbsDiff(a.y, c.y)).toBeLessThan(1e-12);
  a.grads.forEach((ga, i) => expect(maxAbsDiff(ga, c.grads[i]!), `gradient ${i}`).toBeLessThan(1e-11));
}

describe('batchNorm (functional)', () => {
  it('fused equals composite in training (with groups) and eval, forward and gradients', () => {
    fc.assert(fc.property(batchCase, (d) => {
      const x = seededRandn(d.shape, d.seed, { scale: d.scale, shift: 1 });
      const w = seededRandn([d.c], d.seed + 2, { shift: 1, requiresGrad: true });
      const b = seededRandn([d.c], d.seed + 3, { requiresGrad: true });
      expectSame(
        (xx, ww, bb) => batchNorm(xx, null, null, { weight: ww, bias: bb, training: true, groups: d.groups }),
        (xx, ww, bb) => batchNormComposite(xx, null, null, { weight: ww, bias: bb, training: true, groups: d.groups }),
        x, w, b, d.seed,
      );
      const rm = seededRandn([d.c], d.seed + 4);
      const rv = seededRandn([d.c], d.seed + 5).abs().add(0.5);
      expectSame(
        (xx, ww, bb) => batchNorm(xx, rm, rv, { weight: ww, bias: bb }),
        (xx, ww, bb) => batchNormComposite(xx, rm, rv, { weight: ww, bias: bb }),
        x, w, b, d.seed,
      );
    }), { seed: SEED, numRuns: 40 });
  });

  it('passes gradcheck (float64) in training, fused and composite, on drawn shapes incl. N = 1 and 2', () => {
    fc.assert(fc.property(batchCase, fc.boolean(), (d, fused) => {
      const fn = fused ? batchNorm : batchNormComposite;
      const x = seededRandn(d.shape, d.seed, { scale: d.scale, requiresGrad: true });
      const w = seededRandn([d.c], d.seed + 2, { shift: 1, requiresGrad: true });
      const b = seededRandn([d.c], d.seed + 3, { requiresGrad: true });
      const r = gradcheck((xx, ww, bb) => fn(xx, null, null, { weight: ww, bias: bb, training: true, groups: d.groups }), [x, w, b], TOL);
      if (!r.ok) throw new Error(`${fused ? 'fused' : 'composite'} ${JSON.stringify(d)}\n${r.report}`);
    }), { seed: SEED + 1, numRuns: 30 });
  });

  it('passes gradcheck in eval mode (running statistics are constants)', () => {
    for (const fn of [batchNorm, batchNormComposite]) {
      const x = seededRandn([2, 3, 2], 7, { requiresGrad: true });
      const w = seededRandn([3], 8, { shift: 1, requiresGrad: true });
      const b = seededRandn([3], 9, { requiresGrad: true });
      const rm = seededRandn([3], 10);
      const rv = ones([3], { dtype: 'float64' }).mul(2);
      const r = gradcheck((xx, ww, bb) => fn(xx, rm, rv, { weight: ww, bias: bb }), [x, w, b], TOL);
      expect(r.ok, r.report).toBe(true);
    }
  });

  it('with groups: S equals S separate batch norms on the contiguous chunks (output and gradients)', () => {
    fc.assert(fc.property(batchCase.filter((d) => d.groups > 1), (d) => {
      const x = seededRandn(d.shape, d.seed, { scale: d.scale });
      const w = seededRandn([d.c], d.seed + 2, { shift: 1, requiresGrad: true });
      const b = seededRandn([d.c], d.seed + 3, { requiresGrad: true });
      const g = seededRandn(d.shape, d.seed + 4);
      const grouped = forwardBackward((xx) => batchNorm(xx, null, null, { weight: w, bias: b, training: true, groups: d.groups }), x, [w, b], g);
      const size = d.n / d.groups;
      const separate = forwardBackward((xx) => {
        const parts: Tensor[] = [];
        for (let s = 0; s < d.groups; s++) parts.push(batchNormComposite(xx.narrow(0, s * size, size), null, null, { weight: w, bias: b, training: true }));
        return F.cat(parts, 0);
      }, x, [w, b], g);
      expect(maxAbsDiff(grouped.y, separate.y)).toBeLessThan(1e-12);
      grouped.grads.forEach((ga, i) => expect(maxAbsDiff(ga, separate.grads[i]!)).toBeLessThan(1e-11));
    }), { seed: SEED + 2, numRuns: 20 });
  });

  it('updates running statistics in place: (1 − m)·old + m·batch, unbiased variance, mean over chunks', () => {
    const x = seededRandn([4, 2, 3], 11, { scale: 2, shift: 1 });
    const rm = tensor([0.5, -1], { dtype: 'float64' });
    const rv = tensor([2, 0.5], { dtype: 'float64' });
    batchNorm(x, rm, rv, { training: true, momentum: 0.25, groups: 2 });
    // Direct computation: chunk s holds samples 2s, 2s+1; each (chunk, channel) has 6 values.
    const v = x.toArray();
    const expectedMean: number[] = [];
    const expectedVar: number[] = [];
    for (let c = 0; c < 2; c++) {
      let meanSum = 0;
      let varSum = 0;
      for (let s = 0; s < 2; s++) {
        const vals: number[] = [];
        for (let n = 2 * s; n < 2 * s + 2; n++) for (let l = 0; l < 3; l++) vals.push(v[n * 6 + c * 3 + l]!);
        const mu = vals.reduce((a, e) => a + e, 0) / vals.length;
        meanSum += mu;
        varSum += vals.reduce((a, e) => a + (e - mu) ** 2, 0) / (vals.length - 1);
      }
      expectedMean.push(0.75 * [0.5, -1][c]! + 0.25 * (meanSum / 2));
      expectedVar.push(0.75 * [2, 0.5][c]! + 0.25 * (varSum / 2));
    }
    [...rm.toArray()].forEach((m, i) => expect(m).toBeCloseTo(expectedMean[i]!, 12));
    [...rv.toArray()].forEach((m, i) => expect(m).toBeCloseTo(expectedVar[i]!, 12));
  });

  it('gives PyTorch\'s errors', () => {
    expect(() => batchNorm(zeros([1, 3]), null, null, { training: true })).toThrow(/Expected more than 1 value per channel when training, got input size \[1, 3\]/);
    expect(() => batchNorm(zeros([4, 3]), null, null, { training: true, groups: 4 })).toThrow(/Expected more than 1 value per channel when training/);
    expect(() => batchNorm(zeros([6, 3]), null, null, { training: true, groups: 4 })).toThrow(/cannot be split into groups: 4/);
    expect(() => batchNorm(zeros([4, 3]), null, null, { training: false })).toThrow(/running_mean and running_var must be given/);
    expect(() => batchNorm(zeros([4]), null, null, { training: true })).toThrow(/at least 2 dims/);
    expect(() => batchNorm(zeros([4, 3]), zeros([2]), ones([2]), { training: false })).toThrow(/one value per channel/);
  });
});

/** A drawn case for the per-sample norms: [N, C, …spatial] with G | C. */
const sampleCase = fc.record({
  n: fc.integer({ min: 1, max: 3 }),
  gPick: fc.integer({ min: 0, max: 3 }),
  cpg: fc.integer({ min: 1, max: 3 }),
  spatial: fc.constantFrom<number[]>([], [2], [2, 2], [3, 1]),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
}).map((d) => {
  const groups = [1, 2, 3][d.gPick % 3]!;
  return { ...d, groups, c: groups * d.cpg, shape: [d.n, groups * d.cpg, ...d.spatial] };
});

describe('groupNorm, layerNorm, instanceNorm (functional)', () => {
  it('fused equals composite, forward and gradients', () => {
    fc.assert(fc.property(sampleCase, (d) => {
      const x = seededRandn(d.shape, d.seed, { scale: 2 });
      const w = seededRandn([d.c], d.seed + 2, { shift: 1, requiresGrad: true });
      const b = seededRandn([d.c], d.seed + 3, { requiresGrad: true });
      if (d.c * d.spatial.reduce((a, e) => a * e, 1) / d.groups > 1) {
        expectSame((xx, ww, bb) => groupNorm(xx, d.groups, { weight: ww, bias: bb }), (xx, ww, bb) => groupNormComposite(xx, d.groups, { weight: ww, bias: bb }), x, w, b, d.seed);
      }
      const last = d.shape.slice(1);
      const lw = seededRandn(last, d.seed + 5, { shift: 1, requiresGrad: true });
      const lb = seededRandn(last, d.seed + 6, { requiresGrad: true });
      expectSame((xx, ww, bb) => layerNorm(xx, last, { weight: ww, bias: bb }), (xx, ww, bb) => layerNormComposite(xx, last, { weight: ww, bias: bb }), x, lw, lb, d.seed);
      if (d.spatial.reduce((a, e) => a * e, 1) > 1) {
        expectSame((xx, ww, bb) => instanceNorm(xx, { weight: ww, bias: bb }), (xx, ww, bb) => instanceNormComposite(xx, { weight: ww, bias: bb }), x, w, b, d.seed);
      }
    }), { seed: SEED + 3, numRuns: 40 });
  });

  it('pass gradcheck (float64), fused and composite, on drawn shapes incl. N = 1', () => {
    fc.assert(fc.property(sampleCase, fc.boolean(), (d, fused) => {
      const positions = d.spatial.reduce((a, e) => a * e, 1);
      const x = seededRandn(d.shape, d.seed, { requiresGrad: true });
      const w = seededRandn([d.c], d.seed + 2, { shift: 1, requiresGrad: true });
      const b = seededRandn([d.c], d.seed + 3, { requiresGrad: true });
      const checks: [string, () => ReturnType<typeof gradcheck>][] = [];
      if ((d.c / d.groups) * positions > 1) {
        const gn = fused ? groupNorm : groupNormComposite;
        checks.push(['groupNorm', () => gradcheck((xx, ww, bb) => gn(xx, d.groups, { weight: ww, bias: bb }), [x, w, b], TOL)]);
      }
      const ln = fused ? layerNorm : layerNormComposite;
      const lastDim = [d.shape[d.shape.length - 1]!];
      const lw = seededRandn(lastDim, d.seed + 5, { shift: 1, requiresGrad: true });
      const lb = seededRandn(lastDim, d.seed + 6, { requiresGrad: true });
      if (lastDim[0]! > 1) checks.push(['layerNorm', () => gradcheck((xx, ww, bb) => ln(xx, lastDim, { weight: ww, bias: bb }), [x, lw, lb], TOL)]);
      if (positions > 1) {
        const inorm = fused ? instanceNorm : instanceNormComposite;
        checks.push(['instanceNorm', () => gradcheck((xx, ww, bb) => inorm(xx, { weight: ww, bias: bb }), [x, w, b], TOL)]);
      }
      for (const [name, check] of checks) {
        const r = check();
        if (!r.ok) throw new Error(`${name} ${fused ? 'fused' : 'composite'} ${JSON.stringify(d)}\n${r.report}`);
      }
    }), { seed: SEED + 4, numRuns: 25 });
  });

  it('normalize without affine to zero mean and unit (biased) variance per group', () => {
    const x = seededRandn([2, 6, 2, 2], 21, { scale: 3, shift: 2 });
    const y = groupNorm(x, 3, { eps: 0 }).toArray();
    for (let n = 0; n < 2; n++) {
      for (let g = 0; g < 3; g++) {
        const vals = Array.from(y.subarray(n * 24 + g * 8, n * 24 + g * 8 + 8));
        const mean = vals.reduce((a, e) => a + e, 0) / 8;
        expect(mean).toBeCloseTo(0, 12);
        expect(vals.reduce((a, e) => a + (e - mean) ** 2, 0) / 8).toBeCloseTo(1, 10);
      }
    }
  });

  it('give clear errors', () => {
    expect(() => groupNorm(zeros([2, 5, 3]), 2)).toThrow(/5 channels .* cannot be divided into 2 groups/);
    expect(() => layerNorm(zeros([2, 3]), [4])).toThrow(/expected input with shape \[\*, 4\]/);
    expect(() => instanceNorm(zeros([2, 3]))).toThrow(/Expected more than 1 spatial element when training/);
    expect(() => instanceNorm(zeros([2, 3, 2]), { useInputStats: false })).toThrow(/Expected running_mean and running_var/);
  });
});
