// BatchNorm1d/2d (Ioffe & Szegedy 2015, arXiv 1502.03167) and BatchRenorm1d/2d (Ioffe 2017,
// arXiv 1702.03275), with PyTorch's semantics and the `groups` option of docs/bkn.md.
//
//   training:   μ_B = mean(x),  σ²_B = mean((x − μ_B)²)   (per channel over N and positions; biased)
//               y = γ·(x − μ_B)/sqrt(σ²_B + ε) + β
//               running_mean ← (1 − α)·running_mean + α·μ_B
//               running_var  ← (1 − α)·running_var  + α·σ²_B·n/(n − 1)   (unbiased, n = N·H·W)
//   inference:  y = γ·(x − running_mean)/sqrt(running_var + ε) + β
import { ones, zeros, full } from '../autograd/creation.js';
import { applyOp } from '../autograd/apply.js';
import { noGrad } from '../autograd/grad-mode.js';
import type { Tensor } from '../autograd/tensor.js';
import { Module, Parameter } from '../nn/module.js';
import { normMoments } from '../tensor/kernels/norm.js';
import { checkOptions, type OptionNames } from '../tensor/options.js';
import { batchNormComposite, momentsComposite } from './composite.js';
import { batchNorm } from './functional.js';
import {
  batchLayout, checkBatchCount, checkPositiveInt, float64Values, writeInPlace, type NormImplementation, type NormLayout,
} from './layout.js';

/** Options of `BatchNorm1d` / `BatchNorm2d` (PyTorch's keywords, plus `groups` and `implementation`). */
export interface BatchNormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /**
   * Weight of the new batch in the running-statistics update, running ← (1 − momentum)·running +
   * momentum·batch (default 0.1). NOTE: not optimizer momentum. `null`: a cumulative average
   * (momentum 1/num_batches_tracked), as in PyTorch.
   */
  momentum?: number | null;
  /** Learnable γ (ones) and β (zeros) (default true). */
  affine?: boolean;
  /** Keep running statistics for inference (default true); without them eval mode uses the batch's. */
  trackRunningStats?: boolean;
  /** Normalize each of `groups` contiguous chunks of the batch with its own statistics (default 1). */
  groups?: number;
  /** 'fused' kernels (default) or the 'composite' built from autograd primitives (the oracle). */
  implementation?: NormImplementation;
}

const BATCH_NORM_OPTIONS: OptionNames<BatchNormOptions> = {
  eps: true, momentum: true, affine: 'flag', trackRunningStats: 'flag', groups: true, implementation: true,
};

