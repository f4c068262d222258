// Second derivatives against PyTorch 1.13 (test/fixtures/second_order.json, written by
// test/fixtures/make_second_order_fixtures.py): for every differentiable case of core.json and
// functional.json, the BatchNorm/GroupNorm/LayerNorm/InstanceNorm in training mode, the first
// gradients g = ∂ sum(out·G)/∂x taken with createGraph, then the vector-Jacobian product of the
// gradients h = ∂ Σ⟨g, U⟩/∂x; and two full Hessians. float64 at 1e-10 relative.
import { describe, expect, it } from 'vitest';
import { autograd, F, tensor, zerosLike, type Tensor } from '../src/index.js';
import { batchNorm, groupNorm, instanceNorm, layerNorm } from '../src/norm/index.js';
import { CORE_OPS, type Params } from './helpers/core-ops.js';
import { assertClose, fixtureTensor, loadFixtures, type FixtureTensor, type OpCase, type Tolerance } from './helpers/fixtures.js';
import { runFunctional } from './helpers/functional-ops.js';

interface OrderTwo {
  firstGrads: FixtureTensor[];
  u: FixtureTensor[];
  secondGrads: FixtureTensor[];
}

interface File {
  torch: string;
  ops: (OrderTwo & { source: 'core.json' | 'functional.json'; name: string })[];
  norms: (OrderTwo & { norm: string; inputs: FixtureTensor[]; gradOutput: FixtureTensor })[];
  hessians: { name: string; x: FixtureTensor; data?: FixtureTensor; labels?: number[]; hessian: FixtureTensor }[];
}

/** 1e-10 relative, as the issue asks; the floor is for entries that cancel to near 0 (see fixtures-core). */
const TOL: Tolerance = { rtol: 1e-10, atol: 1e-12 };

const file = loadFixtures<never>('./fixtures/second_order.json', import.meta.url) as unknown as File;
const sources = {
  'core.json': loadFixtures<OpCase<Params>>('./fixtures/core.json', import.meta.url).cases,
  'functional.json': loadFixtures<OpCase<Params>>('./fixtures/functional.json', import.meta.url).cases,
};

/** Checks g = ∂ sum(out·G)/∂x (recorded) and h = ∂ Σ⟨g, U⟩/∂x against the fixture. */
function checkSecondOrder(label: string, out: Tensor, gradOutput: Tensor, wanted: Tensor[], expected: OrderTwo): void {
  const first = autograd.grad(out, wanted, { gradOutputs: [gradOutput], createGraph: true, allowUnused: true })
    .map((g, i) => g ?? zerosLike(wanted[i]!));
  first.forEach((g, i) => assertClose(`${label}: first gradient ${i}`, g, expected.firstGrads[i]!, TOL));
  const terms = first.map((g, i) => g.mul(fixtureTensor(expected.u[i]!, 'float64')).sum());
  const s = terms.reduce((a, b) => a.add(b));
  const second = s.requiresGrad
    ? autograd.grad(s, wanted, { allowUnused: true }).map((h, i) => h ?? zerosLike(wanted[i]!))
    : wanted.map((x) => zerosLike(x));
  second.forEach((h, i) => assertClose(`${label}: second-order gradient ${i}`, h, expected.secondGrads[i]!, TOL));
}

/**
 * Second derivatives where tsgrad deliberately differs from torch 1.13, with the reason. There torch's
 * values must all be NaN (checked), and tsgrad's are compared with zeros instead.
 */
const DEPARTURES: Record<string, string> = {
  'core.json: norm a zero vector p=2 (subgradient 0)':
    'the 2-norm is not twice differentiable at 0; torch 1.13 gives NaN (0·∞ inside its double backward), tsgrad ' +
    'differentiates its own first derivative (0 at a zero norm) and gives 0, so a gradient penalty on a zero ' +
    'gradient does not turn into NaN (as torch.std, whose second derivative at a zero std is 0 in torch too)',
};

