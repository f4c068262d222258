/**
 * conv2d split over the pool by images (src/tensor/kernels/conv-parallel.ts): the output and all
 * three gradients are bitwise the same on 1, 2 and 4 threads — float32 and float64, the transposed
 * and the col2im input-gradient paths, stride 2, groups, a batch that is not a multiple of the
 * chunk size — with the workers taking part; the multi-chunk weight gradient matches a naive
 * reference (float64), and its float32 sums are bitwise the documented order (float32 partials on
 * the wasm backend, float64 on js, added in chunk order); a worker terminated mid-run changes nothing.
 * No timing is asserted.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { F, getBackend, setNumThreads, tensor, type Tensor } from '../../src/index.js';
import { conv2dGeometry, type Conv2dGeometry } from '../../src/tensor/kernels/conv.js';
import { CONV_PARALLEL_MIN_MACS, conv2dBackwardWeight } from '../../src/tensor/kernels/conv-parallel.js';
import { poolInfo, poolWorkersForTest, warmUpPool } from '../../src/tensor/parallel/pool.js';
import { forEachTap, naiveConv } from '../helpers/conv-reference.js';
import { untilWorkerTakesPart } from '../helpers/pool-participation.js';
import { expectBitwise, uniformValues } from '../helpers/random.js';

afterAll(() => setNumThreads(1));

interface ConvCase {
  n: number; cIn: number; cOut: number; h: number; w: number; k: number;
  stride: number; padding: number; groups: number; dtype: 'float32' | 'float64'; bias: boolean;
}

const cases: [string, ConvCase][] = [
  ['MNIST CNN conv 2 (transposed input gradient)', { n: 32, cIn: 8, cOut: 16, h: 14, w: 14, k: 3, stride: 1, padding: 1, groups: 1, dtype: 'float32', bias: true }],
  ['MNIST CNN conv 1 (col2im input gradient)', { n: 32, cIn: 1, cOut: 8, h: 28, w: 28, k: 3, stride: 1, padding: 1, groups: 1, dtype: 'float32', bias: true }],
  ['stride 2, float64, no bias, odd batch', { n: 9, cIn: 6, cOut: 24, h: 33, w: 29, k: 3, stride: 2, padding: 1, groups: 1, dtype: 'float64', bias: false }],
  ['groups 2, float32', { n: 5, cIn: 16, cOut: 16, h: 16, w: 16, k: 3, stride: 1, padding: 1, groups: 2, dtype: 'float32', bias: true }],
];

/** y, dx, dw and db (if any) of one forward + backward with a fixed upstream gradient. */
function convRun(c: ConvCase): { out: number[]; macs: number } {
  const x = tensor(uniformValues(c.n * c.cIn * c.h * c.w, 1), { shape: [c.n, c.cIn, c.h, c.w], dtype: c.dtype, requiresGrad: true });
  const weight = tensor(uniformValues(c.cOut * (c.cIn / c.groups) * c.k * c.k, 2), { shape: [c.cOut, c.cIn / c.groups, c.k, c.k], dtype: c.dtype, requiresGrad: true });
  const bias = c.bias ? tensor(uniformValues(c.cOut, 3), { shape: [c.cOut], dtype: c.dtype, requiresGrad: true }) : undefined;
  const y = F.conv2d(x, weight, bias, { stride: c.stride, padding: c.padding, groups: c.groups });
  const upstream = tensor(uniformValues(y.shape.reduce((a, b) => a * b, 1), 4), { shape: [...y.shape], dtype: c.dtype });
  y.backward(upstream);
  const parts: Tensor[] = [y, x.grad!, weight.grad!];
  if (bias !== undefined) parts.push(bias.grad!);
  const macs = c.cOut * (c.cIn / c.groups) * c.k * c.k * y.shape[2]! * y.shape[3]! * c.n;
  return { out: parts.flatMap((t) => Array.from(t.toArray())), macs };
}

describe('conv2d over the pool is bitwise the same on any thread count', () => {
  it.each(cases)('%s, on 1, 2 and 4 threads', async (_name, c) => {
    setNumThreads(1);
    const one = convRun(c);
    expect(one.macs, 'the case is big enough to go over the pool').toBeGreaterThanOrEqual(CONV_PARALLEL_MIN_MACS);
    for (const threads of [2, 4]) {
      setNumThreads(threads);
      await warmUpPool();
      const before = poolInfo().tasksRun;
      const tookPart = await untilWorkerTakesPart((r) => expectBitwise(convRun(c).out, one.out, `${threads} threads, run ${r}`));
      expect(poolInfo().tasksRun, 'the conv went through the pool').toBeGreaterThan(before);
      expect(tookPart, 'a worker computed images').toBe(true);
    }
  });

  it('a small conv stays on the calling thread', async () => {
    setNumThreads(2);
    await warmUpPool();
    const before = poolInfo().tasksRun;
    convRun({ n: 2, cIn: 2, cOut: 4, h: 8, w: 8, k: 3, stride: 1, padding: 1, groups: 1, dtype: 'float64', bias: true });
    expect(poolInfo().tasksRun).toBe(before);
  });
});

