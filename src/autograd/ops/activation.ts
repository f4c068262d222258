// Activation primitives that are not Tensor methods: GELU (exact and tanh-approximated) and leaky
// ReLU. Elementwise; forward and backward side by side. g is the upstream gradient.
import { mapUnary } from '../../tensor/kernels/elementwise.js';
import { erf } from '../../tensor/kernels/special.js';
import type { OpTable } from '../op.js';
import { scaleByStep } from './unary.js';

type ActivationOps = Pick<OpTable, 'gelu' | 'leakyRelu'>;

const SQRT1_2 = Math.SQRT1_2;
/** 1/√(2π): the standard normal density at 0. */
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
/** √(2/π) and 0.044715: the constants of GELU's tanh approximation. */
const BETA = Math.sqrt(2 / Math.PI);
const KAPPA = 0.044715;

export const activationOps: ActivationOps = {
  gelu: {
    // 'none': x·Φ(x) = x/2·(1 + erf(x/√2));  'tanh': x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
    forward: ([x], { approximate }) => [
      approximate === 'tanh'
        ? mapUnary(x!, (v) => 0.5 * v * (1 + Math.tanh(BETA * (v + KAPPA * v * v * v))))
        : mapUnary(x!, (v) => v * 0.5 * (1 + erf(v * SQRT1_2))),
      null,
    ],
    // 'none': d/dx x·Φ(x) = Φ(x) + x·φ(x);
    // 'tanh': with t = tanh(u), u = β(x + κx³): d/dx = (1 + t)/2 + x/2·(1 − t²)·β(1 + 3κx²)
    backward: (g, { inputs: [x], args: { approximate } }) => {
      const v = x!;
      if (approximate === 'tanh') {
        const t = v.mul(v).mul(v).mul(KAPPA).add(v).mul(BETA).tanh();
        const du = v.mul(v).mul(3 * KAPPA).add(1).mul(BETA);
        return [g.mul(t.add(1).mul(0.5).add(v.mul(0.5).mul(t.mul(t).neg().add(1)).mul(du)))];
      }
      const cdf = v.mul(SQRT1_2).erf().add(1).mul(0.5);
      const pdf = v.mul(v).mul(-0.5).exp().mul(INV_SQRT_2PI);
      return [g.mul(cdf.add(v.mul(pdf)))];
    },
    saves: { inputs: true },
    freshGradients: true,
  },
  leakyRelu: {
    forward: ([x], { negativeSlope }) => [mapUnary(x!, (v) => (v > 0 ? v : v * negativeSlope)), null],
    // d/dx = 1 for x > 0, else the slope. NOTE: at x = 0 the slope, as PyTorch's backward.
    backward: (g, { inputs: [x], args: { negativeSlope } }) => [scaleByStep(g, x!, (v) => (v > 0 ? 1 : negativeSlope))],
    saves: { inputs: true },
    freshGradients: true,
  },
};
