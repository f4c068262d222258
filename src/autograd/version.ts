// Version counters for in-place writes (PyTorch's rule). Every in-place write to a tensor's storage
// bumps one counter shared by all views of that storage; a graph node remembers the versions of the
// tensors its backward will read, and backward throws if any changed since the forward — otherwise
// it would silently use the new values (an optimizer step between forward and backward, say).
import type { NDArray } from '../tensor/ndarray.js';

/** Keyed by the typed array itself: views share it (`t.narrow(…).array.data === t.array.data`). */
const versions = new WeakMap<object, number>();

/** How many in-place writes the storage of `a` has seen (0 for a fresh array). */
export function storageVersion(a: NDArray): number {
  return versions.get(a.data) ?? 0;
}

/** Records one in-place write to the storage of `a` (and so of every view of it). */
export function bumpStorageVersion(a: NDArray): void {
  versions.set(a.data, (versions.get(a.data) ?? 0) + 1);
}
