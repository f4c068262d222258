// Strided slices and flips of issue 13 (part A). A slice is a view; its gradient scatters g back into
// zeros of the input's shape, and that scatter's gradient is the slice again (both linear).
import { flipCopy, sliceScatter, sliceView } from '../../tensor/kernels/slicing.js';
import { applyOp } from '../apply.js';
import type { OpTable } from '../op.js';

type SlicingOps = Pick<OpTable, 'slice' | 'sliceScatter' | 'flip'>;

export const slicingOps: SlicingOps = {
  slice: {
    forward: ([x], spec) => [sliceView(x!, spec), x!.shape],
    // The sliced elements receive g, the others 0.
    backward: (g, { saved: inputShape, args }) => [applyOp('sliceScatter', [g], { ...args, inputShape })],
    freshGradients: true,
  },
  sliceScatter: {
    forward: ([g], args) => [sliceScatter(g!, args.inputShape, args), null],
    // Linear: its gradient reads the slice back.
    backward: (gg, { args: { dim, start, length, step } }) => [applyOp('slice', [gg], { dim, start, length, step })],
  },
  flip: {
    forward: ([x], { dims }) => [flipCopy(x!, dims), null],
    // A permutation of the elements that is its own inverse: flip g back.
    backward: (g, { args }) => [applyOp('flip', [g], args)],
    freshGradients: true,
  },
};
