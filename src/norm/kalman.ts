// Batch Kalman Normalization (Wang, Peng, Luo, Wang, Lin, arXiv 1802.03133; NeurIPS 2018 as
// "Kalman Normalization"), as specified equation by equation in docs/bkn.md (spec v2).
//
// Per BKN layer k, training mode, x of shape [N, C_k, …], per normalization chunk and channel:
//   observation   x̄_k = m̄_k = mean(x),  v̄_k = mean((x − m̄_k)²)                  (biased)
//   prediction    (m̃_k, ṽ_k) = transition_k(x̂_{k−1}, Σ_{k−1})  from the layer before
//   update        m̂_k = p·m̃_k + q·m̄_k
//                 v̂_k = p·ṽ_k + q·v̄_k + p·q·(m̄_k − m̃_k)²            (q: gain, p = 1 − q)
//                 = the mean and variance of the mixture p·N(m̃, ṽ) + q·N(m̄, v̄)
//   normalize     y = γ·(x − m̂_k)/sqrt(v̂_k + ε) + β
// Paper ↔ code: the paper's x̂_{k|k−1}, Σ_{k|k−1} (prior) are `mTilde`, `vTilde`; x̄_k, S_k
// (observation) are `mBar`, `vBar`; x̂_k, Σ_k (posterior) are `mHat`, `vHat`; the gain q_k is `q`;
// the paper's transition matrix A_k is `A`; its process noise is `r` (`processNoise`).
import { applyOp } from '../autograd/apply.js';
import { noGrad } from '../autograd/grad-mode.js';
import { Tensor } from '../autograd/tensor.js';
import { Module, Parameter } from '../nn/module.js';
import { type DType } from '../tensor/dtype.js';
import { NDArray } from '../tensor/ndarray.js';
import { checkOptions, type OptionNames } from '../tensor/options.js';
import { shapeString, sizeOf } from '../tensor/shape.js';
import { check1d, check2d, checkChannels } from './batchnorm.js';
import { batchNormComposite, momentsComposite, normalizeWithComposite } from './composite.js';
import { batchNorm, normalizeWithFused, normMomentsFused } from './functional.js';
import {
  batchLayout, checkBatchCount, checkPositiveInt, float64Values, writeInPlace, type NormImplementation, type NormLayout,
} from './layout.js';
import {
  chunkObservations, constantOf, emaInPlace, guardRatio, kalmanUpdate, meanOf, meanOverChunks, onesOf, runBetween,
  sampleMoments, standardNormal, zerosOf,
} from './kalman-math.js';
import { analyticMoments, analyticPlan } from './kalman-analytic.js';
import type {
  Between, BatchKalmanNormOptions, KalmanBranch, KalmanEstimate, KalmanGain, KalmanSource, KalmanStepInfo,
  KalmanTransition, NoiseFn, PredictContext,
} from './kalman-types.js';

// The public types and the update live in kalman-types.ts and kalman-math.ts; re-exported here so
// that `kalman.js` stays the one module to import BKN from.
export type {
  BatchKalmanNormOptions, Between, KalmanBranch, KalmanGain, KalmanSource, KalmanStepInfo, KalmanTransition,
  KalmanTransitionFn, NoiseFn,
} from './kalman-types.js';
export { guardRatio, kalmanUpdate } from './kalman-math.js';

const BATCH_KALMAN_NORM_OPTIONS: OptionNames<BatchKalmanNormOptions> = {
  prev: true, between: true, transition: true, gain: true, priorCount: true, noiseSamples: true, firstPrior: true, groups: true,
  eps: true, momentum: true, affine: 'flag', guardRatio: true, guardMean: true, processNoise: true, noise: true, implementation: true,
};

// ---- prediction sources ------------------------------------------------------------------------

/**
 * The prediction at a residual join: the sum of its branches' predicted means and variances
 * (branches taken as independent, as the authors do). Pass it as `prev` of the BKN layer after
 * the join, with `between` = the modules from the join to that layer.
 * - sampled transitions: each branch's samples go through its `between` to the join; the
 *   per-chunk, per-channel means and variances there are summed, and the join emits fresh samples
 *   m + sqrt(v + ε)·z of the summed distribution for the modules after it.
 * - 'linear' and custom transitions: the branches' sources' estimates are summed (their `between`
 *   modules are not used) and the layer's transition is applied to the sum.
 * A branch may come from another `KalmanSum` (an identity shortcut from the previous join).
 *
 * @example
 * ```ts
 * import { nn } from 'tsgrad';
 * // x → bn1 → relu → conv → bn2 ─┐
 * // x ───────────────────────────+ → relu → conv → bn3
 * const bn1 = new nn.BatchKalmanNorm2d(8);
 * const relu = new nn.ReLU();
 * const conv = new nn.Conv2d(8, 8, 3, { padding: 1 });
 * const bn2 = new nn.BatchKalmanNorm2d(8, { prev: bn1, between: [relu, conv] });
 * const join = new nn.KalmanSum([{ from: bn2 }, { from: bn1 }]);
 * const conv2 = new nn.Conv2d(8, 8, 3, { padding: 1 });
 * const bn3 = new nn.BatchKalmanNorm2d(8, { prev: join, between: [relu, conv2] });
 * ```
 */
