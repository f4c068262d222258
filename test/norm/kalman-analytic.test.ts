// BKN's 'analytic' transition (BKN.md / docs/bkn.md, "Transitions"): its building blocks against
// references computed here independently (Simpson integration, closed forms of small quadrature
// rules), and the whole prediction against 'sampled' with many noise samples, within a stated
// multiple of the Monte-Carlo standard error estimated from the same noise.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Tensor } from '../../src/index.js';
import { AvgPool2d, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sigmoid, type Module } from '../../src/nn/index.js';
import { BatchKalmanNorm1d, BatchKalmanNorm2d, KalmanSum, type BatchKalmanNorm, type NoiseFn } from '../../src/norm/index.js';
import { analyticPlan, gaussLegendre, normalCdf, rectifiedMaxMoments, rectifiedMoments, reluVarianceFactor } from '../../src/norm/kalman-analytic.js';
import { erfc } from '../../src/tensor/kernels/special.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { fixedNoise, maxAbsDiff, randomizeParameters, seededRandn } from './norm-helpers.js';

const f64 = (values: readonly number[]): Tensor => new Tensor(new NDArray(Float64Array.from(values), [values.length]));

/** Composite Simpson's rule of f on [a, b] with `intervals` (even) intervals. */
function simpson(f: (x: number) => number, a: number, b: number, intervals = 20000): number {
  const h = (b - a) / intervals;
  let s = f(a) + f(b);
  for (let i = 1; i < intervals; i++) s += (i % 2 === 1 ? 4 : 2) * f(a + i * h);
  return (s * h) / 3;
}

const phi = (z: number): number => Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);

describe('Gauss–Legendre rule', () => {
  it('matches the closed forms of the 2-, 3- and 5-node rules', () => {
    const close = (got: Float64Array, want: number[]): void => want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 14));
    close(gaussLegendre(2).nodes, [-1 / Math.sqrt(3), 1 / Math.sqrt(3)]);
    close(gaussLegendre(2).weights, [1, 1]);
    close(gaussLegendre(3).nodes, [-Math.sqrt(3 / 5), 0, Math.sqrt(3 / 5)]);
    close(gaussLegendre(3).weights, [5 / 9, 8 / 9, 5 / 9]);
    const inner = Math.sqrt(5 - 2 * Math.sqrt(10 / 7)) / 3;
    const outer = Math.sqrt(5 + 2 * Math.sqrt(10 / 7)) / 3;
    close(gaussLegendre(5).nodes, [-outer, -inner, 0, inner, outer]);
    const wIn = (322 + 13 * Math.sqrt(70)) / 900;
    const wOut = (322 - 13 * Math.sqrt(70)) / 900;
    close(gaussLegendre(5).weights, [wOut, wIn, 128 / 225, wIn, wOut]);
  });

  it('the 96-node rule integrates every monomial up to degree 191 exactly on [−1, 1]', () => {
    const { nodes, weights } = gaussLegendre(96);
    expect(nodes.length).toBe(96);
    for (let i = 1; i < 96; i++) expect(nodes[i]!).toBeGreaterThan(nodes[i - 1]!);
    for (let k = 0; k <= 191; k++) {
      let s = 0;
      for (let i = 0; i < 96; i++) s += weights[i]! * nodes[i]! ** k;
      const exact = k % 2 === 1 ? 0 : 2 / (k + 1);
      expect(Math.abs(s - exact), `x^${k}`).toBeLessThan(1e-14 * Math.max(1, exact) + 1e-15);
    }
  });

  it('rejects a bad node count', () => {
    expect(() => gaussLegendre(0)).toThrow(/gaussLegendre: the number of nodes must be an integer ≥ 1, got 0/);
  });
});

