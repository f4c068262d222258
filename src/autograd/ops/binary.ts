// Elementwise binary primitives (broadcasting), and where. Gradients come back broadcast-shaped;
// the engine sums them to each input's shape. sub and div are composites (see tensor.ts).
import { addArrays, mapBinary, mapUnary, mulArrays } from '../../tensor/kernels/elementwise.js';
import { NDArray } from '../../tensor/ndarray.js';
import { broadcastShapes } from '../../tensor/shape.js';
import { applyOp } from '../apply.js';
import type { OpTable } from '../op.js';
import { Tensor } from '../tensor.js';

type BinaryOps = Pick<OpTable, 'add' | 'mul' | 'pow' | 'where'>;

export const binaryOps: BinaryOps = {
  add: {
    forward: ([a, b]) => [addArrays(a!, b!), null],
    // ∂(a+b)/∂a = ∂(a+b)/∂b = 1
    backward: (g, { needsGrad }) => [needsGrad[0] ? g : null, needsGrad[1] ? g : null],
  },
  mul: {
    forward: ([a, b]) => [mulArrays(a!, b!), null],
    // ∂(a·b)/∂a = b, ∂(a·b)/∂b = a
    backward: (g, { inputs: [a, b], needsGrad }) => [needsGrad[0] ? g.mul(b!) : null, needsGrad[1] ? g.mul(a!) : null],
    saves: { inputs: true },
    freshGradients: true,
  },
  pow: {
    forward: ([a, b]) => [mapBinary(a!, b!, Math.pow, 'pow'), null],
    // ∂(aᵇ)/∂a = b·aᵇ⁻¹ (exactly 0 where b = 0, as PyTorch);  ∂(aᵇ)/∂b = aᵇ·ln a (0 where a = 0)
    backward: (g, { inputs: [a, b], output: y, needsGrad }) => [
      needsGrad[0] ? g.mul(whereZero(b!.array, b!.mul(a!.pow(b!.sub(1))))) : null,
      needsGrad[1] ? g.mul(whereZero(a!.array, y.mul(a!.log()))) : null,
    ],
    saves: { inputs: true, output: true },
    freshGradients: true,
  },
  where: {
    // out = cond ? a : b, broadcasting all three; cond is a constant bool array.
    forward: ([cond, a, b]) => {
      if (cond!.dtype !== 'bool') throw new Error(`where: the condition must be a bool tensor, got ${cond!.dtype}`);
      if (a!.dtype !== b!.dtype) throw new Error(`where: both branches must have one dtype, got ${a!.dtype} and ${b!.dtype}`);
      const shape = broadcastShapes(broadcastShapes(cond!.shape, a!.shape, 'where'), b!.shape, 'where');
      const c = cond!.expand(shape).contiguous().flat();
      const av = a!.expand(shape).contiguous().flat();
      const bv = b!.expand(shape).contiguous().flat();
      const out = NDArray.zeros(shape, a!.dtype);
      const size = out.size; // a getter (the shape's product): read once, not per element
      for (let i = 0; i < size; i++) out.data[i] = c[i] !== 0 ? av[i]! : bv[i]!;
      return [out, null];
    },
    // ∂/∂a = g where cond, 0 elsewhere; ∂/∂b the other way round. cond gets no gradient.
    backward: (g, { inputs: [cond], needsGrad }) => {
      const zero = new Tensor(NDArray.scalar(0, g.dtype));
      return [
        null,
        needsGrad[1] ? applyOp('where', [cond!, g, zero], undefined) : null,
        needsGrad[2] ? applyOp('where', [cond!, zero, g], undefined) : null,
      ];
    },
    freshGradients: true,
  },
};

/** `value` with 0 wherever `test` is 0 (broadcast), as a differentiable select. */
function whereZero(test: NDArray, value: Tensor): Tensor {
  const isZero = new Tensor(mapUnary(test, (v) => (v === 0 ? 1 : 0), 'bool'));
  return applyOp('where', [isZero, new Tensor(NDArray.scalar(0, value.dtype)), value], undefined);
}
