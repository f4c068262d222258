// Normalization kernels: per-channel reductions (Σx, Σ(x − mean)², Σg, Σg·x̂) and the elementwise
// passes around them, shared by BatchNorm, BatchRenorm, GroupNorm, LayerNorm, InstanceNorm and
// Batch Kalman Normalization. The reductions run on the channel-reduce kernels (channel-reduce.ts:
// four accumulators, fixed chunks, parallel when the pool pays); the elementwise passes walk
// chunks, then samples, then channels, then positions — the memory order of a contiguous input —
// in runs of contiguous elements with constants per run (affine-runs.ts, parallel when it pays).
import { allocate, type Storage } from '../dtype.js';
import { MIN_RUN_LENGTH, affineRun, affineRuns, gradientRun, gradientRuns } from './affine-runs.js';
import { channelGradSums, channelSums } from './channel-reduce.js';

/**
 * How a contiguous input is viewed for normalization: as `[chunks, samples, channels, positions]`
 * (row-major). One statistic (a mean and a variance) is taken per (chunk, channel), over its
 * `samples · positions` values. `affineSpan` is the number of affine entries (γ, β) per channel:
 * the affine index of element (s, a, b, r) is `b·affineSpan + floor(r / (positions / affineSpan))`.
 *
 * | norm | chunks | samples | channels | positions | affineSpan |
 * |---|---|---|---|---|---|
 * | BatchNorm (`groups` S) on [N, C, …P] | S | N/S | C | P | 1 |
 * | InstanceNorm on [N, C, …P] | N | 1 | C | P | 1 |
 * | GroupNorm (G groups) on [N, C, …P] | N | 1 | G | (C/G)·P | C/G |
 * | LayerNorm over the last dims (inner size I) | outer | 1 | 1 | I | I |
 */
export interface NormLayout {
  chunks: number;
  samples: number;
  channels: number;
  positions: number;
  affineSpan: number;
}

/** The number of values behind one statistic. */
export function layoutCount(layout: NormLayout): number {
  return layout.samples * layout.positions;
}

/** The number of elements the layout covers. */
export function layoutSize(layout: NormLayout): number {
  return layout.chunks * layout.samples * layout.channels * layout.positions;
}

/** Per-(chunk, channel) mean and biased variance, flat index `chunk·channels + channel`. */
export interface Moments {
  mean: Float64Array;
  variance: Float64Array;
}

/**
 * The layout as channel-reduce problems over "rows": a row is one (chunk, channel, affine index)
 * and holds `samples` runs of `positions / affineSpan` contiguous values. Calls
 * `visit(firstChunk, elementOffset, shape)` per block of rows with shape [samples, rows, run]; the
 * block's row r is (chunk firstChunk + ⌊r / (channels·affineSpan)⌋, channel, affine index) in
 * row-major order. With one sample per chunk, all chunks form one block (one call for, e.g., a
 * whole LayerNorm); otherwise one block per chunk.
 */
function forEachRowBlock(layout: NormLayout, visit: (firstChunk: number, elementOffset: number, shape: readonly number[]) => void): void {
  const { chunks, samples, channels, positions, affineSpan } = layout;
  const run = positions / affineSpan;
  const rowsPerChunk = channels * affineSpan;
  if (samples === 1) {
    visit(0, 0, [1, chunks * rowsPerChunk, run]);
    return;
  }
  for (let s = 0; s < chunks; s++) visit(s, s * samples * channels * positions, [samples, rowsPerChunk, run]);
}

/**
 * Mean and biased variance per (chunk, channel), in one pass over x, accumulating in float64:
 * Σx and Σ(x − s)² with a shift s per statistic equal to one of its own values (its first), then
 * var = Σ(x − s)²/n − (mean − s)². The shift keeps data with a large mean accurate: with s = 0 the
 * two terms would be huge and nearly equal (Σx²/n − mean² cancels); with s a value of the data,
 * (mean − s)² ≤ n·var, so the cancellation costs at most a relative n·2⁻⁵³ of var (1e-12 for a
 * million values). One pass instead of two (Σx, then Σ(x − mean)²): measured 340 → 220 µs for
 * BatchNorm2d's [8, 32, 32, 32] (bench/README.md).
 */
