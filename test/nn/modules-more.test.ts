// The activation and loss modules over F: values by hand, PyTorch's parameter names, clear errors.
import { describe, expect, it } from 'vitest';
import { nn, tensor } from '../../src/index.js';

const f64 = { dtype: 'float64' as const };
const v = (t: { toArray(): ArrayLike<number> }): number[] => Array.from(t.toArray());

describe('activation modules', () => {
  it('SiLU, Softsign, PReLU, GLU, Softmax, LogSoftmax', () => {
    expect(v(new nn.SiLU().call(tensor([0, 2], f64)))).toEqual([0, 2 / (1 + Math.exp(-2))]);
    expect(v(new nn.Softsign().call(tensor([-1, 3], f64)))).toEqual([-0.5, 0.75]);
    const prelu = new nn.PReLU({ numParameters: 2, init: 0.1, dtype: 'float64' });
    expect([...prelu.stateDict().keys()]).toEqual(['weight']);
    expect(v(prelu.call(tensor([[-2, -4], [3, 5]], f64)))).toEqual([-0.2, -0.4, 3, 5]);
    expect(v(new nn.GLU(0).call(tensor([1, 0], f64)))).toEqual([0.5]);
    expect(v(new nn.Softmax(0).call(tensor([0, 0], f64)))).toEqual([0.5, 0.5]);
    expect(v(new nn.LogSoftmax(0).call(tensor([0, 0], f64)))).toEqual([-Math.LN2, -Math.LN2]);
    expect(() => new nn.PReLU({ numParameters: 3 }).call(tensor([[1, 2]]))).toThrow(/prelu: weight must hold 1 value or one per channel \(2\)/);
    expect(() => new nn.GLU().call(tensor([1, 2, 3]))).toThrow(/glu: halving dim -1 needs an even size, got 3/);
  });
});

describe('loss modules', () => {
  it('CrossEntropyLoss, NLLLoss, MSELoss, L1Loss equal their F functions and take options', () => {
    const logits = tensor([[2, 0, 0]], f64);
    const expected = -Math.log(Math.exp(2) / (Math.exp(2) + 2));
    expect(new nn.CrossEntropyLoss().call(logits, tensor([0])).item()).toBeCloseTo(expected, 14);
    expect(new nn.NLLLoss({ reduction: 'sum' }).call(tensor([[-0.5, -1]], f64), tensor([1])).item()).toBe(1);
    expect(new nn.MSELoss({ reduction: 'sum' }).call(tensor([1, 2], f64), tensor([1, 4], f64)).item()).toBe(4);
    expect(new nn.L1Loss().call(tensor([1, 2], f64), tensor([1, 4], f64)).item()).toBe(1);
    expect(() => new nn.L1Loss().call(tensor([1]))).toThrow(/L1Loss: call\(input, target\) takes 2 tensors, got 1/);
    expect(() => new nn.MSELoss({ reduction: 'avg' as 'mean' }).call(tensor([1]), tensor([1]))).toThrow(/mseLoss/);
  });
});

