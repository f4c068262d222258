// The arithmetic of Batch Kalman Normalization (kalman.ts): the Kalman update, the guard's
// ratio, the moments of prediction samples, the default noise, and small helpers on per-channel
// values. Plain functions of tensors and arrays; the layer and its wiring stay in kalman.ts.
import { Tensor } from '../autograd/tensor.js';
import { getDefaultDtype as defaultDtype, type DType } from '../tensor/dtype.js';
import { NDArray } from '../tensor/ndarray.js';
import { defaultGenerator } from '../tensor/rng.js';
import { shapeString, sizeOf } from '../tensor/shape.js';
import { momentsComposite } from './composite.js';
import { normMomentsFused } from './functional.js';
import { float64Values, writeInPlace, type NormLayout } from './layout.js';
import type { Between, PredictContext } from './kalman-types.js';

// ---- the update --------------------------------------------------------------------------------

/**
 * The Kalman update of BKN: with p = 1 − q,
 * m̂ = p·m̃ + q·m̄ and v̂ = p·ṽ + q·v̄ + p·q·(m̄ − m̃)² — exactly the mean and variance of the
 * mixture p·N(m̃, ṽ) + q·N(m̄, v̄). Differentiable in every tensor argument (q may be a tensor that
 * broadcasts, e.g. a learned per-channel gain).
 *
 * @example
 * ```ts
 * import { tensor } from 'tsgrad';
 * const { mean, variance } = kalmanUpdate(tensor([0]), tensor([1]), tensor([2]), tensor([1]), 0.5);
 * mean.item();     // 1   = 0.5·0 + 0.5·2
 * variance.item(); // 2   = 0.5·1 + 0.5·1 + 0.25·(2 − 0)²
 * ```
 */
export function kalmanUpdate(mTilde: Tensor, vTilde: Tensor, mBar: Tensor, vBar: Tensor, q: number | Tensor): { mean: Tensor; variance: Tensor } {
  const p: number | Tensor = typeof q === 'number' ? 1 - q : q.neg().add(1);
  const diff = mBar.sub(mTilde);
  const mean = mTilde.mul(p).add(mBar.mul(q));
  const pq = typeof p === 'number' && typeof q === 'number' ? p * q : (p as Tensor).mul(q);
  const variance = vTilde.mul(p).add(vBar.mul(q)).add(diff.mul(diff).mul(pq));
  return { mean, variance };
}

// ---- prediction samples ------------------------------------------------------------------------

export function runBetween(between: Between, s: Tensor): Tensor {
  if (typeof between === 'function') return between(s);
  let out = s;
  for (const m of between) out = m.call(out);
  return out;
}

/** Per-chunk, per-channel mean and biased variance of a rows-first sample tensor [S·K, C, …]. */
export function sampleMoments(r: Tensor, ctx: PredictContext, where: string): { mean: Tensor; variance: Tensor } {
  if (r.ndim < 2 || r.shape[0]! % ctx.chunks !== 0) {
    throw new Error(`${where}: the modules between produced shape ${shapeString(r.shape)} from the noise samples; expected [rows, C, …] with rows divisible by the ${ctx.chunks} chunk(s)`);
  }
  const layout: NormLayout = {
    chunks: ctx.chunks, samples: r.shape[0]! / ctx.chunks, channels: r.shape[1]!, positions: sizeOf(r.shape.slice(2)), affineSpan: 1,
  };
  return ctx.implementation === 'fused' ? normMomentsFused(r, layout) : momentsComposite(r, layout);
}

// ---- helpers -----------------------------------------------------------------------------------

export function onesOf(n: number): Tensor {
  return new Tensor(NDArray.full([n], 1, defaultDtype()));
}

export function zerosOf(n: number): Tensor {
  return new Tensor(NDArray.zeros([n], defaultDtype()));
}

/**
 * The default noise: standard normals from tsgrad's seeded global generator (`manualSeed`), by
 * Box–Muller with both outputs of each pair used.
 */
export function standardNormal(shape: readonly number[], dtype: DType): Tensor {
  const a = NDArray.zeros(shape, dtype);
  const d = a.data;
  for (let i = 0; i < d.length; i += 2) {
    const radius = Math.sqrt(-2 * Math.log(1 - defaultGenerator.uniform()));
    const angle = 2 * Math.PI * defaultGenerator.uniform();
    d[i] = radius * Math.cos(angle);
    if (i + 1 < d.length) d[i + 1] = radius * Math.sin(angle);
  }
  return new Tensor(a);
}

export function constantOf(values: ArrayLike<number>, shape: readonly number[], dtype: DType): Tensor {
  const a = NDArray.zeros(shape, dtype);
  a.data.set(Array.from(values));
  return new Tensor(a);
}

/**
 * The guard's ratio over chunks and channels of (ṽ + ε)/(v̄ + ε): by default the geometric mean
 * ρ = exp(mean(log(·))) (spec v2, docs/bkn.md), or the arithmetic mean (the released code). NaN or ∞ when a
 * prediction is not finite — the guard then rejects it.
 *
 * @example
 * ```ts
 * import { tensor } from 'tsgrad';
 * guardRatio(tensor([[4, 1]]), tensor([[1, 4]]), 0); // 1 (geometric mean of 4 and 1/4)
 * guardRatio(tensor([[4, 1]]), tensor([[1, 4]]), 0, 'arithmetic'); // 2.125
 * ```
 */
export function guardRatio(vTilde: Tensor, vBar: Tensor, eps: number, mean: 'geometric' | 'arithmetic' = 'geometric'): number {
  const vt = vTilde.array.flat();
  const vb = vBar.array.flat();
  let acc = 0;
  for (let i = 0; i < vt.length; i++) {
    const ratio = (vt[i]! + eps) / (vb[i]! + eps);
    acc += mean === 'geometric' ? Math.log(ratio) : ratio;
  }
  return mean === 'geometric' ? Math.exp(acc / vt.length) : acc / vt.length;
}

export function meanOf(t: Tensor): number {
  const v = t.array.flat();
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  return s / v.length;
}

export function meanOverChunks(values: Float64Array, chunks: number, channels: number): Float64Array {
  const out = new Float64Array(channels);
  for (let s = 0; s < chunks; s++) for (let c = 0; c < channels; c++) out[c]! += values[s * channels + c]! / chunks;
  return out;
}

/** The first layer's prior target: mean over chunks of m̄ and of the unbiased chunk variances. */
export function chunkObservations(mean: Tensor, variance: Tensor, layout: NormLayout): { mean: Float64Array; variance: Float64Array } {
  const count = layout.samples * layout.positions;
  const m = meanOverChunks(float64Values(mean), layout.chunks, layout.channels);
  const v = meanOverChunks(float64Values(variance), layout.chunks, layout.channels).map((x) => (x * count) / (count - 1));
  return { mean: m, variance: v };
}

/** target ← (1 − α)·target + α·values, in place. */
export function emaInPlace(target: Tensor, values: ArrayLike<number>, alpha: number, where: string): void {
  const old = target.array.flat();
  const next = new Float64Array(values.length);
  for (let i = 0; i < next.length; i++) next[i] = (1 - alpha) * old[i]! + alpha * values[i]!;
  writeInPlace(target, next, where);
}