export function normMoments(x: Storage, offset: number, layout: NormLayout): Moments {
  const { chunks, samples, channels, positions, affineSpan } = layout;
  const stats = chunks * channels;
  const mean = new Float64Array(stats);
  const variance = new Float64Array(stats);
  const count = layoutCount(layout);
  if (count === 0) return { mean: mean.fill(NaN), variance: variance.fill(NaN) };
  const shift = new Float64Array(stats);
  for (let st = 0; st < stats; st++) {
    const chunk = Math.floor(st / channels);
    shift[st] = x[offset + (chunk * samples * channels + (st - chunk * channels)) * positions]!;
  }
  // Row r of a block starting at chunk s0 belongs to statistic s0·channels + ⌊r / affineSpan⌋.
  forEachRowBlock(layout, (s0, off, shape) => {
    const { sum, sumSq } = channelSums(x, offset + off, shape, rowValues(shift, s0 * channels, shape[1]!, affineSpan));
    for (let r = 0; r < sum.length; r++) {
      const st = s0 * channels + Math.floor(r / affineSpan);
      mean[st] += sum[r]!;
      variance[st] += sumSq[r]!;
    }
  });
  for (let st = 0; st < stats; st++) {
    mean[st] = mean[st]! / count;
    const d = mean[st]! - shift[st]!;
    variance[st] = Math.max(0, variance[st]! / count - d * d);
  }
  return { mean, variance };
}

/** Per-statistic values spread over rows: out[r] = values[first + ⌊r / span⌋], r < rows. */
function rowValues(values: ArrayLike<number>, first: number, rows: number, span: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) out[r] = values[first + Math.floor(r / span)]!;
  return out;
}

/** 1 / sqrt(v + eps) elementwise. */
export function invStd(variance: ArrayLike<number>, eps: number): Float64Array {
  const out = new Float64Array(variance.length);
  for (let i = 0; i < out.length; i++) out[i] = 1 / Math.sqrt(variance[i]! + eps);
  return out;
}

/**
 * y = (x − mean)·invstd·γ + β for every element, with mean/invstd per (chunk, channel) and γ/β per
 * affine index (null means γ = 1, β = 0). Returns a fresh array of x's dtype.
 */
export function normForward(
  x: Storage, offset: number, layout: NormLayout,
  mean: ArrayLike<number>, invstd: ArrayLike<number>,
  weight: ArrayLike<number> | null, bias: ArrayLike<number> | null,
  out: Storage = allocate(x instanceof Float64Array ? 'float64' : 'float32', layoutSize(layout)),
): Storage {
  const { chunks, samples, channels, positions, affineSpan } = layout;
  const block = positions / affineSpan;
  // One run of `block` elements per (chunk, sample, channel, affine index), in memory order. Long
  // runs: their constants are gathered and affineRuns does the pass (over the worker pool when
  // big); short ones (LayerNorm: one element) are written here run by run.
  const runs = chunks * samples * channels * affineSpan;
  const gather = block >= MIN_RUN_LENGTH;
  const runM = new Float64Array(gather ? runs : 0);
  const runScale = new Float64Array(gather ? runs : 0);
  const runAdd = new Float64Array(gather ? runs : 0);
  let r = 0;
  for (let s = 0; s < chunks; s++) {
    for (let a = 0; a < samples; a++) {
      for (let b = 0; b < channels; b++) {
        const st = s * channels + b;
        const m = mean[st]!;
        const k = invstd[st]!;
        for (let f = 0; f < affineSpan; f++) {
          const j = b * affineSpan + f;
          const scale = k * (weight === null ? 1 : weight[j]!);
          const add = bias === null ? 0 : bias[j]!;
          if (gather) {
            runM[r] = m;
            runScale[r] = scale;
            runAdd[r] = add;
          } else {
            affineRun(x, offset + r * block, out, r * block, block, m, scale, add);
          }
          r++;
        }
      }
    }
  }
  if (gather) affineRuns(x, offset, out, 0, runs, block, runM, runScale, runAdd);
  return out;
}

/** The per-statistic and per-affine-index sums a normalization backward needs. */
export interface NormBackwardSums {
  /** Σ g·γ per (chunk, channel). */
  sumGW: Float64Array;
  /** Σ g·γ·x̂ per (chunk, channel). */
  sumGWXhat: Float64Array;
  /** Σ g per affine index (over chunks, samples and positions): the gradient of β. */
  sumG: Float64Array;
  /** Σ g·x̂ per affine index: the gradient of γ. */
  sumGXhat: Float64Array;
}

/**
 * One pass over g and x computing the backward's reductions, with x̂ = (x − mean)·invstd:
 * channelGradSums gives Σg and Σg·(x − mean) per row (chunk, channel, affine index), and
 * Σg·x̂ = invstd·Σg·(x − mean). g must be contiguous with the layout of x (offsets given separately).
 */
