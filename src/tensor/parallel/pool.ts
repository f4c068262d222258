/**
 * The worker_threads pool under the kernels, with a synchronous API.
 *
 * How a parallel kernel call runs (see protocol.ts for the shared-memory layout):
 * 1. The calling thread posts the task (name, arguments, shared typed arrays) to every worker's
 *    MessagePort, then bumps the epoch word and `Atomics.notify`s the sleeping workers.
 * 2. It then claims and computes chunks itself, like any worker: the caller never idles while
 *    there is work, and a worker that is slow to wake (or still starting) simply gets fewer chunks.
 * 3. When no chunk is left to claim it waits — a short bounded spin, then `Atomics.wait` with a
 *    timeout — for the chunks other threads claimed. A chunk not finished within a grace period
 *    (its worker died, hangs or is descheduled) is recomputed on the calling thread; a chunk that
 *    threw on a worker is recomputed on the calling thread too, so a worker fault gives either
 *    the correct result or the calling thread's own clear error — never a hang or a wrong answer.
 * 4. The kernel merges the chunk results in chunk order (bitwise identical for any thread count).
 *
 * Workers start lazily (on the first parallel call), are `unref`'d so they never keep a script
 * alive, and are replaced (again lazily) when they exit. Work smaller than
 * {@link PARALLEL_MIN_ELEMENTS}, or on arrays not backed by a SharedArrayBuffer (which a worker
 * cannot see without a copy), stays on the calling thread. Tensors big enough to be split are
 * allocated in shared memory (shared-memory.ts explains how that memory stays bounded).
 *
 * Worker entry (how workers load the kernels): from compiled JS (dist/) this file is `pool.js`
 * and the worker runs `worker.js` beside it. From the TypeScript sources (vitest, tsx) this file
 * is `pool.ts`; the worker then registers tsx's loader and imports `worker.ts` (see workerSpec; tsx
 * is a dev dependency, needed only when running the sources). Chosen by `import.meta.url`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { getBackend } from '../backend.js';
import { bytesPerElement, storageOf, type DType, type Storage } from '../storage-types.js';
import { formatValue } from '../shape.js';
import {
  CODE_FAILED, CTL_CLAIM, CTL_EPOCH, CTL_FINISHED, CTL_HEADER, CTL_SPIN, CTL_WORKER_GCS, MAX_CHUNKS, claimChunks, markChunk, tagOf,
  type ChunkFn, type TaskArg, type TaskMessage,
} from './protocol.js';

/**
 * Below this many elements of input a kernel runs on the calling thread (and, with 2+ threads,
 * below it tensors stay in ordinary memory). Measured (bench/README.md): a per-channel sum wins
 * on 2 threads from 64 K elements when tasks come back to back (1.31×), but a task posted to a
 * worker that has gone to sleep pays its ≈ 50–100 µs wake-up, which one thread spends reducing
 * ≈ 130 K elements. In training, tasks come every few hundred µs and the workers are still
 * spinning: the MNIST CNN step at batch 32 on 2 threads ran 3% faster with 64 K than with 128 K
 * (its second block's [32, 16, 14, 14] tensors then split too; 10.78/10.76 against 11.01/11.21 ms,
 * interleaved runs).
 */
export const PARALLEL_MIN_ELEMENTS = 65536;

/**
 * The same threshold on the wasm backend, whose kernels for these passes (relu, the norms' passes
 * and sums, max pooling: wasm/*.ts) run ≈ 1.5–2× the JS ones; the pool's chunks run them too (a
 * worker adopts the task's backend). Below this, one thread beats two: re-measured 2026-12-05
 * once the norms' chunks ran wasm (they had run the JS kernels), the MNIST CNN train step on 2
 * threads (`profile-train-step.ts --threads 2 --min-elements N`, two alternations, load ≈ 1):
 * 6.08–6.60 ms with 64 K, 5.98–6.32 with 128 K, 5.43–6.01 with 256 K, 5.48–5.55 with 512 K;
 * BatchNorm2d fwd+bwd on [8, 32, 64, 64] (1 M elements, ad-hoc script) on 2 threads 3.22–3.40 ms with wasm
 * chunks against 4.17–4.21 with JS ones (1 thread 3.88). The first measurement, 2026-12-05
 * (ad-hoc script, wasm backend, 2 threads with this threshold at 64 K against no split, and 1
 * thread; load 1.2–1.5; ms, two alternations): BatchNorm2d fwd+bwd [8,32,32,32] (256 K) 1.36–1.43
 * split against 1.15 not split (1 thread 0.96–1.01); at 1 M elements the split wins — BN
 * 3.57–4.07 against 4.16–4.54, relu fwd+bwd 1.23–1.66 against 2.55–2.72, max pool fwd+bwd
 * 1.44–1.98 against 1.85–2.63. The MNIST CNN train step (batch 32, largest tensor 200 K) on 2
 * threads: 6.73–7.18 ms with 64 K, 6.26–6.34 with 256 K, 5.71–6.00 with no split (1 thread
 * 6.70) — `bench/profile-train-step.ts --threads 2 --min-elements N`.
 */
