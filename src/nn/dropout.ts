// Dropout.
import type { Tensor } from '../autograd/tensor.js';
import { checkOptions, type OptionNames } from '../tensor/options.js';
import type { Generator } from '../tensor/rng.js';
import { dropout, dropout2d } from './functional.js';
import { Module } from './module.js';

/** Options of `nn.Dropout`. */
export interface DropoutOptions {
  /** Where the masks come from (default: the global generator that `manualSeed` seeds). */
  generator?: Generator;
}

const DROPOUT_OPTIONS: OptionNames<DropoutOptions> = { generator: true };

/**
 * In training mode, zeroes each element with probability `p` and scales the others by 1/(1 − p),
 * as `torch.nn.Dropout`; in evaluation mode (`eval()`), the identity. The masks are drawn from the
 * seeded generator, so a seeded run repeats exactly (the numbers differ from PyTorch's).
 *
 * @example
 * ```ts
 * import { manualSeed, nn, ones } from 'tsgrad';
 * manualSeed(0);
 * const drop = new nn.Dropout(0.5);
 * drop.call(ones([2, 4]));        // entries 0 or 2
 * drop.eval().call(ones([2, 4])); // the input itself
 * ```
 */
export class Dropout extends Module {
  protected readonly _generator: Generator | undefined;

  /**
   * @param p - The probability of zeroing each element in training (default 0.5).
   * @param options - The generator for the masks.
   */
  constructor(readonly p = 0.5, options: DropoutOptions = {}) {
    super();
    checkOptions(options, DROPOUT_OPTIONS, 'Dropout');
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`Dropout: p must be a probability in [0, 1], got ${p}`);
    this._generator = options.generator;
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this._generator);
  }

  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

/**
 * Channel dropout (`torch.nn.Dropout2d`): in training, zeroes whole channels of [N, C, H, W] with
 * probability p and scales the rest by 1/(1 − p); the identity in eval mode.
 *
 * @example
 * ```ts
 * import { nn, randn } from 'tsgrad';
 * const drop = new nn.Dropout2d(0.2);
 * drop.call(randn([2, 8, 4, 4])).shape; // [2, 8, 4, 4]
 * ```
 */
export class Dropout2d extends Dropout {
  override forward(x: Tensor): Tensor {
    return dropout2d(x, this.p, this.training, this._generator);
  }
}