export class KalmanSum {
  /** The branches whose estimates are summed (each a BKN layer or a nested KalmanSum). */
  readonly branches: readonly KalmanBranch[];

  constructor(branches: readonly KalmanBranch[]) {
    if (branches.length === 0) throw new Error('KalmanSum: needs at least one branch');
    this.branches = branches.map((b, i) => {
      if (!(b.from instanceof BatchKalmanNorm) && !(b.from instanceof KalmanSum)) {
        throw new Error(`KalmanSum: branch ${i}'s 'from' must be a BatchKalmanNorm layer or a KalmanSum`);
      }
      return { from: b.from, between: b.between ?? [] };
    });
    const roots = new Set(this.branches.map((b) => b.from._chainRoot()));
    if (roots.size > 1) throw new Error('KalmanSum: all branches must belong to one BKN chain (they lead back to different first layers)');
  }

  /** @internal The first layer of the chain. */
  _chainRoot(): BatchKalmanNorm {
    return this.branches[0]!.from._chainRoot();
  }

  /** @internal The number of channels at the join (for 'linear': the sources' channels). */
  _sourceChannels(): number {
    const counts = new Set(this.branches.map((b) => b.from._sourceChannels()));
    if (counts.size !== 1) throw new Error(`KalmanSum: the branches' sources have different channel counts (${[...counts].join(', ')})`);
    return [...counts][0]!;
  }

  /** @internal Σ of the branches' source estimates (for 'linear' and custom transitions). */
  _sourceMoments(ctx: PredictContext): { mean: Tensor; variance: Tensor } {
    let mean: Tensor | null = null;
    let variance: Tensor | null = null;
    for (const b of this.branches) {
      const m = b.from._sourceMoments(ctx);
      mean = mean === null ? m.mean : mean.add(m.mean);
      variance = variance === null ? m.variance : variance.add(m.variance);
    }
    return { mean: mean!, variance: variance! };
  }

  /** @internal Samples of the join's output distribution, rows-first [S·K, C, …spatial]. */
  _sourceSamples(ctx: PredictContext, prenorm: boolean): Tensor {
    let mean: Tensor | null = null;
    let variance: Tensor | null = null;
    let spatial: readonly number[] | null = null;
    this.branches.forEach((b, i) => {
      const r = runBetween(b.between!, b.from._sourceSamples(ctx, prenorm));
      const here = r.shape.slice(2);
      if (spatial !== null && shapeString(spatial) !== shapeString(here)) {
        throw new Error(`KalmanSum: branch ${i} reaches the join with spatial shape ${shapeString(here)}, branch 0 with ${shapeString(spatial)}`);
      }
      spatial = here;
      const m = sampleMoments(r, ctx, 'KalmanSum');
      if (mean !== null && mean.shape[1] !== m.mean.shape[1]) {
        throw new Error(`KalmanSum: branch ${i} reaches the join with ${m.mean.shape[1]} channels, branch 0 with ${mean.shape[1]}`);
      }
      mean = mean === null ? m.mean : mean.add(m.mean);
      variance = variance === null ? m.variance : variance.add(m.variance);
    });
    const c = mean!.shape[1]!;
    const positions = sizeOf(spatial!);
    const k = Math.ceil(ctx.noiseSamples / positions);
    const z = ctx.noise([ctx.chunks * k, c, ...spatial!], ctx.dtype);
    // s = m + sqrt(v + ε)·z per chunk
    const statShape = [ctx.chunks, 1, c, 1];
    const s = z.reshape([ctx.chunks, k, c, positions])
      .mul(variance!.add(ctx.eps).sqrt().reshape(statShape))
      .add(mean!.reshape(statShape));
    return s.reshape([ctx.chunks * k, c, ...spatial!]);
  }
}

// ---- the layer --------------------------------------------------------------------------------

/** logit(0.1): the learned gain's starting point. */
const THETA0 = Math.log(0.1 / 0.9);
/** softplus⁻¹(0.01): the learned process noise's starting point. */
const RHO0 = Math.log(Math.expm1(0.01));

