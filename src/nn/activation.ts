// Activation layers: thin modules over the F functions.
import type { Tensor } from '../autograd/tensor.js';
import { checkOptions } from '../tensor/options.js';
import {
  elu, gelu, hardsigmoid, hardswish, hardtanh, leakyRelu, logSigmoid, mish, relu, relu6, selu, sigmoid, softplus, tanh,
  type EluOptions, type GeluOptions, type HardtanhOptions, type SoftplusOptions,
} from './functional.js';
import { GELU_OPTIONS } from './functional/activation.js';
import { ELU_OPTIONS, eluAlpha, HARDTANH_OPTIONS, hardtanhBounds, SOFTPLUS_OPTIONS, softplusParams } from './functional/activation-more.js';
import { Module } from './module.js';


/**
 * max(x, 0) elementwise, as `torch.nn.ReLU`.
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * new nn.ReLU().call(tensor([-1, 2])).toArray(); // [0, 2]
 * ```
 */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/**
 * x for x > 0, else negativeSlope·x, as `torch.nn.LeakyReLU` (default slope 0.01).
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * new nn.LeakyReLU(0.1).call(tensor([-2, 3])).toArray(); // [-0.2, 3]
 * ```
 */
export class LeakyReLU extends Module {
  /** @param negativeSlope - The slope for x < 0 (default 0.01, as PyTorch). */
  constructor(readonly negativeSlope = 0.01) {
    super();
    if (!Number.isFinite(negativeSlope)) throw new Error(`LeakyReLU: negativeSlope must be a finite number, got ${negativeSlope}`);
  }

  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }

  override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}

/**
 * The Gaussian error linear unit x·Φ(x), as `torch.nn.GELU`; `{ approximate: 'tanh' }` selects
 * PyTorch's tanh approximation.
 *
 * @example
 * ```ts
 * import { nn, randn } from 'tsgrad';
 * const act = new nn.GELU({ approximate: 'tanh' });
 * act.call(randn([4]));
 * ```
 */
export class GELU extends Module {
  /** `'none'`: the exact x·Φ(x); `'tanh'`: PyTorch's tanh approximation. */
  readonly approximate: 'none' | 'tanh';

  constructor(options: GeluOptions = {}) {
    super();
    checkOptions(options, GELU_OPTIONS, 'GELU');
    const approximate = options.approximate ?? 'none';
    if (approximate !== 'none' && approximate !== 'tanh') {
      throw new Error(`GELU: approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate)}`);
    }
    this.approximate = approximate;
  }

  forward(x: Tensor): Tensor {
    return gelu(x, { approximate: this.approximate });
  }

  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

/**
 * 1 / (1 + e^(−x)) elementwise, as `torch.nn.Sigmoid`.
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * new nn.Sigmoid().call(tensor([0])).item(); // 0.5
 * ```
 */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/**
 * The hyperbolic tangent elementwise, as `torch.nn.Tanh`.
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * new nn.Tanh().call(tensor([0])).item(); // 0
 * ```
 */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/**
 * The exponential linear unit (`torch.nn.ELU`): x for x > 0, else α·(e^x − 1) (default α = 1).
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * new nn.ELU({ alpha: 0.5 }).call(tensor([-1, 2])).toArray(); // [-0.3161, 2]
 * ```
 */
export class ELU extends Module {
  /** α, the scale of the negative side. */
  readonly alpha: number;

  constructor(options: EluOptions = {}) {
    super();
    checkOptions(options, ELU_OPTIONS, 'ELU');
    this.alpha = eluAlpha(options, 'ELU');
  }

  forward(x: Tensor): Tensor {
    return elu(x, { alpha: this.alpha });
  }

  override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

/**
 * The scaled exponential linear unit (`torch.nn.SELU`), with PyTorch's constants.
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * new nn.SELU().call(tensor([-1, 1])).toArray(); // [-1.1113, 1.0507]
 * ```
 */
export class SELU extends Module {
  forward(x: Tensor): Tensor {
    return selu(x);
  }
}

/**
 * Softplus (`torch.nn.Softplus`): log(1 + e^(βx))/β, the identity where βx > threshold.
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * new nn.Softplus({ beta: 2, threshold: 10 }).call(tensor([0, 1])).toArray(); // [0.3466, 1.0635]
 * ```
 */
export class Softplus extends Module {
  /** β (default 1). */
  readonly beta: number;
  /** The identity above βx > threshold (default 20). */
  readonly threshold: number;

  constructor(options: SoftplusOptions = {}) {
    super();
    checkOptions(options, SOFTPLUS_OPTIONS, 'Softplus');
    ({ beta: this.beta, threshold: this.threshold } = softplusParams(options, 'Softplus'));
  }

  forward(x: Tensor): Tensor {
    return softplus(x, { beta: this.beta, threshold: this.threshold });
  }

  override extraRepr(): string {
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}

/**
 * Mish (`torch.nn.Mish`): x·tanh(softplus(x)).
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * new nn.Mish().call(tensor([1])).toArray(); // [0.8651]
 * ```
 */
export class Mish extends Module {
  forward(x: Tensor): Tensor {
    return mish(x);
  }
}

/**
 * x clamped to [minVal, maxVal] (`torch.nn.Hardtanh`, default [−1, 1]).
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * new nn.Hardtanh({ minVal: -2, maxVal: 2 }).call(tensor([-3, 1, 3])).toArray(); // [-2, 1, 2]
 * ```
 */
export class Hardtanh extends Module {
  /** The lower bound. */
  readonly minVal: number;
  /** The upper bound. */
  readonly maxVal: number;

  constructor(options: HardtanhOptions = {}) {
    super();
    checkOptions(options, HARDTANH_OPTIONS, 'Hardtanh');
    ({ minVal: this.minVal, maxVal: this.maxVal } = hardtanhBounds(options, 'Hardtanh'));
  }

  forward(x: Tensor): Tensor {
    return hardtanh(x, { minVal: this.minVal, maxVal: this.maxVal });
  }

  override extraRepr(): string {
    return `minVal=${this.minVal}, maxVal=${this.maxVal}`;
  }
}

/**
 * min(max(x, 0), 6) (`torch.nn.ReLU6`).
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * new nn.ReLU6().call(tensor([-1, 3, 8])).toArray(); // [0, 3, 6]
 * ```
 */
export class ReLU6 extends Module {
  forward(x: Tensor): Tensor {
    return relu6(x);
  }
}

/**
 * Hard swish x·relu6(x + 3)/6 (`torch.nn.Hardswish`).
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * new nn.Hardswish().call(tensor([-4, 1, 4])).toArray(); // [0, 0.6667, 4]
 * ```
 */
export class Hardswish extends Module {
  forward(x: Tensor): Tensor {
    return hardswish(x);
  }
}

/**
 * Hard sigmoid relu6(x + 3)/6 (`torch.nn.Hardsigmoid`).
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * new nn.Hardsigmoid().call(tensor([-4, 0, 4])).toArray(); // [0, 0.5, 1]
 * ```
 */
export class Hardsigmoid extends Module {
  forward(x: Tensor): Tensor {
    return hardsigmoid(x);
  }
}

/**
 * log(σ(x)), computed stably (`torch.nn.LogSigmoid`).
 *
 * @example
 * ```ts
 * import { nn, tensor } from 'tsgrad';
 * new nn.LogSigmoid().call(tensor([0])).toArray(); // [-0.6931]
 * ```
 */
export class LogSigmoid extends Module {
  forward(x: Tensor): Tensor {
    return logSigmoid(x);
  }
}
