// SGD, Adam, AdamW, RMSprop and Adagrad against PyTorch 1.13 (test/fixtures/optim.json, written by
// make_optim_fixtures.py): 5 steps on fixed parameters and fixed per-step gradients, some of them
// null. Plus state-dict round trips (a restored optimizer continues bit-identically), in-place
// updates, zeroGrad, parameter groups and the errors for bad input.
import { describe, expect, it } from 'vitest';
import { NDArray, Tensor, optim, tensor, zeros, zerosLike, type DType } from '../../src/index.js';
import { compareArrays, decodeValues, fixtureTensor, loadFixtures, type FixtureTensor } from '../helpers/fixtures.js';

interface OptimizerCase {
  name: string;
  kind: 'optimizer' | 'optimizer+scheduler' | 'scheduler';
  optimizer: 'SGD' | 'Adam' | 'AdamW' | 'RMSprop' | 'Adagrad';
  options: Record<string, unknown>;
  groups?: ({ params: number[] } & Record<string, unknown>)[];
  scheduler?: 'StepLR';
  schedulerOptions?: { stepSize: number; gamma: number };
  steps: FixtureTensor[][];
}

interface OptimFixtures {
  params: FixtureTensor[];
  grads: (FixtureTensor | null)[][];
  cases: OptimizerCase[];
}

const fixtures = loadFixtures<OptimizerCase>('../fixtures/optim.json', import.meta.url) as unknown as OptimFixtures & { torch: string };
const optimizerCases = fixtures.cases.filter((c) => c.kind === 'optimizer');
const F64_TOL = { rtol: 1e-10, atol: 1e-13 };
// float32 state and parameters against the float64 reference: float32 rounding only.
const F32_TOL = { rtol: 2e-5, atol: 2e-6 };

type AnyOptimizer = optim.SGD | optim.Adam | optim.AdamW | optim.RMSprop | optim.Adagrad;

function makeParams(dtype: DType): Tensor[] {
  return fixtures.params.map((p) => fixtureTensor(p, dtype, true));
}

function makeOptimizer(c: Pick<OptimizerCase, 'optimizer' | 'options' | 'groups'>, params: Tensor[]): AnyOptimizer {
  const spec = c.groups === undefined
    ? params
    : c.groups.map(({ params: ids, ...rest }) => ({ ...rest, params: ids.map((i) => params[i]!) }));
  switch (c.optimizer) {
    case 'SGD':
      return new optim.SGD(spec, c.options as optim.SGDOptions);
    case 'Adam':
      return new optim.Adam(spec, c.options as optim.AdamOptions);
    case 'AdamW':
      return new optim.AdamW(spec, c.options as optim.AdamOptions);
    case 'RMSprop':
      return new optim.RMSprop(spec, c.options as optim.RMSpropOptions);
    case 'Adagrad':
      return new optim.Adagrad(spec, c.options as optim.AdagradOptions);
  }
}

function setGrads(params: Tensor[], step: number, dtype: DType): void {
  params.forEach((p, i) => {
    const g = fixtures.grads[step]![i]!;
    p.grad = g === null ? null : fixtureTensor(g, dtype);
  });
}

function expectParams(label: string, params: Tensor[], expected: FixtureTensor[], tol: { rtol: number; atol: number }): void {
  params.forEach((p, i) => {
    expect(p.shape).toEqual(expected[i]!.shape);
    const report = compareArrays(`${label}, param ${i}`, p.toArray(), decodeValues(expected[i]!.values), tol, expected[i]!.shape);
    if (report !== null) throw new Error(report);
  });
}

