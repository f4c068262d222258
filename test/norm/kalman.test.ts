// Batch Kalman Normalization: everything under "What the tests must show" in BKN.md, plus the
// wiring, the first-layer prior, the guard, the residual rule and the errors for a chain run out
// of order. Noise is injected (fixedNoise) wherever a test depends on it.
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { manualSeed, tensor, Tensor, zeros } from '../../src/index.js';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, type Module } from '../../src/nn/index.js';
import {
  BatchKalmanNorm1d, BatchKalmanNorm2d, batchNorm, batchNormComposite, guardRatio, kalmanUpdate, KalmanSum, momentsComposite,
  type BatchKalmanNormOptions, type KalmanGain, type KalmanTransition, type NormImplementation,
} from '../../src/norm/index.js';
import { fixedNoise, forwardBackward, gradcheckModules, maxAbsDiff, parametersOf, randomizeParameters, seededRandn } from './norm-helpers.js';

/** A fixed [C_{k−1}, C_k] mixing for the custom transition (gradients flow through m and v). */
function customTransition(cin: number, cout: number): KalmanTransition {
  const mix = seededRandn([cin, cout], 99);
  return (mean, variance) => ({ mean: mean.matmul(mix), var: variance.matmul(mix.abs()).add(0.1) });
}

interface Chain {
  layers: BatchKalmanNorm2d[];
  convs: Conv2d[];
  run: (x: Tensor) => Tensor;
  modules: Module[];
}

/** BKN(2) → ReLU → Conv(2→3) → BKN(3) → ReLU → Conv(3→2, 1×1) → BKN(2), float64, groups 2. */
function makeChain(transition: 'sampled' | 'sampled-prenorm' | 'linear' | 'analytic' | 'custom', gain: KalmanGain, implementation: NormImplementation, seed: number, extra: Partial<BatchKalmanNormOptions> = {}): Chain {
  const noise = fixedNoise(seed);
  const common = { groups: 2, noise, noiseSamples: 8, implementation, guardRatio: Infinity, ...extra };
  const t = (cin: number, cout: number): KalmanTransition => (transition === 'custom' ? customTransition(cin, cout) : transition);
  manualSeed(seed);
  const l1 = new BatchKalmanNorm2d(2, { ...common, momentum: extra.momentum ?? 0, gain: gain === 'learned' ? 'count' : gain });
  const c1 = new Conv2d(2, 3, 3, { padding: 1 });
  const l2 = new BatchKalmanNorm2d(3, { ...common, prev: l1, between: [new ReLU(), c1], transition: t(2, 3), gain, processNoise: transition === 'linear' ? 'learned' : 0 });
  const c2 = new Conv2d(3, 2, 1);
  const l3 = new BatchKalmanNorm2d(2, { ...common, prev: l2, between: [new ReLU(), c2], transition: t(3, 2), gain });
  const modules: Module[] = [l1, c1, l2, c2, l3];
  for (const m of modules) m.to('float64');
  randomizeParameters(modules, seed);
  const run = (x: Tensor): Tensor => l3.call(c2.call(l2.call(c1.call(l1.call(x)).relu()).relu()));
  return { layers: [l1, l2, l3], convs: [c1, c2], run, modules };
}

const TRANSITIONS = ['sampled', 'sampled-prenorm', 'linear', 'analytic', 'custom'] as const;
const GAINS: KalmanGain[] = ['count', 0.3, 'learned'];

