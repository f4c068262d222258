// Every F function against PyTorch 1.13 (test/fixtures/functional.json, written by
// test/fixtures/make_functional_fixtures.py): the output, and the gradients of sum(out · G) for a
// random upstream gradient G, in float64 at 1e-10 relative; and once more in float32 at float32
// precision (the same inputs: the script rounds them to float32 first).
import { describe, expect, it } from 'vitest';
import { F, Tensor } from '../../src/index.js';
import { erf } from '../../src/tensor/kernels/special.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import type { DType } from '../../src/tensor/dtype.js';
import { assertClose, fixtureTensor, loadFixtures, type OpCase, type Tolerance } from '../helpers/fixtures.js';

type Params = Record<string, unknown>;

const file = loadFixtures<OpCase<Params>>('../fixtures/functional.json', import.meta.url);

/** Runs the F function a case names on tsgrad tensors, passing the case's params as tsgrad options. */
function run(op: string, p: Params, xs: Tensor[]): Tensor {
  const [x, y, z] = xs;
  switch (op) {
    case 'linear': return F.linear(x!, y!, z);
    case 'conv2d': return F.conv2d(x!, y!, z, p as F.Conv2dOptions);
    case 'maxPool2d': return F.maxPool2d(x!, p as unknown as F.MaxPool2dOptions);
    case 'avgPool2d': return F.avgPool2d(x!, p as unknown as F.AvgPool2dOptions);
    case 'adaptiveAvgPool2d': return F.adaptiveAvgPool2d(x!, p.outputSize as number | [number | null, number | null]);
    case 'relu': return F.relu(x!);
    case 'leakyRelu': return p.negativeSlope === undefined ? F.leakyRelu(x!) : F.leakyRelu(x!, p.negativeSlope as number);
    case 'gelu': return F.gelu(x!, p as F.GeluOptions);
    case 'sigmoid': return F.sigmoid(x!);
    case 'tanh': return F.tanh(x!);
    case 'softmax': return F.softmax(x!, p.dim as number);
    case 'logSoftmax': return F.logSoftmax(x!, p.dim as number);
    case 'crossEntropy': return F.crossEntropy(x!, y!, { ...(p as F.CrossEntropyOptions), weight: z ?? null });
    case 'nllLoss': return F.nllLoss(x!, y!, { ...(p as F.NllLossOptions), weight: z ?? null });
    case 'mseLoss': return F.mseLoss(x!, y!, p as F.MseLossOptions);
    case 'pad': return F.pad(x!, p.pads as number[], (p.value as number | undefined) ?? 0);
    case 'cat': return F.cat(xs, p.dim as number);
    case 'stack': return F.stack(xs, p.dim as number);
    case 'erf': {
      const v = x!.toArray().map(erf);
      return new Tensor(new NDArray(v, [...x!.shape]));
    }
    default: throw new Error(`no runner for op ${op}`);
  }
}

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
