// gradcheck and gradgradcheck (float64 central differences, full Jacobians for these small inputs) on drawn cases of
// every differentiable F function: conv2d over strides/paddings/dilations/groups/shapes (N = 1 and
// size-1 dims included), every pooling mode, every activation and loss, pad/cat/stack, linear and
// dropout (with a fixed mask). Fixed seeds (SEED + an index per property); a failure prints the
// case and gradcheck's table of the worst entries, and fast-check prints the seed and path to replay.
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { F, Generator, gradcheck, gradgradcheck, tensor, type Tensor } from '../../src/index.js';

const SEED = 20_241_211;

/** A float64 tensor of `shape` with values from `values(i)`. */
function t(shape: readonly number[], values: (i: number) => number, requiresGrad = true): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  return tensor(Float64Array.from({ length: n }, (_, i) => values(i)), { shape, requiresGrad });
}

function normal(gen: Generator, scale = 1): (i: number) => number {
  return () => gen.normal() * scale;
}

/** Normal values pushed at least 0.1 away from 0 (the kink of relu and leakyRelu). */
function awayFromZero(gen: Generator): (i: number) => number {
  return () => {
    const v = gen.normal();
    return v >= 0 ? v + 0.1 : v - 0.1;
  };
}

/** Distinct values, every pair at least 0.1 apart: no ties for max pooling, even after a gradcheck step. */
function distinct(gen: Generator, n: number): (i: number) => number {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = gen.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return (i) => (order[i]! - n / 2) * 0.15 + gen.uniform() * 0.05;
}

/** gradcheck and gradgradcheck: every F function's first and second derivatives. */
function checkGrad(label: string, fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): void {
  const result = gradcheck(fn, inputs);
  if (!result.ok) throw new Error(`${label}\n${result.report}`);
  const second = gradgradcheck(fn, inputs);
  if (!second.ok) throw new Error(`${label} (second derivatives)\n${second.report}`);
}

const seedArb = fc.integer({ min: 0, max: 1_000_000 });
const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 });

describe('conv2d passes gradcheck', () => {
  it('over drawn stride/padding/dilation/groups/shapes, with and without bias', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(
        fc.record({
          n: fc.integer({ min: 1, max: 2 }),
          groups: fc.integer({ min: 1, max: 2 }),
          cInG: fc.integer({ min: 1, max: 2 }),
          cOutG: fc.integer({ min: 1, max: 2 }),
          kH: fc.integer({ min: 1, max: 3 }),
          kW: fc.integer({ min: 1, max: 3 }),
          stride: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
          padding: fc.oneof(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })), fc.constant('same' as const)),
          dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
          extraH: fc.integer({ min: 0, max: 2 }),
          extraW: fc.integer({ min: 0, max: 3 }),
          bias: fc.boolean(),
          unbatched: fc.boolean(),
          seed: seedArb,
        }),
        (c) => {
          const gen = new Generator(c.seed);
          const stride: [number, number] = c.padding === 'same' ? [1, 1] : c.stride;
          const pads = c.padding === 'same' ? [0, 0] : c.padding;
          const h = Math.max(1, c.dilation[0] * (c.kH - 1) + 1 - 2 * pads[0]!) + c.extraH;
          const w = Math.max(1, c.dilation[1] * (c.kW - 1) + 1 - 2 * pads[1]!) + c.extraW;
          const cIn = c.cInG * c.groups;
          const cOut = c.cOutG * c.groups;
          const xShape = c.unbatched && c.n === 1 ? [cIn, h, w] : [c.n, cIn, h, w];
          const inputs = [t(xShape, normal(gen)), t([cOut, c.cInG, c.kH, c.kW], normal(gen))];
          if (c.bias) inputs.push(t([cOut], normal(gen)));
          if (c.groups > 1) seen.add('groups');
          if (c.padding === 'same') seen.add('same');
          if (stride[0] > 1 || stride[1] > 1) seen.add('stride');
          if (c.dilation[0] > 1 || c.dilation[1] > 1) seen.add('dilation');
          if (xShape.length === 3) seen.add('unbatched');
          if (c.n === 1) seen.add('N=1');
          if (h === 1 || w === 1 || c.kH === 1 || c.kW === 1) seen.add('size-1 dim');
          const options = { stride, padding: c.padding, dilation: c.dilation, groups: c.groups };
          checkGrad(`conv2d x ${JSON.stringify(xShape)} ${JSON.stringify(c)}`, (x, wt, b) => F.conv2d(x!, wt!, b, options), inputs);
        },
      ),
      { seed: SEED, numRuns: 30 },
    );
    expect([...seen].sort()).toEqual(['N=1', 'dilation', 'groups', 'same', 'size-1 dim', 'stride', 'unbatched']);
  });
});

