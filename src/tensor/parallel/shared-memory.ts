/**
 * Storage for big tensors in shared memory, so that the pool's workers can read and write it in
 * place, with a bounded footprint.
 *
 * Why not simply `new SharedArrayBuffer` per tensor: V8 counts a SharedArrayBuffer's memory as 0
 * towards its garbage-collection heuristics (`BackingStore::PerIsolateAccountingLength()` returns
 * 0 for shared backing stores), so nothing makes it collect them. Allocating a fresh 8 MB shared
 * array per call grew RSS to 4.2 GB after 500 calls (bench/README.md), while the same loop with
 * ordinary arrays stayed flat. A worker that received a shared array in a task message holds it
 * too, until the worker's own (rare: it allocates almost nothing) garbage collection.
 *
 * Why not a recycling arena (free lists refilled by a FinalizationRegistry when a tensor is
 * collected): finalization callbacks run only when the event loop turns, never inside a
 * synchronous loop — measured: 0 of 2 000 collected arrays reported during a synchronous loop,
 * 1 854 one tick later — and a training loop is synchronous (the DataLoader is a plain iterator).
 * An arena would only grow during training. A scheme that frees storage explicitly (when the
 * engine drops a graph) would hand memory that a view, a `subarray` or user code still reads to a
 * new tensor: wrong results with no error.
 *
 * So big tensors get a fresh SharedArrayBuffer — reused only when the autograd engine hands back a
 * gradient buffer it made, consumed and passed to nothing else (releaseShared below), which it
 * knows for certain — and this module does the accounting V8 does not: after every {@link GC_PACE_BYTES} of shared allocation it runs
 * a young-generation collection (activations and gradients die young, so that frees nearly all the
 * shared garbage), and every {@link GC_FULL_EVERY}-th time a full one (tensors promoted before they
 * died). Workers run a collection after receiving GC_PACE_BYTES in task messages (worker.ts).
 * The collections are V8's own `gc` function, obtained through
 * `v8.setFlagsFromString('--expose-gc')` and a fresh `vm` context (what `node --expose-gc` gives a
 * script); if that is not possible — on the calling thread or on a worker — big tensors stay in
 * ordinary memory and the kernels on the calling thread.
 *
 * NOTE: V8 frees the array buffers a collection found dead only when the next collection starts
 * (measured: 80 MB of dead shared arrays still counted after one `gc()`, gone after a second). A
 * reading of memory right after a collection overstates what is alive, so schemes that skip a
 * collection when memory "looks low" misjudge it (measured: RSS 160–260 MB against 101–114 MB
 * for the fixed pace); the fixed pace bounds the garbage by itself.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { bytesPerElement, storageOf, type DType, type FloatStorage, type Storage } from '../storage-types.js';
import { PARALLEL_MIN_ELEMENTS, getNumThreads, inPlaceStealCount, isPoolWorker, isShared, workersCanCollect } from './pool.js';

/**
 * Tensors of at least this many elements live in shared memory (when more than one thread is
 * used): the pool's PARALLEL_MIN_ELEMENTS, since no kernel splits a smaller input, so a smaller
 * tensor in shared memory would only add to the collection pace.
 */
export const SHARED_MIN_ELEMENTS = PARALLEL_MIN_ELEMENTS;

/**
 * After every this many bytes of shared allocation, a young-generation collection; on workers,
 * after receiving this many bytes in task messages, a full one (worker.ts). Measured on the MNIST
 * CNN at batch 32 on 2 threads (bench/memory.ts, compiled JS, bench/README.md): 8 MB kept RSS at
 * 101–114 MB over 10 000 steps (1 thread: 103–111 MB), 16 MB at 200–214 MB (the freed memory is
 * not returned to the system, so RSS follows the peak of live + garbage). A collection costs
 * ≈ 0.5 ms whenever it runs (also right after a backward pass, measured).
 */
export const GC_PACE_BYTES = 8 * 1024 * 1024;

/** Every this many collections, a full one instead (for tensors promoted before they died). */
export const GC_FULL_EVERY = 8;

