// RMSprop and Adagrad beyond the PyTorch trajectories of optimizers.test.ts: their state layout,
// where tsgrad differs from PyTorch on purpose, version bumps, and the errors for bad options.
import { describe, expect, it } from 'vitest';
import { Tensor, optim, tensor, zeros } from '../../src/index.js';

const p = (): Tensor => zeros([2], { requiresGrad: true });

describe('RMSprop', () => {
  it('creates the momentum buffer and ḡ only for the options that need them', () => {
    const w = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const opt = new optim.RMSprop([w], { lr: 0.1 });
    w.grad = tensor([1, -1], { dtype: 'float64' });
    opt.step();
    expect(Object.keys(opt.state.get(w)!).sort()).toEqual(['squareAvg', 'step']);
    // By hand: v = 0.01·g² = 0.01, θ ← θ − 0.1·g/(√0.01 + 1e-8).
    expect([...opt.state.get(w)!.squareAvg.toArray()]).toEqual([(1 - 0.99) * 1 * 1, (1 - 0.99) * 1 * 1]);
    const v = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const centered = new optim.RMSprop([v], { momentum: 0.5, centered: true });
    v.grad = tensor([1, -1], { dtype: 'float64' });
    centered.step();
    expect(Object.keys(centered.state.get(v)!).sort()).toEqual(['gradAvg', 'momentumBuffer', 'squareAvg', 'step']);
  });

  it('starts a momentum buffer at zero when momentum is switched on after the first step', () => {
    const a = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const opt = new optim.RMSprop([a], { lr: 0.1 });
    a.grad = tensor([1, -1], { dtype: 'float64' });
    opt.step();
    opt.paramGroups[0]!.momentum = 0.9;
    opt.step();
    // With a zero buffer, b = 0.9·0 + g/d: the step equals a momentum-free step.
    const b = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const ref = new optim.RMSprop([b], { lr: 0.1 });
    b.grad = tensor([1, -1], { dtype: 'float64' });
    ref.step();
    ref.step();
    expect([...a.toArray()]).toEqual([...b.toArray()]);
    expect(opt.state.get(a)!.momentumBuffer).toBeInstanceOf(Tensor);
  });

  it('bad options: negative lr, eps, momentum, weightDecay; alpha outside [0, 1]', () => {
    expect(() => new optim.RMSprop([p()], { lr: -0.1 })).toThrow(/RMSprop: parameter group 0: invalid learning rate -0.1 \(expected a finite number >= 0\)/);
    expect(() => new optim.RMSprop([p()], { alpha: 1.5 })).toThrow(/RMSprop: parameter group 0: invalid alpha 1.5 \(expected 0 <= alpha <= 1/);
    expect(() => new optim.RMSprop([p()], { alpha: -0.1 })).toThrow(/invalid alpha -0.1/);
    expect(() => new optim.RMSprop([p()], { alpha: Number.NaN })).toThrow(/invalid alpha NaN/);
    expect(() => new optim.RMSprop([p()], { eps: -1 })).toThrow(/invalid eps -1/);
    expect(() => new optim.RMSprop([p()], { momentum: -0.9 })).toThrow(/invalid momentum -0.9/);
    expect(() => new optim.RMSprop([p()], { weightDecay: -1e-4 })).toThrow(/invalid weightDecay/);
    expect(() => new optim.RMSprop([{ params: [p()], alpha: 2 }])).toThrow(/RMSprop: parameter group 0: invalid alpha 2/);
    expect(() => new optim.RMSprop([p()], { weight_decay: 0.1 } as never)).toThrow(/RMSprop: unknown option 'weight_decay' — did you mean 'weightDecay'\?/);
  });

  it('rejects a loaded state without squareAvg', () => {
    const w = p();
    const opt = new optim.RMSprop([w]);
    w.grad = tensor([1, 1]);
    opt.step();
    const sd = opt.stateDict();
    delete (sd.state[0] as { squareAvg?: Tensor }).squareAvg;
    expect(() => opt.loadStateDict(sd)).toThrow(/RMSprop.loadStateDict: state of parameter 0: squareAvg is a required tensor/);
  });
});

describe('Adagrad', () => {
  it('has every parameter state from construction, as PyTorch (step 0, sum = initialAccumulatorValue)', () => {
    const a = zeros([2], { dtype: 'float64', requiresGrad: true });
    const b = zeros([3], { dtype: 'float64', requiresGrad: true });
    const opt = new optim.Adagrad([a, b], { initialAccumulatorValue: 0.25 });
    const sd = opt.stateDict();
    expect(Object.keys(sd.state)).toEqual(['0', '1']);
    expect(sd.state[1]!.step).toBe(0);
    expect([...sd.state[1]!.sum.toArray()]).toEqual([0.25, 0.25, 0.25]);
  });

  it('fills the sum with the group\'s own initialAccumulatorValue (PyTorch 1.13 uses the constructor\'s)', () => {
    const a = zeros([2], { dtype: 'float64', requiresGrad: true });
    const b = zeros([2], { dtype: 'float64', requiresGrad: true });
    const opt = new optim.Adagrad([{ params: [a] }, { params: [b], initialAccumulatorValue: 3 }], { initialAccumulatorValue: 1 });
    expect([...opt.state.get(a)!.sum.toArray()]).toEqual([1, 1]);
    expect([...opt.state.get(b)!.sum.toArray()]).toEqual([3, 3]);
    // A group added later starts its state on its first step, with its value.
    const c = zeros([1], { dtype: 'float64', requiresGrad: true });
    opt.addParamGroup({ params: [c], initialAccumulatorValue: 4 });
    c.grad = tensor([2], { dtype: 'float64' });
    opt.step();
    expect([...opt.state.get(c)!.sum.toArray()]).toEqual([4 + 2 * 2]);
    expect(opt.state.get(c)!.step).toBe(1);
  });

  it('lrDecay divides the lr by 1 + (t − 1)·lrDecay at step t', () => {
    const w = tensor([0], { dtype: 'float64', requiresGrad: true });
    const opt = new optim.Adagrad([w], { lr: 1, lrDecay: 0.5, eps: 0 });
    const steps: number[] = [];
    for (let t = 0; t < 3; t++) {
      const before = w.item();
      w.grad = tensor([1], { dtype: 'float64' });
      opt.step();
      steps.push(before - w.item());
    }
    // sum after t unit gradients = t, so the step is 1/(1 + (t−1)/2) · 1/√t.
    expect(steps[0]).toBe(1);
    expect(steps[1]).toBeCloseTo(1 / 1.5 / Math.SQRT2, 15);
    expect(steps[2]).toBeCloseTo(1 / 2 / Math.sqrt(3), 15);
  });

  it('bad options: negative lr, lrDecay, weightDecay, initialAccumulatorValue, eps', () => {
    expect(() => new optim.Adagrad([p()], { lr: -1 })).toThrow(/Adagrad: parameter group 0: invalid learning rate -1/);
    expect(() => new optim.Adagrad([p()], { lrDecay: -0.1 })).toThrow(/invalid lrDecay -0.1/);
    expect(() => new optim.Adagrad([p()], { weightDecay: -0.1 })).toThrow(/invalid weightDecay -0.1/);
    expect(() => new optim.Adagrad([p()], { initialAccumulatorValue: -1 })).toThrow(/invalid initialAccumulatorValue -1/);
    expect(() => new optim.Adagrad([p()], { eps: Number.POSITIVE_INFINITY })).toThrow(/invalid eps Infinity/);
    expect(() => new optim.Adagrad([p()], { lr_decay: 0.1 } as never)).toThrow(/Adagrad: unknown option 'lr_decay' — did you mean 'lrDecay'\?/);
  });
});

describe('RMSprop and Adagrad steps bump the parameter version', () => {
  const makers: [string, (w: Tensor) => optim.Optimizer][] = [
    ['RMSprop', (w) => new optim.RMSprop([w], { momentum: 0.9, centered: true })],
    ['Adagrad', (w) => new optim.Adagrad([w])],
  ];
  for (const [name, make] of makers) {
    it(name, () => {
      const w = tensor([1, 2], { requiresGrad: true });
      const opt = make(w);
      const saved = w.mul(w).sum(); // mul saves w for its backward
      w.grad = tensor([1, 1]);
      const before = w.version;
      opt.step();
      expect(w.version).toBe(before + 1);
      expect(() => saved.backward()).toThrow(/version/);
    });
  }
});
