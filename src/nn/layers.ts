// Linear, Flatten and Identity.
import { zeros } from '../autograd/creation.js';
import { Tensor } from '../autograd/tensor.js';
import type { DType } from '../tensor/dtype.js';
import { checkOptions, type OptionNames } from '../tensor/options.js';
import { shapeString } from '../tensor/shape.js';
import { linear } from './functional.js';
import { calculateFanInAndFanOut, kaimingUniform, uniform } from './init.js';
import { Module, Parameter } from './module.js';

/** Options every layer with parameters accepts. */
export interface LayerOptions {
  /** The parameters' dtype (default: the default dtype, float32 unless `setDefaultDtype` says otherwise). */
  dtype?: DType;
}

/** Options of `nn.Linear`. */
export interface LinearOptions extends LayerOptions {
  /** Add a learned bias (default true). */
  bias?: boolean;
}

/** The names of `LayerOptions`, spread into each layer's own list. */
export const LAYER_OPTIONS: OptionNames<LayerOptions> = { dtype: true };
const LINEAR_OPTIONS: OptionNames<LinearOptions> = { bias: 'flag', ...LAYER_OPTIONS };

/** Throws unless `n` is a positive integer (a layer size). */
export function checkSize(n: number, name: string, where: string): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${where}: ${name} must be a positive integer, got ${n}`);
}

/**
 * PyTorch's default initialisation of Linear and Conv2d (`reset_parameters`): the weight from
 * `kaimingUniform(weight, { a: √5 })`, i.e. U(−1/√fanIn, 1/√fanIn), then the bias from
 * U(−1/√fanIn, 1/√fanIn) (0 when fanIn is 0). Draws from the global generator, weight first.
 */
export function resetLinearLike(weight: Tensor, bias: Tensor | null): void {
  kaimingUniform(weight, { a: Math.sqrt(5) });
  if (bias !== null) {
    const { fanIn } = calculateFanInAndFanOut(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform(bias, -bound, bound);
  }
}

/**
 * y = x·Wᵀ + b over the last dim, as `torch.nn.Linear`: x [..., inFeatures] → y [..., outFeatures],
 * weight [outFeatures, inFeatures], bias [outFeatures]. Initialised as PyTorch does: weight and
 * bias from U(−1/√inFeatures, 1/√inFeatures) (see `resetLinearLike`).
 *
 * @example
 * ```ts
 * import { nn, randn } from 'tsgrad';
 * const fc = new nn.Linear(784, 10);
 * fc.call(randn([32, 784])).shape; // [32, 10]
 * new nn.Linear(4, 2, { bias: false }).bias; // null
 * ```
 */
export class Linear extends Module {
  /** The size of the input's last dim. */
  readonly inFeatures: number;
  /** The size of the output's last dim. */
  readonly outFeatures: number;
  /** The weight, shape [outFeatures, inFeatures] (PyTorch's layout). */
  weight: Parameter;
  /** The bias, shape [outFeatures], or null with `{ bias: false }`. */
  bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    checkOptions(options, LINEAR_OPTIONS, 'Linear');
    checkSize(inFeatures, 'inFeatures', 'Linear');
    checkSize(outFeatures, 'outFeatures', 'Linear');
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const dtype = options.dtype;
    this.weight = new Parameter(zeros([outFeatures, inFeatures], { dtype }));
    this.bias = options.bias ?? true ? new Parameter(zeros([outFeatures], { dtype })) : null;
    this.resetParameters();
  }

  /** Re-draws the parameters with PyTorch's default initialisation. */
  resetParameters(): void {
    resetLinearLike(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    if (x.ndim === 0 || x.shape[x.ndim - 1] !== this.inFeatures) {
      throw new Error(`${this.toString()}: expected an input whose last dim is ${this.inFeatures}, got shape ${shapeString(x.shape)}`);
    }
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/**
 * Merges dims `startDim` … `endDim` into one, as `torch.nn.Flatten` (defaults 1 and −1: keeps the
 * batch dim, so [N, C, H, W] → [N, C·H·W]).
 *
 * @example
 * ```ts
 * import { nn, zeros } from 'tsgrad';
 * new nn.Flatten().call(zeros([8, 3, 4, 4])).shape;    // [8, 48]
 * new nn.Flatten(0).call(zeros([8, 3, 4, 4])).shape;   // [384]
 * new nn.Flatten(1, 2).call(zeros([8, 3, 4, 4])).shape; // [8, 12, 4]
 * ```
 */
export class Flatten extends Module {
  /**
   * @param startDim - The first dim to flatten (default 1: keep the batch dim).
   * @param endDim - The last dim to flatten, inclusive (default −1: the last).
   */
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
    for (const [name, d] of [['startDim', startDim], ['endDim', endDim]] as const) {
      if (!Number.isInteger(d)) throw new Error(`Flatten: ${name} must be an integer, got ${d}`);
    }
  }

  forward(x: Tensor): Tensor {
    const resolve = (d: number): number => (d < 0 ? d + Math.max(x.ndim, 1) : d);
    const s = resolve(this.startDim);
    const e = resolve(this.endDim);
    if (s < 0 || e < 0 || s >= Math.max(x.ndim, 1) || e >= Math.max(x.ndim, 1) || s > e) {
      throw new Error(`${this.toString()}: cannot flatten dims ${this.startDim}…${this.endDim} of an input of shape ${shapeString(x.shape)}`);
    }
    return x.flatten(s, e);
  }

  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}

/**
 * Returns its input unchanged (a placeholder, as `torch.nn.Identity`).
 *
 * @example
 * ```ts
 * import { nn, ones } from 'tsgrad';
 * const x = ones([2]);
 * new nn.Identity().call(x) === x; // true
 * ```
 */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}
