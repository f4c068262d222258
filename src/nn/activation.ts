// Activation layers: thin modules over the F functions.
import type { Tensor } from '../autograd/tensor.js';
import { gelu, leakyRelu, relu, sigmoid, tanh, type GeluOptions } from './functional.js';
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
