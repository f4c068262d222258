import { AllocationError, assertDtype, allocate, castInto, dtypeOf, isFloatingDtype, type DType } from '../tensor/dtype.js';
import { NDArray } from '../tensor/ndarray.js';
import { randArray, randnArray, randperm as permutation, Generator, defaultGenerator } from '../tensor/rng.js';
import { checkOptions, type OptionNames } from '../tensor/options.js';
import { checkShape, formatValue } from '../tensor/shape.js';
import { Tensor, resolveDtype, type NestedArray } from './tensor.js';

/** Options every creation function accepts. */
export interface CreationOptions {
  /**
   * The element type (default: the default dtype, `'float32'` unless `setDefaultDtype` changed it).
   */
  dtype?: DType;
  /** Make the tensor a leaf that collects gradients in `.grad` (default false). */
  requiresGrad?: boolean;
}

/** Options of `tensor()`: the creation options plus a shape for flat data. */
export interface TensorOptions extends CreationOptions {
  /** The shape for flat data (a typed array or a flat number array); inferred from nesting otherwise. */
  shape?: readonly number[];
}

/** Options of `rand` and `randn`: the creation options plus the generator to draw from. */
export interface RandomOptions extends CreationOptions {
  /** The generator to draw from (default: the global one seeded by `manualSeed`). */
  generator?: Generator;
}

const CREATION_OPTIONS: OptionNames<CreationOptions> = { dtype: true, requiresGrad: 'flag' };
const TENSOR_OPTIONS: OptionNames<TensorOptions> = { ...CREATION_OPTIONS, shape: true };
const RANDOM_OPTIONS: OptionNames<RandomOptions> = { ...CREATION_OPTIONS, generator: true };

function make(array: NDArray, options: CreationOptions): Tensor {
  return new Tensor(array, { requiresGrad: options.requiresGrad ?? false });
}

function checkedShape(shape: readonly number[], where: string): number[] {
  return [...checkShape(shape as unknown[], where)];
}

/** Runs `create`; an allocation failure inside it is reported as `where: cannot allocate …`. */
function creating<T>(where: string, create: () => T): T {
  try {
    return create();
  } catch (error) {
    if (error instanceof AllocationError) throw error.withOp(where);
    throw error;
  }
}

/** Throws unless `value` is a number (NaN and ±Infinity included, as PyTorch's fill values). */
function checkNumber(value: unknown, name: string, where: string): asserts value is number {
  if (typeof value !== 'number') throw new Error(`${where}: ${name} must be a number, got ${typeof value} ${formatValue(value)}`);
}

/** The generator of a random creation function's options (default: the global one), checked. */
function generatorOf(options: RandomOptions, where: string): Generator {
  const generator: unknown = options.generator ?? defaultGenerator;
  if (!(generator instanceof Generator)) throw new Error(`${where}: generator must be a Generator (new Generator(seed)), got ${typeof generator} ${formatValue(generator)}`);
  return generator;
}

/** Throws unless `t` is a Tensor (the `*Like` functions). */
function checkTensorArg(t: unknown, where: string): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new Error(`${where}: expected a Tensor, got ${t === null ? 'null' : typeof t} ${formatValue(t)}`);
}

/**
 * Creates a tensor from nested arrays, a typed array or a number (the data is copied).
 * A typed array gives its own dtype (Float64Array → float64, Int32Array → int32, Uint8Array →
 * bool) unless `dtype` says otherwise; nested arrays give the default float dtype. Converting to
 * int32 truncates toward zero, to bool tests `!== 0`.
 *
 * @example
 * ```ts
 * import { tensor } from 'tsgrad';
 * const a = tensor([[1, 2, 3], [4, 5, 6]]);               // float32, shape [2, 3]
 * const b = tensor(new Float64Array([1, 2, 3, 4]), { shape: [2, 2] });
 * const labels = tensor([3, 0, 7], { dtype: 'int32' });  // Int32Array storage
 * ```
 */