describe('BKN chain: gradcheck and composite = fused (BKN.md "What the tests must show")', () => {
  for (const transition of TRANSITIONS) {
    for (const gain of GAINS) {
      it(`${transition} transition, gain ${gain}: gradcheck (float64) through 3 layers with convs between, fused and composite`, () => {
        for (const impl of ['fused', 'composite'] as const) {
          const chain = makeChain(transition, gain, impl, 11);
          const x = seededRandn([4, 2, 3, 3], 12, { scale: 1.5, shift: 0.3, requiresGrad: true });
          chain.run(x); // step 0: sets the first layer's prior
          const r = gradcheckModules(chain.run, x, chain.modules);
          expect(r.ok, `${impl}\n${r.report}`).toBe(true);
          expect(chain.layers.slice(1).every((l) => l.lastStep!.usedPrediction)).toBe(true);
          const names = chain.modules.flatMap((m) => m.ownParameters().map(([n]) => n));
          if (gain === 'learned') expect(names.filter((n) => n === 'theta')).toHaveLength(2);
          if (transition === 'linear') expect(names.filter((n) => n === 'A' || n === 'rho')).toEqual(['A', 'rho', 'A']);
        }
      });

      it(`${transition} transition, gain ${gain}: the composite equals the fused kernels (output, every gradient, running statistics)`, () => {
        const a = makeChain(transition, gain, 'fused', 21);
        const b = makeChain(transition, gain, 'composite', 21);
        const x = seededRandn([4, 2, 3, 3], 22, { scale: 2 });
        const g = seededRandn([4, 2, 3, 3], 23);
        for (let step = 0; step < 2; step++) {
          const ra = forwardBackward(a.run, x, parametersOf(a.modules), g);
          const rb = forwardBackward(b.run, x, parametersOf(b.modules), g);
          expect(maxAbsDiff(ra.y, rb.y)).toBeLessThan(1e-12);
          ra.grads.forEach((ga, i) => expect(maxAbsDiff(ga, rb.grads[i]!), `gradient ${i}`).toBeLessThan(1e-11));
        }
        a.layers.forEach((l, i) => {
          for (const name of ['running_mean', 'running_var']) {
            expect(maxAbsDiff(l.getBuffer(name), b.layers[i]!.getBuffer(name))).toBeLessThan(1e-12);
          }
        });
      });
    }
  }
});

describe('BKN against BatchNorm', () => {
  it('with q = 1 its training output and gradients equal BatchNorm\'s; its running_var keeps the biased estimate', () => {
    for (const impl of ['fused', 'composite'] as const) {
      const chain = makeChain('sampled', 1, impl, 31, { guardRatio: 100, momentum: 0.1 });
      const x = seededRandn([4, 2, 3, 3], 32, { scale: 2, shift: 1 });
      const g = seededRandn([4, 2, 3, 3], 33);
      const params = parametersOf(chain.modules);
      const got = forwardBackward(chain.run, x, params, g);
      expect(chain.layers.slice(1).every((l) => l.lastStep!.usedPrediction && l.lastStep!.q === 1)).toBe(true);
      // The same network with BatchNorm (composite) in place of each BKN layer, same γ and β.
      const [l1, l2, l3] = chain.layers as [BatchKalmanNorm2d, BatchKalmanNorm2d, BatchKalmanNorm2d];
      const [c1, c2] = chain.convs as [Conv2d, Conv2d];
      const bn = (l: BatchKalmanNorm2d, t: Tensor): Tensor => batchNormComposite(t, null, null, { weight: l.weight, bias: l.bias, training: true, groups: 2 });
      const want = forwardBackward((t) => bn(l3, c2.call(bn(l2, c1.call(bn(l1, t)).relu()).relu())), x, params, g);
      expect(maxAbsDiff(got.y, want.y)).toBeLessThan(1e-12);
      got.grads.forEach((ga, i) => expect(maxAbsDiff(ga, want.grads[i]!), `gradient ${i}`).toBeLessThan(1e-11));
      // running_var: 0.9·1 + 0.1·(mean over chunks of the biased chunk variance); BatchNorm's would be unbiased.
      const { variance } = momentsComposite(x, { chunks: 2, samples: 2, channels: 2, positions: 9, affineSpan: 1 });
      const v = variance.toArray();
      const biased = [0, 1].map((c) => 0.9 + 0.1 * ((v[c]! + v[2 + c]!) / 2));
      const rv = l1.getBuffer('running_var').toArray();
      [0, 1].forEach((c) => expect(rv[c]).toBeCloseTo(biased[c]!, 12));
      const bnRunning = tensor([1, 1], { dtype: 'float64' });
      batchNorm(x, null, bnRunning, { training: true, groups: 2 });
      [0, 1].forEach((c) => expect(bnRunning.toArray()[c]).toBeCloseTo(0.9 + 0.1 * ((v[c]! + v[2 + c]!) / 2) * (18 / 17), 12));
    }
  });

  it('a first layer with firstPrior "none" is BatchNorm in training', () => {
    const l = new BatchKalmanNorm1d(3, { firstPrior: 'none', groups: 2 }).to('float64');
    randomizeParameters([l], 1);
    const x = seededRandn([6, 3], 2);
    const want = batchNormComposite(x, null, null, { weight: l.weight, bias: l.bias, training: true, groups: 2 });
    expect(maxAbsDiff(l.call(x), want)).toBeLessThan(1e-12);
  });

  it('in eval mode is BatchNorm with its running statistics (groups and chain ignored)', () => {
    const chain = makeChain('sampled', 'count', 'fused', 41);
    chain.run(seededRandn([4, 2, 3, 3], 42));
    const l = chain.layers[1]!;
    l.getBuffer('running_mean').array.data.set([0.5, -0.5, 2]);
    l.getBuffer('running_var').array.data.set([2, 0.5, 1.5]);
    l.eval();
    const x = seededRandn([3, 3, 2, 2], 43);
    const want = batchNorm(x, l.getBuffer('running_mean'), l.getBuffer('running_var'), { weight: l.weight, bias: l.bias });
    expect(maxAbsDiff(l.call(x), want)).toBeLessThan(1e-14);
  });

  it('N = 1 works in training whenever H·W > 1; [1, C] is a clear error', () => {
    const chain = makeChain('sampled', 'count', 'fused', 51, { groups: 1 });
    expect(chain.run(seededRandn([1, 2, 3, 3], 52)).shape).toEqual([1, 2, 3, 3]);
    expect(chain.layers[2]!.lastStep!.usedPrediction).toBe(true);
    expect(() => new BatchKalmanNorm1d(3).call(zeros([1, 3]))).toThrow(/Expected more than 1 value per channel when training, got input size \[1, 3\]/);
  });
});