export const PARALLEL_MIN_ELEMENTS_WASM = 1 << 19;

/**
 * How long a waiting thread spins (re-reading a shared word) before it sleeps in `Atomics.wait`:
 * a wake-up from `Atomics.wait` costs far more than from a spin (bench/README.md), so a short spin
 * catches back-to-back tasks and chunks that finish soon. Bounded: never spin forever.
 */
export const SPIN_MICROSECONDS = 50;

/** The calling thread recomputes a chunk that a worker has not finished after this long… */
const STEAL_MIN_MS = 5;
/**
 * …or, for a task whose chunks write the output in place, after this long. A worker given up on
 * may still be running (descheduled, not dead); it stops at its next check of the chunk's state
 * (protocol.ts ChunkFn `current`), but could still finish the piece it is in, writing the values
 * the caller computed into an output the caller may have returned. Waiting long makes that
 * unlikely on top. A worker that died costs this delay once.
 */
const STEAL_IN_PLACE_MS = 1000;
/** …or after this many times the calling thread's own average time per chunk, if longer. */
const STEAL_CHUNK_FACTOR = 20;
/** Give up on starting workers after this many in a row exit before becoming ready. */
const MAX_START_FAILURES = 3;

let requestedThreads: number | null = null;
/** An override of the per-backend threshold ({@link setParallelMinElements}), or null. */
let parallelMinElementsOverride: number | null = null;

/**
 * Overrides {@link PARALLEL_MIN_ELEMENTS} and {@link PARALLEL_MIN_ELEMENTS_WASM} (on both
 * backends), for measuring where parallel starts to pay (bench/measure-pool.ts) and for tests;
 * `null` restores the per-backend defaults.
 *
 * @example
 * ```ts
 * setParallelMinElements(0); // split even tiny work (slower; for measurements)
 * setParallelMinElements(null); // back to the defaults
 * ```
 */
export function setParallelMinElements(n: number | null): void {
  if (n !== null && !(n >= 0)) throw new Error(`setParallelMinElements: expected a number ≥ 0 or null, got ${n}`);
  parallelMinElementsOverride = n;
}

/**
 * The elements a pass needs to go over the pool on the current backend (the override if set).
 *
 * @example
 * ```ts
 * parallelMinElements(); // 524 288 on the wasm backend, 65 536 on the js one
 * ```
 */
export function parallelMinElements(): number {
  return parallelMinElementsOverride ?? (getBackend() === 'wasm' ? PARALLEL_MIN_ELEMENTS_WASM : PARALLEL_MIN_ELEMENTS);
}

/** Whether this thread is one of the pool's workers (their kernels never dispatch further). */
let inPoolWorker = false;
/** Whether a task is running on this thread (a chunk that calls a kernel runs that kernel inline). */
let dispatching = false;

/** Marks the current thread as a pool worker: parallel dispatch then always runs inline. */
export function markPoolWorker(): void {
  inPoolWorker = true;
}

/** Whether the current thread is one of the pool's workers. */
export function isPoolWorker(): boolean {
  return inPoolWorker;
}

function defaultThreads(): number {
  const env = process.env['TSGRAD_NUM_THREADS'];
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1) {
      throw new Error(`TSGRAD_NUM_THREADS must be a positive integer, got ${JSON.stringify(env)}`);
    }
    return n;
  }
  return availableParallelism();
}

