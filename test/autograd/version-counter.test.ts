// Version counters (PyTorch's rule): an in-place write to a tensor that a backward saved makes that
// backward throw, naming the op and both versions — never a gradient from the new values.
//
// The class test: for every op of the spec table and every F function with a backward, write
// every input in place between forward and backward. Backward must either throw the version error
// or give bitwise the gradients of an untouched run (that backward never read the values). An op
// that reads an input in backward without declaring it (`saves`) fails here.
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { F, NDArray, nn, noGrad, optim, tensor, manualSeed, randn, type Tensor } from '../../src/index.js';
import { opSpecs, type BoundCase } from './op-specs.js';

const f64 = { dtype: 'float64' as const };
const VERSION_ERROR = /was modified by an in-place operation: it is at version \d+; expected version \d+/;

function leaves(c: BoundCase): Tensor[] {
  return c.inputs.map((d) => tensor(Float64Array.from(d.values), { shape: d.shape, requiresGrad: d.requiresGrad }));
}

/** Gradients of Σ out·w (w fixed) with respect to the leaves that require grad. */
function gradsOf(run: (...xs: Tensor[]) => Tensor, xs: Tensor[], between: (xs: Tensor[], out: Tensor) => void): (number[] | null)[] | 'threw' {
  const out = run(...xs);
  if (!out.requiresGrad) return xs.map(() => null);
  between(xs, out);
  const weights = tensor(Float64Array.from({ length: out.numel }, (_, i) => 1 + ((i * 7) % 5) / 4), { shape: [...out.shape] });
  try {
    out.backward(weights);
  } catch (e) {
    expect(String(e)).toMatch(VERSION_ERROR);
    return 'threw';
  }
  return xs.map((x) => (x.grad === null ? null : Array.from(x.grad.toArray())));
}

/** Adds 0.25 to every input in place (noGrad: leaves that require grad may be updated there). */
const writeEveryInput = (xs: Tensor[]): void => noGrad(() => xs.forEach((x) => x.add_(0.25)));
/** Adds 0.25 to the op's output in place (when it is not a view of an input). */
const writeOutput = (xs: Tensor[], out: Tensor): void => {
  if (!xs.some((x) => x.array.data === out.array.data)) noGrad(() => out.add_(0.25));
};

/** `make` must give the same inputs on every call. */
function checkOp(label: string, run: (...xs: Tensor[]) => Tensor, make: () => Tensor[]): Set<'threw' | 'unaffected'> {
  const clean = gradsOf(run, make(), () => undefined);
  const outcomes = new Set<'threw' | 'unaffected'>();
  for (const write of [writeEveryInput, writeOutput]) {
    const written = gradsOf(run, make(), write);
    if (written === 'threw') {
      outcomes.add('threw');
      continue;
    }
    expect(written, `${label}: backward used values written after the forward (${write === writeOutput ? 'output' : 'inputs'})`).toEqual(clean);
    outcomes.add('unaffected');
  }
  return outcomes;
}