const poolArb = fc.record({
  n: fc.integer({ min: 1, max: 2 }),
  c: fc.integer({ min: 1, max: 2 }),
  kH: fc.integer({ min: 1, max: 3 }),
  kW: fc.integer({ min: 1, max: 3 }),
  stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  pad: fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 })),
  dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
  extraH: fc.integer({ min: 0, max: 4 }),
  extraW: fc.integer({ min: 0, max: 4 }),
  ceilMode: fc.boolean(),
  countIncludePad: fc.boolean(),
  divisorOverride: fc.constantFrom(undefined, undefined, 2.5),
  unbatched: fc.boolean(),
  seed: seedArb,
});

type PoolCase = typeof poolArb extends fc.Arbitrary<infer T> ? T : never;

/**
 * A pooling input that fits the window, and the padding clipped to half the kernel. With dilation
 * the input is at least one dilated span wide: a narrower one can leave a window whose taps all
 * fall in the padding (output −∞, as in PyTorch), where central differences are meaningless.
 */
function poolInput(c: PoolCase, dilated: boolean): { shape: number[]; padding: [number, number]; dilation: [number, number] } {
  const dilation: [number, number] = dilated ? c.dilation : [1, 1];
  const padding: [number, number] = [Math.min(c.pad[0], Math.floor(c.kH / 2)), Math.min(c.pad[1], Math.floor(c.kW / 2))];
  const fitH = dilated ? 0 : 2 * padding[0];
  const fitW = dilated ? 0 : 2 * padding[1];
  const h = Math.max(1, dilation[0] * (c.kH - 1) + 1 - fitH) + c.extraH;
  const w = Math.max(1, dilation[1] * (c.kW - 1) + 1 - fitW) + c.extraW;
  return { shape: c.unbatched ? [c.c, h, w] : [c.n, c.c, h, w], padding, dilation };
}

describe('pooling passes gradcheck', () => {
  it('maxPool2d over drawn windows (no ties), ceilMode both ways', () => {
    fc.assert(
      fc.property(poolArb, (c) => {
        const { shape, padding, dilation } = poolInput(c, true);
        const x = t(shape, distinct(new Generator(c.seed), shape.reduce((p, d) => p * d, 1)));
        const options = { kernelSize: [c.kH, c.kW] as [number, number], stride: c.stride, padding, dilation, ceilMode: c.ceilMode };
        checkGrad(`maxPool2d ${JSON.stringify(shape)} ${JSON.stringify(options)}`, (v) => F.maxPool2d(v!, options), [x]);
      }),
      { seed: SEED + 1, numRuns: 30 },
    );
  });

  it('avgPool2d over drawn windows, countIncludePad and ceilMode both ways, divisorOverride', () => {
    fc.assert(
      fc.property(poolArb, (c) => {
        const { shape, padding } = poolInput(c, false);
        const x = t(shape, normal(new Generator(c.seed)));
        const options = {
          kernelSize: [c.kH, c.kW] as [number, number], stride: c.stride, padding, ceilMode: c.ceilMode,
          countIncludePad: c.countIncludePad, divisorOverride: c.divisorOverride,
        };
        checkGrad(`avgPool2d ${JSON.stringify(shape)} ${JSON.stringify(options)}`, (v) => F.avgPool2d(v!, options), [x]);
      }),
      { seed: SEED + 2, numRuns: 30 },
    );
  });

  it('adaptiveAvgPool2d over drawn input and output sizes (null keeps a size)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }),
        fc.option(fc.integer({ min: 1, max: 5 })), fc.integer({ min: 1, max: 5 }), seedArb,
        (c, h, w, outH, outW, seed) => {
          const x = t([1, c, h, w], normal(new Generator(seed)));
          const size: [number | null, number] = [outH, outW];
          checkGrad(`adaptiveAvgPool2d [1, ${c}, ${h}, ${w}] -> ${JSON.stringify(size)}`, (v) => F.adaptiveAvgPool2d(v!, size), [x]);
        },
      ),
      { seed: SEED + 3, numRuns: 25 },
    );
  });
});

