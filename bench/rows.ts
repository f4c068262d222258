/**
 * The rows of the benchmark table. Each row builds identical inputs for tsgrad and the peers and
 * returns one run per implementation (the harness checks the outputs agree before timing).
 * Rows for conv2d fwd+bwd, BatchNorm2d fwd+bwd, BKN and the MNIST CNN train step are added here
 * when those parts of tsgrad exist.
 */
import { tensor } from '../src/index.js';
import { channelSum } from '../src/tensor/kernels/channel-reduce.js';
import { allocateShared } from '../src/tensor/parallel/pool.js';
import { seededData, type BenchRow } from './harness.js';
import { loadTfjsCpu } from './peers.js';

/** C = A·B, 512×512 float32 (2·512³ flops). */
const matmul512: BenchRow = {
  name: 'matmul 512×512 float32',
  unit: 'GFLOP/s',
  work: 2 * 512 ** 3,
  target: '≥ 6.5 GFLOP/s on 1 thread, ≥ 12 on 2',
  async setup() {
    const n = 512;
    const aData = seededData(n * n, 1);
    const bData = seededData(n * n, 2);
    const a = tensor(aData, { shape: [n, n] });
    const b = tensor(bData, { shape: [n, n] });
    const tf = await loadTfjsCpu();
    const ta = tf.tensor2d(aData, [n, n]);
    const tb = tf.tensor2d(bData, [n, n]);
    return {
      tsgrad: () => a.matmul(b).array.data,
      peers: {
        'tfjs-cpu': () => {
          const c = tf.matMul(ta, tb);
          const out = c.dataSync();
          c.dispose();
          return out;
        },
      },
      tolerance: 1e-5,
    };
  },
};

/** Σx per channel over N, H, W of [32, 64, 32, 32] float32 (bytes read: 4 per element). */
const channelSum32: BenchRow = {
  name: 'per-channel sum over N,H,W, [32,64,32,32] float32 (kernel channelSum)',
  unit: 'GB/s',
  work: 32 * 64 * 32 * 32 * 4,
  target: '≥ 10 GB/s on 1 thread, ≥ 18 on 2',
  async setup() {
    const shape = [32, 64, 32, 32];
    const size = 32 * 64 * 32 * 32;
    const data = seededData(size, 3);
    // Shared memory, so the pool's workers read it in place (as tensors this big will live).
    const x = allocateShared('float32', size);
    x.set(data);
    const tf = await loadTfjsCpu();
    const tx = tf.tensor4d(data, [32, 64, 32, 32]);
    return {
      tsgrad: () => channelSum(x, 0, shape),
      peers: {
        'tfjs-cpu': () => {
          const s = tf.sum(tx, [0, 2, 3]);
          const out = s.dataSync();
          s.dispose();
          return out;
        },
      },
      tolerance: 1e-5,
    };
  },
};

/** Every row, in table order. */
export const ROWS: readonly BenchRow[] = [matmul512, channelSum32];