describe('activation modules of issue 14, part 2', () => {
  it('each equals its formula written out, and options are checked when the module is built', () => {
    const x = tensor([-2, -0.5, 0.5, 4], f64);
    const xs = [-2, -0.5, 0.5, 4];
    const sig = (u: number): number => 1 / (1 + Math.exp(-u));
    const close = (actual: number[], expected: number[]): void => actual.forEach((a, i) => expect(a).toBeCloseTo(expected[i]!, 14));
    close(v(new nn.ELU({ alpha: 0.5 }).call(x)), xs.map((u) => (u > 0 ? u : 0.5 * (Math.exp(u) - 1))));
    const [alpha, scale] = [1.6732632423543772, 1.0507009873554805];
    close(v(new nn.SELU().call(x)), xs.map((u) => (u > 0 ? scale * u : scale * alpha * (Math.exp(u) - 1))));
    close(v(new nn.Softplus({ beta: 2, threshold: 4 }).call(x)), xs.map((u) => (2 * u > 4 ? u : Math.log1p(Math.exp(2 * u)) / 2)));
    close(v(new nn.Mish().call(x)), xs.map((u) => u * Math.tanh(Math.log1p(Math.exp(u)))));
    close(v(new nn.Hardtanh({ minVal: -1, maxVal: 2 }).call(x)), [-1, -0.5, 0.5, 2]);
    close(v(new nn.ReLU6().call(tensor([-1, 3, 7], f64))), [0, 3, 6]);
    close(v(new nn.Hardswish().call(x)), xs.map((u) => (u * Math.min(Math.max(u + 3, 0), 6)) / 6));
    close(v(new nn.Hardsigmoid().call(x)), xs.map((u) => Math.min(Math.max(u + 3, 0), 6) / 6));
    close(v(new nn.LogSigmoid().call(x)), xs.map((u) => Math.log(sig(u))));
    for (const m of [new nn.ELU(), new nn.SELU(), new nn.Softplus(), new nn.Mish(), new nn.Hardtanh(), new nn.ReLU6(), new nn.Hardswish(), new nn.Hardsigmoid(), new nn.LogSigmoid()]) {
      expect([...m.stateDict().keys()]).toEqual([]);
    }
    expect(() => new nn.ELU({ alpha: Number.NaN })).toThrow('ELU: alpha must be a finite number, got NaN');
    expect(() => new nn.Softplus({ beta: 0 })).toThrow('Softplus: beta must not be 0');
    expect(() => new nn.Hardtanh({ minVal: 2, maxVal: 1 })).toThrow('Hardtanh: minVal (2) must not exceed maxVal (1)');
  });
});