describe('the normal distribution pieces', () => {
  it('erfc has full relative accuracy in both tails (reference: Simpson integration of e^(−t²))', () => {
    for (const x of [0.5, 2, 3.5, 6, 10, 20]) {
      // erfc(x) = 2/√π · e^(−x²) · ∫₀^∞ e^(−2xs − s²) ds  (t = x + s), integrated without underflow.
      const ref = (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * simpson((s) => Math.exp(-2 * x * s - s * s), 0, 12, 200000);
      expect(Math.abs(erfc(x) / ref - 1), `erfc(${x})`).toBeLessThan(1e-10);
      expect(Math.abs(erfc(-x) - (2 - ref)), `erfc(${-x})`).toBeLessThan(1e-10 * ref);
    }
  });

  it('Φ is accurate in the far left tail, where ½(1 + erf) is 0 or off by orders of magnitude, and its gradient is φ', () => {
    const x = new Tensor(new NDArray(Float64Array.from([-30, -10, -1, 0, 2]), [5]), { requiresGrad: true });
    const cdf = normalCdf(x);
    const values = cdf.toArray();
    [-30, -10, -1, 0, 2].forEach((v, i) => {
      expect(Math.abs(values[i]! / (0.5 * erfc(-v * Math.SQRT1_2)) - 1)).toBeLessThan(1e-15);
    });
    expect(values[0]!).toBeGreaterThan(4.9e-198); // Φ(−30) ≈ 4.906e−198
    cdf.sum().backward();
    const g = x.grad!.toArray();
    [-30, -10, -1, 0, 2].forEach((v, i) => expect(Math.abs(g[i]! - phi(v))).toBeLessThanOrEqual(1e-12 * phi(v)));
  });
});

/** Mean and variance of max(t + Z, 0), Z ~ N(0, 1), by Simpson integration in forms without cancellation. */
function rectifiedReference(t: number): { mean: number; variance: number } {
  if (t < 0) {
    // z = −t + y: φ(z) = φ(t)·e^(−|t|y − y²/2);  E1 = φ(t)·I1,  E2 = φ(t)·I2,  w = E2 − E1².
    const scale = (y: number): number => Math.exp(t * y - 0.5 * y * y);
    const upper = Math.min(40, 60 / Math.abs(t) + 10);
    const i1 = simpson((y) => y * scale(y), 0, upper, 200000);
    const i2 = simpson((y) => y * y * scale(y), 0, upper, 200000);
    return { mean: phi(t) * i1, variance: phi(t) * (i2 - phi(t) * i1 * i1) };
  }
  // d = E[max(Z, −t)] (the mean is t + d), Var = ∫_{z > −t} (z − d)² φ(z) dz + (t + d)²·Φ(−t)
  const lo = Math.max(-t, -40);
  const tailMass = t >= 40 ? 0 : simpson(phi, -40, -t, 200000);
  const d = simpson((z) => z * phi(z), lo, 40, 200000) - t * tailMass;
  return { mean: t + d, variance: simpson((z) => (z - d) ** 2 * phi(z), lo, 40, 200000) + (t + d) ** 2 * tailMass };
}

function reluVarianceReference(t: number): number {
  return rectifiedReference(t).variance;
}

describe('m(t), w(t): mean and variance of ReLU(t + Z), the rectified-Gaussian moments', () => {
  it('matches the integration reference from t = −30 to 1e12 (the textbook form loses it at large t)', () => {
    const ts = [-30, -10, -3, -0.5, 0, 0.7, 4, 12, 1e3, 1e6, 1e12];
    const got = reluVarianceFactor(f64(ts)).toArray();
    ts.forEach((t, i) => {
      const ref = reluVarianceReference(t);
      // Far left the form cancels ~t⁴/2 of its digits (w(−30) ≈ 1e−200): about 1e−7 relative there.
      const tolerance = t < -5 ? 1e-6 : 1e-9;
      expect(Math.abs(got[i]! / ref - 1), `w(${t}) = ${got[i]} vs ${ref}`).toBeLessThan(tolerance);
    });
    // The mean m(t) = tΦ(t) + φ(t) too (its reflected form t + m(−t) at t ≥ 0).
    const means = rectifiedMoments(f64(ts)).mean.toArray();
    ts.forEach((t, i) => {
      const ref = rectifiedReference(t).mean;
      expect(Math.abs(means[i]! / ref - 1), `m(${t}) = ${means[i]} vs ${ref}`).toBeLessThan(t < -5 ? 1e-6 : 1e-9);
    });
    // The textbook form at t = 1e12: (t² + 1)·1 + 0 − t² — float64 cannot hold the 1.
    const t = 1e12;
    expect(Math.abs((t * t + 1) - t * t - 1)).toBeGreaterThan(0.5);
  });

  it('has finite gradients everywhere (including t = 0, ±1e12, −40), equal to central differences', () => {
    const ts = [-40, -8, -1, 0, 1, 8, 1e12, -1e12];
    const x = new Tensor(new NDArray(Float64Array.from(ts), [ts.length]), { requiresGrad: true });
    reluVarianceFactor(x).sum().backward();
    const g = x.grad!.toArray();
    ts.forEach((t, i) => {
      expect(Number.isFinite(g[i]!), `w'(${t})`).toBe(true);
      if (Math.abs(t) < 20) {
        const h = 1e-5;
        const numeric = (reluVarianceReference(t + h) - reluVarianceReference(t - h)) / (2 * h);
        expect(Math.abs(g[i]! - numeric), `w'(${t}) = ${g[i]} vs ${numeric}`).toBeLessThan(1e-6);
      }
    });
  });
});

describe('the rectified max of n normals (ReLU → MaxPool2d)', () => {
  it('matches Simpson integration of max(a + Z₍ₙ₎, 0) with density nΦⁿ⁻¹φ', () => {
    const as = [-4, -1, 0, 1.5, 8];
    for (const n of [1, 4, 9]) {
      const got = rectifiedMaxMoments(f64(as), n);
      const mean = got.mean.toArray();
      const variance = got.variance.toArray();
      as.forEach((a, i) => {
        const density = (z: number): number => n * (0.5 * erfc(-z / Math.SQRT2)) ** (n - 1) * phi(z);
        const e1 = simpson((z) => (a + z) * density(z), -a, 40, 100000);
        const e2 = simpson((z) => (a + z) ** 2 * density(z), -a, 40, 100000);
        expect(Math.abs(mean[i]! - e1), `E, n ${n}, a ${a}`).toBeLessThan(1e-9 * Math.max(1, e1));
        // The specified truncation of the integrals at z = −6 costs up to ~4e−8 (a = 8, n = 1).
        expect(Math.abs(variance[i]! - (e2 - e1 * e1)), `Var, n ${n}, a ${a}`).toBeLessThan(1e-7 * Math.max(1e-3, e2 - e1 * e1));
      });
    }
  });
});

// ---- against 'sampled' -------------------------------------------------------------------------

/** Noise that remembers the last tensor it handed out (so the test can redo the sample pass). */
function recordingNoise(seed: number): { noise: NoiseFn; last: () => Tensor } {
  const inner = fixedNoise(seed);
  let last: Tensor | null = null;
  return {
    noise: (shape, dtype) => {
      last = inner(shape, dtype);
      return last;
    },
    last: () => last!,
  };
}

/**
 * Per-channel mean and biased variance over rows and positions of r [K, C, …], with the Monte-Carlo
 * standard errors from the K independent rows (delta method for the variance).
 */
function momentsWithErrors(r: Tensor): { mean: number[]; variance: number[]; seMean: number[]; seVar: number[] } {
  const [k, c] = r.shape as [number, number];
  const positions = r.shape.slice(2).reduce((x, y) => x * y, 1);
  const data = r.contiguous().toArray();
  const out = { mean: [] as number[], variance: [] as number[], seMean: [] as number[], seVar: [] as number[] };
  for (let ch = 0; ch < c; ch++) {
    const a = new Float64Array(k);
    const b = new Float64Array(k);
    for (let row = 0; row < k; row++) {
      let s = 0;
      let s2 = 0;
      for (let p = 0; p < positions; p++) {
        const v = data[(row * c + ch) * positions + p]!;
        s += v;
        s2 += v * v;
      }
      a[row] = s / positions;
      b[row] = s2 / positions;
    }
    const mean = a.reduce((x, y) => x + y, 0) / k;
    const second = b.reduce((x, y) => x + y, 0) / k;
    const sd = (values: ArrayLike<number>): number => {
      let m = 0;
      for (let i = 0; i < values.length; i++) m += values[i]! / values.length;
      let v = 0;
      for (let i = 0; i < values.length; i++) v += (values[i]! - m) ** 2 / (values.length - 1);
      return Math.sqrt(v);
    };
    out.mean.push(mean);
    out.variance.push(second - mean * mean);
    out.seMean.push(sd(a) / Math.sqrt(k));
    out.seVar.push(sd(Array.from(b, (bi, i) => bi - 2 * mean * a[i]!)) / Math.sqrt(k));
  }
  return out;
}

/** How many standard errors the analytic prediction may be from the sampled one. */
const SE_MULTIPLE = 5;
/**
 * Plus this, absolute (the values are of order 0.01–10): a channel with a = β/γ = −6 has a ReLU
 * mean of 8e−11, which 2^16 samples never see (the sampled mean is then exactly 0 with SE 0).
 */
const ABS_FLOOR = 1e-9;

interface Pattern {
  name: string;
  /** Previous layer's channels and input shape per sample. */
  source: readonly number[];
  between: () => Module[];
  make: (channels: number, options: object) => BatchKalmanNorm;
  samples: number;
}

const make2d = (c: number, o: object): BatchKalmanNorm => new BatchKalmanNorm2d(c, o);
const make1d = (c: number, o: object): BatchKalmanNorm => new BatchKalmanNorm1d(c, o);

const PATTERNS: Pattern[] = [
  { name: 'ReLU → Linear', source: [5], between: () => [new ReLU(), new Linear(5, 4)], make: make1d, samples: 1 << 17 },
  { name: 'ReLU → Conv2d (padding 1, stride 1)', source: [4, 6, 6], between: () => [new ReLU(), new Conv2d(4, 3, 3, { padding: 1 })], make: make2d, samples: 1 << 18 },
  { name: 'ReLU → Conv2d (padding 1, stride 2, groups 2)', source: [4, 7, 7], between: () => [new ReLU(), new Conv2d(4, 6, 3, { padding: 1, stride: 2, groups: 2 })], make: make2d, samples: 1 << 18 },
  { name: 'ReLU → MaxPool2d(2) → Conv2d', source: [4, 8, 8], between: () => [new ReLU(), new MaxPool2d(2), new Conv2d(4, 3, 3, { padding: 1 })], make: make2d, samples: 1 << 18 },
  { name: 'ReLU → MaxPool2d(3) → Conv2d (dilation 2, no padding)', source: [4, 9, 9], between: () => [new ReLU(), new MaxPool2d(3), new Conv2d(4, 2, 2, { dilation: [1, 2] })], make: make2d, samples: 1 << 18 },
  { name: 'ReLU → MaxPool2d(2) → Flatten → Linear (2-d → 1-d)', source: [4, 4, 4], between: () => [new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(16, 5)], make: make1d, samples: 1 << 17 },
  { name: 'ReLU alone', source: [4, 3, 3], between: () => [new ReLU()], make: make2d, samples: 1 << 16 },
];

/** γ (negative and tiny included) and β of the previous layer. */
const GAMMA = [1.3, -0.7, 1e-7, 0.5, 2];
const BETA = [0.2, -1.5, 0.3, -3, 0.9];

describe("'analytic' agrees with 'sampled' with many noise samples (within 5 Monte-Carlo standard errors)", () => {
  for (const pattern of PATTERNS) {
    it(pattern.name, () => {
      const c = pattern.source[0]!;
      const rec = recordingNoise(1234);
      const common = { noise: rec.noise, noiseSamples: pattern.samples, guardRatio: Infinity };
      const first = (pattern.source.length === 1 ? make1d : make2d)(c, common);
      first.to('float64');
      first.weight!.array.data.set(GAMMA.slice(0, c));
      first.bias!.array.data.set(BETA.slice(0, c));
      const between = pattern.between();
      between.forEach((m) => m.to('float64'));
      randomizeParameters(between, 77);
      const run = (transition: 'sampled' | 'analytic'): { layer: BatchKalmanNorm; x: Tensor } => {
        const x = seededRandn([2, ...pattern.source], 5);
        const h = first.call(x);
        let y = h;
        for (const m of between) y = m.call(y);
        const layer = pattern.make(y.shape[1]!, { ...common, prev: first, between, transition });
        layer.to('float64');
        layer.call(y);
        return { layer, x };
      };
      const sampled = run('sampled').layer.lastPrediction!;
      // The sample pass again, by hand: γ·z + β through the modules, with the same noise.
      const z = rec.last();
      const shape = [1, c, ...pattern.source.slice(1).map(() => 1)];
      let r = z.mul(first.weight!.reshape(shape)).add(first.bias!.reshape(shape));
      for (const m of between) r = m.call(r);
      const mc = momentsWithErrors(r);
      expect(maxAbsDiff(sampled.mean.reshape([-1]), f64(mc.mean))).toBeLessThan(1e-9);
      expect(maxAbsDiff(sampled.var.reshape([-1]), f64(mc.variance))).toBeLessThan(1e-9);

      const { layer } = run('analytic');
      expect(layer.analyticFallback).toBeNull();
      const am = layer.lastPrediction!.mean.reshape([-1]).toArray();
      const av = layer.lastPrediction!.var.reshape([-1]).toArray();
      mc.mean.forEach((m, i) => {
        expect(Math.abs(am[i]! - m), `mean[${i}]: analytic ${am[i]} vs sampled ${m} ± ${mc.seMean[i]}`).toBeLessThanOrEqual(SE_MULTIPLE * mc.seMean[i]! + ABS_FLOOR);
        expect(Math.abs(av[i]! - mc.variance[i]!), `var[${i}]: analytic ${av[i]} vs sampled ${mc.variance[i]} ± ${mc.seVar[i]}`).toBeLessThanOrEqual(SE_MULTIPLE * mc.seVar[i]! + ABS_FLOOR);
      });
    });
  }

  it('is one prediction shared by every chunk (groups 4), in the layer dtype, and uses no noise', () => {
    let calls = 0;
    const noise: NoiseFn = (s, d) => {
      calls++;
      return fixedNoise(3)(s, d);
    };
    const l1 = new BatchKalmanNorm1d(5, { groups: 4, noise });
    const between = [new ReLU(), new Linear(5, 3)];
    const l2 = new BatchKalmanNorm1d(3, { groups: 4, prev: l1, between, transition: 'analytic', noise });
    let y = l1.call(seededRandn([8, 5], 1, { dtype: 'float32' }));
    for (const m of between) y = m.call(y);
    l2.call(y);
    const p = l2.lastPrediction!;
    expect(p.mean.shape).toEqual([4, 3]);
    expect(p.mean.dtype).toBe('float32');
    const rows = p.var.toNested() as number[][];
    for (const row of rows) expect(row).toEqual(rows[0]);
    expect(calls).toBe(0);
  });
});

// ---- fallback and errors -----------------------------------------------------------------------

describe("patterns 'analytic' does not cover fall back to 'sampled', with one notice", () => {
  afterEach(() => vi.restoreAllMocks());

  for (const [name, between] of [
    ['AvgPool2d', () => [new ReLU(), new AvgPool2d(2), new Conv2d(2, 3, 1)]],
    ['Sigmoid', () => [new Sigmoid(), new Conv2d(2, 3, 1)]],
    ['overlapping MaxPool2d', () => [new ReLU(), new MaxPool2d(3, { stride: 1, padding: 1 }), new Conv2d(2, 3, 1)]],
    ['Conv2d → ReLU', () => [new Conv2d(2, 3, 1), new ReLU()]],
  ] as const) {
    it(`${name}: the same prediction as 'sampled' with the same noise, and one notice over two steps`, () => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
      const predictions = (['sampled', 'analytic'] as const).map((transition) => {
        const common = { noise: fixedNoise(9), noiseSamples: 64, guardRatio: Infinity };
        const l1 = new BatchKalmanNorm2d(2, common);
        const modules: Module[] = between();
        const l2 = new BatchKalmanNorm2d(3, { ...common, prev: l1, between: modules, transition });
        for (const m of [l1, l2, ...modules]) m.to('float64');
        randomizeParameters([l1, ...modules], 4);
        const out: Tensor[] = [];
        for (let step = 0; step < 2; step++) {
          let y = l1.call(seededRandn([2, 2, 4, 4], 10 + step));
          for (const m of modules) y = m.call(y);
          l2.call(y);
          out.push(l2.lastPrediction!.mean, l2.lastPrediction!.var);
        }
        if (transition === 'analytic') expect(l2.analyticFallback).toMatch(name === 'Conv2d → ReLU' ? /ReLU after Conv2d/ : new RegExp(name.split(' ').pop()!));
        return out;
      });
      predictions[0]!.forEach((t, i) => expect(maxAbsDiff(t, predictions[1]![i]!)).toBe(0));
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/BatchKalmanNorm2d\(3\): the 'analytic' transition does not cover .*; this layer makes its prediction with 'sampled' instead/);
    });
  }

  it('a residual join (KalmanSum) as the predecessor falls back too', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const common = { noise: fixedNoise(2), noiseSamples: 16 };
    const l1 = new BatchKalmanNorm2d(2, common);
    const conv = new Conv2d(2, 2, 3, { padding: 1 });
    const l2 = new BatchKalmanNorm2d(2, { ...common, prev: l1, between: [new ReLU(), conv], transition: 'analytic' });
    const join = new KalmanSum([{ from: l2 }, { from: l1 }]);
    const conv2 = new Conv2d(2, 2, 1);
    const l3 = new BatchKalmanNorm2d(2, { ...common, prev: join, between: [new ReLU(), conv2], transition: 'analytic' });
    const x = seededRandn([2, 2, 3, 3], 1, { dtype: 'float32' });
    const a = l1.call(x);
    const b = l2.call(conv.call(a.relu()));
    l3.call(conv2.call(b.add(a).relu()));
    expect(l2.analyticFallback).toBeNull();
    expect(l3.analyticFallback).toMatch(/KalmanSum/);
    expect(warn).toHaveBeenCalledTimes(1);
  });
});

