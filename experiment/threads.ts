/** The thread count of tsgrad's kernels, set from `--threads` and recorded in the results. */
import { getNumThreads, setNumThreads } from '../src/index.js';

/** Applies `--threads` (null: tsgrad's default, the core count or TSGRAD_NUM_THREADS) and returns the count in use. */
export function applyThreads(requested: number | null): number {
  if (requested !== null) setNumThreads(requested);
  return getNumThreads();
}
