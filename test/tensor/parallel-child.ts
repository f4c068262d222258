/**
 * Run as a child process by parallel.test.ts (not a test file itself): reports the thread count,
 * starts the pool, runs a parallel reduction and then simply ends — the test checks that the
 * process exits by itself (the workers must not keep it alive).
 */
import { channelSums } from '../../src/tensor/kernels/channel-reduce.js';
import { getNumThreads, poolInfo, warmUpPool } from '../../src/tensor/parallel/pool.js';

let threads: number;
try {
  threads = getNumThreads();
} catch (e) {
  console.log(JSON.stringify({ error: e instanceof Error ? e.message : String(e) }));
  process.exitCode = 2;
  throw e;
}
const info = await warmUpPool();
const shape = [4, 8, 64, 64];
const x = new Float32Array(new SharedArrayBuffer(4 * 8 * 64 * 64 * 4));
for (let i = 0; i < x.length; i++) x[i] = (i % 7) - 3;
let owners = new Set<number>();
for (let r = 0; r < 50 && owners.size < 2; r++) {
  channelSums(x, 0, shape);
  owners = new Set(poolInfo().lastTaskOwners);
}
const { sum } = channelSums(x, 0, shape);
console.log(JSON.stringify({ threads, readyWorkers: info.readyWorkers, participants: owners.size, sum0: sum[0] }));
