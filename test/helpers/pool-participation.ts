// Waiting for a pool worker to take part in a task, for tests that assert that one did.
import { poolInfo } from '../../src/tensor/parallel/pool.js';

/** Whether a worker (participant > 0) computed at least one chunk of the pool's last task. */
export function workerTookPart(): boolean {
  return poolInfo().lastTaskOwners.some((p) => p > 0);
}

/**
 * Calls `run(attempt)` until `tookPart()` says a worker computed a chunk: at least `minRuns`
 * times and then until `deadlineMs` has passed, yielding to the event loop between runs. On a
 * loaded machine the calling thread can finish every chunk before a woken worker claims one, so
 * a fixed number of back-to-back runs made these tests fail now and then (conv-parallel.test.ts
 * under a full parallel test run). `run` does its own checks of the results on every attempt.
 * Returns whether a worker took part.
 */
export async function untilWorkerTakesPart(
  run: (attempt: number) => void,
  { tookPart = workerTookPart, minRuns = 20, deadlineMs = 10_000 }: { tookPart?: () => boolean; minRuns?: number; deadlineMs?: number } = {},
): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  for (let attempt = 0; attempt < minRuns || Date.now() < deadline; attempt++) {
    run(attempt);
    if (tookPart()) return true;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return false;
}
