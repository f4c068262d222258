/**
 * The shared-memory protocol between the calling thread and the pool's workers. Both sides import
 * this file, so the layout and the claiming loop are written once.
 *
 * A task is split into `nChunks` fixed chunks (fixed by the problem size, never by the thread
 * count). Every participant — the calling thread (participant 0) and each worker (1, 2, …) —
 * claims chunks one at a time from a shared counter, computes a chunk into its OWN result region,
 * then marks the chunk done with its participant number. The caller merges the chunk results in
 * chunk order from whichever region holds them, so the result does not depend on how many threads
 * took part or which thread computed which chunk: it is bitwise the same for 1, 2 or 16 threads.
 *
 * Every word that a late thread could still touch carries a 16-bit tag of the task's epoch, and all
 * updates are compare-and-swap against the current tag: a worker that wakes up late, or that was
 * given up on and its chunk recomputed, cannot claim or complete a chunk of a newer task.
 */
import type { Backend } from '../backend.js';

// The words that threads poll or update often sit on separate 64-byte cache lines (16 words
// apart), so a worker spinning on the epoch does not slow the claims and completions of a task
// with cache-line traffic (false sharing).

/** Index (in the control Int32Array) of the task epoch that workers sleep on. */
export const CTL_EPOCH = 0;
/** Index of the claim word: (tag << 16) | next chunk to hand out. */
export const CTL_CLAIM = 16;
/** Index of the number of chunks finished (done or failed) in the current task. */
export const CTL_FINISHED = 32;
/** Index of the spin time (µs) before a waiting thread sleeps in Atomics.wait. */
export const CTL_SPIN = 48;
/** Index of the number of garbage collections the workers ran (shared-memory.ts; diagnostics). */
export const CTL_WORKER_GCS = 49;
/** Words in the control array before the per-chunk state table starts. */
export const CTL_HEADER = 64;

/** Chunk state code (low 16 bits) of a chunk that threw: the caller recomputes it. */
export const CODE_FAILED = 0xffff;
/** At most this many chunks per task: the claim word keeps the chunk index in 16 bits. */
export const MAX_CHUNKS = 0xfff0;

/** The 16-bit tag of an epoch, shifted into the high half of a state word. */
export function tagOf(epoch: number): number {
  return (epoch & 0xffff) << 16;
}

/**
 * Runs one chunk: reads its inputs, writes its result into `out` from `outOffset`. `current`,
 * when given, tells whether the chunk is still this participant's to finish: false once the
 * calling thread has recomputed it (a worker that was descheduled too long). A chunk that writes
 * a task's output in place (pool.ts `inPlace`) checks it between pieces of its work and stops, so
 * that a late worker does not keep writing into an output the caller has already returned.
 */
export type ChunkFn = (chunk: number, out: Float64Array, outOffset: number, current?: () => boolean) => void;

/**
 * Claims chunks of the task tagged `tag` until none are left (or the task is over), running each
 * with `run` and writing into this participant's region of `results` (`regionSize` doubles per
 * participant, `resultSize` per chunk). A chunk that throws is marked failed so the caller can
 * recompute it; `onError` receives the error. Returns how many chunks this participant finished.
 */
export function claimChunks(
  ctl: Int32Array, tag: number, nChunks: number, participant: number,
  results: Float64Array, regionSize: number, resultSize: number,
  run: ChunkFn, onError: (chunk: number, error: unknown) => void,
): number {
  let finished = 0;
  const region = participant * regionSize;
  for (;;) {
    const claim = Atomics.load(ctl, CTL_CLAIM);
    if ((claim & 0xffff0000) !== (tag & 0xffff0000)) return finished; // a newer task began
    const chunk = claim & 0xffff;
    if (chunk >= nChunks) return finished;
    if (Atomics.compareExchange(ctl, CTL_CLAIM, claim, claim + 1) !== claim) continue;
    let code = participant + 1;
    try {
      run(chunk, results, region + chunk * resultSize, () => Atomics.load(ctl, CTL_HEADER + chunk) === tag);
    } catch (error) {
      code = CODE_FAILED;
      onError(chunk, error);
    }
    if (markChunk(ctl, tag, chunk, code)) finished++;
  }
}

