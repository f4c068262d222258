// Normalizations without batch statistics: GroupNorm (Wu & He 2018), LayerNorm (Ba et al. 2016),
// InstanceNorm2d (Ulyanov et al. 2016), with PyTorch's semantics. Each sample is normalized with
// its own statistics, so they behave the same at any batch size — the micro-batch baselines BKN is
// compared with.
import { ones, zeros } from '../autograd/creation.js';
import type { Tensor } from '../autograd/tensor.js';
import { Module, Parameter } from '../nn/module.js';
import { checkOptions, type OptionNames } from '../tensor/options.js';
import { sizeOf } from '../tensor/shape.js';
import { checkChannels } from './batchnorm.js';
import { groupNormComposite, instanceNormComposite, layerNormComposite } from './composite.js';
import { groupNorm, instanceNorm, layerNorm } from './functional.js';
import { checkPositiveInt, type NormImplementation } from './layout.js';

/** Options of `GroupNorm`. */
export interface GroupNormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Learnable per-channel γ (ones) and β (zeros) (default true). */
  affine?: boolean;
  /** 'fused' kernels (default) or the 'composite' oracle. */
  implementation?: NormImplementation;
}

const GROUP_NORM_OPTIONS: OptionNames<GroupNormOptions> = { eps: true, affine: 'flag', implementation: true };

/**
 * Group Normalization, as `torch.nn.GroupNorm(numGroups, numChannels)`: the C channels of each
 * sample are split into `numGroups` groups; each group is normalized over its channels and
 * positions (biased variance); γ and β are per channel. Input [N, C, …].
 *
 * @example
 * ```ts
 * import { nn, randn } from 'tsgrad';
 * const gn = new nn.GroupNorm(4, 16);
 * const y = gn.call(randn([2, 16, 8, 8]));
 * ```
 */
export class GroupNorm extends Module {
  /** Groups the channels are split into (each normalized on its own). */
  readonly numGroups: number;
  /** Channels (C) of the input. */
  readonly numChannels: number;
  /** Added to the variance before the square root. */
  readonly eps: number;
  /** Whether the layer has a learnable per-channel γ and β. */
  readonly affine: boolean;
  /** 'fused' kernels or the 'composite' built from autograd primitives. */
  implementation: NormImplementation;
  /** γ, shape [C] (null without affine). */
  weight: Parameter | null;
  /** β, shape [C] (null without affine). */
  bias: Parameter | null;

