/**
 * A pool worker: sleeps on the epoch word, takes the task message posted for the new epoch,
 * claims and computes chunks with the same loop as the calling thread (protocol.ts), then spins
 * briefly and sleeps again. It never returns to its event loop while waiting, so task messages are
 * read synchronously with `receiveMessageOnPort`; it reports chunk errors on the same port.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { markPoolWorker } from './pool.js';
import { CTL_EPOCH, CTL_SPIN, claimChunks, tagOf, type ChunkFn, type TaskMessage } from './protocol.js';
import { TASKS } from './tasks.js';

interface WorkerSetup {
  ctl: Int32Array;
  port: MessagePort;
  participant: number;
}

const { ctl, port, participant } = workerData as WorkerSetup;
markPoolWorker();

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
  }
  return latest;
}

/** The worker's life: wait for a task, help with it, repeat (until terminated with the process). */
function serve(): never {
  let seen = Atomics.load(ctl, CTL_EPOCH);
  for (;;) {
    const epoch = nextEpoch(seen);
    seen = epoch;
    const task = latestMessage();
    if (task === undefined || task.epoch !== epoch) continue;
    const factory = TASKS[task.task];
    if (factory === undefined) {
      port.postMessage({ error: `unknown parallel task '${task.task}'` });
      continue;
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
      continue;
    }
    claimChunks(ctl, tagOf(epoch), task.nChunks, participant, task.results, task.regionSize, task.resultSize, run,
      (chunk, error) => report(`chunk ${chunk}`, error));
  }
}

parentPort?.postMessage('ready');
serve();