describe('the update', () => {
  it('equals the mean and variance of the two-Gaussian mixture p·N(m̃, ṽ) + q·N(m̄, v̄) (closed form)', () => {
    const num = fc.double({ min: -10, max: 10, noNaN: true });
    const pos = fc.double({ min: 1e-3, max: 10, noNaN: true });
    fc.assert(fc.property(fc.array(fc.tuple(num, pos, num, pos), { minLength: 1, maxLength: 6 }), fc.double({ min: 0, max: 1, noNaN: true }), (rows, q) => {
      const col = (k: 0 | 1 | 2 | 3): Tensor => tensor(rows.map((r) => r[k]), { dtype: 'float64' });
      const { mean, variance } = kalmanUpdate(col(0), col(1), col(2), col(3), q);
      const p = 1 - q;
      rows.forEach(([mt, vt, mb, vb], i) => {
        // E[X] and E[X²] − E[X]² of the mixture, from its components' first two moments.
        const ex = p * mt + q * mb;
        const ex2 = p * (vt + mt * mt) + q * (vb + mb * mb);
        expect(mean.toArray()[i]).toBeCloseTo(ex, 10);
        expect(variance.toArray()[i]! - (ex2 - ex * ex)).toBeCloseTo(0, 8);
      });
    }), { seed: 61, numRuns: 100 });
  });

  it('also takes a per-channel gain tensor (the learned gain), broadcast over chunks', () => {
    const q = tensor([[0.2, 0.9]], { dtype: 'float64' });
    const { mean, variance } = kalmanUpdate(tensor([[0, 1], [2, 3]], { dtype: 'float64' }), tensor([[1, 1], [2, 2]], { dtype: 'float64' }), tensor([[1, 0], [0, 1]], { dtype: 'float64' }), tensor([[4, 4], [1, 1]], { dtype: 'float64' }), q);
    expect([...mean.toArray()]).toEqual([0.2, 0.1, 0.8 * 2, 0.1 * 3 + 0.9 * 1].map((v) => expect.closeTo(v, 12) as unknown as number));
    expect(variance.toArray()[0]).toBeCloseTo(0.8 * 1 + 0.2 * 4 + 0.16 * 1, 12);
  });
});

