/**
 * The thread count of tsgrad's kernels, set from `--threads` and recorded in the results.
 * NOTE: `setNumThreads`/`getNumThreads` are part of tsgrad's public contract (DESIGN.md) but not
 * yet exported by src/index.ts; switch this import to '../src/index.js' when they are.
 */
import { getNumThreads, setNumThreads } from '../src/tensor/parallel/pool.js';

/** Applies `--threads` (null: tsgrad's default, the core count or TSGRAD_NUM_THREADS) and returns the count in use. */
export function applyThreads(requested: number | null): number {
  if (requested !== null) setNumThreads(requested);
  return getNumThreads();
}