/**
 * The shared implementation of `BatchKalmanNorm1d` and `BatchKalmanNorm2d` (see docs/bkn.md and
 * docs/bkn.md). Users construct one of the two subclasses; the base class is useful to find the BKN
 * layers of a model.
 *
 * @example
 * ```ts
 * import { nn } from 'tsgrad';
 * const model = new nn.Sequential(new nn.Linear(8, 4), new nn.BatchKalmanNorm1d(4), new nn.ReLU(), new nn.Linear(4, 4), new nn.BatchKalmanNorm1d(4));
 * const bkn = model.modules().filter((m) => m instanceof nn.BatchKalmanNorm);
 * bkn.map((m) => (m as nn.BatchKalmanNorm).guardCounts); // how often each layer used its prediction
 * ```
 */
export abstract class BatchKalmanNorm extends Module {
  /** Channels (C) of the input. */
  readonly numFeatures: number;
  /**
   * How the prediction is made from the previous layer's estimate: 'sampled', 'sampled-prenorm',
   * 'linear', 'analytic' or a function.
   */
  readonly transition: KalmanTransition;
  /** The Kalman gain q: 'count', a fixed number in [0, 1], or 'learned'. */
  readonly gain: KalmanGain;
  /** For gain 'count': how many observations the prediction is worth. */
  readonly priorCount: number;
  /** For the sampled transitions: noise rows per chunk × spatial positions. */
  readonly noiseSamples: number;
  /** The first layer's prior: 'observations' or 'none' (plain BatchNorm). */
  readonly firstPrior: 'observations' | 'none';
  /** Normalization chunks per batch (every layer of a chain agrees). */
  readonly groups: number;
  /** Added to variances before the square root. */
  readonly eps: number;
  /** Running-statistics momentum (null: cumulative average). */
  readonly momentum: number | null;
  /** Whether the layer has learnable γ (`weight`) and β (`bias`). */
  readonly affine: boolean;
  /** The guard: the prediction is used only if the averaged ratio ṽ/v̄ is below this. */
  readonly guardRatio: number;
  /** How the guard averages the ratios: 'geometric' or 'arithmetic'. */
  readonly guardMean: 'geometric' | 'arithmetic';
  /** For the 'linear' transition: the process noise r per channel, or 'learned'. */
  readonly processNoise: number | 'learned';
  /** The noise of the sampled transitions (replaceable, e.g. by tests). */
  noise: NoiseFn;
  /** 'fused' kernels or the 'composite' built from autograd primitives. */
  implementation: NormImplementation;
  /** γ, shape [C] (null without affine). */
  weight: Parameter | null;
  /** β, shape [C] (null without affine). */
  bias: Parameter | null;
  /** The 'linear' transition's matrix [C_k, C_{k−1}] (only on layers with a predecessor). */
  A: Parameter | null = null;
  /** The learned gain's logit per channel, q = sigmoid(θ) (only on layers with a predecessor). */
  theta: Parameter | null = null;
  /** The learned process noise, r = softplus(ρ) (only with 'linear' and a predecessor). */
  rho: Parameter | null = null;
  /** What the last training step did. */
  lastStep: KalmanStepInfo | null = null;
  /** The last training step's prediction (m̃, ṽ), detached: [S, C], or on a first layer the prior [1, C] (null with firstPrior 'none'). */
  lastPrediction: { mean: Tensor; var: Tensor } | null = null;
  /** Training steps on which the guard let the prediction through, and steps with a predecessor. */
  guardCounts = { used: 0, steps: 0 };
  /**
   * With the 'analytic' transition: why the last prediction fell back to 'sampled' (the modules
   * between are not a covered pattern), or null when it was analytic.
   */
  analyticFallback: string | null = null;
  /** Whether the one-time fallback notice was printed. */
  private _fallbackNoticed = false;

  /** The predecessor (not a child module: a link in the chain). */
  _prev: KalmanSource | null = null;
  /** The modules between the predecessor and this layer (not children either). */
  _between: Between | undefined;
  _betweenGiven: boolean;
  _prevGiven: boolean;
  /** The estimate of the current (or last) training pass. */
  _estimate: KalmanEstimate | null = null;
  /** On a chain's first layer: the number of training passes started. */
  _passCounter = 0;
  private readonly _where: string;

