// Elementwise binary primitives (broadcasting). Gradients come back broadcast-shaped; the engine
// sums them to each input's shape. sub and div are composites (see tensor.ts).
import { addArrays, mapBinary, mulArrays } from '../../tensor/kernels/elementwise.js';
import { NDArray } from '../../tensor/ndarray.js';
import type { OpTable } from '../op.js';

type BinaryOps = Pick<OpTable, 'add' | 'mul' | 'pow'>;

export const binaryOps: BinaryOps = {
  add: {
    forward: ([a, b]) => [addArrays(a!, b!), null],
    // ∂(a+b)/∂a = ∂(a+b)/∂b = 1
    backward: (g, _saved, needs) => [needs[0] ? g : null, needs[1] ? g : null],
  },
  mul: {
    forward: ([a, b]) => [mulArrays(a!, b!), [a!, b!]],
    // ∂(a·b)/∂a = b, ∂(a·b)/∂b = a
    backward: (g, [a, b], needs) => [
      needs[0] ? mulArrays(g, b, 'mul backward') : null,
      needs[1] ? mulArrays(g, a, 'mul backward') : null,
    ],
    freshGradients: true,
  },
  pow: {
    forward: ([a, b]) => {
      const y = mapBinary(a!, b!, Math.pow, 'pow');
      return [y, [a!, b!, y]];
    },
    // ∂(aᵇ)/∂a = b·aᵇ⁻¹;  ∂(aᵇ)/∂b = aᵇ·ln a (taken as 0 where a = 0, as PyTorch does)
    backward: (g, [a, b, y], needs) => [
      needs[0] ? mapBinary(g, powGradBase(a, b), (gv, dv) => gv * dv, 'pow backward') : null,
      needs[1]
        ? mapBinary(g, mapBinary(y, a, (yv, av) => (av === 0 ? 0 : yv * Math.log(av)), 'pow backward'), (gv, dv) => gv * dv, 'pow backward')
        : null,
    ],
  },
};

/** b·a^(b−1), with the exponent-0 case exact (0·a⁻¹ would be NaN at a = 0). */
function powGradBase(a: NDArray, b: NDArray): NDArray {
  return mapBinary(a, b, (av, bv) => (bv === 0 ? 0 : bv * Math.pow(av, bv - 1)), 'pow backward');
}
