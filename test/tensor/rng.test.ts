/**
 * The seeded RNG: xoshiro128** checked against the C reference implementation's outputs (through an
 * independent BigInt implementation in this file), seeding and the uniform/normal transforms
 * recomputed independently, reproducibility via manualSeed, and the distributions of rand/randn
 * over 1e5 samples.
 */
import { describe, expect, it } from 'vitest';
import { rand, randn } from '../../src/autograd/creation.js';
import { Generator, manualSeed, randArray, randperm } from '../../src/tensor/rng.js';

// ---- an independent reference in BigInt arithmetic ----------------------------------------------

const MASK = 0xffffffffn;
const rotl = (x: bigint, k: bigint): bigint => ((x << k) | (x >> (32n - k))) & MASK;

/** xoshiro128** (Blackman & Vigna, prng.di.unimi.it/xoshiro128starstar.c) on four 32-bit words. */
class ReferenceXoshiro {
  constructor(readonly s: bigint[]) {}

  next(): bigint {
    const s = this.s;
    const result = (rotl((s[1]! * 5n) & MASK, 7n) * 9n) & MASK;
    const t = (s[1]! << 9n) & MASK;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11n);
    return result;
  }

  /** Seeded as rng.ts documents: splitmix32 (golden-ratio increment, murmur3 finalizer) from seed ^ 0x9e3779b9. */
  static seeded(seed: number): ReferenceXoshiro {
    let x = BigInt(seed >>> 0) ^ 0x9e3779b9n;
    const next = (): bigint => {
      x = (x + 0x9e3779b9n) & MASK;
      let z = x;
      z = ((z ^ (z >> 16n)) * 0x85ebca6bn) & MASK;
      z = ((z ^ (z >> 13n)) * 0xc2b2ae35n) & MASK;
      return z ^ (z >> 16n);
    };
    const state = [next(), next(), next(), next()];
    if (!state.some((w) => w !== 0n)) state[0] = 1n;
    return new ReferenceXoshiro(state);
  }

  /** 53 random bits: the top 27 of one word, the top 26 of the next. */
  uniform(): number {
    const hi = this.next() >> 5n;
    const lo = this.next() >> 6n;
    return Number((hi << 26n) | lo) / 2 ** 53;
  }
}