/** The parameters and buffers every batch-statistics norm shares. */
abstract class BatchNormBase extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  readonly groups: number;
  implementation: NormImplementation;
  /** γ, shape [C] (null without `affine`). */
  weight: Parameter | null;
  /** β, shape [C] (null without `affine`). */
  bias: Parameter | null;

  constructor(numFeatures: number, options: BatchNormOptions, where: string) {
    super();
    checkPositiveInt(numFeatures, 'numFeatures', where);
    this.numFeatures = numFeatures;
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    this.affine = options.affine ?? true;
    this.trackRunningStats = options.trackRunningStats ?? true;
    this.groups = options.groups ?? 1;
    checkPositiveInt(this.groups, 'groups', where);
    this.implementation = options.implementation ?? 'fused';
    this.weight = this.affine ? new Parameter(ones([numFeatures])) : null;
    this.bias = this.affine ? new Parameter(zeros([numFeatures])) : null;
  }

  /** The running-average weight of this training step (after counting it). */
  protected stepMomentum(): number {
    const counter = this.getBuffer('num_batches_tracked');
    const steps = counter.item() + 1;
    writeInPlace(counter, [steps], this.constructor.name);
    return this.momentum === null ? 1 / steps : this.momentum;
  }

  protected abstract checkInputDim(x: Tensor): void;

  override extraRepr(): string {
    const groups = this.groups > 1 ? `, groups=${this.groups}` : '';
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, trackRunningStats=${this.trackRunningStats}${groups}`;
  }
}

/** The input-dims check of the 1-d norms: [N, C] or [N, C, L]. */
function check1d(x: Tensor, where: string): void {
  if (x.ndim !== 2 && x.ndim !== 3) throw new Error(`${where}: expected 2D or 3D input (got ${x.ndim}D input)`);
}

/** The input-dims check of the 2-d norms: [N, C, H, W]. */
function check2d(x: Tensor, where: string): void {
  if (x.ndim !== 4) throw new Error(`${where}: expected 4D input (got ${x.ndim}D input)`);
}

function checkChannels(x: Tensor, numFeatures: number, where: string): void {
  if (x.shape[1] !== numFeatures) {
    throw new Error(`${where}: expected ${numFeatures} channels (dim 1), got input of shape [${x.shape.join(', ')}]`);
  }
}

abstract class BatchNormNd extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormOptions, where: string) {
    super(numFeatures, options, where);
    if (this.trackRunningStats) {
      this.registerBuffer('running_mean', zeros([numFeatures]));
      this.registerBuffer('running_var', ones([numFeatures]));
      this.registerBuffer('num_batches_tracked', zeros([], { dtype: 'float64' }));
    }
  }

  forward(x: Tensor): Tensor {
    this.checkInputDim(x);
    checkChannels(x, this.numFeatures, this.constructor.name);
    // Batch statistics in training, and in eval too when there are no running statistics.
    const useBatch = this.training || !this.trackRunningStats;
    if (useBatch) checkBatchCount(x.shape, batchLayout(x.shape, this.groups, this.constructor.name), this.constructor.name);
    const momentum = this.training && this.trackRunningStats ? this.stepMomentum() : 0;
    const running = this.trackRunningStats;
    const fn = this.implementation === 'fused' ? batchNorm : batchNormComposite;
    try {
      return fn(x, running ? this.getBuffer('running_mean') : null, running ? this.getBuffer('running_var') : null, {
        weight: this.weight, bias: this.bias, training: useBatch, momentum, eps: this.eps, groups: useBatch ? this.groups : 1,
      });
    } catch (e) {
      throw renamed(e, this.constructor.name);
    }
  }
}

/** Replaces the functional name in an error by the module's. */
function renamed(e: unknown, name: string): unknown {
  if (e instanceof Error && e.message.startsWith('batchNorm:')) return new Error(`${name}:${e.message.slice('batchNorm:'.length)}`);
  return e;
}

/**
 * Batch Normalization over a [N, C] or [N, C, L] input, as `torch.nn.BatchNorm1d`: per channel,
 * y = γ·(x − E[x])/sqrt(Var[x] + ε) + β, with the batch's statistics (biased variance) in training
 * and the running statistics (updated with the unbiased variance) in eval mode. `groups: S`
 * normalizes S contiguous chunks of the batch separately — how a normalization batch of N/S is
 * emulated inside an optimizer batch of N. State-dict keys: weight, bias, running_mean,
 * running_var, num_batches_tracked.
 *
 * @example
 * ```ts
 * import { nn, randn } from 'tsgrad';
 * const bn = new nn.BatchNorm1d(16);
 * const y = bn.call(randn([32, 16]));       // training mode: batch statistics
 * bn.eval();
 * const z = bn.call(randn([4, 16]));        // running statistics
 * const micro = new nn.BatchNorm1d(16, { groups: 16 }); // statistics per pair of samples
 * ```
 */
export class BatchNorm1d extends BatchNormNd {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    checkOptions(options, BATCH_NORM_OPTIONS, 'BatchNorm1d');
    super(numFeatures, options, 'BatchNorm1d');
  }

  protected checkInputDim(x: Tensor): void {
    check1d(x, 'BatchNorm1d');
  }
}

/**
 * Batch Normalization over a [N, C, H, W] input, as `torch.nn.BatchNorm2d` (statistics per
 * channel over N, H and W); see `BatchNorm1d` for the options.
 *
 * @example
 * ```ts
 * import { nn, randn } from 'tsgrad';
 * const bn = new nn.BatchNorm2d(8, { momentum: null }); // cumulative average of the batch stats
 * const y = bn.call(randn([4, 8, 5, 5]));
 * ```
 */
export class BatchNorm2d extends BatchNormNd {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    checkOptions(options, BATCH_NORM_OPTIONS, 'BatchNorm2d');
    super(numFeatures, options, 'BatchNorm2d');
  }

  protected checkInputDim(x: Tensor): void {
    check2d(x, 'BatchNorm2d');
  }
}

// ---- Batch Renormalization -------------------------------------------------------------------

/** Options of `BatchRenorm1d` / `BatchRenorm2d`. */
export interface BatchRenormOptions extends Omit<BatchNormOptions, 'trackRunningStats'> {
  /** The bound of r = σ_B/σ, clipped to [1/rmax, rmax] (default 3). */
  rmax?: number;
  /** The bound of d = (μ_B − μ)/σ, clipped to [−dmax, dmax] (default 5). */
  dmax?: number;
  /** Training steps with rmax = 1 and dmax = 0 (plain BatchNorm) before relaxing (default 0). */
  warmupSteps?: number;
  /** Steps over which rmax and dmax then grow linearly to their maxima (default 0: at once). */
  rampSteps?: number;
}

// No trackRunningStats: Batch Renormalization always keeps its running statistics.
const BATCH_RENORM_OPTIONS: OptionNames<BatchRenormOptions> = {
  eps: true, momentum: true, affine: 'flag', groups: true, implementation: true, rmax: true, dmax: true, warmupSteps: true, rampSteps: true,
};

/** The clipping bounds in force, and the r and d of the last training step. */
export interface RenormState {
  rmax: number;
  dmax: number;
  /** r per (chunk, channel) of the last training step. */
  r: Float64Array;
  /** d per (chunk, channel) of the last training step. */
  d: Float64Array;
}

abstract class BatchRenormNd extends BatchNormBase {
  readonly rmax: number;
  readonly dmax: number;
  readonly warmupSteps: number;
  readonly rampSteps: number;
  /** r and d of the last training forward (for inspection), else null. */
  lastRenorm: RenormState | null = null;

  constructor(numFeatures: number, options: BatchRenormOptions, where: string) {
    super(numFeatures, { ...options, trackRunningStats: true }, where);
    this.rmax = options.rmax ?? 3;
    this.dmax = options.dmax ?? 5;
    this.warmupSteps = options.warmupSteps ?? 0;
    this.rampSteps = options.rampSteps ?? 0;
    if (!(this.rmax >= 1) || !(this.dmax >= 0)) throw new Error(`${where}: rmax must be ≥ 1 and dmax ≥ 0, got rmax ${this.rmax}, dmax ${this.dmax}`);
    this.registerBuffer('running_mean', zeros([numFeatures]));
    this.registerBuffer('running_std', ones([numFeatures]));
    this.registerBuffer('num_batches_tracked', zeros([], { dtype: 'float64' }));
  }

  /**
   * The (rmax, dmax) in force at training step `step` (0-based): 1 and 0 during `warmupSteps`, then
   * linear in the step to the given maxima over `rampSteps`.
   */
  clipBounds(step: number): { rmax: number; dmax: number } {
    if (step < this.warmupSteps) return { rmax: 1, dmax: 0 };
    const t = this.rampSteps <= 0 ? 1 : Math.min(1, (step - this.warmupSteps) / this.rampSteps);
    return { rmax: 1 + (this.rmax - 1) * t, dmax: this.dmax * t };
  }

  forward(x: Tensor): Tensor {
    const where = this.constructor.name;
    this.checkInputDim(x);
    checkChannels(x, this.numFeatures, where);
    const runningMean = this.getBuffer('running_mean');
    const runningStd = this.getBuffer('running_std');
    if (!this.training) return this.inference(x, runningMean, runningStd);

    const layout = batchLayout(x.shape, this.groups, where);
    checkBatchCount(x.shape, layout, where);
    const step = this.getBuffer('num_batches_tracked').item();
    const { rmax, dmax } = this.clipBounds(step);
    // r and d are computed from the batch statistics as constants: no gradient flows through them.
    const xc = x.array.contiguous();
    const { mean, variance } = normMoments(xc.data, xc.offset, layout);
    const mu = float64Values(runningMean);
    const sigma = float64Values(runningStd);
    const stats = layout.chunks * layout.channels;
    const r = new Float64Array(stats);
    const d = new Float64Array(stats);
    const sigmaB = new Float64Array(stats);
    for (let i = 0; i < stats; i++) {
      const c = i % layout.channels;
      sigmaB[i] = Math.sqrt(variance[i]! + this.eps);
      r[i] = clip(sigmaB[i]! / sigma[c]!, 1 / rmax, rmax);
      d[i] = clip((mean[i]! - mu[c]!) / sigma[c]!, -dmax, dmax);
    }
    this.lastRenorm = { rmax, dmax, r, d };
    const xhat = this.normalized(x, layout);
    // y = γ·(x̂·r + d) + β = x̂·(γ·r) + (γ·d + β), with r, d per (chunk, channel).
    const shape = [layout.chunks, 1, layout.channels, 1];
    const rT = constant(r, shape, x);
    const dT = constant(d, shape, x);
    let scale = rT;
    let shift = dT;
    if (this.weight !== null && this.bias !== null) {
      const w = this.weight.reshape([1, 1, layout.channels, 1]);
      scale = rT.mul(w);
      shift = dT.mul(w).add(this.bias.reshape([1, 1, layout.channels, 1]));
    }
    const y = xhat.reshape([layout.chunks, layout.samples, layout.channels, layout.positions]).mul(scale).add(shift).reshape(x.shape);

    // μ ← μ + α·(μ_B − μ),  σ ← σ + α·(σ_B − σ)   (means over chunks)
    const momentum = this.stepMomentum();
    const nextMu = new Float64Array(layout.channels);
    const nextSigma = new Float64Array(layout.channels);
    for (let c = 0; c < layout.channels; c++) {
      let m = 0;
      let s = 0;
      for (let g = 0; g < layout.chunks; g++) {
        m += mean[g * layout.channels + c]!;
        s += sigmaB[g * layout.channels + c]!;
      }
      nextMu[c] = mu[c]! + momentum * (m / layout.chunks - mu[c]!);
      nextSigma[c] = sigma[c]! + momentum * (s / layout.chunks - sigma[c]!);
    }
    writeInPlace(runningMean, nextMu, where);
    writeInPlace(runningStd, nextSigma, where);
    return y;
  }

  /** x̂ = (x − μ_B)/sqrt(σ²_B + ε) per chunk, without affine (fused or composite). */
  private normalized(x: Tensor, layout: NormLayout): Tensor {
    if (this.implementation === 'composite') {
      const { mean, variance } = momentsComposite(x, layout);
      const shape = [layout.chunks, 1, layout.channels, 1];
      const x4 = x.reshape([layout.chunks, layout.samples, layout.channels, layout.positions]);
      return x4.sub(mean.reshape(shape)).mul(variance.reshape(shape).add(this.eps).pow(-0.5)).reshape(x.shape);
    }
    return batchNorm(x, null, null, { training: true, eps: this.eps, groups: layout.chunks });
  }

  /** y = γ·(x − μ)/σ + β with the moving mean and standard deviation. */
  private inference(x: Tensor, runningMean: Tensor, runningStd: Tensor): Tensor {
    const layout = batchLayout(x.shape, 1, this.constructor.name);
    const mean = float64Values(runningMean);
    const invstd = float64Values(runningStd).map((s) => 1 / s);
    if (this.implementation === 'composite') {
      const shape = [1, 1, layout.channels, 1];
      let y = x.reshape([1, layout.samples, layout.channels, layout.positions])
        .sub(constant(mean, shape, x)).mul(constant(invstd, shape, x));
      if (this.weight !== null && this.bias !== null) y = y.mul(this.weight.reshape(shape)).add(this.bias.reshape(shape));
      return y.reshape(x.shape);
    }
    const inputs = this.weight !== null && this.bias !== null ? [x, this.weight, this.bias] : [x];
    return applyOp('normalize', inputs, { layout, mean, invstd, batchStats: false, eps: 0 });
  }
}

function clip(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/** A constant tensor of x's dtype. */
function constant(values: ArrayLike<number>, shape: readonly number[], like: Tensor): Tensor {
  return noGrad(() => {
    const t = full(shape, 0, { dtype: like.dtype });
    writeInPlace(t, values, 'constant');
    return t;
  });
}

/**
 * Batch Renormalization (Ioffe 2017, arXiv 1702.03275) over [N, C] or [N, C, L]: in training,
 * y = γ·((x − μ_B)/σ_B · r + d) + β with σ_B = sqrt(σ²_B + ε), r = clip(σ_B/σ, 1/rmax, rmax) and
 * d = clip((μ_B − μ)/σ, −dmax, dmax) treated as constants (no gradient flows through r and d);
 * μ and σ are the moving mean and moving **standard deviation** (buffers `running_mean`,
 * `running_std`), updated μ ← μ + α·(μ_B − μ), σ ← σ + α·(σ_B − σ). Inference: y = γ·(x − μ)/σ + β.
 * The paper's warm-up: rmax = 1, dmax = 0 for `warmupSteps`, then relaxed linearly over
 * `rampSteps`. With rmax = 1 and dmax = 0 it is BatchNorm. `groups` as in BatchNorm.
 *
 * @example
 * ```ts
 * import { nn, randn } from 'tsgrad';
 * const brn = new nn.BatchRenorm1d(16, { rmax: 3, dmax: 5, warmupSteps: 100, rampSteps: 1000, groups: 16 });
 * const y = brn.call(randn([32, 16]));
 * ```
 */
export class BatchRenorm1d extends BatchRenormNd {
  constructor(numFeatures: number, options: BatchRenormOptions = {}) {
    checkOptions(options, BATCH_RENORM_OPTIONS, 'BatchRenorm1d');
    super(numFeatures, options, 'BatchRenorm1d');
  }

  protected checkInputDim(x: Tensor): void {
    check1d(x, 'BatchRenorm1d');
  }
}

/**
 * Batch Renormalization over [N, C, H, W]; see `BatchRenorm1d`.
 *
 * @example
 * ```ts
 * import { nn, randn } from 'tsgrad';
 * const brn = new nn.BatchRenorm2d(8, { groups: 2 });
 * const y = brn.call(randn([4, 8, 6, 6]));
 * ```
 */
export class BatchRenorm2d extends BatchRenormNd {
  constructor(numFeatures: number, options: BatchRenormOptions = {}) {
    checkOptions(options, BATCH_RENORM_OPTIONS, 'BatchRenorm2d');
    super(numFeatures, options, 'BatchRenorm2d');
  }

  protected checkInputDim(x: Tensor): void {
    check2d(x, 'BatchRenorm2d');
  }
}

export { check1d, check2d, checkChannels, BatchNormBase };