describe('transitions', () => {
  it("'sampled' predicts the moments of the modules between applied to γ·z + β of the layer before — not its estimate", () => {
    const chain = makeChain('sampled', 'count', 'fused', 71);
    const [l1, l2] = chain.layers as [BatchKalmanNorm2d, BatchKalmanNorm2d];
    const x = seededRandn([4, 2, 3, 3], 72);
    chain.run(x);
    const first = l2.lastPrediction!;
    // Recompute: z of shape [S·K, C, 3, 3] with K = ceil(8 / 9) = 1, through ReLU → conv1.
    const z = l2.noise([2, 2, 3, 3], 'float64');
    const s = z.mul(l1.weight!.reshape([1, 2, 1, 1])).add(l1.bias!.reshape([1, 2, 1, 1]));
    const r = chain.convs[0]!.call(s.relu());
    const want = momentsComposite(r, { chunks: 2, samples: 1, channels: 3, positions: 9, affineSpan: 1 });
    expect(maxAbsDiff(first.mean, want.mean)).toBeLessThan(1e-12);
    expect(maxAbsDiff(first.var, want.variance)).toBeLessThan(1e-12);
    // A very different input changes layer 1's estimate, not the prediction.
    chain.run(seededRandn([4, 2, 3, 3], 73, { scale: 10, shift: 5 }));
    expect(maxAbsDiff(l2.lastPrediction!.mean, first.mean)).toBe(0);
  });

  it("'sampled-prenorm' passes m̂ + sqrt(v̂ + ε)·z (the layer's input) through the modules between", () => {
    const chain = makeChain('sampled-prenorm', 'count', 'fused', 81);
    const [l1, l2] = chain.layers as [BatchKalmanNorm2d, BatchKalmanNorm2d];
    chain.run(seededRandn([4, 2, 3, 3], 82, { scale: 3 }));
    const est = l1._estimate!;
    const z = l2.noise([2, 2, 3, 3], 'float64');
    const s = z.reshape([2, 1, 2, 9]).mul(est.variance.add(1e-5).sqrt().reshape([2, 1, 2, 1])).add(est.mean.reshape([2, 1, 2, 1])).reshape([2, 2, 3, 3]);
    const want = momentsComposite(chain.convs[0]!.call(s.relu()), { chunks: 2, samples: 1, channels: 3, positions: 9, affineSpan: 1 });
    expect(maxAbsDiff(l2.lastPrediction!.mean, want.mean)).toBeLessThan(1e-12);
    expect(maxAbsDiff(l2.lastPrediction!.var, want.variance)).toBeLessThan(1e-12);
  });

  it("'linear' is m̃ = A·m̂, ṽ = (A⊙A)·v̂ + r with A the zero-padded identity at the start", () => {
    const l1 = new BatchKalmanNorm1d(3, { firstPrior: 'none' }).to('float64');
    const l2 = new BatchKalmanNorm1d(2, { prev: l1, transition: 'linear', processNoise: 0.25 }).to('float64');
    expect([...l2.A!.toArray()]).toEqual([1, 0, 0, 0, 1, 0]);
    l2.A!.array.data.set([1, 2, 0, 0, -1, 3]);
    l1.call(seededRandn([5, 3], 91));
    l2.call(seededRandn([5, 2], 92));
    const m = l1._estimate!.mean.toArray();
    const v = l1._estimate!.variance.toArray();
    const pm = l2.lastPrediction!.mean.toArray();
    const pv = l2.lastPrediction!.var.toArray();
    expect(pm[0]).toBeCloseTo(m[0]! + 2 * m[1]!, 12);
    expect(pm[1]).toBeCloseTo(-m[1]! + 3 * m[2]!, 12);
    expect(pv[0]).toBeCloseTo(v[0]! + 4 * v[1]! + 0.25, 12);
    expect(pv[1]).toBeCloseTo(v[1]! + 9 * v[2]! + 0.25, 12);
  });
});

