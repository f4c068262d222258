/**
 * Shared storage for big tensors (src/tensor/parallel/shared-memory.ts): which allocations are
 * shared, that values read back (`toArray`) are ordinary memory, and that memory stays bounded over
 * thousands of allocate/reduce/drop cycles in a synchronous loop with the worker pool reading every
 * tensor (a child process: with a fresh SharedArrayBuffer per tensor and nothing telling V8 to
 * collect them, this grew without bound). No timing is asserted.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { randn, setNumThreads, zeros } from '../../src/index.js';
import { allocate } from '../../src/tensor/dtype.js';
import { channelSums } from '../../src/tensor/kernels/channel-reduce.js';
import { poolInfo, warmUpPool } from '../../src/tensor/parallel/pool.js';
import { GC_PACE_BYTES, SHARED_MIN_ELEMENTS, setSharedStorage, sharedMemoryInfo } from '../../src/tensor/parallel/shared-memory.js';

const isSharedArray = (a: ArrayBufferView): boolean => a.buffer instanceof SharedArrayBuffer;

afterAll(() => {
  setNumThreads(1);
  setSharedStorage(true);
});

describe('which storage is shared', () => {
  it('big allocations with 2+ threads are shared; small ones, 1 thread, or storage switched off are not', () => {
    setNumThreads(2);
    const before = sharedMemoryInfo().allocations;
    expect(isSharedArray(allocate('float32', SHARED_MIN_ELEMENTS))).toBe(true);
    expect(isSharedArray(allocate('float64', SHARED_MIN_ELEMENTS + 5))).toBe(true);
    expect(isSharedArray(allocate('float32', SHARED_MIN_ELEMENTS - 1))).toBe(false);
    expect(sharedMemoryInfo().allocations - before).toBe(2);
    const big = allocate('float64', SHARED_MIN_ELEMENTS);
    expect(big).toBeInstanceOf(Float64Array);
    expect(big.length).toBe(SHARED_MIN_ELEMENTS);
    expect(big.every((v) => v === 0), 'zeroed').toBe(true);
    setSharedStorage(false);
    expect(isSharedArray(allocate('float32', SHARED_MIN_ELEMENTS))).toBe(false);
    setSharedStorage(true);
    setNumThreads(1);
    expect(isSharedArray(allocate('float32', SHARED_MIN_ELEMENTS))).toBe(false);
  });

  it('tensor results are shared when big (so kernels can split them), but toArray returns ordinary memory', async () => {
    setNumThreads(2);
    await warmUpPool();
    const x = randn([4, 8, 64, 64]);
    const y = x.mul(2).add(1);
    expect(isSharedArray(x.array.data)).toBe(true);
    expect(isSharedArray(y.array.data)).toBe(true);
    const values = y.toArray();
    expect(isSharedArray(values)).toBe(false);
    expect(values[5]).toBe(Math.fround(Math.fround(x.array.data[5]! * 2) + 1));
    expect(isSharedArray(zeros([3, 3]).array.data)).toBe(false);
    // A per-channel reduction of a tensor computed in training goes through the pool.
    const tasks = poolInfo().tasksRun;
    channelSums(y.array.data, 0, y.shape);
    expect(poolInfo().tasksRun).toBe(tasks + 1);
  });
});

describe('bounded memory', () => {
  const childScript = fileURLToPath(new URL('./shared-memory-child.ts', import.meta.url));
  const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');

  it('3 GB of shared tensors allocated, reduced on 2 threads and dropped in a synchronous loop: array-buffer memory stays bounded', () => {
    const r = spawnSync(process.execPath, [tsxCli, childScript, '1500'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      cycles: number; shared: number; peakArrayBuffers: number; bytesAllocated: number; collections: number; tasks: number;
    };
    expect(out.shared, 'every tensor was shared').toBe(1500);
    expect(out.tasks, 'both reductions of every cycle went through the pool').toBe(3000);
    expect(out.bytesAllocated).toBe(1500 * 2 * 8 * 32 * 32 * 32 * 4); // 3 GB in all
    expect(out.collections).toBeGreaterThan(0);
    // Live: 2 MB. Garbage: up to GC_PACE_BYTES (8 MB) between collections, as much again until the
    // next collection frees what the last one found, plus what the worker still holds between its
    // collections; measured 13 MB at the peak. Without the calling thread's collections this loop
    // reached 1.6 GB, without the worker's 375 MB.
    expect(out.peakArrayBuffers).toBeLessThan(16 * GC_PACE_BYTES);
  });
});