export function normBackwardSums(
  g: Storage, gOffset: number, x: Storage, xOffset: number, layout: NormLayout,
  mean: ArrayLike<number>, invstd: ArrayLike<number>, weight: ArrayLike<number> | null,
): NormBackwardSums {
  const { chunks, channels, affineSpan } = layout;
  const sumGW = new Float64Array(chunks * channels);
  const sumGWXhat = new Float64Array(chunks * channels);
  const sumG = new Float64Array(channels * affineSpan);
  const sumGXhat = new Float64Array(channels * affineSpan);
  const rowsPerChunk = channels * affineSpan;
  forEachRowBlock(layout, (s0, off, shape) => {
    const rows = shape[1]!;
    const shift = rowValues(mean, s0 * channels, rows, affineSpan);
    const sums = channelGradSums(g, gOffset + off, x, xOffset + off, shape, shift);
    // Rows in order: chunk, channel, affine index — a fixed merge order.
    for (let r = 0; r < rows; r++) {
      const st = s0 * channels + Math.floor(r / affineSpan);
      const j = r % rowsPerChunk;
      const k = invstd[st]!;
      const w = weight === null ? 1 : weight[j]!;
      const sg = sums.sumG[r]!;
      const sgx = k * sums.sumGX[r]!;
      sumG[j] += sg;
      sumGXhat[j] += sgx;
      sumGW[st] += sg * w;
      sumGWXhat[st] += sgx * w;
    }
  });
  return { sumGW, sumGWXhat, sumG, sumGXhat };
}

/**
 * The input gradient of a normalization, written into a fresh array of x's dtype:
 * - `batchStats` (mean and variance are x's own, over `count` values):
 *   dx = invstd·(g·γ − Σ(g·γ)/count − x̂·Σ(g·γ·x̂)/count)
 * - otherwise (mean and variance are constants): dx = invstd·g·γ.
 */
export function normBackwardInput(
  g: Storage, gOffset: number, x: Storage, xOffset: number, layout: NormLayout,
  mean: ArrayLike<number>, invstd: ArrayLike<number>, weight: ArrayLike<number> | null,
  sums: NormBackwardSums | null,
): Storage {
  const { chunks, samples, channels, positions, affineSpan } = layout;
  const block = positions / affineSpan;
  const count = samples * positions;
  const out = allocate(x instanceof Float64Array ? 'float64' : 'float32', layoutSize(layout));
  const runs = chunks * samples * channels * affineSpan;
  const gather = block >= MIN_RUN_LENGTH; // as in normForward
  const runM = new Float64Array(gather ? runs : 0);
  const runA = new Float64Array(gather ? runs : 0);
  const runB = new Float64Array(gather ? runs : 0);
  const runC = new Float64Array(gather ? runs : 0);
  let r = 0;
  for (let s = 0; s < chunks; s++) {
    for (let a = 0; a < samples; a++) {
      for (let b = 0; b < channels; b++) {
        const st = s * channels + b;
        const m = mean[st]!;
        const k = invstd[st]!;
        const meanGW = sums === null ? 0 : sums.sumGW[st]! / count;
        const meanGWX = sums === null ? 0 : sums.sumGWXhat[st]! / count;
        for (let f = 0; f < affineSpan; f++) {
          const w = weight === null ? 1 : weight[b * affineSpan + f]!;
          // k·(g·w − meanGW − x̂·meanGWX) with x̂ = (x − m)·k, as a·g − b·(x − m) − c
          const ca = k * w;
          const cb = k * k * meanGWX;
          const cc = k * meanGW;
          if (gather) {
            runM[r] = m;
            runA[r] = ca;
            runB[r] = cb;
            runC[r] = cc;
          } else {
            gradientRun(g, gOffset + r * block, x, xOffset + r * block, out, r * block, block, m, ca, cb, cc);
          }
          r++;
        }
      }
    }
  }
  if (gather) gradientRuns(g, gOffset, x, xOffset, out, 0, runs, block, runM, runA, runB, runC);
  return out;
}

/**
 * The input gradient of (mean, biased variance) per (chunk, channel):
 * dx = dmean/count + 2·(x − mean)·dvar/count.
 */
export function momentsBackward(
  dmean: ArrayLike<number>, dvar: ArrayLike<number>, x: Storage, xOffset: number, layout: NormLayout, mean: ArrayLike<number>,
): Storage {
  const { chunks, samples, channels, positions } = layout;
  const count = samples * positions;
  const out = allocate(x instanceof Float64Array ? 'float64' : 'float32', layoutSize(layout));
  const runs = chunks * samples * channels;
  const gather = positions >= MIN_RUN_LENGTH; // as in normForward
  const runM = new Float64Array(gather ? runs : 0);
  const runScale = new Float64Array(gather ? runs : 0);
  const runAdd = new Float64Array(gather ? runs : 0);
  let r = 0;
  for (let s = 0; s < chunks; s++) {
    for (let a = 0; a < samples; a++) {
      for (let b = 0; b < channels; b++) {
        const st = s * channels + b;
        const m = mean[st]!;
        const dv = (2 * dvar[st]!) / count;
        const dm = dmean[st]! / count;
        if (gather) {
          runM[r] = m;
          runScale[r] = dv;
          runAdd[r] = dm;
        } else {
          affineRun(x, xOffset + r * positions, out, r * positions, positions, m, dv, dm);
        }
        r++;
      }
    }
  }
  if (gather) affineRuns(x, xOffset, out, 0, runs, positions, runM, runScale, runAdd);
  return out;
}
