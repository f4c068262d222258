import { reusedStorage, sharedStorage } from './parallel/shared-memory.js';

export {
  DTYPES, bytesPerElement, isFloatingDtype, storageOf, type DType, type FloatDType, type FloatStorage, type Storage,
} from './storage-types.js';
import { DTYPES, bytesPerElement, isFloatingDtype, storageOf, type DType, type FloatDType, type FloatStorage, type Storage } from './storage-types.js';

let defaultDtype: FloatDType = 'float32';

/**
 * Sets the dtype that creation functions use when none is given.
 *
 * @example
 * ```ts
 * import { setDefaultDtype, zeros } from 'tsgrad';
 * setDefaultDtype('float64');
 * zeros([2]).dtype; // 'float64'
 * setDefaultDtype('float32');
 * ```
 */
export function setDefaultDtype(dtype: FloatDType): void {
  assertDtype(dtype, 'setDefaultDtype');
  // As torch.set_default_dtype: creation without a dtype makes floating-point tensors.
  if (!isFloatingDtype(dtype)) throw new Error(`setDefaultDtype: the default dtype must be 'float32' or 'float64', got '${dtype}'`);
  defaultDtype = dtype;
}

/**
 * The dtype creation functions use when none is given.
 *
 * @example
 * ```ts
 * import { getDefaultDtype } from 'tsgrad';
 * getDefaultDtype(); // 'float32' unless setDefaultDtype changed it
 * ```
 */
export function getDefaultDtype(): FloatDType {
  return defaultDtype;
}

/** Throws a clear error unless `dtype` is one tsgrad supports. */
export function assertDtype(dtype: unknown, where: string): asserts dtype is DType {
  if (!DTYPES.includes(dtype as DType)) {
    throw new Error(`${where}: unsupported dtype ${JSON.stringify(dtype)}; expected 'float32', 'float64', 'int32' or 'bool'`);
  }
}

/**
 * Allocates zeroed storage of `size` elements. Big storage (≥ `sharedFrom` elements, by default
 * SHARED_MIN_ELEMENTS, with more than one thread) is a SharedArrayBuffer, which the worker pool
 * reads in place (parallel/shared-memory.ts explains how its memory stays bounded); the rest is
 * ordinary memory.
 */
export function allocate(dtype: FloatDType, size: number, sharedFrom?: number, shape?: readonly number[]): FloatStorage;
export function allocate(dtype: DType, size: number, sharedFrom?: number, shape?: readonly number[]): Storage;
export function allocate(dtype: DType, size: number, sharedFrom?: number, shape?: readonly number[]): Storage {
  try {
    return sharedStorage(dtype, size, sharedFrom) ?? reusedStorage(dtype, size) ?? storageOf(dtype, size);
  } catch (error) {
    // V8's own message ("Array buffer allocation failed", "Invalid typed array length: …") says
    // neither what nor how much: name the shape (when known), the dtype and the bytes.
    if (error instanceof RangeError) throw new AllocationError(dtype, size, shape, error);
    throw error;
  }
}

/**
 * Thrown when storage cannot be allocated (out of memory, or beyond the largest typed array):
 * carries what was asked for. Callers that know the op (creation functions) prefix its name.
 */
export class AllocationError extends RangeError {
  /** The bytes that were asked for. */
  readonly bytes: number;
  /** The op or function that asked, when known. */
  readonly op: string | undefined;

  constructor(
    readonly dtype: DType,
    readonly size: number,
    readonly shape: readonly number[] | undefined,
    cause: Error,
    where?: string,
  ) {
    const bytes = size * bytesPerElement(dtype);
    const what = shape === undefined ? `${size} ${dtype} elements` : `a ${dtype} tensor of shape [${shape.join(', ')}] (${size} elements)`;
    super(`${where === undefined ? '' : `${where}: `}cannot allocate ${what}: ${bytes} bytes (${formatBytes(bytes)}): ${cause.message}`, { cause });
    this.name = 'AllocationError';
    this.bytes = bytes;
    this.op = where;
  }

