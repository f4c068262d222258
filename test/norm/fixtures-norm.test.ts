// The normalization modules against PyTorch 1.13 (test/fixtures/norm.json, written by
// test/fixtures/make_norm_fixtures.py): outputs, gradients and running statistics over sequences
// of train and eval steps, for both implementations (fused and composite), in float64 (tight) and
// float32 (loose).
import { describe, expect, it } from 'vitest';
import { type DType, type Tensor } from '../../src/index.js';
import type { Module } from '../../src/nn/index.js';
import { BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm2d, LayerNorm, type NormImplementation } from '../../src/norm/index.js';
import { assertClose, decodeValues, fixtureTensor, loadFixtures, type FixtureTensor } from '../helpers/fixtures.js';

interface Step {
  mode: 'train' | 'eval';
  input: FixtureTensor;
  gradOutput: FixtureTensor;
  output: FixtureTensor;
  gradInput: FixtureTensor;
  grad_weight: FixtureTensor | null;
  grad_bias: FixtureTensor | null;
  buffers: Record<string, FixtureTensor>;
}

interface NormCase {
  name: string;
  module: 'BatchNorm1d' | 'BatchNorm2d' | 'GroupNorm' | 'LayerNorm' | 'InstanceNorm2d';
  args: (number | number[])[];
  kwargs: Record<string, number | boolean | null>;
  init: Record<string, FixtureTensor>;
  steps: Step[];
}

const file = loadFixtures<NormCase>('../fixtures/norm.json', import.meta.url);

interface Built {
  module: Module;
  weight: Tensor | null;
  bias: Tensor | null;
}

/** The tsgrad module for a fixture case (PyTorch keyword names → tsgrad option names). */
function build(c: NormCase, implementation: NormImplementation): Built {
  const k = c.kwargs;
  const num = (key: string): number | undefined => (typeof k[key] === 'number' ? (k[key] as number) : undefined);
  const bool = (key: string): boolean | undefined => (typeof k[key] === 'boolean' ? (k[key] as boolean) : undefined);
  let m: BatchNorm1d | BatchNorm2d | GroupNorm | LayerNorm | InstanceNorm2d;
  switch (c.module) {
    case 'BatchNorm1d':
    case 'BatchNorm2d': {
      const Ctor = c.module === 'BatchNorm1d' ? BatchNorm1d : BatchNorm2d;
      m = new Ctor(c.args[0] as number, {
        eps: num('eps'), momentum: 'momentum' in k ? (k.momentum as number | null) : undefined, affine: bool('affine'),
        trackRunningStats: bool('track_running_stats'), implementation,
      });
      break;
    }
    case 'GroupNorm':
      m = new GroupNorm(c.args[0] as number, c.args[1] as number, { eps: num('eps'), affine: bool('affine'), implementation });
      break;
    case 'LayerNorm':
      m = new LayerNorm(c.args[0] as number[], { eps: num('eps'), elementwiseAffine: bool('elementwise_affine'), implementation });
      break;
    case 'InstanceNorm2d':
      m = new InstanceNorm2d(c.args[0] as number, {
        eps: num('eps'), momentum: num('momentum'), affine: bool('affine'), trackRunningStats: bool('track_running_stats'), implementation,
      });
      break;
  }
  return { module: m, weight: m.weight, bias: m.bias };
}

function runCase(c: NormCase, implementation: NormImplementation, dtype: DType): void {
  const { module, weight, bias } = build(c, implementation);
  module.to(dtype);
  const state = module.stateDict();
  for (const [name, t] of Object.entries(c.init)) {
    const target = state.get(name);
    expect(target, `${c.name}: parameter ${name}`).toBeDefined();
    target!.array.data.set(decodeValues(t.values));
  }
  const tol = dtype === 'float64' ? { rtol: 1e-9, atol: 1e-10 } : { rtol: 2e-4, atol: 2e-5 };
  c.steps.forEach((step, i) => {
    const label = `${c.name} [${implementation}, ${dtype}] step ${i} (${step.mode})`;
    module.train(step.mode === 'train');
    module.zeroGrad();
    const x = fixtureTensor(step.input, dtype, true);
    const y = module.call(x);
    assertClose(`${label}: output`, y, step.output, tol);
    y.backward(fixtureTensor(step.gradOutput, dtype));
    assertClose(`${label}: grad input`, x.grad!, step.gradInput, tol);
    if (step.grad_weight !== null) assertClose(`${label}: grad weight`, weight!.grad!, step.grad_weight, tol);
    if (step.grad_bias !== null) assertClose(`${label}: grad bias`, bias!.grad!, step.grad_bias, tol);
    const buffers = new Map(module.namedBuffers());
    expect([...buffers.keys()].sort(), `${label}: buffer names`).toEqual(Object.keys(step.buffers).sort());
    for (const [name, expected] of Object.entries(step.buffers)) {
      assertClose(`${label}: buffer ${name}`, buffers.get(name)!, expected, tol);
    }
  });
}

describe('normalization modules match PyTorch 1.13 (fixtures)', () => {
  it('the fixture file has the expected provenance', () => {
    expect(file.generator).toBe('test/fixtures/make_norm_fixtures.py');
    expect(file.dtype).toBe('float64');
    expect(file.cases.length).toBeGreaterThanOrEqual(20);
  });
  for (const c of file.cases) {
    it(`${c.module}: ${c.name} (fused, float64)`, () => runCase(c, 'fused', 'float64'));
    it(`${c.module}: ${c.name} (composite, float64)`, () => runCase(c, 'composite', 'float64'));
    it(`${c.module}: ${c.name} (fused, float32)`, () => runCase(c, 'fused', 'float32'));
  }
});
