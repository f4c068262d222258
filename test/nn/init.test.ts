// nn.init and the default initialisation of Linear/Conv2d against PyTorch's parameters. The numbers
// drawn differ from PyTorch's (another generator), so the samples are checked statistically against
// the exact bounds / mean / std that PyTorch itself passes to uniform_ / normal_, recorded in
// test/fixtures/nn_init.json by make_nn_fixtures.py. Gains and fans are compared exactly.
import { describe, expect, it } from 'vitest';
import { manualSeed, nn, zeros, type Tensor } from '../../src/index.js';
import { Generator } from '../../src/tensor/rng.js';
import { loadFixtures } from '../helpers/fixtures.js';

type Draw = { draw: 'uniform'; a: number; b: number; shape: number[] } | { draw: 'normal'; mean: number; std: number; shape: number[] };

interface InitFile {
  gains: { nonlinearity: nn.init.Nonlinearity; param: number | null; gain: number }[];
  fans: { shape: number[]; fanIn: number; fanOut: number }[];
  inits: { fn: string; shape: number[]; options: Record<string, unknown>; draws: Draw[] }[];
  defaults: { module: 'Linear' | 'Conv2d'; args: Record<string, unknown>; draws: Draw[] }[];
}

const fixture = loadFixtures('../fixtures/nn_init.json', import.meta.url) as unknown as InitFile;

/** At least this many samples per check: the bounds and moments below are then many σ wide. */
const MIN_SAMPLES = 40_000;

/**
 * Checks that `samples` look drawn from `draw`: uniform — all inside [a, b], the extremes within
 * 40/n of the range from the ends (a miss has probability about e^-40), mean within 6σ; normal —
 * mean within 6σ/√n, std within 3% (its standard error is about 0.35% at 40 000 samples).
 */
function checkSamples(label: string, samples: Float64Array, draw: Draw): void {
  const n = samples.length;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of samples) {
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / n;
  let ss = 0;
  for (const v of samples) ss += (v - mean) ** 2;
  const std = Math.sqrt(ss / (n - 1));
  if (draw.draw === 'uniform') {
    const range = draw.b - draw.a;
    expect(min, `${label}: min`).toBeGreaterThanOrEqual(draw.a);
    expect(max, `${label}: max`).toBeLessThanOrEqual(draw.b);
    expect(min - draw.a, `${label}: min near a`).toBeLessThan((40 / n) * range);
    expect(draw.b - max, `${label}: max near b`).toBeLessThan((40 / n) * range);
    expect(Math.abs(mean - (draw.a + draw.b) / 2), `${label}: mean`).toBeLessThan((6 * range) / Math.sqrt(12 * n));
  } else {
    expect(Math.abs(mean - draw.mean), `${label}: mean`).toBeLessThan((6 * draw.std) / Math.sqrt(n));
    expect(Math.abs(std / draw.std - 1), `${label}: std ${std} vs ${draw.std}`).toBeLessThan(0.03);
  }
}

