// Scans along one dim: cumulative sums and products (torch.cumsum, torch.cumprod).
import { allocate, type Storage } from '../dtype.js';
import { NDArray } from '../ndarray.js';
import { sizeOf } from '../shape.js';

/**
 * A scan's output (fresh, of x's shape and dtype) and x seen as [outer, n, inner] around `dim`. A
 * 0-d tensor scans as one element (PyTorch accepts dim 0 / −1 for it).
 */
function scanLayout(x: NDArray, dim: number): { shape: number[]; out: Storage; n: number; inner: number; outer: number } {
  const shape = [...x.shape];
  const out = allocate(x.dtype, sizeOf(shape));
  const n = shape.length === 0 ? 1 : shape[dim]!;
  const inner = sizeOf(shape.slice(dim + 1));
  return { shape, out, n, inner, outer: out.length === 0 ? 0 : out.length / (n * inner) };
}

/**
 * out[…, k, …] = x[…, 0, …] ∘ x[…, 1, …] ∘ … ∘ x[…, k, …] along `dim` (already resolved), for ∘ = +
 * (`'sum'`) or · (`'prod'`). Any view; the output is a fresh contiguous array of x's shape and
 * dtype. The running value is kept in float64 (a float32 output rounds each stored element once),
 * one accumulator per position of the dims after `dim`, so the loop reads x row by row.
 *
 * @example
 * ```ts
 * const x = new NDArray(new Float64Array([1, 2, 3, 4, 5, 6]), [2, 3]);
 * scanDim(x, 1, 'sum').data;  // Float64Array [1, 3, 6, 4, 9, 15]
 * scanDim(x, 0, 'prod').data; // Float64Array [1, 2, 3, 4, 10, 18]
 * ```
 */
export function scanDim(x: NDArray, dim: number, kind: 'sum' | 'prod'): NDArray {
  const xc = x.contiguous();
  const { shape, out, n, inner, outer } = scanLayout(x, dim);
  if (out.length === 0) return new NDArray(out, shape);
  const data = xc.data;
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    acc.fill(kind === 'sum' ? 0 : 1);
    for (let k = 0; k < n; k++) {
      const row = base + k * inner;
      const src = xc.offset + row;
      if (kind === 'sum') {
        for (let i = 0; i < inner; i++) out[row + i] = acc[i] += data[src + i]!;
      } else {
        for (let i = 0; i < inner; i++) out[row + i] = acc[i] *= data[src + i]!;
      }
    }
  }
  return new NDArray(out, shape);
}

/**
 * cumprod's gradient along `dim` without dividing, exact with zeros in x (the first-order route):
 * ∂L/∂x_k = Σ_{i ≥ k} g_i·∏_{j ≤ i, j ≠ k} x_j = P_k·S_k, with P_k = ∏_{j < k} x_j (an exclusive
 * running product) and S_k = g_k + x_{k+1}·S_{k+1} (a recurrence from the end). O(n) per row; g and
 * x have the same shape; the output is contiguous, of x's dtype.
 *
 * @example
 * ```ts
 * const x = new NDArray(new Float64Array([2, 0, 3]), [3]);
 * const g = new NDArray(new Float64Array([1, 1, 1]), [3]);
 * cumprodBackward(g, x, 0).data; // Float64Array [1, 8, 0]: ∂(2 + 0 + 0)/∂x₀ = 1, ∂/∂x₁ = 2 + 2·3, ∂/∂x₂ = 0
 * ```
 */
export function cumprodBackward(g: NDArray, x: NDArray, dim: number): NDArray {
  const xc = x.contiguous();
  const gc = g.contiguous();
  const { shape, out, n, inner, outer } = scanLayout(x, dim);
  if (out.length === 0) return new NDArray(out, shape);
  const xd = xc.data;
  const gd = gc.data;
  const prefix = new Float64Array(n);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (k: number): number => o * n * inner + k * inner + i;
      let p = 1;
      for (let k = 0; k < n; k++) {
        prefix[k] = p;
        p *= xd[xc.offset + at(k)]!;
      }
      let s = 0;
      for (let k = n - 1; k >= 0; k--) {
        s = gd[gc.offset + at(k)]! + (k + 1 < n ? xd[xc.offset + at(k + 1)]! * s : 0);
        out[at(k)] = prefix[k]! * s;
      }
    }
  }
  return new NDArray(out, shape);
}
