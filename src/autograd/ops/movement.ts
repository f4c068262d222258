// Views and copies that move elements without changing them; their gradients move them back.
import { sumToShape } from '../../tensor/kernels/sum-to-shape.js';
import { NDArray, copyInto } from '../../tensor/ndarray.js';
import type { OpTable } from '../op.js';

type MovementOps = Pick<OpTable, 'reshape' | 'permute' | 'expand' | 'narrow' | 'contiguous'>;

export const movementOps: MovementOps = {
  reshape: {
    forward: ([x], { shape }) => [x!.reshape(shape), x!.shape],
    // Reshape back.
    backward: (g, inputShape) => [g.reshape(inputShape)],
  },
  permute: {
    forward: ([x], { dims }) => [x!.permute(dims), null],
    // Apply the inverse permutation.
    backward: (g, _saved, _needs, { dims }) => {
      const inverse = new Array<number>(dims.length);
      dims.forEach((d, i) => (inverse[d] = i));
      return [g.permute(inverse)];
    },
  },
  expand: {
    forward: ([x], { shape }) => [x!.expand(shape), x!.shape],
    // Every copy of an element contributes: sum over the broadcast dims.
    backward: (g, inputShape) => [sumToShape(g, inputShape)],
  },
  narrow: {
    forward: ([x], { dim, start, length }) => [x!.narrow(dim, start, length), x!.shape],
    // The slice receives g; everything outside it receives 0.
    backward: (g, inputShape, _needs, { dim, start, length }) => {
      const gx = NDArray.zeros(inputShape, g.dtype);
      copyInto(gx.narrow(dim, start, length), g);
      return [gx];
    },
  },
  contiguous: {
    forward: ([x]) => [x!.contiguous(), null],
    // A copy: the identity on values.
    backward: (g) => [g],
  },
};
