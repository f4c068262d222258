// Convolution and pooling primitives (NCHW). The kernels live in tensor/kernels/conv.ts (split
// over the pool by conv-parallel.ts) and pool.ts; these wrappers make the inputs contiguous,
// allocate outputs and route gradients.
// Shapes are validated by the F functions (nn/functional), which are the public entry points.
import { allocate } from '../../tensor/dtype.js';
import { conv2dBackwardBias, conv2dGeometry } from '../../tensor/kernels/conv.js';
import { conv2dBackwardInput, conv2dBackwardWeight, conv2dForward, convSplits } from '../../tensor/kernels/conv-parallel.js';
import {
  adaptiveAvgPool2dBackward, adaptiveAvgPool2dForward, avgPool2dBackward, avgPool2dForward,
  pool2dGeometry,
} from '../../tensor/kernels/pool.js';
import { maxPool2dBackwardSplit, maxPool2dForwardSplit, maxPoolSplits } from '../../tensor/kernels/pool-parallel.js';
import { sharedIndices } from '../../tensor/parallel/shared-memory.js';
import { NDArray } from '../../tensor/ndarray.js';
import type { OpTable } from '../op.js';

type ConvOps = Pick<OpTable, 'conv2d' | 'maxPool2d' | 'avgPool2d' | 'adaptiveAvgPool2d'>;

export const convOps: ConvOps = {
  // ---- convolution ---------------------------------------------------------------------------
  conv2d: {
    // inputs: x [n, cIn, h, w], w [cOut, cIn/groups, kH, kW], optionally bias [cOut].
    forward: (inputs, params) => {
      const x = inputs[0]!.contiguous();
      const w = inputs[1]!.contiguous();
      const bias = inputs[2]?.contiguous() ?? null;
      const geom = conv2dGeometry(x.shape, w.shape, params);
      // In shared memory when the pool will split the batch (conv-parallel.ts).
      const split = convSplits(geom);
      const y = new NDArray(allocate(x.dtype, geom.n * geom.cOut * geom.outH * geom.outW, split ? 0 : undefined), [geom.n, geom.cOut, geom.outH, geom.outW]);
      conv2dForward(geom, x.data, x.offset, w.data, w.offset, bias?.data ?? null, bias?.offset ?? 0, y.data, 0);
      return [y, { x, w, geom }];
    },
    // y = W ⋆ x + b  ⇒  ∂L/∂x = col2im(Wᵀ·G),  ∂L/∂W = Σₙ G·colsᵀ,  ∂L/∂b = Σ_{n,h,w} G
    // (dx, dw and db are fresh arrays: freshGradients)
    backward: (g, { x, w, geom }, needs) => {
      const gc = g.contiguous();
      let dx: NDArray | null = null;
      let dw: NDArray | null = null;
      let db: NDArray | null = null;
      if (needs[0]) {
        // Overwritten by the kernel; in shared memory when the pool will split the batch.
        dx = new NDArray(allocate(g.dtype, x.size, convSplits(geom) ? 0 : undefined), x.shape);
        conv2dBackwardInput(geom, gc.data, gc.offset, w.data, w.offset, dx.data, 0);
      }
      if (needs[1]) {
        dw = NDArray.zeros(w.shape, g.dtype);
        conv2dBackwardWeight(geom, x.data, x.offset, gc.data, gc.offset, dw.data, 0);
      }
      if (needs.length > 2 && needs[2]) {
        db = NDArray.zeros([geom.cOut], g.dtype);
        conv2dBackwardBias(geom, gc.data, gc.offset, db.data, 0);
      }
      return needs.length > 2 ? [dx, dw, db] : [dx, dw];
    },
    freshGradients: true,
  },

  // ---- pooling -------------------------------------------------------------------------------
  maxPool2d: {
    forward: ([input], params) => {
      const x = input!.contiguous();
      const geom = pool2dGeometry(x.shape, params);
      // Outputs in shared memory when the pool will split the planes (pool-parallel.ts).
      const split = maxPoolSplits(geom, x.data);
      const outShape = [...x.shape.slice(0, -2), geom.outH, geom.outW];
      const size = geom.planes * geom.outH * geom.outW;
      const y = new NDArray(allocate(x.dtype, size, split ? 0 : undefined), outShape);
      const argmax = sharedIndices(size, split);
      maxPool2dForwardSplit(geom, x.data, x.offset, y.data, 0, argmax);
      return [y, { geom, argmax, inputShape: x.shape }];
    },
    // ∂(max of a window)/∂x = 1 at the element that won, 0 elsewhere (overlapping windows add up).
    backward: (g, { geom, argmax, inputShape }) => {
      const gc = g.contiguous();
      const dx = NDArray.zeros(inputShape, g.dtype); // overwritten by the kernel
      maxPool2dBackwardSplit(geom, gc.data, gc.offset, argmax, dx.data, 0);
      return [dx];
    },
    freshGradients: true,
  },
  avgPool2d: {
    forward: ([input], { countIncludePad, divisorOverride, ...params }) => {
      const x = input!.contiguous();
      const geom = pool2dGeometry(x.shape, params);
      const y = NDArray.zeros([...x.shape.slice(0, -2), geom.outH, geom.outW], x.dtype);
      avgPool2dForward(geom, countIncludePad, divisorOverride, x.data, x.offset, y.data, 0);
      return [y, { geom, inputShape: x.shape }];
    },
    // ∂(Σ window / divisor)/∂x = 1/divisor for every input element in the window.
    backward: (g, { geom, inputShape }, _needs, { countIncludePad, divisorOverride }) => {
      const gc = g.contiguous();
      const dx = NDArray.zeros(inputShape, g.dtype);
      avgPool2dBackward(geom, countIncludePad, divisorOverride, gc.data, gc.offset, dx.data, 0);
      return [dx];
    },
    freshGradients: true,
  },
  adaptiveAvgPool2d: {
    forward: ([input], { outH, outW }) => {
      const x = input!.contiguous();
      const h = x.shape[x.ndim - 2]!;
      const w = x.shape[x.ndim - 1]!;
      const planes = leadingSize(x.shape);
      const out = allocate(x.dtype, planes * outH * outW);
      adaptiveAvgPool2dForward(planes, h, w, outH, outW, x.data, x.offset, out, 0);
      return [new NDArray(out, [...x.shape.slice(0, -2), outH, outW]), x.shape];
    },
    // ∂(mean of a window)/∂x = 1/|window| for every input element in the window.
    backward: (g, inputShape, _needs, { outH, outW }) => {
      const gc = g.contiguous();
      const h = inputShape[inputShape.length - 2]!;
      const w = inputShape[inputShape.length - 1]!;
      const dx = NDArray.zeros(inputShape, g.dtype);
      const planes = leadingSize(inputShape);
      adaptiveAvgPool2dBackward(planes, h, w, outH, outW, gc.data, gc.offset, dx.data, 0);
      return [dx];
    },
    freshGradients: true,
  },
};

/** The number of h×w planes: the product of all dims but the last two. */
function leadingSize(shape: readonly number[]): number {
  return shape.slice(0, -2).reduce((p, d) => p * d, 1);
}