  constructor(numFeatures: number, options: BatchKalmanNormOptions, where: string) {
    // Checked here, under the subclass's name, for every subclass (BatchKalmanNorm1d/2d included).
    checkOptions(options, BATCH_KALMAN_NORM_OPTIONS, where);
    super();
    this._where = where;
    checkPositiveInt(numFeatures, 'numFeatures', where);
    this.numFeatures = numFeatures;
    this.transition = options.transition ?? 'analytic';
    this.gain = options.gain ?? 'count';
    this.priorCount = options.priorCount ?? 16;
    this.noiseSamples = options.noiseSamples ?? 256;
    this.firstPrior = options.firstPrior ?? 'observations';
    this.groups = options.groups ?? 1;
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    this.affine = options.affine ?? true;
    this.guardRatio = options.guardRatio ?? 100;
    this.guardMean = options.guardMean ?? 'geometric';
    if (this.guardMean !== 'geometric' && this.guardMean !== 'arithmetic') throw new Error(`${where}: guardMean must be 'geometric' or 'arithmetic', got ${String(this.guardMean)}`);
    this.processNoise = options.processNoise ?? 0;
    this.noise = options.noise ?? standardNormal;
    this.implementation = options.implementation ?? 'fused';
    checkPositiveInt(this.groups, 'groups', where);
    checkPositiveInt(this.noiseSamples, 'noiseSamples', where);
    if (typeof this.gain === 'number' && !(this.gain >= 0 && this.gain <= 1)) throw new Error(`${where}: a fixed gain must be in [0, 1], got ${this.gain}`);
    if (this.gain !== 'count' && this.gain !== 'learned' && typeof this.gain !== 'number') throw new Error(`${where}: gain must be 'count', 'learned' or a number, got ${String(this.gain)}`);
    if (!(this.priorCount >= 0)) throw new Error(`${where}: priorCount must be ≥ 0, got ${this.priorCount}`);
    const t = this.transition;
    if (typeof t !== 'function' && t !== 'sampled' && t !== 'sampled-prenorm' && t !== 'linear' && t !== 'analytic') {
      throw new Error(`${where}: transition must be 'sampled', 'sampled-prenorm', 'linear', 'analytic' or a function, got ${String(t)}`);
    }
    if (this.firstPrior !== 'observations' && this.firstPrior !== 'none') throw new Error(`${where}: firstPrior must be 'observations' or 'none', got ${String(this.firstPrior)}`);
    if (typeof this.processNoise === 'number' && !(this.processNoise >= 0)) throw new Error(`${where}: processNoise must be ≥ 0 or 'learned', got ${this.processNoise}`);
    this.weight = this.affine ? new Parameter(onesOf(numFeatures)) : null;
    this.bias = this.affine ? new Parameter(zerosOf(numFeatures)) : null;
    this.registerBuffer('running_mean', new Tensor(NDArray.zeros([numFeatures], this.paramDtype())));
    this.registerBuffer('running_var', new Tensor(NDArray.full([numFeatures], 1, this.paramDtype())));
    this.registerBuffer('num_batches_tracked', new Tensor(NDArray.zeros([], 'float64')));
    this._betweenGiven = options.between !== undefined;
    this._between = options.between;
    this._prevGiven = options.prev !== undefined && options.prev !== null;
    if (options.prev !== undefined && options.prev !== null) this._link(options.prev);
    else this.setFirstLayerBuffers();
  }

  private paramDtype(): DType {
    return this.weight?.dtype ?? onesOf(1).dtype;
  }

  /** The BKN layer (or join) this layer predicts from, or null on a chain's first layer. */
  get prev(): KalmanSource | null {
    return this._prev;
  }

  /** Whether this layer starts its chain (has no predecessor). */
  get isFirst(): boolean {
    return this._prev === null;
  }

  private setFirstLayerBuffers(): void {
    if (this.firstPrior === 'observations') {
      this.registerBuffer('obs_mean', new Tensor(NDArray.zeros([this.numFeatures], this.paramDtype())));
      this.registerBuffer('obs_var', new Tensor(NDArray.full([this.numFeatures], 1, this.paramDtype())));
    }
  }

  /**
   * Links this layer to its predecessor (done by the constructor's `prev`, or by a `Sequential`):
   * creates the parameters only a layer with a predecessor has (`A`, `theta`, `rho`) and drops the
   * first layer's `obs_mean` / `obs_var`.
   */
  _link(prev: KalmanSource): void {
    if (!(prev instanceof BatchKalmanNorm) && !(prev instanceof KalmanSum)) {
      throw new Error(`${this._where}: prev must be a BatchKalmanNorm layer or a KalmanSum`);
    }
    if (prev === this) throw new Error(`${this._where}: a layer cannot be its own predecessor`);
    if (reaches(prev, this)) throw new Error(`${this._where}: linking to this predecessor would make the chain a cycle`);
    this._prev = prev;
    this.registerBuffer('obs_mean', null);
    this.registerBuffer('obs_var', null);
    const dtype = this.paramDtype();
    if (this.transition === 'linear' && this.A === null) {
      const cin = prev._sourceChannels();
      const a = NDArray.zeros([this.numFeatures, cin], dtype);
      for (let i = 0; i < Math.min(this.numFeatures, cin); i++) a.data[i * cin + i] = 1;
      this.A = new Parameter(a);
      if (this.processNoise === 'learned') this.rho = new Parameter(NDArray.full([this.numFeatures], RHO0, dtype));
    }
    if (this.gain === 'learned' && this.theta === null) this.theta = new Parameter(NDArray.full([this.numFeatures], THETA0, dtype));
  }

