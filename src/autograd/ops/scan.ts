// Scans and products of issue 13 (part A): cumsum, cumprod, prod over the last dim, and the root
// s^(1/p) whose gradient is 0 at s = 0 (std and norm use it, as PyTorch's std/norm backward).
import { mapUnary } from '../../tensor/kernels/elementwise.js';
import { cumprodBackward, scanDim } from '../../tensor/kernels/scan.js';
import { NDArray } from '../../tensor/ndarray.js';
import { applyOp } from '../apply.js';
import type { OpTable } from '../op.js';
import { Tensor } from '../tensor.js';

type ScanOps = Pick<OpTable, 'cumsum' | 'cumprod' | 'prod' | 'rootOrZero'>;

export const scanOps: ScanOps = {
  cumsum: {
    forward: ([x], { dim }) => [scanDim(x!, dim, 'sum'), null],
    // ∂/∂x_k Σ_i g_i·y_i = Σ_{i ≥ k} g_i: g summed from the end (a reversed cumsum).
    backward: (g, { args: { dim } }) => [reverseCumsum(g, dim)],
    freshGradients: true,
  },
  cumprod: {
    forward: ([x], { dim }) => [scanDim(x!, dim, 'prod'), null],
    // ∂L/∂x_k = Σ_{i ≥ k} g_i·∏_{j ≤ i, j ≠ k} x_j. First order: one O(n) pass per row without
    // division (cumprodBackward, exact with zeros). Recorded (createGraph): Tensor ops, so it
    // differentiates again: revcumsum(g·y)_k / x_k without zeros; with a zero in x, the products
    // formed without division (O(n²) per row along dim).
    backward: (g, { inputs: [x], output: y, args: { dim }, createGraph }) => {
      if (x!.ndim === 0) return [g];
      if (!createGraph) return [new Tensor(cumprodBackward(g.array, x!.array, dim))];
      if (!hasZero(x!.array)) return [reverseCumsum(g.mul(y), dim).div(x!)];
      return [cumprodGradWithZeros(g, x!, dim)];
    },
    saves: { inputs: true, output: true },
    freshGradients: true,
  },
  prod: {
    // The product over the last dim, kept as size 1 (Tensor.prod moves the reduced dims last).
    forward: ([x]) => {
      const n = x!.shape[x!.ndim - 1]!;
      const scanned = scanDim(x!, x!.ndim - 1, 'prod');
      const shape = [...x!.shape.slice(0, -1), 1];
      return [n === 0 ? NDArray.full(shape, 1, x!.dtype) : scanned.narrow(x!.ndim - 1, n - 1, 1).contiguous(), null];
    },
    // ∂(∏ x)/∂x_k = ∏_{j ≠ k} x_j: y/x_k without zeros; with zeros, the exclusive prefix product
    // times the exclusive suffix product (exact with one zero or several, as PyTorch).
    backward: (g, { inputs: [x], output: y }) => {
      if (!hasZero(x!.array)) return [g.mul(y).div(x!)];
      const last = x!.ndim - 1;
      const n = x!.shape[last]!;
      const before = exclusiveCumprod(x!, last, n);
      const after = exclusiveCumprod(x!.flip([last]), last, n).flip([last]);
      return [g.mul(before.mul(after))];
    },
    saves: { inputs: true, output: true },
    freshGradients: true,
  },
  rootOrZero: {
    forward: ([s], { p }) => [mapUnary(s!, p === 2 ? Math.sqrt : (v) => v ** (1 / p)), null],
    // d/ds s^(1/p) = s^(1/p − 1)/p, and 0 where s = 0 (PyTorch's choice for std and norm at 0: the
    // subgradient 0 instead of ∞·0 = NaN). s is replaced by 1 there before the power, so no ∞ enters
    // the graph and the second derivative is 0 there too.
    backward: (g, { inputs: [s], args: { p } }) => {
      const atZero = new Tensor(mapUnary(s!.array, (v) => (v === 0 ? 1 : 0), 'bool'));
      const one = new Tensor(NDArray.scalar(1, s!.dtype));
      const zero = new Tensor(NDArray.scalar(0, s!.dtype));
      const safe = applyOp('where', [atZero, one, s!], undefined);
      return [applyOp('where', [atZero, zero, g.mul(safe.pow(1 / p - 1).mul(1 / p))], undefined)];
    },
    saves: { inputs: true },
    freshGradients: true,
  },
};

/** Σ_{i ≥ k} t_i along dim: a cumsum from the end. */
function reverseCumsum(t: Tensor, dim: number): Tensor {
  return t.flip([dim]).cumsum(dim).flip([dim]);
}

function hasZero(x: NDArray): boolean {
  return x.flat().includes(0);
}

/** ∏_{j < k} x_j along dim (1 at k = 0), from the cumprod of the first n − 1 elements. */
function exclusiveCumprod(x: Tensor, dim: number, n: number): Tensor {
  const pads = new Array<number>(2 * (x.ndim - dim)).fill(0);
  pads[2 * (x.ndim - 1 - dim)] = 1;
  return applyOp('pad', [x.narrow(dim, 0, Math.max(0, n - 1)).cumprod(dim)], { pads, value: 1 });
}

/**
 * cumprod's gradient without dividing by x: with dim moved last (length n), M[k, j] = x_j except
 * M[k, k] = 1, C = cumprod(M) along j gives C[k, i] = ∏_{j ≤ i, j ≠ k} x_j, and
 * ∂L/∂x_k = Σ_{i ≥ k} g_i·C[k, i]. Built from Tensor ops, so it differentiates again.
 */
function cumprodGradWithZeros(g: Tensor, x: Tensor, dim: number): Tensor {
  const order = [...Array.from({ length: x.ndim }, (_, i) => i).filter((d) => d !== dim), dim];
  const inverse = new Array<number>(order.length);
  order.forEach((d, i) => (inverse[d] = i));
  const xt = x.permute(order);
  const n = xt.shape[xt.ndim - 1]!;
  const lead = xt.shape.slice(0, -1);
  const diagonal = new NDArray(new Uint8Array(n * n), [n, n]); // bool: where's condition
  const upper = new NDArray(new Float64Array(n * n), [n, n]);
  for (let k = 0; k < n; k++) {
    diagonal.data[k * n + k] = 1;
    for (let i = k; i < n; i++) upper.data[k * n + i] = 1;
  }
  const one = new Tensor(NDArray.scalar(1, x.dtype));
  const m = applyOp('where', [new Tensor(diagonal), one, xt.unsqueeze(-2).expand([...lead, n, n])], undefined);
  const c = m.cumprod(-1);
  const weighted = c.mul(g.permute(order).unsqueeze(-2)).mul(new Tensor(upper.astype(x.dtype)));
  return weighted.sum(-1).permute(inverse);
}