describe('gain and the first layer', () => {
  it("'count' is m/(m + priorCount) with m the values per channel in one chunk", () => {
    const chain = makeChain('sampled', 'count', 'fused', 101, { priorCount: 6 });
    chain.run(seededRandn([4, 2, 3, 3], 102));
    // chunks of 2 samples × 9 positions = 18 values per channel
    chain.layers.forEach((l) => expect(l.lastStep!.q).toBeCloseTo(18 / 24, 14));
  });

  it("the first layer's prior: obs buffers set from the first batch, then an EMA of the batch observations, fused with gain q", () => {
    const l = new BatchKalmanNorm1d(2, { groups: 2, priorCount: 4 }).to('float64');
    const chunkStats = (x: Tensor) => {
      const v = x.toArray();
      const out = { mean: [0, 0], unbiased: [0, 0], m: [[0, 0], [0, 0]], vb: [[0, 0], [0, 0]] };
      for (let s = 0; s < 2; s++) {
        for (let c = 0; c < 2; c++) {
          const vals = [0, 1, 2].map((i) => v[(3 * s + i) * 2 + c]!);
          const mu = vals.reduce((a, e) => a + e, 0) / 3;
          const ss = vals.reduce((a, e) => a + (e - mu) ** 2, 0);
          out.m[s]![c] = mu;
          out.vb[s]![c] = ss / 3;
          out.mean[c]! += mu / 2;
          out.unbiased[c]! += ss / 2 / 2;
        }
      }
      return out;
    };
    const x0 = seededRandn([6, 2], 111, { shift: 2 });
    const y0 = l.call(x0).toArray();
    const s0 = chunkStats(x0);
    expect([...l.getBuffer('obs_mean').toArray()].map((v, c) => v - s0.mean[c]!)).toEqual([0, 0].map(() => expect.closeTo(0, 12) as unknown as number));
    expect([...l.getBuffer('obs_var').toArray()].map((v, c) => v - s0.unbiased[c]!)).toEqual([0, 0].map(() => expect.closeTo(0, 12) as unknown as number));
    // y = (x − m̂)/sqrt(v̂ + ε) with m̂ = p·obs + q·m̄, v̂ = p·obs_var + q·v̄ + p·q·(m̄ − obs)², q = 3/7
    const q = 3 / 7;
    const p = 1 - q;
    const x0v = x0.toArray();
    for (let s = 0; s < 2; s++) {
      for (let c = 0; c < 2; c++) {
        const mh = p * s0.mean[c]! + q * s0.m[s]![c]!;
        const vh = p * s0.unbiased[c]! + q * s0.vb[s]![c]! + p * q * (s0.m[s]![c]! - s0.mean[c]!) ** 2;
        const i = (3 * s) * 2 + c;
        expect(y0[i]).toBeCloseTo((x0v[i]! - mh) / Math.sqrt(vh + 1e-5), 10);
      }
    }
    const x1 = seededRandn([6, 2], 112);
    l.call(x1);
    const s1 = chunkStats(x1);
    [0, 1].forEach((c) => {
      expect(l.getBuffer('obs_mean').toArray()[c]).toBeCloseTo(0.9 * s0.mean[c]! + 0.1 * s1.mean[c]!, 12);
      expect(l.getBuffer('obs_var').toArray()[c]).toBeCloseTo(0.9 * s0.unbiased[c]! + 0.1 * s1.unbiased[c]!, 12);
    });
    expect(l.getBuffer('num_batches_tracked').item()).toBe(2);
  });

  it("a learned gain is sigmoid(θ) per channel, θ starting at logit(0.1)", () => {
    const l1 = new BatchKalmanNorm1d(3, { firstPrior: 'none' });
    const l2 = new BatchKalmanNorm1d(3, { prev: l1, between: [], gain: 'learned' }).to('float64');
    expect([...l2.theta!.toArray()].every((t) => Math.abs(1 / (1 + Math.exp(-t)) - 0.1) < 1e-8)).toBe(true); // θ was made in float32
    l1.call(seededRandn([4, 3], 122, { dtype: 'float32' }));
    l2.call(seededRandn([4, 3], 123));
    expect(l2.lastStep!.q).toBeCloseTo(0.1, 7);
    l2.theta!.array.data.set([0, 100, -100]);
    l1.call(seededRandn([4, 3], 124, { dtype: 'float32' }));
    l2.call(seededRandn([4, 3], 125));
    expect(l2.lastStep!.q).toBeCloseTo((0.5 + 1 + 0) / 3, 12);
  });
});