  /**
   * The `Sequential` hook: links this layer to the nearest BKN layer before it in the sequence
   * and takes the modules strictly between the two as the sampled transition's `between` (unless
   * `prev` / `between` were given explicitly).
   */
  attachToSequence(modules: readonly Module[], index: number): void {
    let j = index - 1;
    while (j >= 0 && !(modules[j] instanceof BatchKalmanNorm)) j--;
    if (j < 0) return;
    const found = modules[j] as BatchKalmanNorm;
    const between = modules.slice(j + 1, index);
    if (this._prevGiven && this._prev !== found) return;
    between.forEach((m) => {
      if (m.modules().some((sub) => sub instanceof BatchKalmanNorm)) {
        throw new Error(`${this._where}: a module between two BKN layers of a Sequential contains BKN layers itself (nested chains are not wired automatically); wire them with prev and between`);
      }
    });
    if (!this._prevGiven) this._link(found);
    if (!this._betweenGiven) this._between = between;
  }

  /** @internal The first layer of this layer's chain. */
  _chainRoot(): BatchKalmanNorm {
    let layer: BatchKalmanNorm = this;
    for (let steps = 0; layer._prev !== null; steps++) {
      if (steps > 100_000) throw new Error(`${this._where}: the chain of predecessors is a cycle`);
      layer = layer._prev instanceof KalmanSum ? layer._prev._chainRoot() : layer._prev;
    }
    return layer;
  }

  /** @internal This layer's channel count, as a prediction source. */
  _sourceChannels(): number {
    return this.numFeatures;
  }

  /** @internal The estimate of the current pass; a clear error if it is stale or missing. */
  private requireEstimate(ctx: PredictContext): KalmanEstimate {
    const est = this._estimate;
    const who = `${ctx.consumer._where}(${ctx.consumer.numFeatures})`;
    const me = `${this._where}(${this.numFeatures})`;
    if (est === null) {
      throw new Error(`${who}: its predecessor ${me} has no estimate: it has not run a training forward yet. The layers of a BKN chain must run in order within one forward pass (the predecessor first).`);
    }
    if (est.pass !== ctx.pass) {
      throw new Error(`${who}: the estimate of its predecessor ${me} is stale: it was made in training pass ${est.pass} of the chain, but the current pass is ${ctx.pass}. The layers of a BKN chain must run in order within one forward pass; an estimate is never reused.`);
    }
    if (est.chunks !== ctx.chunks) {
      throw new Error(`${who}: groups (${ctx.chunks}) differs from its predecessor ${me} (${est.chunks}); all BKN layers of one chain must have the same groups`);
    }
    return est;
  }

  /** @internal The corrected estimate (m̂, v̂) of the current pass, [S, C]. */
  _sourceMoments(ctx: PredictContext): { mean: Tensor; variance: Tensor } {
    const est = this.requireEstimate(ctx);
    return { mean: est.mean, variance: est.variance };
  }

  /** @internal For the analytic transition: this layer's γ, β and its input's shape per sample in the current pass. */
  _analyticSource(ctx: PredictContext): { weight: Tensor | null; bias: Tensor | null; sourceShape: readonly number[] } {
    const est = this.requireEstimate(ctx);
    return { weight: this.weight, bias: this.bias, sourceShape: est.inputShape.slice(1) };
  }

