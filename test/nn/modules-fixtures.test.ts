// Every nn module against PyTorch: test/fixtures/nn_modules.json is written by
// test/fixtures/make_nn_fixtures.py (torch 1.13, float64, run by hand). Each case builds the module
// from the same arguments, loads PyTorch's parameter values through loadStateDict, and compares the
// state-dict keys (names and order), the output, and the gradients of sum(out · G) with respect to
// the input and every parameter, at 1e-10 relative in float64 (and at float32 tolerance in float32).
import { describe, expect, it } from 'vitest';
import { nn, type FloatDType as DType, type Tensor } from '../../src/index.js';
import { assertClose, fixtureTensor, loadFixtures, type FixtureTensor, type Tolerance } from '../helpers/fixtures.js';
import { smallCnn } from '../helpers/small-cnn.js';

interface ModuleCase {
  name: string;
  module: string;
  args: Record<string, unknown>;
  training: boolean;
  stateDictKeys: string[];
  params: [string, FixtureTensor][];
  input: FixtureTensor;
  output: FixtureTensor;
  gradOutput: FixtureTensor;
  gradInput: FixtureTensor;
  gradParams: [string, FixtureTensor][];
}

const fixtures = loadFixtures<ModuleCase>('../fixtures/nn_modules.json', import.meta.url);

type Args = Record<string, unknown>;
type Pair = number | [number, number];

function num(a: Args, key: string): number {
  const v = a[key];
  if (typeof v !== 'number') throw new Error(`fixture arg ${key}: expected a number, got ${JSON.stringify(v)}`);
  return v;
}

function pair(a: Args, key: string): Pair | undefined {
  const v = a[key];
  if (v === undefined) return undefined;
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.length === 2 && v.every((d) => typeof d === 'number')) return v as [number, number];
  throw new Error(`fixture arg ${key}: expected a number or a pair, got ${JSON.stringify(v)}`);
}

function opt<T>(a: Args, key: string, type: 'boolean' | 'number' | 'string'): T | undefined {
  const v = a[key];
  if (v === undefined) return undefined;
  if (typeof v !== type) throw new Error(`fixture arg ${key}: expected a ${type}, got ${JSON.stringify(v)}`);
  return v as T;
}

/** The JSON module names → tsgrad constructors (mirrors TORCH_CLASS in make_nn_fixtures.py). */
const BUILD: Record<string, (a: Args, dtype: DType) => nn.Module> = {
  Linear: (a, dtype) => new nn.Linear(num(a, 'inFeatures'), num(a, 'outFeatures'), { bias: opt(a, 'bias', 'boolean'), dtype }),
  Conv2d: (a, dtype) =>
    new nn.Conv2d(num(a, 'inChannels'), num(a, 'outChannels'), pair(a, 'kernelSize')!, {
      stride: pair(a, 'stride'),
      padding: pair(a, 'padding'),
      dilation: pair(a, 'dilation'),
      groups: opt(a, 'groups', 'number'),
      bias: opt(a, 'bias', 'boolean'),
      dtype,
    }),
  MaxPool2d: (a) =>
    new nn.MaxPool2d(pair(a, 'kernelSize')!, {
      stride: pair(a, 'stride'), padding: pair(a, 'padding'), dilation: pair(a, 'dilation'), ceilMode: opt(a, 'ceilMode', 'boolean'),
    }),
  AvgPool2d: (a) =>
    new nn.AvgPool2d(pair(a, 'kernelSize')!, {
      stride: pair(a, 'stride'),
      padding: pair(a, 'padding'),
      ceilMode: opt(a, 'ceilMode', 'boolean'),
      countIncludePad: opt(a, 'countIncludePad', 'boolean'),
      divisorOverride: opt(a, 'divisorOverride', 'number'),
    }),
  AdaptiveAvgPool2d: (a) => new nn.AdaptiveAvgPool2d(pair(a, 'outputSize')!),
  ReLU: () => new nn.ReLU(),
  LeakyReLU: (a) => new nn.LeakyReLU(opt(a, 'negativeSlope', 'number')),
  GELU: (a) => new nn.GELU({ approximate: opt(a, 'approximate', 'string') }),
  Sigmoid: () => new nn.Sigmoid(),
  Tanh: () => new nn.Tanh(),
  Flatten: (a) => new nn.Flatten(opt(a, 'startDim', 'number'), opt(a, 'endDim', 'number')),
  Identity: () => new nn.Identity(),
  Dropout: (a) => new nn.Dropout(opt(a, 'p', 'number')),
  SmallCNN: (_a, dtype) => smallCnn({ dtype }),
};

const TOL: Record<DType, Tolerance> = {
  float64: { rtol: 1e-10, atol: 1e-12 },
  // float32: the products and sums of a conv accumulate rounding of ~1e-7 relative per term;
  // atol covers outputs and gradients that cancel to near zero.
  float32: { rtol: 2e-5, atol: 2e-5 },
};

function runCase(c: ModuleCase, dtype: DType): void {
  const build = BUILD[c.module];
  if (build === undefined) throw new Error(`no tsgrad constructor for fixture module ${c.module}`);
  const module = build(c.args, dtype);
  module.train(c.training);

  // State-dict keys: PyTorch's names in PyTorch's order.
  expect([...module.stateDict().keys()], `${c.name}: state-dict keys`).toEqual(c.stateDictKeys);
  expect(module.namedParameters().map(([k]) => k), `${c.name}: parameter names`).toEqual(c.params.map(([k]) => k));

  // PyTorch's parameter values, through loadStateDict (strict: every key must be there).
  module.loadStateDict(new Map(c.params.map(([k, t]) => [k, fixtureTensor(t, dtype)])));
  const x = fixtureTensor(c.input, dtype, true);
  const out = module.call(x);
  const tol = TOL[dtype];
  assertClose(`${c.name} [${dtype}] output`, out, c.output, tol);
  out.mul(fixtureTensor(c.gradOutput, dtype)).sum().backward();
  assertClose(`${c.name} [${dtype}] grad input`, x.grad ?? missing('input'), c.gradInput, tol);
  const params = new Map(module.namedParameters());
  for (const [key, expected] of c.gradParams) {
    assertClose(`${c.name} [${dtype}] grad ${key}`, params.get(key)!.grad ?? missing(key), expected, tol);
  }
}

function missing(what: string): Tensor {
  throw new Error(`no gradient reached ${what}`);
}

describe('nn modules against PyTorch fixtures', () => {
  it('the fixture file covers every module kind', () => {
    const kinds = new Set(fixtures.cases.map((c) => c.module));
    expect([...kinds].sort()).toEqual(Object.keys(BUILD).sort());
  });

  for (const dtype of ['float64', 'float32'] as const) {
    describe(dtype, () => {
      for (const c of fixtures.cases) {
        it(c.name, () => runCase(c, dtype));
      }
    });
  }
});
