// Elementwise float functions of issue 13 (part A): sin, cos, log1p, expm1, log2, exp2, the
// piecewise-constant floor/ceil/round/sign, maximum, minimum, atan2 and clamp. Forward: a kernel on
// arrays; backward: Tensor operations (differentiable again). g is the upstream gradient.
import { mapBinary, mapUnary } from '../../tensor/kernels/elementwise.js';
import { roundHalfEven, signOf } from '../../tensor/kernels/rounding.js';
import { NDArray } from '../../tensor/ndarray.js';
import { broadcastShapes } from '../../tensor/shape.js';
import { applyOp } from '../apply.js';
import type { OpTable, StepwiseFn } from '../op.js';
import type { Tensor } from '../tensor.js';
import { scaleByStep } from './unary.js';

type MathOps = Pick<OpTable, 'sin' | 'cos' | 'log1p' | 'expm1' | 'log2' | 'exp2' | 'stepwise' | 'maximum' | 'minimum' | 'atan2' | 'clamp'>;

const STEPWISE: Record<StepwiseFn, (v: number) => number> = {
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfEven,
  sign: signOf,
};

export const mathOps: MathOps = {
  sin: {
    forward: ([x]) => [mapUnary(x!, Math.sin), null],
    // d/dx sin x = cos x
    backward: (g, { inputs: [x] }) => [g.mul(x!.cos())],
    saves: { inputs: true },
    freshGradients: true,
  },
  cos: {
    forward: ([x]) => [mapUnary(x!, Math.cos), null],
    // d/dx cos x = −sin x
    backward: (g, { inputs: [x] }) => [g.mul(x!.sin().neg())],
    saves: { inputs: true },
    freshGradients: true,
  },
  log1p: {
    forward: ([x]) => [mapUnary(x!, Math.log1p), null],
    // d/dx ln(1 + x) = 1 / (1 + x)
    backward: (g, { inputs: [x] }) => [g.div(x!.add(1))],
    saves: { inputs: true },
    freshGradients: true,
  },
  expm1: {
    forward: ([x]) => [mapUnary(x!, Math.expm1), null],
    // d/dx (eˣ − 1) = eˣ = y + 1
    backward: (g, { output: y }) => [g.mul(y.add(1))],
    saves: { output: true },
    freshGradients: true,
  },
  log2: {
    forward: ([x]) => [mapUnary(x!, Math.log2), null],
    // d/dx log₂ x = 1 / (x·ln 2)
    backward: (g, { inputs: [x] }) => [g.div(x!.mul(Math.LN2))],
    saves: { inputs: true },
    freshGradients: true,
  },
  exp2: {
    // 2 ** v is exact for integer v (Math.pow).
    forward: ([x]) => [mapUnary(x!, (v) => 2 ** v), null],
    // d/dx 2ˣ = 2ˣ·ln 2
    backward: (g, { output: y }) => [g.mul(y.mul(Math.LN2))],
    saves: { output: true },
    freshGradients: true,
  },
  stepwise: {
    forward: ([x], { fn }) => [mapUnary(x!, STEPWISE[fn]), null],
    // Piecewise constant: the derivative is 0 wherever it exists (PyTorch's choice at the jumps
    // too). Zeros through scaleByStep keep x in the graph, so second derivatives are exact zeros.
    backward: (g, { inputs: [x] }) => [scaleByStep(g, x!, () => 0)],
    saves: { inputs: true },
    freshGradients: true,
  },
  maximum: {
    // NaN in either operand gives NaN, as torch.maximum.
    forward: ([a, b]) => [mapBinary(a!, b!, (u, v) => (u !== u || v !== v ? Number.NaN : u > v ? u : v), 'maximum'), null],
    // g goes to the larger operand; a tie splits it in half (PyTorch's rule).
    backward: (g, { inputs: [a, b], needsGrad }) => [
      needsGrad[0] ? maskedGrad(g, a!, mapBinary(a!.array, b!.array, (u, v) => (u === v ? 0.5 : u < v ? 0 : 1), 'maximum backward')) : null,
      needsGrad[1] ? maskedGrad(g, b!, mapBinary(a!.array, b!.array, (u, v) => (u === v ? 0.5 : u > v ? 0 : 1), 'maximum backward')) : null,
    ],
    saves: { inputs: true },
    freshGradients: true,
  },
  minimum: {
    forward: ([a, b]) => [mapBinary(a!, b!, (u, v) => (u !== u || v !== v ? Number.NaN : u < v ? u : v), 'minimum'), null],
    // g goes to the smaller operand; a tie splits it in half (PyTorch's rule).
    backward: (g, { inputs: [a, b], needsGrad }) => [
      needsGrad[0] ? maskedGrad(g, a!, mapBinary(a!.array, b!.array, (u, v) => (u === v ? 0.5 : u > v ? 0 : 1), 'minimum backward')) : null,
      needsGrad[1] ? maskedGrad(g, b!, mapBinary(a!.array, b!.array, (u, v) => (u === v ? 0.5 : u < v ? 0 : 1), 'minimum backward')) : null,
    ],
    saves: { inputs: true },
    freshGradients: true,
  },
  atan2: {
    forward: ([a, b]) => [mapBinary(a!, b!, Math.atan2, 'atan2'), null],
    // ∂ atan2(a, b)/∂a = b / (a² + b²);  ∂/∂b = −a / (a² + b²)
    backward: (g, { inputs: [a, b], needsGrad }) => {
      const r2 = a!.mul(a!).add(b!.mul(b!));
      return [needsGrad[0] ? g.mul(b!).div(r2) : null, needsGrad[1] ? g.mul(a!.neg()).div(r2) : null];
    },
    saves: { inputs: true },
    freshGradients: true,
  },
  clamp: {
    // inputs [x, lo, hi] (a missing bound is ±∞): min(max(x, lo), hi), so hi wins when lo > hi,
    // as torch.clamp; NaN in x or a bound gives NaN.
    forward: ([x, lo, hi]) => [map3(x!, lo!, hi!, clampValue, 'clamp'), null],
    // PyTorch's clamp_backward: x gets g where lo ≤ x ≤ hi (bounds included); lo gets g where
    // x < lo < hi; hi gets g where x > hi or hi < lo.
    backward: (g, { inputs: [x, lo, hi], needsGrad }) => {
      const [xa, la, ha] = [x!.array, lo!.array, hi!.array];
      return [
        needsGrad[0] ? maskedGrad(g, x!, map3(xa, la, ha, (v, l, h) => (v >= l && v <= h ? 1 : 0), 'clamp backward')) : null,
        needsGrad[1] ? maskedGrad(g, lo!, map3(xa, la, ha, (v, l, h) => (v < l && l < h ? 1 : 0), 'clamp backward')) : null,
        needsGrad[2] ? maskedGrad(g, hi!, map3(xa, la, ha, (v, l, h) => (v > h || h < l ? 1 : 0), 'clamp backward')) : null,
      ];
    },
    saves: { inputs: true },
    freshGradients: true,
  },
};

