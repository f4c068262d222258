import { sharedStorage } from './parallel/shared-memory.js';

/** The element types tsgrad stores. float32 is the default, as in PyTorch. */
export type DType = 'float32' | 'float64';

/** The flat storage behind every array: one typed array per dtype. */
export type Storage = Float32Array | Float64Array;

let defaultDtype: DType = 'float32';

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
export function setDefaultDtype(dtype: DType): void {
  assertDtype(dtype, 'setDefaultDtype');
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
export function getDefaultDtype(): DType {
  return defaultDtype;
}

/** Throws a clear error unless `dtype` is one tsgrad supports. */
export function assertDtype(dtype: unknown, where: string): asserts dtype is DType {
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new Error(`${where}: unsupported dtype ${JSON.stringify(dtype)}; expected 'float32' or 'float64'`);
  }
}

/**
 * Allocates zeroed storage of `size` elements. Big storage (≥ `sharedFrom` elements, by default
 * SHARED_MIN_ELEMENTS, with more than one thread) is a SharedArrayBuffer, which the worker pool
 * reads in place (parallel/shared-memory.ts explains how its memory stays bounded); the rest is
 * ordinary memory.
 */
export function allocate(dtype: DType, size: number, sharedFrom?: number, shape?: readonly number[]): Storage {
  try {
    return sharedStorage(dtype, size, sharedFrom) ?? (dtype === 'float64' ? new Float64Array(size) : new Float32Array(size));
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
    const bytes = size * (dtype === 'float64' ? 8 : 4);
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
  return storage instanceof Float64Array ? 'float64' : 'float32';
}

/** PyTorch's promotion among floating types: float32 with float64 gives float64. */
export function promoteTypes(a: DType, b: DType): DType {
  return a === 'float64' || b === 'float64' ? 'float64' : 'float32';
}
