/**
 * Parameter initialisation, as `torch.nn.init`: each function fills a tensor in place (drawing from
 * the seeded global generator unless `generator` is given) and returns it. Values are drawn in
 * row-major order. Fan and gain rules are PyTorch's:
 *
 * - fanIn = size(1) · receptive field, fanOut = size(0) · receptive field, where the receptive field
 *   is the product of the sizes after the first two (1 for a Linear weight `[out, in]`; kH·kW for a
 *   Conv2d weight `[Cout, Cin/groups, kH, kW]`). Tensors with fewer than 2 dims have no fans.
 * - gain (`calculateGain`): linear, conv*, sigmoid → 1; tanh → 5/3; relu → √2;
 *   leaky_relu → √(2 / (1 + slope²)) (slope 0.01 when not given); selu → 3/4.
 *
 * Zero-element tensors are left as they are (PyTorch warns and does the same).
 *
 * Option values keep PyTorch's strings (`mode: 'fan_in'`, `nonlinearity: 'leaky_relu'`), so
 * PyTorch code ports by renaming arguments only.
 */
import type { Tensor } from '../autograd/tensor.js';
import { allocate } from '../tensor/dtype.js';
import { NDArray, copyInto } from '../tensor/ndarray.js';
import { checkOptions, type OptionNames } from '../tensor/options.js';
import { defaultGenerator, type Generator } from '../tensor/rng.js';
import { shapeString } from '../tensor/shape.js';

/** The nonlinearities `calculateGain` knows (PyTorch's names). */
export type Nonlinearity =
  | 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d'
  | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/** Which fan scales the variance: `fan_in` preserves it in the forward pass, `fan_out` in backward. */
export type FanMode = 'fan_in' | 'fan_out';

/** The `generator` option every random initialiser accepts. */
export interface GeneratorOption {
  /** The generator to draw from (default: the global one seeded by `manualSeed`). */
  generator?: Generator;
}

/** Options of `kaimingUniform` / `kaimingNormal` (PyTorch's `a`, `mode`, `nonlinearity`). */
export interface KaimingOptions extends GeneratorOption {
  /** The negative slope of the rectifier after this layer (used only with 'leaky_relu'). Default 0. */
  a?: number;
  /** Default 'fan_in'. */
  mode?: FanMode;
  /** Default 'leaky_relu' (as PyTorch; with a = 0 it is the ReLU gain √2). */
  nonlinearity?: Nonlinearity;
}

/** Options of `xavierUniform` / `xavierNormal`. */
export interface XavierOptions extends GeneratorOption {
  /** Scales the standard deviation. Default 1. */
  gain?: number;
}

const GENERATOR_OPTION: OptionNames<GeneratorOption> = { generator: true };
const KAIMING_OPTIONS: OptionNames<KaimingOptions> = { a: true, mode: true, nonlinearity: true, ...GENERATOR_OPTION };
const XAVIER_OPTIONS: OptionNames<XavierOptions> = { gain: true, ...GENERATOR_OPTION };

/**
 * The recommended gain for a nonlinearity (PyTorch's `calculate_gain`); `param` is leaky_relu's
 * negative slope.
 *
 * @example
 * ```ts
 * import { nn } from 'tsgrad';
 * nn.init.calculateGain('relu');            // √2
 * nn.init.calculateGain('leaky_relu', 0.2); // √(2 / 1.04)
 * ```
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'conv1d': case 'conv2d': case 'conv3d':
    case 'conv_transpose1d': case 'conv_transpose2d': case 'conv_transpose3d': case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (!Number.isFinite(slope)) throw new Error(`calculateGain: negative slope ${slope} is not a valid number`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new Error(`calculateGain: unsupported nonlinearity ${JSON.stringify(nonlinearity)}`);
  }
}

/**
 * PyTorch's fan-in and fan-out of a weight (see the module header).
 *
 * @example
 * ```ts
 * import { nn, zeros } from 'tsgrad';
 * nn.init.calculateFanInAndFanOut(zeros([8, 3, 5, 5])); // { fanIn: 75, fanOut: 200 }
 * ```
 */
export function calculateFanInAndFanOut(t: Tensor, where = 'calculateFanInAndFanOut'): { fanIn: number; fanOut: number } {
  if (t.ndim < 2) {
    throw new Error(`${where}: fan in and fan out cannot be computed for a tensor with fewer than 2 dimensions (shape ${shapeString(t.shape)})`);
  }
  const receptive = t.shape.slice(2).reduce((p, d) => p * d, 1);
  return { fanIn: t.shape[1]! * receptive, fanOut: t.shape[0]! * receptive };
}

/** Fills `t` in place with `draw()` in row-major order. */
function fill(t: Tensor, draw: () => number): Tensor {
  const a = t.array;
  const values = allocate(a.dtype, a.size);
  for (let i = 0; i < values.length; i++) values[i] = draw();
  copyInto(a, new NDArray(values, [...a.shape]));
  t.markModified();
  return t;
}

/**
 * Fills with U(a, b) (PyTorch's `uniform_(tensor, a=0, b=1)`).
 *
 * @example
 * ```ts
 * import { nn, zeros } from 'tsgrad';
 * nn.init.uniform(zeros([3, 3]), -0.1, 0.1);
 * ```
 */
export function uniform(t: Tensor, a = 0, b = 1, options: GeneratorOption = {}): Tensor {
  checkOptions(options, GENERATOR_OPTION, 'init.uniform');
  if (!(a <= b)) throw new Error(`init.uniform: expected a <= b, got a=${a}, b=${b}`);
  const gen = options.generator ?? defaultGenerator;
  return fill(t, () => a + (b - a) * gen.uniform());
}