describe('the guard', () => {
  it('is the geometric mean of (ṽ + ε)/(v̄ + ε) by default, the arithmetic mean on request', () => {
    const vt = tensor([[4, 1, 9]], { dtype: 'float64' });
    const vb = tensor([[1, 4, 1]], { dtype: 'float64' });
    expect(guardRatio(vt, vb, 0)).toBeCloseTo(Math.cbrt(4 * 0.25 * 9), 12);
    expect(guardRatio(vt, vb, 0, 'arithmetic')).toBeCloseTo((4 + 0.25 + 9) / 3, 12);
  });

  it('rejects a prediction with ρ ≥ guardRatio, or a NaN/∞ one: the layer is then BatchNorm (observation only)', () => {
    for (const bad of [1e4, NaN, Infinity]) {
      const l1 = new BatchKalmanNorm1d(2, { firstPrior: 'none' }).to('float64');
      const l2 = new BatchKalmanNorm1d(2, { prev: l1, transition: (m, v) => ({ mean: m, var: v.mul(0).add(bad) }) }).to('float64');
      randomizeParameters([l2], 3);
      l1.call(seededRandn([4, 2], 131));
      const x = seededRandn([4, 2], 132);
      const y = l2.call(x);
      expect(l2.lastStep!.usedPrediction).toBe(false);
      expect(maxAbsDiff(y, batchNormComposite(x, null, null, { weight: l2.weight, bias: l2.bias, training: true }))).toBeLessThan(1e-12);
    }
  });
});

describe('wiring the chain', () => {
  it('a Sequential links its BKN layers in order and gives each the modules between (incl. Flatten → Linear from 2-d to 1-d)', () => {
    manualSeed(1);
    const a = new BatchKalmanNorm2d(3, { groups: 2, noiseSamples: 16 });
    const relu1 = new ReLU();
    const pool = new MaxPool2d(2);
    const conv = new Conv2d(3, 4, 3, { padding: 1 });
    const b = new BatchKalmanNorm2d(4, { groups: 2, noiseSamples: 16 });
    const relu2 = new ReLU();
    const flatten = new Flatten();
    const linear = new Linear(16, 5);
    const c = new BatchKalmanNorm1d(5, { groups: 2, transition: 'linear', gain: 'learned' });
    const model = new Sequential(new Conv2d(1, 3, 3, { padding: 1 }), a, relu1, pool, conv, b, relu2, flatten, linear, c, new ReLU(), new Linear(5, 2));
    expect(a.prev).toBe(null);
    expect(b.prev).toBe(a);
    expect(c.prev).toBe(b);
    expect(b._between).toEqual([relu1, pool, conv]);
    expect(c._between).toEqual([relu2, flatten, linear]);
    expect([...model.stateDict().keys()].filter((k) => /^(1|5|9)\./.test(k))).toEqual([
      '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked', '1.obs_mean', '1.obs_var',
      '5.weight', '5.bias', '5.running_mean', '5.running_var', '5.num_batches_tracked',
      '9.weight', '9.bias', '9.A', '9.theta', '9.running_mean', '9.running_var', '9.num_batches_tracked',
    ]);
    expect(c.A!.shape).toEqual([5, 4]);
    const y = model.call(seededRandn([4, 1, 4, 4], 141, { dtype: 'float32' }));
    y.sum().backward();
    expect(b.lastStep!.usedPrediction && c.lastStep!.usedPrediction).toBe(true);
    expect(conv.weight.grad).not.toBeNull();
    expect(c.theta!.grad).not.toBeNull();
  });

  it("a 2-d → 1-d 'sampled' prediction goes through Flatten → Linear with the same weights", () => {
    const noise = fixedNoise(151);
    const a = new BatchKalmanNorm2d(2, { groups: 1, noise, noiseSamples: 8 });
    const linear = new Linear(8, 3);
    const b = new BatchKalmanNorm1d(3, { groups: 1, noise, noiseSamples: 8, transition: 'sampled' });
    const model = new Sequential(a, new Flatten(), linear, b).to('float64');
    randomizeParameters([a, linear], 152);
    model.call(seededRandn([3, 2, 2, 2], 153));
    const z = noise([2, 2, 2, 2], 'float64'); // K = ceil(8 / 4) = 2 rows of [2, 2, 2]
    const s = z.mul(a.weight!.reshape([1, 2, 1, 1])).add(a.bias!.reshape([1, 2, 1, 1]));
    const r = linear.call(s.reshape([2, 8]));
    const want = momentsComposite(r, { chunks: 1, samples: 2, channels: 3, positions: 1, affineSpan: 1 });
    expect(maxAbsDiff(b.lastPrediction!.mean, want.mean)).toBeLessThan(1e-12);
    expect(maxAbsDiff(b.lastPrediction!.var, want.variance)).toBeLessThan(1e-12);
  });

  it('the state dict round-trips (a fresh model gives the same eval outputs)', () => {
    const build = () => new Sequential(new Linear(4, 6), new BatchKalmanNorm1d(6, { groups: 2 }), new ReLU(), new Linear(6, 3), new BatchKalmanNorm1d(3, { groups: 2, gain: 'learned' }));
    manualSeed(3);
    const m1 = build();
    for (let i = 0; i < 3; i++) m1.call(seededRandn([4, 4], 160 + i, { dtype: 'float32' }));
    manualSeed(4);
    const m2 = build();
    m2.loadStateDict(m1.stateDict());
    const x = seededRandn([5, 4], 170, { dtype: 'float32' });
    expect(maxAbsDiff(m1.eval().call(x), m2.eval().call(x))).toBe(0);
  });

  it("the default noise of 'sampled' comes from the seeded global generator (manualSeed replays a training step)", () => {
    const build = () => {
      manualSeed(9);
      return new Sequential(new Linear(4, 6), new BatchKalmanNorm1d(6), new ReLU(), new Linear(6, 3), new BatchKalmanNorm1d(3, { transition: 'sampled' }));
    };
    const x = seededRandn([4, 4], 181, { dtype: 'float32' });
    const m1 = build();
    const y1 = m1.call(x);
    const m2 = build();
    expect(maxAbsDiff(y1, m2.call(x))).toBe(0);
  });
});