describe('activations, softmax and linear pass gradcheck', () => {
  const activations: [string, (x: Tensor, slope: number) => Tensor][] = [
    ['relu', (x) => F.relu(x)],
    ['leakyRelu', (x, slope) => F.leakyRelu(x, slope)],
    ['gelu', (x) => F.gelu(x)],
    ['gelu tanh', (x) => F.gelu(x, { approximate: 'tanh' })],
    ['sigmoid', (x) => F.sigmoid(x)],
    ['tanh', (x) => F.tanh(x)],
    ['silu', (x) => F.silu(x)],
    ['softsign', (x) => F.softsign(x)],
    ['prelu (one slope)', (x, slope) => F.prelu(x, tensor([slope], { dtype: 'float64' }))],
    ['glu over a doubled last dim', (x) => F.glu(F.cat([x, x.mul(0.5)], -1))],
    ['l1Loss against zeros', (x) => F.l1Loss(x, x.detach().mul(0), { reduction: 'sum' })],
    ['elu (alpha from the slope draw)', (x, slope) => F.elu(x, { alpha: 0.5 + slope })],
    ['selu', (x) => F.selu(x)],
    ['softplus', (x) => F.softplus(x)],
    ['softplus beta 2 threshold 1 (both branches)', (x) => F.softplus(x, { beta: 2, threshold: 1 })],
    ['mish', (x) => F.mish(x)],
    ['logSigmoid', (x) => F.logSigmoid(x)],
  ];
  activations.forEach(([name, fn], i) => {
    it(`${name} on drawn shapes`, () => {
      fc.assert(
        fc.property(shapeArb, seedArb, fc.double({ min: 0, max: 0.5, noNaN: true }), (shape, seed, slope) => {
          const x = t(shape, awayFromZero(new Generator(seed)));
          checkGrad(`${name} ${JSON.stringify(shape)}`, (v) => fn(v!, slope), [x]);
        }),
        { seed: SEED + 10 + i, numRuns: 15 },
      );
    });
  });

  // The clamped ones on values kept 0.1 away from their kinks (the bounds, ±3), so central
  // differences never straddle one.
  const hard: [string, readonly number[], (x: Tensor) => Tensor][] = [
    ['hardtanh [-0.5, 1.5]', [-0.5, 1.5], (x) => F.hardtanh(x, { minVal: -0.5, maxVal: 1.5 })],
    ['relu6', [0, 6], (x) => F.relu6(x)],
    ['hardswish', [-3, 3], (x) => F.hardswish(x)],
    ['hardsigmoid', [-3, 3], (x) => F.hardsigmoid(x)],
  ];
  hard.forEach(([name, kinks, fn], i) => {
    it(`${name} on drawn shapes, away from its kinks ${JSON.stringify(kinks)}`, () => {
      fc.assert(
        fc.property(shapeArb, seedArb, (shape, seed) => {
          const gen = new Generator(seed);
          const x = t(shape, () => {
            let v = gen.normal() * 4 + 1;
            for (const k of kinks) if (Math.abs(v - k) < 0.1) v = k + 0.2;
            return v;
          });
          checkGrad(`${name} ${JSON.stringify(shape)}`, (v) => fn(v!), [x]);
        }),
        { seed: SEED + 60 + i, numRuns: 15 },
      );
    });
  });

  (['softmax', 'logSoftmax'] as const).forEach((name, i) => {
    it(`${name} on drawn shapes and dims (negative dims too)`, () => {
      fc.assert(
        fc.property(shapeArb, seedArb, fc.integer({ min: -3, max: 2 }), (shape, seed, rawDim) => {
          const dim = ((rawDim % shape.length) + shape.length) % shape.length - (rawDim < 0 ? shape.length : 0);
          const x = t(shape, normal(new Generator(seed), 2));
          checkGrad(`${name} ${JSON.stringify(shape)} dim ${dim}`, (v) => F[name](v!, dim), [x]);
        }),
        { seed: SEED + 20 + i, numRuns: 20 },
      );
    });
  });

  it('softmax and logSoftmax stay finite and correct on large logits (float64 and float32)', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const x = tensor([[1e4, 0, -1e4], [1000, 1000, 999], [-5e3, -5e3, -5e3]], { dtype, requiresGrad: true });
      const logp = F.logSoftmax(x, 1);
      const p = F.softmax(x, 1);
      const lv = logp.toArray();
      const pv = p.toArray();
      expect([...lv, ...pv].every(Number.isFinite)).toBe(true);
      // Row 0: log p = x − 1e4 exactly (the other terms underflow); row 2: uniform.
      expect([lv[0], lv[1], lv[2]]).toEqual([0, -1e4, -2e4]);
      expect(pv[6]).toBeCloseTo(1 / 3, 6);
      // Row 1: two equal logits and one 1 less: p = e^0 / (2 + e^−1).
      expect(pv[3]).toBeCloseTo(1 / (2 + Math.exp(-1)), 6);
      logp.sum().add(p.sum()).backward();
      expect(Array.from(x.grad!.toArray()).every(Number.isFinite)).toBe(true);
    }
    // gradcheck at large logits too (the gradient is far from zero only near ties).
    checkGrad('logSoftmax large', (v) => F.logSoftmax(v!, 1), [t([2, 3], (i) => [1000, 1000.5, 999, -3000, -3001, -3000.25][i]!)]);
    checkGrad('softmax large', (v) => F.softmax(v!, 0), [t([3], (i) => [5000, 5000.3, 4999.5][i]!)]);
  });

  it('linear on drawn batch shapes, with and without bias', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }), fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }), fc.boolean(), seedArb, (batch, inF, outF, bias, seed) => {
          const gen = new Generator(seed);
          const inputs = [t([...batch, inF], normal(gen)), t([outF, inF], normal(gen))];
          if (bias) inputs.push(t([outF], normal(gen)));
          checkGrad(`linear [${batch}, ${inF}] -> ${outF}`, (x, w, b) => F.linear(x!, w!, b), inputs);
        }),
      { seed: SEED + 30, numRuns: 20 },
    );
  });
});