/**
 * Fills with N(mean, std²) (PyTorch's `normal_(tensor, mean=0, std=1)`).
 *
 * @example
 * ```ts
 * import { nn, zeros } from 'tsgrad';
 * nn.init.normal(zeros([3, 3]), 0, 0.02);
 * ```
 */
export function normal(t: Tensor, mean = 0, std = 1, options: GeneratorOption = {}): Tensor {
  checkOptions(options, GENERATOR_OPTION, 'init.normal');
  if (!(std >= 0)) throw new Error(`init.normal: std must be non-negative, got ${std}`);
  const gen = options.generator ?? defaultGenerator;
  return fill(t, () => mean + std * gen.normal());
}

/**
 * Fills with `value` (PyTorch's `constant_(tensor, val)`).
 *
 * @example
 * ```ts
 * import { nn, zeros } from 'tsgrad';
 * nn.init.constant(zeros([4]), 0.5);
 * ```
 */
export function constant(t: Tensor, value: number): Tensor {
  return fill(t, () => value);
}

/**
 * Fills with 0 (PyTorch's `zeros_`).
 *
 * @example
 * ```ts
 * import { nn, randn } from 'tsgrad';
 * nn.init.zeros(randn([4]));
 * ```
 */
export function zeros(t: Tensor): Tensor {
  return constant(t, 0);
}

/**
 * Fills with 1 (PyTorch's `ones_`).
 *
 * @example
 * ```ts
 * import { nn, zeros } from 'tsgrad';
 * nn.init.ones(zeros([4]));
 * ```
 */
export function ones(t: Tensor): Tensor {
  return constant(t, 1);
}

function kaimingStd(t: Tensor, options: KaimingOptions, where: string): number {
  const { a = 0, mode = 'fan_in', nonlinearity = 'leaky_relu' } = options;
  if (mode !== 'fan_in' && mode !== 'fan_out') throw new Error(`${where}: mode must be 'fan_in' or 'fan_out', got ${JSON.stringify(mode)}`);
  const { fanIn, fanOut } = calculateFanInAndFanOut(t, where);
  const fan = mode === 'fan_in' ? fanIn : fanOut;
  return calculateGain(nonlinearity, a) / Math.sqrt(fan);
}

/**
 * He initialisation, uniform (PyTorch's `kaiming_uniform_`): U(−bound, bound) with
 * bound = gain · √(3 / fan), gain = `calculateGain(nonlinearity, a)`, fan = fanIn or fanOut by `mode`.
 * Linear and Conv2d use it with `a = √5` by default, which gives bound = 1/√fanIn.
 *
 * @example
 * ```ts
 * import { nn, zeros } from 'tsgrad';
 * nn.init.kaimingUniform(zeros([16, 8]), { nonlinearity: 'relu' });
 * ```
 */
export function kaimingUniform(t: Tensor, options: KaimingOptions = {}): Tensor {
  checkOptions(options, KAIMING_OPTIONS, 'init.kaimingUniform');
  if (t.numel === 0) return t; // nothing to draw (PyTorch warns and returns)
  const bound = Math.sqrt(3) * kaimingStd(t, options, 'init.kaimingUniform');
  return uniform(t, -bound, bound, { generator: options.generator });
}

/**
 * He initialisation, normal (PyTorch's `kaiming_normal_`): N(0, std²) with std = gain / √fan.
 *
 * @example
 * ```ts
 * import { nn, zeros } from 'tsgrad';
 * nn.init.kaimingNormal(zeros([16, 8, 3, 3]), { mode: 'fan_out', nonlinearity: 'relu' });
 * ```
 */
export function kaimingNormal(t: Tensor, options: KaimingOptions = {}): Tensor {
  checkOptions(options, KAIMING_OPTIONS, 'init.kaimingNormal');
  if (t.numel === 0) return t; // nothing to draw (PyTorch warns and returns)
  return normal(t, 0, kaimingStd(t, options, 'init.kaimingNormal'), { generator: options.generator });
}

function xavierStd(t: Tensor, options: XavierOptions, where: string): number {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t, where);
  return (options.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut));
}

/**
 * Glorot initialisation, uniform (PyTorch's `xavier_uniform_`): U(−a, a) with
 * a = gain · √(6 / (fanIn + fanOut)).
 *
 * @example
 * ```ts
 * import { nn, zeros } from 'tsgrad';
 * nn.init.xavierUniform(zeros([16, 8]), { gain: nn.init.calculateGain('tanh') });
 * ```
 */
export function xavierUniform(t: Tensor, options: XavierOptions = {}): Tensor {
  checkOptions(options, XAVIER_OPTIONS, 'init.xavierUniform');
  if (t.numel === 0) return t; // nothing to draw (PyTorch warns and returns)
  const a = Math.sqrt(3) * xavierStd(t, options, 'init.xavierUniform');
  return uniform(t, -a, a, { generator: options.generator });
}

/**
 * Glorot initialisation, normal (PyTorch's `xavier_normal_`): N(0, std²) with
 * std = gain · √(2 / (fanIn + fanOut)).
 *
 * @example
 * ```ts
 * import { nn, zeros } from 'tsgrad';
 * nn.init.xavierNormal(zeros([16, 8]));
 * ```
 */
export function xavierNormal(t: Tensor, options: XavierOptions = {}): Tensor {
  checkOptions(options, XAVIER_OPTIONS, 'init.xavierNormal');
  if (t.numel === 0) return t; // nothing to draw (PyTorch warns and returns)
  return normal(t, 0, xavierStd(t, options, 'init.xavierNormal'), { generator: options.generator });
}
