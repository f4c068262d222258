import { channelSum } from '../src/tensor/kernels/channel-reduce.js';
import { seededData } from './harness.js';
import { allocateShared } from '../src/tensor/parallel/pool.js';
const x = process.argv[2] === 'sab' ? allocateShared('float32', 32 * 64 * 1024) : new Float32Array(32 * 64 * 1024);
x.set(seededData(32 * 64 * 1024, 3));
const shape = [32, 64, 32, 32];
for (let round = 0; round < 3; round++) {
  const ts: number[] = [];
  for (let r = 0; r < 200; r++) { const t = performance.now(); channelSum(x, 0, shape); ts.push(performance.now() - t); }
  ts.sort((a, b) => a - b);
  console.log('channelSum', (x.length * 4 / ts[100]! / 1e6).toFixed(2), 'GB/s median, best', (x.length * 4 / ts[0]! / 1e6).toFixed(2));
}