export function tensor(data: NestedArray | Float32Array | Float64Array | Int32Array | Uint8Array | readonly number[], options: TensorOptions = {}): Tensor {
  checkOptions(options, TENSOR_OPTIONS, 'tensor');
  if (options.dtype !== undefined) assertDtype(options.dtype, 'tensor');
  let flat: ArrayLike<number>;
  let shape: number[];
  let dtype: DType;
  if (data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array || data instanceof Uint8Array) {
    flat = data;
    dtype = options.dtype ?? dtypeOf(data);
    shape = options.shape ? checkedShape(options.shape, 'tensor') : [data.length];
  } else {
    const values: number[] = [];
    const inferred = nestedShape(data as NestedArray);
    flattenNested(data as NestedArray, values);
    flat = values;
    dtype = resolveDtype(options.dtype);
    shape = options.shape ? checkedShape(options.shape, 'tensor') : inferred;
  }
  const size = shape.reduce((p, d) => p * d, 1);
  if (size !== flat.length) {
    throw new Error(`tensor: ${flat.length} values cannot fill shape [${shape.join(', ')}] (${size} elements)`);
  }
  const storage = creating('tensor', () => allocate(dtype, size, undefined, shape));
  castInto(storage, flat);
  return make(new NDArray(storage, shape), options);
}

function nestedShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let level: NestedArray = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0]!;
  }
  return shape;
}

/**
 * Appends the numbers of `data` to `out` in row-major order, checking that it is a regular nesting
 * of the shape that its first elements give (`nestedShape`). `path` is where `data` sits, as
 * `[1][0]`, for error messages.
 */
function flattenNested(data: NestedArray, out: number[], depth = 0, shape = nestedShape(data), path = ''): void {
  const where = path === '' ? 'the top level' : `data${path}`;
  if (typeof data === 'number') {
    if (depth !== shape.length) {
      throw new Error(`tensor: ragged nested array: ${where} is a number, but the first elements give shape [${shape.join(', ')}], so an array of length ${shape[depth]} was expected there`);
    }
    out.push(data);
    return;
  }
  if (!Array.isArray(data)) {
    throw new Error(`tensor: expected numbers or (nested) arrays of numbers, got ${data === null ? 'null' : typeof data} ${formatValue(data)} at ${where}`);
  }
  if (depth >= shape.length) {
    throw new Error(`tensor: ragged nested array: ${where} is an array of length ${data.length}, but the first elements give shape [${shape.join(', ')}], so a number was expected there`);
  }
  if (data.length !== shape[depth]) {
    throw new Error(`tensor: ragged nested array: ${where} has length ${data.length}, but the first elements give shape [${shape.join(', ')}], so length ${shape[depth]} was expected there`);
  }
  data.forEach((item, i) => flattenNested(item, out, depth + 1, shape, `${path}[${i}]`));
}

/**
 * A tensor of zeros.
 *
 * @example
 * ```ts
 * import { zeros } from 'tsgrad';
 * zeros([2, 3], { dtype: 'float64' }).toArray(); // Float64Array of 6 zeros
 * ```
 */
export function zeros(shape: readonly number[], options: CreationOptions = {}): Tensor {
  // The shape first: zeros(2, 3), PyTorch's spelling, is about the shape, not the options.
  const checked = checkedShape(shape, 'zeros');
  checkOptions(options, CREATION_OPTIONS, 'zeros');
  return make(creating('zeros', () => NDArray.zeros(checked, resolveDtype(options.dtype, 'zeros'))), options);
}

/**
 * A tensor of ones.
 *
 * @example
 * ```ts
 * import { ones } from 'tsgrad';
 * ones([3]).toArray(); // [1, 1, 1]
 * ```
 */
export function ones(shape: readonly number[], options: CreationOptions = {}): Tensor {
  checkedShape(shape, 'ones');
  checkOptions(options, CREATION_OPTIONS, 'ones');
  return full(shape, 1, options);
}

/**
 * A tensor filled with `value`.
 *
 * @example
 * ```ts
 * import { full } from 'tsgrad';
 * full([2, 2], 7).toArray(); // [7, 7, 7, 7]
 * ```
 */
export function full(shape: readonly number[], value: number, options: CreationOptions = {}): Tensor {
  const checked = checkedShape(shape, 'full');
  checkOptions(options, CREATION_OPTIONS, 'full');
  checkNumber(value, 'the fill value', 'full');
  return make(creating('full', () => NDArray.full(checked, value, resolveDtype(options.dtype, 'full'))), options);
}

