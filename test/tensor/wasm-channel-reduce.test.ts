/**
 * The emitted per-channel sums (src/tensor/wasm/channel-reduce.ts) against the JS reference
 * (kernels/channel-reduce.ts on the 'js' backend): channelSum (its eight-accumulator plane sums,
 * walked downwards), channelSums (with a shift and without) and channelGradSums (with a mean and
 * without) bitwise the same for float32 on seeded random shapes —
 * planes not a multiple of 4 (the odd last elements go to accumulator 0), planes bigger than a
 * chunk, chunks of several samples, of one sample and some channels, and chunks too big for the
 * wasm regions (the JS fallback) — read at offsets, with NaN, ±∞ and −0 inputs. Thread-count
 * determinism of these sums: test/tensor/channel-reduce.test.ts and test/norm on both backends.
 */
import { afterAll, describe, it } from 'vitest';
import { getBackend, setBackend } from '../../src/index.js';
import { channelGradSums, channelSum, channelSums } from '../../src/tensor/kernels/channel-reduce.js';
import { expectBitwise, makeRandom } from '../helpers/random.js';

const savedBackend = getBackend();
afterAll(() => setBackend(savedBackend));

function float32Values(size: number, rnd: () => number): Float32Array {
  const special = [Number.NaN, Infinity, -Infinity, -0];
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rnd() < 0.001 ? special[Math.floor(rnd() * special.length)]! : rnd() * 4 - 1;
  return out;
}

describe('wasm channel sums', () => {
  it('channelSum, channelSums and channelGradSums are bitwise the JS kernels\' (float32, shapes, offsets)', () => {
    const rnd = makeRandom(31);
    const shapes: number[][] = [
      [32, 8, 784], [32, 16, 196], [3, 5, 7], [2, 3, 1], [1, 1, 3], [4, 2, 70001], [7, 3, 4098], [5, 40000, 1], [2, 9, 13, 11],
      [1, 1, 300000], [3, 2000, 9], [1, 5000, 3],
    ];
    for (let t = 0; t < 10; t++) shapes.push([1 + Math.floor(rnd() * 9), 1 + Math.floor(rnd() * 20), 1 + Math.floor(rnd() * 3000)]);
    for (const shape of shapes) {
      const size = shape.reduce((a, b) => a * b, 1);
      const c = shape[1]!;
      const [xOff, gOff] = [Math.floor(rnd() * 5), Math.floor(rnd() * 5)];
      const x = float32Values(xOff + size, rnd);
      const g = float32Values(gOff + size, rnd);
      const shift = Float64Array.from({ length: c }, () => rnd() * 2 - 1);
      const run = (backend: 'js' | 'wasm'): Float64Array[] => {
        setBackend(backend);
        const withShift = channelSums(x, xOff, shape, shift);
        const plain = channelSums(x, xOff, shape, null);
        const withMean = channelGradSums(g, gOff, x, xOff, shape, shift);
        const noMean = channelGradSums(g, gOff, x, xOff, shape, null);
        const sumOnly = channelSum(x, xOff, shape);
        return [withShift.sum, withShift.sumSq, plain.sum, plain.sumSq, withMean.sumG, withMean.sumGX, noMean.sumG, noMean.sumGX, sumOnly];
      };
      const js = run('js');
      const wasm = run('wasm');
      js.forEach((expected, k) => expectBitwise(wasm[k]!, expected, `sum ${k} of shape [${shape.join(', ')}]`));
    }
  });
});
