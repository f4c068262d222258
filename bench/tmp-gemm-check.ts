import { gemm } from '../src/tensor/kernels/matmul.js';
import { gemmPacked } from '../src/tensor/kernels/gemm.js';
import { setNumThreads, warmUpPool, poolInfo } from '../src/tensor/parallel/pool.js';
import { allocate } from '../src/tensor/dtype.js';
function med(xs: number[]) { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]!; }
for (const threads of [1, 2]) {
  setNumThreads(threads);
  await warmUpPool();
  for (const sz of [64, 96, 128, 192, 256, 512]) {
    const a = allocate('float32', sz * sz), b = allocate('float32', sz * sz);
    for (let i = 0; i < a.length; i++) { a[i] = Math.sin(i); b[i] = Math.cos(i * 0.7); }
    const ref = new Float32Array(sz * sz); gemmPacked(sz, sz, sz, a, 0, sz, 1, b, 0, sz, 1, ref, 0, sz);
    const times: number[] = [];
    let c = allocate('float32', sz * sz);
    const reps = Math.max(1, Math.round(2e8 / sz ** 3));
    for (let r = 0; r < 15; r++) {
      const t = performance.now();
      for (let q = 0; q < reps; q++) { c = allocate('float32', sz * sz); gemm(sz, sz, sz, a, 0, sz, 1, b, 0, sz, 1, c, 0); }
      times.push((performance.now() - t) / reps);
    }
    let same = true; for (let i = 0; i < c.length; i++) if (!Object.is(c[i], ref[i])) { same = false; break; }
    console.log(threads, sz, (2 * sz ** 3 / med(times) / 1e6).toFixed(2), 'GFLOP/s', med(times).toFixed(3), 'ms', 'same', same, 'tasks', poolInfo().tasksRun);
  }
}
