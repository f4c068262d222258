import { allocate } from '../dtype.js';
import { NDArray } from '../ndarray.js';

/**
 * Moves the reduced dims to the end and makes the result contiguous, so every output element
 * reduces one contiguous run of `inner` values. Returns the kept shape and the run length.
 */
function gatherReduced(x: NDArray, dims: readonly number[]): { runs: NDArray; keptShape: number[]; inner: number } {
  const kept: number[] = [];
  for (let d = 0; d < x.ndim; d++) if (!dims.includes(d)) kept.push(d);
  const runs = x.permute([...kept, ...dims]).contiguous();
  const keptShape = kept.map((d) => x.shape[d]!);
  const inner = dims.reduce((p, d) => p * x.shape[d]!, 1);
  return { runs, keptShape, inner };
}

/** The shape of a reduction's result: reduced dims dropped, or kept as size 1. */
export function reducedShape(shape: readonly number[], dims: readonly number[], keepdim: boolean): number[] {
  const out: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    if (!dims.includes(d)) out.push(shape[d]!);
    else if (keepdim) out.push(1);
  }
  return out;
}

/** Sum over `dims` (sorted, unique). Four accumulators break the add dependency chain. */
export function sumDims(x: NDArray, dims: readonly number[], keepdim: boolean): NDArray {
  const { runs, inner } = gatherReduced(x, dims);
  const outer = inner === 0 ? reducedSize(x.shape, dims) : runs.size / inner;
  const out = allocate(x.dtype, outer);
  const data = runs.data;
  for (let o = 0; o < outer; o++) {
    const start = runs.offset + o * inner;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    let j = 0;
    for (; j + 4 <= inner; j += 4) {
      s0 += data[start + j]!;
      s1 += data[start + j + 1]!;
      s2 += data[start + j + 2]!;
      s3 += data[start + j + 3]!;
    }
    for (; j < inner; j++) s0 += data[start + j]!;
    out[o] = s0 + s1 + (s2 + s3);
  }
  return new NDArray(out, reducedShape(x.shape, dims, keepdim));
}

/** Max over `dims`; throws for an empty reduction, as PyTorch does. */
export function maxDims(x: NDArray, dims: readonly number[], keepdim: boolean): NDArray {
  const { runs, inner } = gatherReduced(x, dims);
  if (inner === 0) throw new Error('max: cannot reduce over an empty dimension (no identity for max)');
  const outer = runs.size / inner;
  const out = allocate(x.dtype, outer);
  const data = runs.data;
  for (let o = 0; o < outer; o++) {
    const start = runs.offset + o * inner;
    let best = data[start]!;
    for (let j = 1; j < inner; j++) {
      const v = data[start + j]!;
      // NaN propagates, as in PyTorch.
      if (v > best || v !== v) best = v;
      if (best !== best) break;
    }
    out[o] = best;
  }
  return new NDArray(out, reducedShape(x.shape, dims, keepdim));
}

function reducedSize(shape: readonly number[], dims: readonly number[]): number {
  let size = 1;
  for (let d = 0; d < shape.length; d++) if (!dims.includes(d)) size *= shape[d]!;
  return size;
}