  constructor(numGroups: number, numChannels: number, options: GroupNormOptions = {}) {
    checkOptions(options, GROUP_NORM_OPTIONS, 'GroupNorm');
    super();
    checkPositiveInt(numGroups, 'numGroups', 'GroupNorm');
    checkPositiveInt(numChannels, 'numChannels', 'GroupNorm');
    if (numChannels % numGroups !== 0) throw new Error(`GroupNorm: numChannels (${numChannels}) must be divisible by numGroups (${numGroups})`);
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = options.eps ?? 1e-5;
    this.affine = options.affine ?? true;
    this.implementation = options.implementation ?? 'fused';
    this.weight = this.affine ? new Parameter(ones([numChannels])) : null;
    this.bias = this.affine ? new Parameter(zeros([numChannels])) : null;
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${this.affine}`;
  }

  forward(x: Tensor): Tensor {
    checkChannels(x, this.numChannels, 'GroupNorm');
    const fn = this.implementation === 'fused' ? groupNorm : groupNormComposite;
    return fn(x, this.numGroups, { weight: this.weight, bias: this.bias, eps: this.eps });
  }
}

/** Options of `LayerNorm`. */
export interface LayerNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Learnable elementwise γ and β of shape `normalizedShape` (default true). */
  elementwiseAffine?: boolean;
  /** 'fused' kernels (default) or the 'composite' built from autograd primitives. */
  implementation?: NormImplementation;
}

const LAYER_NORM_OPTIONS: OptionNames<LayerNormOptions> = { eps: true, elementwiseAffine: 'flag', implementation: true };

/**
 * Layer Normalization, as `torch.nn.LayerNorm(normalizedShape)`: each sample normalized over its
 * trailing dims `normalizedShape` (biased variance), then an elementwise γ, β of that shape.
 *
 * @example
 * ```ts
 * import { nn, randn } from 'tsgrad';
 * const ln = new nn.LayerNorm(64);
 * const y = ln.call(randn([8, 10, 64]));
 * ```
 */
export class LayerNorm extends Module {
  /** The trailing dims each sample is normalized over. */
  readonly normalizedShape: readonly number[];
  /** Added to the variance before the square root. */
  readonly eps: number;
  /** Whether the layer has a learnable elementwise γ and β of shape `normalizedShape`. */
  readonly elementwiseAffine: boolean;
  /** 'fused' kernels or the 'composite' built from autograd primitives. */
  implementation: NormImplementation;
  /** γ, shape `normalizedShape` (null without elementwiseAffine). */
  weight: Parameter | null;
  /** β, shape `normalizedShape` (null without elementwiseAffine). */
  bias: Parameter | null;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    checkOptions(options, LAYER_NORM_OPTIONS, 'LayerNorm');
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (this.normalizedShape.length === 0) throw new Error('LayerNorm: normalizedShape must have at least one dim');
    for (const d of this.normalizedShape) checkPositiveInt(d, 'normalizedShape', 'LayerNorm');
    this.eps = options.eps ?? 1e-5;
    this.elementwiseAffine = options.elementwiseAffine ?? true;
    this.implementation = options.implementation ?? 'fused';
    this.weight = this.elementwiseAffine ? new Parameter(ones(this.normalizedShape)) : null;
    this.bias = this.elementwiseAffine ? new Parameter(zeros(this.normalizedShape)) : null;
  }

  override extraRepr(): string {
    return `[${this.normalizedShape.join(', ')}], eps=${this.eps}, elementwiseAffine=${this.elementwiseAffine}`;
  }

  forward(x: Tensor): Tensor {
    const fn = this.implementation === 'fused' ? layerNorm : layerNormComposite;
    return fn(x, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps });
  }

  /** The number of elements normalized together. */
  get normalizedSize(): number {
    return sizeOf(this.normalizedShape);
  }
}

/** Options of `InstanceNorm2d` (PyTorch's defaults: no affine, no running statistics). */
export interface InstanceNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Weight of the new batch in the running-statistics update (default 0.1). */
  momentum?: number;
  /** Learnable per-channel γ and β (default false). */
  affine?: boolean;
  /** Keep running statistics and use them in eval mode (default false). */
  trackRunningStats?: boolean;
  /** 'fused' kernels (default) or the 'composite' built from autograd primitives. */
  implementation?: NormImplementation;
}

const INSTANCE_NORM_OPTIONS: OptionNames<InstanceNormOptions> = {
  eps: true, momentum: true, affine: 'flag', trackRunningStats: 'flag', implementation: true,
};

/**
 * Instance Normalization over [N, C, H, W] (or an unbatched [C, H, W]), as
 * `torch.nn.InstanceNorm2d`: each (sample, channel) normalized over its H·W positions. With
 * `trackRunningStats`, training updates running statistics with the batch mean of the instance
 * statistics (unbiased variance) and eval mode uses them.
 *
 * @example
 * ```ts
 * import { nn, randn } from 'tsgrad';
 * const inorm = new nn.InstanceNorm2d(3, { affine: true });
 * const y = inorm.call(randn([2, 3, 16, 16]));
 * ```
 */
export class InstanceNorm2d extends Module {
  /** Channels (C) of the input. */
  readonly numFeatures: number;
  /** Added to the variance before the square root. */
  readonly eps: number;
  /** Weight of the new batch in the running-statistics update. */
  readonly momentum: number;
  /** Whether the layer has a learnable per-channel γ and β. */
  readonly affine: boolean;
  /** Whether training keeps running statistics and eval mode uses them. */
  readonly trackRunningStats: boolean;
  /** 'fused' kernels or the 'composite' built from autograd primitives. */
  implementation: NormImplementation;
  /** γ, shape [C] (null without affine). */
  weight: Parameter | null;
  /** β, shape [C] (null without affine). */
  bias: Parameter | null;

  constructor(numFeatures: number, options: InstanceNormOptions = {}) {
    checkOptions(options, INSTANCE_NORM_OPTIONS, 'InstanceNorm2d');
    super();
    checkPositiveInt(numFeatures, 'numFeatures', 'InstanceNorm2d');
    this.numFeatures = numFeatures;
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    this.affine = options.affine ?? false;
    this.trackRunningStats = options.trackRunningStats ?? false;
    this.implementation = options.implementation ?? 'fused';
    this.weight = this.affine ? new Parameter(ones([numFeatures])) : null;
    this.bias = this.affine ? new Parameter(zeros([numFeatures])) : null;
    if (this.trackRunningStats) {
      this.registerBuffer('running_mean', zeros([numFeatures]));
      this.registerBuffer('running_var', ones([numFeatures]));
      this.registerBuffer('num_batches_tracked', zeros([], { dtype: 'float64' }));
    }
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, trackRunningStats=${this.trackRunningStats}`;
  }

  forward(x: Tensor): Tensor {
    if (x.ndim === 3) return this.forward(x.unsqueeze(0)).squeeze(0);
    if (x.ndim !== 4) throw new Error(`InstanceNorm2d: expected 3D or 4D input (got ${x.ndim}D input)`);
    checkChannels(x, this.numFeatures, 'InstanceNorm2d');
    const fn = this.implementation === 'fused' ? instanceNorm : instanceNormComposite;
    const running = this.trackRunningStats;
    return fn(x, {
      runningMean: running ? this.getBuffer('running_mean') : null,
      runningVar: running ? this.getBuffer('running_var') : null,
      weight: this.weight,
      bias: this.bias,
      useInputStats: this.training || !running,
      momentum: this.momentum,
      eps: this.eps,
    });
  }
}
