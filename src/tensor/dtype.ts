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
export function allocate(dtype: DType, size: number, sharedFrom?: number): Storage {
  return sharedStorage(dtype, size, sharedFrom) ?? (dtype === 'float64' ? new Float64Array(size) : new Float32Array(size));
}

/** The dtype of a storage array. */
export function dtypeOf(storage: Storage): DType {
  return storage instanceof Float64Array ? 'float64' : 'float32';
}

/** PyTorch's promotion among floating types: float32 with float64 gives float64. */
export function promoteTypes(a: DType, b: DType): DType {
  return a === 'float64' || b === 'float64' ? 'float64' : 'float32';
}
