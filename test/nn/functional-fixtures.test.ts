// Every F function against PyTorch 1.13 (test/fixtures/functional.json, written by
// test/fixtures/make_functional_fixtures.py): the output, and the gradients of sum(out · G) for a
// random upstream gradient G, in float64 at 1e-10 relative; and once more in float32 at float32
// precision (the same inputs: the script rounds them to float32 first).
import { describe, expect, it } from 'vitest';
import type { DType } from '../../src/tensor/dtype.js';
import { assertClose, fixtureTensor, loadFixtures, type OpCase, type Tolerance } from '../helpers/fixtures.js';

import { runFunctional as run, type Params } from '../helpers/functional-ops.js';

const file = loadFixtures<OpCase<Params>>('../fixtures/functional.json', import.meta.url);

/** Runs a case in `dtype` and throws a readable error at the first mismatch. */
function check(c: OpCase<Params>, dtype: DType, tol: Tolerance): void {
  const xs = c.inputs.map((t) => fixtureTensor(t, dtype, t.requiresGrad));
  const out = run(c.op, c.params, xs);
  expect(out.dtype).toBe(dtype);
  assertClose(`${c.name} (${dtype}): output`, out, c.output, scaled(tol, c.output.values));
  if (!c.grads.some((g) => g !== null)) return;
  out.backward(fixtureTensor(c.gradOutput, dtype));
  c.grads.forEach((expected, i) => {
    if (expected === null) return;
    const grad = xs[i]!.grad;
    if (grad === null) throw new Error(`${c.name} (${dtype}): input ${i} got no gradient`);
    assertClose(`${c.name} (${dtype}): grad of input ${i}`, grad, expected, scaled(tol, expected.values));
  });
}

/**
 * The tolerance for one array: rtol relative to each element, plus an absolute floor of rtol times
 * the array's largest magnitude (an element that is a near-cancelling sum of larger terms, e.g. a
 * gradient close to 0, cannot be held to 1e-10 of itself).
 */
function scaled(tol: Tolerance, values: readonly (number | string)[]): Tolerance {
  const finite = values.filter((v): v is number => typeof v === 'number');
  const scale = finite.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  return { rtol: tol.rtol, atol: Math.max(tol.atol, tol.rtol * scale) };
}

describe('F functions match PyTorch (test/fixtures/functional.json)', () => {
  it('covers every F function except dropout (random) and erf-backed gelu too', () => {
    const ops = new Set(file.cases.map((c) => c.op));
    const expected = [
      'linear', 'conv2d', 'maxPool2d', 'avgPool2d', 'adaptiveAvgPool2d', 'relu', 'leakyRelu', 'gelu', 'sigmoid', 'tanh',
      'softmax', 'logSoftmax', 'crossEntropy', 'nllLoss', 'mseLoss', 'pad', 'cat', 'stack', 'erf',
      'convTranspose2d', 'conv1d', 'maxPool1d', 'avgPool1d', 'adaptiveMaxPool2d', 'interpolate', 'padMode', 'silu', 'softsign', 'prelu', 'glu', 'l1Loss',
      'elu', 'selu', 'softplus', 'mish', 'hardtanh', 'relu6', 'hardswish', 'hardsigmoid', 'logSigmoid',
      'smoothL1Loss', 'huberLoss', 'binaryCrossEntropy', 'binaryCrossEntropyWithLogits', 'klDiv', 'cosineSimilarity', 'pairwiseDistance',
      'oneHot', 'embedding',
    ];
    expect([...ops].sort()).toEqual(expected.sort());
  });

  describe('float64, 1e-10 relative', () => {
    it.each(file.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
      check(c, 'float64', { rtol: 1e-10, atol: 0 });
    });
  });

  describe('float32, float32 precision', () => {
    // erf is a float64 kernel; large-logit cases lose all relative precision in float32 by design.
    const cases = file.cases.filter((c) => c.op !== 'erf' && !c.name.includes('large logits'));
    it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
      check(c, 'float32', { rtol: 2e-5, atol: 0 });
    });
  });
});
