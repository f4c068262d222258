// convTranspose2d is the adjoint of conv2d, conv1d and the 1-d pools equal their 2-d forms on a
// height-1 image, and all of them pass gradcheck and gradgradcheck on drawn geometries. Modules:
// PyTorch's parameter shapes and state-dict keys.
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { F, Generator, gradcheck, gradgradcheck, nn, ones, tensor, type Tensor } from '../../src/index.js';

const SEED = 20_261_204;

function t(shape: readonly number[], gen: Generator, requiresGrad = true): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  return tensor(Float64Array.from({ length: n }, () => gen.normal()), { shape, requiresGrad });
}

function dot(a: Tensor, b: Tensor): number {
  const x = a.toArray();
  const y = b.toArray();
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}

const geometry = fc.record({
  n: fc.integer({ min: 1, max: 2 }),
  groups: fc.integer({ min: 1, max: 2 }),
  cInG: fc.integer({ min: 1, max: 2 }),
  cOutG: fc.integer({ min: 1, max: 2 }),
  k: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  padding: fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 })),
  dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
  size: fc.tuple(fc.integer({ min: 3, max: 7 }), fc.integer({ min: 3, max: 7 })),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
});

describe('convTranspose2d', () => {
  it('is the adjoint of conv2d: ⟨conv2d(x, W), y⟩ = ⟨x, convTranspose2d(y, W)⟩ on drawn geometries', () => {
    fc.assert(
      fc.property(geometry, (g) => {
        const gen = new Generator(g.seed);
        const cIn = g.cInG * g.groups;
        const cOut = g.cOutG * g.groups;
        const [h, w] = g.size;
        const spanH = g.dilation[0] * (g.k[0] - 1) + 1;
        const spanW = g.dilation[1] * (g.k[1] - 1) + 1;
        fc.pre(spanH <= h + 2 * g.padding[0] && spanW <= w + 2 * g.padding[1]);
        const x = t([g.n, cIn, h, w], gen, false);
        const W = t([cOut, g.cInG, g.k[0], g.k[1]], gen, false);
        const y = F.conv2d(x, W, null, { stride: g.stride, padding: g.padding, dilation: g.dilation, groups: g.groups });
        const v = t(y.shape, gen, false);
        // The output padding that makes the transposed convolution's output x's size again.
        const outputPadding = [0, 1].map((d) => g.size[d]! - ((y.shape[2 + d]! - 1) * g.stride[d]! - 2 * g.padding[d]! + g.dilation[d]! * (g.k[d]! - 1) + 1)) as [number, number];
        fc.pre(outputPadding.every((p, d) => p < g.stride[d]! || p < g.dilation[d]!));
        const back = F.convTranspose2d(v, W, null, { stride: g.stride, padding: g.padding, dilation: g.dilation, groups: g.groups, outputPadding });
        expect(back.shape).toEqual(x.shape);
        const lhs = dot(y, v);
        const rhs = dot(x, back);
        expect(Math.abs(lhs - rhs)).toBeLessThan(1e-10 * Math.max(1, Math.abs(lhs)));
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('passes gradcheck and gradgradcheck with bias, groups, stride, dilation, outputPadding', () => {
    fc.assert(
      fc.property(geometry, (g) => {
        const gen = new Generator(g.seed);
        const cIn = g.cInG * g.groups;
        const op = [g.stride[0] > 1 ? 1 : 0, 0] as [number, number];
        const x = t([g.n, cIn, 3, 3], gen);
        const W = t([cIn, g.cOutG, g.k[0], g.k[1]], gen);
        const b = t([g.cOutG * g.groups], gen);
        const fn = (xx: Tensor, ww: Tensor, bb: Tensor): Tensor =>
          F.convTranspose2d(xx, ww, bb, { stride: g.stride, padding: [0, 0], dilation: g.dilation, groups: g.groups, outputPadding: op }).tanh();
        const first = gradcheck(fn, [x, W, b]);
        expect(first.ok, first.report).toBe(true);
        const second = gradgradcheck(fn, [x, W, b]);
        expect(second.ok, second.report).toBe(true);
      }),
      { seed: SEED + 1, numRuns: 12 },
    );
  });

  it('bad input: channel mismatch, outputPadding too large, a bias of the wrong size', () => {
    const gen = new Generator(0);
    expect(() => F.convTranspose2d(t([1, 3, 4, 4], gen), t([2, 2, 3, 3], gen))).toThrow(/convTranspose2d: the weight's first dim \(2\) must equal the input's channels \(3\)/);
    expect(() => F.convTranspose2d(t([1, 2, 4, 4], gen), t([2, 2, 3, 3], gen), null, { stride: 2, outputPadding: 2 })).toThrow(/outputPadding \[2, 2\] must be smaller than either stride/);
    expect(() => F.convTranspose2d(t([1, 2, 4, 4], gen), t([2, 2, 3, 3], gen), t([3], gen))).toThrow(/bias must have shape \[2\]/);
  });
});

describe('conv1d and the 1-d pools', () => {
  it('equal the 2-d forms on a height-1 image, and pass gradcheck and gradgradcheck', () => {
    const gen = new Generator(3);
    const x = t([2, 4, 9], gen);
    const w = t([6, 2, 3], gen);
    const b = t([6], gen);
    const y = F.conv1d(x, w, b, { stride: 2, padding: 1, dilation: 2, groups: 2 });
    const y2 = F.conv2d(x.unsqueeze(2), w.unsqueeze(2), b, { stride: [1, 2], padding: [0, 1], dilation: [1, 2], groups: 2 }).squeeze(2);
    expect(Array.from(y.toArray())).toEqual(Array.from(y2.toArray()));
    for (const [name, fn] of [
      ['conv1d', (a: Tensor, ww: Tensor) => F.conv1d(a, ww, null, { padding: 1 })],
      ['maxPool1d', (a: Tensor) => F.maxPool1d(a, { kernelSize: 3, stride: 2, padding: 1 })],
      ['avgPool1d', (a: Tensor) => F.avgPool1d(a, { kernelSize: 2, ceilMode: true, countIncludePad: false })],
    ] as const) {
      const inputs = name === 'conv1d' ? [t([1, 2, 6], gen), t([3, 2, 3], gen)] : [t([1, 2, 7], gen)];
      const f = (...xs: Tensor[]): Tensor => (fn as (...a: Tensor[]) => Tensor)(...xs).sigmoid();
      const r1 = gradcheck(f, inputs);
      expect(r1.ok, `${name}\n${r1.report}`).toBe(true);
      const r2 = gradgradcheck(f, inputs);
      expect(r2.ok, `${name}\n${r2.report}`).toBe(true);
    }
  });

  it('dropout2d zeroes whole channels and scales the rest; the identity in eval', () => {
    const y = F.dropout2d(ones([3, 8, 2, 2]), 0.5, true, new Generator(1));
    const v = y.toArray();
    let zeroed = 0;
    for (let c = 0; c < 24; c++) {
      const channel = Array.from(v.slice(4 * c, 4 * c + 4));
      expect(new Set(channel).size, 'one value per channel').toBe(1);
      expect([0, 2]).toContain(channel[0]);
      if (channel[0] === 0) zeroed++;
    }
    expect(zeroed).toBeGreaterThan(0);
    expect(zeroed).toBeLessThan(24);
    const drop = new nn.Dropout2d(0.5).eval();
    expect(Array.from(drop.call(ones([1, 2, 1, 1])).toArray())).toEqual([1, 1]);
  });
});

describe('modules: PyTorch shapes and state-dict keys', () => {
  it('ConvTranspose2d, Conv1d, MaxPool1d, AvgPool1d', () => {
    const up = new nn.ConvTranspose2d(4, 6, 3, { stride: 2, groups: 2 });
    expect(up.weight.shape).toEqual([4, 3, 3, 3]);
    expect([...up.stateDict().keys()]).toEqual(['weight', 'bias']);
    expect(up.call(ones([1, 4, 5, 5])).shape).toEqual([1, 6, 11, 11]);
    const c = new nn.Conv1d(4, 6, 3, { groups: 2, bias: false });
    expect(c.weight.shape).toEqual([6, 2, 3]);
    expect([...c.stateDict().keys()]).toEqual(['weight']);
    expect(new nn.MaxPool1d(2).call(ones([1, 2, 6])).shape).toEqual([1, 2, 3]);
    expect(new nn.AvgPool1d(3, { stride: 1 }).call(ones([2, 6])).shape).toEqual([2, 4]);
    // PyTorch's initialisation bound for ConvTranspose2d: fan-in = weight.shape[1]·kH·kW = 27.
    const bound = 1 / Math.sqrt(27);
    expect(Array.from(up.bias!.toArray()).every((b) => Math.abs(b) <= bound)).toBe(true);
    expect(() => up.call(ones([1, 3, 5, 5]))).toThrow(/expected input of shape \[N, 4, H, W\]/);
  });
});