function expectedOf(label: string, c: OrderTwo): OrderTwo {
  if (DEPARTURES[label] === undefined) return c;
  const nanEverywhere = c.secondGrads.every((t) => t.values.every((v) => v === 'NaN'));
  if (!nanEverywhere) throw new Error(`${label}: listed in DEPARTURES, but torch's second derivatives are no longer all NaN`);
  return { ...c, secondGrads: c.secondGrads.map((t) => ({ shape: t.shape, values: t.values.map(() => 0) })) };
}

describe('second derivatives match PyTorch (test/fixtures/second_order.json)', () => {
  it('was written by torch 1.13 and covers every differentiable fixture case', () => {
    expect(file.torch).toMatch(/^1\.13/);
    // Cases marked firstOrderOnly (kinks where tsgrad's second derivative takes another side) carry their reason.
    const firstOrderOnly = (c: object): boolean => 'firstOrderOnly' in c;
    const differentiable = Object.values(sources).flat().filter((c) => c.inputs.some((i) => i.requiresGrad) && !firstOrderOnly(c)).length;
    expect(file.ops.length).toBe(differentiable);
    const reasons = Object.values(sources).flat().filter(firstOrderOnly).map((c) => (c as unknown as { firstOrderOnly: unknown }).firstOrderOnly);
    for (const reason of reasons) expect(typeof reason === 'string' && reason.length > 20, `firstOrderOnly reason ${String(reason)}`).toBe(true);
    expect(file.ops.length).toBeGreaterThan(100);
  });

  it.each(file.ops.map((c) => [`${c.source}: ${c.name}`, c] as const))('%s', (label, c) => {
    const source = sources[c.source].find((s) => s.name === c.name);
    if (source === undefined) throw new Error(`${label}: no such case in ${c.source}`);
    const inputs = source.inputs.map((t) => fixtureTensor(t, 'float64', t.requiresGrad));
    const out = c.source === 'core.json' ? CORE_OPS[source.op]!(inputs, source.params) : runFunctional(source.op, source.params, inputs);
    checkSecondOrder(label, out, fixtureTensor(source.gradOutput, 'float64'), inputs.filter((x) => x.requiresGrad), expectedOf(label, c));
  });

  it('departs from PyTorch only where DEPARTURES says, and PyTorch still gives NaN there', () => {
    const labels = file.ops.map((c) => `${c.source}: ${c.name}`);
    for (const label of Object.keys(DEPARTURES)) expect(labels, label).toContain(label);
  });

  const NORMS: Record<string, (x: Tensor, w: Tensor, b: Tensor) => Tensor> = {
    batchNorm: (x, w, b) => batchNorm(x, null, null, { weight: w, bias: b, training: true }),
    groupNorm: (x, w, b) => groupNorm(x, 2, { weight: w, bias: b }),
    layerNorm: (x, w, b) => layerNorm(x, [x.shape[x.ndim - 1]!], { weight: w, bias: b }),
    instanceNorm: (x, w, b) => instanceNorm(x, { weight: w, bias: b }),
  };

  it.each(file.norms.map((c, i) => [`${c.norm} ${c.inputs[0]!.shape.join('×')} (${i})`, c] as const))('%s in training mode', (label, c) => {
    const [x, w, b] = c.inputs.map((t) => fixtureTensor(t, 'float64', true)) as [Tensor, Tensor, Tensor];
    checkSecondOrder(label, NORMS[c.norm]!(x, w, b), fixtureTensor(c.gradOutput, 'float64'), [x, w, b], c);
  });

  it('full Hessians of two small functions', () => {
    const [h1, h2] = file.hessians as [File['hessians'][number], File['hessians'][number]];
    const f1 = (t: Tensor): Tensor => t.tanh().mul(t).mul(t).sum().add(t.sum().pow(3));
    assertClose(h1.name, autograd.functional.hessian(f1, fixtureTensor(h1.x, 'float64')), h1.hessian, TOL);
    const data = fixtureTensor(h2.data!, 'float64');
    const labels = tensor(h2.labels!, { dtype: 'float64' });
    const f2 = (t: Tensor): Tensor => F.crossEntropy(data.matmul(t.reshape([3, 2])), labels);
    assertClose(h2.name, autograd.functional.hessian(f2, fixtureTensor(h2.x, 'float64')), h2.hessian, TOL);
  });
});