/**
 * Zeros with another tensor's shape and dtype (`options.dtype` gives another dtype).
 *
 * @example
 * ```ts
 * import { randn, zerosLike } from 'tsgrad';
 * const x = randn([2, 3], { dtype: 'float64' });
 * zerosLike(x).dtype; // 'float64', shape [2, 3]
 * zerosLike(x, { dtype: 'int32' }).dtype; // 'int32'
 * ```
 */
export function zerosLike(t: Tensor, options: CreationOptions = {}): Tensor {
  checkOptions(options, CREATION_OPTIONS, 'zerosLike');
  checkTensorArg(t, 'zerosLike');
  return zeros(t.shape, { dtype: t.dtype, ...options });
}

/**
 * Ones with another tensor's shape and dtype (`options.dtype` gives another dtype).
 *
 * @example
 * ```ts
 * import { onesLike, randn } from 'tsgrad';
 * onesLike(randn([2, 3])).shape; // [2, 3]
 * ```
 */
export function onesLike(t: Tensor, options: CreationOptions = {}): Tensor {
  checkOptions(options, CREATION_OPTIONS, 'onesLike');
  checkTensorArg(t, 'onesLike');
  return ones(t.shape, { dtype: t.dtype, ...options });
}

/**
 * Values start, start+step, … below end (PyTorch's arange). `arange(5)` is 0 … 4. As PyTorch, the
 * bounds and the step must be finite numbers, the step non-zero and pointing from start towards
 * end (`arange(5, 0)` is an error, `arange(0, 0)` is empty). With `dtype: 'int32'` the values
 * are truncated toward zero (use integer bounds and step).
 *
 * @example
 * ```ts
 * import { arange } from 'tsgrad';
 * arange(0, 1, 0.25).toArray(); // [0, 0.25, 0.5, 0.75]
 * arange(4, undefined, 1, { dtype: 'int32' }).toArray(); // Int32Array [0, 1, 2, 3]
 * ```
 */
export function arange(start: number, end?: number, step = 1, options: CreationOptions = {}): Tensor {
  checkOptions(options, CREATION_OPTIONS, 'arange');
  const [from, to] = end === undefined ? [0, start] : [start, end];
  checkNumber(from, 'start', 'arange');
  checkNumber(to, 'end', 'arange');
  checkNumber(step, 'step', 'arange');
  if (!Number.isFinite(from) || !Number.isFinite(to)) throw new Error(`arange: unsupported range ${from} → ${to} (start and end must be finite)`);
  if (step === 0 || !Number.isFinite(step)) throw new Error(`arange: step must be a non-zero finite number, got ${step}`);
  if ((to - from) * step < 0) {
    throw new Error(`arange: the step ${step} points away from end: start ${from} → end ${to} has the other sign (as PyTorch, this is an error, not an empty tensor)`);
  }
  // Math.max: ceil(0 / −1) is −0, which would make the shape [-0].
  const count = Math.max(0, Math.ceil((to - from) / step));
  const storage = creating('arange', () => allocate(resolveDtype(options.dtype, 'arange'), count, undefined, [count]));
  for (let i = 0; i < count; i++) storage[i] = from + i * step;
  return make(new NDArray(storage, [count]), options);
}

/**
 * The n×m identity matrix (m defaults to n).
 *
 * @example
 * ```ts
 * import { eye } from 'tsgrad';
 * eye(2).toArray();    // [1, 0, 0, 1]
 * eye(2, 3).shape;     // [2, 3]
 * ```
 */
export function eye(n: number, m = n, options: CreationOptions = {}): Tensor {
  checkOptions(options, CREATION_OPTIONS, 'eye');
  const out = creating('eye', () => NDArray.zeros(checkedShape([n, m], 'eye'), resolveDtype(options.dtype, 'eye')));
  for (let i = 0; i < Math.min(n, m); i++) out.data[i * m + i] = 1;
  return make(out, options);
}

/**
 * Uniform samples in [0, 1), from the seeded generator.
 *
 * @example
 * ```ts
 * import { manualSeed, rand } from 'tsgrad';
 * manualSeed(0);
 * const u = rand([2, 3]);
 * ```
 */
