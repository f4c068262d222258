// Kernels with integer or bool results: arg-reductions, all/any, and the stable sort behind sort
// and topk. Plain loops over the reduced dim moved last (contiguous runs); none is differentiable
// (the Tensor methods gather values through the differentiable `gather` primitive instead).
import { NDArray } from '../ndarray.js';
import { sizeOf } from '../shape.js';
import { reducedShape } from './reduce.js';

/** `x` with `dim` moved last and made contiguous: one run of `x.shape[dim]` values per output. */
function runsAlong(x: NDArray, dim: number): { runs: NDArray; outer: number; len: number } {
  const order = [...Array(x.ndim).keys()].filter((d) => d !== dim);
  const runs = x.permute([...order, dim]).contiguous();
  const len = x.shape[dim]!;
  return { runs, outer: len === 0 ? 0 : runs.size / len, len };
}

/**
 * The index of the largest (`largest`) or smallest value along `dim`, as int32. NOTE: ties give the
 * first index and NaN counts as the extreme (the first NaN wins), as PyTorch's argmax/argmin.
 */
export function argExtreme(x: NDArray, dim: number, keepdim: boolean, largest: boolean, op: string): NDArray {
  const { runs, outer, len } = runsAlong(x, dim);
  if (len === 0) throw new Error(`${op}: cannot reduce over dim ${dim} of size 0 (shape [${x.shape.join(', ')}])`);
  const out = new Int32Array(outer);
  const data = runs.data;
  for (let o = 0; o < outer; o++) {
    const start = runs.offset + o * len;
    let best = data[start]!;
    let at = 0;
    for (let j = 1; j < len && best === best; j++) {
      const v = data[start + j]!;
      if (v !== v || (largest ? v > best : v < best)) {
        best = v;
        at = j;
      }
    }
    out[o] = at;
  }
  return new NDArray(out, reducedShape(x.shape, [dim], keepdim));
}

/** Whether every (`every`) or some element along `dims` is non-zero, as bool (NaN is true). */
export function allAny(x: NDArray, dims: readonly number[], keepdim: boolean, every: boolean): NDArray {
  const kept = [...Array(x.ndim).keys()].filter((d) => !dims.includes(d));
  const runs = x.permute([...kept, ...dims]).contiguous();
  const inner = dims.reduce((p, d) => p * x.shape[d]!, 1);
  const shape = reducedShape(x.shape, dims, keepdim);
  const outer = sizeOf(shape);
  const out = new Uint8Array(outer);
  const data = runs.data;
  for (let o = 0; o < outer; o++) {
    const start = runs.offset + o * inner;
    // all() of nothing is true, any() of nothing is false (as PyTorch).
    let result = every;
    for (let j = 0; j < inner; j++) {
      if ((data[start + j] !== 0) !== every) {
        result = !every;
        break;
      }
    }
    out[o] = result ? 1 : 0;
  }
  return new NDArray(out, shape);
}

/**
 * The permutation that sorts each run along `dim`, as int32 indices of `x`'s shape (the first `k`
 * per run when `k` is given). Stable: equal values keep their order — in both directions, as
 * PyTorch's `sort(stable=True)`. NaN sorts above every number (last ascending, first descending).
 */
export function sortIndices(x: NDArray, dim: number, descending: boolean, k = x.shape[dim]!): NDArray {
  const { runs, outer, len } = runsAlong(x, dim);
  const data = runs.data;
  const keys = new Float64Array(len);
  const order = new Array<number>(len);
  // NaN is largest: compare as +Infinity, and after +Infinity itself.
  const rank = (a: number, b: number): number => {
    const va = keys[a]!;
    const vb = keys[b]!;
    const na = va !== va;
    const nb = vb !== vb;
    if (na || nb) return na === nb ? 0 : na ? 1 : -1;
    return va < vb ? -1 : va > vb ? 1 : 0;
  };
  const movedShape = [...x.shape.filter((_, d) => d !== dim), k];
  const out = new Int32Array(outer * k);
  for (let o = 0; o < outer; o++) {
    const start = runs.offset + o * len;
    for (let j = 0; j < len; j++) {
      keys[j] = data[start + j]!;
      order[j] = j;
    }
    // Array.prototype.sort is stable (ES2019); ties fall back to the original position anyway.
    order.sort((a, b) => (descending ? rank(b, a) : rank(a, b)) || a - b);
    for (let j = 0; j < k; j++) out[o * k + j] = order[j]!;
  }
  // Move the sorted dim back from last to `dim`.
  const back = [...Array(x.ndim).keys()].map((d) => (d < dim ? d : d === dim ? x.ndim - 1 : d - 1));
  return new NDArray(out, movedShape).permute(back).contiguous();
}