describe(`optimizers match PyTorch ${fixtures.torch} (5 steps, fixed gradients)`, () => {
  for (const c of optimizerCases) {
    for (const [dtype, tol] of [['float64', F64_TOL], ['float32', F32_TOL]] as const) {
      it(`${c.name} (${dtype})`, () => {
        const params = makeParams(dtype);
        const opt = makeOptimizer(c, params);
        c.steps.forEach((expected, t) => {
          setGrads(params, t, dtype);
          opt.step();
          expectParams(`${c.name} step ${t}`, params, expected, tol);
        });
      });
    }
  }

  it('sgd_momentum_steplr: the optimizer uses the lr a scheduler sets', () => {
    const c = fixtures.cases.find((x) => x.name === 'sgd_momentum_steplr')!;
    const params = makeParams('float64');
    const opt = makeOptimizer(c, params);
    const sched = new optim.StepLR(opt, c.schedulerOptions!);
    c.steps.forEach((expected, t) => {
      setGrads(params, t, 'float64');
      opt.step();
      sched.step();
      expectParams(`${c.name} step ${t}`, params, expected, F64_TOL);
    });
  });

  it('a parameter whose grad is null is skipped: Adam counts its steps separately', () => {
    const c = optimizerCases.find((x) => x.name === 'adam')!;
    const params = makeParams('float64');
    const opt = makeOptimizer(c, params) as optim.Adam;
    for (let t = 0; t < c.steps.length; t++) {
      setGrads(params, t, 'float64');
      opt.step();
    }
    const nullCounts = params.map((_, i) => fixtures.grads.filter((step) => step[i] === null).length);
    params.forEach((p, i) => expect(opt.state.get(p)!.step).toBe(c.steps.length - nullCounts[i]!));
    expect(nullCounts.some((n) => n > 0)).toBe(true);
  });
});

describe('state dicts', () => {
  const SAVE_AT = 2;
  for (const c of optimizerCases) {
    it(`${c.name}: an optimizer restored after step ${SAVE_AT} continues bit-identically`, () => {
      const params = makeParams('float64');
      const opt = makeOptimizer(c, params);
      for (let t = 0; t < SAVE_AT; t++) {
        setGrads(params, t, 'float64');
        opt.step();
      }
      const saved = opt.stateDict();
      const savedValues = params.map((p) => p.toArray());
      for (let t = SAVE_AT; t < c.steps.length; t++) {
        setGrads(params, t, 'float64');
        opt.step();
      }
      // A fresh optimizer over copies of the parameters as they were when saved, built with other
      // hyperparameters: loadStateDict must restore those too.
      const restored = savedValues.map((v, i) => tensor(v, { shape: params[i]!.shape, requiresGrad: true }));
      const other = makeOptimizer({ ...c, options: { ...c.options, lr: 0.5 } }, restored);
      other.loadStateDict(saved as never);
      for (let t = SAVE_AT; t < c.steps.length; t++) {
        setGrads(restored, t, 'float64');
        other.step();
      }
      restored.forEach((p, i) => expect(Buffer.from(p.toArray().buffer)).toEqual(Buffer.from(params[i]!.toArray().buffer)));
      expect(other.stateDict()).toEqual(opt.stateDict());
    });
  }

  it('stateDict is a snapshot: later steps do not change it', () => {
    const w = tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    const opt = new optim.SGD([w], { lr: 0.1, momentum: 0.9 });
    w.grad = tensor([1, 1, 1], { dtype: 'float64' });
    opt.step();
    const saved = opt.stateDict();
    const before = (saved.state[0]!.momentumBuffer as Tensor).toArray();
    opt.step();
    expect((saved.state[0]!.momentumBuffer as Tensor).toArray()).toEqual(before);
    expect(opt.state.get(w)!.momentumBuffer!.toArray()).not.toEqual(before);
  });

  it('uses PyTorch layout: state by parameter index, groups with params as indices', () => {
    const a = zeros([2], { requiresGrad: true });
    const b = zeros([3], { requiresGrad: true });
    const opt = new optim.Adam([{ params: [a] }, { params: [b], lr: 0.5 }], { lr: 0.1 });
    b.grad = tensor([1, 2, 3]);
    opt.step();
    const sd = opt.stateDict();
    expect(Object.keys(sd.state)).toEqual(['1']);
    expect(sd.state[1]!.step).toBe(1);
    expect(sd.paramGroups.map((g) => g.params)).toEqual([[0], [1]]);
    expect(sd.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.5]);
  });

  it('casts loaded state to the parameter dtype', () => {
    const w64 = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const o64 = new optim.Adam([w64], { lr: 0.1 });
    w64.grad = tensor([0.5, -0.5], { dtype: 'float64' });
    o64.step();
    const w32 = tensor([1, 2], { dtype: 'float32', requiresGrad: true });
    const o32 = new optim.Adam([w32], { lr: 0.1 });
    o32.loadStateDict(o64.stateDict());
    expect(o32.state.get(w32)!.expAvg.dtype).toBe('float32');
  });

  it('rejects state dicts that do not fit, naming what differs', () => {
    const a = zeros([2], { requiresGrad: true });
    const b = zeros([3], { requiresGrad: true });
    const src = new optim.SGD([a, b], { lr: 0.1, momentum: 0.9 });
    a.grad = tensor([1, 1]);
    b.grad = tensor([1, 1, 1]);
    src.step();
    const sd = src.stateDict();
    const one = new optim.SGD([zeros([2], { requiresGrad: true })], { lr: 0.1 });
    expect(() => one.loadStateDict(sd)).toThrow(/parameter group 0 of the state dict has 2 parameters, this optimizer's has 1/);
    const twoGroups = new optim.SGD([{ params: [zeros([2], { requiresGrad: true })] }, { params: [zeros([3], { requiresGrad: true })] }], { lr: 0.1 });
    expect(() => twoGroups.loadStateDict(sd)).toThrow(/1 parameter groups, this optimizer has 2/);
    const swapped = new optim.SGD([zeros([3], { requiresGrad: true }), zeros([2], { requiresGrad: true })], { lr: 0.1 });
    expect(() => swapped.loadStateDict(sd)).toThrow(/state of parameter 0: momentumBuffer has shape \[2\], but the parameter has shape \[3\]/);
    const adam = new optim.Adam([zeros([2], { requiresGrad: true }), zeros([3], { requiresGrad: true })]);
    expect(() => adam.loadStateDict(sd as never)).toThrow(/Adam.loadStateDict: parameter group 0: invalid eps undefined/);
    const adamSd = adam.stateDict();
    adam.paramGroups[0]!.params.forEach((q) => { q.grad = zerosLike(q); });
    adam.step();
    const full = adam.stateDict();
    delete (full.state[1] as { step?: number }).step;
    expect(() => adam.loadStateDict(full)).toThrow(/state of parameter 1: step must be a non-negative integer, got undefined/);
    expect(adamSd.state).toEqual({});
  });
});