export function rand(shape: readonly number[], options: RandomOptions = {}): Tensor {
  const checked = checkedShape(shape, 'rand');
  checkOptions(options, RANDOM_OPTIONS, 'rand');
  floatOnly(options.dtype, 'rand');
  return make(creating('rand', () => randArray(checked, resolveDtype(options.dtype, 'rand'), generatorOf(options, 'rand'))), options);
}

/**
 * Standard normal samples, from the seeded generator.
 *
 * @example
 * ```ts
 * import { manualSeed, randn } from 'tsgrad';
 * manualSeed(0);
 * const z = randn([4], { dtype: 'float64' });
 * ```
 */
export function randn(shape: readonly number[], options: RandomOptions = {}): Tensor {
  const checked = checkedShape(shape, 'randn');
  checkOptions(options, RANDOM_OPTIONS, 'randn');
  floatOnly(options.dtype, 'randn');
  return make(creating('randn', () => randnArray(checked, resolveDtype(options.dtype, 'randn'), generatorOf(options, 'randn'))), options);
}

/** rand/randn draw floats: an int32/bool dtype is an error (as PyTorch), not a tensor of zeros. */
function floatOnly(dtype: DType | undefined, where: string): void {
  if (dtype !== undefined && !isFloatingDtype(resolveDtype(dtype, where))) {
    throw new Error(`${where}: draws floating-point values; dtype must be 'float32' or 'float64', got '${dtype}' (use randint for integers)`);
  }
}

/** Options of `randint` and `randperm`: the dtype (default int32) and the generator. */
export interface RandintOptions {
  /** The element type (default 'int32'; a float dtype stores the same integers). */
  dtype?: DType;
  /** The generator to draw from (default: the global one seeded by `manualSeed`). */
  generator?: Generator;
}

const RANDINT_OPTIONS: OptionNames<RandintOptions> = { dtype: true, generator: true };

/**
 * Uniform random integers in [low, high), from the seeded generator (int32 by default). The draws
 * are plain IEEE arithmetic on the generator's bits, so a seed gives the same values on every
 * platform (PyTorch's own stream differs).
 *
 * @example
 * ```ts
 * import { manualSeed, randint } from 'tsgrad';
 * manualSeed(0);
 * randint(0, 10, [2, 3]).dtype; // 'int32', values in 0 … 9
 * ```
 */
export function randint(low: number, high: number, shape: readonly number[], options: RandintOptions = {}): Tensor {
  checkOptions(options, RANDINT_OPTIONS, 'randint');
  const where = 'randint';
  checkNumber(low, 'low', where);
  checkNumber(high, 'high', where);
  if (!Number.isInteger(low) || !Number.isInteger(high) || low >= high) {
    throw new Error(`randint: expected integers low < high, got low ${low} and high ${high}`);
  }
  if (low < -(2 ** 31) || high > 2 ** 31) throw new Error(`randint: [${low}, ${high}) does not fit in int32`);
  const checked = checkedShape(shape, where);
  const dtype = options.dtype === undefined ? 'int32' : resolveDtype(options.dtype, where);
  const gen = generatorOf({ generator: options.generator }, where);
  const out = creating(where, () => NDArray.zeros(checked, dtype));
  const size = out.size; // a getter (the shape's product): read once, not per element
  for (let i = 0; i < size; i++) out.data[i] = low + gen.int(high - low);
  return new Tensor(out);
}

/**
 * A random permutation of 0 … n−1 (Fisher–Yates), from the seeded generator (int32 by default);
 * reproducible across platforms as randint.
 *
 * @example
 * ```ts
 * import { manualSeed, randperm } from 'tsgrad';
 * manualSeed(0);
 * randperm(5).toArray(); // an Int32Array holding 0 … 4 in some order
 * ```
 */
export function randperm(n: number, options: RandintOptions = {}): Tensor {
  checkOptions(options, RANDINT_OPTIONS, 'randperm');
  const where = 'randperm';
  checkNumber(n, 'n', where);
  if (!Number.isInteger(n) || n < 0) throw new Error(`randperm: n must be a non-negative integer, got ${n}`);
  const dtype = options.dtype === undefined ? 'int32' : resolveDtype(options.dtype, where);
  const gen = generatorOf({ generator: options.generator }, where);
  return tensor(permutation(n, gen), { dtype });
}
