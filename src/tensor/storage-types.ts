// The dtypes and their storage, with no imports: the worker pool's modules (parallel/*) use these,
// and dtype.ts (which imports the pool's shared memory) re-exports them — an import cycle otherwise.
/**
 * The element types tsgrad stores. float32 is the default, as in PyTorch. `int32` (indices, class
 * labels) and `bool` (masks, stored as 0/1 bytes) never require grad.
 */
export type DType = 'float32' | 'float64' | 'int32' | 'bool';

/** The floating-point dtypes: the only ones that carry gradients. */
export type FloatDType = 'float32' | 'float64';

/** The flat storage behind every array: one typed array per dtype (bool is a Uint8Array of 0/1). */
export type Storage = Float32Array | Float64Array | Int32Array | Uint8Array;

/**
 * The storage of a floating-point array: what the float kernels (gemm, conv, pooling) take.
 * `applyOp` refuses int32/bool inputs to those ops, so they never see the others.
 */
export type FloatStorage = Float32Array | Float64Array;

/** The dtypes tsgrad supports, in PyTorch's promotion order (bool < int32 < float32 < float64). */
export const DTYPES: readonly DType[] = ['bool', 'int32', 'float32', 'float64'];

/** True for float32 and float64. */
export function isFloatingDtype(dtype: DType): dtype is FloatDType {
  return dtype === 'float32' || dtype === 'float64';
}

/** The bytes one element of `dtype` takes. */
export function bytesPerElement(dtype: DType): number {
  return dtype === 'float64' ? 8 : dtype === 'bool' ? 1 : 4;
}

/** A typed array of `dtype`: over `buffer` (ordinary or shared), or fresh and zeroed of a length. */
export function storageOf(dtype: DType, bufferOrSize: ArrayBufferLike | number): Storage {
  // One constructor call per case: TypeScript has no common overload for the four constructors.
  if (typeof bufferOrSize === 'number') {
    switch (dtype) {
      case 'float64': return new Float64Array(bufferOrSize);
      case 'float32': return new Float32Array(bufferOrSize);
      case 'int32': return new Int32Array(bufferOrSize);
      case 'bool': return new Uint8Array(bufferOrSize);
    }
  }
  switch (dtype) {
    case 'float64': return new Float64Array(bufferOrSize);
    case 'float32': return new Float32Array(bufferOrSize);
    case 'int32': return new Int32Array(bufferOrSize);
    case 'bool': return new Uint8Array(bufferOrSize);
  }
}
