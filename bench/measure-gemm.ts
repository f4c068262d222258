/**
 * Measurements behind the GEMM constants (bench/README.md): `npx tsx bench/measure-gemm.ts`.
 * Direct triple loop vs packed kernel on small and skinny products (float32, row-major), to place
 * GEMM_DIRECT_MAX_MACS; implementations are interleaved in rounds so machine noise hits both.
 */
import { gemmDirect, gemmPacked } from '../src/tensor/kernels/gemm.js';
import { seededData } from './harness.js';

const shapes: [number, number, number][] = [
  [2, 2, 2], [4, 4, 4], [6, 6, 6], [8, 8, 8], [12, 12, 12], [16, 16, 16], [32, 32, 32], [64, 64, 64],
  [1, 64, 64], [64, 1, 64], [1, 256, 256], [256, 1, 256], [2, 128, 784], [32, 10, 784], [8, 1024, 9], [16, 1024, 72],
];

type Kernel = typeof gemmPacked;

function measure(kernel: Kernel, m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array): number {
  const reps = Math.max(1, Math.round(2e6 / (m * n * k + m * k + k * n)));
  const times: number[] = [];
  for (let s = 0; s < 9; s++) {
    const t = performance.now();
    for (let r = 0; r < reps; r++) kernel(m, n, k, a, 0, k, 1, b, 0, n, 1, c, 0, n);
    times.push((performance.now() - t) / reps);
  }
  times.sort((x, y) => x - y);
  return times[4]!;
}

console.log('| m×n×k | MACs | direct | packed | packed speed-up |');
console.log('| --- | --- | --- | --- | --- |');
for (const [m, n, k] of shapes) {
  const a = seededData(m * k, 1);
  const b = seededData(k * n, 2);
  const c = new Float32Array(m * n);
  const direct: number[] = [];
  const packed: number[] = [];
  for (let round = 0; round < 3; round++) {
    direct.push(measure(gemmDirect, m, n, k, a, b, c));
    packed.push(measure(gemmPacked, m, n, k, a, b, c));
  }
  direct.sort((x, y) => x - y);
  packed.sort((x, y) => x - y);
  const d = direct[1]!;
  const p = packed[1]!;
  const us = (ms: number): string => (ms * 1000 < 10 ? (ms * 1000).toFixed(2) : (ms * 1000).toFixed(1));
  console.log(`| ${m}×${n}×${k} | ${m * n * k} | ${us(d)} µs | ${us(p)} µs | ${(d / p).toFixed(2)}× |`);
}