describe("'analytic': bad options and wiring give clear errors", () => {
  it('names the transition options, and needs the modules between', () => {
    expect(() => new BatchKalmanNorm1d(3, { transition: 'analytical' as 'analytic' })).toThrow(/BatchKalmanNorm1d: transition must be 'sampled', 'sampled-prenorm', 'linear', 'analytic' or a function, got analytical/);
    const l1 = new BatchKalmanNorm1d(3);
    const l2 = new BatchKalmanNorm1d(3, { prev: l1, transition: 'analytic' });
    l1.call(seededRandn([4, 3], 1, { dtype: 'float32' }));
    expect(() => l2.call(seededRandn([4, 3], 2, { dtype: 'float32' }))).toThrow(/the 'analytic' transition needs the modules between its predecessor and this layer/);
  });

  it('a prediction of the wrong channel count is a clear error, as for the other transitions', () => {
    const l1 = new BatchKalmanNorm1d(3);
    const l2 = new BatchKalmanNorm1d(4, { prev: l1, between: [new ReLU(), new Linear(3, 5)], transition: 'analytic' });
    l1.call(seededRandn([4, 3], 1, { dtype: 'float32' }));
    expect(() => l2.call(seededRandn([4, 4], 2, { dtype: 'float32' }))).toThrow(/BatchKalmanNorm1d\(4\): the 'analytic' transition predicted a mean of shape \[1, 5\], expected \[1, 4\]/);
  });

  it('analyticPlan names the module it does not cover', () => {
    expect(analyticPlan([new ReLU(), new Sigmoid()], [3])).toEqual({ reason: expect.stringMatching(/^Sigmoid \(covered between two BKN layers/) });
    expect(analyticPlan([new MaxPool2d(2)], [3, 4, 4])).toEqual({ reason: expect.stringMatching(/^MaxPool2d not directly after the ReLU/) });
    expect(analyticPlan([new ReLU(), new Linear(3, 3)], [3, 2, 2])).toEqual({ reason: expect.stringMatching(/^Linear on an input with spatial dims/) });
    expect(analyticPlan((s) => s, [3])).toEqual({ reason: expect.stringMatching(/a function as `between`/) });
    expect('steps' in analyticPlan([new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(12, 3)], [3, 4, 4])).toBe(true);
  });
});
