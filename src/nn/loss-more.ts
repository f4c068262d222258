// Loss modules over F.smoothL1Loss, F.huberLoss, F.binaryCrossEntropy,
// F.binaryCrossEntropyWithLogits and F.klDiv (PyTorch's names; called as loss.call(input, target)).
// BCELoss and BCEWithLogitsLoss keep `weight` and `pos_weight` as buffers, as PyTorch registers
// them, so their state-dict keys are PyTorch's.
import type { Tensor } from '../autograd/tensor.js';
import { checkOptions, type OptionNames } from '../tensor/options.js';
import { binaryCrossEntropy, binaryCrossEntropyWithLogits, huberLoss, klDiv, smoothL1Loss } from './functional.js';
import { checkReduction, type Reduction } from './functional/args.js';
import {
  HUBER_LOSS_OPTIONS, KL_DIV_OPTIONS, SMOOTH_L1_LOSS_OPTIONS, type HuberLossOptions, type KlDivOptions, type SmoothL1LossOptions,
} from './functional/loss-more.js';
import type { Targets } from './functional/loss.js';
import { Loss, optionalBuffer, registerWeight } from './activation-more.js';


/** The target of a pointwise loss: a tensor (class-index arrays belong to crossEntropy/nllLoss). */
function targetTensor(module: string, target: Tensor | Targets): Tensor {
  if (typeof target === 'number' || Array.isArray(target)) {
    throw new Error(`${module}: target must be a Tensor of the input's shape, got ${typeof target === 'number' ? 'a number' : 'an array'}`);
  }
  return target as Tensor;
}

/**
 * `torch.nn.SmoothL1Loss`: quadratic below β, linear above (see `F.smoothL1Loss`).
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * new nn.SmoothL1Loss({ beta: 0.5 }).call(tensor([0, 0]), tensor([0.25, 2])).item(); // (0.0625 + 1.75) / 2 = 0.90625
 * ```
 */
export class SmoothL1Loss extends Loss {
  /**
   * @param options - reduction ('mean'), beta (1).
   */
  constructor(readonly options: SmoothL1LossOptions = {}) {
    super();
    checkOptions(options, SMOOTH_L1_LOSS_OPTIONS, 'SmoothL1Loss');
    checkReduction(options.reduction ?? 'mean', 'SmoothL1Loss');
  }

  loss(input: Tensor, target: Tensor | Targets): Tensor {
    return smoothL1Loss(input, targetTensor('SmoothL1Loss', target), this.options);
  }
}

/**
 * `torch.nn.HuberLoss`: quadratic below δ, δ-scaled linear above (see `F.huberLoss`).
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * new nn.HuberLoss({ delta: 2 }).call(tensor([0]), tensor([3])).item(); // 2·(3 − 1) = 4
 * ```
 */
export class HuberLoss extends Loss {
  /**
   * @param options - reduction ('mean'), delta (1).
   */
  constructor(readonly options: HuberLossOptions = {}) {
    super();
    checkOptions(options, HUBER_LOSS_OPTIONS, 'HuberLoss');
    checkReduction(options.reduction ?? 'mean', 'HuberLoss');
  }

  loss(input: Tensor, target: Tensor | Targets): Tensor {
    return huberLoss(input, targetTensor('HuberLoss', target), this.options);
  }
}

/** Options of `nn.BCELoss`. */
export interface BCELossOptions {
  /** A weight per element, broadcast to the input (kept as the buffer `weight`). */
  weight?: Tensor | null;
  /** 'mean' (default), 'sum' or 'none'. */
  reduction?: Reduction;
}

const BCE_LOSS_OPTIONS: OptionNames<BCELossOptions> = { weight: true, reduction: true };

/**
 * `torch.nn.BCELoss`: binary cross-entropy of probabilities (see `F.binaryCrossEntropy`); the
 * optional `weight` is the buffer `weight`, as in PyTorch's state dict.
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * new nn.BCELoss().call(tensor([0.8, 0.1]), tensor([1, 0])).item(); // 0.1643
 * ```
 */