/**
 * Moves a chunk from "pending" to `code` (done by participant code − 1, or failed) if it is still
 * pending in the task tagged `tag`, and counts it finished. False when someone else finished it
 * first or the task is over.
 */
export function markChunk(ctl: Int32Array, tag: number, chunk: number, code: number): boolean {
  const slot = CTL_HEADER + chunk;
  if (Atomics.compareExchange(ctl, slot, tag, tag | code) !== tag) return false;
  Atomics.add(ctl, CTL_FINISHED, 1);
  Atomics.notify(ctl, CTL_FINISHED);
  return true;
}

/** The message the calling thread posts to each worker for one task. */
export interface TaskMessage {
  epoch: number;
  /** The calling thread's kernel backend: the worker runs the same kernels (same bits). */
  backend: Backend;
  /** Name of the chunk task in the worker's registry (tasks.ts). */
  task: string;
  nChunks: number;
  resultSize: number;
  regionSize: number;
  /** The shared result regions, one per participant. */
  results: Float64Array;
  /** Task arguments: numbers and typed arrays on SharedArrayBuffer (shared, not copied). */
  args: readonly TaskArg[];
}

/** What a task may receive: plain numbers, number arrays, or typed arrays over shared memory. */
export type TaskArg = number | readonly number[] | Float32Array | Float64Array | Int32Array | Uint8Array | null;

/**
 * Builds a task's chunk function from its arguments; `participant` is 0 on the calling thread and
 * the worker's number on a worker. Registered by name in tasks.ts so workers can build it too.
 */
export type TaskFactory = (args: readonly TaskArg[], participant: number) => ChunkFn;

/** Reads argument `i` of a task as a number (throws a clear error otherwise). */
export function numberArg(args: readonly TaskArg[], i: number, task: string): number {
  const v = args[i];
  if (typeof v !== 'number') throw new Error(`parallel task '${task}': argument ${i} must be a number`);
  return v;
}

/** Reads argument `i` of a task as a float typed array (or null when `nullable`). */
export function arrayArg(args: readonly TaskArg[], i: number, task: string): Float32Array | Float64Array;
export function arrayArg(args: readonly TaskArg[], i: number, task: string, nullable: true): Float32Array | Float64Array | null;
export function arrayArg(args: readonly TaskArg[], i: number, task: string, nullable = false): Float32Array | Float64Array | null {
  const v = args[i];
  if (v instanceof Float32Array || v instanceof Float64Array) return v;
  if (v === null && nullable) return null;
  throw new Error(`parallel task '${task}': argument ${i} must be a Float32Array or Float64Array`);
}

/** Reads argument `i` of a task as an Int32Array (indices, e.g. max pooling's argmax). */
export function indexArg(args: readonly TaskArg[], i: number, task: string): Int32Array {
  const v = args[i];
  if (v instanceof Int32Array) return v;
  throw new Error(`parallel task '${task}': argument ${i} must be an Int32Array`);
}

/**
 * Reads argument `i` of a task as a record of numbers sent as an array in the order of `keys` (a
 * kernel's geometry, say): `what` names it in the error when the array does not fit.
 */
export function recordArg<K extends string>(args: readonly TaskArg[], i: number, task: string, keys: readonly K[], what: string): Record<K, number> {
  const values = args[i];
  if (!Array.isArray(values) || values.length !== keys.length || values.some((v) => typeof v !== 'number')) {
    throw new Error(`parallel task '${task}': argument ${i} must be ${what} of ${keys.length} numbers`);
  }
  const out = {} as Record<K, number>;
  keys.forEach((key, k) => { out[key] = values[k] as number; });
  return out;
}
