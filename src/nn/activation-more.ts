// Activation modules over F.silu, F.softsign, F.prelu, F.glu, F.softmax and F.logSoftmax, and the
// loss modules over F.crossEntropy, F.nllLoss, F.mseLoss and F.l1Loss (PyTorch's names; a loss
// module holds its options and is called as loss.call(input, target)).
import { full } from '../autograd/creation.js';
import type { Tensor } from '../autograd/tensor.js';
import { checkOptions, type OptionNames } from '../tensor/options.js';
import { crossEntropy, glu, l1Loss, logSoftmax, mseLoss, nllLoss, prelu, silu, softmax, softsign } from './functional.js';
import { checkTensor } from './functional/args.js';
import {
  CROSS_ENTROPY_OPTIONS, L1_LOSS_OPTIONS, MSE_LOSS_OPTIONS, NLL_LOSS_OPTIONS,
  type CrossEntropyOptions, type L1LossOptions, type MseLossOptions, type NllLossOptions, type Targets,
} from './functional/loss.js';
import { checkSize, LAYER_OPTIONS, type LayerOptions } from './layers.js';
import { Module, Parameter } from './module.js';

/**
 * x·σ(x), as `torch.nn.SiLU`.
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * new nn.SiLU().call(tensor([0, 1])).toArray(); // [0, 0.7311]
 * ```
 */
export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return silu(x);
  }
}

/**
 * x / (1 + |x|), as `torch.nn.Softsign`.
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * new nn.Softsign().call(tensor([-1, 3])).toArray(); // [-0.5, 0.75]
 * ```
 */
export class Softsign extends Module {
  forward(x: Tensor): Tensor {
    return softsign(x);
  }
}

/** Options of `nn.PReLU`. */
export interface PReLUOptions extends LayerOptions {
  /** The number of slopes: 1 (shared) or the number of channels (default 1). */
  numParameters?: number;
  /** The slopes' initial value (default 0.25, as PyTorch). */
  init?: number;
}

const PRELU_OPTIONS: OptionNames<PReLUOptions> = { numParameters: true, init: true, ...LAYER_OPTIONS };

/**
 * PReLU with learned slopes (`torch.nn.PReLU`): parameter `weight` of shape [numParameters],
 * initialised to 0.25.
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * new nn.PReLU().call(tensor([-2, 3])).toArray(); // [-0.5, 3]
 * ```
 */
export class PReLU extends Module {
  /** The slopes, shape [numParameters]. */
  weight: Parameter;

  /**
   * @param options - numParameters (1 or the channels), init (0.25), dtype.
   */
  constructor(options: PReLUOptions = {}) {
    super();
    checkOptions(options, PRELU_OPTIONS, 'PReLU');
    const n = options.numParameters ?? 1;
    checkSize(n, 'numParameters', 'PReLU');
    const init = options.init ?? 0.25;
    if (typeof init !== 'number' || !Number.isFinite(init)) throw new Error(`PReLU: init must be a finite number, got ${String(init)}`);
    this.weight = new Parameter(full([n], init, { dtype: options.dtype }));
  }

  forward(x: Tensor): Tensor {
    return prelu(x, this.weight);
  }
}

/**
 * The gated linear unit (`torch.nn.GLU`): halves the input along `dim`, a·σ(b).
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * new nn.GLU().call(tensor([[1, 2, 0, 0]])).toArray(); // [0.5, 1]
 * ```
 */
export class GLU extends Module {
  /**
   * @param dim - The dim to halve (default −1).
   */
  constructor(readonly dim = -1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return glu(x, this.dim);
  }
}

/**
 * Softmax over `dim` (`torch.nn.Softmax`).
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * new nn.Softmax(1).call(tensor([[0, 0]])).toArray(); // [0.5, 0.5]
 * ```
 */
export class Softmax extends Module {
  /**
   * @param dim - The dim the probabilities sum to 1 over.
   */
  constructor(readonly dim: number) {
    super();
  }

  forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }
}

/**
 * Log-softmax over `dim` (`torch.nn.LogSoftmax`).
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * new nn.LogSoftmax(1).call(tensor([[0, 0]])).toArray(); // [-0.6931, -0.6931]
 * ```
 */
export class LogSoftmax extends Module {
  /**
   * @param dim - The dim to normalize over.
   */
  constructor(readonly dim: number) {
    super();
  }