type GcFunction = (options?: { type?: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;

let gcFunction: GcFunction | null | undefined;

/**
 * V8's garbage-collection function, or null when it cannot be had: the global `gc` when the
 * process runs with `--expose-gc`, else the `gc` global of a `vm` context created after switching
 * `--expose-gc` on. The flag stays on, because the pool's workers obtain theirs the same way when
 * they start and switching it off in between would race with them; only new contexts see it (the
 * main context gains no `gc` global).
 */
export function obtainGc(): GcFunction | null {
  if (gcFunction !== undefined) return gcFunction;
  const existing = (globalThis as { gc?: unknown }).gc;
  if (typeof existing === 'function') {
    gcFunction = existing as GcFunction;
    return gcFunction;
  }
  try {
    setFlagsFromString('--expose-gc');
    const fn: unknown = runInNewContext('typeof gc === "function" ? gc : null');
    gcFunction = typeof fn === 'function' ? (fn as GcFunction) : null;
  } catch {
    gcFunction = null;
  }
  return gcFunction;
}

/** Whether big tensors go to shared memory (tests and the bench switch it off to compare). */
let enabled = true;

let sinceCollection = 0;
const stats = { allocations: 0, bytesAllocated: 0, reused: 0, collections: 0, fullCollections: 0, collectionMs: 0 };

/**
 * Turns shared storage for big tensors on or off (default on). Off, every tensor is ordinary
 * memory and the parallel kernels that need shared inputs run on the calling thread.
 *
 * @example
 * ```ts
 * setSharedStorage(false); // measure the calling thread alone
 * setSharedStorage(true);
 * ```
 */
export function setSharedStorage(on: boolean): void {
  enabled = on;
}

/**
 * One paced collection: young generation (activations and gradients live for one step, so
 * nearly all shared garbage is young), and every GC_FULL_EVERY-th time a full one.
 */
function collect(gc: GcFunction): void {
  const t = performance.now();
  const full = stats.collections % GC_FULL_EVERY === GC_FULL_EVERY - 1;
  gc({ type: full ? 'major' : 'minor' });
  stats.collections++;
  if (full) stats.fullCollections++;
  stats.collectionMs += performance.now() - t;
}

/** Whether shared storage can be handed out here now (and kept bounded). */
function canShare(): GcFunction | null {
  if (!enabled || getNumThreads() < 2 || isPoolWorker() || !workersCanCollect()) return null;
  return obtainGc();
}

/** A fresh SharedArrayBuffer of `bytes`, counted towards the collection pace. */
function pacedBuffer(gc: GcFunction, bytes: number): SharedArrayBuffer {
  sinceCollection += bytes;
  if (sinceCollection >= GC_PACE_BYTES) {
    sinceCollection = 0;
    collect(gc);
  }
  stats.allocations++;
  stats.bytesAllocated += bytes;
  return new SharedArrayBuffer(bytes);
}

/**
 * Zeroed storage of `size` elements in a fresh SharedArrayBuffer when it is big enough to be
 * split over threads (size ≥ `minElements`, by default {@link SHARED_MIN_ELEMENTS}; more than one
 * thread; called outside the pool's workers) and shared storage can be bounded here; otherwise
 * null (the caller allocates ordinary memory). A kernel that splits a big input over the pool
 * passes a smaller `minElements` for its smaller outputs (max pooling's output is a quarter of
 * its input).
 */
export function sharedStorage(dtype: DType, size: number, minElements = SHARED_MIN_ELEMENTS): Storage | null {
  if (size < minElements) return null;
  const gc = canShare();
  if (gc === null) return null;
  const bytes = size * bytesPerElement(dtype);
  const buffer = takeReleased(bytes) ?? pacedBuffer(gc, bytes);
  return storageOf(dtype, buffer);
}

// ---- reuse of released buffers --------------------------------------------------------------------
//
// A fresh SharedArrayBuffer costs its page faults: measured ≈ 100 µs per 800 KB in the MNIST CNN
// train step (0.85 ms of its 11.6 ms on 2 threads: the step ran at 10.7 ms with glibc told not to
// return freed memory to the system, MALLOC_TRIM_THRESHOLD_ and MALLOC_MMAP_THRESHOLD_), against
// ≈ 20 µs to zero a buffer that is already mapped. Storage cannot be reused when a tensor dies —
// nothing tells us synchronously (see the file comment) — but the autograd engine knows when an
// intermediate gradient it made has been consumed and is referred to by nothing else
// (engine.ts), and hands its buffer back here with {@link releaseStorage}; the next allocation of
// the same size takes it, zeroed.
//
// Ordinary (not shared) buffers cost the same page faults — a fresh zeroed 800 KB Float32Array
// measured 75–90 µs against 17 µs to copy 800 KB — so on one thread, where no storage is shared,
// the engine's released gradients are kept too, apart from the shared ones, and dtype.ts
// `allocate` takes them ({@link reusedStorage}). Measured on the MNIST CNN train step (batch 32,
// 1 thread, wasm backend, `bench/profile-train-step.ts --only train` with and without
// `--no-buffer-reuse`, alternated, load 2.0–2.3): 8.61 / 8.49 / 8.62 → 7.85 / 7.29 / 7.94 ms,
// CPU 11.1–11.7 → 8.2–9.9 ms; minor page faults of the run 53 734 → 39 770.

/** Released buffers by byte length, most recent last: shared ones, and ordinary ones. */
const released = new Map<number, SharedArrayBuffer[]>();
const releasedPlain = new Map<number, ArrayBuffer[]>();
/** Bytes kept in both lists together. */
let releasedBytes = 0;
/** Buffers smaller than this are not kept: fresh small ones cost little. */
const RELEASE_MIN_BYTES = 64 * 1024;
/** At most this many bytes of released buffers are kept (the rest is left to the collector). */
const RELEASE_MAX_BYTES = 32 * 1024 * 1024;
/** At most this many released buffers of one size. */
const RELEASE_MAX_PER_SIZE = 4;
/** Whether released buffers are kept for reuse at all (the bench switches it off to compare). */
let reuseEnabled = true;

/**
 * Turns the reuse of released gradient buffers ({@link releaseStorage}) on or off (default on),
 * shared and ordinary alike; switching it off drops the buffers kept so far.
 *
 * @example
 * ```ts
 * setBufferReuse(false); // every allocation fresh, to measure what reuse saves
 * setBufferReuse(true);
 * ```
 */
export function setBufferReuse(on: boolean): void {
  reuseEnabled = on;
  if (!on) {
    released.clear();
    releasedPlain.clear();
    releasedBytes = 0;
  }
}

/** A released buffer of `bytes` from `lists`, zeroed, or null. */
function takeFrom<B extends ArrayBufferLike>(lists: Map<number, B[]>, bytes: number): B | null {
  const buffer = lists.get(bytes)?.pop();
  if (buffer === undefined) return null;
  releasedBytes -= bytes;
  // Storage is handed out zeroed. Through 8-byte elements: filling a shared buffer byte by byte
  // measured 4× slower (105 against 26 µs for 800 KB).
  if (bytes % 8 === 0) new Float64Array(buffer).fill(0);
  else new Uint8Array(buffer).fill(0); // bool storage has any byte length
  stats.reused++;
  return buffer;
}

function takeReleased(bytes: number): SharedArrayBuffer | null {
  return takeFrom(released, bytes);
}

/** Keeps `buffer` in `lists` unless that would pass the bounds. */
function keep<B extends ArrayBufferLike>(lists: Map<number, B[]>, buffer: B): void {
  const bytes = buffer.byteLength;
  if (!reuseEnabled || bytes < RELEASE_MIN_BYTES || releasedBytes + bytes > RELEASE_MAX_BYTES) return;
  let list = lists.get(bytes);
  if (list === undefined) {
    list = [];
    lists.set(bytes, list);
  }
  if (list.length >= RELEASE_MAX_PER_SIZE || list.includes(buffer)) return;
  list.push(buffer);
  releasedBytes += bytes;
}

/**
 * Hands back the buffer of `storage` (shared or ordinary) for reuse by a later allocation of the
 * same size. The caller guarantees that nothing refers to the buffer any more — no tensor, view
 * or pending task: the autograd engine calls it for gradients it made, consumed and did not pass
 * on. Storage that is not a whole buffer, or small, is ignored.
 *
 * @example
 * ```ts
 * const g = sharedStorage('float32', 1 << 18); // with 2+ threads: shared
 * if (g !== null) releaseStorage(g); // the next sharedStorage('float32', 1 << 18) reuses it
 * ```
 */
export function releaseStorage(storage: Storage): void {
  const buffer = storage.buffer;
  if (storage.byteOffset !== 0 || storage.byteLength !== buffer.byteLength) return;
  if (!(buffer instanceof SharedArrayBuffer)) {
    keep(releasedPlain, buffer);
    return;
  }
  // A worker that was stalled during an in-place task may still write into that task's output
  // (pool.ts inPlaceStealCount): once that has happened, no shared buffer is reused again.
  if (inPlaceStealCount() > 0) return;
  keep(released, buffer);
}

/**
 * Zeroed ordinary storage of `size` elements in a released buffer of that size
 * ({@link releaseStorage}), or null when none is kept.
 *
 * @example
 * ```ts
 * const a = reusedStorage('float32', 1 << 18) ?? new Float32Array(1 << 18);
 * ```
 */
export function reusedStorage(dtype: DType, size: number): Storage | null {
  const buffer = takeFrom(releasedPlain, size * bytesPerElement(dtype));
  return buffer === null ? null : storageOf(dtype, buffer);
}

/**
 * `size` zeroed int32 values, in shared memory (counted like {@link sharedStorage}) when `shared`
 * and shared storage is possible, else ordinary memory: indices a parallel kernel writes (max
 * pooling's argmax).
 */
export function sharedIndices(size: number, shared: boolean): Int32Array {
  const gc = shared ? canShare() : null;
  return gc === null ? new Int32Array(size) : new Int32Array(pacedBuffer(gc, size * 4));
}

/** Counters of the shared storage: allocations, bytes, and the collections it forced. */
export interface SharedMemoryInfo {
  /** Fresh shared buffers allocated. */
  allocations: number;
  bytesAllocated: number;
  /** Allocations served by a released buffer instead ({@link releaseShared}). */
  reused: number;
  /** Collections run (young generation or, every GC_FULL_EVERY-th, full). */
  collections: number;
  fullCollections: number;
  /** Time spent in the forced collections. */
  collectionMs: number;
}

/**
 * How much shared storage was handed out and how many collections that took (for the bench and
 * tests).
 *
 * @example
 * ```ts
 * sharedMemoryInfo().allocations; // 0 until a big tensor is allocated with 2+ threads
 * ```
 */
export function sharedMemoryInfo(): SharedMemoryInfo {
  return { ...stats };
}

/** Shared scratch arrays for task operands that are not shared, one pair per role, grown when needed. */
const scratchByRole = new Map<string, { f32: Float32Array; f64: Float64Array }>();

/**
 * The `extent` elements of `x` from `offset` (an operand of a parallel task) as shared memory
 * whose element 0 is the operand's first element: a view of `x` itself when it is shared, else a
 * copy in the scratch array kept for `role`. Always read from 0: an operand that is a view (a
 * `narrow`ed batch, a slice of a weight or of a gradient) starts inside its storage, and a kernel
 * that kept the offset only for copied operands read shared ones from the start of their storage
 * (issue 11). Reads past `extent` find undefined (NaN), not a neighbour's values.
 *
 * The scratch is reused by the next call with the same role, so a kernel must finish its task
 * before it asks for the same role again; kernels use distinct roles ('gemm-a', 'conv-x', …). It
 * is never freed: it holds the largest operand seen for that role.
 *
 * @example
 * ```ts
 * const a = sharedOperand('example', new Float32Array([1, 2, 3]), 1, 2);
 * // a: a shared Float32Array holding [2, 3]
 * ```
 */
export function sharedOperand(role: string, x: Storage, offset: number, extent: number): FloatStorage {
  // The kernels that stage operands (gemm, conv, pooling) are float-only: applyOp refuses int/bool before.
  if (!(x instanceof Float32Array || x instanceof Float64Array)) throw new Error(`sharedOperand '${role}': only float32/float64 operands can be staged, got a ${x.constructor.name}`);
  if (isShared(x)) return x.subarray(offset, offset + extent);
  let s = scratchByRole.get(role);
  if (s === undefined) {
    s = { f32: new Float32Array(0), f64: new Float64Array(0) };
    scratchByRole.set(role, s);
  }
  let out: FloatStorage;
  if (x instanceof Float64Array) {
    if (s.f64.length < extent) s.f64 = new Float64Array(new SharedArrayBuffer(extent * 8));
    out = s.f64;
  } else {
    if (s.f32.length < extent) s.f32 = new Float32Array(new SharedArrayBuffer(extent * 4));
    out = s.f32;
  }
  out.set(x.subarray(offset, offset + extent));
  return out.subarray(0, extent);
}
