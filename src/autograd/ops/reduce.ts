// Reductions. mean and var are composites of sum (see tensor.ts).
import { mapBinary } from '../../tensor/kernels/elementwise.js';
import { maxDims, reducedShape, sumDims } from '../../tensor/kernels/reduce.js';
import { applyOp } from '../apply.js';
import type { OpTable } from '../op.js';
import { Tensor } from '../tensor.js';

type ReduceOps = Pick<OpTable, 'sum' | 'max' | 'scaleBy'>;

export const reduceOps: ReduceOps = {
  sum: {
    forward: ([x], { dims, keepdim }) => [sumDims(x!, dims, keepdim), x!.shape],
    // ∂(Σ x)/∂x = 1 everywhere: put the reduced dims back as size 1 and broadcast.
    backward: (g, { saved: inputShape, args: { dims } }) => [g.reshape(reducedShape(inputShape, dims, true)).expand(inputShape)],
  },
  max: {
    forward: ([x], { dims, keepdim }) => {
      const y = maxDims(x!, dims, true);
      return [keepdim ? y : y.reshape(reducedShape(x!.shape, dims, false)), null];
    },
    // ∂(max x)/∂x = 1 at the maximum. NOTE: ties split the gradient evenly (as torch.amax does),
    // so the gradient is the same whichever tied element a kernel would have picked.
    backward: (g, { inputs: [x], output: y, args: { dims } }) => {
      const yk = y.array.reshape(reducedShape(x!.shape, dims, true));
      const isMax = mapBinary(x!.array, yk, (xv, yv) => (xv === yv ? 1 : 0), 'max backward');
      const share = mapBinary(isMax, sumDims(isMax, dims, true), (m, n) => m / n, 'max backward');
      return [applyOp('scaleBy', [g.reshape(yk.shape), x!], { factor: share })];
    },
    saves: { inputs: true, output: true },
    freshGradients: true,
  },
  scaleBy: {
    // g·factor for a factor that is locally constant in x (max's share of the gradient, the winner
    // masks of maximum and clamp): linear in g; zero derivative with respect to x almost everywhere
    // (x is an input only so that it stays in the graph).
    // The output broadcasts g against the factor (max: the factor has x's shape; maximum and clamp:
    // the output's shape, which the engine sums back to the anchor x's shape).
    forward: ([g], { factor }) => [mapBinary(g!, factor, (gv, f) => gv * f, 'scaleBy'), g!.shape],
    backward: (gg, { needsGrad, args: { factor }, saved: gShape }) => [
      needsGrad[0] ? new Tensor(factor).mul(gg).sumToSize(gShape) : null,
      null,
    ],
    saves: { inputs: true },
    freshGradients: true,
  },
};
