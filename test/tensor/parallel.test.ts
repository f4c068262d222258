/**
 * The worker pool (src/tensor/parallel): results bitwise identical for 1, 2 and 4 threads (and
 * to the serial path), workers actually taking part, a worker that throws or dies mid-task (the
 * calling thread recomputes its chunk: the right answer, no hang, later calls still work), and a
 * script using the pool exiting by itself (child process). No timing is asserted anywhere.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { channelGradSums, channelSum, channelSums } from '../../src/tensor/kernels/channel-reduce.js';
import {
  PARALLEL_MIN_ELEMENTS, poolInfo, poolWorkersForTest, runChunks, setNumThreads, warmUpPool,
} from '../../src/tensor/parallel/pool.js';
import { debugFaultTask } from '../../src/tensor/parallel/tasks.js';
import { untilWorkerTakesPart } from '../helpers/pool-participation.js';

/** A shared Float32Array of `size` deterministic values with a per-channel offset. */
function sharedInput(size: number, seed: number): Float32Array {
  const x = new Float32Array(new SharedArrayBuffer(size * 4));
  for (let i = 0; i < size; i++) x[i] = Math.sin(i * 0.37 + seed) * 3 + (i % 5) * 0.25;
  return x;
}

/** Every result of the three channel reductions, flattened, for bitwise comparison. */
function allSums(x: Float32Array, g: Float32Array, shape: number[], mean: Float64Array): number[] {
  const a = channelSum(x, 0, shape);
  const b = channelSums(x, 0, shape, mean);
  const c = channelGradSums(g, 0, x, 0, shape, mean);
  return [...a, ...b.sum, ...b.sumSq, ...c.sumG, ...c.sumGX];
}

afterAll(() => setNumThreads(1));

describe('determinism across thread counts', () => {
  it('per-channel sums are bitwise the same for 1, 2 and 4 threads, with workers taking part', async () => {
    const shape = [16, 8, 64, 64]; // 524 288 elements, 16 chunks of 32 768
    const size = 16 * 8 * 64 * 64;
    expect(size).toBeGreaterThanOrEqual(PARALLEL_MIN_ELEMENTS);
    const x = sharedInput(size, 1);
    const g = sharedInput(size, 2);
    const mean = Float64Array.from({ length: 8 }, (_, c) => 0.5 + c * 0.1);

    setNumThreads(1);
    const serial = allSums(x, g, shape, mean);
    // The serial answer is right: float64 reference sums of channel 3 computed here.
    let s = 0;
    let q = 0;
    for (let n = 0; n < 16; n++) {
      for (let i = 0; i < 64 * 64; i++) {
        const v = x[(n * 8 + 3) * 4096 + i]!;
        s += v;
        q += (v - mean[3]!) ** 2;
      }
    }
    expect(serial[3]).toBeCloseTo(s, 6);
    expect(serial[8 + 8 + 3]).toBeCloseTo(q, 4);

    for (const threads of [2, 4]) {
      setNumThreads(threads);
      const info = await warmUpPool();
      expect(info.readyWorkers).toBe(threads - 1);
      let parallel: number[] = [];
      const tookPart = await untilWorkerTakesPart(() => {
        parallel = allSums(x, g, shape, mean);
        expect(parallel).toEqual(serial);
      });
      expect(tookPart, `workers computed chunks with ${threads} threads`).toBe(true);
      for (let i = 0; i < serial.length; i++) {
        if (!Object.is(parallel[i], serial[i])) throw new Error(`${threads} threads: value ${i} is ${parallel[i]}, serial gives ${serial[i]}`);
      }
    }
  });

  it('stays on the calling thread below the size threshold and for non-shared arrays', async () => {
    setNumThreads(2);
    await warmUpPool();
    const before = poolInfo().tasksRun;
    // Shapes [n, 8, 64, w] with w chosen so that the element count is a multiple of the threshold.
    const width = (elements: number, n: number): number => elements / (n * 8 * 64);
    const half = PARALLEL_MIN_ELEMENTS / 2;
    channelSums(sharedInput(half, 3), 0, [2, 8, 64, width(half, 2)]);
    const notShared = new Float32Array(PARALLEL_MIN_ELEMENTS * 2).fill(1);
    const w2 = width(PARALLEL_MIN_ELEMENTS * 2, 4);
    const r = channelSums(notShared, 0, [4, 8, 64, w2]);
    expect(Array.from(r.sum)).toEqual(new Array(8).fill(4 * 64 * w2));
    expect(poolInfo().tasksRun, 'no task went through the pool').toBe(before);
    // …while the same shared input at full size does.
    channelSums(sharedInput(PARALLEL_MIN_ELEMENTS, 4), 0, [4, 8, 64, width(PARALLEL_MIN_ELEMENTS, 4)]);
    expect(poolInfo().tasksRun).toBe(before + 1);
  });
});

