/**
 * conv2d's three kernels alone (no autograd), 1 thread, on the MNIST CNN's two convs and the bench's
 * conv2d row: the forward, the input gradient and the weight gradient, median of 15 × 50 calls.
 *
 *   npx tsx bench/measure-conv-grads.ts            # all three
 *   npx tsx bench/measure-conv-grads.ts weight     # one of: forward, input, weight
 */
import { setNumThreads } from '../src/index.js';
import { conv2dGeometry } from '../src/tensor/kernels/conv.js';
import { conv2dBackwardInput, conv2dBackwardWeight, conv2dForward } from '../src/tensor/kernels/conv-parallel.js';

setNumThreads(1);
const only = process.argv[2];
const SHAPES: [string, number[], number[]][] = [
  ['MNIST CNN conv 1', [32, 1, 28, 28], [8, 1, 3, 3]],
  ['MNIST CNN conv 2', [32, 8, 14, 14], [16, 8, 3, 3]],
  ['bench conv2d row', [8, 16, 32, 32], [32, 16, 3, 3]],
];

function filled(size: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: size }, () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5);
}

function median(run: () => void): number {
  for (let i = 0; i < 200; i++) run();
  const times: number[] = [];
  for (let r = 0; r < 15; r++) {
    const t0 = performance.now();
    for (let i = 0; i < 50; i++) run();
    times.push((performance.now() - t0) / 50);
  }
  return times.sort((a, b) => a - b)[7]!;
}

for (const [name, xShape, wShape] of SHAPES) {
  const g = conv2dGeometry(xShape, wShape, { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 });
  const x = filled(xShape.reduce((a, b) => a * b), 1);
  const w = filled(wShape.reduce((a, b) => a * b), 2);
  const dy = filled(g.n * g.cOut * g.outH * g.outW, 3);
  const y = new Float32Array(dy.length);
  const dx = new Float32Array(x.length);
  const dw = new Float32Array(w.length);
  const kernels: [string, () => void][] = [
    ['forward', () => conv2dForward(g, x, 0, w, 0, null, 0, y, 0)],
    ['input', () => conv2dBackwardInput(g, dy, 0, w, 0, dx, 0)],
    ['weight', () => conv2dBackwardWeight(g, x, 0, dy, 0, dw, 0)],
  ];
  const cells = kernels.filter(([k]) => only === undefined || k === only).map(([k, run]) => `${k} ${(median(run) * 1000).toFixed(0)} µs`);
  console.log(`${name.padEnd(17)} x ${xShape.join('×')}, w ${wShape.join('×')}: ${cells.join(', ')}`);
}
