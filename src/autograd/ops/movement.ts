// Views and copies that move elements without changing them; their gradients move them back.
import { applyOp } from '../apply.js';
import type { OpTable } from '../op.js';
import { padRegionsForNarrow } from './cat-pad.js';

type MovementOps = Pick<OpTable, 'reshape' | 'permute' | 'expand' | 'narrow' | 'contiguous' | 'clone'>;

export const movementOps: MovementOps = {
  reshape: {
    forward: ([x], { shape }) => [x!.reshape(shape), x!.shape],
    // Reshape back.
    backward: (g, { saved: inputShape }) => [g.reshape(inputShape)],
    gradientViews: true,
  },
  permute: {
    forward: ([x], { dims }) => [x!.permute(dims), null],
    // Apply the inverse permutation.
    backward: (g, { args: { dims } }) => {
      const inverse = new Array<number>(dims.length);
      dims.forEach((d, i) => (inverse[d] = i));
      return [g.permute(inverse)];
    },
    gradientViews: true,
  },
  expand: {
    forward: ([x], { shape }) => [x!.expand(shape), x!.shape],
    // Every copy of an element contributes: sum over the broadcast dims.
    backward: (g, { saved: inputShape }) => [g.sumToSize(inputShape)],
  },
  narrow: {
    forward: ([x], { dim, start, length }) => [x!.narrow(dim, start, length), x!.shape],
    // The slice receives g; everything outside it receives 0: g padded back to the input's shape.
    backward: (g, { saved: inputShape, args: { dim, start, length } }) => [
      applyOp('pad', [g], { pads: padRegionsForNarrow(inputShape, dim, start, length), value: 0 }),
    ],
  },
  contiguous: {
    forward: ([x]) => [x!.contiguous(), null],
    // A copy: the identity on values.
    backward: (g) => [g],
  },
  clone: {
    forward: ([x]) => [x!.copy(), null],
    // A copy: the identity on values.
    backward: (g) => [g],
  },
};
