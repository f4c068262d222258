import { channelSum } from '../src/tensor/kernels/channel-reduce.js';
import { allocateShared, setNumThreads, warmUpPool, poolInfo } from '../src/tensor/parallel/pool.js';
setNumThreads(Number(process.argv[2] ?? 2));
await warmUpPool();
const shape = [32, 64, 32, 32];
let helped = 0;
for (let i = 0; i < 600; i++) {
  const x = allocateShared('float32', 32 * 64 * 1024);
  x.fill(i);
  channelSum(x, 0, shape);
  if (poolInfo().lastTaskOwners.some((o) => o > 0)) helped++;
  if (i % 100 === 0) console.log(i, 'rss MB', (process.memoryUsage().rss / 1e6).toFixed(0), 'external', (process.memoryUsage().external / 1e6).toFixed(0), 'arrayBuffers', (process.memoryUsage().arrayBuffers / 1e6).toFixed(0));
}
console.log('helped', helped);
