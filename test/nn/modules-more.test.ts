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