describe('the residual rule (KalmanSum)', () => {
  it('predicts from the sum of the branches\' estimates (linear/custom transitions)', () => {
    const l1 = new BatchKalmanNorm1d(3, { firstPrior: 'none' }).to('float64');
    const l2 = new BatchKalmanNorm1d(3, { prev: l1, transition: 'linear' }).to('float64');
    let seen: { mean: Tensor; variance: Tensor } | null = null;
    const l3 = new BatchKalmanNorm1d(3, {
      prev: new KalmanSum([{ from: l2 }, { from: l1 }]),
      transition: (mean, variance) => { seen = { mean, variance }; return { mean, var: variance }; },
    }).to('float64');
    const x = seededRandn([4, 3], 191);
    const h = l1.call(x);
    const y = l2.call(h.mul(2));
    l3.call(y.add(h));
    const s = seen as { mean: Tensor; variance: Tensor } | null;
    expect(maxAbsDiff(s!.mean, l2._estimate!.mean.add(l1._estimate!.mean))).toBe(0);
    expect(maxAbsDiff(s!.variance, l2._estimate!.variance.add(l1._estimate!.variance))).toBe(0);
  });

  it('with sampled transitions: branch moments summed at the join, resampled through the modules after it; gradcheck passes', () => {
    for (const impl of ['fused', 'composite'] as const) {
      const noise = fixedNoise(201);
      const common = { noise, noiseSamples: 8, groups: 2, implementation: impl, guardRatio: Infinity, transition: 'sampled' as const };
      const l1 = new BatchKalmanNorm2d(2, { ...common, momentum: 0 });
      const conv = new Conv2d(2, 2, 3, { padding: 1 });
      const l2 = new BatchKalmanNorm2d(2, { ...common, prev: l1, between: [new ReLU(), conv] });
      const join = new KalmanSum([{ from: l2 }, { from: l1, between: [new ReLU()] }]);
      const conv2 = new Conv2d(2, 3, 1);
      const l3 = new BatchKalmanNorm2d(3, { ...common, prev: join, between: [new ReLU(), conv2] });
      const modules: Module[] = [l1, conv, l2, conv2, l3];
      for (const m of modules) m.to('float64');
      randomizeParameters(modules, 202);
      const run = (x: Tensor): Tensor => {
        const h = l1.call(x);
        const y = l2.call(conv.call(h.relu())).add(h.relu());
        return l3.call(conv2.call(y.relu()));
      };
      const x = seededRandn([4, 2, 3, 3], 203, { requiresGrad: true });
      run(x);
      expect(l3.lastStep!.usedPrediction).toBe(true);
      const r = gradcheckModules(run, x, modules);
      expect(r.ok, r.report).toBe(true);
    }
  });
});