describe('step and zeroGrad', () => {
  it('updates parameters in place (same storage, views see it)', () => {
    const w = tensor([1, 2, 3, 4], { dtype: 'float64', requiresGrad: true });
    const storage = w.array.data;
    const view = w.detach().reshape([2, 2]);
    const opt = new optim.SGD([w], { lr: 0.5 });
    w.grad = tensor([2, 2, 2, 2], { dtype: 'float64' });
    opt.step();
    expect(w.array.data).toBe(storage);
    expect([...w.toArray()]).toEqual([0, 1, 2, 3]);
    expect([...view.toArray()]).toEqual([0, 1, 2, 3]);
  });

  it('updates a contiguous parameter that starts at an offset in shared storage', () => {
    const data = new Float64Array([9, 1, 2, 9]);
    const w = new Tensor(new NDArray(data, [2], [1], 1), { requiresGrad: true });
    const opt = new optim.SGD([w], { lr: 1 });
    w.grad = tensor([1, 1], { dtype: 'float64' });
    opt.step();
    expect([...data]).toEqual([9, 0, 1, 9]);
  });

  it('zeroGrad sets grads to null, or to zeros with setToNone = false', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const opt = new optim.SGD([w], { lr: 0.1 });
    w.mul(w).sum().backward();
    expect(w.grad).not.toBeNull();
    opt.zeroGrad();
    expect(w.grad).toBeNull();
    w.mul(w).sum().backward();
    opt.zeroGrad(false);
    expect([...w.grad!.toArray()]).toEqual([0, 0]);
  });

  it('step runs a closure with gradients on and returns its value', () => {
    const w = tensor([3], { dtype: 'float64', requiresGrad: true });
    const opt = new optim.SGD([w], { lr: 0.25 });
    const loss = opt.step(() => {
      opt.zeroGrad();
      const l = w.mul(w).sum();
      l.backward();
      return l.item();
    });
    expect(loss).toBe(9);
    expect(w.item()).toBe(3 - 0.25 * 6);
  });

  it('every optimizer decreases a quadratic loss through autograd', () => {
    const makers: [string, (p: Tensor[]) => AnyOptimizer][] = [
      ['SGD', (p) => new optim.SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true })],
      ['Adam', (p) => new optim.Adam(p, { lr: 0.05 })],
      ['AdamW', (p) => new optim.AdamW(p, { lr: 0.05 })],
      ['RMSprop', (p) => new optim.RMSprop(p, { lr: 0.01, momentum: 0.5, centered: true })],
      ['Adagrad', (p) => new optim.Adagrad(p, { lr: 0.5 })],
    ];
    for (const [name, make] of makers) {
      const w = tensor([[1, -2], [0.5, 3]], { dtype: 'float64', requiresGrad: true });
      const target = tensor([[0.2, 0.1], [-0.3, 0.4]], { dtype: 'float64' });
      const opt = make([w]);
      const lossOf = (): Tensor => w.sub(target).square().sum();
      const first = lossOf().item();
      for (let i = 0; i < 50; i++) {
        opt.zeroGrad();
        lossOf().backward();
        opt.step();
      }
      expect(lossOf().item(), name).toBeLessThan(first * 0.05);
    }
  });
});

