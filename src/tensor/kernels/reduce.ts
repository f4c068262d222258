import { allocate, type Storage } from '../dtype.js';
import { NDArray } from '../ndarray.js';
import { sizeOf } from '../shape.js';
import { channelSum } from './channel-reduce.js';

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

/**
 * Sum over `dims` (sorted, unique), accumulating in float64. On the contiguous layout, neighbouring
 * dims of the same kind (reduced or kept) merge, and the common patterns run without reordering
 * the input: all reduced; [kept, reduced] (sums of contiguous runs); [reduced, kept] (sums of rows,
 * e.g. a bias gradient over the batch); [reduced, kept, reduced] (per-channel sums over N, H, W:
 * the channel-reduce kernel). Other patterns move the reduced dims last with a copy first.
 */
export function sumDims(x: NDArray, dims: readonly number[], keepdim: boolean): NDArray {
  const shape = reducedShape(x.shape, dims, keepdim);
  const xc = x.contiguous();
  const groups: { reduced: boolean; size: number }[] = [];
  let empty = false;
  for (let d = 0; d < xc.ndim; d++) {
    const size = xc.shape[d]!;
    if (size === 0) empty = true;
    if (size === 1) continue;
    const reduced = dims.includes(d);
    const last = groups[groups.length - 1];
    if (last !== undefined && last.reduced === reduced) last.size *= size;
    else groups.push({ reduced, size });
  }
  const out = allocate(x.dtype, sizeOf(shape));
  if (empty) return new NDArray(out, shape);
  const data = xc.data;
  const pattern = groups.map((g) => (g.reduced ? 'R' : 'K')).join('');
  if (pattern === '' || pattern === 'K') {
    out.set(data.subarray(xc.offset, xc.offset + out.length));
  } else if (pattern === 'R' || pattern === 'KR') {
    const inner = groups[groups.length - 1]!.size;
    rowSums(data, xc.offset, out.length, inner, out);
  } else if (pattern === 'RK') {
    columnSums(data, xc.offset, groups[0]!.size, groups[1]!.size, out);
  } else if (pattern === 'RKR' && (data instanceof Float32Array || data instanceof Float64Array)) {
    // (the per-channel kernel's parallel task reads float arrays; int32 sums take the general path)
    out.set(channelSum(data, xc.offset, [groups[0]!.size, groups[1]!.size, groups[2]!.size]));
  } else {
    const { runs, inner } = gatherReduced(xc, dims);
    rowSums(runs.data, runs.offset, out.length, inner, out);
  }
  return new NDArray(out, shape);
}

/** out[o] = Σ of the o-th run of `inner` contiguous values from `offset`. Four accumulators break the add dependency chain. */
function rowSums(data: Storage, offset: number, outer: number, inner: number, out: Storage): void {
  for (let o = 0; o < outer; o++) {
    const start = offset + o * inner;
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
}

/** out[j] = Σᵢ data[offset + i·cols + j] over `rows` rows, in float64; rows in order, each read contiguously. */
function columnSums(data: Storage, offset: number, rows: number, cols: number, out: Storage): void {
  const acc = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const start = offset + i * cols;
    for (let j = 0; j < cols; j++) acc[j] += data[start + j]!;
  }
  out.set(acc);
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
