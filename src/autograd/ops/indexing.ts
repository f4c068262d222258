// Indexing primitives along one dim: gather, scatter, scatterAdd. Each one's gradient is another
// of them, so they are differentiable any number of times (PyTorch's derivatives.yaml rules):
//   y = gather(x, d, I)           ∂/∂x = scatterAdd(0, d, I, g)
//   y = scatterAdd(s, d, I, src)  ∂/∂s = g,                         ∂/∂src = gather(g, d, I)
//   y = scatter(s, d, I, src)     ∂/∂s = scatter(g, d, I, 0),       ∂/∂src = gather(g, d, I)
// The index is an argument (an int32 array, checked by the kernel), not an input: it has no gradient.
import { gatherArrays, scatterArrays } from '../../tensor/kernels/indexing.js';
import { NDArray } from '../../tensor/ndarray.js';
import { applyOp } from '../apply.js';
import type { OpTable } from '../op.js';
import { Tensor } from '../tensor.js';

type IndexingOps = Pick<OpTable, 'gather' | 'scatter' | 'scatterAdd'>;

export const indexingOps: IndexingOps = {
  gather: {
    forward: ([x], { dim, index }) => [gatherArrays(x!, dim, index), x!.shape],
    // Each output element came from one input element: its gradient goes back there, summed.
    backward: (g, { saved: inputShape, args }) => [applyOp('scatterAdd', [zerosOf(inputShape, g), g], args)],
    freshGradients: true,
  },
  scatterAdd: {
    forward: ([self, src], { dim, index }) => [scatterArrays(self!, dim, index, src!, true), null],
    // Linear in both: self passes g through; each src element reads g where it was added.
    backward: (g, { needsGrad, args, inputs: [, src] }) => [needsGrad[0] ? g : null, needsGrad[1] ? srcGradient(g, args, src!.shape) : null],
  },
  scatter: {
    forward: ([self, src], { dim, index }) => [scatterArrays(self!, dim, index, src!, false), null],
    // Overwritten elements of self get no gradient; each src element reads g where it was written.
    // NOTE: with a repeated index every src element that aimed there gets g (as PyTorch), though only
    // one of them was kept.
    backward: (g, { needsGrad, args, inputs: [, src] }) => [
      needsGrad[0] ? applyOp('scatter', [g, zerosOf(src!.shape, g)], args) : null,
      needsGrad[1] ? srcGradient(g, args, src!.shape) : null,
    ],
  },
};

/**
 * gather(g, dim, index): the gradient of src's elements that the index reaches; src may be larger
 * than the index (PyTorch allows it), and its other elements were not used: zeros, padded on.
 */
function srcGradient(g: Tensor, args: { dim: number; index: NDArray }, srcShape: readonly number[]): Tensor {
  const picked = applyOp('gather', [g], args);
  if (picked.shape.every((s, d) => s === srcShape[d])) return picked;
  const pads: number[] = [];
  for (let d = srcShape.length - 1; d >= 0; d--) pads.push(0, srcShape[d]! - picked.shape[d]!);
  return applyOp('pad', [picked], { pads, value: 0 });
}

/** A constant tensor of zeros with `g`'s dtype. */
function zerosOf(shape: readonly number[], g: Tensor): Tensor {
  return new Tensor(NDArray.zeros(shape, g.dtype));
}
