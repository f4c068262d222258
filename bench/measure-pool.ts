/**
 * Measurements behind the pool's constants (bench/README.md): `npx tsx bench/measure-pool.ts`.
 *
 * A. Wake-up cost: a task of 2 chunks × 200 µs of busy work, on 2 threads. The calling thread
 *    takes one chunk; the task ends after ~200 µs plus however long the worker took to wake and
 *    claim the other. Measured with the workers spinning 0, 20, 50 or 200 µs before sleeping,
 *    for calls back to back and with 1 ms of calling-thread work between them (as in training,
 *    where other kernels run between two reductions).
 * B. Threshold: the per-channel sum on 1 and on 2 threads for inputs from 16 K to 4 M elements.
 */
import { channelSum } from '../src/tensor/kernels/channel-reduce.js';
import {
  SPIN_MICROSECONDS, allocateShared, runChunks, setNumThreads, setParallelMinElements, setSpinMicroseconds, warmUpPool,
} from '../src/tensor/parallel/pool.js';
import { debugFaultTask } from '../src/tensor/parallel/tasks.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* calling-thread work between tasks */ }
}

async function wakeUp(): Promise<void> {
  setNumThreads(2);
  await warmUpPool();
  const counter = new Float64Array(new SharedArrayBuffer(64));
  const args = [counter, 0, -2, 200];
  const run = debugFaultTask(args, 0);
  console.log('A. 2 chunks × 200 µs on 2 threads: median task time − 200 µs (≈ wake-up + claim), and how often the worker took a chunk');
  console.log('| spin before sleeping | back to back | after 1 ms of other work |');
  console.log('| --- | --- | --- |');
  for (const spin of [0, 20, 50, 200]) {
    setSpinMicroseconds(spin);
    const cells: string[] = [];
    for (const gap of [0, 1]) {
      const times: number[] = [];
      let helped = 0;
      for (let r = 0; r < 400; r++) {
        if (gap > 0) busy(gap);
        const before = counter[1]!;
        const t = performance.now();
        runChunks('debug-fault', args, 2, 1, run);
        times.push(performance.now() - t);
        if (counter[1]! > before) helped++;
      }
      cells.push(`${((median(times) - 0.2) * 1000).toFixed(1)} µs (worker helped ${((helped / 400) * 100).toFixed(0)}%)`);
    }
    console.log(`| ${spin} µs | ${cells.join(' | ')} |`);
  }
}

async function threshold(): Promise<void> {
  console.log('\nB. per-channel sum, float32 [N, 16, 32, 32]: median time on 1 and 2 threads');
  console.log('| elements | 1 thread | 2 threads | 2 t speed-up |');
  console.log('| --- | --- | --- | --- |');
  for (const n of [1, 2, 4, 8, 16, 32, 64, 128, 256]) {
    const shape = [n, 16, 32, 32];
    const size = n * 16 * 1024;
    const x = allocateShared('float32', size);
    for (let i = 0; i < size; i++) x[i] = Math.sin(i);
    const result: number[] = [];
    for (const threads of [1, 2]) {
      setNumThreads(threads);
      await warmUpPool();
      const times: number[] = [];
      const reps = Math.max(1, Math.round(2e6 / size));
      for (let r = 0; r < 60; r++) {
        busy(0.2);
        const t = performance.now();
        for (let k = 0; k < reps; k++) channelSum(x, 0, shape);
        times.push((performance.now() - t) / reps);
      }
      result.push(median(times));
    }
    console.log(`| ${size} | ${(result[0]! * 1000).toFixed(0)} µs | ${(result[1]! * 1000).toFixed(0)} µs | ${(result[0]! / result[1]!).toFixed(2)}× |`);
  }
}

await wakeUp();
setSpinMicroseconds(SPIN_MICROSECONDS);
setParallelMinElements(0);
await threshold();
setParallelMinElements(null);
setNumThreads(1);