describe('losses pass gradcheck', () => {
  const lossArb = fc.record({
    n: fc.integer({ min: 1, max: 4 }),
    classes: fc.integer({ min: 2, max: 5 }),
    spatial: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 1 }),
    reduction: fc.constantFrom('mean' as const, 'sum' as const, 'none' as const),
    labelSmoothing: fc.constantFrom(0, 0.1, 0.5, 1),
    ignoreIndex: fc.constantFrom(-100, 0, 1),
    ignoreSome: fc.boolean(),
    weighted: fc.boolean(),
    seed: seedArb,
  });

  type LossCase = typeof lossArb extends fc.Arbitrary<infer T> ? T : never;

  /** Logits, targets (some ignored, never all) and a class weight for a drawn case. */
  function lossInputs(c: LossCase): { x: Tensor; targets: Tensor; weight: Tensor | null } {
    const gen = new Generator(c.seed);
    const shape = [c.n, c.classes, ...c.spatial];
    const count = c.n * c.spatial.reduce((p, d) => p * d, 1);
    const classes = Array.from({ length: count }, () => gen.int(c.classes));
    if (c.ignoreSome) for (let i = 1; i < count; i += 2) classes[i] = c.ignoreIndex;
    // At least one target is a class that is not ignored, so 'mean' has a non-zero divisor.
    classes[0] = c.ignoreIndex === 0 ? 1 : 0;
    const targets = tensor(classes, { shape: [c.n, ...c.spatial], dtype: 'float64' });
    const weight = c.weighted ? t([c.classes], () => 0.5 + gen.uniform(), false) : null;
    return { x: t(shape, normal(gen, 2)), targets, weight };
  }

  it('crossEntropy: reductions, label smoothing, ignoreIndex, class weights, [N, C, d] inputs', () => {
    fc.assert(
      fc.property(lossArb, (c) => {
        const { x, targets, weight } = lossInputs(c);
        const options = { reduction: c.reduction, labelSmoothing: c.labelSmoothing, ignoreIndex: c.ignoreIndex, weight };
        checkGrad(`crossEntropy ${JSON.stringify(c)}`, (v) => F.crossEntropy(v!, targets, options), [x]);
      }),
      { seed: SEED + 40, numRuns: 30 },
    );
  });

  it('nllLoss: reductions, ignoreIndex, class weights, [N, C, d] inputs', () => {
    fc.assert(
      fc.property(lossArb, (c) => {
        const { x, targets, weight } = lossInputs(c);
        const options = { reduction: c.reduction, ignoreIndex: c.ignoreIndex, weight };
        checkGrad(`nllLoss ${JSON.stringify(c)}`, (v) => F.nllLoss(v!, targets, options), [x]);
      }),
      { seed: SEED + 41, numRuns: 25 },
    );
  });

  it('mseLoss: reductions, gradients for both operands, broadcasting', () => {
    fc.assert(
      fc.property(shapeArb, fc.boolean(), fc.constantFrom('mean' as const, 'sum' as const, 'none' as const), seedArb,
        (shape, broadcast, reduction, seed) => {
          const gen = new Generator(seed);
          const a = t(shape, normal(gen));
          const b = t(broadcast ? shape.slice(1) : shape, normal(gen));
          checkGrad(`mseLoss ${JSON.stringify(shape)} ${reduction}`, (u, v) => F.mseLoss(u!, v!, { reduction }), [a, b]);
        }),
      { seed: SEED + 42, numRuns: 20 },
    );
  });
});

