/**
 * Gradient properties of every differentiable Tensor op, generated from the spec table in
 * `op-specs.ts`: for each spec, fast-check draws RUNS cases (shapes, dims, flags, values away from
 * kinks) and each case must pass `gradcheck` in float64 (full Jacobians: the inputs are small), at
 * tolerances 100× tighter than gradcheck's defaults (TOLERANCE).
 *
 * 30 specs × 40 runs = 1200 gradcheck cases, with fixed seeds (SEED + the spec's index); the
 * file runs in a few seconds. A failure prints the op, the case and gradcheck's table of the worst
 * entries; fast-check prints the seed and the shrunk counterexample, so `fc.assert(..., { seed,
 * path })` replays it.
 * Each spec also lists the features its cases must cover (0-d inputs, size-1 dims, broadcasting,
 * negative dims, keepdim both ways…); the test fails if the drawn cases missed one.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/autograd/creation.js';
import { gradcheck, gradgradcheck } from '../../src/autograd/gradcheck.js';
import { opSpecs, type BoundCase } from './op-specs.js';

const SEED = 20_241_124;
const RUNS = 40;
/**
 * 100× tighter than gradcheck's defaults (atol 1e-5, rtol 1e-3): the inputs are small and well
 * scaled, every case passes at atol 1e-8 / rtol 1e-6, and a 0.1% error in a backward must not hide
 * under the tolerance. A spec may override (`to` computes in float32).
 */
const TOLERANCE = { atol: 1e-7, rtol: 1e-5 };

function describeCase(c: BoundCase): string {
  const inputs = c.inputs.map((d) => `[${d.shape.join(', ')}]${d.requiresGrad ? '' : ' (no grad)'}`).join(', ');
  return `inputs ${inputs}, params ${JSON.stringify(c.params)}`;
}

describe('every differentiable op passes gradcheck on drawn shapes and values', () => {
  it('the spec table covers every differentiable Tensor method', () => {
    const expected = [
      'neg', 'exp', 'log', 'sqrt', 'abs', 'tanh', 'sigmoid', 'relu', 'square',
      'add', 'sub', 'mul', 'div', 'pow', 'matmul',
      'sum', 'mean', 'max', 'var',
      'reshape', 'view', 'transpose', 'permute', 'expand', 'narrow', 'contiguous', 'unsqueeze', 'squeeze', 'flatten',
      'to',
      // issue 13 part A
      'sin', 'cos', 'reciprocal', 'rsqrt', 'log1p', 'expm1', 'log2', 'exp2', 'sign', 'floor', 'ceil', 'round',
      'maximum', 'minimum', 'atan2', 'clamp',
      'min', 'logsumexp', 'std', 'prod', 'cumsum', 'cumprod', 'norm',
      'slice', 'flip', 'roll', 'repeat', 'tile', 'split/chunk/unbind',
      'gather', 'scatter', 'scatterAdd', 'indexSelect', 'maskedSelect', 'maskedFill', 'where', 'sort', 'topk',
    ];
    expect(opSpecs.map((s) => s.name).sort()).toEqual([...expected].sort());
  });

  opSpecs.forEach((spec, i) => {
    const seed = SEED + i;
    it(`${spec.name} passes gradcheck on ${RUNS} drawn cases (seed ${seed})`, () => {
      const seen = new Set<string>();
      fc.assert(
        fc.property(spec.cases, (c) => {
          for (const tag of c.tags) seen.add(tag);
          const inputs = c.inputs.map((d) => tensor(Float64Array.from(d.values), { shape: d.shape, requiresGrad: d.requiresGrad }));
          const result = gradcheck(c.run, inputs, { ...TOLERANCE, ...spec.gradcheck });
          if (!result.ok) throw new Error(`${spec.name} on ${describeCase(c)}\n${result.report}`);
        }),
        { seed, numRuns: RUNS },
      );
      expect(spec.covers.filter((tag) => !seen.has(tag)), 'features the drawn cases never hit').toEqual([]);
    });
  });
});

/** Fewer runs for second derivatives: each gradgradcheck runs a recorded backward per entry. */
const RUNS_SECOND_ORDER = 15;

describe('every differentiable op passes gradgradcheck on drawn shapes and values (one spec drives both)', () => {
  opSpecs.forEach((spec, i) => {
    const seed = SEED + 1000 + i;
    it(`${spec.name} passes gradgradcheck on ${RUNS_SECOND_ORDER} drawn cases (seed ${seed})`, () => {
      fc.assert(
        fc.property(spec.cases, (c) => {
          const inputs = c.inputs.map((d) => tensor(Float64Array.from(d.values), { shape: d.shape, requiresGrad: d.requiresGrad }));
          const result = gradgradcheck(c.run, inputs, { ...TOLERANCE, ...spec.gradcheck });
          if (!result.ok) throw new Error(`${spec.name} on ${describeCase(c)}\n${result.report}`);
        }),
        { seed, numRuns: RUNS_SECOND_ORDER },
      );
    });
  });
});