  /** The same error with the op that asked for the memory named in front. */
  withOp(where: string): AllocationError {
    return new AllocationError(this.dtype, this.size, this.shape, this.cause as Error, where);
  }
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** The dtype of a storage array. */
export function dtypeOf(storage: Storage): DType {
  if (storage instanceof Float64Array) return 'float64';
  if (storage instanceof Float32Array) return 'float32';
  if (storage instanceof Int32Array) return 'int32';
  return 'bool';
}

/**
 * PyTorch's promotion of two tensor dtypes: the later in bool < int32 < float32 < float64 wins
 * (int32 with float32 gives float32, as torch.promote_types).
 */
export function promoteTypes(a: DType, b: DType): DType {
  return DTYPES.indexOf(a) >= DTYPES.indexOf(b) ? a : b;
}

/** PyTorch's dtype categories: bool < integer < floating. */
function category(dtype: DType): number {
  if (dtype === 'bool') return 0;
  return isFloatingDtype(dtype) ? 2 : 1;
}

/**
 * The result dtype of two tensor operands, as PyTorch: a zero-dim tensor (ndim 0) promotes a
 * dimensioned one only when its category is higher — `tensor([1]) + tensor(0.5, float64)` is
 * float32, an int32 [2] with a float64 0-d tensor float64 — and two operands both zero-dim or both
 * dimensioned promote as promoteTypes.
 */
export function promoteOperandTypes(a: DType, aNdim: number, b: DType, bNdim: number): DType {
  if ((aNdim === 0) === (bNdim === 0)) return promoteTypes(a, b);
  const [dimensioned, zeroDim] = aNdim === 0 ? [b, a] : [a, b];
  return category(zeroDim) > category(dimensioned) ? zeroDim : dimensioned;
}

/**
 * The dtype of `tensor ∘ number`: PyTorch's rule for a Python scalar, which does not promote a
 * tensor of its own category or a higher one. JS cannot tell `2` from `2.0`, so an integer-valued
 * number counts as an integer: an int32 or bool tensor with 2 gives int32, with 2.5 the default
 * float dtype; a float tensor keeps its dtype.
 */
export function promoteWithNumber(dtype: DType, value: number): DType {
  if (isFloatingDtype(dtype)) return dtype;
  return Number.isInteger(value) ? 'int32' : defaultDtype;
}

/**
 * The dtype a floating-point op (exp, log, true division, mean, …) computes an int32 or bool tensor
 * in: the default float dtype, as PyTorch. Float dtypes are kept.
 */
export function floatDtypeFor(dtype: DType): FloatDType {
  return isFloatingDtype(dtype) ? dtype : defaultDtype;
}

/**
 * `data` as float storage, for the float-only kernels (conv, gemm); an int32/bool array is a clear
 * error naming the op (applyOp refuses those inputs earlier: this is the kernels' own guard).
 */
export function floatStorage(data: Storage, op: string): FloatStorage {
  if (data instanceof Float32Array || data instanceof Float64Array) return data;
  throw new Error(`${op}: expected float32 or float64 data, got ${dtypeOf(data)}`);
}

/**
 * Writes `values` into `out`, converting to `out`'s dtype as PyTorch's casts do: to int32 by
 * truncation toward zero (the typed array's own conversion; NaN and ±Infinity give 0 and values
 * beyond int32 wrap, where PyTorch's result is unspecified), to bool as `v !== 0` (NaN is true).
 */
export function castInto(out: Storage, values: ArrayLike<number>, outOffset = 0): void {
  if (out instanceof Uint8Array) {
    for (let i = 0; i < values.length; i++) out[outOffset + i] = values[i] !== 0 ? 1 : 0;
  } else if (ArrayBuffer.isView(values)) {
    out.set(values as Storage, outOffset);
  } else {
    for (let i = 0; i < values.length; i++) out[outOffset + i] = values[i]!;
  }
}

/** `value` as stored in `dtype` (bool: 0 or 1; int32: truncated toward zero). */
export function castValue(value: number, dtype: DType): number {
  if (dtype === 'bool') return value !== 0 ? 1 : 0;
  if (dtype === 'int32') return value | 0;
  return value;
}
