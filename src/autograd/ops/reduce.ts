// Reductions. mean and var are composites of sum (see tensor.ts).
import { mapBinary } from '../../tensor/kernels/elementwise.js';
import { maxDims, reducedShape, sumDims } from '../../tensor/kernels/reduce.js';
import type { OpTable } from '../op.js';

type ReduceOps = Pick<OpTable, 'sum' | 'max'>;

export const reduceOps: ReduceOps = {
  sum: {
    forward: ([x], { dims, keepdim }) => [sumDims(x!, dims, keepdim), x!.shape],
    // ∂(Σ x)/∂x = 1 everywhere: put the reduced dims back as size 1 and broadcast.
    backward: (g, inputShape, _needs, { dims }) => [
      g.reshape(reducedShape(inputShape, dims, true)).expand(inputShape),
    ],
  },
  max: {
    forward: ([x], { dims, keepdim }) => {
      const y = maxDims(x!, dims, true);
      return [keepdim ? y : y.reshape(reducedShape(x!.shape, dims, false)), [x!, y]];
    },
    // ∂(max x)/∂x = 1 at the maximum. NOTE: ties split the gradient evenly (as torch.amax does),
    // so the gradient is the same whichever tied element a kernel would have picked.
    backward: (g, [x, y], _needs, { dims }) => {
      const isMax = mapBinary(x, y, (xv, yv) => (xv === yv ? 1 : 0), 'max backward');
      const ties = sumDims(isMax, dims, true);
      const gk = g.reshape(y.shape);
      const share = mapBinary(gk, ties, (gv, n) => gv / n, 'max backward');
      return [mapBinary(isMax, share, (m, s) => m * s, 'max backward')];
    },
  },
};
