/**
 * The emitted relu and relu-gradient kernels (src/tensor/wasm/relu.ts) against the JS reference
 * (kernels/elementwise.ts reluForward / reluBackward on the 'js' backend): bitwise the same on
 * ragged sizes (not multiples of the 4-word vector or the 16-word step, and across the
 * WASM_RELU_PIECE boundary), views read at an offset, float32 with −0, ±0, ±∞, NaNs of both
 * signs and subnormals, and int32 relu. Thread-count determinism on the wasm backend:
 * test/tensor/pool-relu-parallel.test.ts, which the `wasm` project runs too (vitest.config.ts).
 */
import { afterAll, describe, it } from 'vitest';
import { getBackend, setBackend } from '../../src/index.js';
import { reluBackward, reluForward } from '../../src/tensor/kernels/elementwise.js';
import { NDArray } from '../../src/tensor/ndarray.js';
import { WASM_RELU_PIECE } from '../../src/tensor/wasm/relu.js';
import { expectBitwise, makeRandom } from '../helpers/random.js';

const savedBackend = getBackend();
afterAll(() => setBackend(savedBackend));

/** Float32 bit patterns that a sign-bit mask could get wrong. */
const SPECIAL = [
  -0, 0, Infinity, -Infinity, Number.NaN, 1e-45, -1e-45, 1.1754942e-38, -1.1754942e-38, 3.4028235e38, -3.4028235e38,
];

function float32Values(size: number, seed: number): Float32Array {
  const rnd = makeRandom(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rnd() < 0.1 ? SPECIAL[Math.floor(rnd() * SPECIAL.length)]! : rnd() * 2 - 1;
  // A negative NaN (sign bit set) too.
  if (size > 7) new Int32Array(out.buffer)[7] = 0xffc00001 | 0;
  return out;
}

const SIZES = [1, 2, 3, 4, 5, 15, 16, 17, 63, 64, 65, 1001, WASM_RELU_PIECE - 1, WASM_RELU_PIECE, WASM_RELU_PIECE + 3, 2 * WASM_RELU_PIECE + 5, 200_704];

function both<T>(run: () => T): { js: T; wasm: T } {
  setBackend('js');
  const js = run();
  setBackend('wasm');
  return { js, wasm: run() };
}

describe('wasm relu', () => {
  it('forward and gradient are bitwise the JS kernels\' (ragged sizes, special values, offsets)', () => {
    SIZES.forEach((size, k) => {
      const offset = k % 4;
      const xData = float32Values(offset + size, 2 * k);
      const gData = float32Values(offset + size, 2 * k + 1);
      const x = new NDArray(xData, [size], undefined, offset);
      const g = new NDArray(gData, [size], undefined, offset);
      const forward = both(() => reluForward(x).data);
      expectBitwise(forward.wasm, forward.js, `relu of ${size} at offset ${offset}`);
      const backward = both(() => reluBackward(g, x).data);
      expectBitwise(backward.wasm, backward.js, `relu gradient of ${size} at offset ${offset}`);
    });
  });

  it('int32 relu is bitwise the JS kernel\'s', () => {
    const rnd = makeRandom(5);
    for (const size of [3, 64, 1001, WASM_RELU_PIECE + 7]) {
      const data = Int32Array.from({ length: size }, () => Math.floor((rnd() * 2 - 1) * 2 ** 31));
      data[0] = -(2 ** 31);
      data[1] = 2 ** 31 - 1;
      const x = new NDArray(data, [size]);
      const out = both(() => reluForward(x).data);
      expectBitwise(out.wasm, out.js, `int32 relu of ${size}`);
    }
  });
});
