/**
 * mseLoss, l1Loss, smoothL1Loss and huberLoss broadcast a target whose shape differs from the
 * input's, as PyTorch does — and, as PyTorch does, say so: an input [N, 1] against a target [N]
 * gives an N×N matrix of differences, a loss that trains and is wrong. PyTorch 1.13 warns "Using a
 * target size (torch.Size([3])) that is different to the input size (torch.Size([3, 1]))"; tsgrad
 * emits a Node process warning (code TSGRAD_TARGET_SHAPE), once per function and pair of shapes.
 * The values stay PyTorch's: torch 1.13 (`/usr/bin/python3`, F.mse_loss etc.) gives mse 4/3, l1 8/9,
 * smooth L1 and Huber 5/9 for the input [[1], [2], [3]] against the target [1, 2, 3].
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { F, nn, tensor, type Tensor } from '../../src/index.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const losses: [string, (input: Tensor, target: Tensor) => Tensor, number][] = [
  ['mseLoss', (a, b) => F.mseLoss(a, b), 4 / 3],
  ['l1Loss', (a, b) => F.l1Loss(a, b), 8 / 9],
  ['smoothL1Loss', (a, b) => F.smoothL1Loss(a, b), 5 / 9],
  ['huberLoss', (a, b) => F.huberLoss(a, b), 5 / 9],
];

describe('a target shape that is not the input shape: the loss broadcasts (as PyTorch) and warns (as PyTorch)', () => {
  for (const [fn, loss, torchValue] of losses) {
    it(fn, () => {
      const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      const input = tensor([[1], [2], [3]]);
      expect(loss(input, tensor([1, 2, 3])).item()).toBeCloseTo(torchValue, 6);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]![0]).toBe(
        `${fn}: a target of shape [3] is not the input's shape [3, 1]; they broadcast (as in PyTorch, which warns too), which will likely give a wrong loss. Give the target the input's shape.`,
      );
      expect(warn.mock.calls[0]![1]).toEqual({ code: 'TSGRAD_TARGET_SHAPE' });
      // Once per pair of shapes: a training loop does not repeat it every step.
      loss(input, tensor([1, 2, 3]));
      expect(warn).toHaveBeenCalledTimes(1);
      // Equal shapes: no warning, and the elementwise loss (0 here).
      expect(loss(input, tensor([[1], [2], [3]])).item()).toBe(0);
      expect(warn).toHaveBeenCalledTimes(1);
    });
  }

  it('the loss modules warn too (they call F)', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    new nn.MSELoss().call(tensor([[1], [2]]), tensor([1, 2]));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/^mseLoss: a target of shape \[2\] is not the input's shape \[2, 1\]/);
  });
});