describe('faults', () => {
  const chunks = 24;
  const busyMicroseconds = 300;

  /** Runs the debug task; returns its per-chunk results and how many chunks workers started. */
  function runDebug(mode: number, faultChunk: number): { values: number[]; workerChunks: number } {
    const counter = new Float64Array(new SharedArrayBuffer(8 * 8));
    const args = [counter, mode, faultChunk, busyMicroseconds];
    const { results, offsets } = runChunks('debug-fault', args, chunks, 1, debugFaultTask(args, 0));
    const values = Array.from(offsets, (o) => results[o]!);
    let workerChunks = 0;
    for (let p = 1; p < 8; p++) workerChunks += counter[p]!;
    return { values, workerChunks };
  }

  const expected = Array.from({ length: chunks }, (_, c) => 2 * c + 1);

  it('a worker that throws mid-task: its chunk is recomputed here, the result is right, later calls work', async () => {
    setNumThreads(2);
    await warmUpPool();
    let workerChunks = 0;
    const hit = await untilWorkerTakesPart(() => {
      const r = runDebug(1, -1); // every chunk a worker runs throws
      expect(r.values).toEqual(expected);
      workerChunks = r.workerChunks;
    }, { tookPart: () => workerChunks > 0 });
    expect(hit, 'a worker ran (and failed) a chunk').toBe(true);
    expect(poolInfo().workerErrors).toBeGreaterThan(0);
    expect(poolInfo().lastWorkerError).toMatch(/debug-fault: chunk \d+ fails on worker 1/);
    expect(runDebug(0, -1).values).toEqual(expected);
  });

  it('a worker that exits mid-task: no hang, the right result, and the pool replaces it', async () => {
    setNumThreads(2);
    await warmUpPool();
    let workerChunks = 0;
    const died = await untilWorkerTakesPart(() => {
      const r = runDebug(2, -1); // the first chunk a worker runs ends that worker
      expect(r.values).toEqual(expected);
      workerChunks = r.workerChunks;
    }, { tookPart: () => workerChunks > 0 });
    expect(died, 'a worker ran a chunk and exited').toBe(true);
    // Straight away (the exit not yet noticed by the pool) the calling thread does the work.
    expect(runDebug(0, -1).values).toEqual(expected);
    // Once the exit is seen, a replacement worker starts and takes part again.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const info = await warmUpPool();
    expect(info.readyWorkers).toBe(1);
    workerChunks = 0;
    const tookPart = await untilWorkerTakesPart(() => {
      const r = runDebug(0, -1);
      expect(r.values).toEqual(expected);
      workerChunks = r.workerChunks;
    }, { tookPart: () => workerChunks > 0 });
    expect(tookPart, 'the replacement worker computed chunks').toBe(true);
  });

  it('a worker terminated from outside: the next calls are right and the worker is replaced', async () => {
    setNumThreads(2);
    await warmUpPool();
    const [worker] = poolWorkersForTest();
    expect(worker).toBeDefined();
    await worker!.terminate();
    expect(runDebug(0, -1).values).toEqual(expected);
    const info = await warmUpPool();
    expect(info.readyWorkers).toBe(1);
    expect(poolWorkersForTest()[0]).not.toBe(worker);
    expect(runDebug(0, -1).values).toEqual(expected);
  });

  it('a worker that stalls past the steal: its late write never lands in a later task\'s results', async () => {
    setNumThreads(2);
    await warmUpPool();
    const pause = (ms: number): void => {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
    };
    let stalled = false;
    for (let t = 0; t < 40 && !stalled; t++) {
      // A task with many chunks first, so the pool's results buffer is big enough for the next two
      // (reused, not grown).
      const args0 = [new Float64Array(new SharedArrayBuffer(8 * 8)), 0, -1, 0];
      runChunks('debug-fault', args0, 64, 1, debugFaultTask(args0, 0));
      // Task 1: 2 chunks; a worker's chunk stalls 150 ms, so the calling thread takes it over
      // (after STEAL_MIN_MS) and returns while the worker is still in it.
      const counter = new Float64Array(new SharedArrayBuffer(8 * 8));
      const args1 = [counter, 4, -1, 150_000];
      const r1 = runChunks('debug-fault', args1, 2, 1, debugFaultTask(args1, 0));
      expect(Array.from(r1.offsets, (o) => r1.results[o]!)).toEqual([1, 3]);
      stalled = counter[1]! > 0;
      // Task 2 at once, with another region size: 8 chunks of one value, all done here (the
      // worker is busy). Its calling-thread region, values 0…7, covers where the stalled worker
      // of task 1 writes (its region starts at 2). Read after that write: results stay valid
      // until the next task.
      const args2 = [new Float64Array(new SharedArrayBuffer(8 * 8)), 0, -1, 0];
      const r2 = runChunks('debug-fault', args2, 8, 1, debugFaultTask(args2, 0));
      pause(stalled ? 250 : 0);
      expect(Array.from(r2.offsets, (o) => r2.results[o]!), `round ${t}`).toEqual([1, 3, 5, 7, 9, 11, 13, 15]);
    }
    expect(stalled, 'a worker took a chunk and stalled in it').toBe(true);
  });

  it('a chunk that fails everywhere throws a clear error naming the task; the pool still works after', async () => {
    setNumThreads(2);
    await warmUpPool();
    expect(() => runDebug(3, 5)).toThrow(/debug-fault.*chunk 5 always fails/);
    expect(runDebug(0, -1).values).toEqual(expected);
  });
});

