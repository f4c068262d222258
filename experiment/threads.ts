/**
 * The thread count of tsgrad's kernels, set from `--threads` and recorded in the results.
 * PENDING: tsgrad's worker pool (`setNumThreads`, `getNumThreads`) is not in src/index.ts yet;
 * until it is, the kernels run on the calling thread and this reports 1.
 */
export function applyThreads(requested: number | null): number {
  return requested ?? 1;
}
