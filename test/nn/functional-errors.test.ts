// Bad input to the F functions gives an error that names the function and the shapes or values at
// fault, never a wrong result or a message from deep inside a kernel.
import { describe, expect, it } from 'vitest';
import { F, nn, ones, randn, tensor, zeros } from '../../src/index.js';

describe('F functions reject bad input with clear errors', () => {
  it('conv2d', () => {
    const x = randn([2, 4, 5, 5]);
    const w = randn([6, 2, 3, 3]);
    expect(() => F.conv2d(randn([4, 5]), w)).toThrow('conv2d: expected input of shape [N, C, H, W] (or unbatched [C, H, W]), got shape [4, 5]');
    expect(() => F.conv2d(x, randn([6, 2, 3]))).toThrow('conv2d: expected weight of shape [Cout, Cin/groups, kH, kW], got shape [6, 2, 3]');
    expect(() => F.conv2d(x, w)).toThrow('conv2d: with groups=1, a weight of shape [6, 2, 3, 3] expects 2 input channels, but the input of shape [2, 4, 5, 5] has 4');
    expect(() => F.conv2d(x, randn([6, 1, 3, 3]), null, { groups: 2 })).toThrow('conv2d: with groups=2, a weight of shape [6, 1, 3, 3] expects 2 input channels, but the input of shape [2, 4, 5, 5] has 4');
    expect(() => F.conv2d(x, randn([5, 2, 3, 3]), null, { groups: 2 })).toThrow('conv2d: groups=2 must divide the 5 output channels of the weight (input [2, 4, 5, 5], weight [5, 2, 3, 3])');
    expect(() => F.conv2d(x, w, null, { groups: 0 })).toThrow('conv2d: groups must be a positive integer, got 0');
    expect(() => F.conv2d(x, randn([6, 4, 7, 3]))).toThrow('conv2d: the kernel (7×3 with dilation) is larger than the padded input (5×5): input [2, 4, 5, 5], weight [6, 4, 7, 3], padding [0, 0]');
    expect(() => F.conv2d(x, randn([6, 4, 3, 3]), null, { dilation: 3 })).toThrow('conv2d: the kernel (7×7 with dilation) is larger than the padded input (5×5)');
    expect(() => F.conv2d(x, randn([6, 4, 3, 3]), randn([5]))).toThrow('conv2d: bias must have shape [6] (one per output channel), got [5]');
    expect(() => F.conv2d(x, w, null, { groups: 2, stride: 0 })).toThrow('conv2d: stride must be an integer ≥ 1 or a pair [h, w] of them, got 0');
    expect(() => F.conv2d(x, w, null, { groups: 2, padding: [1, -1] })).toThrow('conv2d: padding must be an integer ≥ 0 or a pair [h, w] of them, got [1, -1]');
    expect(() => F.conv2d(x, w, null, { groups: 2, dilation: 1.5 })).toThrow('conv2d: dilation must be an integer ≥ 1');
    expect(() => F.conv2d(x, w, null, { groups: 2, padding: 'same', stride: 2 })).toThrow("conv2d: padding 'same' needs stride 1, got stride [2, 2]");
    expect(() => F.conv2d([1, 2] as never, w)).toThrow('conv2d: input must be a Tensor, got an array of length 2');
  });

  it('pooling', () => {
    const x = randn([1, 2, 5, 5]);
    expect(() => F.maxPool2d(randn([5, 5]), 2)).toThrow('maxPool2d: expected input of shape [N, C, H, W] (or unbatched [C, H, W]), got shape [5, 5]');
    expect(() => F.maxPool2d(x, { kernelSize: 3, padding: 2 })).toThrow('maxPool2d: padding [2, 2] must be at most half the kernel size [3, 3]');
    expect(() => F.maxPool2d(x, 7)).toThrow('maxPool2d: the input of shape [1, 2, 5, 5] is too small for kernel [7, 7] (padding [0, 0], dilation [1, 1]): the output would be 0×0');
    expect(() => F.maxPool2d(x, { kernelSize: 3, dilation: 3 })).toThrow('maxPool2d: the input of shape [1, 2, 5, 5] is too small for kernel [3, 3] (padding [0, 0], dilation [3, 3])');
    expect(() => F.maxPool2d(x, 0)).toThrow('maxPool2d: kernelSize must be an integer ≥ 1 or a pair [h, w] of them, got 0');
    // No kernel size at all (it used to be "Cannot read properties of undefined (reading 'ceilMode')").
    expect(() => F.maxPool2d(x, undefined as never)).toThrow('maxPool2d: expected a kernel size (a number or [h, w]) or an options object with kernelSize, got undefined');
    expect(() => F.maxPool2d(x, null as never)).toThrow('maxPool2d: expected a kernel size (a number or [h, w]) or an options object with kernelSize, got null');
    expect(() => F.maxPool2d(x, {} as never)).toThrow('maxPool2d: the options object has no kernelSize (a number or [h, w])');
    expect(() => F.avgPool2d(x, '2' as never)).toThrow('avgPool2d: expected a kernel size (a number or [h, w]) or an options object with kernelSize, got string "2"');
    expect(() => F.avgPool2d(x, { stride: 1 } as never)).toThrow('avgPool2d: the options object has no kernelSize (a number or [h, w])');
    expect(() => new nn.MaxPool2d(undefined as never)).toThrow('MaxPool2d: kernelSize must be an integer ≥ 1 or a pair [h, w] of them, got undefined');
    expect(() => new nn.AvgPool2d('3' as never)).toThrow('AvgPool2d: kernelSize must be an integer ≥ 1 or a pair [h, w] of them, got "3"');
    expect(() => F.maxPool2d(x, Number.NaN)).toThrow('maxPool2d: kernelSize must be an integer ≥ 1 or a pair [h, w] of them, got NaN');
    expect(() => F.avgPool2d(x, { kernelSize: 2, stride: [1, 0] })).toThrow('avgPool2d: stride must be an integer ≥ 1 or a pair [h, w] of them, got [1, 0]');
    expect(() => F.avgPool2d(x, { kernelSize: 2, divisorOverride: 0 })).toThrow('avgPool2d: divisorOverride must be a non-zero number, got 0');
    expect(() => F.avgPool2d(randn([1, 1, 1, 5]), [2, 2])).toThrow('avgPool2d: the input of shape [1, 1, 1, 5] is too small for kernel [2, 2]');
    expect(() => F.adaptiveAvgPool2d(randn([4]), 1)).toThrow('adaptiveAvgPool2d: expected input of shape [N, C, H, W] (or unbatched [C, H, W]), got shape [4]');
    expect(() => F.adaptiveAvgPool2d(x, 0)).toThrow('adaptiveAvgPool2d: outputSize must be an integer ≥ 1 or a pair [h, w] of them, got [0, 0]');
    expect(() => F.adaptiveAvgPool2d(x, [1, 2, 3] as never)).toThrow('adaptiveAvgPool2d: outputSize must be a number or a pair [h, w] (null keeps a size), got [1, 2, 3]');
    expect(() => F.adaptiveAvgPool2d(randn([1, 2, 0, 3]), 1)).toThrow('adaptiveAvgPool2d: the input of shape [1, 2, 0, 3] has an empty spatial dim');
  });

  it('linear and activations', () => {
    expect(() => F.linear(randn([3, 5]), randn([2, 4]))).toThrow('linear: the input of shape [3, 5] needs 4 features in its last dim to match the weight of shape [2, 4] ([out, in])');
    expect(() => F.linear(randn([3, 4]), randn([4]))).toThrow('linear: expected weight of shape [out, in], got shape [4]');
    expect(() => F.linear(randn([3, 4]), randn([2, 4]), randn([3]))).toThrow('linear: bias must have shape [2] (one per output feature of the weight [2, 4]), got [3]');
    expect(() => F.softmax(randn([2, 3]), 2)).toThrow('softmax: dim 2 is out of range for a tensor with 2 dimension(s)');
    expect(() => F.logSoftmax(randn([2, 3]), -3)).toThrow('logSoftmax: dim -3 is out of range');
    expect(() => F.gelu(randn([2]), { approximate: 'fast' as never })).toThrow(`gelu: approximate must be 'none' or 'tanh', got "fast"`);
    expect(() => F.leakyRelu(randn([2]), NaN)).toThrow('leakyRelu: negativeSlope must be a finite number, got NaN');
    expect(() => F.relu(3 as never)).toThrow('relu: input must be a Tensor, got number 3');
  });

  it('crossEntropy and nllLoss', () => {
    const logits = randn([3, 4]);
    expect(() => F.crossEntropy(logits, [0, 4, 1])).toThrow('crossEntropy: target 4 at flat index 1 is out of range for 4 classes (expected 0 … 3, or ignoreIndex -100)');
    expect(() => F.crossEntropy(logits, [0, -1, 1])).toThrow('crossEntropy: target -1 at flat index 1 is out of range for 4 classes');
    expect(() => F.nllLoss(logits, tensor([0, 1.5, 1]))).toThrow('nllLoss: target 1.5 at flat index 1 is not an integer class index');
    expect(() => F.crossEntropy(logits, [0, 1])).toThrow("crossEntropy: expected targets of shape [3] (class indices) for an input of shape [3, 4], got [2], or class probabilities of the input's shape [3, 4]");
    // A float target of the input's shape is class probabilities (issue 14); an int32 one is an error, as PyTorch.
    expect(() => F.crossEntropy(logits, zeros([3, 4], { dtype: 'int32' }))).toThrow("crossEntropy: expected targets of shape [3] (class indices) for an input of shape [3, 4], got [3, 4]; class-probability targets of the input's shape must be float32 or float64, got int32");
    expect(() => F.nllLoss(logits, zeros([3, 4]))).toThrow('nllLoss: expected targets of shape [3] (class indices) for an input of shape [3, 4], got [3, 4]; class-probability targets are taken by crossEntropy, not nllLoss');
    expect(() => F.crossEntropy(randn([2, 3, 4]), [0, 1])).toThrow('crossEntropy: expected targets of shape [2, 4] (class indices) for an input of shape [2, 3, 4], got [2]');
    expect(() => F.crossEntropy(logits, [0, 1, 2], { weight: ones([3]) })).toThrow('crossEntropy: weight must have shape [4] (one per class of the input [3, 4]), got [3]');
    expect(() => F.crossEntropy(logits, [0, 1, 2], { labelSmoothing: 1.5 })).toThrow('crossEntropy: labelSmoothing must be in [0, 1], got 1.5');
    expect(() => F.crossEntropy(logits, [0, 1, 2], { reduction: 'avg' as never })).toThrow(`crossEntropy: reduction must be 'mean', 'sum' or 'none', got "avg"`);
    expect(() => F.crossEntropy(tensor(1), 0)).toThrow('crossEntropy: expected an input of shape [N, C] or [N, C, d1, …] (or unbatched [C]), got shape []');
    expect(() => F.nllLoss(logits, 'abc' as never)).toThrow('nllLoss: targets must be a Tensor or an array of class indices, got string "abc"');
    expect(() => F.nllLoss(logits, [0, 1, 2], { ignoreIndex: 0.5 })).toThrow('nllLoss: ignoreIndex must be an integer, got 0.5');
  });

  it('mseLoss, dropout', () => {
    expect(() => F.mseLoss(randn([2, 3]), randn([3, 2]))).toThrow('mseLoss: shapes [2, 3] and [3, 2] cannot be broadcast together (dim -2: 2 vs 3)');
    expect(() => F.mseLoss(randn([2]), randn([2]), { reduction: 'max' as never })).toThrow(`mseLoss: reduction must be 'mean', 'sum' or 'none', got "max"`);
    expect(() => F.dropout(randn([2]), 1.5)).toThrow('dropout: p must be a probability in [0, 1], got 1.5');
    expect(() => F.dropout(randn([2]), -0.1)).toThrow('dropout: p must be a probability in [0, 1], got -0.1');
  });

  it('pad, cat, stack', () => {
    const x = randn([2, 3]);
    expect(() => F.pad(x, [1])).toThrow('pad: pads must list (before, after) pairs for at most the 2 dims of the input of shape [2, 3], got [1]');
    expect(() => F.pad(x, [1, 1, 1, 1, 1, 1])).toThrow('pad: pads must list (before, after) pairs for at most the 2 dims of the input of shape [2, 3], got [1,1,1,1,1,1]');
    expect(() => F.pad(x, [0.5, 1])).toThrow('pad: pads must be integers, got [0.5, 1]');
    expect(() => F.pad(x, [-2, -2])).toThrow('pad: pads [-2, -2] crop more than the 3 elements of dim 1 of the input of shape [2, 3]');
    expect(() => F.pad(x, [4, -4])).toThrow('pad: pads [4, -4] crop more than the 3 elements of dim 1');
    expect(() => F.cat([])).toThrow('cat: expected a non-empty array of tensors, got an array of length 0');
    expect(() => F.cat([x, randn([2, 4])])).toThrow('cat: tensors must have the same shape except in dim 0, but tensors[0] has shape [2, 3] and tensors[1] has [2, 4]');
    expect(() => F.cat([x, randn([2, 3, 1])], 1)).toThrow('cat: tensors must have the same shape except in dim 1, but tensors[0] has shape [2, 3] and tensors[1] has [2, 3, 1]');
    expect(() => F.cat([tensor(1), tensor(2)])).toThrow('cat: 0-d tensors cannot be concatenated (use stack)');
    expect(() => F.cat([x, x], 2)).toThrow('cat: dim 2 is out of range for a tensor with 2 dimension(s)');
    expect(() => F.stack([x, randn([3, 2])])).toThrow('stack: all tensors must have the same shape, but tensors[0] has shape [2, 3] and tensors[1] has [3, 2]');
    expect(() => F.stack([x, x], 3)).toThrow('stack: dim 3 is out of range for a tensor with 3 dimension(s)');
  });
  it('the activations and losses of issue 14, part 2', () => {
    const x = tensor([0.5, 0.25]);
    expect(() => F.elu(x, { alpha: Infinity })).toThrow('elu: alpha must be a finite number, got Infinity');
    expect(() => F.softplus(x, { beta: 0 })).toThrow('softplus: beta must not be 0');
    expect(() => F.softplus(x, { threshold: Number.NaN })).toThrow('softplus: threshold must be a number, got NaN');
    expect(() => F.hardtanh(x, { minVal: 1, maxVal: -1 })).toThrow('hardtanh: minVal (1) must not exceed maxVal (-1)');
    expect(() => F.mish([1] as never)).toThrow('mish: input must be a Tensor, got an array of length 1');
    expect(() => F.smoothL1Loss(x, tensor([1, 2, 3]))).toThrow(/smoothL1Loss: .*\[2\].*\[3\]/);
    expect(() => F.smoothL1Loss(x, x, { beta: -1 })).toThrow('smoothL1Loss: beta must be a finite number ≥ 0, got -1');
    expect(() => F.huberLoss(x, x, { delta: 0 })).toThrow('huberLoss: delta must be a finite number > 0, got 0');
    expect(() => F.huberLoss(x, x, { reduction: 'avg' as 'mean' })).toThrow("huberLoss: reduction must be 'mean', 'sum' or 'none'");
    // BCE: PyTorch raises for a target of another shape and for input outside [0, 1] (NaN too).
    expect(() => F.binaryCrossEntropy(x, tensor([[1, 0]]))).toThrow("binaryCrossEntropy: target of shape [1, 2] must have the input's shape [2]");
    expect(() => F.binaryCrossEntropy(tensor([0.5, -0.1]), x)).toThrow('binaryCrossEntropy: every element of the input must be a probability in [0, 1]; element 1 (flat) is -0.1');
    expect(() => F.binaryCrossEntropy(tensor([Number.NaN, 0.5]), x)).toThrow('binaryCrossEntropy: every element of the input must be a probability in [0, 1]; element 0 (flat) is NaN');
    expect(() => F.binaryCrossEntropy(x, x, { weight: tensor([[1], [2], [3]]) })).toThrow("binaryCrossEntropy: weight of shape [3, 1] must broadcast to the input's shape [2], it gives [3, 2]");
    expect(() => F.binaryCrossEntropyWithLogits(x, tensor([1]))).toThrow("binaryCrossEntropyWithLogits: target of shape [1] must have the input's shape [2]");
    expect(() => F.binaryCrossEntropyWithLogits(x, x, { posWeight: tensor([1, 2, 3]) })).toThrow(/binaryCrossEntropyWithLogits posWeight: .*\[3\].*\[2\]/);
    expect(() => F.klDiv(x, tensor([1, 2, 3]))).toThrow(/klDiv: .*\[2\].*\[3\]/);
    expect(() => F.klDiv(x, x, { reduction: 'batch' as 'mean' })).toThrow("klDiv: reduction must be 'mean', 'sum' or 'none'");
    expect(() => F.cosineSimilarity(x, x, { dim: 1 })).toThrow(/cosineSimilarity/);
    expect(() => F.cosineSimilarity(x, tensor([1, 2, 3]))).toThrow(/cosineSimilarity: .*\[2\].*\[3\]/);
    expect(() => F.pairwiseDistance(x, x, { p: -1 })).toThrow('pairwiseDistance: p must be a number ≥ 0 or Infinity, got -1');
  });
});