describe('process lifetime and configuration', () => {
  const childScript = fileURLToPath(new URL('./parallel-child.ts', import.meta.url));
  const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');

  function runChild(env: Record<string, string>): { status: number | null; signal: string | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [tsxCli, childScript], {
      env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000,
    });
    return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
  }

  it('a script that used the pool exits by itself; TSGRAD_NUM_THREADS sets the thread count', () => {
    const r = runChild({ TSGRAD_NUM_THREADS: '3' });
    expect(r.signal, `killed (it did not exit by itself); stderr: ${r.stderr}`).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { threads: number; readyWorkers: number; participants: number; sum0: number };
    expect(out.threads).toBe(3);
    expect(out.readyWorkers).toBe(2);
    expect(out.participants).toBeGreaterThan(1);
    // Channel 0: 4 samples × 4096 values of (i % 7) − 3 at i = n·8·4096 + j.
    let expectedSum = 0;
    for (let n = 0; n < 4; n++) for (let j = 0; j < 4096; j++) expectedSum += ((n * 8 * 4096 + j) % 7) - 3;
    expect(out.sum0).toBe(expectedSum);
  });

  it('rejects an invalid TSGRAD_NUM_THREADS and setNumThreads argument with clear errors', () => {
    const r = runChild({ TSGRAD_NUM_THREADS: 'many' });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/TSGRAD_NUM_THREADS must be a positive integer, got \\"many\\"/);
    expect(() => setNumThreads(0)).toThrow(/setNumThreads: expected a positive integer, got 0/);
    expect(() => setNumThreads(1.5)).toThrow(/setNumThreads/);
  });
});