/**
 * Sets how many threads tsgrad's kernels use: the calling thread plus `n − 1` workers. The default
 * is the number of cores (`os.availableParallelism()`), or the `TSGRAD_NUM_THREADS` environment
 * variable when set. Results do not depend on it: kernels split work in fixed chunks merged in a
 * fixed order, so they are bitwise identical for any thread count.
 *
 * @example
 * ```ts
 * import { setNumThreads, getNumThreads } from 'tsgrad';
 * setNumThreads(1); // everything on the calling thread
 * getNumThreads();  // 1
 * ```
 */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`setNumThreads: expected a positive integer, got ${formatValue(n)}`);
  }
  requestedThreads = n;
  // Workers beyond the new count are stopped; their participant numbers are reused only after
  // they have exited.
  for (let id = n; id < slots.length; id++) {
    const slot = slots[id];
    if (slot !== undefined && slot !== null && slot.state !== 'exiting') {
      slot.state = 'exiting';
      void slot.worker.terminate();
    }
  }
}

/**
 * The number of threads tsgrad's kernels use (the calling thread included).
 *
 * @example
 * ```ts
 * import { getNumThreads } from 'tsgrad';
 * getNumThreads(); // e.g. 8 on an 8-core machine, or TSGRAD_NUM_THREADS
 * ```
 */
export function getNumThreads(): number {
  if (requestedThreads === null) requestedThreads = defaultThreads();
  return requestedThreads;
}

/** True when `a` lives in a SharedArrayBuffer, i.e. a worker can read it without a copy. */
export function isShared(a: ArrayBufferView): boolean {
  return a.buffer instanceof SharedArrayBuffer;
}

/**
 * Whether a kernel over `elements` input elements should go parallel: more than one thread,
 * enough work, called from outside the pool, and every big array in shared memory.
 */
export function shouldParallelize(elements: number, ...arrays: ArrayBufferView[]): boolean {
  if (elements < parallelMinElements() || !poolAvailable()) return false;
  for (const a of arrays) if (!isShared(a)) return false;
  return true;
}

/**
 * Whether a task may be dispatched now: more than one thread, called from outside the pool and
 * outside another task, and the workers not given up on. Kernels with their own size rule (GEMM)
 * use this; the others use {@link shouldParallelize}.
 */
export function poolAvailable(): boolean {
  return !inPoolWorker && !dispatching && getNumThreads() >= 2 && startFailures < MAX_START_FAILURES;
}

// ---- the workers ---------------------------------------------------------------------------------

interface Slot {
  worker: Worker;
  port: MessagePort;
  state: 'starting' | 'ready' | 'exiting';
}

/** Workers by participant number (1…); index 0 is the calling thread and stays empty. */
const slots: (Slot | null | undefined)[] = [];
let control: Int32Array | null = null;
let results: Float64Array = new Float64Array(0);
let epoch = 0;
let startFailures = 0;
let workerErrors = 0;
let lastWorkerError = '';
/** Whether a worker started without access to its garbage collector (see shared-memory.ts). */
let workerWithoutGc = false;
/**
 * Set when the calling thread took over a chunk that a worker still held (waitOrSteal): the next
 * task allocates a fresh `results` buffer.
 */
let resultsAbandoned = false;
/** Which participant finished each chunk of the last task (0 = the calling thread). */
let lastOwners = new Int32Array(0);
/** How many tasks went through the pool, in all and by task name. */
let tasksRun = 0;
const tasksRunByName = new Map<string, number>();

function controlArray(): Int32Array {
  if (control === null) {
    control = new Int32Array(new SharedArrayBuffer((CTL_HEADER + MAX_CHUNKS) * 4));
    control[CTL_SPIN] = SPIN_MICROSECONDS;
  }
  return control;
}

/**
 * How to start a worker. From compiled JS (dist/): `worker.js` beside this file. From the
 * TypeScript sources (vitest, tsx): Node 20 cannot load `worker.ts` by itself and does not apply an
 * `--import` loader to a worker's entry, so the worker runs a two-line bootstrap that registers
 * tsx's ESM loader in the worker (tsx/esm/api `register()`) and then imports `worker.ts`.
 */
function workerSpec(): { entry: URL | string; eval: boolean } {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return { entry: new URL('./worker.js', here), eval: false };
  const target = new URL('./worker.ts', here).href;
  const tsxApi = tsxEsmApiUrl(here);
  const code = `import(${JSON.stringify(tsxApi)})`
    + `.then((tsx) => { tsx.register(); return import(${JSON.stringify(target)}); })`
    + `.catch((e) => { console.error('tsgrad worker failed to start:', e); process.exit(70); });`;
  return { entry: code, eval: true };
}

