import { gemmPacked } from '../src/tensor/kernels/gemm.js';
import { channelSums } from '../src/tensor/kernels/channel-reduce.js';
import { setNumThreads } from '../src/tensor/parallel/pool.js';
setNumThreads(1);
function med(xs: number[]) { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]!; }
const sz = 256;
const mk = (shared: boolean, n: number) => shared ? new Float32Array(new SharedArrayBuffer(n * 4)) : new Float32Array(n);
const res: Record<string, number[]> = {};
for (let round = 0; round < 6; round++) {
  for (const shared of [false, true]) {
    const a = mk(shared, sz * sz), b = mk(shared, sz * sz), c = mk(shared, sz * sz);
    for (let i = 0; i < a.length; i++) { a[i] = Math.sin(i); b[i] = Math.cos(i); }
    const t = performance.now();
    for (let q = 0; q < 10; q++) gemmPacked(sz, sz, sz, a, 0, sz, 1, b, 0, sz, 1, c, 0, sz);
    (res['gemm ' + shared] ??= []).push((performance.now() - t) / 10);
    const x = mk(shared, 8 * 32 * 1024); x.fill(1.5);
    const t2 = performance.now();
    for (let q = 0; q < 100; q++) channelSums(x, 0, [8, 32, 32, 32]);
    (res['csum ' + shared] ??= []).push((performance.now() - t2) / 100);
  }
}
for (const [k, v] of Object.entries(res)) console.log(k, med(v).toFixed(3), 'ms');
