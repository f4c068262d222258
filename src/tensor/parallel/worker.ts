/**
 * A pool worker: sleeps on the epoch word, takes the task message posted for the new epoch,
 * claims and computes chunks with the same loop as the calling thread (protocol.ts), then spins
 * briefly and sleeps again. It never returns to its event loop while waiting, so task messages are
 * read synchronously with `receiveMessageOnPort`; it reports chunk errors on the same port.
 *
 * Every task message holds the task's shared arrays, and the worker's copies of them keep their
 * memory alive until this thread's garbage collector frees them — which, in a thread that
 * allocates almost nothing, would be never (measured: 375 MB held in test/tensor/shared-memory's
 * loop). So after receiving GC_PACE_BYTES of shared arrays the worker runs a collection between
 * tasks (shared-memory.ts).
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { adoptBackend } from '../backend.js';
import { markPoolWorker } from './pool.js';
import { CTL_EPOCH, CTL_SPIN, CTL_WORKER_GCS, claimChunks, tagOf, type ChunkFn, type TaskArg, type TaskMessage } from './protocol.js';
import { GC_PACE_BYTES, obtainGc } from './shared-memory.js';
import { TASKS } from './tasks.js';

interface WorkerSetup {
  ctl: Int32Array;
  port: MessagePort;
  participant: number;
}

const { ctl, port, participant } = workerData as WorkerSetup;
markPoolWorker();
const gc = obtainGc();
/** Bytes of shared arrays received in task messages since the last collection. */
let received = 0;

/** Counts the shared arrays of a task's arguments towards the collection pace. */
function countShared(args: readonly TaskArg[]): void {
  for (const a of args) {
    if (a instanceof Float32Array || a instanceof Float64Array || a instanceof Int32Array || a instanceof Uint8Array) {
      if (a.buffer instanceof SharedArrayBuffer) received += a.buffer.byteLength;
    }
  }
}

/** Frees the shared arrays of past tasks once enough have come in (never while a task runs). */
function collectIfDue(): void {
  if (received < GC_PACE_BYTES || gc === null) return;
  received = 0;
  // A full collection: it frees old messages wherever they live (a young one misses any that were
  // promoted), and in this small heap costs ≈ 0.1 ms (measured). The arrays it finds dead are
  // freed when the next collection starts (shared-memory.ts), so at most 2 × GC_PACE_BYTES wait.
  gc({ type: 'major' });
  Atomics.add(ctl, CTL_WORKER_GCS, 1);
}

/** Waits until the epoch differs from `seen`: a bounded spin, then Atomics.wait. */
function nextEpoch(seen: number): number {
  const spinUntil = performance.now() + Atomics.load(ctl, CTL_SPIN) / 1000;
  for (;;) {
    const e = Atomics.load(ctl, CTL_EPOCH);
    if (e !== seen) return e;
    if (performance.now() >= spinUntil) break;
  }
  Atomics.wait(ctl, CTL_EPOCH, seen);
  return Atomics.load(ctl, CTL_EPOCH);
}

/** The newest message posted so far (older ones are for tasks that are already over). */
function latestMessage(): TaskMessage | undefined {
  let latest: TaskMessage | undefined;
  for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
    latest = m.message as TaskMessage;
    countShared(latest.args);
  }
  return latest;
}

/** Helps with the task of `epoch`, if its message is here. Its locals die when it returns. */
function helpWith(epoch: number): void {
  const task = latestMessage();
  if (task === undefined || task.epoch !== epoch) return;
  adoptBackend(task.backend);
  const factory = TASKS[task.task];
  if (factory === undefined) {
    port.postMessage({ error: `unknown parallel task '${task.task}'` });
    return;
  }
  const report = (what: string, error: unknown): void => {
    const text = error instanceof Error ? error.message : String(error);
    port.postMessage({ error: `task '${task.task}' ${what}: ${text}` });
  };
  let run: ChunkFn;
  try {
    run = factory(task.args, participant);
  } catch (error) {
    report('arguments', error); // claim nothing: the calling thread does the chunks
    return;
  }
  claimChunks(ctl, tagOf(epoch), task.nChunks, participant, task.results, task.regionSize, task.resultSize, run,
    (chunk, error) => report(`chunk ${chunk}`, error));
}

/** The worker's life: wait for a task, help with it, repeat (until terminated with the process). */
function serve(): never {
  let seen = Atomics.load(ctl, CTL_EPOCH);
  for (;;) {
    const epoch = nextEpoch(seen);
    seen = epoch;
    helpWith(epoch);
    collectIfDue(); // after the task, off the caller's critical path
  }
}

parentPort?.postMessage(gc === null ? 'ready-without-gc' : 'ready');
serve();