describe('loss modules of issue 14, part 2', () => {
  it('SmoothL1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss, KLDivLoss give their formulas written out', () => {
    const input = tensor([0.5, 3], f64);
    const target = tensor([0, 0], f64);
    expect(new nn.SmoothL1Loss({ beta: 1 }).call(input, target).item()).toBeCloseTo((0.125 + 2.5) / 2, 15);
    expect(new nn.HuberLoss({ delta: 2, reduction: 'sum' }).call(input, target).item()).toBeCloseTo(0.125 + 2 * (3 - 1), 15);
    const p = tensor([0.8, 0.25], f64);
    const y = tensor([1, 0.5], f64);
    const bce = (q: number, t: number): number => -(t * Math.log(q) + (1 - t) * Math.log(1 - q));
    expect(new nn.BCELoss().call(p, y).item()).toBeCloseTo((bce(0.8, 1) + bce(0.25, 0.5)) / 2, 14);
    const w = tensor([2, 3], f64);
    expect(new nn.BCELoss({ weight: w, reduction: 'sum' }).call(p, y).item()).toBeCloseTo(2 * bce(0.8, 1) + 3 * bce(0.25, 0.5), 14);
    const logits = tensor([1.5, -2], f64);
    const sig = (u: number): number => 1 / (1 + Math.exp(-u));
    // posWeight c scales the positive term: −(c·t·log σ(x) + (1 − t)·log(1 − σ(x))).
    const withPos = (u: number, t: number, c: number): number => -(c * t * Math.log(sig(u)) + (1 - t) * Math.log(1 - sig(u)));
    const pos = tensor([4, 0.5], f64);
    expect(new nn.BCEWithLogitsLoss({ posWeight: pos, weight: w }).call(logits, y).item())
      .toBeCloseTo((2 * withPos(1.5, 1, 4) + 3 * withPos(-2, 0.5, 0.5)) / 2, 14);
    const logq = tensor([[Math.log(0.5), Math.log(0.5)], [Math.log(0.25), Math.log(0.75)]], f64);
    const tp = tensor([[0.25, 0.75], [0.5, 0.5]], f64);
    const kl = (a: number[], b: number[]): number => a.reduce((s, ai, i) => s + ai * Math.log(ai / b[i]!), 0);
    expect(new nn.KLDivLoss({ reduction: 'batchmean' }).call(logq, tp).item()).toBeCloseTo((kl([0.25, 0.75], [0.5, 0.5]) + kl([0.5, 0.5], [0.25, 0.75])) / 2, 14);
    expect(new nn.KLDivLoss({ reduction: 'sum', logTarget: true }).call(logq, tp.log()).item()).toBeCloseTo(kl([0.25, 0.75], [0.5, 0.5]) + kl([0.5, 0.5], [0.25, 0.75]), 14);
  });

  it("BCELoss and BCEWithLogitsLoss keep weight and pos_weight as buffers under PyTorch's keys", () => {
    expect([...new nn.BCELoss().stateDict().keys()]).toEqual([]);
    expect([...new nn.BCELoss({ weight: tensor([1, 2]) }).stateDict().keys()]).toEqual(['weight']);
    const loss = new nn.BCEWithLogitsLoss({ weight: tensor([1, 2]), posWeight: tensor([3, 3]) });
    expect([...loss.stateDict().keys()]).toEqual(['weight', 'pos_weight']);
    expect(loss.parameters()).toEqual([]);
    // Loading a new pos_weight changes the loss: the module reads its buffer, not a copy.
    const before = loss.call(tensor([[0.5, -1]]), tensor([[1, 1]])).item();
    loss.loadStateDict(new Map([['weight', tensor([1, 2])], ['pos_weight', tensor([1, 1])]]));
    const after = loss.call(tensor([[0.5, -1]]), tensor([[1, 1]])).item();
    expect(after).toBeLessThan(before);
    expect(after).toBeCloseTo((Math.log1p(Math.exp(-0.5)) + 2 * Math.log1p(Math.exp(1))) / 2, 6);
  });

  it('bad input: wrong target shape, probabilities outside [0, 1], bad options, array targets', () => {
    expect(() => new nn.BCELoss().call(tensor([0.5, 0.5]), tensor([[1, 0]]))).toThrow('binaryCrossEntropy: target of shape [1, 2] must have the input\'s shape [2]');
    expect(() => new nn.BCELoss().call(tensor([0.5, 1.5]), tensor([1, 0]))).toThrow('binaryCrossEntropy: every element of the input must be a probability in [0, 1]; element 1 (flat) is 1.5');
    expect(() => new nn.BCEWithLogitsLoss().call(tensor([0.5, 0.5]), tensor([1]))).toThrow("binaryCrossEntropyWithLogits: target of shape [1] must have the input's shape [2]");
    expect(() => new nn.BCELoss({ reduction: 'avg' as 'mean' })).toThrow("BCELoss: reduction must be 'mean', 'sum' or 'none'");
    expect(() => new nn.KLDivLoss({ reduction: 'batch' as 'mean' })).toThrow("KLDivLoss: reduction must be 'mean', 'sum' or 'none'");
    expect(() => new nn.BCELoss({ weight: [1, 2] as never })).toThrow('BCELoss: weight must be a Tensor, got an array of length 2');
    expect(() => new nn.SmoothL1Loss().call(tensor([1, 2]), [1, 2] as never)).toThrow("SmoothL1Loss: target must be a Tensor of the input's shape, got an array");
  });
});

describe('weighted loss modules keep weight as a buffer (PyTorch state-dict keys)', () => {
  it('CrossEntropyLoss and NLLLoss with a weight have the key "weight"; loading it changes the loss', () => {
    const ce = new nn.CrossEntropyLoss({ weight: tensor([1, 2], f64) });
    expect([...ce.stateDict().keys()]).toEqual(['weight']);
    expect([...new nn.NLLLoss().stateDict().keys()]).toEqual([]);
    const logits = tensor([[0, 0], [0, 0]], f64);
    const before = ce.call(logits, tensor([0, 1])).item();
    ce.loadStateDict({ weight: tensor([1, 1], f64) });
    expect(before).toBeCloseTo(Math.LN2, 14); // weighted mean of equal per-sample losses
    expect(ce.call(logits, tensor([0, 1])).item()).toBeCloseTo(Math.LN2, 14);
    const nll = new nn.NLLLoss({ weight: tensor([3, 1], f64), reduction: 'sum' });
    expect(nll.call(tensor([[-1, -2]], f64), tensor([0])).item()).toBe(3);
    nll.loadStateDict({ weight: tensor([5, 1], f64) });
    expect(nll.call(tensor([[-1, -2]], f64), tensor([0])).item()).toBe(5);
  });
});