describe('the losses and distances of issue 14 pass gradcheck (both operands)', () => {
  const reductionArb = fc.constantFrom('mean' as const, 'sum' as const, 'none' as const);

  it('smoothL1Loss and huberLoss: drawn beta/delta, reductions, broadcast targets', () => {
    fc.assert(
      fc.property(shapeArb, fc.boolean(), reductionArb, fc.double({ min: 0.2, max: 2, noNaN: true }), seedArb,
        (shape, broadcast, reduction, width, seed) => {
          const gen = new Generator(seed);
          const b = t(broadcast ? shape.slice(1) : shape, normal(gen));
          // a = b + d with |d| kept 0.1 off the seam |d| = width of the two pieces (the gradient
          // is continuous there, the second derivative is not).
          const d = t(shape, () => {
            const v = gen.normal() * 2;
            return Math.abs(Math.abs(v) - width) < 0.1 ? v + 0.25 * Math.sign(v || 1) : v;
          }, false);
          const sum = b.expand(shape).add(d).toArray();
          const a = t(shape, (i) => sum[i]!);
          checkGrad(`smoothL1Loss ${JSON.stringify(shape)} beta ${width} ${reduction}`, (u, v) => F.smoothL1Loss(u!, v!, { beta: width, reduction }), [a, b]);
          checkGrad(`huberLoss ${JSON.stringify(shape)} delta ${width} ${reduction}`, (u, v) => F.huberLoss(u!, v!, { delta: width, reduction }), [a, b]);
        }),
      { seed: SEED + 70, numRuns: 20 },
    );
  });

  it('binaryCrossEntropy and binaryCrossEntropyWithLogits: weights, posWeight, reductions', () => {
    fc.assert(
      fc.property(shapeArb, reductionArb, fc.boolean(), fc.boolean(), seedArb, (shape, reduction, weighted, pos, seed) => {
        const gen = new Generator(seed);
        const probs = t(shape, () => 0.1 + 0.8 * gen.uniform());
        const target = t(shape, () => gen.uniform());
        const last = shape[shape.length - 1]!;
        const weight = weighted ? t([last], () => 0.5 + gen.uniform(), false) : null;
        const posWeight = pos ? t([last], () => 0.5 + 2 * gen.uniform(), false) : null;
        checkGrad(`binaryCrossEntropy ${JSON.stringify(shape)} ${reduction}`,
          (x, y) => F.binaryCrossEntropy(x!, y!, { weight, reduction }), [probs, target]);
        const logits = t(shape, normal(gen, 3));
        checkGrad(`binaryCrossEntropyWithLogits ${JSON.stringify(shape)} ${reduction}`,
          (x, y) => F.binaryCrossEntropyWithLogits(x!, y!, { weight, posWeight, reduction }), [logits, target]);
      }),
      { seed: SEED + 71, numRuns: 20 },
    );
  });

  it('klDiv: every reduction, logTarget both ways', () => {
    fc.assert(
      fc.property(shapeArb, fc.constantFrom('mean' as const, 'sum' as const, 'none' as const, 'batchmean' as const), fc.boolean(), seedArb,
        (shape, reduction, logTarget, seed) => {
          const gen = new Generator(seed);
          const input = t(shape, normal(gen));
          // Targets away from 0 (xlogy's kink) when given as probabilities.
          const target = t(shape, logTarget ? normal(gen) : () => 0.05 + gen.uniform());
          checkGrad(`klDiv ${JSON.stringify(shape)} ${reduction} logTarget ${logTarget}`, (x, y) => F.klDiv(x!, y!, { reduction, logTarget }), [input, target]);
        }),
      { seed: SEED + 72, numRuns: 20 },
    );
  });

  it('cosineSimilarity over drawn dims (broadcast too) and pairwiseDistance over drawn p', () => {
    fc.assert(
      fc.property(shapeArb, fc.nat(), fc.boolean(), fc.constantFrom(1, 1.5, 2, 3), fc.boolean(), seedArb,
        (shape, rawDim, broadcast, p, keepdim, seed) => {
          const gen = new Generator(seed);
          const a = t(shape, normal(gen));
          const b = t(broadcast ? shape.slice(1) : shape, normal(gen));
          const dim = rawDim % shape.length;
          checkGrad(`cosineSimilarity ${JSON.stringify(shape)} dim ${dim}`, (u, v) => F.cosineSimilarity(u!, v!, { dim }), [a, b]);
          // p = 1 has a kink where a component of x1 − x2 + eps is 0: drawn normals never land there.
          checkGrad(`pairwiseDistance ${JSON.stringify(shape)} p ${p}`, (u, v) => F.pairwiseDistance(u!, v!, { p, keepdim }), [a, b]);
        }),
      { seed: SEED + 73, numRuns: 20 },
    );
  });
});