/** Runs `make` until at least `min` values are collected; returns them (as float64). */
function collect(make: () => Tensor, min = MIN_SAMPLES): Float64Array {
  const chunks: Float64Array[] = [];
  let total = 0;
  while (total < min) {
    const values = Float64Array.from(make().toArray());
    chunks.push(values);
    total += values.length;
  }
  const out = new Float64Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const INIT: Record<string, (t: Tensor, o: Record<string, unknown>) => Tensor> = {
  kaimingUniform: (t, o) => nn.init.kaimingUniform(t, o),
  kaimingNormal: (t, o) => nn.init.kaimingNormal(t, o),
  xavierUniform: (t, o) => nn.init.xavierUniform(t, o),
  xavierNormal: (t, o) => nn.init.xavierNormal(t, o),
  uniform: (t, o) => nn.init.uniform(t, o['a'] as number, o['b'] as number),
  normal: (t, o) => nn.init.normal(t, o['mean'] as number, o['std'] as number),
};

describe('nn.init against PyTorch', () => {
  it('calculateGain gives PyTorch\'s gains', () => {
    for (const g of fixture.gains) {
      const got = nn.init.calculateGain(g.nonlinearity, g.param ?? undefined);
      expect(got, `${g.nonlinearity} ${g.param}`).toBeCloseTo(g.gain, 14);
    }
  });

  it('calculateFanInAndFanOut gives PyTorch\'s fans', () => {
    for (const f of fixture.fans) {
      expect(nn.init.calculateFanInAndFanOut(zeros(f.shape)), `[${f.shape}]`).toEqual({ fanIn: f.fanIn, fanOut: f.fanOut });
    }
  });

  for (const c of fixture.inits) {
    it(`${c.fn} ${JSON.stringify(c.options)} [${c.shape}] draws from PyTorch's distribution`, () => {
      manualSeed(11);
      const samples = collect(() => INIT[c.fn]!(zeros(c.shape, { dtype: 'float64' }), c.options));
      checkSamples(c.fn, samples, c.draws[0]!);
    });
  }

  for (const d of fixture.defaults) {
    it(`${d.module} ${JSON.stringify(d.args)}: default initialisation as PyTorch's`, () => {
      manualSeed(12);
      const build = (): nn.Linear | nn.Conv2d => {
        const a = d.args;
        return d.module === 'Linear'
          ? new nn.Linear(a['inFeatures'] as number, a['outFeatures'] as number, { dtype: 'float64' })
          : new nn.Conv2d(a['inChannels'] as number, a['outChannels'] as number, a['kernelSize'] as number, { groups: a['groups'] as number | undefined, dtype: 'float64' });
      };
      // PyTorch draws the weight, then the bias (same order as tsgrad's parameters).
      const [weightDraw, biasDraw] = d.draws;
      expect(weightDraw!.shape).toEqual([...build().weight.shape]);
      checkSamples('weight', collect(() => build().weight), weightDraw!);
      // Fewer bias samples (each build draws a whole weight too): uniform only, so the checks scale with n.
      expect(biasDraw!.draw).toBe('uniform');
      checkSamples('bias', collect(() => build().bias!, 4000), biasDraw!);
    });
  }
});

describe('nn.init behaviour', () => {
  it('fills in place, returns the same tensor, and repeats under the same seed', () => {
    const t = zeros([3, 4]);
    manualSeed(5);
    expect(nn.init.kaimingUniform(t)).toBe(t);
    const first = Array.from(t.toArray());
    manualSeed(5);
    nn.init.kaimingUniform(t);
    expect(Array.from(t.toArray())).toEqual(first);
    expect(first.some((v) => v !== 0)).toBe(true);
  });

  it('draws from an explicit generator without touching the global one', () => {
    manualSeed(5);
    const a = nn.init.normal(zeros([4]), 0, 1, { generator: new Generator(99) }).toArray();
    const b = nn.init.normal(zeros([4]), 0, 1, { generator: new Generator(99) }).toArray();
    expect(Array.from(a)).toEqual(Array.from(b));
    const globalAfter = nn.init.uniform(zeros([2])).toArray();
    manualSeed(5);
    expect(Array.from(nn.init.uniform(zeros([2])).toArray())).toEqual(Array.from(globalAfter));
  });

  it('writes through a non-contiguous view into its storage', () => {
    const base = zeros([2, 3]);
    nn.init.constant(base.transpose(0, 1).narrow(0, 1, 1), 7);
    expect(Array.from(base.toArray())).toEqual([0, 7, 0, 0, 7, 0]);
  });

  it('zeros, ones and constant', () => {
    expect(Array.from(nn.init.ones(zeros([3])).toArray())).toEqual([1, 1, 1]);
    expect(Array.from(nn.init.zeros(nn.init.ones(zeros([2]))).toArray())).toEqual([0, 0]);
    expect(Array.from(nn.init.constant(zeros([2]), -2.5).toArray())).toEqual([-2.5, -2.5]);
  });

  it('clear errors: fewer than 2 dims for fan-based inits, bad mode, bad uniform range', () => {
    expect(() => nn.init.kaimingUniform(zeros([5]))).toThrow(/init\.kaimingUniform: fan in and fan out cannot be computed .*shape \[5\]/);
    expect(() => nn.init.xavierNormal(zeros([5]))).toThrow(/init\.xavierNormal/);
    expect(() => nn.init.kaimingNormal(zeros([2, 2]), { mode: 'fan_sideways' as nn.init.FanMode })).toThrow(/mode must be 'fan_in' or 'fan_out'/);
    expect(() => nn.init.uniform(zeros([2]), 1, 0)).toThrow(/a <= b/);
    expect(() => nn.init.calculateGain('swish' as nn.init.Nonlinearity)).toThrow(/unsupported nonlinearity "swish"/);
  });

  it('a zero-element tensor is left alone (PyTorch warns and returns it)', () => {
    const t = zeros([0, 3]);
    expect(nn.init.kaimingUniform(t)).toBe(t);
    expect(nn.init.xavierUniform(t)).toBe(t);
  });
});