/** The file URL of tsx's ESM API module (its `./esm/api` export, import condition). */
function tsxEsmApiUrl(from: string): string {
  const require = createRequire(from);
  const pkgPath = require.resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return pathToFileURL(join(dirname(pkgPath), pkg.exports['./esm/api']!.import.default)).href;
}

function startWorker(id: number): void {
  const ctl = controlArray();
  const { port1, port2 } = new MessageChannel();
  const spec = workerSpec();
  const worker = new Worker(spec.entry, {
    eval: spec.eval,
    workerData: { ctl, port: port2, participant: id },
    transferList: [port2],
  });
  const slot: Slot = { worker, port: port1, state: 'starting' };
  slots[id] = slot;
  worker.on('message', (m: unknown) => {
    if ((m === 'ready' || m === 'ready-without-gc') && slot.state === 'starting') {
      slot.state = 'ready';
      startFailures = 0;
      // A worker that cannot run its garbage collector would keep every shared array it receives.
      if (m === 'ready-without-gc') workerWithoutGc = true;
    }
  });
  worker.on('error', (e: unknown) => {
    workerErrors++;
    lastWorkerError = e instanceof Error ? e.message : String(e);
  });
  worker.on('exit', () => {
    if (slot.state === 'starting') startFailures++;
    if (startFailures === MAX_START_FAILURES) {
      process.emitWarning(`tsgrad: worker threads failed to start ${MAX_START_FAILURES} times (${lastWorkerError}); kernels run on the calling thread`);
    }
    slot.state = 'exiting';
    if (slots[id] === slot) slots[id] = null;
    port1.close();
  });
  // After the listeners: adding a 'message' listener refs the worker again.
  worker.unref();
  port1.unref();
}

/** Starts any missing workers for the current thread count (they become useful once booted). */
function ensureWorkers(threads: number): void {
  if (startFailures >= MAX_START_FAILURES) return;
  for (let id = 1; id < threads; id++) {
    const slot = slots[id];
    if (slot === undefined || slot === null) startWorker(id);
  }
}

// ---- dispatch -----------------------------------------------------------------------------------

/** Options of {@link runChunks}. */
export interface RunOptions {
  /**
   * The chunks write the task's output array in place (disjoint parts of a fresh output, each a
   * pure function of inputs nothing modifies) instead of their result regions: recomputing a chunk
   * then writes the same values again. The calling thread waits longer before it recomputes a
   * chunk a worker holds (STEAL_IN_PLACE_MS).
   */
  inPlace?: boolean;
}

/** Where each chunk's result ended up: `results[offsets[chunk]…]`. Valid until the next task. */
export interface ChunkResults {
  results: Float64Array;
  offsets: Int32Array;
}

function now(): number {
  return performance.now();
}

/**
 * Runs `nChunks` chunks of a task over the pool and returns where each chunk's `resultSize`
 * doubles are. `task` names the chunk function in the workers' registry (tasks.ts); `run` is the
 * same function bound to the same `args` on this thread. Every typed array in `args` that is big
 * should be in shared memory (others are copied to each worker). Chunks write their result
 * regions, or, with `options.inPlace`, disjoint parts of a fresh output (see {@link RunOptions}).
 */
export function runChunks(
  task: string, args: readonly TaskArg[], nChunks: number, resultSize: number, run: ChunkFn, options: RunOptions = {},
): ChunkResults {
  if (!Number.isInteger(nChunks) || nChunks < 1 || nChunks > MAX_CHUNKS) {
    throw new Error(`parallel task '${task}': chunk count ${nChunks} must be between 1 and ${MAX_CHUNKS}`);
  }
  if (dispatching) throw new Error(`parallel task '${task}' started inside another parallel task`);
  dispatching = true;
  try {
    const inPlace = options.inPlace === true;
    return dispatch(task, args, nChunks, resultSize, run, inPlace ? STEAL_IN_PLACE_MS : STEAL_MIN_MS, inPlace);
  } finally {
    dispatching = false;
  }
}

