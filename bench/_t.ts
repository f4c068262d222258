import { channelGradSums, channelSum, channelSums } from '../src/tensor/kernels/channel-reduce.js';
import { setNumThreads } from '../src/tensor/parallel/pool.js';
import { seededData } from './harness.js';
setNumThreads(1);
const size = 32 * 64 * 1024;
const x = seededData(size, 3), g = seededData(size, 4);
const shape = [32, 64, 32, 32];
const mean = new Float64Array(64).fill(0.1);
const variants: [string, number, () => void][] = [
  ['channelSum', 4 * size, () => channelSum(x, 0, shape)],
  ['channelSums (sum + centred squares)', 4 * size, () => channelSums(x, 0, shape, mean)],
  ['channelGradSums (reads g and x)', 8 * size, () => channelGradSums(g, 0, x, 0, shape, mean)],
];
for (let round = 0; round < 3; round++) for (const [name, bytes, f] of variants) {
  const ts: number[] = [];
  for (let r = 0; r < 100; r++) { const t = performance.now(); f(); ts.push(performance.now() - t); }
  ts.sort((a, b) => a - b);
  console.log(name.padEnd(38), (bytes / ts[50]! / 1e6).toFixed(2), 'GB/s median', (ts[50]!).toFixed(2), 'ms');
}