  forward(x: Tensor): Tensor {
    return logSoftmax(x, this.dim);
  }
}


/** A loss module: called with the input and the target, not a single tensor. */
export abstract class Loss extends Module {
  /** The loss of `input` against `target`. */
  abstract loss(input: Tensor, target: Tensor | Targets): Tensor;

  forward(...inputs: Tensor[]): Tensor {
    if (inputs.length !== 2) throw new Error(`${this.constructor.name}: call(input, target) takes 2 tensors, got ${inputs.length}`);
    return this.loss(inputs[0]!, inputs[1]!);
  }
}

/**
 * `torch.nn.CrossEntropyLoss`: class indices, or class probabilities (a float target of the
 * input's shape), as targets; weight, ignoreIndex, reduction and labelSmoothing as `F.crossEntropy`.
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * new nn.CrossEntropyLoss().call(tensor([[2, 0, 0]]), tensor([0])).item(); // 0.2395
 * ```
 */
export class CrossEntropyLoss extends Loss {
  /**
   * @param options - weight (kept as the buffer `weight`, PyTorch's state-dict key), ignoreIndex,
   *   reduction, labelSmoothing.
   */
  constructor(readonly options: CrossEntropyOptions = {}) {
    super();
    // Now, not at the first call: the options are kept and spread into F.crossEntropy's.
    checkOptions(options, CROSS_ENTROPY_OPTIONS, 'CrossEntropyLoss');
    registerWeight(this, 'weight', options.weight);
  }

  loss(input: Tensor, target: Tensor | Targets): Tensor {
    return crossEntropy(input, target, { ...this.options, weight: optionalBuffer(this, 'weight') });
  }
}

/**
 * `torch.nn.NLLLoss` over log-probabilities: weight, ignoreIndex and reduction as `F.nllLoss`.
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * new nn.NLLLoss().call(tensor([[-0.5, -1]]), tensor([1])).item(); // 1
 * ```
 */
export class NLLLoss extends Loss {
  /**
   * @param options - weight, ignoreIndex, reduction.
   */
  constructor(readonly options: NllLossOptions = {}) {
    super();
    checkOptions(options, NLL_LOSS_OPTIONS, 'NLLLoss');
    registerWeight(this, 'weight', options.weight);
  }

  loss(input: Tensor, target: Tensor | Targets): Tensor {
    return nllLoss(input, target, { ...this.options, weight: optionalBuffer(this, 'weight') });
  }
}

/**
 * `torch.nn.MSELoss`: the mean squared error.
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * new nn.MSELoss().call(tensor([1, 2]), tensor([1, 4])).item(); // 2
 * ```
 */
export class MSELoss extends Loss {
  /**
   * @param options - reduction ('mean', 'sum' or 'none').
   */
  constructor(readonly options: MseLossOptions = {}) {
    super();
    checkOptions(options, MSE_LOSS_OPTIONS, 'MSELoss');
  }

  loss(input: Tensor, target: Tensor | Targets): Tensor {
    return mseLoss(input, target as Tensor, this.options);
  }
}

/**
 * `torch.nn.L1Loss`: the mean absolute error.
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * new nn.L1Loss().call(tensor([1, 2]), tensor([1, 4])).item(); // 1
 * ```
 */
export class L1Loss extends Loss {
  /**
   * @param options - reduction ('mean', 'sum' or 'none').
   */
  constructor(readonly options: L1LossOptions = {}) {
    super();
    checkOptions(options, L1_LOSS_OPTIONS, 'L1Loss');
  }

  loss(input: Tensor, target: Tensor | Targets): Tensor {
    return l1Loss(input, target as Tensor, this.options);
  }
}

/** Registers a loss's optional class weight as a buffer (PyTorch's `_WeightedLoss`). */
export function registerWeight(module: Loss, name: string, weight: Tensor | null | undefined): void {
  if (weight !== undefined && weight !== null) checkTensor(weight, name, module.constructor.name);
  module.registerBuffer(name, weight ?? null);
}

/** The registered buffer `name`, or null when the module was built without it. */
export function optionalBuffer(module: Loss, name: string): Tensor | null {
  return module.namedBuffers().find(([key]) => key === name)?.[1] ?? null;
}