export class BCELoss extends Loss {
  /** 'mean', 'sum' or 'none'. */
  readonly reduction: Reduction;

  /**
   * @param options - weight (none), reduction ('mean').
   */
  constructor(options: BCELossOptions = {}) {
    super();
    checkOptions(options, BCE_LOSS_OPTIONS, 'BCELoss');
    this.reduction = options.reduction ?? 'mean';
    checkReduction(this.reduction, 'BCELoss');
    registerWeight(this, 'weight', options.weight);
  }

  loss(input: Tensor, target: Tensor | Targets): Tensor {
    return binaryCrossEntropy(input, targetTensor('BCELoss', target), { weight: optionalBuffer(this, 'weight'), reduction: this.reduction });
  }
}

/** Options of `nn.BCEWithLogitsLoss`. */
export interface BCEWithLogitsLossOptions extends BCELossOptions {
  /** The weight of the positive term, broadcast against the target (kept as the buffer `pos_weight`). */
  posWeight?: Tensor | null;
}

const BCE_WITH_LOGITS_LOSS_OPTIONS: OptionNames<BCEWithLogitsLossOptions> = { ...BCE_LOSS_OPTIONS, posWeight: true };

/**
 * `torch.nn.BCEWithLogitsLoss`: binary cross-entropy of logits, stable for any logits (see
 * `F.binaryCrossEntropyWithLogits`); `weight` and `posWeight` are the buffers `weight` and
 * `pos_weight`, as in PyTorch's state dict.
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * const loss = new nn.BCEWithLogitsLoss({ posWeight: tensor([2]) });
 * loss.call(tensor([[0.5], [-1]]), tensor([[1], [0]])).item(); // 0.6307
 * ```
 */
export class BCEWithLogitsLoss extends Loss {
  /** 'mean', 'sum' or 'none'. */
  readonly reduction: Reduction;

  /**
   * @param options - weight (none), posWeight (none), reduction ('mean').
   */
  constructor(options: BCEWithLogitsLossOptions = {}) {
    super();
    checkOptions(options, BCE_WITH_LOGITS_LOSS_OPTIONS, 'BCEWithLogitsLoss');
    this.reduction = options.reduction ?? 'mean';
    checkReduction(this.reduction, 'BCEWithLogitsLoss');
    registerWeight(this, 'weight', options.weight);
    registerWeight(this, 'pos_weight', options.posWeight);
  }

  loss(input: Tensor, target: Tensor | Targets): Tensor {
    return binaryCrossEntropyWithLogits(input, targetTensor('BCEWithLogitsLoss', target), {
      weight: optionalBuffer(this, 'weight'), posWeight: optionalBuffer(this, 'pos_weight'), reduction: this.reduction,
    });
  }
}

/**
 * `torch.nn.KLDivLoss`: the KL divergence of log-probability inputs from a target distribution (see
 * `F.klDiv`; `reduction: 'batchmean'` is the mathematical KL divergence).
 *
 * @example
 * ```ts
 * import { F, nn, tensor } from 'tsgrad';
 * const kl = new nn.KLDivLoss({ reduction: 'batchmean' });
 * kl.call(F.logSoftmax(tensor([[0, 1, 2]]), 1), tensor([[0.2, 0.3, 0.5]])).item(); // 0.0780
 * ```
 */
export class KLDivLoss extends Loss {
  /**
   * @param options - reduction ('mean'; 'batchmean' is the true KL), logTarget (false).
   */
  constructor(readonly options: KlDivOptions = {}) {
    super();
    checkOptions(options, KL_DIV_OPTIONS, 'KLDivLoss');
    const reduction = options.reduction ?? 'mean';
    if (reduction !== 'batchmean') checkReduction(reduction, 'KLDivLoss');
  }

  loss(input: Tensor, target: Tensor | Targets): Tensor {
    return klDiv(input, targetTensor('KLDivLoss', target), this.options);
  }
}