function clampValue(v: number, lo: number, hi: number): number {
  if (lo !== lo || hi !== hi) return Number.NaN;
  const above = v < lo ? lo : v;
  return above > hi ? hi : above;
}

/**
 * g·mask for a mask that is locally constant in the inputs (which operand won a maximum or a
 * clamp), as the scaleBy primitive: linear in g, and `anchor` stays in the graph so its second
 * derivative through this path is an exact zero rather than "unused". Broadcast-shaped: the engine
 * sums it to the anchor's shape.
 */
function maskedGrad(g: Tensor, anchor: Tensor, mask: NDArray): Tensor {
  return applyOp('scaleBy', [g, anchor], { factor: mask });
}

/**
 * out = fn(a, b, c) elementwise with broadcasting of all three. One-element operands (clamp's number
 * bounds) are read once instead of being expanded into full copies.
 */
function map3(a: NDArray, b: NDArray, c: NDArray, fn: (u: number, v: number, w: number) => number, op: string): NDArray {
  const shape = broadcastShapes(broadcastShapes(a.shape, b.shape, op), c.shape, op);
  const out = NDArray.zeros(shape, a.dtype);
  const values = (t: NDArray): ArrayLike<number> | number => (t.size === 1 ? t.data[t.offset]! : t.expand(shape).contiguous().flat());
  const [av, bv, cv] = [values(a), values(b), values(c)];
  const at = (v: ArrayLike<number> | number, i: number): number => (typeof v === 'number' ? v : v[i]!);
  const size = out.size; // a getter (the shape's product): read once, not per element
  for (let i = 0; i < size; i++) out.data[i] = fn(at(av, i), at(bv, i), at(cv, i));
  return out;
}
