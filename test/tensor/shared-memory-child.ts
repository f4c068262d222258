/**
 * Run as a child process by shared-memory.test.ts (not a test file itself): on 2 threads, a
 * synchronous loop of `cycles` iterations, each allocating two [8, 32, 32, 32] float32 tensors' worth
 * of storage through `allocate` (shared memory), reducing them per channel over the pool (so the
 * worker receives them too) and dropping them. Prints the peak of Node's array-buffer memory
 * (shared arrays included) and counters as one JSON line.
 */
import { allocate } from '../../src/tensor/dtype.js';
import { channelSums } from '../../src/tensor/kernels/channel-reduce.js';
import { poolInfo, setNumThreads, warmUpPool } from '../../src/tensor/parallel/pool.js';
import { sharedMemoryInfo } from '../../src/tensor/parallel/shared-memory.js';

const cycles = Number(process.argv[2] ?? 1500);
setNumThreads(2);
await warmUpPool();
const shape = [8, 32, 32, 32];
const size = 8 * 32 * 32 * 32;
let peak = 0;
let shared = 0;
let check = 0;
for (let i = 0; i < cycles; i++) {
  const x = allocate('float32', size);
  const g = allocate('float32', size);
  if (x.buffer instanceof SharedArrayBuffer && g.buffer instanceof SharedArrayBuffer) shared++;
  x.fill(1);
  g[i % size] = 2;
  check += channelSums(x, 0, shape).sum[0]! + channelSums(g, 0, shape, null).sum[(i % size) >> 12]!;
  if (i % 25 === 0) peak = Math.max(peak, process.memoryUsage().arrayBuffers);
}
const info = sharedMemoryInfo();
console.log(JSON.stringify({ cycles, shared, peakArrayBuffers: peak, bytesAllocated: info.bytesAllocated, collections: info.collections, tasks: poolInfo().tasksRun, check }));
