// Elementwise unary primitives: forward (a kernel on arrays) and backward (Tensor operations, so it
// is itself differentiable) side by side. g is the upstream gradient; x the input, y the output.
import { mapBinary, mapUnary, mulArrays, reluBackward, reluForward } from '../../tensor/kernels/elementwise.js';
import { erf } from '../../tensor/kernels/special.js';
import { NDArray } from '../../tensor/ndarray.js';
import { applyOp } from '../apply.js';
import type { OpTable } from '../op.js';
import type { Tensor } from '../tensor.js';

type UnaryOps = Pick<OpTable, 'neg' | 'exp' | 'log' | 'sqrt' | 'abs' | 'tanh' | 'sigmoid' | 'relu' | 'reluBackward' | 'scaleByStep' | 'erf' | 'cast'>;

/** 2/√π: erf's derivative at 0. */
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

export const unaryOps: UnaryOps = {
  neg: {
    forward: ([x]) => [mulArrays(x!, NDArray.scalar(-1, x!.dtype), 'neg'), null],
    // d/dx (−x) = −1
    backward: (g) => [g.neg()],
    freshGradients: true,
  },
  exp: {
    forward: ([x]) => [mapUnary(x!, Math.exp), null],
    // d/dx eˣ = eˣ (the output)
    backward: (g, { output: y }) => [g.mul(y)],
    saves: { output: true },
    freshGradients: true,
  },
  log: {
    forward: ([x]) => [mapUnary(x!, Math.log), null],
    // d/dx ln x = 1/x
    backward: (g, { inputs: [x] }) => [g.div(x!)],
    saves: { inputs: true },
    freshGradients: true,
  },
  sqrt: {
    forward: ([x]) => [mapUnary(x!, Math.sqrt), null],
    // d/dx √x = 1 / (2√x)
    backward: (g, { output: y }) => [g.div(y.mul(2))],
    saves: { output: true },
    freshGradients: true,
  },
  abs: {
    forward: ([x]) => [mapUnary(x!, Math.abs), null],
    // d/dx |x| = sign(x). NOTE: 0 at x = 0, PyTorch's subgradient choice.
    backward: (g, { inputs: [x] }) => [scaleByStep(g, x!, (v) => (v > 0 ? 1 : v < 0 ? -1 : 0))],
    saves: { inputs: true },
    freshGradients: true,
  },
  tanh: {
    forward: ([x]) => [mapUnary(x!, Math.tanh), null],
    // d/dx tanh x = 1 − tanh² x
    backward: (g, { output: y }) => [g.mul(y.mul(y).neg().add(1))],
    saves: { output: true },
    freshGradients: true,
  },
  sigmoid: {
    // Two branches keep exp from overflowing for large |x|.
    forward: ([x]) => [mapUnary(x!, (v) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)))), null],
    // d/dx σ(x) = σ(x)·(1 − σ(x))
    backward: (g, { output: y }) => [g.mul(y.mul(y.neg().add(1)))],
    saves: { output: true },
    freshGradients: true,
  },
  relu: {
    // NOTE: relu(NaN) = NaN, as in PyTorch.
    forward: ([x]) => [reluForward(x!), null],
    // d/dx max(x, 0) = 1 if x > 0 else 0. NOTE: the subgradient at 0 is 0, as in PyTorch.
    backward: (g, { inputs: [x] }) => [applyOp('reluBackward', [g, x!], undefined)],
    saves: { inputs: true },
    freshGradients: true,
  },
  reluBackward: {
    // relu's gradient g·[x > 0] as a primitive (one fused, parallel pass), so it has a derivative:
    // linear in g, and a step function of x (zero derivative almost everywhere).
    forward: ([g, x]) => [reluBackward(g!, x!), null],
    backward: (gg, { inputs: [, x], needsGrad }) => [needsGrad[0] ? applyOp('reluBackward', [gg, x!], undefined) : null, null],
    saves: { inputs: true },
    freshGradients: true,
  },
  scaleByStep: {
    // g·s(x) for a step function s (the signs and slopes of abs, leakyRelu): linear in g; its
    // derivative with respect to x is zero almost everywhere (x is an input only for that).
    forward: ([g, x], { step }) => [mapBinary(g!, x!, (gv, xv) => gv * step(xv), 'scaleByStep'), null],
    backward: (gg, { inputs: [, x], needsGrad, args }) => [needsGrad[0] ? applyOp('scaleByStep', [gg, x!], args) : null, null],
    saves: { inputs: true },
    freshGradients: true,
  },
  erf: {
    forward: ([x]) => [mapUnary(x!, erf), null],
    // d/dx erf(x) = 2/√π · e^(−x²)
    backward: (g, { inputs: [x] }) => [g.mul(x!.mul(x!).neg().exp().mul(TWO_OVER_SQRT_PI))],
    saves: { inputs: true },
    freshGradients: true,
  },
  cast: {
    forward: ([x], { dtype }) => [x!.astype(dtype), x!.dtype],
    // A cast is the identity on values: the gradient is cast back to the input's dtype.
    backward: (g, { saved: inputDtype }) => [g.to(inputDtype)],
  },
};

/** g·step(x) as the scaleByStep primitive (see above). */
export function scaleByStep(g: Tensor, x: Tensor, step: (v: number) => number): Tensor {
  return applyOp('scaleByStep', [g, x], { step });
}