describe('xoshiro128**', () => {
  it('the BigInt reference reproduces the C reference implementation (outputs and states)', () => {
    // From the test data of edorfaus/xoshiro-6502, generated with the C reference implementation.
    const ref = new ReferenceXoshiro([0x964d4a0cn, 0xd40ab895n, 0xad7fdecbn, 0x3006f0f0n]);
    const outputs = [0xf1391922n, 0x6fe53806n, 0xa5be2840n, 0xf510ee70n];
    const states = [
      [0x72410269n, 0xef382c52n, 0x2e43bec7n, 0x62432f20n],
      [0xff3a011bn, 0xb33a90fcn, 0x2c5a18aen, 0xd81b946bn],
      [0x941b058cn, 0x605a8949n, 0xa641e1b5n, 0x0824bb59n],
      [0xfc65379cn, 0x52006d70n, 0x87487639n, 0xf1908343n],
    ];
    outputs.forEach((expected, i) => {
      expect(ref.next()).toBe(expected);
      expect(ref.s).toEqual(states[i]);
    });
  });

  it.each([0, 1, 42, 2 ** 31, 0xffffffff])('Generator(%d) gives the reference words for its seed', (seed) => {
    const gen = new Generator(seed);
    const ref = ReferenceXoshiro.seeded(seed);
    for (let i = 0; i < 64; i++) expect(gen.nextUint32()).toBe(Number(ref.next()));
  });

  it('the first uniforms for seed 0 are the reference ones (53-bit doubles in [0, 1))', () => {
    const gen = new Generator(0);
    const ref = ReferenceXoshiro.seeded(0);
    for (let i = 0; i < 16; i++) expect(gen.uniform()).toBe(ref.uniform());
  });

  it('normals are Box–Muller on two reference uniforms', () => {
    const gen = new Generator(7);
    const ref = ReferenceXoshiro.seeded(7);
    for (let i = 0; i < 16; i++) {
      const u1 = 1 - ref.uniform();
      const u2 = ref.uniform();
      expect(gen.normal()).toBe(Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
    }
  });
});

describe('reproducibility', () => {
  it('two generators with the same seed agree; different seeds differ', () => {
    const a = new Generator(123);
    const b = new Generator(123);
    const c = new Generator(124);
    const xs = Array.from({ length: 1000 }, () => a.uniform());
    expect(Array.from({ length: 1000 }, () => b.uniform())).toEqual(xs);
    const ys = Array.from({ length: 1000 }, () => c.uniform());
    expect(ys.filter((y, i) => y === xs[i]).length).toBe(0);
  });

  it('manualSeed makes rand and randn repeat, and matches a fresh Generator with that seed', () => {
    manualSeed(2024);
    const r1 = rand([3, 4], { dtype: 'float64' }).toArray();
    const n1 = randn([5], { dtype: 'float64' }).toArray();
    manualSeed(2024);
    expect(rand([3, 4], { dtype: 'float64' }).toArray()).toEqual(r1);
    expect(randn([5], { dtype: 'float64' }).toArray()).toEqual(n1);
    const fresh = new Generator(2024);
    expect(Array.from(r1)).toEqual(Array.from({ length: 12 }, () => fresh.uniform()));
    manualSeed(2025);
    expect(rand([3, 4], { dtype: 'float64' }).toArray()).not.toEqual(r1);
  });

  it('seed() resets a generator; a non-finite seed is refused', () => {
    const g = new Generator(5);
    const first = g.nextUint32();
    g.nextUint32();
    g.seed(5);
    expect(g.nextUint32()).toBe(first);
    expect(() => g.seed(Number.NaN)).toThrow(/manualSeed: seed must be a finite number, got NaN/);
    expect(() => manualSeed(Number.POSITIVE_INFINITY)).toThrow(/seed must be a finite number/);
  });

  it('randperm is a permutation and reproducible', () => {
    const p = randperm(50, new Generator(3));
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(randperm(50, new Generator(3))).toEqual(p);
    expect(p).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});

describe('distributions over 1e5 samples', () => {
  const N = 100_000;
  const moments = (xs: ArrayLike<number>): { mean: number; variance: number; min: number; max: number } => {
    let s = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < xs.length; i++) {
      s += xs[i]!;
      min = Math.min(min, xs[i]!);
      max = Math.max(max, xs[i]!);
    }
    const mean = s / xs.length;
    let v = 0;
    for (let i = 0; i < xs.length; i++) v += (xs[i]! - mean) ** 2;
    return { mean, variance: v / (xs.length - 1), min, max };
  };

  it.each(['float32', 'float64'] as const)('rand (%s) is in [0, 1) with mean 1/2 and variance 1/12', (dtype) => {
    const m = moments(rand([N], { dtype, generator: new Generator(11) }).toArray());
    expect(m.min).toBeGreaterThanOrEqual(0);
    expect(m.max).toBeLessThan(1);
    // 5 standard errors: sd(mean) = sqrt(1/12 / N) ≈ 9e-4; sd(variance) = sqrt(1/180 / N) ≈ 2.4e-4.
    expect(Math.abs(m.mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / N));
    expect(Math.abs(m.variance - 1 / 12)).toBeLessThan(5 * Math.sqrt(1 / 180 / N));
  });

  it.each(['float32', 'float64'] as const)('randn (%s) has mean 0, variance 1 and 68.3 percent within one sd', (dtype) => {
    const xs = randn([N], { dtype, generator: new Generator(12) }).toArray();
    const m = moments(xs);
    // sd(mean) = 1/sqrt(N); sd(sample variance) = sqrt(2/N) for a normal.
    expect(Math.abs(m.mean)).toBeLessThan(5 / Math.sqrt(N));
    expect(Math.abs(m.variance - 1)).toBeLessThan(5 * Math.sqrt(2 / N));
    let inside = 0;
    for (const x of xs) if (Math.abs(x) < 1) inside++;
    const p = 0.682689492;
    expect(Math.abs(inside / N - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / N));
  });

  it('float32 rand never rounds a uniform just below 1 up to 1', () => {
    // A generator at the very top of [0, 1): 1 − 2⁻⁵³ rounds to 1 in float32.
    class TopGenerator extends Generator {
      override uniform(): number {
        return 1 - 2 ** -53;
      }
    }
    const values = randArray([4], 'float32', new TopGenerator()).data;
    for (const v of values) expect(v).toBeLessThan(1);
  });
});
