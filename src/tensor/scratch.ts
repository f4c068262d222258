// Per-thread scratch arrays that grow on demand: a kernel's temporary buffer kept between calls,
// since a fresh array per call costs an allocation and a zero fill (a fresh 16M-float output
// measured 2.2× slower than a reused one, issue 5). Each worker thread has its own copy of every
// module, hence its own scratch.
import type { FloatStorage as Storage } from './dtype.js';

/** Returns at least `size` elements of `like`'s element type; contents undefined. */
export type ScratchArray = (like: Storage, size: number) => Storage;

/**
 * A new scratch getter, with its own pair of arrays (float32 and float64), grown when a call needs
 * more. Callers must not keep the array past their call, nor use one getter for two buffers at once.
 *
 * @example
 * ```ts
 * const columns = scratchArrays();
 * const cols = columns(new Float32Array(1), 1024); // a Float32Array of ≥ 1024 elements
 * ```
 */
export function scratchArrays(): ScratchArray {
  let f32 = new Float32Array(0);
  let f64 = new Float64Array(0);
  return (like, size) => {
    if (like instanceof Float64Array) {
      if (f64.length < size) f64 = new Float64Array(size);
      return f64;
    }
    if (f32.length < size) f32 = new Float32Array(size);
    return f32;
  };
}