describe('the weight gradient summed per chunk of images', () => {
  it('matches the definition (a naive sum over images, taps and pixels) on 1 and 2 threads (float64)', async () => {
    const [n, cIn, cOut, h, w, k] = [40, 3, 5, 12, 10, 3];
    const g = conv2dGeometry([n, cIn, h, w], [cOut, cIn, k, k], { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 });
    const x = Float64Array.from(uniformValues(n * cIn * h * w, 7));
    const dy = Float64Array.from(uniformValues(n * cOut * h * w, 8));
    const reference = naiveConv(g, x, new Float64Array(cOut * cIn * k * k), dy, 0).dw;
    for (const threads of [1, 2]) {
      setNumThreads(threads);
      await warmUpPool();
      const dw = new Float64Array(reference.length).fill(0.5); // accumulates onto what is there
      conv2dBackwardWeight(g, x, 0, dy, 0, dw, 0);
      for (let i = 0; i < reference.length; i++) expect(dw[i]! - 0.5).toBeCloseTo(reference[i]!, 10);
    }
  });
});

/**
 * The weight gradient in the order conv-parallel.ts documents: images in chunks of `perChunk`; per
 * chunk a partial with, for each weight element, each image's products dy·x over the output pixels
 * summed in blocks of 256 pixels (the GEMM's k-blocks: each block from 0, then added onto the
 * partial), every operation rounded by `round`; the chunks' partials added in float64, in order;
 * then once onto `dw0`, rounded by `round`. Written from the definition (forEachTap), not from
 * the kernels.
 */
function chunkedWeightGrad(
  g: Conv2dGeometry, x: ArrayLike<number>, dy: ArrayLike<number>, dw0: number, perChunk: number, round: (v: number) => number,
): Float64Array {
  const pixels = g.outH * g.outW;
  const size = g.cOut * (g.cIn / g.groups) * g.kH * g.kW;
  // products[(n·size + wi)·pixels + p]: image n's product for weight element wi at output pixel p
  // (0 where the tap falls on padding: adding a zero changes no sum).
  const products = new Float64Array(g.n * size * pixels);
  forEachTap(g, (yi, xi, wi) => {
    const n = Math.floor(yi / (g.cOut * pixels));
    products[(n * size + wi) * pixels + (yi % pixels)] = round(dy[yi]! * x[xi]!);
  });
  const total = new Float64Array(size);
  for (let n0 = 0; n0 < g.n; n0 += perChunk) {
    const partial = new Float64Array(size);
    for (let n = n0; n < Math.min(g.n, n0 + perChunk); n++) {
      for (let wi = 0; wi < size; wi++) {
        for (let p0 = 0; p0 < pixels; p0 += 256) {
          let block = 0;
          for (let p = p0; p < Math.min(pixels, p0 + 256); p++) block = round(block + products[(n * size + wi) * pixels + p]!);
          partial[wi] = round(partial[wi]! + block);
        }
      }
    }
    for (let wi = 0; wi < size; wi++) total[wi] += partial[wi]!;
  }
  return total.map((t) => round(dw0 + t));
}

describe('the weight gradient of float32 operands, bitwise', () => {
  // 22 images of 5·3·9·480 = 64 800 multiply-adds: chunks of ⌈2¹⁸ / 64 800⌉ = 5 images (the file's
  // CHUNK_MACS), so 5 chunks, the last of 2; 480 pixels, so two k-blocks (256 + 224); 1.4 M
  // multiply-adds in all, enough for the pool (CONV_PARALLEL_MIN_MACS).
  const [n, cIn, cOut, h, w, k] = [22, 3, 5, 24, 20, 3];
  const g = conv2dGeometry([n, cIn, h, w], [cOut, cIn, k, k], { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 });
  const x = Float32Array.from(uniformValues(n * cIn * h * w, 17));
  const dy = Float32Array.from(uniformValues(n * cOut * h * w, 18));
  const inFloat32 = chunkedWeightGrad(g, x, dy, 0.5, 5, Math.fround);
  // float64 partials and sums; only the final addition onto the float32 dw rounds.
  const float64Partials = chunkedWeightGrad(g, x, dy, 0, 5, (v) => v).map((t) => Math.fround(0.5 + t));

  it('the two orders differ on these values (so the test tells them apart)', () => {
    expect(n * cOut * cIn * k * k * h * w).toBeGreaterThanOrEqual(CONV_PARALLEL_MIN_MACS);
    expect(Array.from(inFloat32).some((v, i) => v !== float64Partials[i])).toBe(true);
  });

  it(`sums each chunk in ${getBackend() === 'wasm' ? 'float32 (wasm backend)' : 'float64 (js backend)'} on 1, 2 and 4 threads`, async () => {
    const expected = getBackend() === 'wasm' ? inFloat32 : float64Partials;
    for (const threads of [1, 2, 4]) {
      setNumThreads(threads);
      await warmUpPool();
      const dw = new Float32Array(expected.length).fill(0.5); // accumulates onto what is there
      conv2dBackwardWeight(g, x, 0, dy, 0, dw, 0);
      expectBitwise(dw, expected, `${threads} threads`);
    }
  });
});

describe('faults during conv tasks', () => {
  it('a worker terminated while convs run: results stay bitwise right, and the pool recovers', async () => {
    const c = cases[0]![1];
    setNumThreads(1);
    const one = convRun(c).out;
    setNumThreads(2);
    await warmUpPool();
    const [worker] = poolWorkersForTest();
    expect(worker).toBeDefined();
    const stopped = worker!.terminate();
    for (let r = 0; r < 5; r++) expectBitwise(convRun(c).out, one, `run ${r} after terminate`);
    await stopped;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await warmUpPool()).readyWorkers).toBe(1);
    const tookPart = await untilWorkerTakesPart((r) => expectBitwise(convRun(c).out, one, `run ${r} with the replacement worker`));
    expect(tookPart, 'the replacement worker computed images').toBe(true);
  });
});
