/**
 * The chunk tasks a pool worker can run, by name. A kernel that goes parallel registers its task
 * factory here; the calling thread builds the same factory directly (pool.runChunks' `run`).
 */
import { affineRunsTask, gradientRunsTask } from '../kernels/affine-runs.js';
import { channelGradSumsTask, channelSumsTask } from '../kernels/channel-reduce.js';
import { convForwardTask, convInputGradTask, convWeightGradTask } from '../kernels/conv-parallel.js';
import { reluTask } from '../kernels/elementwise.js';
import { gemmTask } from '../kernels/gemm-parallel.js';
import { maxPoolBackwardTask, maxPoolForwardTask } from '../kernels/pool-parallel.js';
import { arrayArg, numberArg, type TaskFactory } from './protocol.js';

/**
 * Task 'debug-fault', for the pool's fault tests: args [counter, mode, faultChunk, busyMicroseconds].
 * Chunk i's one result is 2·i + 1, after a busy wait of `busyMicroseconds` (so that workers get a
 * share). When a worker (never the calling thread) runs chunk `faultChunk` (−1: any chunk) it
 * misbehaves by `mode`: 1 throws, 2 exits the worker thread (`process.exit` inside a worker ends
 * only that worker). Mode 3 throws on chunk `faultChunk` on every thread, the calling thread
 * included. Mode 4: a worker running chunk `faultChunk` busy-waits `busyMicroseconds`, then
 * writes its result as usual — a worker that stalls past the calling thread's patience — while
 * the calling thread's chunks take 2 ms. `counter`
 * (shared Float64Array) counts the chunks each participant started.
 */
export const debugFaultTask: TaskFactory = (args, participant) => {
  const name = 'debug-fault';
  const counter = arrayArg(args, 0, name);
  const mode = numberArg(args, 1, name);
  const faultChunk = numberArg(args, 2, name);
  const busyMs = numberArg(args, 3, name) / 1000;
  return (chunk, out, o) => {
    counter[participant] = counter[participant]! + 1;
    const hit = faultChunk === -1 || chunk === faultChunk;
    // Mode 4 stalls a worker's hit chunks (a descheduled worker); the calling thread's chunks take
    // 2 ms, long enough for a spinning worker to claim one.
    const waitMs = mode !== 4 ? busyMs : participant !== 0 && hit ? busyMs : participant === 0 ? 2 : 0;
    const until = performance.now() + waitMs;
    while (performance.now() < until) { /* busy: stand-in for real work */ }
    if (mode === 3 && hit) throw new Error(`debug-fault: chunk ${chunk} always fails`);
    if (participant !== 0 && hit && mode === 1) throw new Error(`debug-fault: chunk ${chunk} fails on worker ${participant}`);
    if (participant !== 0 && hit && mode === 2) process.exit(3);
    out[o] = 2 * chunk + 1;
  };
};

/** Every task by name. */
export const TASKS: Readonly<Record<string, TaskFactory>> = {
  'channel-sums': channelSumsTask,
  'channel-grad-sums': channelGradSumsTask,
  'gemm': gemmTask,
  'conv2d-forward': convForwardTask,
  'conv2d-input-grad': convInputGradTask,
  'conv2d-weight-grad': convWeightGradTask,
  'affine-runs': affineRunsTask,
  'relu': reluTask,
  'max-pool-2d': maxPoolForwardTask,
  'max-pool-2d-backward': maxPoolBackwardTask,
  'gradient-runs': gradientRunsTask,
  'debug-fault': debugFaultTask,
};