describe('an in-place write between forward and backward is detected (class test)', () => {
  it('every op of the spec table: throws, or its gradients do not depend on the written values', () => {
    const outcomes = new Map<string, Set<string>>();
    opSpecs.forEach((spec, i) => {
      for (const c of fc.sample(spec.cases, { seed: 77 + i, numRuns: 6 })) {
        const seen = outcomes.get(spec.name) ?? new Set<string>();
        for (const outcome of checkOp(spec.name, c.run, () => leaves(c))) seen.add(outcome);
        outcomes.set(spec.name, seen);
      }
    });
    // Ops whose backward reads their inputs' values must have thrown; those that only move or sum
    // gradients must not.
    for (const name of ['mul', 'matmul', 'exp', 'log', 'sqrt', 'abs', 'relu', 'tanh', 'sigmoid', 'pow', 'div', 'max']) {
      expect(outcomes.get(name), name).toContain('threw');
    }
    for (const name of ['add', 'neg', 'sum', 'reshape', 'permute', 'expand', 'narrow', 'transpose']) {
      expect(outcomes.get(name), name).toEqual(new Set(['unaffected']));
    }
  });

  it('every F function with a backward of its own: conv, pooling, norms, activations, losses', () => {
    const x4 = (): Tensor => randn([2, 3, 4, 4], { ...f64, requiresGrad: true });
    const cases: [string, (...xs: Tensor[]) => Tensor, () => Tensor[]][] = [
      ['conv2d', (x, w, b) => F.conv2d(x!, w!, b!, { padding: 1 }), () => [x4(), randn([2, 3, 3, 3], { ...f64, requiresGrad: true }), randn([2], { ...f64, requiresGrad: true })]],
      ['linear', (x, w) => F.linear(x!, w!), () => [randn([3, 4], { ...f64, requiresGrad: true }), randn([2, 4], { ...f64, requiresGrad: true })]],
      ['maxPool2d', (x) => F.maxPool2d(x!, 2), () => [x4()]],
      ['avgPool2d', (x) => F.avgPool2d(x!, 2), () => [x4()]],
      ['batchNorm', (x, w, b) => F.batchNorm(x!, null, null, { weight: w!, bias: b!, training: true }), () => [x4(), randn([3], { ...f64, requiresGrad: true }), randn([3], { ...f64, requiresGrad: true })]],
      ['groupNorm', (x) => F.groupNorm(x!, 3), () => [x4()]],
      ['layerNorm', (x) => F.layerNorm(x!, [4, 4]), () => [x4()]],
      ['gelu', (x) => F.gelu(x!), () => [x4()]],
      ['leakyRelu', (x) => F.leakyRelu(x!, 0.1), () => [x4()]],
      ['softmax', (x) => F.softmax(x!, 1), () => [x4()]],
      ['crossEntropy', (x) => F.crossEntropy(x!, [0, 2, 1]), () => [randn([3, 4], { ...f64, requiresGrad: true })]],
    ];
    for (const [label, run, make] of cases) {
      const sameInputs = (): Tensor[] => {
        manualSeed(5);
        return make();
      };
      const outcomes = checkOp(label, run, sameInputs);
      // These read their inputs in backward. Pooling reads only the winners/windows found by the
      // forward; softmax and crossEntropy only intermediates (checked unaffected above).
      if (READ_INPUTS.has(label)) expect(outcomes, label).toContain('threw');
    }
  });
});

const READ_INPUTS = new Set(['conv2d', 'linear', 'batchNorm', 'groupNorm', 'layerNorm', 'gelu', 'leakyRelu']);

