// Matrix product with PyTorch's matmul semantics (1-d operands, broadcast batch dims).
import { matmul } from '../../tensor/kernels/matmul.js';
import type { NDArray } from '../../tensor/ndarray.js';
import type { OpTable } from '../op.js';
import type { Tensor } from '../tensor.js';

export const matmulOps: Pick<OpTable, 'matmul'> = {
  matmul: {
    forward: ([a, b]) => [matmul(a!, b!), null],
    // C = A·B  ⇒  ∂L/∂A = G·Bᵀ,  ∂L/∂B = Aᵀ·G (over broadcast batch dims, then summed back).
    backward: (g, { inputs: [a, b], needsGrad }) => {
      const a2 = a!.ndim === 1 ? a!.reshape([1, a!.shape[0]!]) : a!;
      const b2 = b!.ndim === 1 ? b!.reshape([b!.shape[0]!, 1]) : b!;
      const m = a2.shape[a2.ndim - 2]!;
      const n = b2.shape[b2.ndim - 1]!;
      // Restore the unit dims that 1-d operands dropped from the output.
      const batch = g.shape.slice(0, g.ndim - (a!.ndim > 1 ? 1 : 0) - (b!.ndim > 1 ? 1 : 0));
      const g2 = g.reshape([...batch, m, n]);
      const gradA = needsGrad[0] ? g2.matmul(lastTwoSwapped(b2)).sumToSize(a2.shape).reshape(a!.shape) : null;
      let gradB: Tensor | null = null;
      if (needsGrad[1] && a!.ndim === 2 && isTransposedMatrix(b!.array)) {
        // B = Wᵀ of a row-major W (F.linear's weight): compute (Gᵀ·A)ᵀ, the same sums in the same
        // order, so the gradient comes out in W's own layout and W.grad needs no transposing copy.
        gradB = g2.transpose(0, 1).matmul(a2).transpose(0, 1);
      } else if (needsGrad[1]) {
        gradB = lastTwoSwapped(a2).matmul(g2).sumToSize(b2.shape).reshape(b!.shape);
      }
      return [gradA, gradB];
    },
    saves: { inputs: true },
    // Products (and sums of them) made here, reshaped at most.
    freshGradients: true,
  },
};

/** A 2-d view that is the transpose of a row-major matrix (strides [1, rows]). */
function isTransposedMatrix(x: NDArray): boolean {
  return x.ndim === 2 && x.shape[0]! > 1 && x.shape[1]! > 1 && x.strides[0] === 1 && x.strides[1] === x.shape[0];
}

function lastTwoSwapped(x: Tensor): Tensor {
  return x.transpose(-2, -1);
}
