// Normalization kernels: per-channel reductions (Σx, Σ(x − mean)², Σg, Σg·x̂) and the elementwise
// passes around them, shared by BatchNorm, BatchRenorm, GroupNorm, LayerNorm, InstanceNorm and
// Batch Kalman Normalization. Plain serial loops over typed arrays: they know nothing of tensors or
// threads, so the worker pool can later split them by chunk (every loop below runs over chunks,
// then samples, then channels, then positions — the memory order of a contiguous input).
import { allocate, type Storage } from '../dtype.js';

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
 * Mean and biased variance per (chunk, channel). Two passes — Σx, then Σ(x − mean)² — which keeps
 * float32 inputs with a large mean accurate (Σx² − n·mean² would cancel). Accumulates in float64.
 */
export function normMoments(x: Storage, offset: number, layout: NormLayout): Moments {
  const { chunks, samples, channels, positions } = layout;
  const stats = chunks * channels;
  const mean = new Float64Array(stats);
  const variance = new Float64Array(stats);
  const count = samples * positions;
  let pos = offset;
  for (let s = 0; s < chunks; s++) {
    for (let a = 0; a < samples; a++) {
      for (let b = 0; b < channels; b++) {
        let acc = 0;
        for (let r = 0; r < positions; r++) acc += x[pos + r]!;
        mean[s * channels + b]! += acc;
        pos += positions;
      }
    }
  }
  for (let i = 0; i < stats; i++) mean[i] = mean[i]! / count;
  pos = offset;
  for (let s = 0; s < chunks; s++) {
    for (let a = 0; a < samples; a++) {
      for (let b = 0; b < channels; b++) {
        const m = mean[s * channels + b]!;
        let acc = 0;
        for (let r = 0; r < positions; r++) {
          const d = x[pos + r]! - m;
          acc += d * d;
        }
        variance[s * channels + b]! += acc;
        pos += positions;
      }
    }
  }
  for (let i = 0; i < stats; i++) variance[i] = variance[i]! / count;
  return { mean, variance };
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
  let pos = 0;
  for (let s = 0; s < chunks; s++) {
    for (let a = 0; a < samples; a++) {
      for (let b = 0; b < channels; b++) {
        const st = s * channels + b;
        const m = mean[st]!;
        const k = invstd[st]!;
        for (let f = 0; f < affineSpan; f++) {
          const j = b * affineSpan + f;
          const w = weight === null ? 1 : weight[j]!;
          const c = bias === null ? 0 : bias[j]!;
          const scale = k * w;
          for (let r = 0; r < block; r++) {
            out[pos] = (x[offset + pos]! - m) * scale + c;
            pos++;
          }
        }
      }
    }
  }
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
 * One pass over g and x computing the backward's reductions, with x̂ = (x − mean)·invstd.
 * g must be contiguous with the layout of x (offsets given separately).
 */
export function normBackwardSums(
  g: Storage, gOffset: number, x: Storage, xOffset: number, layout: NormLayout,
  mean: ArrayLike<number>, invstd: ArrayLike<number>, weight: ArrayLike<number> | null,
): NormBackwardSums {
  const { chunks, samples, channels, positions, affineSpan } = layout;
  const block = positions / affineSpan;
  const sumGW = new Float64Array(chunks * channels);
  const sumGWXhat = new Float64Array(chunks * channels);
  const sumG = new Float64Array(channels * affineSpan);
  const sumGXhat = new Float64Array(channels * affineSpan);
  let pos = 0;
  for (let s = 0; s < chunks; s++) {
    for (let a = 0; a < samples; a++) {
      for (let b = 0; b < channels; b++) {
        const st = s * channels + b;
        const m = mean[st]!;
        const k = invstd[st]!;
        let accGW = 0;
        let accGWX = 0;
        for (let f = 0; f < affineSpan; f++) {
          const j = b * affineSpan + f;
          let accG = 0;
          let accGX = 0;
          for (let r = 0; r < block; r++) {
            const gv = g[gOffset + pos]!;
            const xh = (x[xOffset + pos]! - m) * k;
            accG += gv;
            accGX += gv * xh;
            pos++;
          }
          const w = weight === null ? 1 : weight[j]!;
          sumG[j]! += accG;
          sumGXhat[j]! += accGX;
          accGW += accG * w;
          accGWX += accGX * w;
        }
        sumGW[st]! += accGW;
        sumGWXhat[st]! += accGWX;
      }
    }
  }
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
  let pos = 0;
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
          for (let r = 0; r < block; r++) {
            const xh = (x[xOffset + pos]! - m) * k;
            out[pos] = k * (g[gOffset + pos]! * w - meanGW - xh * meanGWX);
            pos++;
          }
        }
      }
    }
  }
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
  let pos = 0;
  for (let s = 0; s < chunks; s++) {
    for (let a = 0; a < samples; a++) {
      for (let b = 0; b < channels; b++) {
        const st = s * channels + b;
        const m = mean[st]!;
        const dm = dmean[st]! / count;
        const dv = (2 * dvar[st]!) / count;
        for (let r = 0; r < positions; r++) {
          out[pos] = dm + (x[xOffset + pos]! - m) * dv;
          pos++;
        }
      }
    }
  }
  return out;
}