  /**
   * @internal Samples of this layer's output (sampled) or input (prenorm) distribution,
   * rows-first [S·K, C, …spatial of this layer's input], K = ceil(noiseSamples / positions).
   */
  _sourceSamples(ctx: PredictContext, prenorm: boolean): Tensor {
    const est = this.requireEstimate(ctx);
    const spatial = est.inputShape.slice(2);
    const positions = sizeOf(spatial);
    const c = this.numFeatures;
    const k = Math.ceil(ctx.noiseSamples / positions);
    const z = ctx.noise([ctx.chunks * k, c, ...spatial], ctx.dtype);
    if (!prenorm) {
      // s = m̂ + sqrt(v̂ + ε)·z through this layer's normalization and affine is exactly γ·z + β:
      // computed directly (so the prediction depends on this layer through γ and β only).
      if (this.weight === null || this.bias === null) return z;
      if (ctx.implementation === 'composite') {
        const shape = [1, c, ...spatial.map(() => 1)];
        return z.mul(this.weight.reshape(shape)).add(this.bias.reshape(shape));
      }
      // Fused: the normalize kernel with mean 0 and invstd 1 is exactly the per-channel γ·z + β.
      const layout: NormLayout = { chunks: 1, samples: z.shape[0]!, channels: c, positions, affineSpan: 1 };
      return applyOp('normalize', [z, this.weight.to(z.dtype), this.bias.to(z.dtype)], {
        layout, mean: new Float64Array(c), invstd: new Float64Array(c).fill(1), batchStats: false, eps: 0,
      });
    }
    // 'sampled-prenorm' (the released code): s = m̂ + sqrt(v̂ + ε)·z, a sample of this layer's input.
    const statShape = [ctx.chunks, 1, c, 1];
    const s = z.reshape([ctx.chunks, k, c, positions])
      .mul(est.variance.add(this.eps).sqrt().reshape(statShape))
      .add(est.mean.reshape(statShape));
    return s.reshape([ctx.chunks * k, c, ...spatial]);
  }

  protected abstract checkInputDim(x: Tensor): void;

  override extraRepr(): string {
    const t = typeof this.transition === 'function' ? 'custom' : this.transition;
    const role = this._prev === null ? `first, firstPrior=${this.firstPrior}` : `transition=${t}`;
    return `${this.numFeatures}, ${role}, gain=${this.gain}, groups=${this.groups}`;
  }

  forward(x: Tensor): Tensor {
    const where = this._where;
    this.checkInputDim(x);
    checkChannels(x, this.numFeatures, where);
    if (!this.training) return this.inference(x);

    const layout = batchLayout(x.shape, this.groups, where);
    checkBatchCount(x.shape, layout, where);
    const root = this._chainRoot();
    let pass: number;
    if (this._prev === null) {
      pass = ++this._passCounter;
    } else {
      pass = root._passCounter;
      if (pass === 0) {
        throw new Error(`${where}(${this.numFeatures}): the first layer of its BKN chain has not run a training forward yet; the layers of a chain must run in order within one forward pass`);
      }
      if (this._estimate !== null && this._estimate.pass === pass) {
        throw new Error(`${where}(${this.numFeatures}): ran twice in training pass ${pass} of its chain (the chain was run out of order, or the layer is reused); start a new pass by running the chain's first layer`);
      }
    }
    const fused = this.implementation === 'fused';
    const steps = this.getBuffer('num_batches_tracked').item();
    const factor = this.momentum === null ? 1 / (steps + 1) : this.momentum;

    // Observation: m̄, v̄ per (chunk, channel), biased.
    const obs = fused ? normMomentsFused(x, layout) : momentsComposite(x, layout);
    const count = layout.samples * layout.positions;

    let mean = obs.mean;
    let variance = obs.variance;
    let info: KalmanStepInfo = { q: null, ratio: NaN, usedPrediction: false };
    if (this._prev !== null) {
      const ctx: PredictContext = {
        pass, consumer: this, chunks: layout.chunks, noiseSamples: this.noiseSamples, noise: this.noise, eps: this.eps, dtype: x.dtype, implementation: this.implementation,
      };
      const prediction = this.predict(ctx);
      this.lastPrediction = { mean: prediction.mean.detach(), var: prediction.var.detach() };
      const ratio = guardRatio(prediction.var, obs.variance, this.eps, this.guardMean);
      this.guardCounts.steps++;
      info = { q: null, ratio, usedPrediction: false };
      // The guard: one decision per layer and step, no gradient; NaN or ∞ means observation only.
      if (ratio < this.guardRatio) {
        const q = this.gainFor(count, x);
        const upd = kalmanUpdate(prediction.mean, prediction.var, obs.mean, obs.variance, q);
        mean = upd.mean;
        variance = upd.variance;
        this.guardCounts.used++;
        info = { q: typeof q === 'number' ? q : meanOf(q), ratio, usedPrediction: true };
      }
    } else if (this.firstPrior === 'observations') {
      if (this.gain === 'learned') {
        throw new Error(`${where}(${this.numFeatures}): gain 'learned' needs a predecessor; this is the first layer of its chain (use firstPrior: 'none', or a fixed gain such as 'count' or a number)`);
      }
      const batchObs = chunkObservations(obs.mean, obs.variance, layout);
      const obsMean = this.getBuffer('obs_mean');
      const obsVar = this.getBuffer('obs_var');
      if (steps === 0) {
        writeInPlace(obsMean, batchObs.mean, where);
        writeInPlace(obsVar, batchObs.variance, where);
      }
      const c = this.numFeatures;
      const mTilde = constantOf(float64Values(obsMean), [1, c], x.dtype);
      const vTilde = constantOf(float64Values(obsVar), [1, c], x.dtype);
      const q = this.gainFor(count, x) as number;
      this.lastPrediction = { mean: mTilde, var: vTilde };
      const upd = kalmanUpdate(mTilde, vTilde, obs.mean, obs.variance, q);
      mean = upd.mean;
      variance = upd.variance;
      info = { q, ratio: NaN, usedPrediction: true };
      if (steps > 0) {
        emaInPlace(obsMean, batchObs.mean, factor, where);
        emaInPlace(obsVar, batchObs.variance, factor, where);
      }
    }

    const y = fused
      ? normalizeWithFused(x, mean, variance, layout, this.eps, this.weight, this.bias)
      : normalizeWithComposite(x, mean, variance, layout, this.eps, this.weight, this.bias);
    this._estimate = { pass, mean, variance, inputShape: [...x.shape], chunks: layout.chunks };
    this.lastStep = info;

    // Running statistics: EMA of the mean over chunks of the corrected estimates (biased v̂).
    noGrad(() => {
      const m = meanOverChunks(float64Values(mean), layout.chunks, layout.channels);
      const v = meanOverChunks(float64Values(variance), layout.chunks, layout.channels);
      emaInPlace(this.getBuffer('running_mean'), m, factor, where);
      emaInPlace(this.getBuffer('running_var'), v, factor, where);
    });
    writeInPlace(this.getBuffer('num_batches_tracked'), [steps + 1], where);
    return y;
  }