function dispatch(
  task: string, args: readonly TaskArg[], nChunks: number, resultSize: number, run: ChunkFn, stealMinMs: number, inPlace: boolean,
): ChunkResults {
  const threads = getNumThreads();
  ensureWorkers(threads);
  const ctl = controlArray();
  const regionSize = nChunks * resultSize;
  if (resultsAbandoned || results.length < threads * regionSize) {
    results = new Float64Array(new SharedArrayBuffer(threads * regionSize * 8));
    resultsAbandoned = false;
  }
  epoch = epoch >= 0x3fffffff ? 1 : epoch + 1;
  const tag = tagOf(epoch);
  for (let c = 0; c < nChunks; c++) Atomics.store(ctl, CTL_HEADER + c, tag);
  Atomics.store(ctl, CTL_FINISHED, 0);
  const message: TaskMessage = { epoch, backend: getBackend(), task, nChunks, resultSize, regionSize, results, args };
  for (let id = 1; id < threads; id++) {
    const slot = slots[id];
    if (slot !== undefined && slot !== null && slot.state !== 'exiting') slot.port.postMessage(message);
  }
  Atomics.store(ctl, CTL_CLAIM, tag);
  Atomics.store(ctl, CTL_EPOCH, epoch);
  Atomics.notify(ctl, CTL_EPOCH);

  let firstError: unknown = null;
  const start = now();
  const mine = claimChunks(ctl, tag, nChunks, 0, results, regionSize, resultSize, run, (_c, e) => {
    firstError ??= e;
  });
  if (firstError !== null) throw firstError; // the calling thread's own error: the input is bad
  const perChunk = (now() - start) / Math.max(1, mine);
  waitOrSteal(ctl, tag, nChunks, resultSize, run, Math.max(stealMinMs, STEAL_CHUNK_FACTOR * perChunk), inPlace);
  recomputeFailed(ctl, tag, task, nChunks, resultSize, run);

  const offsets = new Int32Array(nChunks);
  const owners = new Int32Array(nChunks);
  for (let c = 0; c < nChunks; c++) {
    const participant = (Atomics.load(ctl, CTL_HEADER + c) & 0xffff) - 1;
    owners[c] = participant;
    offsets[c] = participant * regionSize + c * resultSize;
  }
  lastOwners = owners;
  tasksRun++;
  tasksRunByName.set(task, (tasksRunByName.get(task) ?? 0) + 1);
  return { results, offsets };
}

/**
 * In-place chunks recomputed here while a worker held them: that worker may still write into the
 * task's output after the task returned (the same values), so the output's buffer must never be
 * reused for another tensor once this is non-zero (shared-memory.ts, releaseStorage).
 */
let inPlaceSteals = 0;

/** How many in-place chunks the calling thread recomputed from a stalled worker (see above). */
export function inPlaceStealCount(): number {
  return inPlaceSteals;
}

/** Waits for the chunks other threads claimed; recomputes here those not done within `graceMs`. */
function waitOrSteal(ctl: Int32Array, tag: number, nChunks: number, resultSize: number, run: ChunkFn, graceMs: number, inPlace: boolean): void {
  const start = now();
  const spinUntil = start + Atomics.load(ctl, CTL_SPIN) / 1000;
  for (;;) {
    const finished = Atomics.load(ctl, CTL_FINISHED);
    if (finished >= nChunks) return;
    const t = now();
    if (t < spinUntil) continue;
    if (t - start >= graceMs) break;
    Atomics.wait(ctl, CTL_FINISHED, finished, Math.min(1, graceMs - (t - start)));
  }
  // Steal: compute every still-pending chunk here (participant 0). If its worker finishes first
  // after all, markChunk fails and that worker's copy (bitwise the same) is used instead.
  for (let c = 0; c < nChunks; c++) {
    if (Atomics.load(ctl, CTL_HEADER + c) !== tag) continue;
    if (inPlace) inPlaceSteals++;
    // The worker holding this chunk may still write its region of `results`, whose offsets depend
    // on this task's region size: in a later task with other sizes they could lie in another
    // participant's region. So later tasks get a fresh buffer; the late write lands in this one.
    resultsAbandoned = true;
    run(c, results, c * resultSize);
    markChunk(ctl, tag, c, 1);
  }
}

/** Recomputes on this thread the chunks that threw on a worker (throwing here if they throw again). */
function recomputeFailed(ctl: Int32Array, tag: number, task: string, nChunks: number, resultSize: number, run: ChunkFn): void {
  for (let c = 0; c < nChunks; c++) {
    if (Atomics.load(ctl, CTL_HEADER + c) !== (tag | CODE_FAILED)) continue;
    drainWorkerErrors();
    try {
      run(c, results, c * resultSize);
    } catch (e) {
      const detail = lastWorkerError === '' ? '' : ` (on a worker: ${lastWorkerError})`;
      const message = e instanceof Error ? e.message : String(e);
      throw new Error(`parallel task '${task}' failed on chunk ${c}: ${message}${detail}`, { cause: e });
    }
    Atomics.store(ctl, CTL_HEADER + c, tag | 1);
  }
}

