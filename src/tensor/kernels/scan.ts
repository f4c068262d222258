// Scans along one dim: cumulative sums and products (torch.cumsum, torch.cumprod).
import { allocate } from '../dtype.js';
import { NDArray } from '../ndarray.js';
import { sizeOf } from '../shape.js';

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
  const shape = [...x.shape];
  const out = allocate(x.dtype, sizeOf(shape));
  if (out.length === 0) return new NDArray(out, shape);
  // A 0-d tensor scans as one element (PyTorch accepts dim 0 / −1 for it).
  const n = shape.length === 0 ? 1 : shape[dim]!;
  const inner = sizeOf(shape.slice(dim + 1));
  const outer = out.length / (n * inner);
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