  /** The gain q: a number ('count' or fixed) or sigmoid(θ) as a [1, C] tensor ('learned'). */
  private gainFor(count: number, x: Tensor): number | Tensor {
    if (this.gain === 'count') return count / (count + this.priorCount);
    if (this.gain === 'learned') return this.theta!.to(x.dtype).sigmoid().reshape([1, this.numFeatures]);
    return this.gain;
  }

  /** The prediction (m̃, ṽ) for the current pass, [S, C_k]. */
  private predict(ctx: PredictContext): { mean: Tensor; var: Tensor } {
    const prev = this._prev!;
    const where = `${this._where}(${this.numFeatures})`;
    const t = this.transition;
    let out: { mean: Tensor; var: Tensor };
    if (t === 'sampled' || t === 'sampled-prenorm' || t === 'analytic') {
      if (this._between === undefined) {
        throw new Error(`${where}: the '${t}' transition needs the modules between its predecessor and this layer: pass between: [...] (or [] if there are none), or build the chain inside a Sequential`);
      }
      const analytic = t === 'analytic' ? this.analyticPrediction(ctx, this._between, where) : null;
      if (analytic !== null) {
        out = analytic;
      } else {
        const r = runBetween(this._between, prev._sourceSamples(ctx, t === 'sampled-prenorm'));
        const m = sampleMoments(r, ctx, where);
        out = { mean: m.mean, var: m.variance };
      }
    } else if (t === 'linear') {
      const est = prev._sourceMoments(ctx);
      const a = this.A!.to(ctx.dtype);
      // m̃ = A·m̂_{k−1},  ṽ = (A ⊙ A)·v̂_{k−1} + r
      const mean = est.mean.matmul(a.transpose(0, 1));
      let v = est.variance.matmul(a.mul(a).transpose(0, 1));
      if (this.rho !== null) v = v.add(this.rho.to(ctx.dtype).exp().add(1).log().reshape([1, this.numFeatures]));
      else if (this.processNoise !== 0) v = v.add(this.processNoise as number);
      out = { mean, var: v };
    } else {
      const est = prev._sourceMoments(ctx);
      out = t(est.mean, est.variance);
      if (!(out?.mean instanceof Tensor) || !(out?.var instanceof Tensor)) {
        throw new Error(`${where}: a custom transition must return { mean, var } tensors`);
      }
    }
    const want = [ctx.chunks, this.numFeatures];
    for (const [name, tensor] of [['mean', out.mean], ['var', out.var]] as const) {
      if (shapeString(tensor.shape) !== shapeString(want)) {
        throw new Error(`${where}: the '${typeof t === 'function' ? 'custom' : t}' transition predicted a ${name} of shape ${shapeString(tensor.shape)}, expected ${shapeString(want)} (chunks × channels)`);
      }
    }
    return out;
  }