/** Reads the error reports workers posted (synchronously: this thread may not reach its event loop). */
function drainWorkerErrors(): void {
  for (const slot of slots) {
    if (slot === undefined || slot === null) continue;
    for (let m = receiveMessageOnPort(slot.port); m !== undefined; m = receiveMessageOnPort(slot.port)) {
      const report = m.message as { error?: string };
      if (typeof report.error === 'string') {
        workerErrors++;
        lastWorkerError = report.error;
      }
    }
  }
}

/**
 * False once a worker reported that it cannot run its garbage collector: it would then keep alive
 * every shared array it is sent, so shared storage for tensors is switched off (shared-memory.ts).
 */
export function workersCanCollect(): boolean {
  return !workerWithoutGc;
}

/** Diagnostics for tests and the bench: how many workers are up, and what went wrong. */
export interface PoolInfo {
  threads: number;
  readyWorkers: number;
  startingWorkers: number;
  workerErrors: number;
  lastWorkerError: string;
  /** Which participant finished each chunk of the last parallel task (0 = the calling thread). */
  lastTaskOwners: number[];
  /** How many tasks have gone through the pool (kernels that stayed serial do not count). */
  tasksRun: number;
  /** The same, by task name ('gemm', 'conv2d-forward', …: parallel/tasks.ts). */
  tasksRunByName: Record<string, number>;
  /** How many garbage collections the workers ran to free the shared arrays they were sent. */
  workerCollections: number;
}

/**
 * The pool's current state (for tests, benchmarks and debugging).
 *
 * @example
 * ```ts
 * poolInfo().readyWorkers; // 0 before the first parallel kernel call
 * ```
 */
export function poolInfo(): PoolInfo {
  drainWorkerErrors();
  let ready = 0;
  let starting = 0;
  for (const slot of slots) {
    if (slot === undefined || slot === null) continue;
    if (slot.state === 'ready') ready++;
    else if (slot.state === 'starting') starting++;
  }
  return {
    threads: getNumThreads(), readyWorkers: ready, startingWorkers: starting, workerErrors, lastWorkerError,
    lastTaskOwners: Array.from(lastOwners),
    tasksRun,
    tasksRunByName: Object.fromEntries(tasksRunByName),
    workerCollections: control === null ? 0 : Atomics.load(control, CTL_WORKER_GCS),
  };
}

/**
 * Starts the workers now instead of at the first parallel call, and resolves once they are ready
 * (or after `timeoutMs`). Benchmarks and tests use it to measure steady-state speed.
 *
 * @example
 * ```ts
 * await warmUpPool(); // workers booted
 * ```
 */
export async function warmUpPool(timeoutMs = 10_000): Promise<PoolInfo> {
  const threads = getNumThreads();
  const deadline = now() + timeoutMs;
  for (;;) {
    ensureWorkers(threads); // again each time: a worker that was stopping may have exited since
    const info = poolInfo();
    if (info.readyWorkers >= threads - 1 || now() > deadline || startFailures >= MAX_START_FAILURES) return info;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Sets how long waiting threads spin before sleeping (default {@link SPIN_MICROSECONDS}); for
 * measuring the trade-off (bench/measure-pool.ts). 0 = always sleep at once.
 *
 * @example
 * ```ts
 * setSpinMicroseconds(0); // measure plain Atomics.wait/notify wake-ups
 * ```
 */
export function setSpinMicroseconds(us: number): void {
  if (!(us >= 0 && us <= 100_000)) throw new Error(`setSpinMicroseconds: expected 0…100000 µs, got ${us}`);
  Atomics.store(controlArray(), CTL_SPIN, Math.round(us));
}

/** The running workers, for fault-injection tests (terminating one must not break the pool). */
export function poolWorkersForTest(): Worker[] {
  const out: Worker[] = [];
  for (const slot of slots) if (slot !== undefined && slot !== null && slot.state !== 'exiting') out.push(slot.worker);
  return out;
}

/**
 * Zeroed storage in a SharedArrayBuffer, which the pool's workers read and write in place.
 *
 * @example
 * ```ts
 * const x = allocateShared('float32', 1 << 20); // a Float32Array over shared memory
 * ```
 */
export function allocateShared(dtype: DType, size: number): Storage {
  return storageOf(dtype, new SharedArrayBuffer(size * bytesPerElement(dtype)));
}
