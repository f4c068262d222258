// The public types of Batch Kalman Normalization (kalman.ts), and the context its prediction
// sources share within one training pass.
import type { Tensor } from '../autograd/tensor.js';
import type { Module } from '../nn/module.js';
import type { DType } from '../tensor/dtype.js';
import type { BatchKalmanNorm, KalmanSum } from './kalman.js';
import type { NormImplementation } from './layout.js';

// ---- public types ----------------------------------------------------------------------------

/** A user transition: the previous estimate [S, C_{k−1}] → the prediction [S, C_k]. */
export type KalmanTransitionFn = (mean: Tensor, variance: Tensor) => { mean: Tensor; var: Tensor };

/** How the prediction is made (see docs/bkn.md, "Transitions"). */
export type KalmanTransition = 'sampled' | 'sampled-prenorm' | 'linear' | 'analytic' | KalmanTransitionFn;

/** The gain q (weight on the observation): 'count' (default), a fixed number in [0, 1], or 'learned'. */
export type KalmanGain = 'count' | 'learned' | number;

/** Draws standard normal noise of a shape and dtype (tests inject a fixed one). */
export type NoiseFn = (shape: readonly number[], dtype: DType) => Tensor;

/**
 * What lies between a prediction source and the layer that predicts from it: a list of modules
 * applied in order, or any function of the sample tensor.
 */
export type Between = readonly Module[] | ((s: Tensor) => Tensor);

/** One branch of a `KalmanSum`: a source and the modules from it to the sum. */
export interface KalmanBranch {
  from: KalmanSource;
  /** The modules from the source's output to the sum (default: none, an identity shortcut). */
  between?: Between;
}

/** Where a BKN layer's prediction comes from: the previous BKN layer, or a sum of branches. */
export type KalmanSource = BatchKalmanNorm | KalmanSum;

/** Options of `BatchKalmanNorm1d` / `BatchKalmanNorm2d` (docs/bkn.md, "Wiring the chain"). */
export interface BatchKalmanNormOptions {
  /** The BKN layer before this one (or a `KalmanSum` at a residual join); omit for the first. */
  prev?: KalmanSource | null;
  /**
   * For the sampled transitions: the modules strictly between `prev` and this layer (in a
   * `Sequential` they are found automatically). Pass `[]` when there are none.
   */
  between?: Between;
  /**
   * 'analytic' (default: the noise-free limit of 'sampled'
   * in closed form, for ReLU [→ MaxPool2d] [→ Flatten] [→ Linear | Conv2d] between the layers; other
   * patterns fall back to 'sampled' with a one-time notice), 'sampled', 'sampled-prenorm', 'linear',
   * or a function.
   */
  transition?: KalmanTransition;
  /** 'count' (default), a number q in [0, 1], or 'learned'. */
  gain?: KalmanGain;
  /** For gain 'count': how many observations the prediction is worth (default 16). */
  priorCount?: number;
  /** For the sampled transitions: noise rows per chunk × spatial positions (default 256). */
  noiseSamples?: number;
  /** The first layer's prior: 'observations' (default) or 'none' (plain BatchNorm). */
  firstPrior?: 'observations' | 'none';
  /** Normalization chunks per batch (default 1); every layer of a chain must agree. */
  groups?: number;
  /** Added to variances (default 1e-5). */
  eps?: number;
  /** Running-statistics momentum (default 0.1; null = cumulative average). */
  momentum?: number | null;
  /** Learnable γ and β (default true). */
  affine?: boolean;
  /** The guard: the prediction is used only if the geometric-mean ratio ṽ/v̄ is below this (default 100). */
  guardRatio?: number;
  /**
   * How the guard averages the ratios (ṽ + ε)/(v̄ + ε) over chunks and channels: 'geometric'
   * (default, spec v2 in docs/bkn.md) or 'arithmetic' (the released code; with 2 values per channel a few
   * near-zero v̄ dominate it and it rejects most predictions).
   */
  guardMean?: 'geometric' | 'arithmetic';
  /** For 'linear': process noise r ≥ 0 per channel, a number (default 0) or 'learned'. */
  processNoise?: number | 'learned';
  /** The noise of the sampled transitions (default: `randn` from the seeded global generator). */
  noise?: NoiseFn;
  /** 'fused' kernels (default) or the 'composite' built from autograd primitives. */
  implementation?: NormImplementation;
}

/** What the last training step of a layer did (for diagnostics and tests). */
export interface KalmanStepInfo {
  /** The gain used (a number, or the mean of a learned per-channel gain); null if no prior was fused. */
  q: number | null;
  /** The guard's geometric-mean ratio ρ of (ṽ + ε)/(v̄ + ε) (NaN when there is no predecessor). */
  ratio: number;
  /** Whether a prediction (or the first layer's prior) was fused with the observation. */
  usedPrediction: boolean;
}

// ---- shared by the prediction sources ----------------------------------------------------------

/** Everything a source needs to make the prediction of one consumer in one pass. */
export interface PredictContext {
  pass: number;
  consumer: BatchKalmanNorm;
  chunks: number;
  noiseSamples: number;
  noise: NoiseFn;
  eps: number;
  dtype: DType;
  implementation: NormImplementation;
}

/** The estimate a BKN layer made in one training pass. */
export interface KalmanEstimate {
  pass: number;
  mean: Tensor;
  variance: Tensor;
  inputShape: readonly number[];
  chunks: number;
}