describe('clear errors, never a silent fallback', () => {
  const chain3 = () => {
    const l1 = new BatchKalmanNorm1d(2);
    const l2 = new BatchKalmanNorm1d(2, { prev: l1, between: [] });
    const l3 = new BatchKalmanNorm1d(2, { prev: l2, between: [] });
    return [l1, l2, l3] as const;
  };
  const x = () => seededRandn([4, 2], 211, { dtype: 'float32' });

  it('a layer run before its chain\'s first layer ever ran', () => {
    const [, l2] = chain3();
    expect(() => l2.call(x())).toThrow(/first layer of its BKN chain has not run a training forward yet/);
  });

  it('a predecessor with no estimate (skipped in the first pass)', () => {
    const [l1, , l3] = chain3();
    l1.call(x());
    expect(() => l3.call(x())).toThrow(/predecessor BatchKalmanNorm1d\(2\) has no estimate/);
  });

  it('a stale estimate (the predecessor skipped in this pass)', () => {
    const [l1, l2, l3] = chain3();
    l1.call(x());
    l2.call(x());
    l3.call(x());
    l1.call(x());
    expect(() => l3.call(x())).toThrow(/estimate of its predecessor BatchKalmanNorm1d\(2\) is stale: it was made in training pass 1 of the chain, but the current pass is 2/);
  });

  it('a layer run twice in one pass', () => {
    const [l1, l2] = chain3();
    l1.call(x());
    l2.call(x());
    expect(() => l2.call(x())).toThrow(/ran twice in training pass 1/);
  });

  it('mismatched groups, a learned gain on a first layer, a missing between, wrong shapes, a cycle', () => {
    const a = new BatchKalmanNorm1d(2, { groups: 2 });
    const b = new BatchKalmanNorm1d(2, { prev: a, between: [], groups: 1 });
    a.call(x());
    expect(() => b.call(x())).toThrow(/groups \(1\) differs from its predecessor BatchKalmanNorm1d\(2\) \(2\)/);
    expect(() => new BatchKalmanNorm1d(2, { gain: 'learned' }).call(x())).toThrow(/gain 'learned' needs a predecessor/);
    const c = new BatchKalmanNorm1d(2);
    const d = new BatchKalmanNorm1d(2, { prev: c });
    c.call(x());
    expect(() => d.call(x())).toThrow(/the 'analytic' transition needs the modules between/);
    const dSampled = new BatchKalmanNorm1d(2, { prev: c, transition: 'sampled' });
    expect(() => dSampled.call(x())).toThrow(/the 'sampled' transition needs the modules between/);
    const e = new BatchKalmanNorm1d(2);
    const f = new BatchKalmanNorm1d(3, { prev: e, between: [] });
    e.call(x());
    expect(() => f.call(seededRandn([4, 3], 1, { dtype: 'float32' }))).toThrow(/predicted a mean of shape \[1, 2\], expected \[1, 3\]/);
    const g = new BatchKalmanNorm1d(2);
    const h = new BatchKalmanNorm1d(2, { prev: g, transition: (m) => ({ mean: m.sum(), var: m }) });
    g.call(x());
    expect(() => h.call(x())).toThrow(/'custom' transition predicted a mean of shape \[\]/);
    expect(() => g._link(h)).toThrow(/cycle/);
    expect(() => new BatchKalmanNorm1d(2, { groups: 3 }).call(x())).toThrow(/cannot be split into groups: 3/);
    expect(() => new BatchKalmanNorm1d(2, { gain: 2 })).toThrow(/fixed gain must be in \[0, 1\]/);
  });
});
