// Elementwise unary primitives: forward and backward side by side. g is the upstream gradient.
import { mapBinary, mapUnary, mulArrays, reluBackward, reluForward } from '../../tensor/kernels/elementwise.js';
import { NDArray } from '../../tensor/ndarray.js';
import type { OpTable } from '../op.js';

type UnaryOps = Pick<OpTable, 'neg' | 'exp' | 'log' | 'sqrt' | 'abs' | 'tanh' | 'sigmoid' | 'relu' | 'cast'>;

export const unaryOps: UnaryOps = {
  neg: {
    forward: ([x]) => [mulArrays(x!, NDArray.scalar(-1, x!.dtype), 'neg'), null],
    // d/dx (−x) = −1
    backward: (g) => [mulArrays(g, NDArray.scalar(-1, g.dtype), 'neg backward')],
  },
  exp: {
    forward: ([x]) => {
      const y = mapUnary(x!, Math.exp);
      return [y, y];
    },
    // d/dx eˣ = eˣ (the saved output)
    backward: (g, y) => [mulArrays(g, y, 'exp backward')],
  },
  log: {
    forward: ([x]) => [mapUnary(x!, Math.log), x!],
    // d/dx ln x = 1/x
    backward: (g, x) => [mapBinary(g, x, (gv, xv) => gv / xv, 'log backward')],
  },
  sqrt: {
    forward: ([x]) => {
      const y = mapUnary(x!, Math.sqrt);
      return [y, y];
    },
    // d/dx √x = 1 / (2√x)
    backward: (g, y) => [mapBinary(g, y, (gv, yv) => gv / (2 * yv), 'sqrt backward')],
  },
  abs: {
    forward: ([x]) => [mapUnary(x!, Math.abs), x!],
    // d/dx |x| = sign(x). NOTE: 0 at x = 0, PyTorch's subgradient choice.
    backward: (g, x) => [mapBinary(g, x, (gv, xv) => (xv > 0 ? gv : xv < 0 ? -gv : 0), 'abs backward')],
  },
  tanh: {
    forward: ([x]) => {
      const y = mapUnary(x!, Math.tanh);
      return [y, y];
    },
    // d/dx tanh x = 1 − tanh² x
    backward: (g, y) => [mapBinary(g, y, (gv, yv) => gv * (1 - yv * yv), 'tanh backward')],
  },
  sigmoid: {
    // Two branches keep exp from overflowing for large |x|.
    forward: ([x]) => {
      const y = mapUnary(x!, (v) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v))));
      return [y, y];
    },
    // d/dx σ(x) = σ(x)·(1 − σ(x))
    backward: (g, y) => [mapBinary(g, y, (gv, yv) => gv * yv * (1 - yv), 'sigmoid backward')],
  },
  relu: {
    // NOTE: relu(NaN) = NaN, as in PyTorch.
    forward: ([x]) => [reluForward(x!), x!],
    // d/dx max(x, 0) = 1 if x > 0 else 0. NOTE: the subgradient at 0 is 0, as in PyTorch.
    backward: (g, x) => [reluBackward(g, x)],
    freshGradients: true,
  },
  cast: {
    forward: ([x], { dtype }) => [x!.astype(dtype), x!.dtype],
    // A cast is the identity on values: the gradient is cast back to the input's dtype.
    backward: (g, inputDtype) => [g.astype(inputDtype)],
  },
};