describe('pad, cat, stack and dropout pass gradcheck', () => {
  it('pad with drawn pads (negative ones crop) and values', () => {
    fc.assert(
      fc.property(shapeArb, fc.array(fc.integer({ min: -1, max: 2 }), { minLength: 1, maxLength: 6 }), seedArb, (shape, raw, seed) => {
        const pads = raw.slice(0, 2 * Math.min(shape.length, Math.floor(raw.length / 2)));
        // Crops may not remove more than a dim holds.
        for (let k = 0; k < pads.length / 2; k++) {
          const size = shape[shape.length - 1 - k]!;
          if (Math.max(0, -pads[2 * k]!) + Math.max(0, -pads[2 * k + 1]!) > size) pads[2 * k] = 0;
        }
        const x = t(shape, normal(new Generator(seed)));
        checkGrad(`pad ${JSON.stringify(shape)} ${JSON.stringify(pads)}`, (v) => F.pad(v!, pads, 1.5), [x]);
      }),
      { seed: SEED + 50, numRuns: 20 },
    );
  });

  it('cat and stack of 1 to 3 tensors along drawn dims', () => {
    fc.assert(
      fc.property(shapeArb, fc.integer({ min: 1, max: 3 }), fc.nat(), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }), seedArb,
        (shape, count, rawDim, sizes, seed) => {
          const gen = new Generator(seed);
          const dim = rawDim % shape.length;
          const parts = Array.from({ length: count }, (_, i) => t(shape.map((s, d) => (d === dim ? sizes[i]! : s)), normal(gen)));
          checkGrad(`cat dim ${dim}`, (...xs) => F.cat(xs, dim), parts);
          const same = Array.from({ length: count }, () => t(shape, normal(gen)));
          const stackDim = (rawDim % (shape.length + 1)) - (rawDim % 2 === 0 ? 0 : shape.length + 1);
          checkGrad(`stack dim ${stackDim}`, (...xs) => F.stack(xs, stackDim), same);
        }),
      { seed: SEED + 51, numRuns: 20 },
    );
  });

  it('dropout with a fixed mask (a fresh generator with the same seed on every evaluation)', () => {
    fc.assert(
      fc.property(shapeArb, fc.double({ min: 0, max: 0.9, noNaN: true }), seedArb, (shape, p, seed) => {
        const x = t(shape, normal(new Generator(seed)));
        checkGrad(`dropout p=${p}`, (v) => F.dropout(v!, p, true, new Generator(seed)), [x]);
      }),
      { seed: SEED + 52, numRuns: 15 },
    );
  });
});