  /**
   * The 'analytic' prediction, one [C_k] vector expanded to [S, C_k]; or null (with the reason in
   * `analyticFallback` and a one-time notice) when the pattern between is not covered.
   */
  private analyticPrediction(ctx: PredictContext, between: Between, where: string): { mean: Tensor; var: Tensor } | null {
    const prev = this._prev!;
    let reason: string;
    if (prev instanceof KalmanSum) {
      reason = 'a residual join (KalmanSum) as the predecessor';
    } else {
      const source = prev._analyticSource(ctx);
      const plan = analyticPlan(between, source.sourceShape);
      if ('steps' in plan) {
        this.analyticFallback = null;
        const m = analyticMoments(plan.steps, source.weight, source.bias, source.sourceShape, ctx.dtype);
        const shape = [ctx.chunks, m.mean.shape[0]!];
        // The same prediction for every chunk.
        return { mean: m.mean.reshape([1, -1]).expand(shape).contiguous(), var: m.var.reshape([1, -1]).expand(shape).contiguous() };
      }
      reason = plan.reason;
    }
    this.analyticFallback = reason;
    if (!this._fallbackNoticed) {
      this._fallbackNoticed = true;
      console.warn(`tsgrad: ${where}: the 'analytic' transition does not cover ${reason}; this layer makes its prediction with 'sampled' instead (docs/bkn.md, "Transitions")`);
    }
    return null;
  }

  /** Eval mode: BatchNorm with the running statistics (groups and the chain are ignored). */
  private inference(x: Tensor): Tensor {
    const fn = this.implementation === 'fused' ? batchNorm : batchNormComposite;
    return fn(x, this.getBuffer('running_mean'), this.getBuffer('running_var'), {
      weight: this.weight, bias: this.bias, training: false, eps: this.eps,
    });
  }
}

// ---- helpers -----------------------------------------------------------------------------------

/** Whether following predecessor links from `source` reaches `target`. */
function reaches(source: KalmanSource, target: BatchKalmanNorm): boolean {
  const seen = new Set<KalmanSource>();
  const stack: KalmanSource[] = [source];
  while (stack.length > 0) {
    const s = stack.pop()!;
    if (s === target) return true;
    if (seen.has(s)) continue;
    seen.add(s);
    if (s instanceof KalmanSum) for (const b of s.branches) stack.push(b.from);
    else if (s._prev !== null) stack.push(s._prev);
  }
  return false;
}

/**
 * Batch Kalman Normalization over a [N, C] (or [N, C, L]) input — see docs/bkn.md for the
 * specification and docs/bkn.md for the explanation. In training, each layer's statistics are
 * *predicted* from the BKN layer before it, *corrected* with the current batch (a Kalman update
 * with gain q), and the corrected estimate normalizes; in eval mode it is BatchNorm with the
 * running statistics. State-dict keys: weight, bias, running_mean, running_var,
 * num_batches_tracked; obs_mean, obs_var (first layer with firstPrior 'observations'); A
 * ('linear'), theta (learned gain), rho (learned process noise) on layers with a predecessor.
 *
 * @example
 * ```ts
 * import { nn } from 'tsgrad';
 * // The MLP of docs/bkn.md "Does it work?": statistics per pair of samples inside a batch of 32.
 * const model = new nn.Sequential(
 *   new nn.Linear(784, 128), new nn.BatchKalmanNorm1d(128, { groups: 16 }), new nn.ReLU(),
 *   new nn.Linear(128, 64), new nn.BatchKalmanNorm1d(64, { groups: 16 }), new nn.ReLU(),
 *   new nn.Linear(64, 10),
 * ); // the second BKN layer predicts from the first through ReLU → Linear(128, 64)
 * ```
 */
export class BatchKalmanNorm1d extends BatchKalmanNorm {
  constructor(numFeatures: number, options: BatchKalmanNormOptions = {}) {
    super(numFeatures, options, 'BatchKalmanNorm1d');
  }

  protected checkInputDim(x: Tensor): void {
    check1d(x, 'BatchKalmanNorm1d');
  }
}

/**
 * Batch Kalman Normalization over a [N, C, H, W] input; see `BatchKalmanNorm1d` and docs/bkn.md.
 *
 * @example
 * ```ts
 * import { nn, randn } from 'tsgrad';
 * const bkn1 = new nn.BatchKalmanNorm2d(8, { groups: 2 });
 * const conv = new nn.Conv2d(8, 16, 3, { padding: 1 });
 * const bkn2 = new nn.BatchKalmanNorm2d(16, { prev: bkn1, between: [new nn.ReLU(), conv], groups: 2 });
 * ```
 */
export class BatchKalmanNorm2d extends BatchKalmanNorm {
  constructor(numFeatures: number, options: BatchKalmanNormOptions = {}) {
    super(numFeatures, options, 'BatchKalmanNorm2d');
  }

  protected checkInputDim(x: Tensor): void {
    check2d(x, 'BatchKalmanNorm2d');
  }
}