describe('the writers bump the version', () => {
  /** y = w·x saved w; `write` modifies w; backward must throw naming mul and the versions. */
  function expectDetected(label: string, write: (w: Tensor) => void): void {
    const w = tensor([1, 2, 3], { ...f64, requiresGrad: true });
    const y = w.mul(tensor([4, 5, 6], f64)).sum();
    const before = w.version;
    write(w);
    expect(w.version, `${label} bumps the version`).toBeGreaterThan(before);
    expect(() => y.backward(), label).toThrow(new RegExp(`backward of 'mul'.*input 0.*at version ${w.version}; expected version ${before}`));
  }

  it('optimizer steps (SGD, SGD momentum, Adam, AdamW)', () => {
    const makers: [string, (p: Tensor) => optim.Optimizer<never, never>][] = [
      ['SGD', (p) => new optim.SGD([p], { lr: 0.1 }) as unknown as optim.Optimizer<never, never>],
      ['SGD momentum', (p) => new optim.SGD([p], { lr: 0.1, momentum: 0.9 }) as unknown as optim.Optimizer<never, never>],
      ['Adam', (p) => new optim.Adam([p]) as unknown as optim.Optimizer<never, never>],
      ['AdamW', (p) => new optim.AdamW([p]) as unknown as optim.Optimizer<never, never>],
    ];
    for (const [name, make] of makers) {
      expectDetected(name, (w) => {
        w.grad = tensor([1, 1, 1], f64);
        make(w).step();
      });
    }
  });

  it('nn.init functions, loadStateDict and the in-place tensor methods', () => {
    const inits: [string, (t: Tensor) => void][] = [
      ['init.uniform', (t) => nn.init.uniform(t)], ['init.normal', (t) => nn.init.normal(t)],
      ['init.constant', (t) => nn.init.constant(t, 2)], ['init.zeros', (t) => nn.init.zeros(t)], ['init.ones', (t) => nn.init.ones(t)],
      ['init.kaimingUniform', (t) => nn.init.kaimingUniform(t.reshape([1, 3]))], ['init.kaimingNormal', (t) => nn.init.kaimingNormal(t.reshape([1, 3]))],
      ['init.xavierUniform', (t) => nn.init.xavierUniform(t.reshape([1, 3]))], ['init.xavierNormal', (t) => nn.init.xavierNormal(t.reshape([1, 3]))],
      ['copy_', (t) => noGrad(() => t.copy_(tensor([7, 8, 9], f64)))], ['fill_', (t) => noGrad(() => t.fill_(1))],
      ['zero_', (t) => noGrad(() => t.zero_())], ['add_', (t) => noGrad(() => t.add_(1))], ['sub_', (t) => noGrad(() => t.sub_(1))],
      ['mul_', (t) => noGrad(() => t.mul_(2))], ['div_', (t) => noGrad(() => t.div_(2))],
      ['clamp_', (t) => noGrad(() => t.clamp_(0, 2))],
      ['a write through a view', (t) => noGrad(() => t.narrow(0, 1, 1).fill_(0))],
    ];
    for (const [name, write] of inits) expectDetected(name, write);
    expectDetected('loadStateDict', (w) => {
      const model = new nn.Linear(3, 1, { bias: false, dtype: 'float64' });
      model.weight = new nn.Parameter(w.array.reshape([1, 3]));
      model.loadStateDict({ weight: tensor([[9, 9, 9]], f64) });
    });
  });

  it('BatchNorm running statistics are written in place with a version bump', () => {
    const bn = new nn.BatchNorm1d(2);
    const runningMean = bn.getBuffer('running_mean')!;
    const before = runningMean.version;
    bn.call(randn([4, 2]));
    expect(runningMean.version).toBe(before + 1);
  });

  it('in-place ops refuse tensors that require grad while grad mode is on, and bad values', () => {
    const w = tensor([1, 2], { ...f64, requiresGrad: true });
    expect(() => w.add_(1)).toThrow(/add_: a leaf tensor that requires grad .*noGrad/);
    const y = w.mul(2);
    expect(() => noGrad(() => y.mul_(2))).not.toThrow();
    expect(() => y.mul_(2)).toThrow(/mul_: in-place ops on a tensor that is part of a graph .*made by 'mul'/);
    expect(() => tensor([1, 2]).copy_(tensor([1, 2, 3]))).toThrow(/copy_/);
    expect(() => tensor([1, 2]).fill_('a' as unknown as number)).toThrow(/fill_: the value must be a number, got string a/);
    expect(() => w.clamp_(0, 1)).toThrow(/clamp_: a leaf tensor that requires grad/);
    expect(Array.from(tensor([-2, 0.5, 3], f64).clamp_(null, 1).toArray())).toEqual([-2, 0.5, 1]);
  });

  it('a write to a tensor no backward saved is allowed (add saves nothing), as in PyTorch', () => {
    const a = tensor([1, 2], { ...f64, requiresGrad: true });
    const y = a.add(tensor([3, 4], f64)).sum();
    noGrad(() => a.add_(10));
    y.backward();
    expect(Array.from(a.grad!.toArray())).toEqual([1, 1]);
  });

  it('the NDArray under a tensor keeps one counter for all views', () => {
    const base = tensor([1, 2, 3, 4], f64);
    const view = base.reshape([2, 2]).narrow(0, 1, 1);
    noGrad(() => view.fill_(0));
    expect(base.version).toBe(1);
    expect(new NDArray(base.array.data, [4]).data).toBe(base.array.data);
  });
});
