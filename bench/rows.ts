/**
 * The rows of the benchmark table. Each row builds identical inputs (seeded) for tsgrad and for
 * each peer, and one run per implementation; bench/run.ts checks the outputs agree before timing.
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
  tolerance: 1e-5,
  async tsgrad() {
    const a = tensor(seededData(512 * 512, 1), { shape: [512, 512] });
    const b = tensor(seededData(512 * 512, 2), { shape: [512, 512] });
    return () => a.matmul(b).array.data;
  },
  peers: {
    'tfjs-cpu': async () => {
      const tf = await loadTfjsCpu();
      const a = tf.tensor2d(seededData(512 * 512, 1), [512, 512]);
      const b = tf.tensor2d(seededData(512 * 512, 2), [512, 512]);
      return () => {
        const c = tf.matMul(a, b);
        const out = c.dataSync();
        c.dispose();
        return out;
      };
    },
  },
};

/** Σx per channel over N, H, W of [32, 64, 32, 32] float32 (bytes read: 4 per element). */
const channelSum32: BenchRow = {
  name: 'per-channel sum over N,H,W, [32,64,32,32] float32 (kernel channelSum)',
  unit: 'GB/s',
  work: 32 * 64 * 32 * 32 * 4,
  target: '≥ 10 GB/s on 1 thread, ≥ 18 on 2',
  tolerance: 1e-5,
  async tsgrad() {
    const shape = [32, 64, 32, 32];
    // Shared memory, so the pool's workers read it in place.
    const x = allocateShared('float32', 32 * 64 * 32 * 32);
    x.set(seededData(x.length, 3));
    return () => channelSum(x, 0, shape);
  },
  peers: {
    'tfjs-cpu': async () => {
      const tf = await loadTfjsCpu();
      const x = tf.tensor4d(seededData(32 * 64 * 32 * 32, 3), [32, 64, 32, 32]);
      return () => {
        const s = tf.sum(x, [0, 2, 3]);
        const out = s.dataSync();
        s.dispose();
        return out;
      };
    },
  },
};

/** Every row, in table order. */
export const ROWS: readonly BenchRow[] = [matmul512, channelSum32];