describe('errors', () => {
  const p = (): Tensor => zeros([2], { requiresGrad: true });

  it('nesterov needs momentum > 0 and zero dampening', () => {
    expect(() => new optim.SGD([p()], { lr: 0.1, nesterov: true })).toThrow(/Nesterov momentum requires a momentum > 0 and zero dampening/);
    expect(() => new optim.SGD([p()], { lr: 0.1, nesterov: true, momentum: 0.9, dampening: 0.1 })).toThrow(/zero dampening/);
    expect(() => new optim.SGD([{ params: [p()], momentum: 0 }], { lr: 0.1, momentum: 0.9, nesterov: true })).toThrow(/parameter group 0/);
  });

  it('invalid hyperparameters', () => {
    expect(() => new optim.SGD([p()], {})).toThrow(/SGD: parameter group 0 has no lr/);
    expect(() => new optim.SGD([p()], { lr: -1 })).toThrow(/invalid learning rate -1/);
    expect(() => new optim.SGD([p()], { lr: 0.1, momentum: -0.5 })).toThrow(/invalid momentum/);
    expect(() => new optim.Adam([p()], { betas: [0.9, 1] })).toThrow(/invalid beta parameter at index 1: 1/);
    expect(() => new optim.AdamW([p()], { eps: -1 })).toThrow(/AdamW: parameter group 0: invalid eps -1/);
    expect(() => new optim.Adam([p()], { weightDecay: -0.1 })).toThrow(/invalid weightDecay/);
    expect(() => new optim.SGD([p()], { lr: 0.1, weight_decay: 1e-4 } as never)).toThrow(/SGD: unknown option 'weight_decay' — did you mean 'weightDecay'\? \(expected lr, momentum, dampening, weightDecay, nesterov, maximize\)/);
    expect(() => new optim.Adam([{ params: [p()], beta1: 0.5 } as never])).toThrow(/Adam: parameter group 0: unknown option 'beta1'/);
  });

  it('bad parameter lists', () => {
    expect(() => new optim.SGD([], { lr: 0.1 })).toThrow(/empty parameter list/);
    expect(() => new optim.SGD(p() as unknown as Tensor[], { lr: 0.1 })).toThrow(/iterable of Tensors/);
    const w = p();
    expect(() => new optim.SGD([w, w], { lr: 0.1 })).toThrow(/appears more than once/);
    expect(() => new optim.SGD([{ params: [w] }, { params: [w] }], { lr: 0.1 })).toThrow(/parameter group 1: params\[0\] appears more than once/);
    expect(() => new optim.SGD([w.mul(2)], { lr: 0.1 })).toThrow(/not a leaf tensor/);
    expect(() => new optim.SGD([w, { params: [p()] }] as never, { lr: 0.1 })).toThrow(/not a mix/);
  });

  it('a non-contiguous parameter or a gradient of the wrong shape', () => {
    const w = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    const opt = new optim.SGD([w], { lr: 0.1 });
    w.array = w.array.transpose(0, 1);
    w.grad = zeros([3, 2]);
    expect(() => opt.step()).toThrow(/SGD.step: parameter 0 \(shape \[3, 2\]\) is a non-contiguous view/);
    const v = p();
    const opt2 = new optim.Adam([v]);
    v.grad = zeros([3]);
    expect(() => opt2.step()).toThrow(/Adam.step: parameter 0 \(shape \[2\]\): the gradient has shape \[3\]/);
  });
});
